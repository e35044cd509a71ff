// End-to-end tests: the BUILT CLI (dist/cli.js, built by `npm run build`, which `npm test` runs
// first) as a real process, on temporary copies of the projects in fixtures/projects/.
//
// What the CLI finds depends on the rules in the registry, so most expectations are derived from
// the CLI's own JSON ("every fixable finding is applied", "the patch is what --yes writes"); the
// seed-specific expectations at the bottom name the rules they need. A rule that is not registered
// is reported on the console, and fails the run under CI=true: nothing is skipped silently.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { classify } from '../src/classify.js';
import { validateText } from '../src/parsers/validate.js';
import '../src/parsers/python.js'; // registers the Python validator
import '../src/parsers/nginx.js'; // registers the nginx validator
import {
  changedPaths,
  CLI_PATH,
  cliEnv,
  copyProject,
  describeRun,
  filesOf,
  hasAnsi,
  hasBinary,
  modesOf,
  projectNames,
  pool,
  PtySession,
  requireBuiltCli,
  runCli,
  runCliAsync,
  runCliMany,
  snapshot,
  type CliResult,
  type Entry,
} from './helpers/cli.js';
import { gitApply, initRepo, patchP1, writePatch } from './helpers/git.js';
import { REPO, copyTree, tmpDir } from './helpers/tree.js';

const CI = process.env.CI === 'true' || process.env.CI === '1';
const SLOW = 240_000;

interface JsonFinding {
  id: string;
  rule: string;
  severity: string;
  message: string;
  file: string;
  line: number;
  endLine: number;
  fixable: boolean;
  safety: string;
}
interface JsonReport {
  version: number;
  root: string;
  findings: JsonFinding[];
  errors: { file: string; line?: number; message: string }[];
}

let ruleIds: string[] = [];

beforeAll(() => {
  requireBuiltCli();
  const r = runCli(['rules', '--json']);
  expect(r.code, describeRun(['rules', '--json'], r)).toBe(0);
  ruleIds = (JSON.parse(r.stdout) as { id: string }[]).map((x) => x.id);
});

/** Whether a rule is registered; when not, say so (and fail under CI). */
function needRule(rule: string, why: string): boolean {
  if (ruleIds.includes(rule)) return true;
  const msg = `rule ${rule} is not registered: ${why} not checked`;
  if (CI) throw new Error(msg);
  console.warn(`[e2e] ${msg}`);
  return false;
}

function scanJson(dir: string, extra: string[] = []): { r: CliResult; report: JsonReport } {
  const args = ['scan', '--format', 'json', ...extra, dir];
  const r = runCli(args);
  expect([0, 1], describeRun(args, r)).toContain(r.code);
  let report: JsonReport;
  try {
    report = JSON.parse(r.stdout) as JsonReport;
  } catch (e) {
    throw new Error(`scan --format json printed invalid JSON (${(e as Error).message})\n${describeRun(args, r)}`);
  }
  return { r, report };
}

