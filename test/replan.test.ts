// The interactive review in a real pseudo-terminal (util-linux `script`), with a file edited on disk
// while the review is open: at write time the CLI names the file, writes nothing, and offers to
// re-plan; yes reviews again against the new contents, no leaves the user's edit alone.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openWorkspace, planFixes } from '../src/api.js';
import { ruleById } from '../src/registry.js';
import { CLI } from './helpers/tree.js';

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>78]/g;

/** `node dist/cli.js …` in a pseudo-terminal; what the test types goes to the terminal as keys. */
class Pty {
  readonly proc: ChildProcess;
  private raw = '';
  private mark = 0;
  readonly done: Promise<number | null>;

  constructor(args: string[]) {
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} does not exist: run \`npm run build\` first (\`npm test\` does it)`);
    const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const cmd = `stty cols 200 rows 60 2>/dev/null; exec ${[process.execPath, CLI, ...args].map(quote).join(' ')}`;
    const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color', NO_COLOR: '1' };
    delete env.FORCE_COLOR;
    delete env.SHIPSHAPE_FAULT;
    this.proc = spawn('script', ['-qfec', cmd, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    for (const s of [this.proc.stdout!, this.proc.stderr!]) {
      s.setEncoding('utf8');
      s.on('data', (d: string) => (this.raw += d));
    }
    this.done = new Promise((resolve) => this.proc.on('close', (code) => resolve(code)));
  }

  get text(): string {
    return this.raw.replace(ANSI, '').replace(/\r/g, '');
  }

  /** Wait for text after what earlier calls consumed; returns the output up to and including it. */
  async expect(needle: string, timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rest = this.text.slice(this.mark);
      const i = rest.indexOf(needle);
      if (i >= 0) {
        this.mark += i + needle.length;
        return rest.slice(0, i + needle.length);
      }
      if (this.proc.exitCode !== null || Date.now() > deadline) {
        throw new Error(`waiting for ${JSON.stringify(needle)} (exit ${this.proc.exitCode}); output since the last match:\n${rest}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Type a key and Enter (a terminal sends a carriage return). */
  answer(key: string): void {
    this.proc.stdin!.write(`${key}\r`);
  }

  async exit(timeoutMs = 60_000): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const t = new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`no exit; output:\n${this.text}`)), timeoutMs)));
    try {
      return await Promise.race([this.done, t]);
    } finally {
      clearTimeout(timer);
    }
  }

  kill(): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
  }
}

const sessions: Pty[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const s of sessions.splice(0)) s.kill();
});
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const hasScript = spawnSync('sh', ['-c', 'command -v script'], { encoding: 'utf8' }).status === 0;
if (!hasScript) console.log('replan tests skipped: util-linux `script` is not installed (apt-get install bsdutils)');

const RULES = ['dockerfile/non-root-user', 'dockerfile/exec-form'];
const DOCKERFILE = 'FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nCMD python app.py\n';
/** What the user saves in their editor while the review is open. */
const EDITED = 'FROM python:3.12-slim\n# edited while the review was open\nWORKDIR /app\nCOPY . .\nRUN pip install flask\nCMD python app.py\n';

function repo(files: Record<string, string>): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-replan-')));
  dirs.push(dir);
  for (const [f, t] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), t);
  return dir;
}

/** What fixing the given files with the two rules (review fixes included) gives, through the API. */
async function expectedFix(files: Record<string, string>): Promise<string> {
  const dir = repo(files);
  const opts = { rules: RULES.map((id) => ruleById(id)!), all: true };
  const plan = await planFixes(openWorkspace(dir, opts), opts);
  expect(plan.changes.map((c) => c.file)).toEqual(['Dockerfile']);
  return plan.changes[0]!.after;
}

function start(dir: string): Pty {
  const s = new Pty(['fix', '--only', RULES.join(','), dir]);
  sessions.push(s);
  return s;
}

describe.skipIf(!hasScript)('interactive fix: a file edited on disk during the review', () => {
  it('says which file changed, and re-plans with the new contents on yes', async () => {
    const dir = repo({ Dockerfile: DOCKERFILE, '.dockerignore': '.git\n' });
    const s = start(dir);
    await s.expect('[1/2]');
    await s.expect('Apply this fix?');
    s.answer('y');
    await s.expect('[2/2]');
    await s.expect('Apply this fix?');
    fs.writeFileSync(path.join(dir, 'Dockerfile'), EDITED); // saved in the editor meanwhile
    s.answer('y');
    await s.expect('changed on disk Dockerfile: changed on disk since it was read; not overwritten');
    await s.expect('Re-plan with the new contents?');
    expect(fs.readFileSync(path.join(dir, 'Dockerfile'), 'utf8')).toBe(EDITED);
    s.answer('y');
    await s.expect('Re-planning with the new contents.');
    // The review starts again, on the edited file: its new lines show in the patch.
    const first = await s.expect('Apply this fix?');
    expect(first).toContain('[1/2]');
    expect(first).toContain('# edited while the review was open');
    s.answer('y');
    await s.expect('[2/2]');
    await s.expect('Apply this fix?');
    s.answer('y');
    await s.expect('wrote Dockerfile');
    await s.expect('2 fixes applied to 1 file.');
    expect(await s.exit()).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'Dockerfile'), 'utf8')).toBe(await expectedFix({ Dockerfile: EDITED, '.dockerignore': '.git\n' }));
  });

  it('writes nothing and keeps the edit on no', async () => {
    const dir = repo({ Dockerfile: DOCKERFILE, '.dockerignore': '.git\n', 'app.py': 'print("hi")\n' });
    const s = start(dir);
    await s.expect('Apply this fix?');
    fs.writeFileSync(path.join(dir, 'Dockerfile'), EDITED);
    s.answer('y');
    await s.expect('Apply this fix?');
    s.answer('y');
    await s.expect('changed on disk Dockerfile: changed on disk since it was read; not overwritten');
    await s.expect('Re-plan with the new contents?');
    s.answer('n');
    await s.expect('Nothing was written.');
    expect(await s.exit()).toBe(1);
    expect(fs.readFileSync(path.join(dir, 'Dockerfile'), 'utf8')).toBe(EDITED);
    expect(fs.readdirSync(dir).sort()).toEqual(['.dockerignore', 'Dockerfile', 'app.py']);
  });

  it('an edit to a file no accepted fix touches does not stop the write', async () => {
    const dir = repo({ Dockerfile: DOCKERFILE, '.dockerignore': '.git\n', 'app.py': 'print("hi")\n' });
    const s = start(dir);
    await s.expect('Apply this fix?');
    fs.writeFileSync(path.join(dir, 'app.py'), 'print("edited")\n');
    s.answer('y');
    await s.expect('Apply this fix?');
    s.answer('y');
    await s.expect('wrote Dockerfile');
    expect(await s.exit()).toBe(0);
    expect(s.text).not.toContain('changed on disk');
    expect(fs.readFileSync(path.join(dir, 'Dockerfile'), 'utf8')).toBe(await expectedFix({ Dockerfile: DOCKERFILE, '.dockerignore': '.git\n' }));
    expect(fs.readFileSync(path.join(dir, 'app.py'), 'utf8')).toBe('print("edited")\n');
  });
});
