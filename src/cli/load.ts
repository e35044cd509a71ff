// Loads the code of `scan`, `fix`, `bulk` and `init` with a V8 code cache (issue 9, cold start).
//
// Node 20 has no compile cache for modules (module.enableCompileCache is Node 22), so every run
// parsed and compiled the ~1.4 MB of rules, parsers and libraries again — a fifth of a small scan.
// scripts/build.mjs bundles each of these commands into one CommonJS file (dist/commands/<name>-<hash>.cjs,
// the hash being of its content); here it is compiled with vm.Script (src/codecache.ts runBundle),
// given the code V8 compiled for it on an earlier run, and after the run V8's code for it (including
// the functions compiled while it ran) is saved for the next one. V8 itself rejects a cache made by
// another V8 version or flags; the file name holds the bundle's content hash and the Node version, so
// a cache never meets other code.
// Where caches live and how they are kept: src/codecache.ts. The first run of a new build writes the
// cache (about 1.5 MB per command; the 3 latest builds are kept).
import path from 'node:path';
import { baselineWasm, runBundle } from '../codecache.js';

/** Set by scripts/build.mjs: the bundle of each command, relative to the bundle of the command line. */
declare const SHIPSHAPE_COMMAND_BUNDLES: Record<string, string> | undefined;

/**
 * The module of a command: its bundle with the code cache in a build (this code is then in the
 * CommonJS bundle of the command line, next to the commands' bundles), else (running from the
 * sources) what `fallback` imports.
 */
export async function loadCommand<T>(name: 'scan' | 'fix' | 'bulk' | 'init', fallback: () => Promise<T>): Promise<T> {
  // Before compiling: the V8 flags the commands' bundles are compiled and cached under (the same when
  // running from the sources).
  baselineWasm();
  const bundle = typeof SHIPSHAPE_COMMAND_BUNDLES === 'undefined' ? undefined : SHIPSHAPE_COMMAND_BUNDLES[name];
  if (!bundle) return fallback();
  return runBundle(path.join(__dirname, bundle)) as T;
}
