#!/usr/bin/env node
// The benchmark (issue 9): `npm run bench` (builds dist/, then runs this).
//
//   node bench/run.mjs [--n 500] [--sizes 100,1000] [--runs 5] [--mono-runs 3] [--no-bulk]
//
// --n is the main monorepo (targets are checked on it); --sizes the others, for time per service.
//
// Generates the synthetic monorepos (bench/generate.mjs, cached in bench/.work/), makes each a git
// repository with one commit (bulk builds branches from commits), then measures the median wall time
// and peak RSS (/usr/bin/time %M, or a wrapper reading process.resourceUsage() where it is missing)
// of: `--version` and `rules` (cold start), `scan` of fixtures/projects/demo, and on the monorepo
// `scan --format json`, `fix --dry-run --all`, `bulk --dry-run`, the floor (bench/floor.mjs) and the
// parse floor (the floor, then the Python and TypeScript parses a traced scan made: floor.mjs --parse).
// The monorepo commands are measured in rounds (each round runs every command on every size once),
// so that a machine that is slower in some minutes than in others weighs on all of them alike.
// Prints each figure, the ratios to the floor, per-service times for every size, PASS/MISS per
// target, and writes bench/results.json. Exits non-zero only on errors (a command that failed, a
// rule with no finding in the monorepo), never on a missed target.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { generate, defaultDir } from './generate.mjs';
import { buildFloorDeps } from './floor.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.join(HERE, '..');
// The CLI is run from a copy of dist/ taken at the start, so that a rebuild during the run (by
// another process) cannot change or remove what is being measured.
const DIST = path.join(ROOT, 'bench', '.work', 'dist');
const CLI = path.join(DIST, 'cli.js');
const FLOOR = path.join(HERE, 'floor.mjs');
const WORK = path.join(HERE, '.work');
const TIME = '/usr/bin/time';

// ---------------------------------------------------------------- options

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
}
const N = Number(arg('n', 500));
const SIZES = [...new Set([N, ...String(arg('sizes', '100,1000')).split(',').filter(Boolean).map(Number)])].sort((a, b) => a - b);
const RUNS = Number(arg('runs', 5));
const MONO_RUNS = Number(arg('mono-runs', 3));
const BULK = !process.argv.includes('--no-bulk');

const errors = [];
const say = (s = '') => process.stdout.write(s + '\n');

// ---------------------------------------------------------------- measuring

const useTime = fs.existsSync(TIME);
const RSS_WRAPPER = path.join(WORK, 'rss-wrapper.mjs');

/** Without /usr/bin/time: run the script in a child that reports its own peak RSS on exit. */
function rssWrapper() {
  fs.mkdirSync(WORK, { recursive: true });
  fs.writeFileSync(
    RSS_WRAPPER,
    [
      "import fs from 'node:fs';",
      "import { pathToFileURL } from 'node:url';",
      'const [out, script, ...rest] = process.argv.slice(2);',
      'process.argv = [process.argv[0], script, ...rest];',
      "process.on('exit', () => { const u = process.resourceUsage(); fs.writeFileSync(out, `${u.maxRSS} ${u.userCPUTime} ${u.systemCPUTime}`); });",
      'await import(pathToFileURL(script).href);',
      '',
    ].join('\n'),
  );
}

/**
 * Run `node <script> <args>` `runs` times (after `warmup` runs that fill the disk cache) and
 * return median wall ms, median peak RSS MB, every sample and the last run's output.
 */
function measure(label, script, args, opts = {}) {
  return measureRounds([{ label, script, args, ...opts }], opts.runs ?? RUNS)[0];
}

/**
 * Measure several commands in rounds: each round runs every command once, in order, so that a
 * machine that gets slower or faster during the benchmark (other load, caches) weighs on every
 * command alike instead of on whichever ran in the slow minutes. Each command's warm-up runs come
 * first. A spec: { label, script, args, cwd, okCodes, warmup, env, beforeEach(i), afterEach(i) }.
 */
