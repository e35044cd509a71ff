// The workspace: discovers files under a root (honouring .gitignore), classifies them, reads each
// once on demand, and caches parses. The engine's fix session edits it in memory (setText/create),
// never the disk; the original bytes stay available for diffs and for the "changed on disk" check.
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import ignore, { type Ignore } from 'ignore';
import type { FileKind, ParseError } from './types.js';
import { classify } from './classify.js';

export const DEFAULT_MAX_FILE_BYTES = 2 * 1024 * 1024;

/**
 * SHIPSHAPE_TIMING=parses: each parse a rule needs, one JSON line on stderr. The benchmark's parse
 * floor (bench/floor.mjs --parse) parses exactly these Python and TypeScript files.
 */
const TRACE_PARSES = process.env.SHIPSHAPE_TIMING === 'parses';

function traceParse(parser: string, file: string): void {
  if (TRACE_PARSES) process.stderr.write(`shipshape timing: parse ${JSON.stringify({ parser, file })}\n`);
}

/** Directories never entered: VCS data, dependency trees, virtualenvs, vendored code, caches. */
const SKIP_DIRS = new Set([
  '.git', '.hg', '.svn', 'node_modules', 'bower_components', 'jspm_packages', '.venv', 'venv',
  '.tox', '.nox', '__pycache__', '.mypy_cache', '.pytest_cache', '.ruff_cache', 'site-packages',
  'vendor', 'third_party', '.terraform', '.next', '.nuxt', '.svelte-kit', '.yarn', '.pnpm-store',
]);

export interface FileFormat {
  bom: boolean;
  /** The file's line breaks were all CRLF: the text is given to rules with LF and written back CRLF. */
  crlf: boolean;
  mode: number;
}

export interface FileRecord {
  path: string;
  kind: FileKind;
  /** Absolute path on disk (undefined for files created in memory). */
  abs?: string;
  symlink?: boolean;
  loaded?: boolean;
  /** sha256 of the bytes read, to refuse writing over a file that changed since. */
  diskHash?: string;
  format?: FileFormat;
  /** Text as read from disk (normalised: no BOM, LF when the file was CRLF). */
  originalText?: string;
  /** Current text (differs from originalText after in-memory edits). */
  text?: string;
  error?: ParseError;
  created?: boolean;
}

export class FileError extends Error {
  constructor(public file: string, message: string, public line?: number) {
    super(message);
  }
}

export interface Parser<T> {
  /** Unique cache key for this kind of parse. */
  key: string;
  /** Parse text; throw FileError (or any error) for input it cannot parse. */
  parse(text: string, file: string): T;
  /**
   * Frees what a parse holds outside the JS heap (a tree-sitter tree lives in WebAssembly memory,
   * which the garbage collector only gives back when it finalizes the tree, long after). Called
   * when the workspace drops the parse because the file's text changed (see dropParses).
   */
  dispose?(value: T): void;
}
export interface AsyncParser<T> {
  key: string;
  parse(text: string, file: string): Promise<T>;
  dispose?(value: T): void;
}

/**
 * What a computation read through the workspace (see Workspace.track): the engine re-runs a rule's
 * detection after fixes only when something it read changed.
 */
export interface ReadSet {
  /** Files whose text (or a parse of it) was read. */
  texts: Set<string>;
  /** Paths whose existence or kind was asked about. */
  paths: Set<string>;
  /** Kinds whose file list was read (files(kind), has(kind)). */
  kinds: Set<FileKind>;
  /** Directories whose direct files were listed (filesIn). */
  dirs: Set<string>;
  /** Directories whose files (of one kind, or all: kind '') were listed at any depth (filesUnder): `${kind}\0${dir}`. */
  prefixes: Set<string>;
  /** Path predicates given to find(). */
  preds: ((file: string) => boolean)[];
  /** The whole file list was read (files(), a pathMemo value). */
  all: boolean;
}

export function emptyReadSet(): ReadSet {
  return { texts: new Set(), paths: new Set(), kinds: new Set(), dirs: new Set(), prefixes: new Set(), preds: [], all: false };
}

/** Whether a computation that read `r` may give a different result once `p` appeared or disappeared. */
function pathAffects(r: ReadSet, p: string): boolean {
  if (r.all || r.paths.has(p) || r.texts.has(p)) return true;
  if (r.kinds.has(classify(p))) return true;
  const i = p.lastIndexOf('/');
  if (r.dirs.has(i === -1 ? '' : p.slice(0, i))) return true;
  for (const key of r.prefixes) {
    const i = key.indexOf('\0');
    const kind = key.slice(0, i);
    const d = key.slice(i + 1);
    if ((d === '' || p.startsWith(d + '/')) && (kind === '' || classify(p) === kind)) return true;
  }
  for (const pred of r.preds) if (pred(p)) return true;
  return false;
}

export interface WorkspaceOptions {
  maxFileBytes?: number;
  followSymlinks?: boolean;
  /** Extra ignore globs (gitignore syntax), from config. */
  ignore?: string[];
}

