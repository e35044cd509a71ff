// Shared CLI plumbing: options → RunOptions, opening the workspace, printing file errors.
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig, ruleIgnoreFilter, type Config } from '../config.js';
import { rules } from '../registry.js';
import { Suppressions } from '../suppress.js';
import type { Finding } from '../types.js';
import type { RunOptions } from '../api.js';
import { openWorkspace } from '../api.js';
import { parseSelectors } from '../registry.js';
import { colorWanted, setColor } from '../render/color.js';
import { formatError } from '../render/report.js';
import type { Workspace } from '../workspace.js';
import { toBytes } from '../workspace.js';
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

export function runOptions(flags: CommonFlags, root = '.'): RunOptions {
  let cfg: Config;
  try {
    cfg = loadConfig(path.resolve(root), flags.config, rules());
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(e.message);
    throw e;
  }
  const o: RunOptions = {
    only: parseSelectors(flags.only),
    skip: parseSelectors(flags.skip),
    all: Boolean(flags.all),
    followSymlinks: Boolean(flags.followSymlinks),
    disabled: cfg.disabled,
    severity: cfg.severity,
    ruleOptions: cfg.options,
    ignore: cfg.ignore,
    maxFileBytes: cfg.maxFileSize,
  };
  ruleFilter.set(o, ruleIgnoreFilter(cfg));
  if (flags.maxFileSize !== undefined) {
    const n = Number(flags.maxFileSize);
    if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--max-file-size must be a positive number of bytes, not "${flags.maxFileSize}"`);
    o.maxFileBytes = n;
  }
  return o;
}

const ruleFilter = new WeakMap<RunOptions, ((f: Finding) => boolean) | undefined>();

/** Open the workspace and install the finding filters: config ignores and inline suppressions. */
export function open(root: string, o: RunOptions): { ws: Workspace; suppressions: Suppressions } {
  try {
    const ws = openWorkspace(root, o);
    const suppressions = new Suppressions(ws);
    const byConfig = ruleFilter.get(o);
    o.filter = byConfig ? (f) => byConfig(f) && suppressions.filter(f) : suppressions.filter;
    return { ws, suppressions };
  } catch (e) {
    if (e instanceof FileError) throw new UsageError(`${e.file}: ${e.message}`);
    throw e;
  }
}

export function printErrors(ws: Workspace, failures: { rule: string; message: string }[] = []): void {
  for (const e of ws.errors) process.stderr.write(`shipshape: ${formatError(e)}\n`);
  for (const f of failures) process.stderr.write(`shipshape: rule ${f.rule} failed: ${f.message.split('\n')[0]}\n`);
}

/** Exit code 2 when files were read but none of them could be read or parsed. */
export function nothingScanned(ws: Workspace): boolean {
  return ws.nothingScanned();
}

export function writeOut(file: string | undefined, text: string): void {
  // toBytes: a patch of a file with bytes that are not UTF-8 carries them as they were.
  if (file) fs.writeFileSync(file, toBytes(text));
  else process.stdout.write(toBytes(text));
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
