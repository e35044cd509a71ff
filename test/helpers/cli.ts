// Spawn helpers for the end-to-end tests: run the BUILT CLI (dist/cli.js, or $SHIPSHAPE_CLI) as a
// real process, snapshot whole trees (bytes, mode, mtime), and drive the CLI in a real
// pseudo-terminal through util-linux `script`.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CLI, FIXTURES, copyTree, tmpDir } from './tree.js';

/** The CLI under test: dist/cli.js, built by `npm run build` (which `npm test` runs first). */
export const CLI_PATH = process.env.SHIPSHAPE_CLI ? path.resolve(process.env.SHIPSHAPE_CLI) : CLI;

export const PROJECTS_DIR = path.join(FIXTURES, 'projects');

/** Throws a clear error when the CLI has not been built. */
export function requireBuiltCli(): void {
  if (!fs.existsSync(CLI_PATH)) {
    throw new Error(`${CLI_PATH} does not exist: run \`npm run build\` first (\`npm test\` does it)`);
  }
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOpts {
  cwd?: string;
  /** Extra environment; a value of undefined removes the variable. */
  env?: Record<string, string | undefined>;
  /** Bytes for stdin (stdin is always a pipe, never a terminal). */
  input?: string;
  timeoutMs?: number;
}

/**
 * The environment the CLI runs in: the test's, minus anything that forces or disables colour
 * (vitest and CI systems set FORCE_COLOR), so that each test says what it wants.
 */
export function cliEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.FORCE_COLOR;
  delete env.NO_COLOR;
  delete env.SHIPSHAPE_FAULT;
  delete env.SHIPSHAPE_DEBUG;
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Run a function over items, at most `width` at a time; results in input order. */
export async function pool<T, R>(items: T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return out;
}

/** Run `node <cli> ...args` to completion; stdin is a pipe (so: not interactive). */
export function runCli(args: string[], opts: RunOpts = {}): CliResult {
  requireBuiltCli();
  const r = spawnSync(process.execPath, [CLI_PATH, ...args], {
    cwd: opts.cwd,
    env: cliEnv(opts.env),
    input: opts.input ?? '',
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 300_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Like runCli, without blocking: for running independent invocations side by side. */
export function runCliAsync(args: string[], opts: RunOpts = {}): Promise<CliResult> {
  requireBuiltCli();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_PATH, ...args], { cwd: opts.cwd, env: cliEnv(opts.env), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 300_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** Run many invocations (args, or args with their own options), at most `width` at a time; results in input order. */
export async function runCliMany(list: (string[] | { args: string[]; opts?: RunOpts })[], width = 3, opts: RunOpts = {}): Promise<CliResult[]> {
  const out: CliResult[] = new Array(list.length);
  let next = 0;
  const worker = async () => {
    while (next < list.length) {
      const i = next++;
      const item = list[i]!;
      out[i] = Array.isArray(item) ? await runCliAsync(item, opts) : await runCliAsync(item.args, { ...opts, ...item.opts });
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, list.length) }, worker));
  return out;
}

/** A short description of a CLI run, for assertion messages. */
export function describeRun(args: string[], r: CliResult): string {
  return `shipshape ${args.join(' ')} → exit ${r.code}${r.signal ? ` (${r.signal})` : ''}\n--- stdout ---\n${r.stdout.slice(0, 4000)}\n--- stderr ---\n${r.stderr.slice(0, 4000)}`;
}

/** Names of the projects in fixtures/projects/. */
export function projectNames(): string[] {
  return fs
    .readdirSync(PROJECTS_DIR, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

/** A fresh temporary copy of fixtures/projects/<name>; returns its (real) path. */
export function copyProject(name: string, prefix = `shipshape-e2e-${name}-`): string {
  const dir = fs.realpathSync(tmpDir(prefix));
  const to = path.join(dir, name);
  copyTree(path.join(PROJECTS_DIR, name), to);
  return to;
}

export interface Entry {
  kind: 'file' | 'dir' | 'symlink';
  mode: number;
  mtimeMs: number;
  bytes?: Buffer;
  target?: string;
}

/** Everything under dir except .git: files (bytes), directories and symlinks, with mode and mtime. */
export function snapshot(dir: string): Map<string, Entry> {
  const out = new Map<string, Entry>();
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      if (e.name === '.git') continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      const abs = path.join(dir, r);
      const st = fs.lstatSync(abs);
      if (e.isSymbolicLink()) out.set(r, { kind: 'symlink', mode: st.mode & 0o7777, mtimeMs: st.mtimeMs, target: fs.readlinkSync(abs) });
      else if (e.isDirectory()) {
        out.set(r, { kind: 'dir', mode: st.mode & 0o7777, mtimeMs: st.mtimeMs });
        walk(r);
      } else if (e.isFile()) out.set(r, { kind: 'file', mode: st.mode & 0o7777, mtimeMs: st.mtimeMs, bytes: fs.readFileSync(abs) });
    }
  };
  walk('');
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Paths whose content or existence differs between two snapshots (files and symlinks; dirs by existence). */
export function changedPaths(a: Map<string, Entry>, b: Map<string, Entry>): string[] {
  const out = new Set<string>();
  for (const [p, e] of a) {
    const f = b.get(p);
    if (!f || f.kind !== e.kind) out.add(p);
    else if (e.kind === 'file' && !e.bytes!.equals(f.bytes!)) out.add(p);
    else if (e.kind === 'symlink' && e.target !== f.target) out.add(p);
  }
  for (const p of b.keys()) if (!a.has(p)) out.add(p);
  return [...out].sort();
}

/** Files only (path → text), for readable equality assertions. */
export function filesOf(s: Map<string, Entry>): Record<string, string> {
  const o: Record<string, string> = {};
  for (const [p, e] of s) if (e.kind === 'file') o[p] = e.bytes!.toString('utf8');
  return o;
}

/** Files only (path → mode), to compare permissions. */
export function modesOf(s: Map<string, Entry>): Record<string, string> {
  const o: Record<string, string> = {};
  for (const [p, e] of s) if (e.kind === 'file') o[p] = e.mode.toString(8);
  return o;
}

/** Whether a program is on PATH. */
export function hasBinary(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).status === 0;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>78]/g;

export function stripAnsi(s: string): string {
  return s.replace(ANSI, '');
}

export function hasAnsi(s: string): boolean {
  return s.includes('\x1b[');
}

// ---------------------------------------------------------------------------------------------
// Pseudo-terminal driver
// ---------------------------------------------------------------------------------------------

export interface PtyOpts {
  cwd?: string;
  env?: Record<string, string | undefined>;
  cols?: number;
  rows?: number;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Runs `node <cli> ...args` in a real pseudo-terminal (`script -qfec … /dev/null`): the CLI sees a
 * TTY on stdin and stdout. What the test writes goes to the terminal as typed keys; everything the
 * CLI prints (with the terminal's echo) is collected in `output`.
 */
export class PtySession {
  readonly proc: ChildProcess;
  private raw = '';
  private exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Index in `text` up to which expect() has consumed. */
  private mark = 0;

  constructor(args: string[], opts: PtyOpts = {}) {
    requireBuiltCli();
    const cmd = [process.execPath, CLI_PATH, ...args].map(shellQuote).join(' ');
    const inner = `stty cols ${opts.cols ?? 160} rows ${opts.rows ?? 60} 2>/dev/null; exec ${cmd}`;
    this.proc = spawn('script', ['-qfec', inner, '/dev/null'], {
      cwd: opts.cwd,
      env: cliEnv({ TERM: 'xterm-256color', ...opts.env }),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.proc.stdout!.setEncoding('utf8');
    this.proc.stderr!.setEncoding('utf8');
    this.proc.stdout!.on('data', (d: string) => (this.raw += d));
    this.proc.stderr!.on('data', (d: string) => (this.raw += d));
    this.exited = new Promise((resolve) =>
      this.proc.on('close', (code, signal) => {
        // SHIPSHAPE_PTY_LOG=<dir> keeps a transcript of every session, for diagnosing prompt trouble.
        const logDir = process.env.SHIPSHAPE_PTY_LOG;
        if (logDir) {
          fs.mkdirSync(logDir, { recursive: true });
          fs.writeFileSync(path.join(logDir, `pty-${Date.now()}-${this.proc.pid}.log`), `$ shipshape ${args.join(' ')}\n${this.raw}`);
        }
        resolve({ code, signal });
      }),
    );
  }

  /** Everything printed so far, raw (with escape codes). */
  get rawOutput(): string {
    return this.raw;
  }

  /** Everything printed so far, without escape codes and carriage returns. */
  get text(): string {
    return stripAnsi(this.raw).replace(/\r/g, '');
  }

  /**
   * Waits until `pattern` appears in the output after what earlier expect() calls consumed;
   * returns the text from the previous mark up to the end of the match.
   */
  async expect(pattern: RegExp | string, timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const t = this.text;
      const rest = t.slice(this.mark);
      let idx = -1;
      let len = 0;
      if (typeof pattern === 'string') {
        idx = rest.indexOf(pattern);
        len = pattern.length;
      } else {
        const m = new RegExp(pattern.source, pattern.flags.replace('g', '')).exec(rest);
        if (m) {
          idx = m.index;
          len = m[0].length;
        }
      }
      if (idx >= 0) {
        const chunk = rest.slice(0, idx + len);
        this.mark += idx + len;
        return chunk;
      }
      if (this.proc.exitCode !== null || Date.now() > deadline) {
        await new Promise((r) => setTimeout(r, 50));
        throw new Error(
          `timed out or exited waiting for ${String(pattern)} (exit ${this.proc.exitCode}); output after mark:\n${this.text.slice(this.mark)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Type text into the terminal. */
  type(s: string): void {
    this.proc.stdin!.write(s);
  }

  /** Type an answer and press Enter (a carriage return, as a terminal sends it). */
  answer(key: string): void {
    this.type(`${key}\r`);
  }

  /** Wait for the process to end (closing the terminal's input first when asked). */
  async wait(timeoutMs = 60_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`process did not exit in ${timeoutMs} ms; output:\n${this.text}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Kill the session if it is still running (test cleanup). */
  kill(): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null && this.proc.pid) {
      try {
        this.proc.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
}
