// Loads the code of `scan`, `fix` and `bulk` with a V8 code cache (issue 9, cold start).
//
// Node 20 has no compile cache for modules (module.enableCompileCache is Node 22), so every run
// parsed and compiled the ~1.4 MB of rules, parsers and libraries again — a fifth of a small scan.
// scripts/build.mjs bundles each of these commands into one CommonJS file (dist/commands/<name>-<hash>.cjs,
// the hash being of its content); here it is compiled with vm.Script, given the code V8 compiled for it
// on an earlier run, and after the run V8's code for it (including the functions compiled while it
// ran) is saved for the next one. V8 itself rejects a cache made by another V8 version or flags; the
// file name holds the bundle's content hash and the Node version, so a cache never meets other code.
// Where caches live and how they are kept: src/codecache.ts. The first run of a new build writes the
// cache (about 1.5 MB per command; the 3 latest builds are kept).
import fs from 'node:fs';
import { cachePath, compileCached } from '../codecache.js';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Set by scripts/build.mjs: the bundle of each command, relative to dist/cli.js. */
declare const SHIPSHAPE_COMMAND_BUNDLES: Record<string, string> | undefined;

/**
 * The module of a command: its bundle with the code cache in a build, else (running from the sources)
 * what `fallback` imports. `base`: the URL of dist/cli.js.
 */
export async function loadCommand<T>(name: 'scan' | 'fix' | 'bulk', fallback: () => Promise<T>, base: string): Promise<T> {
  // Before compiling: V8 rejects a code cache made under other flags.
  baselineWasm();
  const bundle = typeof SHIPSHAPE_COMMAND_BUNDLES === 'undefined' ? undefined : SHIPSHAPE_COMMAND_BUNDLES[name];
  if (!bundle) return fallback();
  return runBundle(fileURLToPath(new URL(bundle, base))) as T;
}

function runBundle(file: string): unknown {
  const source = fs.readFileSync(file, 'utf8');
  // The CommonJS wrapper on the bundle's first line (line numbers in stack traces stay right);
  // import.meta.url in the sources is replaced by the last parameter.
  const wrapped = `(function (exports, require, module, __filename, __dirname, __shipshape_import_meta_url) {${source}\n})`;
  const script = compileCached(file, wrapped, cachePath(file));
  const module = { exports: {} as unknown };
  const fn = script.runInThisContext() as (...args: unknown[]) => void;
  fn(module.exports, createRequire(file), module, file, path.dirname(file), pathToFileURL(file).href);
  return module.exports;
}

/**
 * Python is parsed by tree-sitter's grammar compiled to WebAssembly. V8 compiles it lazily with
 * Liftoff, its baseline compiler, then recompiles the functions that get hot with TurboFan on
 * background threads, and the process does not exit before those compilations end. The grammar's
 * parse functions are huge: TurboFan costs ~150 ms of CPU (and as much wall time at exit) on a small
 * project, and on 4,000 Python files the time its code saves is about what compiling it costs. So the
 * CLI keeps the Liftoff code. (No tier-up; TurboFan still compiles anything Liftoff cannot. It only
 * changes how fast the same code runs.)
 */
function baselineWasm(): void {
  const v8 = process.getBuiltinModule?.('node:v8');
  v8?.setFlagsFromString('--no-wasm-dynamic-tiering');
  v8?.setFlagsFromString('--no-wasm-tier-up');
}
