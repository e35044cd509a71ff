// The result cache of `scan` (src/engine/cache.ts): a rule's findings are reused only while
// everything its detection read is unchanged. The invariant every test checks: the report of a
// scan that uses the cache is byte-identical to the report of a scan without it (--no-cache), on
// the bundled projects and after each kind of change a cached result must notice.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { changedPaths, copyProject, describeRun, filesOf, projectNames, PtySession, runCli, runCliMany, snapshot, PROJECTS_DIR, type CliResult } from './helpers/cli.js';
import { tmpDir } from './helpers/tree.js';

/** `fix` in a terminal: the prompt waiting for an answer, and how the session ends (see interactive.test.ts). */
const PROMPT = /Apply this fix\? \((safe|review)\) \((Ynasqh|yNasqh)\)/;
const END = /(\d+) fix(?:es)? applied to (\d+) files?\.|No fixes accepted; nothing written\.|Aborted: nothing was written\./;

/** Rules reused and rules run, from the SHIPSHAPE_TIMING line. */
function reuse(r: CliResult): { reused: number; run: number } {
  const m = /result cache: (\d+) rules reused, (\d+) run/.exec(r.stderr);
  if (!m) throw new Error(`no result cache line in stderr:\n${r.stderr.slice(0, 2000)}`);
  return { reused: Number(m[1]), run: Number(m[2]) };
}

/** stderr without the timing lines. */
function messages(r: CliResult): string {
  return r.stderr
    .split('\n')
    .filter((l) => !l.startsWith('shipshape timing:'))
    .join('\n');
}

function scanner(cacheDir: string) {
  const env = { SHIPSHAPE_CACHE_DIR: cacheDir, SHIPSHAPE_TIMING: '1' };
  return {
    cached: (dir: string, extra: string[] = []) => runCli(['scan', '--format', 'json', ...extra, dir], { env }),
    uncached: (dir: string, extra: string[] = []) => runCli(['scan', '--no-cache', '--format', 'json', ...extra, dir], { env }),
  };
}

/** A cached scan and an uncached one must agree exactly (report, messages, exit code). */
function expectSame(cached: CliResult, uncached: CliResult, what: string): void {
  expect(cached.stdout, what).toBe(uncached.stdout);
  expect(messages(cached), what).toBe(messages(uncached));
  expect(cached.code, what).toBe(uncached.code);
}