export class Workspace {
  readonly root: string;
  private records = new Map<string, FileRecord>();
  private parses = new Map<string, Map<string, unknown>>();
  private errorList: ParseError[] = [];
  private errorKeys = new Set<string>();
  /** The reads of the computation being tracked (track()), if any. */
  private reads: ReadSet | undefined;
  /** Every in-memory change, in order: [file, whether the path appeared or disappeared]. */
  private changeLog: [string, boolean][] = [];
  /** Per file, the change-log position of its latest text change (changedSince looks reads up here). */
  private lastChange = new Map<string, number>();
  /** Positions in the change log of path changes (creations and their roll-backs), ascending. */
  private pathChanges: number[] = [];
  /**
   * The position of the latest path change each read of a ReadSet would see (see pathAffects):
   * `p\0path`, `k\0kind`, `d\0dir` (direct files), `u\0kind\0dir` (at any depth, kind '' for all).
   * changedSince looks a read set up here instead of testing it against each path change: after a
   * fix pass that created hundreds of files, every memo hit tested each of them.
   */
  private lastPathChange = new Map<string, number>();
  private memos = new Map<string, { value: unknown; reads: ReadSet; mark: number }>();
  /**
   * Per file, the keys of the memos whose computation read its text. When the text changes those
   * memos can never be returned again (changedSince), so they are dropped at once instead of when
   * their key is next asked for — which may be never: their values (an app's analysis, the parsed
   * compose files of a whole repository) held every superseded parse alive until the end of a fix.
   */
  private memoReaders = new Map<string, Set<string>>();
  /** Parser key → its dispose(), for the parses the workspace drops (see Parser.dispose). */
  private disposers = new Map<string, (value: unknown) => void>();
  /**
   * Path indexes derived from records. A file created or removed updates them instead of dropping
   * them (rebuilding the directory and base-name maps of every path after each file a fix created
   * made tens of megabytes of garbage in a monorepo, and sorted every path again): the lists it
   * belongs to are replaced by updated copies, never changed in place (callers may still read the
   * old ones) — the sorted lists when next asked for (the pending paths merged in), the directory
   * and base-name lists at once. Path memos, which may depend on any path, are dropped.
   */
  private index: {
    sorted: Map<string, string[]>;
    /** Paths created (true) or removed (false) since the sorted lists were brought up to date, in order. */
    pending: [string, boolean][];
    byDir?: Map<string, string[]>;
    /** Per base name asked for (filesNamed), its files. */
    byName: Map<string, string[]>;
    memo: Map<string, unknown>;
  } = { sorted: new Map(), pending: [], byName: new Map(), memo: new Map() };
  /** Files that could not be read or parsed. */
  private bad = new Set<string>();
  private listingDigest: string | undefined;
  readonly maxFileBytes: number;
  readonly followSymlinks: boolean;

  private constructor(root: string, opts: WorkspaceOptions) {
    this.root = root;
    this.maxFileBytes = opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    this.followSymlinks = opts.followSymlinks ?? false;
  }

  /** Walk a directory on disk. Throws FileError when the root is not a readable directory. */
  static open(root: string, opts: WorkspaceOptions = {}): Workspace {
    const abs = path.resolve(root);
    let st: fs.Stats;
    try {
      st = fs.statSync(abs);
    } catch {
      throw new FileError(root, 'path does not exist');
    }
    if (!st.isDirectory()) throw new FileError(root, 'not a directory');
    const ws = new Workspace(fs.realpathSync(abs), opts);
    ws.walk(opts.ignore ?? []);
    return ws;
  }

  /**
   * A fresh workspace over the same files, as if opened again: the listing and the texts already
   * read are reused as they were read from disk; edits, parses, errors and memos are not. `bulk`
   * plans each branch on one, instead of walking and reading the tree again for every branch.
   */
  fork(): Workspace {
    const ws = new Workspace(this.root, { maxFileBytes: this.maxFileBytes, followSymlinks: this.followSymlinks });
    for (const r of this.records.values()) {
      if (r.created) continue;
      const c: FileRecord = { path: r.path, kind: r.kind, abs: r.abs, symlink: r.symlink };
      // A file that could not be read is read again, so that the fork records its own error.
      if (r.loaded && !r.error) {
        c.loaded = true;
        c.diskHash = r.diskHash;
        c.format = r.format;
        c.originalText = r.originalText;
        c.text = r.originalText;
      }
      ws.records.set(r.path, c);
    }
    return ws;
  }

  /** An in-memory workspace (tests, fuzzing): files given as path → text. */
  static fromFiles(files: Record<string, string>, root = '/virtual'): Workspace {
    const ws = new Workspace(root, {});
    for (const [p, text] of Object.entries(files)) {
      ws.records.set(p, {
        path: p,
        kind: classify(p),
        loaded: true,
        text,
        originalText: text,
        format: { bom: false, crlf: false, mode: 0o644 },
      });
    }
    return ws;
  }