function measureRounds(specs, runs) {
  const state = specs.map(() => ({ walls: [], rsss: [], cpus: [], last: undefined, error: undefined }));
  const once = (spec, st, i) => {
    if (st.error) return;
    const { label, script, args, cwd = ROOT, okCodes = [0, 1], env = {}, beforeEach, afterEach } = spec;
    const rssFile = path.join(os.tmpdir(), `shipshape-bench-${process.pid}.rss`);
    const cmd = useTime ? TIME : process.execPath;
    const argv = useTime ? ['-f', '%M %U %S', '-o', rssFile, process.execPath, script, ...args] : [RSS_WRAPPER, rssFile, script, ...args];
    let r;
    let ms;
    beforeEach?.(i);
    try {
      const t0 = process.hrtime.bigint();
      r = spawnSync(cmd, argv, { cwd, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1', ...env } });
      ms = Number(process.hrtime.bigint() - t0) / 1e6;
    } finally {
      afterEach?.(i);
    }
    st.last = r;
    if (r.error || r.signal || !okCodes.includes(r.status)) {
      st.error = r.error ? r.error.message : r.signal ? `signal ${r.signal}` : `exit code ${r.status}`;
      errors.push(`${label}: ${st.error}: ${(r.stderr || '').trim().split('\n').slice(-3).join(' | ')}`);
      return;
    }
    if (i >= 1) {
      st.walls.push(ms);
      // /usr/bin/time: "maxRSS-KB user-s sys-s"; the wrapper: "maxRSS-KB user-µs sys-µs".
      const [kb, user, sys] = fs.readFileSync(rssFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
      st.rsss.push(kb / 1024);
      st.cpus.push(useTime ? (user + sys) * 1000 : (user + sys) / 1000);
    }
    fs.rmSync(rssFile, { force: true });
  };
  specs.forEach((spec, k) => {
    for (let i = 1 - (spec.warmup ?? 1); i < 1; i++) once(spec, state[k], i);
  });
  for (let i = 1; i <= runs; i++) specs.forEach((spec, k) => once(spec, state[k], i));
  return specs.map((spec, k) => {
    const st = state[k];
    if (st.error) return { label: spec.label, error: st.error };
    const res = { label: spec.label, ms: median(st.walls), cpuMs: median(st.cpus), rssMB: median(st.rsss), samplesMs: st.walls.map(Math.round), out: st.last.stdout, err: st.last.stderr };
    if (!spec.quiet) printResult(res);
    return res;
  });
}

function printResult(res) {
  if (res.error) say(`  ${res.label.padEnd(34)} ERROR ${res.error}`);
  else say(`  ${res.label.padEnd(34)} ${fmtMs(res.ms).padStart(9)} wall ${fmtMs(res.cpuMs).padStart(9)} cpu ${res.rssMB.toFixed(0).padStart(5)} MB   (runs: ${res.samplesMs.join(', ')} ms)`);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
const fmtMs = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);

// ---------------------------------------------------------------- the monorepos

function git(cwd, ...args) {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'bench@localhost', GIT_AUTHOR_DATE: '2024-01-01T00:00:00Z',
      GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'bench@localhost', GIT_COMMITTER_DATE: '2024-01-01T00:00:00Z',
    },
  });
}

function prepare(n) {
  const t = Date.now();
  const { dir, written, files } = generate(n, defaultDir(n));
  // The result-cache measurement edits a file and puts it back; a run stopped half-way may not have.
  if (!written && fs.existsSync(path.join(dir, '.git'))) git(dir, 'checkout', '-q', '--', '.');
  if (written || !fs.existsSync(path.join(dir, '.git'))) {
    fs.rmSync(path.join(dir, '.git'), { recursive: true, force: true });
    git(dir, 'init', '-q', '-b', 'main');
    git(dir, 'config', 'commit.gpgsign', 'false');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', `synthetic monorepo of ${n} services`);
  }
  // bulk only reads branches; drop any a previous run might have left (it never should).
  say(`  mono-${n}: ${files} files written by the generator${written ? ` (generated in ${((Date.now() - t) / 1000).toFixed(1)} s)` : ' (cached)'}`);
  return dir;
}

// ---------------------------------------------------------------- main

if (!fs.existsSync(path.join(ROOT, 'dist', 'cli.js'))) {
  say('dist/cli.js is missing: building');
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
}
fs.rmSync(DIST, { recursive: true, force: true });
fs.cpSync(path.join(ROOT, 'dist'), DIST, { recursive: true });
if (!useTime) rssWrapper();
await buildFloorDeps();

const rulesList = JSON.parse(execFileSync(process.execPath, [CLI, 'rules', '--json'], { encoding: 'utf8' }));
const ruleIds = (Array.isArray(rulesList) ? rulesList : rulesList.rules).map((r) => r.id);
const commit = (() => {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
})();

