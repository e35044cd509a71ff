// Running a program without a shell: arguments are passed as they are, never interpreted, so a
// branch name or a file path can hold any character. Output is collected as bytes.
import { spawn } from 'node:child_process';

export interface RunResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

export interface RunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  input?: string | Buffer;
}

/** Thrown when the program itself cannot be started (ENOENT: not installed or not on PATH). */
export class SpawnError extends Error {
  constructor(
    readonly program: string,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

export function run(program: string, args: readonly string[], o: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { cwd: o.cwd, env: o.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let failed = false;
    child.on('error', (e: NodeJS.ErrnoException) => {
      failed = true;
      reject(new SpawnError(program, e.code, `cannot run ${program}: ${e.code === 'ENOENT' ? 'not found on PATH' : e.message}`));
    });
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    // A program that exits without reading its input must not crash us with EPIPE.
    child.stdin.on('error', () => undefined);
    child.on('close', (code, signal) => {
      if (failed) return;
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    if (o.input !== undefined) child.stdin.end(o.input);
    else child.stdin.end();
  });
}
