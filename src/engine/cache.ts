// The result cache of `scan` (issue 9): what each rule found on a repository, kept with everything
// its detection read, so that the next scan of the same repository takes the findings of a rule
// whose inputs have not changed instead of reading, parsing and analysing again. Like ESLint's
// --cache or ruff's cache, it makes the repeated scans of pre-commit hooks and editors cheap.
//
// When a result is reused. The workspace tracks every read of a detection (Workspace.track: the
// texts and parses of files, path and list lookups, and the memos computed earlier that it took).
// A rule's entry is reused only when all of these are as they were:
// - shipshape itself: its build (a hash of its sources and locked dependencies, the same for scan
//   and fix) and the versions of the packages it loads at run time (the TypeScript compiler,
//   tree-sitter and its Python grammar);
// - the scanned root, the options that change what is listed or read (size limit, symbolic links,
//   ignore globs), and the rule's own options;
// - the file list, as a whole (paths, kinds, symbolic links): any file added or removed anywhere
//   makes every rule run again;
// - the bytes (sha256) and mode of every file the rule read.
// The check reads those files (as the detection would have); nothing is parsed. A rule whose
// detection failed, read a file that could not be fingerprinted (unreadable, over the size limit,
// a symbolic link), or reported data that is not plain JSON is not cached. The errors recorded for
// the files a rule read (syntax errors: they come from parses the check does not make) are kept
// with its entry and recorded again when it is reused.
//
// The cache is one JSON file per scanned root in shipshape's cache directory (private to the user,
// like the code cache; a file of another user or writable by others is ignored), written whole to
// a temporary file and renamed. A cache that cannot be read or written only costs time.
// `scan --no-cache` or SHIPSHAPE_CACHE_DIR=off turns it off.
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { FindingInput, ParseError, Rule, RuleOptions } from '../types.js';
import type { ReadSet, Workspace } from '../workspace.js';
import { cacheDir, pruneOldest, readPrivate, writePrivate } from '../codecache.js';

const FORMAT = 1;
/** Result files kept in the cache directory (one per scanned root), the most recently used. */
const KEPT = 16;

interface Entry {
  /** The rule's options, as JSON. */
  options: string;
  listing: string;
  /** Files read, and their fingerprints (Workspace.fingerprint). */
  files: string[];
  prints: string[];
  inputs: FindingInput[];
  errors: ParseError[];
}

interface CacheFile {
  format: number;
  tool: string;
  root: string;
  /** What else changes what is listed and read (size limit, symbolic links, ignore globs). */
  setup: string;
  entries: Record<string, Entry>;
}

/**
 * The file as written: the rules of a project read mostly the same files, so each entry's paths and
 * fingerprints are indexes into two shared tables (a 500-service monorepo: 6 MB → 2 MB).
 */
interface StoredFile extends Omit<CacheFile, 'entries'> {
  paths: string[];
  prints: string[];
  entries: Record<string, Omit<Entry, 'files' | 'prints'> & { files: number[]; prints: number[] }>;
}

function pack(data: CacheFile): StoredFile {
  const paths: string[] = [];
  const prints: string[] = [];
  const pathIndex = new Map<string, number>();
  const printIndex = new Map<string, number>();
  const indexOf = (table: string[], index: Map<string, number>, v: string) => {
    let i = index.get(v);
    if (i === undefined) index.set(v, (i = table.push(v) - 1));
    return i;
  };
  const entries: StoredFile['entries'] = {};
  for (const [rule, e] of Object.entries(data.entries)) {
    entries[rule] = { ...e, files: e.files.map((f) => indexOf(paths, pathIndex, f)), prints: e.prints.map((p) => indexOf(prints, printIndex, p)) };
  }
  return { format: data.format, tool: data.tool, root: data.root, setup: data.setup, paths, prints, entries };
}

/** The cache file's data, or undefined when it is not one this build wrote (any check failing). */
function unpack(s: StoredFile): CacheFile | undefined {
  if (!Array.isArray(s.paths) || !Array.isArray(s.prints) || !s.entries || typeof s.entries !== 'object') return undefined;
  const entries: Record<string, Entry> = {};
  for (const [rule, e] of Object.entries(s.entries)) {
    if (!Array.isArray(e.files) || !Array.isArray(e.prints) || e.files.length !== e.prints.length || !Array.isArray(e.inputs) || !Array.isArray(e.errors)) return undefined;
    const files = e.files.map((i) => s.paths[i]);
    const prints = e.prints.map((i) => s.prints[i]);
    if (files.some((f) => typeof f !== 'string') || prints.some((p) => typeof p !== 'string')) return undefined;
    entries[rule] = { ...e, files: files as string[], prints: prints as string[] };
  }
  return { format: s.format, tool: s.tool, root: s.root, setup: s.setup, entries };
}

export interface CacheSetup {
  maxFileBytes?: number;
  followSymlinks?: boolean;
  ignore?: string[];
}

/** A hash of the sources and locked dependency versions, set by scripts/build.mjs in each command bundle. */
declare const SHIPSHAPE_BUILD_ID: string | undefined;

let toolKeyValue: string | null | undefined;

/**
 * What identifies this build of shipshape: the build id (the same in scan's and fix's bundles) and
 * the versions of the packages left out of the bundles, as installed. Undefined when not running
 * from a built bundle (sources run by the tests): then nothing is cached.
 */