say(`shipshape benchmark — node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}, commit ${commit ?? '?'}`);
say(`medians of ${RUNS} runs after a warm-up (${MONO_RUNS} on monorepos); peak RSS from ${useTime ? '/usr/bin/time' : 'process.resourceUsage()'}`);
say('');
say('monorepos:');
const dirs = new Map(SIZES.map((n) => [n, prepare(n)]));
say('');

const results = { date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, loadavg: os.loadavg(), commit, n: N, runs: RUNS, monoRuns: MONO_RUNS, commands: {}, sizes: {}, ratios: {}, targets: [] };
const keep = (r) => (r.error ? { error: r.error } : { ms: Math.round(r.ms), cpuMs: Math.round(r.cpuMs), rssMB: Math.round(r.rssMB), samplesMs: r.samplesMs });

say('cold start and a seed project:');
// Node's own start-up on this machine, for scale: the cold-start targets include it.
const EMPTY_SCRIPT = path.join(WORK, 'empty.mjs');
fs.writeFileSync(EMPTY_SCRIPT, '');
const bare = measure('node (empty script)', EMPTY_SCRIPT, [], { okCodes: [0] });
const version = measure('shipshape --version', CLI, ['--version'], { okCodes: [0] });
const rules = measure('shipshape rules', CLI, ['rules'], { okCodes: [0] });
// scan/fix/bulk load their bundle with a V8 code cache (src/cli/load.ts) in the bench's own cache
// directory: the warm-up run writes it, as a user's first run does. Measured without it as well.
const CACHE_DIR = path.join(WORK, 'v8cache');
fs.rmSync(CACHE_DIR, { recursive: true, force: true });
process.env.SHIPSHAPE_CACHE_DIR = CACHE_DIR;
// The scans and fixes measured for the targets do not use the result cache (--no-cache: every rule runs);
// the result cache (scan's default, src/engine/cache.ts) is measured apart, on an unchanged tree.
const demo = measure('scan fixtures/projects/demo', CLI, ['scan', '--no-cache', 'fixtures/projects/demo'], { okCodes: [1] });
const demoNoCache = measure('scan demo, no code cache', CLI, ['scan', '--no-cache', 'fixtures/projects/demo'], { okCodes: [1], env: { SHIPSHAPE_CACHE_DIR: 'off' } });
const demoCached = measure('scan demo, result cache', CLI, ['scan', 'fixtures/projects/demo'], { okCodes: [1] });
results.commands.nodeAlone = keep(bare);
results.commands.version = keep(version);
results.commands.rules = keep(rules);
results.commands.scanDemo = keep(demo);
results.commands.scanDemoNoCodeCache = keep(demoNoCache);
results.commands.scanDemoResultCache = keep(demoCached);
say('');