  private walk(extraIgnores: string[]): void {
    const rootIg = ignore();
    const infoExclude = path.join(this.root, '.git', 'info', 'exclude');
    if (fs.existsSync(infoExclude)) rootIg.add(safeRead(infoExclude));
    if (extraIgnores.length) rootIg.add(extraIgnores);
    type Scope = { base: string; ig: Ignore };
    const visit = (dirRel: string, scopes: Scope[]): void => {
      const dirAbs = path.join(this.root, dirRel);
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(dirAbs, { withFileTypes: true });
      } catch (e) {
        this.addError({ file: dirRel || '.', message: `cannot read directory: ${ioReason(e)}; skipped` });
        return;
      }
      // A virtualenv by another name (its pyvenv.cfg, from the listing: no stat per directory).
      if (dirRel && entries.some((e) => e.name === 'pyvenv.cfg')) return;
      const gi = entries.find((e) => e.name === '.gitignore' && e.isFile());
      if (gi) {
        scopes = [...scopes, { base: dirRel, ig: ignore().add(safeRead(path.join(dirAbs, '.gitignore'))) }];
      }
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const e of entries) {
        const rel = dirRel ? `${dirRel}/${e.name}` : e.name;
        const isDir = e.isDirectory();
        if (isDir && SKIP_DIRS.has(e.name)) continue;
        if (isIgnored(rel, isDir, scopes)) continue;
        if (isDir) {
          visit(rel, scopes);
        } else if (e.isFile()) {
          this.records.set(rel, { path: rel, kind: classify(rel), abs: dirAbs + path.sep + e.name });
        } else if (e.isSymbolicLink()) {
          this.records.set(rel, { path: rel, kind: classify(rel), abs: dirAbs + path.sep + e.name, symlink: true });
        }
      }
    };
    visit('', [{ base: '', ig: rootIg }]);
  }

  /** All known files (relative POSIX paths), sorted; optionally of one kind. */
  files(kind?: FileKind): string[] {
    if (this.reads) {
      if (kind) this.reads.kinds.add(kind);
      else this.reads.all = true;
    }
    return this.sorted(kind).slice();
  }

  /**
   * The sorted path list (of one kind), built once and kept until a file is created or dropped:
   * rules ask for it many times, and sorting tens of thousands of paths each time is what made
   * big repositories slow. Callers get copies (files()) or read it without keeping it.
   */
  private sorted(kind?: FileKind): readonly string[] {
    if (this.index.pending.length) this.mergePending();
    const key = kind ?? '';
    let list = this.index.sorted.get(key);
    if (!list) {
      if (kind) {
        list = this.sorted().filter((f) => this.records.get(f)!.kind === kind);
      } else {
        list = [...this.records.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      }
      this.index.sorted.set(key, list);
    }
    return list;
  }

  /** The sorted lists with the paths created or removed since they were made. */
  private mergePending(): void {
    const pending = this.index.pending;
    this.index.pending = [];
    // The last change of each path wins (a file created, then removed by a roll-back).
    const net = new Map<string, boolean>(pending);
    for (const [key, list] of this.index.sorted) {
      const mine = key === '' ? net : new Map([...net].filter(([p]) => classify(p) === key));
      if (mine.size) this.index.sorted.set(key, withPaths(list, mine));
    }
  }

  /** A file appeared (added) or disappeared: bring the path indexes up to date (see index). */
  private reindex(file: string, added: boolean): void {
    this.index.pending.push([file, added]);
    this.index.memo = new Map();
    const i = file.lastIndexOf('/');
    const byDir = this.index.byDir;
    if (byDir) {
      const dir = i === -1 ? '' : file.slice(0, i);
      const list = withPaths(byDir.get(dir) ?? EMPTY, new Map([[file, added]]));
      if (list.length) byDir.set(dir, list);
      else byDir.delete(dir);
    }
    const name = file.slice(i + 1);
    const named = this.index.byName.get(name);
    if (named) this.index.byName.set(name, withPaths(named, new Map([[file, added]])));
  }

  /** Files directly in a directory ('' for the root), sorted: those whose dirname is exactly dir. */
  filesIn(dir: string): readonly string[] {
    this.reads?.dirs.add(dir);
    let byDir = this.index.byDir;
    if (!byDir) {
      byDir = new Map();
      for (const f of this.sorted()) {
        const i = f.lastIndexOf('/');
        const d = i === -1 ? '' : f.slice(0, i);
        let list = byDir.get(d);
        if (!list) byDir.set(d, (list = []));
        list.push(f);
      }
      this.index.byDir = byDir;
    }
    return byDir.get(dir) ?? EMPTY;
  }

  /**
   * Files under a directory (of one kind), sorted: all for '', else those starting with `dir/`. A
   * binary search on the sorted list instead of a scan of every file.
   */
  filesUnder(dir: string, kind?: FileKind): readonly string[] {
    this.reads?.prefixes.add(`${kind ?? ''}\0${dir}`);
    const all = this.sorted(kind);
    if (dir === '') return all;
    const prefix = dir + '/';
    // Paths starting with the prefix are contiguous in the sorted list, from where it would sort.
    let lo = 0;
    let hi = all.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (all[mid]! < prefix) lo = mid + 1;
      else hi = mid;
    }
    let end = lo;
    while (end < all.length && all[end]!.startsWith(prefix)) end++;
    return all.slice(lo, end);
  }

  /** Files with this base name (e.g. '.gitignore'), sorted. */
  filesNamed(name: string): readonly string[] {
    this.reads?.preds.push((f) => f.slice(f.lastIndexOf('/') + 1) === name);
    let list = this.index.byName.get(name);
    if (!list) {
      // Only the names asked for (a handful: .gitignore, env templates, migration markers).
      list = this.sorted().filter((f) => f.endsWith(name) && (f.length === name.length || f.charCodeAt(f.length - name.length - 1) === 47 /* / */));
      this.index.byName.set(name, list);
    }
    return list;
  }

  /**
   * A value computed from the set of paths alone (not from any text), kept until a file is created
   * or removed: e.g. which directory is a project's root.
   */
  pathMemo<T>(key: string, compute: () => T): T {
    if (this.reads) this.reads.all = true;
    const m = this.index.memo;
    if (m.has(key)) return m.get(key) as T;
    const v = compute();
    m.set(key, v);
    return v;
  }

  has(kind: FileKind): boolean {
    this.reads?.kinds.add(kind);
    return this.sorted(kind).length > 0;
  }

  exists(file: string): boolean {
    const f = normalize(file);
    this.reads?.paths.add(f);
    return this.records.has(f);
  }

  /**
   * Whether something exists at this path on disk although the workspace does not list it (it is
   * ignored, or lies in a directory never entered): a fix must not create a file there.
   */
  existsOnDisk(file: string): boolean {
    const f = normalize(file);
    if (this.records.has(f)) return true;
    if (this.root.startsWith('/virtual')) return false;
    try {
      fs.lstatSync(path.join(this.root, ...f.split('/')));
      return true;
    } catch {
      return false;
    }
  }

  kindOf(file: string): FileKind | undefined {
    const f = normalize(file);
    this.reads?.paths.add(f);
    return this.records.get(f)?.kind;
  }

  /** Files whose path matches a predicate (e.g. basename tests), sorted. */
  find(pred: (file: string) => boolean): string[] {
    this.reads?.preds.push(pred);
    return this.sorted().filter(pred);
  }

  record(file: string): FileRecord | undefined {
    const f = normalize(file);
    this.reads?.texts.add(f);
    return this.records.get(f);
  }

  /** The file's current text, or undefined (with an error recorded) when it cannot be read. */
  text(file: string): string | undefined {
    const f = normalize(file);
    this.reads?.texts.add(f);
    const r = this.records.get(f);
    if (!r) return undefined;
    if (!r.loaded) this.load(r);
    return r.text;
  }

  private load(r: FileRecord): void {
    r.loaded = true;
    try {
      if (!r.abs) throw new FileError(r.path, 'no such file');
      let real = r.abs;
      if (r.symlink) {
        try {
          real = fs.realpathSync(r.abs);
        } catch {
          throw new FileError(r.path, 'broken symbolic link');
        }
        const inside = real === this.root || real.startsWith(this.root + path.sep);
        if (!inside) throw new FileError(r.path, 'symbolic link to a file outside the scanned root; not read');
        if (!fs.statSync(real).isFile()) throw new FileError(r.path, 'symbolic link to something that is not a file');
      }
      let st: fs.Stats;
      try {
        st = fs.statSync(real);
      } catch (e) {
        throw new FileError(r.path, `cannot read file: ${ioReason(e)}; skipped`);
      }
      if (!st.isFile()) throw new FileError(r.path, 'not a regular file; skipped');
      if (st.size > this.maxFileBytes) {
        throw new FileError(r.path, `file is ${st.size} bytes, over the ${this.maxFileBytes}-byte size limit; skipped`);
      }
      let buf: Buffer;
      try {
        buf = fs.readFileSync(real);
      } catch (e) {
        throw new FileError(r.path, `cannot read file: ${ioReason(e)}; skipped`);
      }
      const decoded = decodeText(buf, r.path);
      r.diskHash = sha256(buf);
      r.format = { bom: decoded.bom, crlf: decoded.crlf, mode: st.mode & 0o7777 };
      r.text = decoded.text;
      r.originalText = decoded.text;
    } catch (e) {
      const err = e instanceof FileError ? e : new FileError(r.path, (e as Error).message);
      r.error = { file: r.path, message: err.message, line: err.line };
      this.recordFileError(r.error);
    }
  }

  /** Parse a file with a parser, once per text version. Records a ParseError and returns undefined on failure. */
  parse<T>(file: string, parser: Parser<T>): T | undefined {
    const f = normalize(file);
    this.reads?.texts.add(f);
    const cache = this.cacheFor(f);
    if (cache.has(parser.key)) return cache.get(parser.key) as T | undefined;
    if (parser.dispose) this.disposers.set(parser.key, parser.dispose as (value: unknown) => void);
    const text = this.text(f);
    let result: T | undefined;
    if (text !== undefined) {
      traceParse(parser.key, f);
      try {
        result = parser.parse(text, f);
      } catch (e) {
        this.recordParseError(f, e);
      }
    }
    cache.set(parser.key, result);
    return result;
  }

  async parseAsync<T>(file: string, parser: AsyncParser<T>): Promise<T | undefined> {
    const f = normalize(file);
    this.reads?.texts.add(f);
    const cache = this.cacheFor(f);
    if (cache.has(parser.key)) return (await cache.get(parser.key)) as T | undefined;
    if (parser.dispose) this.disposers.set(parser.key, parser.dispose as (value: unknown) => void);
    const p = this.parseRecorded(f, this.text(f), parser);
    cache.set(parser.key, p);
    return p;
  }

  /** A parse of a file's text; when it fails, the file's parse error is recorded and it is undefined. */
  private async parseRecorded<T>(f: string, text: string | undefined, parser: AsyncParser<T>): Promise<T | undefined> {
    if (text === undefined) return undefined;
    traceParse(parser.key, f);
    try {
      return await parser.parse(text, f);
    } catch (e) {
      this.recordParseError(f, e);
      return undefined;
    }
  }

  /**
   * A parse for one use: the cached parse of the file's text when there is one, else a new one that
   * is not kept. For a reader that keeps what it extracts from a text itself (keyed by the text),
   * of files no other reader parses: keeping their trees would hold them for the whole run. Reads
   * and errors are recorded as parseAsync records them.
   */
  async parseOnce<T>(file: string, parser: AsyncParser<T>): Promise<T | undefined> {
    const f = normalize(file);
    if (this.parses.get(f)?.has(parser.key)) return this.parseAsync(f, parser);
    this.reads?.texts.add(f);
    return this.parseRecorded(f, this.text(f), parser);
  }

  private cacheFor(f: string): Map<string, unknown> {
    let c = this.parses.get(f);
    if (!c) this.parses.set(f, (c = new Map()));
    return c;
  }

  /**
   * Forget the parses of a file whose text changed, and free what they hold outside the heap. Safe
   * because nothing can read them again: every computation that read the old text (the memos
   * below, the fix session's cached detections) is invalidated by the same change, parses are
   * cached per file and never shared between files or workspaces, and rules keep no parse across
   * a change (they run one at a time and hand back plain data). Only the engine's fix session
   * changes texts (setText, createFile, restore), between rule runs.
   */
  private dropParses(f: string): void {
    const cache = this.parses.get(f);
    if (!cache) return;
    this.parses.delete(f);
    for (const [key, value] of cache) {
      const dispose = this.disposers.get(key);
      // Async parses are cached as promises (one may still be pending): free once it settles.
      if (dispose) void Promise.resolve(value).then((v) => v !== undefined && dispose(v));
    }
  }

  private recordParseError(file: string, e: unknown): void {
    const err = e as FileError;
    this.recordFileError({ file, message: err.message ?? String(e), line: err.line });
  }

  addError(err: ParseError): void {
    const key = `${err.file}\0${err.line ?? ''}\0${err.message}`;
    if (this.errorKeys.has(key)) return;
    this.errorKeys.add(key);
    this.errorList.push(err);
  }

  get errors(): ParseError[] {
    return [...this.errorList].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : (a.line ?? 0) - (b.line ?? 0)));
  }

  /**
   * True when files were read but every one of them failed to be read or parsed: nothing could be
   * scanned (the CLI exits 2). A repository with no files of a kind any rule reads is not an error.
   */
  nothingScanned(): boolean {
    let read = 0;
    for (const r of this.records.values()) {
      if (!r.loaded || r.created) continue;
      read++;
      if (!this.bad.has(r.path)) return false;
    }
    return read > 0;
  }

  // ---- what the result cache (src/engine/cache.ts) checks and restores ----

  /**
   * A hash of the file list as listed (paths, kinds, which are symbolic links): a cached result is
   * reused only when the list is the one it was computed on. Computed once; only for a workspace
   * that nothing was created in.
   */
  listingHash(): string {
    if (this.listingDigest === undefined) {
      const h = createHash('sha256');
      for (const f of [...this.records.keys()].sort()) {
        const r = this.records.get(f)!;
        h.update(`${f}\0${r.kind}\0${r.symlink ? 1 : 0}${r.created ? 'c' : ''}\n`);
      }
      this.listingDigest = h.digest('hex');
    }
    return this.listingDigest;
  }

  /**
   * What a cached result may depend on in a file: the sha256 of its bytes and its mode, read now
   * (as text() would: a file that cannot be read gets its error recorded). '-' for a path that is
   * not a file of the workspace; undefined when the file cannot be fingerprinted (unreadable,
   * over the size limit, a symbolic link, or changed in memory): a result that read it is not cached.
   */
  fingerprint(file: string): string | undefined {
    const f = normalize(file);
    const r = this.records.get(f);
    if (!r) return '-';
    if (!r.loaded) this.load(r);
    if (r.error || r.symlink || r.created || r.text !== r.originalText || !r.diskHash || !r.format) return undefined;
    return `${r.diskHash}:${r.format.mode.toString(8)}`;
  }

  /**
   * A file that could not be read or parsed: its error is recorded and it counts as bad (see
   * nothingScanned). Also how a cached result's errors are recorded again.
   */
  recordFileError(err: ParseError): void {
    this.bad.add(err.file);
    this.addError(err);
  }

  /** Number of files that could be read. */
  get readableCount(): number {
    let n = 0;
    for (const r of this.records.values()) if (!r.error) n++;
    return n;
  }

  // ---- dependency tracking (used by the engine to re-detect only what a fix can change) ----

  /**
   * Run fn and record every path, list and text it reads through the workspace. Tracked
   * computations must not overlap (the engine runs rules one at a time).
   */
  async track<T>(fn: () => Promise<T>): Promise<{ value: T; reads: ReadSet }> {
    const outer = this.reads;
    const reads = emptyReadSet();
    this.reads = reads;
    try {
      return { value: await fn(), reads };
    } finally {
      this.reads = outer;
      if (outer) mergeReads(outer, reads);
    }
  }

  /**
   * A value computed from the workspace (an app's routes, a project's settings), kept while nothing
   * it read changed: compute runs tracked, and a later call re-runs it only when a file it read
   * changed or a file appeared where it listed. The value is shared: callers must not mutate it.
   */
  async memo<T>(key: string, compute: () => Promise<T>): Promise<T> {
    const hit = this.memos.get(key);
    if (hit && !this.changedSince(hit.reads, hit.mark)) {
      hit.mark = this.changeMark;
      if (this.reads) mergeReads(this.reads, hit.reads);
      return hit.value as T;
    }
    const mark = this.changeMark;
    const { value, reads } = await this.track(compute);
    this.keepMemo(key, value, reads, mark);
    return value;
  }

  /** memo() for a synchronous computation. */
  memoSync<T>(key: string, compute: () => T): T {
    const hit = this.memos.get(key);
    if (hit && !this.changedSince(hit.reads, hit.mark)) {
      hit.mark = this.changeMark;
      if (this.reads) mergeReads(this.reads, hit.reads);
      return hit.value as T;
    }
    const mark = this.changeMark;
    const outer = this.reads;
    const reads = emptyReadSet();
    this.reads = reads;
    let value: T;
    try {
      value = compute();
    } finally {
      this.reads = outer;
      if (outer) mergeReads(outer, reads);
    }
    this.keepMemo(key, value, reads, mark);
    return value;
  }

  private keepMemo(key: string, value: unknown, reads: ReadSet, mark: number): void {
    this.memos.set(key, { value, reads, mark });
    for (const f of reads.texts) {
      let keys = this.memoReaders.get(f);
      if (!keys) this.memoReaders.set(f, (keys = new Set()));
      keys.add(key);
    }
  }

  /** A mark in the change log, for changedSince(). */
  get changeMark(): number {
    return this.changeLog.length;
  }

  private logChange(file: string, pathChanged: boolean): void {
    // Memos that read this file's text are stale from now on (a memo computed later is keyed here
    // again; one kept under a key that has since been computed again without reading the file is not).
    const readers = this.memoReaders.get(file);
    if (readers) {
      this.memoReaders.delete(file);
      for (const key of readers) if (this.memos.get(key)?.reads.texts.has(file)) this.memos.delete(key);
    }
    const at = this.changeLog.length;
    this.lastChange.set(file, at);
    if (pathChanged) {
      this.pathChanges.push(at);
      const kind = classify(file);
      const last = this.lastPathChange;
      last.set(`p\0${file}`, at);
      last.set(`k\0${kind}`, at);
      // Every directory the path is under ('' included), as filesUnder records them.
      for (let i = file.lastIndexOf('/'), first = true; ; i = file.lastIndexOf('/', i - 1), first = false) {
        const dir = i <= 0 ? '' : file.slice(0, i);
        if (first) last.set(`d\0${dir}`, at);
        last.set(`u\0\0${dir}`, at);
        last.set(`u\0${kind}\0${dir}`, at);
        if (i <= 0) break;
      }
    }
    this.changeLog.push([file, pathChanged]);
  }

  /**
   * Whether a computation that read `r` may give a different result now than at `mark`: a file it
   * read changed, or a path appeared or disappeared where it looked. Memo hits and the fix session
   * ask this for every memo and rule after every pass, so it looks up whichever is smaller: the
   * files read (in lastChange) or the changes since the mark (in the read set).
   */
  changedSince(r: ReadSet, mark: number): boolean {
    const n = this.changeLog.length - mark;
    if (n <= 0) return false;
    if (r.texts.size <= n) {
      for (const f of r.texts) if ((this.lastChange.get(f) ?? -1) >= mark) return true;
    } else {
      for (let i = mark; i < this.changeLog.length; i++) if (r.texts.has(this.changeLog[i]![0])) return true;
    }
    // The first path change at or after the mark (positions ascend).
    const pc = this.pathChanges;
    let first = 0;
    for (let hi = pc.length; first < hi; ) {
      const mid = (first + hi) >>> 1;
      if (pc[mid]! < mark) first = mid + 1;
      else hi = mid;
    }
    if (first === pc.length) return false;
    if (r.all) return true;
    const reads = r.paths.size + r.kinds.size + r.dirs.size + r.prefixes.size;
    if (pc.length - first <= reads) {
      for (let j = pc.length - 1; j >= first; j--) if (pathAffects(r, this.changeLog[pc[j]!]![0])) return true;
      return false;
    }
    // The same test as pathAffects for each path change since the mark, one look-up per read (the
    // texts read need none: a path change is in the change log, which the loop above searched).
    const since = (key: string) => (this.lastPathChange.get(key) ?? -1) >= mark;
    for (const p of r.paths) if (since(`p\0${p}`)) return true;
    for (const k of r.kinds) if (since(`k\0${k}`)) return true;
    for (const d of r.dirs) if (since(`d\0${d}`)) return true;
    for (const key of r.prefixes) if (since(`u\0${key}`)) return true;
    if (r.preds.length === 0) return false;
    for (let j = pc.length - 1; j >= first; j--) {
      const p = this.changeLog[pc[j]!]![0];
      for (const pred of r.preds) if (pred(p)) return true;
    }
    return false;
  }

  // ---- in-memory edits (used by the engine's fix session only) ----

  setText(file: string, text: string): void {
    const f = normalize(file);
    const r = this.records.get(f);
    if (!r) throw new Error(`setText: unknown file ${f}`);
    if (!r.loaded) this.load(r);
    // The same text keeps its parses: nothing that read them is invalidated.
    if (r.text === text) return;
    this.logChange(f, false);
    r.text = text;
    this.dropParses(f);
  }

  createFile(file: string, text: string): void {
    const f = normalize(file);
    if (this.records.has(f)) throw new Error(`createFile: ${f} exists`);
    this.listingDigest = undefined;
    this.records.set(f, {
      path: f,
      kind: classify(f),
      abs: this.root.startsWith('/virtual') ? undefined : path.join(this.root, ...f.split('/')),
      loaded: true,
      created: true,
      text,
      format: { bom: false, crlf: false, mode: 0o644 },
    });
    this.dropParses(f);
    this.logChange(f, true);
    this.reindex(f, true);
  }

  /** Files whose text differs from what was read (or that were created), sorted. */
  changedFiles(): FileRecord[] {
    const out: FileRecord[] = [];
    for (const r of this.records.values()) {
      if (r.created || (r.loaded && r.text !== undefined && r.text !== r.originalText)) out.push(r);
    }
    return out.sort((a, b) => (a.path < b.path ? -1 : 1));
  }

  /** Snapshot of current texts of changed files, to roll back an in-memory step. */
  snapshot(): Map<string, { text?: string; created?: boolean }> {
    const m = new Map<string, { text?: string; created?: boolean }>();
    for (const r of this.records.values()) if (r.loaded) m.set(r.path, { text: r.text, created: r.created });
    return m;
  }

  restore(snap: Map<string, { text?: string; created?: boolean }>): void {
    for (const [p, r] of [...this.records]) {
      const s = snap.get(p);
      if (!s) {
        if (r.created) {
          this.listingDigest = undefined;
          this.records.delete(p);
          this.dropParses(p);
          this.logChange(p, true);
          this.reindex(p, false);
        }
        continue;
      }
      if (r.text !== s.text) {
        r.text = s.text;
        this.dropParses(p);
        this.logChange(p, false);
      }
    }
  }
}

