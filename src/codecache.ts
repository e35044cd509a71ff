// V8 code caches (issue 9, start-up): Node 20 has no compile cache, so large JavaScript is compiled
// again on every run. runBundle compiles a bundle of ours (the command line, see src/bin.ts; scan, fix,
// bulk and init, see src/cli/load.ts) with vm.Script and the code V8 compiled for it on an earlier run;
// preloadCommonJs does the same for the TypeScript compiler (9 MB, ~0.3 s to compile) when a
// repository has TypeScript. Caches live in $SHIPSHAPE_CACHE_DIR, else $XDG_CACHE_HOME/shipshape or
// ~/.cache/shipshape (private to the user; a file of another user, or writable by others, is
// ignored); SHIPSHAPE_CACHE_DIR=off turns them off.
// V8 rejects a cache made for another source, V8 version or flags. A cache that cannot be read or
// written only costs the compile time it would have saved.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import Module from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';

/**
 * Run a CommonJS bundle built by scripts/build.mjs (its name holds a hash of its content: the key of
 * its cache) and return its exports. The CommonJS wrapper goes on the bundle's first line (line
 * numbers in stack traces stay right); import.meta.url in the sources is replaced by its last parameter.
 */
export function runBundle(file: string): unknown {
  const source = fs.readFileSync(file, 'utf8');
  const wrapped = `(function (exports, require, module, __filename, __dirname, __shipshape_import_meta_url) {${source}\n})`;
  const script = compileCached(file, wrapped, cachePath(file));
  const module = { exports: {} as unknown };
  const fn = script.runInThisContext() as (...args: unknown[]) => void;
  fn(module.exports, createRequire(file), module, file, path.dirname(file), pathToFileURL(file).href);
  return module.exports;
}

/** shipshape's cache directory ($SHIPSHAPE_CACHE_DIR, $XDG_CACHE_HOME/shipshape, ~/.cache/shipshape), or undefined when off. */
export function cacheDir(): string | undefined {
  const env = process.env.SHIPSHAPE_CACHE_DIR;
  if (env === 'off') return undefined;
  const home = process.env.HOME;
  return env || (process.env.XDG_CACHE_HOME ? path.join(process.env.XDG_CACHE_HOME, 'shipshape') : home ? path.join(home, '.cache', 'shipshape') : undefined);
}

export function cachePath(bundle: string): string | undefined {
  const dir = cacheDir();
  if (!dir) return undefined;
  return path.join(dir, `${path.basename(bundle, '.cjs')}-node${process.version}-${process.arch}.v8cache`);
}

/**
 * Compile `wrapped` (the source of `file` in a function wrapper) with the code cache in cacheFile,
 * when there is one; the cache is (re)written when it was missing or V8 rejected it: at exit (V8 then
 * saves the functions compiled during the run too), or earlier if the V8 flags are about to change
 * (baselineWasm).
 */
export function compileCached(file: string, wrapped: string, cacheFile: string | undefined): vm.Script {
  const cachedData = cacheFile ? readCache(cacheFile) : undefined;
  const script = new vm.Script(wrapped, { filename: file, cachedData });
  if (cacheFile && (!cachedData || script.cachedDataRejected)) {
    toWrite.push({ file: cacheFile, script });
    process.once('exit', writePending);
  }
  return script;
}

/**
 * The caches to write. One list per process, whichever copy of this module compiled the script:
 * dist/cli.js compiles the command line's bundle, whose own copy sets the V8 flags (baselineWasm).
 */
const toWrite: { file: string; script: vm.Script }[] = ((globalThis as { [k: symbol]: unknown })[Symbol.for('shipshape.codecache.toWrite')] ??= []) as {
  file: string;
  script: vm.Script;
}[];

function writePending(): void {
  for (const { file, script } of toWrite.splice(0)) writeCache(file, script);
}

function readCache(file: string): Buffer | undefined {
  // Code is run from it: only a file of this user, not writable by others.
  return readPrivate(file);
}

/**
 * A file of the cache directory: its bytes, when it is a file of this user that others cannot
 * write (else somebody else could have put it there), or undefined.
 */