/** The documented JSON contract (README "JSON output"). */
function checkContract(report: JsonReport, root: string): void {
  expect(report.version).toBe(1);
  expect(report.root).toBe(root);
  expect(Array.isArray(report.findings)).toBe(true);
  expect(Array.isArray(report.errors)).toBe(true);
  const ids = new Set<string>();
  for (const f of report.findings) {
    const where = JSON.stringify(f);
    expect(Object.keys(f), where).toEqual(expect.arrayContaining(['id', 'rule', 'severity', 'message', 'file', 'line', 'endLine', 'fixable', 'safety']));
    expect(f.id, where).toMatch(/^[0-9a-f]{16}$/);
    expect(ids.has(f.id), `duplicate id ${f.id}`).toBe(false);
    ids.add(f.id);
    expect(ruleIds, where).toContain(f.rule);
    expect(['critical', 'high', 'medium', 'low'], where).toContain(f.severity);
    expect(['safe', 'review'], where).toContain(f.safety);
    expect(typeof f.message, where).toBe('string');
    expect(f.message.length, where).toBeGreaterThan(0);
    expect(typeof f.fixable, where).toBe('boolean');
    expect(f.file, where).not.toMatch(/^\/|\\|^\.\//);
    expect(fs.existsSync(path.join(root, f.file)), `${f.file} exists`).toBe(true);
    expect(Number.isInteger(f.line) && f.line >= 1, where).toBe(true);
    expect(Number.isInteger(f.endLine) && f.endLine >= f.line, where).toBe(true);
    const lines = fs.readFileSync(path.join(root, f.file), 'utf8').split('\n').length;
    expect(f.endLine, where).toBeLessThanOrEqual(lines);
  }
  for (const e of report.errors) {
    expect(typeof e.file).toBe('string');
    expect(typeof e.message).toBe('string');
    if ('line' in e) expect(Number.isInteger(e.line)).toBe(true);
  }
}

function expectUnchanged(before: Map<string, Entry>, after: Map<string, Entry>, what: string): void {
  expect(changedPaths(before, after), `${what}: changed paths`).toEqual([]);
  expect([...after.keys()], `${what}: entries`).toEqual([...before.keys()]);
  for (const [p, e] of before) {
    const a = after.get(p)!;
    expect(a.mode, `${what}: mode of ${p}`).toBe(e.mode);
    if (e.kind !== 'dir') expect(a.mtimeMs, `${what}: mtime of ${p}`).toBe(e.mtimeMs);
  }
}

// ---------------------------------------------------------------------------------------------
// Comments: every comment of a file a fix modified is still in it (as a multiset of lines).
// ---------------------------------------------------------------------------------------------

const TS_LIKE = /\.(?:ts|tsx|mts|cts|js|jsx|mjs|cjs)$/;
const NO_COMMENTS = /\.(?:json|md|html|txt\.lock|lock)$/;

export function commentsOf(file: string, text: string): string[] {
  const out: string[] = [];
  const base = file.slice(file.lastIndexOf('/') + 1);
  if (NO_COMMENTS.test(base)) return out;
  const dockerfile = classify(file) === 'dockerfile';
  for (const line of text.replace(/\r\n/g, '\n').split('\n')) {
    if (TS_LIKE.test(base)) {
      const full = /^\s*(\/\/.*|\/\*.*|\*.*)$/.exec(line);
      if (full) out.push(full[1]!.trim());
      else {
        const tr = /\s(\/\/\s.*)$/.exec(line);
        if (tr) out.push(tr[1]!.trim());
      }
      continue;
    }
    const full = /^\s*(#.*)$/.exec(line);
    if (full) out.push(full[1]!.trim());
    else if (!dockerfile) {
      // A Dockerfile has no trailing comments (the shell gets the rest of the line).
      const tr = /\s(#\s.*)$/.exec(line);
      if (tr) out.push(tr[1]!.trim());
    }
  }
  return out.filter((c) => c !== '#' && c !== '//');
}

function lostComments(file: string, before: string, after: string): string[] {
  const count = new Map<string, number>();
  for (const c of commentsOf(file, after)) count.set(c, (count.get(c) ?? 0) + 1);
  const lost: string[] = [];
  for (const c of commentsOf(file, before)) {
    const n = count.get(c) ?? 0;
    if (n === 0) lost.push(c);
    else count.set(c, n - 1);
  }
  return lost;
}

/**
 * Comments a fix may remove together with the line they describe (the line itself goes away):
 * project → file → comment texts, each with the reason.
 */
const MAY_DROP: Record<string, Record<string, { comment: string; why: string }[]>> = {
  demo: {
    'docker-compose.yml': [
      { comment: '# live code for --reload', why: 'compose/dev-reload removes the source bind mount this comment describes' },
      { comment: '# Auto-reload while we iterate on the code', why: 'compose/dev-reload: the comment is about --reload, which is removed' },
      { comment: '# psql from the host', why: 'compose/db-port-exposed may drop the published port it describes' },
    ],
  },
};

// ---------------------------------------------------------------------------------------------
// Validity of what the fixes produce
// ---------------------------------------------------------------------------------------------

const SCHEMA = path.join(REPO, '..', 'shared', 'schemas', 'compose-spec.json');
let composeValidator: ((v: unknown) => string | null) | undefined;

async function composeSchemaCheck(): Promise<((v: unknown) => string | null) | undefined> {
  if (composeValidator) return composeValidator;
  if (!fs.existsSync(SCHEMA)) {
    const msg = `${SCHEMA} not found: compose files are parsed but not validated against the Compose Specification`;
    if (CI) throw new Error(msg);
    console.warn(`[e2e] ${msg}`);
    return undefined;
  }
  const { default: Ajv } = await import('ajv');
  const { default: addFormats } = await import('ajv-formats');
  const schema = JSON.parse(fs.readFileSync(SCHEMA, 'utf8')) as Record<string, unknown>;
  delete schema.$schema;
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const validate = ajv.compile(schema);
  composeValidator = (v) => (validate(v) ? null : ajv.errorsText(validate.errors));
  return composeValidator;
}

async function checkValid(root: string, files: string[]): Promise<void> {
  const py: string[] = [];
  for (const f of files) {
    const abs = path.join(root, f);
    const text = fs.readFileSync(abs, 'utf8').replace(/^\ufeff/, '').replace(/\r\n/g, '\n');
    const kind = classify(f);
    await expect(validateText(kind, text, f), `${f} parses`).resolves.toBeUndefined();
    if (kind === 'compose') {
      const doc = parseDocument(text, { merge: true });
      expect(doc.errors.map((e) => e.message), `${f}: YAML`).toEqual([]);
      const check = await composeSchemaCheck();
      if (check) expect(check(doc.toJS()), `${f}: Compose Specification`).toBeNull();
    }
    if (kind === 'python') py.push(abs);
  }
  if (py.length) {
    expect(hasBinary('python3'), 'python3 is needed to compile the fixed Python files').toBe(true);
    const code = 'import sys\nfor f in sys.argv[1:]:\n    compile(open(f, encoding="utf-8-sig").read(), f, "exec")\n';
    const r = spawnSync('python3', ['-c', code, ...py], { encoding: 'utf8' });
    expect(r.status, `python3 compile: ${r.stderr}`).toBe(0);
  }
}

// ---------------------------------------------------------------------------------------------
// Basics
// ---------------------------------------------------------------------------------------------

describe('CLI basics', () => {
  it('--version prints the package version', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = runCli([flag]);
      expect(r.code, describeRun([flag], r)).toBe(0);
      expect(r.stdout.trim()).toBe(pkg.version);
      expect(r.stderr).toBe('');
    }
  });

  it('--version or -V alone is answered without loading the command line; every other shape goes through commander', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string };
    const version = { code: 0, signal: null, stdout: `${pkg.version}\n`, stderr: '' };
    // The fast path (src/bin.ts) loads no bundle: no code cache is written.
    for (const args of [['--version'], ['-V']]) {
      const dir = path.join(tmpDir(), 'cache');
      expect(runCli(args, { env: { SHIPSHAPE_CACHE_DIR: dir } }), args.join(' ')).toEqual(version);
      expect(fs.existsSync(dir), args.join(' ')).toBe(false);
    }
    // Commander loads the command line (its code cache is written); these print the version too: the
    // fast path answers exactly what commander does.
    const loaded = (dir: string) => expect(fs.readdirSync(dir)).toEqual([expect.stringMatching(/^cli-[A-Z0-9]+-node[^/]+\.v8cache$/)]);
    for (const args of [['--no-color', '--version'], ['-V', '--no-color'], ['--version', 'extra'], ['rules', '-V'], ['-V', '-V']]) {
      const dir = path.join(tmpDir(), 'cache');
      expect(runCli(args, { env: { SHIPSHAPE_CACHE_DIR: dir } }), args.join(' ')).toEqual(version);
      loaded(dir);
    }
    // Near misses are not the version.
    const dir = path.join(tmpDir(), 'cache');
    const help = runCli(['rules', '--help'], { env: { SHIPSHAPE_CACHE_DIR: dir } });
    expect(help.code, describeRun(['rules', '--help'], help)).toBe(0);
    expect(help.stdout).toMatch(/^Usage: shipshape rules \[options\]\n/);
    loaded(dir);
    for (const args of [['--version=1'], ['-v'], ['--VERSION'], ['-hV']]) {
      const r = runCli(args);
      expect(r.code, describeRun(args, r)).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(new RegExp(`^error: unknown option '${args[0]}'\n`));
    }
  });

  it('--help lists the commands and exits 0', () => {
    const r = runCli(['--help']);
    expect(r.code, describeRun(['--help'], r)).toBe(0);
    for (const cmd of ['scan', 'fix', 'rules', 'explain']) expect(r.stdout).toMatch(new RegExp(`^\\s+${cmd}\\b`, 'm'));
    for (const sub of ['scan', 'fix']) {
      const s = runCli([sub, '--help']);
      expect(s.code, describeRun([sub, '--help'], s)).toBe(0);
      expect(s.stdout).toContain(`Usage: shipshape ${sub}`);
      for (const opt of ['--only', '--skip']) expect(s.stdout).toContain(opt);
    }
    const f = runCli(['fix', '--help']);
    for (const opt of ['--dry-run', '--yes', '--all']) expect(f.stdout).toContain(opt);
  });

  it('scan keeps a private V8 code cache of its bundle and of the command line; the report is the same without it, with it and with a corrupt one', () => {
    const dir = path.join(tmpDir(), 'cache');
    const demo = path.join(REPO, 'fixtures', 'projects', 'demo');
    // The code cache alone (the result cache, in the same directory, has its own tests: result-cache.test.ts).
    const args = ['scan', '--no-cache', '--format', 'json', demo];
    const off = runCli(args, { env: { SHIPSHAPE_CACHE_DIR: 'off' } });
    expect(off.code, describeRun(args, off)).toBe(1);
    expect(fs.existsSync(dir)).toBe(false);
    const first = runCli(args, { env: { SHIPSHAPE_CACHE_DIR: dir } });
    expect(first.stdout).toBe(off.stdout);
    // One cache for the command line (dist/cli.js loads it: commander, the program), one for scan.
    const files = fs.readdirSync(dir).sort();
    expect(files).toHaveLength(2);
    expect(files[0]).toMatch(/^cli-[A-Z0-9]+-node[^/]+\.v8cache$/);
    expect(files[1]).toMatch(/^scan-[A-Z0-9]+-node[^/]+\.v8cache$/);
    const caches = files.map((f) => path.join(dir, f));
    const cache = caches[1]!;
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    for (const f of caches) expect(fs.statSync(f).mode & 0o777).toBe(0o600);
    // V8 accepts them: the second run writes neither again.
    const written = caches.map((f) => fs.statSync(f).mtimeMs);
    const second = runCli(args, { env: { SHIPSHAPE_CACHE_DIR: dir } });
    expect(second.stdout).toBe(off.stdout);
    expect(caches.map((f) => fs.statSync(f).mtimeMs)).toEqual(written);
    // Nor does another command, which uses the command line's cache and writes its own.
    const rules = runCli(['rules'], { env: { SHIPSHAPE_CACHE_DIR: dir } });
    expect(rules.code, describeRun(['rules'], rules)).toBe(0);
    expect(rules.stdout).toBe(runCli(['rules'], { env: { SHIPSHAPE_CACHE_DIR: 'off' } }).stdout);
    expect(caches.map((f) => fs.statSync(f).mtimeMs)).toEqual(written);
    expect(fs.readdirSync(dir).sort()).toEqual(files);
    // The other way round: the command line's cache written by `rules` (which leaves V8's flags as they
    // are) is the one scan reads (scan changes them only after the command line is compiled).
    const other = path.join(tmpDir(), 'cache');
    expect(runCli(['rules'], { env: { SHIPSHAPE_CACHE_DIR: other } }).code).toBe(0);
    const [cli] = fs.readdirSync(other).map((f) => path.join(other, f));
    const cliWritten = fs.statSync(cli!).mtimeMs;
    expect(runCli(args, { env: { SHIPSHAPE_CACHE_DIR: other } }).stdout).toBe(off.stdout);
    expect(fs.readdirSync(other).sort()).toEqual(files);
    expect(fs.statSync(cli!).mtimeMs).toBe(cliWritten);
    // V8 rejects a corrupt one: same report, and the cache is written again.
    fs.writeFileSync(cache, 'not a code cache');
    const third = runCli(args, { env: { SHIPSHAPE_CACHE_DIR: dir } });
    expect(third.code).toBe(1);
    expect(third.stdout).toBe(off.stdout);
    expect(fs.statSync(cache).size).toBeGreaterThan(1000);
    expect(fs.statSync(caches[0]!).mtimeMs).toBe(written[0]);
    fs.writeFileSync(caches[0]!, 'not a code cache');
    const fourth = runCli(args, { env: { SHIPSHAPE_CACHE_DIR: dir } });
    expect(fourth.code).toBe(1);
    expect(fourth.stdout).toBe(off.stdout);
    expect(fs.statSync(caches[0]!).size).toBeGreaterThan(1000);
    // A directory that cannot be made (mkdir -p would loop forever under /proc): no cache, same report.
    if (fs.existsSync('/proc/self')) {
      const nowhere = runCli(args, { env: { SHIPSHAPE_CACHE_DIR: '/proc/shipshape-test/cache' }, timeoutMs: 60_000 });
      expect(nowhere.stdout).toBe(off.stdout);
    }
    // A cache that cannot be written (its directory would be under a file): same report, nothing on
    // stderr, same exit code — the clean-up of the failed write must not throw at exit either.
    const file = path.join(tmpDir(), 'a-file');
    fs.writeFileSync(file, '');
    const unwritable = runCli(args, { env: { SHIPSHAPE_CACHE_DIR: path.join(file, 'cache') } });
    expect(unwritable.stderr, describeRun(args, unwritable)).toBe('');
    expect(unwritable.code).toBe(1);
    expect(unwritable.stdout).toBe(off.stdout);
  });

  it('a repository with TypeScript: the compiler is loaded with its own code cache, same report', () => {
    const dir = path.join(tmpDir(), 'cache');
    const project = path.join(REPO, 'fixtures', 'projects', 'kabul-sweets');
    const args = ['scan', '--format', 'json', project];
    const off = runCli(args, { env: { SHIPSHAPE_CACHE_DIR: 'off' } });
    const first = runCli(args, { env: { SHIPSHAPE_CACHE_DIR: dir } });
    expect(first.stdout, describeRun(args, first)).toBe(off.stdout);
    expect(first.stderr).toBe(off.stderr);
    const ts = fs.readdirSync(dir).filter((f) => f.startsWith('typescript-'));
    expect(ts).toHaveLength(1);
    expect(ts[0]).toMatch(/^typescript-\d+-\d+-node[^/]+\.v8cache$/);
    const cache = path.join(dir, ts[0]!);
    expect(fs.statSync(cache).mode & 0o777).toBe(0o600);
    const written = fs.statSync(cache).mtimeMs;
    const second = runCli(args, { env: { SHIPSHAPE_CACHE_DIR: dir } });
    expect(second.stdout).toBe(off.stdout);
    expect(fs.statSync(cache).mtimeMs).toBe(written);
  });

  it('a reader that goes away early (`rules | head -1`) ends the output quietly: no stack trace, usual exit code', async () => {
    for (const args of [['rules'], ['--version'], ['--help'], ['explain', ruleIds[0]!], ['scan', '--format', 'json', path.join(REPO, 'fixtures', 'projects', 'demo')]]) {
      const child = spawn(process.execPath, [path.join(REPO, 'dist', 'cli.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      // The read end is closed before the CLI writes anything: its writes fail with EPIPE.
      child.stdout.destroy();
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
      expect(stderr, args.join(' ')).toBe('');
      expect(code, args.join(' ')).toBe(args[0] === 'scan' ? 1 : 0);
    }
  });

  it('rules and explain write the same text to a pipe, a file and a terminal (coloured there unless NO_COLOR)', async () => {
    const id = ruleIds[0]!;
    for (const args of [['rules'], ['rules', '--json'], ['explain', id]]) {
      const piped = runCli(args);
      expect(piped.code, describeRun(args, piped)).toBe(0);
      expect(hasAnsi(piped.stdout)).toBe(false);
      // stdout a file (and stderr another): what process.stdout would have written there.
      const dir = tmpDir();
      const out = fs.openSync(path.join(dir, 'out'), 'w');
      const err = fs.openSync(path.join(dir, 'err'), 'w');
      const r = spawnSync(process.execPath, [CLI_PATH, ...args], { stdio: ['ignore', out, err], env: cliEnv() });
      fs.closeSync(out);
      fs.closeSync(err);
      expect(r.status, args.join(' ')).toBe(0);
      expect(fs.readFileSync(path.join(dir, 'out'), 'utf8'), args.join(' ')).toBe(piped.stdout);
      expect(fs.readFileSync(path.join(dir, 'err'), 'utf8'), args.join(' ')).toBe('');
      // A terminal: colours, except for the JSON; the same text once they are taken out.
      for (const env of [{}, { NO_COLOR: '1' }]) {
        const term = new PtySession(args, { env });
        expect(await term.wait(), args.join(' ')).toEqual({ code: 0, signal: null });
        expect(hasAnsi(term.rawOutput), `${args.join(' ')} ${JSON.stringify(env)}`).toBe(!args.includes('--json') && !('NO_COLOR' in env));
        expect(term.text).toBe(piped.stdout);
      }
    }
  });

  it('an unknown command or option exits 2', () => {
    for (const args of [['frobnicate'], ['scan', '--no-such-option', '.']]) {
      const r = runCli(args);
      expect(r.code, describeRun(args, r)).toBe(2);
      expect(r.stderr).toMatch(/unknown (command|option)/);
    }
  });

  it('rules lists every rule; rules --json agrees', () => {
    expect(ruleIds.length).toBeGreaterThan(0);
    for (const id of ruleIds) expect(id).toMatch(/^[a-z][a-z0-9]*\/[a-z0-9]+(?:-[a-z0-9]+)*$/);
    expect(new Set(ruleIds).size).toBe(ruleIds.length);
    const json = JSON.parse(runCli(['rules', '--json']).stdout) as { id: string; severity: string; safety: string; title: string }[];
    for (const r of json) {
      expect(['critical', 'high', 'medium', 'low']).toContain(r.severity);
      expect(['safe', 'review']).toContain(r.safety);
      expect(r.title.length).toBeGreaterThan(0);
    }
    const text = runCli(['rules']);
    expect(text.code).toBe(0);
    expect(hasAnsi(text.stdout), 'no colour when stdout is not a terminal').toBe(false);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+SEVERITY\s+SAFETY\s+TITLE$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(json.map((r) => r.id));
    for (const r of json) expect(text.stdout).toContain(r.title);
  });

  it('explain documents a rule of every area; an unknown rule exits 2', async () => {
    const all = JSON.parse(runCli(['rules', '--json']).stdout) as { id: string; title: string }[];
    // One rule per area (the registry test checks every rule's docs; this checks the command).
    const json = all.filter((r, i) => all.findIndex((x) => x.id.split('/')[0] === r.id.split('/')[0]) === i);
    const results = await runCliMany(json.map((r) => ['explain', r.id]));
    for (const [i, r] of json.entries()) {
      const e = results[i]!;
      expect(e.code, describeRun(['explain', r.id], e)).toBe(0);
      expect(e.stdout.split('\n')[0]).toBe(`${r.id} — ${r.title}`);
      expect(e.stdout).toContain('Why it matters');
      expect(e.stdout).toContain('What the fix does');
      expect(hasAnsi(e.stdout)).toBe(false);
    }
    const bad = runCli(['explain', 'nope/not-a-rule']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown rule "nope/not-a-rule"');
    expect(bad.stdout).toBe('');
  });

  it('colour: on with FORCE_COLOR, off with NO_COLOR or --no-color', async () => {
    const dir = copyProject('demo');
    // A few fast rules are enough to get findings and a patch (colour is the CLI's business, not the rules').
    const sel = ['--only', 'nginx,compose/hardcoded-secret'];
    const forced = runCli(['scan', ...sel, dir], { env: { FORCE_COLOR: '1' } });
    expect(forced.code, describeRun(['scan', dir], forced)).toBe(1);
    expect(hasAnsi(forced.stdout), 'FORCE_COLOR=1 colours the text report').toBe(true);
    const plain = runCli(['scan', ...sel, dir]);
    expect(hasAnsi(plain.stdout + plain.stderr), 'no colour without a terminal').toBe(false);
    const variants: [string[], Record<string, string>][] = [
      [['scan', ...sel, dir], { FORCE_COLOR: '1', NO_COLOR: '1' }],
      [['--no-color', 'scan', ...sel, dir], { FORCE_COLOR: '1' }],
      [['scan', '--no-color', ...sel, dir], { FORCE_COLOR: '1' }],
      [['fix', '--dry-run', '--all', '--no-color', ...sel, dir], { FORCE_COLOR: '1' }],
      [['fix', '--dry-run', '--all', ...sel, dir], { FORCE_COLOR: '1', NO_COLOR: '1' }],
      [['rules'], { FORCE_COLOR: '1', NO_COLOR: '1' }],
      [['explain', ruleIds[0]!], { FORCE_COLOR: '1', NO_COLOR: '1' }],
      [['--no-color', 'rules'], { FORCE_COLOR: '1' }],
      [['--no-color', 'explain', ruleIds[0]!], { FORCE_COLOR: '1' }],
    ];
    const results = await runCliMany(variants.map(([args, env]) => ({ args, opts: { env } })));
    for (const [i, [args, env]] of variants.entries()) {
      const r = results[i]!;
      expect([0, 1], describeRun(args, r)).toContain(r.code);
      expect(hasAnsi(r.stdout + r.stderr), `${JSON.stringify(env)} shipshape ${args.join(' ')}`).toBe(false);
      expect(stripped(r.stdout)).toBe(r.stdout);
    }
    // The text is the same with and without colour, escape codes aside.
    expect(stripped(forced.stdout)).toBe(plain.stdout);
    // rules and explain colour too when forced (so the --no-color cases above test the flag).
    for (const args of [['rules'], ['explain', ruleIds[0]!]]) {
      const r = runCli(args, { env: { FORCE_COLOR: '1' } });
      expect(hasAnsi(r.stdout), `FORCE_COLOR=1 shipshape ${args.join(' ')}`).toBe(true);
    }
  });
});

function stripped(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;]*m/g, '');
}

describe('scan exit codes', () => {
  it('0 and an empty report for an empty directory', () => {
    const dir = fs.realpathSync(tmpDir());
    const { r, report } = scanJson(dir);
    expect(r.code).toBe(0);
    expect(report).toEqual({ version: 1, root: dir, findings: [], errors: [] });
    const text = runCli(['scan', dir]);
    expect(text.code).toBe(0);
    expect(text.stdout).toBe('No problems found.\n');
  });

  it('0 for a repository with nothing to report', () => {
    const dir = fs.realpathSync(tmpDir());
    fs.writeFileSync(path.join(dir, 'README.md'), '# clean\n');
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'nothing to see\n');
    const { r, report } = scanJson(dir);
    expect(r.code, describeRun(['scan', dir], r)).toBe(0);
    expect(report.findings).toEqual([]);
  });

  it('1 when there are findings', () => {
    const dir = copyProject('demo');
    const { r, report } = scanJson(dir);
    expect(report.findings.length).toBeGreaterThan(0);
    expect(r.code).toBe(1);
    expect(runCli(['scan', dir]).code).toBe(1);
  });

  it('2 for a missing path or a file', () => {
    const missing = path.join(fs.realpathSync(tmpDir()), 'does-not-exist');
    for (const cmd of [['scan'], ['scan', '--format', 'json'], ['fix', '--dry-run'], ['fix', '--yes']]) {
      const r = runCli([...cmd, missing]);
      expect(r.code, describeRun([...cmd, missing], r)).toBe(2);
      expect(r.stderr).toContain('path does not exist');
      expect(r.stdout).toBe('');
    }
    const file = path.join(fs.realpathSync(tmpDir()), 'file.txt');
    fs.writeFileSync(file, 'x\n');
    const r = runCli(['scan', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not a directory');
  });
});

// ---------------------------------------------------------------------------------------------
// Every project: contract, dry-run, patch, fix, idempotency, comments, validity
// ---------------------------------------------------------------------------------------------

const PROJECTS = projectNames();

describe('projects', () => {
  it('exist', () => {
    expect(PROJECTS).toEqual(
      expect.arrayContaining(['demo', 'docproc-ws', 'kabul-sweets', 'netra-backend', 'nuzantara-backend-rag', 'rag-profile-agent']),
    );
  });
});

interface ProjectRun {
  name: string;
  original: Map<string, Entry>;
  scan: JsonReport;
  scanCode: number | null;
  dryDir: string;
  dry: CliResult;
  fixDir: string;
  fix: CliResult;
  fixed: Map<string, Entry>;
  changed: string[];
}

const runs = new Map<string, ProjectRun>();
const prepareErrors = new Map<string, Error>();

/** Scan, dry-run and fix a fresh copy of a project (each run on its own copy). */
async function prepareRun(name: string): Promise<ProjectRun> {
  const dryDir = copyProject(name);
  const fixDir = copyProject(name);
  const original = snapshot(dryDir);
  const [scan, dry, fix] = await Promise.all([
    runCliAsync(['scan', '--format', 'json', dryDir]),
    runCliAsync(['fix', '--dry-run', '--all', dryDir]),
    runCliAsync(['fix', '--yes', '--all', fixDir]),
  ]);
  let report: JsonReport;
  try {
    report = JSON.parse(scan.stdout) as JsonReport;
  } catch (e) {
    throw new Error(`scan --format json printed invalid JSON (${(e as Error).message})\n${describeRun(['scan', '--format', 'json', dryDir], scan)}`);
  }
  const fixed = snapshot(fixDir);
  return {
    name,
    original,
    scan: report,
    scanCode: scan.code,
    dryDir,
    dry,
    fixDir,
    fix,
    fixed,
    changed: changedPaths(original, fixed).filter((p) => fixed.get(p)?.kind !== 'dir'),
  };
}

// The projects are scanned and fixed side by side once, up front; the tests below read the results.
beforeAll(async () => {
  await pool(PROJECTS, 2, async (name) => {
    try {
      runs.set(name, await prepareRun(name));
    } catch (e) {
      prepareErrors.set(name, e as Error);
    }
  });
}, 600_000);

function projectRun(name: string): ProjectRun {
  const run = runs.get(name);
  if (!run) throw prepareErrors.get(name) ?? new Error(`project ${name} was not prepared`);
  return run;
}

/** Files a patch touches, from its `diff --git` headers. */
function patchFiles(patch: string): string[] {
  return [...patch.matchAll(/^diff --git a\/(.+) b\/\1$/gm)].map((m) => m[1]!).sort();
}

for (const name of PROJECTS) {
  describe(`project ${name}`, () => {
    it('scan --format json follows the contract; exit code 1 with findings, 0 without', () => {
      const run = projectRun(name);
      checkContract(run.scan, run.dryDir);
      expect(run.scan.errors, 'every file of the project parses').toEqual([]);
      expect(run.scanCode).toBe(run.scan.findings.length ? 1 : 0);
      // The text report tells the same story.
      const text = runCli(['scan', run.dryDir]);
      expect(text.code).toBe(run.scanCode);
      for (const f of run.scan.findings) expect(text.stdout).toContain(f.rule);
      expect(text.stderr, 'no rule failures or file errors').toBe('');
    }, SLOW);

    it('fix --dry-run --all writes nothing and prints a patch that git apply and patch -p1 accept', () => {
      const run = projectRun(name);
      expect(run.dry.code, describeRun(['fix', '--dry-run', '--all'], run.dry)).toBe(0);
      expectUnchanged(run.original, snapshot(run.dryDir), 'after fix --dry-run');
      const fixable = run.scan.findings.filter((f) => f.fixable);
      if (fixable.length === 0) {
        expect(run.dry.stdout).toBe('');
        return;
      }
      const patch = run.dry.stdout;
      expect(patch).toMatch(/^diff --git /);
      expect(patchFiles(patch)).toEqual(run.changed);

      const work = fs.realpathSync(tmpDir('shipshape-e2e-patch-'));
      const patchFile = writePatch(work, 'fix.patch', patch);

      // git apply, in a git repository holding the original tree.
      const repo = copyProject(name);
      initRepo(repo);
      const check = gitApply(repo, patchFile, true);
      expect(check.code, `git apply --check: ${check.stderr}`).toBe(0);
      const applied = gitApply(repo, patchFile);
      expect(applied.code, `git apply: ${applied.stderr}`).toBe(0);
      const viaGit = snapshot(repo);
      expect(filesOf(viaGit), 'git apply of the dry-run patch gives what fix --yes --all writes').toEqual(filesOf(run.fixed));
      expect(modesOf(viaGit)).toEqual(modesOf(run.fixed));

      // patch -p1, in a plain copy.
      if (!hasBinary('patch')) {
        const msg = 'GNU patch is not installed: `patch -p1` is not checked (apt-get install patch)';
        if (CI) throw new Error(msg);
        console.warn(`[e2e] ${msg}`);
        return;
      }
      const plain = copyProject(name);
      const dry = patchP1(plain, patchFile, true);
      expect(dry.code, `patch -p1 --dry-run: ${dry.stdout}${dry.stderr}`).toBe(0);
      const p = patchP1(plain, patchFile);
      expect(p.code, `patch -p1: ${p.stdout}${p.stderr}`).toBe(0);
      expect(filesOf(snapshot(plain)), 'patch -p1 gives what fix --yes --all writes').toEqual(filesOf(run.fixed));
    }, SLOW);

    it('fix --yes --all applies every fixable finding, and only writes files it reports', () => {
      const run = projectRun(name);
      expect(run.fix.code, describeRun(['fix', '--yes', '--all'], run.fix)).toBe(0);
      expect(run.fix.stdout, 'fix --yes prints its report on stderr').toBe('');
      const wrote = [...run.fix.stderr.matchAll(/^wrote (.+)$/gm)].map((m) => m[1]!).sort();
      expect(wrote).toEqual(run.changed);
      const fixable = run.scan.findings.filter((f) => f.fixable);
      if (fixable.length) expect(run.changed.length, 'fixable findings change something').toBeGreaterThan(0);
      else expect(run.changed).toEqual([]);
      const declined = [...run.fix.stderr.matchAll(/ not applied \((\w+)\)/g)].map((m) => m[1]!);
      expect(declined.filter((d) => d !== 'declined'), 'no conflicts or invalid fixes').toEqual([]);
      // What is left of the original fixable findings: exactly the declined ones.
      const { report } = scanJson(run.fixDir);
      const left = report.findings.filter((f) => f.fixable && fixable.some((o) => o.id === f.id));
      expect(left.length, `left after fix: ${left.map((f) => `${f.rule} ${f.file}:${f.line}`).join(', ')}`).toBe(declined.length);
      expect(report.errors, 'the fixed project parses').toEqual([]);
    }, SLOW);

    it('a second fix --yes --all changes nothing', () => {
      const run = projectRun(name);
      const before = snapshot(run.fixDir);
      const again = runCli(['fix', '--dry-run', '--all', run.fixDir]);
      expect(again.code, describeRun(['fix', '--dry-run', '--all'], again)).toBe(0);
      expect(again.stdout, 'nothing left to fix').toBe('');
      const second = runCli(['fix', '--yes', '--all', run.fixDir]);
      expect(second.code, describeRun(['fix', '--yes', '--all'], second)).toBe(0);
      expect(second.stderr).not.toMatch(/^wrote /m);
      expectUnchanged(before, snapshot(run.fixDir), 'after a second fix');
    }, SLOW);

    it('keeps every comment of the files it modifies', () => {
      const run = projectRun(name);
      const problems: string[] = [];
      for (const f of run.changed) {
        const b = run.original.get(f);
        const a = run.fixed.get(f);
        if (!b || !a || b.kind !== 'file' || a.kind !== 'file') continue;
        const allowed = MAY_DROP[name]?.[f] ?? [];
        for (const c of lostComments(f, b.bytes!.toString('utf8'), a.bytes!.toString('utf8'))) {
          if (!allowed.some((x) => x.comment === c)) problems.push(`${f}: lost comment ${JSON.stringify(c)}`);
        }
      }
      expect(problems).toEqual([]);
    }, SLOW);

    it('leaves every file it writes valid (parsers, Compose Specification, python3 compile)', async () => {
      const run = projectRun(name);
      await checkValid(run.fixDir, run.changed.filter((f) => run.fixed.has(f)));
    }, SLOW);
  });
}

// ---------------------------------------------------------------------------------------------
// Selection, modes, refusals
// ---------------------------------------------------------------------------------------------

describe('rule selection', () => {
  it('--only <area> reports and fixes only that area; --skip <area> the rest', () => {
    const dir = copyProject('demo');
    const all = scanJson(dir).report.findings;
    const present = [...new Set(all.map((f) => f.rule.split('/')[0]!))].sort();
    expect(present.length, 'the demo project has findings in several areas').toBeGreaterThan(1);
    const areas = present.filter((a) => ['dockerfile', 'compose', 'nginx'].includes(a));
    expect(areas.length).toBeGreaterThan(0);
    for (const area of areas) {
      const only = scanJson(dir, ['--only', area]).report.findings;
      const skip = scanJson(dir, ['--skip', area]).report.findings;
      expect(only.length).toBeGreaterThan(0);
      expect(only.every((f) => f.rule.startsWith(`${area}/`)), `--only ${area}`).toBe(true);
      expect(skip.some((f) => f.rule.startsWith(`${area}/`)), `--skip ${area}`).toBe(false);
      expect([...only, ...skip].map((f) => f.id).sort(), '--only and --skip partition the findings').toEqual(all.map((f) => f.id).sort());
    }
    // A rule id works as a selector too, and a list of them.
    const oneRule = all[0]!.rule;
    expect(scanJson(dir, ['--only', oneRule]).report.findings.map((f) => f.id).sort()).toEqual(
      all.filter((f) => f.rule === oneRule).map((f) => f.id).sort(),
    );
    const two = [...new Set(all.map((f) => f.rule))].slice(0, 2);
    expect(scanJson(dir, ['--only', two.join(',')]).report.findings.every((f) => two.includes(f.rule))).toBe(true);
  }, SLOW);

  it('fix --only dockerfile touches only what the dockerfile rules fix', () => {
    const dir = copyProject('demo');
    const findings = scanJson(dir, ['--only', 'dockerfile']).report.findings.filter((f) => f.fixable);
    expect(findings.length, 'the demo project has fixable Dockerfile findings').toBeGreaterThan(0);
    const before = snapshot(dir);
    const r = runCli(['fix', '--yes', '--all', '--only', 'dockerfile', dir]);
    expect(r.code, describeRun(['fix', '--yes', '--all', '--only', 'dockerfile', dir], r)).toBe(0);
    const changed = changedPaths(before, snapshot(dir));
    expect(changed).toContain('Dockerfile');
    // Findings of other areas are all still there, untouched.
    const others = scanJson(copyProject('demo'), ['--skip', 'dockerfile']).report.findings.map((f) => f.id).sort();
    expect(scanJson(dir, ['--skip', 'dockerfile']).report.findings.map((f) => f.id).sort()).toEqual(others);
    expect(scanJson(dir, ['--only', 'dockerfile']).report.findings.filter((f) => f.fixable)).toEqual([]);
  }, SLOW);

  it('an unknown rule or area exits 2 and writes nothing', () => {
    const dir = copyProject('demo');
    const before = snapshot(dir);
    for (const args of [
      ['scan', '--only', 'nope/not-a-rule', dir],
      ['scan', '--skip', 'nosucharea', dir],
      ['fix', '--yes', '--only', 'nope/not-a-rule', dir],
      ['fix', '--dry-run', '--skip', 'dockerfile,bogus', dir],
    ]) {
      const r = runCli(args);
      expect(r.code, describeRun(args, r)).toBe(2);
      expect(r.stderr).toMatch(/unknown rule or area "(nope\/not-a-rule|nosucharea|bogus)"/);
      expect(r.stdout).toBe('');
    }
    expectUnchanged(before, snapshot(dir), 'after refused runs');
  });
});

describe('fix modes', () => {
  it('--yes applies safe fixes only; --all adds the review ones', () => {
    const dir = copyProject('demo');
    const findings = scanJson(dir).report.findings.filter((f) => f.fixable);
    const safe = findings.filter((f) => f.safety === 'safe');
    const review = findings.filter((f) => f.safety === 'review');
    expect(safe.length, 'demo has safe fixes').toBeGreaterThan(0);
    expect(review.length, 'demo has review fixes').toBeGreaterThan(0);

    const before = snapshot(dir);
    const r = runCli(['fix', '--yes', dir]);
    expect(r.code, describeRun(['fix', '--yes', dir], r)).toBe(0);
    expect(r.stderr).toContain(`${review.length} fix${review.length === 1 ? '' : 'es'} marked review not included (add --all)`);
    const afterSafe = scanJson(dir).report.findings;
    for (const f of safe) expect(afterSafe.some((x) => x.id === f.id), `safe ${f.rule} ${f.file} fixed`).toBe(false);
    for (const f of review) expect(afterSafe.some((x) => x.id === f.id), `review ${f.rule} ${f.file} left alone`).toBe(true);
    const safeChanged = changedPaths(before, snapshot(dir));
    expect(safeChanged.length).toBeGreaterThan(0);

    // The dry-run without --all is the same selection.
    const dryDir = copyProject('demo');
    const dry = runCli(['fix', '--dry-run', dryDir]);
    expect(patchFiles(dry.stdout)).toEqual(safeChanged.filter((p) => !fs.statSync(path.join(dir, p)).isDirectory()));

    // --all on top of the safe fixes applies the review ones.
    const r2 = runCli(['fix', '--yes', '--all', dir]);
    expect(r2.code, describeRun(['fix', '--yes', '--all', dir], r2)).toBe(0);
    const declined = (r2.stderr.match(/ not applied \(declined\)/g) ?? []).length;
    const afterAll = scanJson(dir).report.findings;
    expect(review.filter((f) => afterAll.some((x) => x.id === f.id)).length, 'review findings left').toBe(declined);
  }, SLOW);

  it('fix without a terminal and without --yes or --dry-run exits 2 and writes nothing', () => {
    const dir = copyProject('demo');
    const before = snapshot(dir);
    for (const args of [['fix', dir], ['fix', '--all', dir]]) {
      const r = runCli(args, { input: 'y\ny\ny\n' });
      expect(r.code, describeRun(args, r)).toBe(2);
      expect(r.stderr).toContain('fix is interactive and needs a terminal; use --dry-run to see the patch or --yes to apply without asking');
      expect(r.stdout).toBe('');
    }
    expectUnchanged(before, snapshot(dir), 'after refused fix');
  });

  it('--dry-run --output writes the patch to a file; --output without --dry-run exits 2', () => {
    const dir = copyProject('demo');
    const out = path.join(fs.realpathSync(tmpDir()), 'fix.patch');
    const before = snapshot(dir);
    const r = runCli(['fix', '--dry-run', '--all', '--output', out, dir]);
    expect(r.code, describeRun(['fix', '--dry-run', '--all', '--output', out], r)).toBe(0);
    expect(r.stdout).toBe('');
    expect(fs.readFileSync(out, 'utf8')).toBe(runCli(['fix', '--dry-run', '--all', dir]).stdout);
    expect(r.stderr).toMatch(/\d+ fix(es)? planned/);
    expectUnchanged(before, snapshot(dir), 'after --dry-run --output');
    const bad = runCli(['fix', '--yes', '--output', out, dir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--output goes with --dry-run');
    expectUnchanged(before, snapshot(dir), 'after a refused --output');
  });

  it('scan --output writes the report to a file', () => {
    const dir = copyProject('demo');
    const out = path.join(fs.realpathSync(tmpDir()), 'report.json');
    const r = runCli(['scan', '--format', 'json', '--output', out, dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(JSON.parse(fs.readFileSync(out, 'utf8'))).toEqual(scanJson(dir).report);
  });
});

// ---------------------------------------------------------------------------------------------
// File formats: CRLF stays CRLF, a BOM stays, permissions stay
// ---------------------------------------------------------------------------------------------

describe('file formats', () => {
  const crlf = (b: Buffer) => Buffer.from(b.toString('utf8').replace(/\r?\n/g, '\r\n'), 'utf8');
  const bom = (b: Buffer) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), b]);

  function variant(transform: (b: Buffer) => Buffer): { dir: string; files: string[]; ref: ProjectRun } {
    const ref = projectRun('demo');
    const modified = ref.changed.filter((f) => ref.original.has(f));
    expect(modified.length, 'demo has files the fixes modify').toBeGreaterThan(0);
    const dir = copyProject('demo');
    for (const f of modified) fs.writeFileSync(path.join(dir, f), transform(fs.readFileSync(path.join(dir, f))));
    return { dir, files: modified, ref };
  }

  it('CRLF files stay CRLF, with the same changes as their LF originals', () => {
    const { dir, files, ref } = variant(crlf);
    // The dry-run patch of CRLF files applies too (its lines carry the CR).
    const repo = fs.realpathSync(tmpDir('shipshape-e2e-crlf-'));
    copyTree(dir, repo);
    initRepo(repo);
    const dry = runCli(['fix', '--dry-run', '--all', dir]);
    expect(dry.code, describeRun(['fix', '--dry-run', '--all', dir], dry)).toBe(0);
    const patchFile = writePatch(fs.realpathSync(tmpDir()), 'crlf.patch', dry.stdout);
    const applied = gitApply(repo, patchFile);
    expect(applied.code, `git apply: ${applied.stderr}`).toBe(0);
    const r = runCli(['fix', '--yes', '--all', dir]);
    expect(r.code, describeRun(['fix', '--yes', '--all', dir], r)).toBe(0);
    const got = snapshot(dir);
    for (const [p, e] of ref.fixed) {
      if (e.kind !== 'file') continue;
      const want = files.includes(p) ? crlf(e.bytes!) : e.bytes!;
      expect(got.get(p)?.bytes?.toString('utf8'), p).toBe(want.toString('utf8'));
    }
    expect([...got.keys()]).toEqual([...ref.fixed.keys()]);
    for (const f of files) expect(got.get(f)!.bytes!.toString('utf8'), `${f} has no lone LF`).not.toMatch(/[^\r]\n/);
    expect(filesOf(snapshot(repo)), 'git apply of the CRLF dry-run patch gives what fix --yes writes').toEqual(filesOf(got));
  }, SLOW);

  it('a UTF-8 byte order mark stays', () => {
    const { dir, files, ref } = variant(bom);
    const r = runCli(['fix', '--yes', '--all', dir]);
    expect(r.code, describeRun(['fix', '--yes', '--all', dir], r)).toBe(0);
    const got = snapshot(dir);
    for (const f of files) {
      expect(got.get(f)!.bytes!.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf])), `${f} keeps its BOM`).toBe(true);
      expect(got.get(f)!.bytes!.equals(bom(ref.fixed.get(f)!.bytes!)), f).toBe(true);
    }
  }, SLOW);

  it('permission bits stay (an executable Dockerfile, a private compose file)', () => {
    const ref = projectRun('demo');
    const dir = copyProject('demo');
    const modes: Record<string, number> = { Dockerfile: 0o755, 'docker-compose.yml': 0o600, 'nginx/default.conf': 0o640 };
    for (const [f, m] of Object.entries(modes)) fs.chmodSync(path.join(dir, f), m);
    const r = runCli(['fix', '--yes', '--all', dir]);
    expect(r.code, describeRun(['fix', '--yes', '--all', dir], r)).toBe(0);
    const got = snapshot(dir);
    for (const [f, m] of Object.entries(modes)) {
      expect(ref.changed, `${f} is changed by the fixes`).toContain(f);
      expect(got.get(f)!.mode.toString(8), f).toBe(m.toString(8));
      expect(got.get(f)!.bytes!.equals(ref.fixed.get(f)!.bytes!), f).toBe(true);
    }
  }, SLOW);
});