/**
 * A sorted path list with some paths added (true) or removed (false): a new array, the list itself
 * untouched. Adding a path already there or removing one that is not changes nothing.
 */
function withPaths(list: readonly string[], changes: Map<string, boolean>): string[] {
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const added = [...changes].filter(([, a]) => a).map(([p]) => p).sort(cmp);
  const out: string[] = [];
  let j = 0;
  for (const f of list) {
    if (changes.get(f) === false) continue;
    while (j < added.length && added[j]! < f) out.push(added[j++]!);
    if (j < added.length && added[j] === f) j++;
    out.push(f);
  }
  while (j < added.length) out.push(added[j++]!);
  return out;
}

function mergeReads(into: ReadSet, from: ReadSet): void {
  for (const x of from.texts) into.texts.add(x);
  for (const x of from.paths) into.paths.add(x);
  for (const x of from.kinds) into.kinds.add(x);
  for (const x of from.dirs) into.dirs.add(x);
  for (const x of from.prefixes) into.prefixes.add(x);
  into.preds.push(...from.preds);
  if (from.all) into.all = true;
}

function isIgnored(rel: string, isDir: boolean, scopes: { base: string; ig: Ignore }[]): boolean {
  let ignored = false;
  for (const s of scopes) {
    const sub = s.base ? rel.slice(s.base.length + 1) : rel;
    const r = s.ig.test(isDir ? sub + '/' : sub);
    if (r.ignored) ignored = true;
    else if (r.unignored) ignored = false;
  }
  return ignored;
}