export function readPrivate(file: string): Buffer | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const st = fs.fstatSync(fd);
    if ((process.getuid && st.uid !== process.getuid()) || st.mode & 0o022) return undefined;
    return fs.readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function writeCache(file: string, script: vm.Script): void {
  // Each build makes new bundle names: keep the caches of the 3 latest bundles of a command.
  const command = path.basename(file).slice(0, path.basename(file).indexOf('-') + 1);
  if (writePrivate(file, () => script.createCachedData())) pruneOldest(path.dirname(file), command, '.v8cache', 3);
}

/**
 * Write a file of the cache directory whole (0600, in a 0700 directory made when missing): to a
 * temporary file, renamed over it. Never throws: a cache that cannot be written (a directory of
 * another user, a full disk) costs only time, and this runs at exit too, where a throw would
 * change the exit code. Whether it was written.
 */
export function writePrivate(file: string, data: () => string | Uint8Array): boolean {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    makeDir(path.dirname(file));
    fs.writeFileSync(tmp, data(), { mode: 0o600 });
    fs.renameSync(tmp, file);
    return true;
  } catch {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      /* nothing was written, or it cannot be removed by us either */
    }
    return false;
  }
}

/**
 * The cache directory and, when missing, its parent (~/.cache). Not mkdir's recursive mode: it loops
 * forever where a directory cannot be made but its parent exists (e.g. under /proc).
 */
function makeDir(dir: string): void {
  for (const d of [path.dirname(dir), dir]) {
    try {
      fs.mkdirSync(d, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

/**
 * Remove all but the `keep` most recently written files of the cache directory whose names start
 * with `prefix` and end with `suffix`. Never throws (what is left is removed by a later write).
 */
export function pruneOldest(dir: string, prefix: string, suffix: string, keep: number): void {
  try {
    const files = fs
      .readdirSync(dir)
      .filter((f) => f.startsWith(prefix) && f.endsWith(suffix))
      .map((f) => ({ f, t: fs.statSync(path.join(dir, f)).mtimeMs }))
      .sort((a, b) => b.t - a.t);
    for (const { f } of files.slice(keep)) fs.rmSync(path.join(dir, f), { force: true });
  } catch {
    /* a file removed meanwhile by another run, a directory we cannot read: the next write prunes */
  }
}

/**
 * Python is parsed by tree-sitter's grammar compiled to WebAssembly. V8 compiles it lazily with
 * Liftoff, its baseline compiler, then recompiles the functions that get hot with TurboFan on
 * background threads, and the process does not exit before those compilations end. The grammar's
 * parse functions are huge: TurboFan costs ~150 ms of CPU (and as much wall time at exit) on a small
 * project, and on 4,000 Python files the time its code saves is about what compiling it costs. So the
 * CLI keeps the Liftoff code. (No tier-up; TurboFan still compiles anything Liftoff cannot. It only
 * changes how fast the same code runs.)
 *
 * Called before a command's bundle is compiled (src/cli/load.ts): V8 rejects a code cache made under
 * other flags, so each cache must be made under the flags it is read under. The command line's bundle
 * is compiled before, under V8's own flags (loading node:v8 would cost `rules` more than its work), so
 * a cache of it still to be written is written now, before the flags change.
 */
let flagsSet = false;
export function baselineWasm(): void {
  if (flagsSet) return;
  flagsSet = true;
  writePending();
  const v8 = process.getBuiltinModule?.('node:v8');
  v8?.setFlagsFromString('--no-wasm-dynamic-tiering');
  v8?.setFlagsFromString('--no-wasm-tier-up');
}

/**
 * Run a CommonJS file (the TypeScript compiler) as require() would, compiled with its code cache,
 * and register it in require's cache, so that the require() that follows (by @ts-morph/common) finds
 * it loaded. Does nothing when there is no cache directory or the file is already loaded; on any
 * failure require() loads the file as usual.
 */
export function preloadCommonJs(file: string): void {
  try {
    const req = createRequire(file);
    if (req.cache[file]) return;
    const st = fs.statSync(file);
    const cacheFile = cachePath(`${path.basename(file, '.js')}-${st.size}-${Math.trunc(st.mtimeMs)}`);
    if (!cacheFile) return;
    const script = compileCached(file, Module.wrap(fs.readFileSync(file, 'utf8')), cacheFile);
    const m = new Module(file);
    m.filename = file;
    (script.runInThisContext() as (...args: unknown[]) => void).call(m.exports, m.exports, req, m, file, path.dirname(file));
    m.loaded = true;
    req.cache[file] = m;
  } catch {
    /* require() will load it */
  }
}