// The monorepos are measured in rounds (measureRounds): each round runs every command on every size
// once, so that the comparisons between sizes (time per service) and with the floors are not
// skewed by the machine being slower in some minutes than in others.
const plan = new Map();
const specs = [];
const edits = [];
for (const n of SIZES) {
  const dir = dirs.get(n);
  const rel = path.relative(ROOT, dir);
  // The parse floor reads a trace of the Python and TypeScript files a scan parsed (floor.mjs --parse).
  const trace = path.join(WORK, `parses-${n}.txt`);
  const traced = spawnSync(process.execPath, [CLI, 'scan', '--no-cache', '--format', 'json', rel], { cwd: ROOT, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, env: { ...process.env, SHIPSHAPE_TIMING: 'parses' } });
  if (traced.status !== 1) errors.push(`mono-${n}: the traced scan exited with ${traced.status ?? traced.signal}`);
  fs.writeFileSync(trace, traced.stderr ?? '');
  // No warm-up runs on the monorepos (the trees were just generated or checked, and read by the
  // traced scan), except where a warm-up fills the result cache.
  const add = (key, label, script, args, opts) => {
    const spec = { key, label, script, args, warmup: 0, quiet: true, ...opts };
    specs.push(spec);
    plan.set(`${n}\0${key}`, spec);
  };
  add('floor', 'floor (list + parse)', FLOOR, [rel], { okCodes: [0] });
  // The parse floor: the floor, then parsing once each the Python and TypeScript files the scan
  // parsed, with the same parsers and none of the rules' work.
  add('parseFloor', 'parse floor (+ Python, TS parses)', FLOOR, [rel, '--parse', trace], { okCodes: [0] });
  add('scan', 'scan --format json', CLI, ['scan', '--no-cache', '--format', 'json', rel], { okCodes: [1] });
  if (n === N) {
    // The result cache, each case with its own cache directory: the warm-up run fills it, the runs
    // measured reuse every rule's findings.
    add('cached', 'scan --format json, result cache', CLI, ['scan', '--format', 'json', rel], { warmup: 1, okCodes: [1], env: { SHIPSHAPE_CACHE_DIR: path.join(WORK, 'v8cache-unchanged') } });
    // After a one-file change (what a pre-commit hook sees): before each run one Python module
    // gets a different comment line, so the rules that read Python files run again; it is put
    // back after the run, before any other command reads the tree.
    const module = path.join(dir, 'services', 'svc-0001', 'app', 'main.py');
    const original = fs.readFileSync(module);
    edits.push({ module, original });
    add('edited', 'scan, result cache, 1 file edited', CLI, ['scan', '--format', 'json', rel], {
      warmup: 1,
      okCodes: [1],
      env: { SHIPSHAPE_CACHE_DIR: path.join(WORK, 'v8cache-edited') },
      beforeEach: (i) => fs.writeFileSync(module, Buffer.concat([original, Buffer.from(`# bench edit ${i}\n`)])),
      afterEach: () => fs.writeFileSync(module, original),
    });
  }
  add('fix', 'fix --dry-run --all', CLI, ['fix', '--no-cache', '--dry-run', '--all', rel], { okCodes: [0, 1] });
  if (BULK && n === N) add('bulk', 'bulk --dry-run', CLI, ['bulk', '--dry-run', rel], { okCodes: [0, 1] });
}
for (const d of ['v8cache-unchanged', 'v8cache-edited']) fs.rmSync(path.join(WORK, d), { recursive: true, force: true });
say(`monorepos: ${specs.length} commands, ${MONO_RUNS} rounds`);
let measured;
try {
  measured = measureRounds(specs, MONO_RUNS);
} finally {
  for (const { module, original } of edits) fs.writeFileSync(module, original);
}
specs.forEach((spec, k) => (spec.result = measured[k]));
say('');