describe('result cache', () => {
  it('on every bundled project: the first cached scan and the next one (every rule reused, nothing parsed) report what a scan without the cache reports', async () => {
    const cacheDir = path.join(tmpDir('shipshape-rc-'), 'cache');
    const env = { SHIPSHAPE_CACHE_DIR: cacheDir, SHIPSHAPE_TIMING: '1' };
    const names = projectNames();
    const runs = await runCliMany(
      names.map((n) => ({ args: ['scan', '--no-cache', '--format', 'json', path.join(PROJECTS_DIR, n)], opts: { env } })),
      3,
    );
    for (const [i, n] of names.entries()) {
      const dir = path.join(PROJECTS_DIR, n);
      const first = runCli(['scan', '--format', 'json', dir], { env });
      expectSame(first, runs[i]!, `${n}, first cached scan`);
      expect(reuse(first).reused, n).toBe(0);
      const second = runCli(['scan', '--format', 'json', dir], { env });
      expectSame(second, runs[i]!, `${n}, second cached scan`);
      expect(reuse(second), n).toEqual({ reused: reuse(first).run, run: 0 });
      expect(second.stderr, n).toContain('python parses: 0 for rules');
      // The text and SARIF reports go through the same findings.
      for (const format of ['text', 'sarif']) {
        const cachedRun = runCli(['scan', '--format', format, dir], { env });
        expect(reuse(cachedRun).run, `${n} ${format}`).toBe(0);
        expect(cachedRun.stdout, `${n} ${format}`).toBe(runCli(['scan', '--no-cache', '--format', format, dir], { env }).stdout);
      }
    }
  });

  it('notices each kind of change: file content, a file added, a file removed, a mode, a syntax error, the config', () => {
    const cacheDir = path.join(tmpDir('shipshape-rc-'), 'cache');
    const { cached, uncached } = scanner(cacheDir);
    const dir = copyProject('demo', 'shipshape-rc-demo-');
    const all = reuse(cached(dir)).run;
    expect(all).toBeGreaterThan(10);
    expect(reuse(cached(dir))).toEqual({ reused: all, run: 0 });

    const step = (what: string, change: () => void) => {
      change();
      const c = cached(dir);
      expectSame(c, uncached(dir), what);
      return c;
    };

    // Content: the image now runs as a user; the Dockerfile's rules run again, the others are reused.
    const docker = path.join(dir, 'Dockerfile');
    let c = step('Dockerfile gains a USER', () => fs.appendFileSync(docker, 'USER nobody\n'));
    expect(JSON.parse(c.stdout).findings.some((f: { rule: string }) => f.rule === 'dockerfile/non-root-user')).toBe(false);
    const r1 = reuse(c);
    expect(r1.run).toBeGreaterThan(0);
    expect(r1.reused).toBeGreaterThan(0);
    expect(r1.run + r1.reused).toBe(all);

    // A file added anywhere: every rule runs again, and the new file's findings are there.
    c = step('a compose file added', () => {
      fs.mkdirSync(path.join(dir, 'extra'));
      fs.writeFileSync(path.join(dir, 'extra', 'compose.yml'), 'services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: hunter2\n');
    });
    expect(reuse(c)).toEqual({ reused: 0, run: all });
    expect(JSON.parse(c.stdout).findings.some((f: { file: string; rule: string }) => f.file === 'extra/compose.yml' && f.rule === 'compose/hardcoded-secret')).toBe(true);

    c = step('the compose file removed again', () => fs.rmSync(path.join(dir, 'extra'), { recursive: true }));
    expect(reuse(c).run).toBe(all);

    // A mode: what a rule read includes the file's mode.
    const env = path.join(dir, 'app', 'config.py');
    c = step('chmod +x on a Python module', () => fs.chmodSync(env, 0o755));
    expect(reuse(c).run).toBeGreaterThan(0);
    expect(reuse(c).reused).toBeGreaterThan(0);

    // A syntax error: reported by the scan that finds it, and again by the next one, which reuses every rule.
    const broken = step('a syntax error in the settings module', () => fs.appendFileSync(env, 'def broken(:\n    pass\n'));
    expect(messages(broken)).toContain('app/config.py:');
    expect(messages(broken)).toContain('Python syntax error');
    const again = cached(dir);
    expect(reuse(again)).toEqual({ reused: all, run: 0 });
    expectSame(again, uncached(dir), 'the syntax error, from the cache');

    // The same bytes again: the results for those bytes are taken again (the cache holds the latest).
    step('the syntax error fixed', () => fs.writeFileSync(env, fs.readFileSync(path.join(PROJECTS_DIR, 'demo', 'app', 'config.py'))));

    // Configuration: a rule's options, a severity, a disabled rule.
    c = step('a config file', () =>
      fs.writeFileSync(path.join(dir, '.shipshape.yml'), 'rules:\n  compose/hardcoded-secret: off\n  dockerfile/exec-form:\n    severity: critical\n'),
    );
    expect(JSON.parse(c.stdout).findings.some((f: { rule: string }) => f.rule === 'compose/hardcoded-secret')).toBe(false);
    // The same file list, other settings: a rule's options and the paths ignored.
    c = step('the config changed', () =>
      fs.writeFileSync(path.join(dir, '.shipshape.yml'), 'ignore:\n  - alembic/**\nrules:\n  dockerfile/non-root-user:\n    user: api\n    uid: 10001\n'),
    );
    expect(JSON.parse(c.stdout).findings.some((f: { rule: string }) => f.rule === 'compose/hardcoded-secret')).toBe(true);
    expect(JSON.parse(c.stdout).findings.some((f: { file: string }) => f.file.startsWith('alembic/'))).toBe(false);

    // Options that change what is read start afresh.
    c = cached(dir, ['--max-file-size', '100000']);
    expectSame(c, uncached(dir, ['--max-file-size', '100000']), '--max-file-size');
    expect(reuse(c).reused).toBe(0);
  });

  it('is a private file, never written with --no-cache or SHIPSHAPE_CACHE_DIR=off, and a corrupt or foreign-writable one is not used', () => {
    const root = tmpDir('shipshape-rc-');
    const cacheDir = path.join(root, 'cache');
    const { cached, uncached } = scanner(cacheDir);
    const dir = copyProject('demo', 'shipshape-rc-demo-');
    const base = uncached(dir);
    expect(fs.existsSync(cacheDir) && fs.readdirSync(cacheDir).some((f) => f.startsWith('results-'))).toBe(false);
    const off = runCli(['scan', '--format', 'json', dir], { env: { SHIPSHAPE_CACHE_DIR: 'off', SHIPSHAPE_TIMING: '1' } });
    expect(off.stdout).toBe(base.stdout);
    expect(off.stderr).not.toContain('result cache');

    const first = cached(dir);
    expectSame(first, base, 'first');
    const results = fs.readdirSync(cacheDir).filter((f) => f.startsWith('results-'));
    expect(results).toHaveLength(1);
    const file = path.join(cacheDir, results[0]!);
    expect(fs.statSync(cacheDir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const all = reuse(first).run;

    // Every rule reused: the file is not written again.
    const written = fs.statSync(file).mtimeMs;
    expect(reuse(cached(dir)).reused).toBe(all);
    expect(fs.statSync(file).mtimeMs).toBe(written);

    // Corrupt: not used, the report is the same, and it is written again whole.
    fs.writeFileSync(file, '{"format":1,"tool":');
    const corrupt = cached(dir);
    expectSame(corrupt, base, 'corrupt cache');
    expect(reuse(corrupt).reused).toBe(0);
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).format).toBe(1);
    expect(reuse(cached(dir)).reused).toBe(all);

    // Writable by others: somebody else could have written it; not read.
    fs.chmodSync(file, 0o666);
    const foreign = cached(dir);
    expectSame(foreign, base, 'group/other-writable cache');
    expect(reuse(foreign).reused).toBe(0);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('with --from, --report-unused-suppressions and --fail-on, a scan that reuses every rule says what an uncached one says', () => {
    const cacheDir = path.join(tmpDir('shipshape-rc-'), 'cache');
    const { cached, uncached } = scanner(cacheDir);
    const dir = copyProject('demo', 'shipshape-rc-demo-');
    // One suppression that matches a finding, one that matches nothing.
    const docker = path.join(dir, 'Dockerfile');
    fs.writeFileSync(docker, '# shipshape-ignore dockerfile/non-root-user: the platform runs it as a random uid\n# shipshape-ignore dockerfile/exec-form\n' + fs.readFileSync(docker, 'utf8'));
    const reports = path.join(path.dirname(PROJECTS_DIR), '..', 'test', 'fixtures-intake', 'reports');
    const webapp = path.join(path.dirname(PROJECTS_DIR), '..', 'test', 'fixtures-intake', 'webapp');
    const runs: [string, string[]][] = [
      [dir, ['--report-unused-suppressions']],
      [dir, ['--fail-on', 'critical']],
      [webapp, ['--from', path.join(reports, 'kics.sarif'), '--from', path.join(reports, 'hadolint.json')]],
    ];
    for (const [d, extra] of runs) {
      cached(d, extra);
      const c = cached(d, extra);
      expect(reuse(c).run, extra.join(' ')).toBe(0);
      expectSame(c, uncached(d, extra), extra.join(' '));
    }
    const unused = uncached(dir, ['--report-unused-suppressions']);
    expect(messages(unused)).toContain('unused suppression of dockerfile/exec-form');
  });

  it('fix takes its first scan from the cache: the same patches (dry run), the same files written (--yes), the same review (terminal)', async () => {
    const cacheDir = path.join(tmpDir('shipshape-rc-'), 'cache');
    const env = { SHIPSHAPE_CACHE_DIR: cacheDir, SHIPSHAPE_TIMING: '1' };
    for (const n of projectNames()) {
      const dir = path.join(PROJECTS_DIR, n);
      const args = ['fix', '--dry-run', '--all', dir];
      const uncached = runCli(['fix', '--no-cache', '--dry-run', '--all', dir], { env });
      runCli(['scan', '--format', 'json', dir], { env });
      const cached = runCli(args, { env });
      expect(cached.stdout, describeRun(args, cached)).toBe(uncached.stdout);
      expect(messages(cached), n).toBe(messages(uncached));
      expect(cached.code, n).toBe(uncached.code);
      expect(reuse(cached), n).toEqual({ reused: reuse(runCli(['scan', '--format', 'json', dir], { env })).reused, run: 0 });
    }

    // Applied: the files written are byte for byte those of a run without the cache.
    const a = copyProject('demo', 'shipshape-rc-a-');
    const b = copyProject('demo', 'shipshape-rc-b-');
    runCli(['scan', '--format', 'json', a], { env });
    const ra = runCli(['fix', '--yes', '--all', a], { env });
    expect(reuse(ra).run, describeRun(['fix', '--yes', '--all', a], ra)).toBe(0);
    const rb = runCli(['fix', '--no-cache', '--yes', '--all', b], { env });
    expect(ra.code).toBe(rb.code);
    expect(filesOf(snapshot(a))).toEqual(filesOf(snapshot(b)));
    // ... and fixing again proposes nothing, with the cache (the files changed: the rules run) or without.
    expect(runCli(['fix', '--dry-run', '--all', a], { env }).stdout).toBe('');

    // In a terminal: the same first fix shown, and "a" writes the same files.
    const c = copyProject('demo', 'shipshape-rc-c-');
    const d = copyProject('demo', 'shipshape-rc-d-');
    const before = snapshot(c);
    runCli(['scan', '--format', 'json', c], { env });
    const shown: string[] = [];
    for (const [dir, extra] of [[c, []], [d, ['--no-cache']]] as [string, string[]][]) {
      const s = new PtySession(['fix', ...extra, dir], { env: { ...env, NO_COLOR: '1' } });
      try {
        const block = await s.expect(PROMPT);
        shown.push(block.slice(block.indexOf('[1/')).replaceAll(dir, '<dir>'));
        s.answer('a');
        await s.expect(END);
        expect((await s.wait()).code).toBe(0);
        if (dir === c) expect(reuse({ code: 0, signal: null, stdout: '', stderr: s.text }).run).toBe(0);
      } finally {
        s.kill();
      }
    }
    expect(shown[0]).toBe(shown[1]);
    expect(changedPaths(before, snapshot(c)).length).toBeGreaterThan(0);
    expect(filesOf(snapshot(c))).toEqual(filesOf(snapshot(d)));
  }, 240_000);

  it('scanning two repositories keeps one result file each; an entry never answers for another root', () => {
    const cacheDir = path.join(tmpDir('shipshape-rc-'), 'cache');
    const { cached, uncached } = scanner(cacheDir);
    const a = copyProject('demo', 'shipshape-rc-a-');
    const b = copyProject('demo', 'shipshape-rc-b-');
    fs.appendFileSync(path.join(b, 'Dockerfile'), 'USER nobody\n');
    expectSame(cached(a), uncached(a), 'a');
    const rb = cached(b);
    expectSame(rb, uncached(b), 'b');
    expect(reuse(rb).reused).toBe(0);
    expect(fs.readdirSync(cacheDir).filter((f) => f.startsWith('results-'))).toHaveLength(2);
    expect(reuse(cached(a)).run).toBe(0);
    expect(reuse(cached(b)).run, describeRun(['scan', b], rb)).toBe(0);
  });
});