// ---------------------------------------------------------------------------------------------
// What each seed project must show (the audit reports in ../shared/seeds/)
// ---------------------------------------------------------------------------------------------

interface Expectation {
  rule: string;
  /** The file the finding is reported in (one of these; '*' for any). */
  file: string | string[];
  /** What a reader of the seed report expects the fixed tree to show. */
  fixed?: (t: Record<string, string>) => void;
  /** The finding exists but has no automatic fix (or it is not required to). */
  detectOnly?: boolean;
}

const noLiteral = (file: string, ...needles: string[]) => (t: Record<string, string>) => {
  for (const n of needles) expect(t[file], `${file} still contains ${n}`).not.toContain(n);
};

/** The final stage of a Dockerfile (from its last FROM). */
function finalStage(text: string): string {
  const starts = [...text.matchAll(/^FROM\s/gm)].map((m) => m.index!);
  return text.slice(starts.length ? starts[starts.length - 1]! : 0);
}

const finalStageUser = (file: string) => (t: Record<string, string>) => {
  const last = finalStage(t[file]!);
  const users = [...last.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1]!);
  expect(users.length, `${file}: the final stage has a USER`).toBeGreaterThan(0);
  expect(['root', '0', '0:0'], `${file}: final USER`).not.toContain(users[users.length - 1]);
};