for (const n of SIZES) {
  const dir = dirs.get(n);
  const rel = path.relative(ROOT, dir);
  const trace = path.join(WORK, `parses-${n}.txt`);
  const got = (key) => plan.get(`${n}\0${key}`)?.result;
  say(`monorepo of ${n} services (${rel}):`);
  const [floor, parseFloor, scan, cached, edited, fix, bulk] = ['floor', 'parseFloor', 'scan', 'cached', 'edited', 'fix', 'bulk'].map(got);
  for (const r of [floor, scan, parseFloor, cached, edited, fix, bulk]) if (r) printResult(r);
  if (cached && !cached.error && !scan.error && cached.out !== scan.out) errors.push(`mono-${n}: the report with the result cache differs from the report without it`);
  const entry = { services: n, floor: keep(floor), parseFloor: keep(parseFloor), scan: keep(scan), fixDryRun: keep(fix) };
  if (cached) entry.scanResultCache = keep(cached);
  if (edited) entry.scanResultCacheOneEdit = keep(edited);
  if (bulk) entry.bulkDryRun = keep(bulk);
  if (!floor.error) entry.floor.detail = JSON.parse(execFileSync(process.execPath, [FLOOR, rel, '--json'], { cwd: ROOT, encoding: 'utf8' }));
  if (!parseFloor.error) entry.parseFloor.detail = JSON.parse(execFileSync(process.execPath, [FLOOR, rel, '--json', '--parse', trace], { cwd: ROOT, encoding: 'utf8' }));
  if (!scan.error) {
    const report = JSON.parse(scan.out);
    const byRule = {};
    for (const f of report.findings) byRule[f.rule] = (byRule[f.rule] ?? 0) + 1;
    entry.findings = report.findings.length;
    entry.findingsByRule = byRule;
    entry.fileErrors = report.errors.length;
    const missing = ruleIds.filter((id) => !byRule[id]);
    if (missing.length) errors.push(`mono-${n}: no finding of ${missing.join(', ')} (the generator must trigger every rule)`);
    if (report.errors.length) errors.push(`mono-${n}: ${report.errors.length} file errors, e.g. ${JSON.stringify(report.errors[0])}`);
    say(`  ${report.findings.length} findings of ${Object.keys(byRule).length}/${ruleIds.length} rules`);
  }
  if (!fix.error) {
    entry.patchFiles = (fix.out.match(/^\+\+\+ /gm) ?? []).length;
    entry.patchLines = fix.out.split('\n').length;
    entry.notApplied = (fix.err.match(/ not applied \(/g) ?? []).length;
    say(`  dry-run patch: ${entry.patchFiles} files, ${entry.patchLines} lines; ${entry.notApplied} fixes not applied`);
  }
  if (bulk && !bulk.error) {
    entry.bulkBranches = (bulk.out.match(/^\s*(?:would-create|would-update|unchanged|skipped|failed)\b/gm) ?? []).length || null;
  }
  for (const [k, r] of [['scan', scan], ['fixDryRun', fix], ['floor', floor], ['parseFloor', parseFloor]]) {
    if (!r.error) entry[k].msPerService = +(r.ms / n).toFixed(2);
  }
  if (!floor.error && !scan.error) entry.scanPerFloor = +(scan.ms / floor.ms).toFixed(2);
  if (!floor.error && !scan.error) entry.scanPerFloorCpu = +(scan.cpuMs / floor.cpuMs).toFixed(2);
  if (!floor.error && !fix.error) entry.fixPerFloorCpu = +(fix.cpuMs / floor.cpuMs).toFixed(2);
  if (!floor.error && !fix.error) entry.fixPerFloor = +(fix.ms / floor.ms).toFixed(2);
  if (bulk && !floor.error && !bulk.error) entry.bulkPerFloor = +(bulk.ms / floor.ms).toFixed(2);
  say(`  wall: scan/floor ${entry.scanPerFloor ?? '?'}×   dry-run/floor ${entry.fixPerFloor ?? '?'}×${entry.bulkPerFloor ? `   bulk/floor ${entry.bulkPerFloor}×` : ''}`);
  say(`  cpu:  scan/floor ${entry.scanPerFloorCpu ?? '?'}×   dry-run/floor ${entry.fixPerFloorCpu ?? '?'}×`);
  if (!floor.error && !parseFloor.error) {
    entry.parseFloorPerFloor = +(parseFloor.ms / floor.ms).toFixed(2);
    if (!scan.error) entry.scanPerParseFloor = +(scan.ms / parseFloor.ms).toFixed(2);
    if (!fix.error) entry.fixPerParseFloor = +(fix.ms / parseFloor.ms).toFixed(2);
    const d = entry.parseFloor.detail;
    say(`  parse floor: ${fmtMs(parseFloor.ms)} = ${entry.parseFloorPerFloor}× the floor (${d ? `${d.python} Python files, ${d.typescript} TypeScript/JavaScript files` : 'the traced parses'});   scan/parse floor ${entry.scanPerParseFloor ?? '?'}×   dry-run/parse floor ${entry.fixPerParseFloor ?? '?'}×`);
  }
  if (cached && !cached.error && !floor.error) {
    entry.scanResultCachePerFloor = +(cached.ms / floor.ms).toFixed(2);
    say(`  scan with the result cache (unchanged tree): ${fmtMs(cached.ms)}, ${entry.scanResultCachePerFloor}× the floor (not a target figure: the targets are measured without it)`);
    if (edited && !edited.error) say(`  scan with the result cache after editing one Python module: ${fmtMs(edited.ms)}, ${+(edited.ms / floor.ms).toFixed(2)}× the floor`);
  }
  results.sizes[n] = entry;
  say('');
}

// ---------------------------------------------------------------- per service and targets

say('time per service (ms):');
say(`  ${'N'.padStart(6)} ${'floor'.padStart(8)} ${'parse fl'.padStart(8)} ${'scan'.padStart(8)} ${'fix'.padStart(8)}`);
for (const n of SIZES) {
  const e = results.sizes[n];
  say(`  ${String(n).padStart(6)} ${String(e.floor.msPerService ?? '?').padStart(8)} ${String(e.parseFloor.msPerService ?? '?').padStart(8)} ${String(e.scan.msPerService ?? '?').padStart(8)} ${String(e.fixDryRun.msPerService ?? '?').padStart(8)}`);
}
// Marginal cost per added service between consecutive sizes: what grows when cost is superlinear.
const marginal = { scan: [], fixDryRun: [] };
for (let i = 1; i < SIZES.length; i++) {
  const a = results.sizes[SIZES[i - 1]];
  const b = results.sizes[SIZES[i]];
  for (const k of ['scan', 'fixDryRun']) {
    if (a[k].ms !== undefined && b[k].ms !== undefined) marginal[k].push({ from: SIZES[i - 1], to: SIZES[i], msPerService: +((b[k].ms - a[k].ms) / (SIZES[i] - SIZES[i - 1])).toFixed(2) });
  }
}
results.marginal = marginal;
for (const k of ['scan', 'fixDryRun']) say(`  marginal ${k}: ${marginal[k].map((m) => `${m.from}→${m.to}: ${m.msPerService} ms/service`).join(', ')}`);
say('');

const main = results.sizes[N];
const target = (name, ok, value) => {
  results.targets.push({ name, pass: ok === true, value });
  say(`  ${ok === true ? 'PASS' : ok === false ? 'MISS' : 'n/a '}  ${name}: ${value}`);
};
say('targets:');
const overNode = (r) => (r.ms !== undefined && bare.ms !== undefined ? ` (node alone: ${fmtMs(bare.ms)}, ${r.ms >= bare.ms ? '+' : '−'}${fmtMs(Math.abs(r.ms - bare.ms))})` : '');
target('--version under 150 ms', version.ms !== undefined ? version.ms < 150 : undefined, version.ms !== undefined ? fmtMs(version.ms) + overNode(version) : version.error);
target('rules under 150 ms', rules.ms !== undefined ? rules.ms < 150 : undefined, rules.ms !== undefined ? fmtMs(rules.ms) + overNode(rules) : rules.error);
target('scan of a seed project under 400 ms', demo.ms !== undefined ? demo.ms < 400 : undefined, demo.ms !== undefined ? fmtMs(demo.ms) : demo.error);
target(`scan of ${N} services at most 1.5× the floor`, main.scanPerFloor !== undefined ? main.scanPerFloor <= 1.5 : undefined, `${main.scanPerFloor}× (${fmtMs(main.scan.ms ?? NaN)} vs ${fmtMs(main.floor.ms ?? NaN)})`);
target(`scan of ${N} services under 2 s`, main.scan.ms !== undefined ? main.scan.ms < 2000 : undefined, fmtMs(main.scan.ms ?? NaN));
target(`fix --dry-run --all on ${N} services at most 3× the floor`, main.fixPerFloor !== undefined ? main.fixPerFloor <= 3 : undefined, `${main.fixPerFloor}× (${fmtMs(main.fixDryRun.ms ?? NaN)})`);
const peak = Math.max(...[main.scan, main.fixDryRun, main.bulkDryRun].filter((r) => r && r.rssMB !== undefined).map((r) => r.rssMB));
target(`peak RSS on ${N} services under 400 MB`, Number.isFinite(peak) ? peak < 400 : undefined, `${peak} MB (scan ${main.scan.rssMB}, fix ${main.fixDryRun.rssMB}${main.bulkDryRun ? `, bulk ${main.bulkDryRun.rssMB}` : ''})`);
// Linear: the time per service must not grow with N (10% allowance for noise), nor the marginal cost.
for (const k of ['scan', 'fixDryRun']) {
  const per = SIZES.map((n) => results.sizes[n][k].msPerService);
  const perOk = per.every((v, i) => i === 0 || (v !== undefined && per[i - 1] !== undefined && v <= per[i - 1] * 1.1));
  const m = marginal[k].map((x) => x.msPerService);
  const margOk = m.every((v, i) => i === 0 || v <= Math.max(m[i - 1], 0.5) * 1.3);
  target(`${k} time per service does not grow with N`, per.includes(undefined) ? undefined : perOk && margOk, `${SIZES.map((n, i) => `${n}: ${per[i]}`).join(', ')} ms/service; marginal ${m.join(', ')}`);
}
// Not a target: what the parses alone cost, against the floor the targets are set on.
if (main.parseFloorPerFloor !== undefined) {
  say(`  info  the parse floor (the floor, then only the Python and TypeScript parses the rules need) is ${main.parseFloorPerFloor}× the floor, ${fmtMs(main.parseFloor.ms)}`);
}
say('');

results.errors = errors;
fs.writeFileSync(path.join(HERE, 'results.json'), JSON.stringify(results, null, 2) + '\n');
say(`wrote ${path.relative(ROOT, path.join(HERE, 'results.json'))}`);
if (errors.length) {
  say('');
  for (const e of errors) say(`ERROR ${e}`);
  process.exit(1);
}