/** Why a read failed, in words, with the error code (no absolute paths). */
function ioReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const words: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    ENOENT: 'it disappeared while scanning',
    EISDIR: 'is a directory',
    EIO: 'input/output error',
    ELOOP: 'too many levels of symbolic links',
    EMFILE: 'too many open files',
  };
  if (code && words[code]) return `${words[code]} (${code})`;
  return code ?? (e as Error).message;
}

function safeRead(p: string): string {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}

const EMPTY: readonly string[] = Object.freeze([]);

export function normalize(file: string): string {
  // Most paths are normal already (this runs for every lookup): only then skip the replacements.
  if (!file.includes('\\') && !file.startsWith('./')) return file;
  return file.replace(/\\/g, '/').replace(/^\.\//, '');
}

export function sha256(buf: Buffer | string): string {
  return createHash('sha256').update(buf).digest('hex');
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// Bytes that are not valid UTF-8 are kept as lone surrogates U+DC80..U+DCFF (Python's
// "surrogateescape"), so a file with a stray Latin-1 byte can still be read, and every byte a fix
// does not touch is written back as it was. A fix whose edit lands next to such a byte is refused
// (see FixSession): what the byte meant cannot be known.
export const ESCAPED_BYTE = /[\udc80-\udcff]/;

function decodeEscaped(buf: Buffer): string {
  let out = '';
  let i = 0;
  let plainStart = 0;
  const flush = (end: number) => {
    if (end > plainStart) out += utf8.decode(buf.subarray(plainStart, end));
  };
  while (i < buf.length) {
    const n = validSequenceLength(buf, i);
    if (n > 0) {
      i += n;
      continue;
    }
    flush(i);
    out += String.fromCharCode(0xdc00 + buf[i]!);
    i++;
    plainStart = i;
  }
  flush(buf.length);
  return out;
}

/** Length of the well-formed UTF-8 sequence at i (Unicode Table 3-7), or 0. */
function validSequenceLength(b: Buffer, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => i + k < b.length && b[i + k]! >= lo && b[i + k]! <= hi;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if ((c >= 0xe1 && c <= 0xec) || c === 0xee || c === 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (c === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (c === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xf1 && c <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

export function decodeText(buf: Buffer, file: string): { text: string; bom: boolean; crlf: boolean } {
  if (buf.includes(0)) throw new FileError(file, 'binary file (contains NUL bytes); skipped');
  let text: string;
  try {
    text = utf8.decode(buf);
  } catch {
    text = decodeEscaped(buf);
  }
  const bom = text.charCodeAt(0) === 0xfeff;
  if (bom) text = text.slice(1);
  const lf = countOf(text, '\n');
  const crlf = lf > 0 && countOf(text, '\r\n') === lf;
  if (crlf) text = text.replace(/\r\n/g, '\n');
  return { text, bom, crlf };
}

/** A text in a file's original format (CRLF, BOM), still as a string. */
export function applyFormat(text: string, format: FileFormat | undefined): string {
  let t = text;
  if (format?.crlf) t = t.replace(/\n/g, '\r\n');
  if (format?.bom) t = '\ufeff' + t;
  return t;
}

/** UTF-8 bytes of a string, writing escaped bytes (U+DC80..U+DCFF) back as the bytes they were. */
export function toBytes(s: string): Buffer {
  if (!ESCAPED_BYTE.test(s)) return Buffer.from(s, 'utf8');
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xdc80 && c <= 0xdcff && !(i > 0 && s.charCodeAt(i - 1) >= 0xd800 && s.charCodeAt(i - 1) <= 0xdbff)) {
      parts.push(Buffer.from(s.slice(start, i), 'utf8'), Buffer.from([c - 0xdc00]));
      start = i + 1;
    }
  }
  parts.push(Buffer.from(s.slice(start), 'utf8'));
  return Buffer.concat(parts);
}

/** The bytes to write for a text in a file's original format. */
export function encodeText(text: string, format: FileFormat | undefined): Buffer {
  return toBytes(applyFormat(text, format));
}

function countOf(s: string, sub: string): number {
  let n = 0;
  for (let i = s.indexOf(sub); i !== -1; i = s.indexOf(sub, i + sub.length)) n++;
  return n;
}
