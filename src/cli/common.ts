// Shared CLI plumbing: options → RunOptions, opening the workspace, printing file errors.
import fs from 'node:fs';
import type { RunOptions } from '../api.js';
import { openWorkspace } from '../api.js';
import { parseSelectors } from '../registry.js';
import { colorWanted, setColor } from '../render/color.js';
import { formatError } from '../render/report.js';
import type { Workspace } from '../workspace.js';
import { FileError } from '../workspace.js';

export interface CommonFlags {
  only?: string;
  skip?: string;
  config?: string;
  followSymlinks?: boolean;
  maxFileSize?: string;
  color?: boolean;
  all?: boolean;
}

export class UsageError extends Error {}

export function setupColor(flags: CommonFlags, stream: NodeJS.WriteStream = process.stdout): void {
  setColor(colorWanted(stream, flags.color));
}

export function runOptions(flags: CommonFlags): RunOptions {
  const o: RunOptions = {
    only: parseSelectors(flags.only),
    skip: parseSelectors(flags.skip),
    all: Boolean(flags.all),
    followSymlinks: Boolean(flags.followSymlinks),
  };
  if (flags.maxFileSize !== undefined) {
    const n = Number(flags.maxFileSize);
    if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--max-file-size must be a positive number of bytes, not "${flags.maxFileSize}"`);
    o.maxFileBytes = n;
  }
  return o;
}

export function open(path: string, o: RunOptions): Workspace {
  try {
    return openWorkspace(path, o);
  } catch (e) {
    if (e instanceof FileError) throw new UsageError(`${e.file}: ${e.message}`);
    throw e;
  }
}

export function printErrors(ws: Workspace, failures: { rule: string; message: string }[] = []): void {
  for (const e of ws.errors) process.stderr.write(`shipshape: ${formatError(e)}\n`);
  for (const f of failures) process.stderr.write(`shipshape: rule ${f.rule} failed: ${f.message.split('\n')[0]}\n`);
}

/** Exit code 2 when files existed but none of them could be read. */
export function nothingScanned(ws: Workspace): boolean {
  return ws.files().length > 0 && ws.readableCount === 0;
}

export function writeOut(file: string | undefined, text: string): void {
  if (file) fs.writeFileSync(file, text);
  else process.stdout.write(text);
}

export async function guard(fn: () => Promise<number>): Promise<number> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof UsageError || (e as Error).constructor?.name === 'SelectionError') {
      process.stderr.write(`shipshape: ${(e as Error).message}\n`);
      return 2;
    }
    throw e;
  }
}