function toolKey(): string | undefined {
  if (toolKeyValue !== undefined) return toolKeyValue ?? undefined;
  toolKeyValue = null;
  try {
    if (typeof SHIPSHAPE_BUILD_ID !== 'string') return undefined;
    const req = createRequire(fileURLToPath(import.meta.url));
    const parts = [SHIPSHAPE_BUILD_ID, process.version];
    for (const name of ['web-tree-sitter', 'tree-sitter-python', 'ts-morph', '@ts-morph/common']) {
      let version = '?';
      try {
        const from = name === '@ts-morph/common' ? createRequire(req.resolve('ts-morph')) : req;
        for (let d = path.dirname(from.resolve(name)); d !== path.dirname(d); d = path.dirname(d)) {
          const pj = path.join(d, 'package.json');
          if (!fs.existsSync(pj)) continue;
          const meta = JSON.parse(fs.readFileSync(pj, 'utf8')) as { name?: string; version?: string };
          if (meta.name !== name) continue;
          version = meta.version ?? '?';
          break;
        }
      } catch {
        /* not installed: '?' */
      }
      parts.push(`${name}@${version}`);
    }
    toolKeyValue = parts.join(' ');
  } catch {
    toolKeyValue = null;
  }
  return toolKeyValue ?? undefined;
}

/** Plain JSON (what a cached entry gives back exactly): no Map, class instance, function, NaN. */
function isPlainJson(v: unknown, depth = 0): boolean {
  if (depth > 64) return false;
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v) && !Object.is(v, -0);
  if (Array.isArray(v)) return v.every((x) => x !== undefined && isPlainJson(x, depth + 1));
  if (typeof v === 'object') {
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) return false;
    // An undefined property is left out by JSON and reads back as undefined: the same.
    return Object.values(v as object).every((x) => x === undefined || isPlainJson(x, depth + 1));
  }
  return false;
}

export class ResultCache {
  private file: string;
  private data: CacheFile;
  private dirty = false;
  /** Fingerprints taken, per workspace (a file read by several rules is read once). */
  private prints = new WeakMap<Workspace, Map<string, string | undefined>>();
  hits = 0;
  misses = 0;

  private constructor(file: string, data: CacheFile) {
    this.file = file;
    this.data = data;
  }

  /** The cache for a workspace's root, or undefined when caching is off or impossible. */
  static open(ws: Workspace, setup: CacheSetup, dir = cacheDir()): ResultCache | undefined {
    const tool = toolKey();
    if (!dir || !tool || ws.root.startsWith('/virtual')) return undefined;
    const root = ws.root;
    const file = path.join(dir, `results-${createHash('sha256').update(root).digest('hex').slice(0, 32)}.json`);
    const setupKey = JSON.stringify([setup.maxFileBytes ?? null, Boolean(setup.followSymlinks), setup.ignore ?? []]);
    const fresh: CacheFile = { format: FORMAT, tool, root, setup: setupKey, entries: {} };
    const read = readPrivate(file)?.toString('utf8');
    let data = fresh;
    if (read) {
      try {
        const d = JSON.parse(read) as StoredFile;
        if (d.format === FORMAT && d.tool === tool && d.root === root && d.setup === setupKey) data = unpack(d) ?? fresh;
      } catch {
        /* unreadable: start afresh */
      }
    }
    return new ResultCache(file, data);
  }

  private fingerprint(ws: Workspace, f: string): string | undefined {
    let prints = this.prints.get(ws);
    if (!prints) this.prints.set(ws, (prints = new Map()));
    if (prints.has(f)) return prints.get(f);
    const p = ws.fingerprint(f);
    prints.set(f, p);
    return p;
  }

  /**
   * A rule's findings: those its entry holds when everything it read is unchanged (`reused`: the
   * files the entry read), else those of its detection, then kept.
   */
  async detect(ws: Workspace, rule: Rule, options: RuleOptions): Promise<{ inputs: FindingInput[]; reused?: readonly string[] }> {
    const hit = this.lookup(ws, rule.id, options);
    if (hit) return { inputs: hit.inputs, reused: hit.files };
    const { value, reads } = await ws.track(async () => rule.detect({ ws, options }));
    this.store(ws, rule.id, options, value, reads);
    return { inputs: value };
  }

  /**
   * The findings a rule reported on the same inputs, or undefined. On a hit, the errors its
   * detection recorded are recorded again.
   */
  lookup(ws: Workspace, rule: string, options: RuleOptions): { inputs: FindingInput[]; files: readonly string[] } | undefined {
    const e = Object.hasOwn(this.data.entries, rule) ? this.data.entries[rule] : undefined;
    const ok =
      e !== undefined &&
      e.options === JSON.stringify(options) &&
      e.listing === ws.listingHash() &&
      e.files.every((f, i) => this.fingerprint(ws, f) === e.prints[i]);
    if (!ok) {
      this.misses++;
      return undefined;
    }
    for (const err of e.errors) ws.recordFileError(err);
    this.hits++;
    return { inputs: e.inputs, files: e.files };
  }

  /** Keep what a rule found, with what it read (its entry is dropped when it cannot be kept). */
  store(ws: Workspace, rule: string, options: RuleOptions, inputs: FindingInput[], reads: ReadSet): void {
    this.dirty = true;
    delete this.data.entries[rule];
    const files = [...reads.texts].sort();
    const prints: string[] = [];
    for (const f of files) {
      const p = this.fingerprint(ws, f);
      if (p === undefined) return;
      prints.push(p);
    }
    if (!isPlainJson(inputs)) return;
    const read = new Set([...reads.texts, ...reads.paths]);
    const errors = ws.errors.filter((e) => read.has(e.file));
    this.data.entries[rule] = { options: JSON.stringify(options), listing: ws.listingHash(), files, prints, inputs, errors };
  }

  /** Write the cache (when something changed). Never throws. */
  save(): void {
    if (!this.dirty || !writePrivate(this.file, () => JSON.stringify(pack(this.data)))) return;
    this.dirty = false;
    pruneOldest(path.dirname(this.file), 'results-', '.json', KEPT);
  }
}