const multiStage = (file: string, toolchain: string[]) => (t: Record<string, string>) => {
  const text = t[file]!;
  expect((text.match(/^FROM /gm) ?? []).length, `${file}: stages`).toBeGreaterThanOrEqual(2);
  const last = finalStage(text);
  for (const p of toolchain) expect(last, `${file}: final stage installs ${p}`).not.toMatch(new RegExp(`\\b${p}\\b`));
};

/**
 * In the final stage, the dependencies arrive (a `pip install` RUN, or the COPY of an environment
 * built in an earlier stage) before the sources do, so a source change does not redo that layer.
 */
const depsBeforeSources = (file: string, sources: RegExp) => (t: Record<string, string>) => {
  const last = finalStage(t[file]!);
  const deps = last.search(/^(?:RUN .*pip install|COPY --from=\S+ \/opt\/venv)/m);
  const src = last.search(sources);
  expect(deps, `${file}: dependencies in the final stage`).toBeGreaterThan(-1);
  expect(src, `${file}: sources copied in the final stage`).toBeGreaterThan(-1);
  expect(deps, `${file}: the final stage gets its dependencies before the sources`).toBeLessThan(src);
};

const EXPECT: Record<string, Expectation[]> = {
  demo: [
    { rule: 'dockerfile/non-root-user', file: 'Dockerfile', fixed: finalStageUser('Dockerfile') },
    { rule: 'dockerfile/multi-stage-build', file: 'Dockerfile', fixed: multiStage('Dockerfile', ['build-essential', 'libpq-dev']) },
    { rule: 'dockerfile/dependency-cache-order', file: 'Dockerfile', fixed: depsBeforeSources('Dockerfile', /^COPY .*\. \.$/m) },
    { rule: 'compose/migrate-service', file: 'Dockerfile', fixed: noLiteral('Dockerfile', 'alembic upgrade head') },
    { rule: 'compose/hardcoded-secret', file: 'docker-compose.yml', fixed: noLiteral('docker-compose.yml', 'demo-password') },
    { rule: 'compose/dev-reload', file: 'docker-compose.yml', fixed: noLiteral('docker-compose.yml', '--reload', './app:/app/app') },
    { rule: 'compose/healthcheck', file: 'docker-compose.yml', fixed: (t) => expect(t['docker-compose.yml']).toContain('pg_isready') },
    { rule: 'nginx/websocket-upgrade', file: 'nginx/default.conf', fixed: (t) => expect(t['nginx/default.conf']).toContain('proxy_http_version 1.1;') },
    { rule: 'repo/dockerignore', file: ['Dockerfile', 'docker-compose.yml'], fixed: (t) => expect(t['.dockerignore']).toMatch(/^(\*\*\/)?\.env$/m) },
    { rule: 'repo/env-not-ignored', file: ['.env', '.gitignore'], fixed: (t) => expect(t['.gitignore']).toMatch(/^\.env$/m) },
  ],
  'nuzantara-backend-rag': [
    { rule: 'dockerfile/non-root-user', file: 'apps/backend-rag/Dockerfile', fixed: finalStageUser('apps/backend-rag/Dockerfile') },
    { rule: 'dockerfile/multi-stage-build', file: 'apps/backend-rag/Dockerfile', fixed: multiStage('apps/backend-rag/Dockerfile', ['build-essential']) },
    {
      rule: 'dockerfile/dependency-cache-order',
      file: 'apps/backend-rag/Dockerfile',
      fixed: depsBeforeSources('apps/backend-rag/Dockerfile', /^COPY .*\*\.py/m),
    },
    { rule: 'repo/dockerignore', file: ['apps/backend-rag/Dockerfile'], fixed: (t) => expect(t['apps/backend-rag/.dockerignore']).toBeDefined() },
    { rule: 'python/settings-validation', file: 'apps/backend-rag/backend/core/config.py' },
  ],
  'rag-profile-agent': [
    {
      rule: 'compose/hardcoded-secret',
      file: 'docker-compose.yml',
      fixed: noLiteral('docker-compose.yml', 'POSTGRES_PASSWORD: postgres', 'POSTGRES_PASSWORD=postgres', 'postgres:postgres@'),
    },
    { rule: 'compose/dev-reload', file: 'docker-compose.yml', fixed: noLiteral('docker-compose.yml', '--reload', './app:/app/app') },
    { rule: 'compose/healthcheck', file: 'docker-compose.yml', fixed: (t) => expect(t['docker-compose.yml']).toContain('pg_isready') },
    { rule: 'compose/resource-limits', file: 'docker-compose.yml', fixed: (t) => expect(t['docker-compose.yml']).toContain('limits:') },
    { rule: 'compose/db-port-exposed', file: 'docker-compose.yml', fixed: noLiteral('docker-compose.yml', '- "5432:5432"', '- "6379:6379"') },
    { rule: 'repo/env-not-ignored', file: ['.env', '.gitignore'], fixed: (t) => expect(t['.gitignore']).toMatch(/^\.env$/m) },
    { rule: 'repo/dockerignore', file: ['Dockerfile.app', 'docker-compose.yml'], fixed: (t) => expect(t['.dockerignore']).toMatch(/^(\*\*\/)?\.env$/m) },
    { rule: 'dockerfile/non-root-user', file: 'Dockerfile.app', fixed: finalStageUser('Dockerfile.app') },
    { rule: 'dockerfile/multi-stage-build', file: 'Dockerfile.app', fixed: multiStage('Dockerfile.app', ['gcc', 'libpq-dev']) },
    { rule: 'python/cors-wildcard', file: 'app/main.py', fixed: noLiteral('app/main.py', 'allow_origins=["*"]') },
    { rule: 'python/weak-secret-default', file: 'app/core/config.py', fixed: noLiteral('app/core/config.py', 'SECRET_KEY: str = ""') },
  ],
  'kabul-sweets': [
    { rule: 'python/undeclared-dependency', file: 'backend/app/core/monitoring.py', fixed: (t) => expect(t['backend/pyproject.toml']).toMatch(/"sentry-sdk/) },
    {
      rule: 'python/settings-validation',
      file: 'backend/app/core/config.py',
      fixed: (t) => {
        for (const v of ['SMTP_HOST', 'SMTP_PASSWORD', 'MAILGUN_API_KEY', 'STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET', 'GEMINI_API_KEY']) {
          expect(t['backend/app/core/config.py'], `Settings declares ${v}`).toContain(v);
        }
      },
    },
    { rule: 'compose/migrate-service', file: '*', detectOnly: true },
    {
      rule: 'compose/reverse-proxy',
      file: 'docker-compose.yml',
      fixed: (t) => {
        const compose = t['docker-compose.yml']!;
        expect(compose).toMatch(/image: nginx:[\w.-]*alpine/);
        for (const port of ['"8000:8000"', '"3000:3000"']) expect(compose).not.toContain(port);
        // The admin app has no base path, so it cannot share "/": it may keep its port, but the config must say why.
        if (compose.includes('"3001:3000"')) expect(t['deploy/nginx/default.conf']).toMatch(/Not routed: admin/);
      },
    },
  ],
  'netra-backend': [
    {
      rule: 'compose/hardcoded-secret',
      file: 'docker-compose.yml',
      fixed: noLiteral('docker-compose.yml', 'dev-secret-key', 'netra-service-secret', 'ZmDfcTF7_60GrrY167zsiPd67pEvs0aGOv2oasOM1Pg=', 'netra_dev_password'),
    },
    {
      rule: 'compose/migrate-service',
      file: 'Dockerfile',
      fixed: (t) => {
        expect(t['Dockerfile']).not.toContain('alembic');
        expect(t['Dockerfile']).toMatch(/^CMD \["gunicorn", "netra_backend\.app\.main:app"/m);
        expect(t['docker-compose.yml']).toMatch(/^ {2}migrate:$/m);
        expect(t['docker-compose.yml']).toContain('service_completed_successfully');
      },
    },
    { rule: 'compose/healthcheck', file: 'docker-compose.yml', fixed: noLiteral('docker-compose.yml', '["CMD", "curl"') },
    { rule: 'compose/network-segmentation', file: 'docker-compose.yml', fixed: (t) => expect(t['docker-compose.yml']).toMatch(/internal: true/) },
    { rule: 'compose/db-port-exposed', file: 'docker-compose.yml', fixed: noLiteral('docker-compose.yml', '- "5432:5432"', '- "6379:6379"') },
    { rule: 'repo/dockerignore', file: ['Dockerfile', 'docker-compose.yml'], fixed: (t) => expect(t['.dockerignore']).toBeDefined() },
  ],
  'docproc-ws': [
    {
      rule: 'nginx/websocket-upgrade',
      file: 'nginx/conf.d/default.conf',
      fixed: (t) => {
        const conf = t['nginx/conf.d/default.conf']!;
        const ws = conf.slice(conf.indexOf('location /ws/'));
        expect(ws).toContain('proxy_http_version 1.1;');
        expect(ws).toMatch(/proxy_set_header Upgrade \$http_upgrade;/);
        expect(conf).toMatch(/map \$http_upgrade \$connection_upgrade/);
      },
    },
    { rule: 'dockerfile/exec-form', file: 'backend/Dockerfile', fixed: (t) => expect(t['backend/Dockerfile']).toMatch(/^CMD \["uvicorn", "app\.main:app"/m) },
    { rule: 'dockerfile/non-root-user', file: 'backend/Dockerfile', fixed: finalStageUser('backend/Dockerfile') },
    { rule: 'compose/healthcheck', file: 'docker-compose.yml', fixed: (t) => expect(t['docker-compose.yml']).toContain('healthcheck:') },
    { rule: 'compose/resource-limits', file: 'docker-compose.yml', fixed: (t) => expect(t['docker-compose.yml']).toContain('limits:') },
    { rule: 'repo/dockerignore', file: ['backend/Dockerfile', 'docker-compose.yml'], fixed: (t) => expect(t['backend/.dockerignore']).toBeDefined() },
  ],
};

/** Values that must never be printed by shipshape nor written by it (the compose secrets). */
const SECRETS: Record<string, string[]> = {
  demo: ['demo-password'],
  'netra-backend': ['dev-secret-key', 'netra-service-secret', 'ZmDfcTF7_60GrrY167zsiPd67pEvs0aGOv2oasOM1Pg=', 'netra_dev_password'],
};

describe('seed projects show what their audits name', () => {
  for (const [name, list] of Object.entries(EXPECT)) {
    it(`${name}: findings and fixes`, () => {
      const run = projectRun(name);
      const fixedText = filesOf(run.fixed);
      const problems: string[] = [];
      for (const e of list) {
        if (!needRule(e.rule, `${name}: ${e.file}`)) continue;
        const files = Array.isArray(e.file) ? e.file : [e.file];
        const found = run.scan.findings.filter((f) => f.rule === e.rule && (files.includes('*') || files.includes(f.file)));
        if (found.length === 0) {
          problems.push(`no ${e.rule} finding in ${e.file} (found: ${run.scan.findings.map((f) => `${f.rule} ${f.file}`).join('; ')})`);
          continue;
        }
        if (e.detectOnly || !e.fixed) continue;
        if (!found.some((f) => f.fixable)) {
          problems.push(`${e.rule} in ${e.file} is not fixable`);
          continue;
        }
        try {
          e.fixed(fixedText);
        } catch (err) {
          problems.push(`${e.rule} fix: ${(err as Error).message.split('\n')[0]}`);
        }
      }
      expect(problems).toEqual([]);
    }, SLOW);
  }

  for (const [name, secrets] of Object.entries(SECRETS)) {
    it(`${name}: hardcoded secret values appear neither in shipshape's output nor in the files it writes`, () => {
      const run = projectRun(name);
      if (!needRule('compose/hardcoded-secret', `${name}: secrets`)) return;
      // The patch shows the user's own lines it removes ('-') and keeps (' '); what it adds to the
      // compose files and .env.example must be clean. (Other rules may carry a value the user's code
      // already had, e.g. a default DSN moved into a generated Settings class; not this check's business.)
      const added = run.dry.stdout
        .split(/^(?=diff --git )/m)
        .filter((section) => /^diff --git a\/(\S+)/.test(section))
        .filter((section) => {
          const file = /^diff --git a\/(\S+)/.exec(section)![1]!;
          return classify(file) === 'compose' || file.endsWith('.env.example');
        })
        .flatMap((section) => section.split('\n').filter((l) => l.startsWith('+')))
        .join('\n');
      const texts = [added, run.dry.stderr, run.fix.stdout, run.fix.stderr, JSON.stringify(run.scan), runCli(['scan', run.dryDir]).stdout];
      for (const s of secrets) {
        for (const t of texts) expect(t.includes(s), `shipshape printed ${s}`).toBe(false);
        for (const f of run.changed.filter((p) => classify(p) === 'compose' || p.endsWith('.env.example'))) {
          expect(fs.readFileSync(path.join(run.fixDir, f), 'utf8'), `${f}`).not.toContain(s);
        }
      }
    }, SLOW);
  }
});
