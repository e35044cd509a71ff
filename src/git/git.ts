// Git plumbing for building branches without touching the user's working tree, index, HEAD or
// stash: objects are written with hash-object/commit-tree, trees are built in a temporary index
// (GIT_INDEX_FILE), refs move only through update-ref with the expected old value. Every call runs
// git with execFile semantics (no shell) and GIT_OPTIONAL_LOCKS=0, so that even read-only commands
// such as `status` never refresh and rewrite the user's index.
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { run, SpawnError, type RunResult } from './process.js';

export const ZERO_OID = '0000000000000000000000000000000000000000';

export class GitError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly code: number,
    readonly stderr: string,
  ) {
    super(`git ${args[0] ?? ''} failed (exit ${code}): ${stderr.trim().split('\n').slice(-3).join(' ') || 'no message'}`);
  }
}

/** The path is not inside a git repository with a working tree (or git is missing). */
export class NotARepositoryError extends Error {}

export interface TreeEntry {
  mode: string;
  type: 'blob' | 'tree' | 'commit';
  oid: string;
  /** Blob size in bytes (undefined for submodules). */
  size?: number;
  /** Path from the repository root. */
  path: string;
}

export interface IndexEntry {
  mode: string;
  oid: string;
  path: string;
}

export interface Ident {
  name: string;
  email: string;
}

export interface CommitInfo {
  oid: string;
  tree: string;
  parents: string[];
  author: Ident;
  committer: Ident;
  message: string;
}

export interface DiffEntry {
  path: string;
  oldMode: string;
  newMode: string;
  oldOid: string;
  newOid: string;
  /** A, M, D, T … as git reports it. */
  status: string;
}

export class Git {
  private constructor(
    /** Absolute path of the working tree's top level. */
    readonly top: string,
    /** Path of the opened directory relative to the top level ('' or 'a/b/'). */
    readonly prefix: string,
    readonly gitDir: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /** Open the repository containing dir. Throws NotARepositoryError with a readable message. */
  static async open(dir: string, env: NodeJS.ProcessEnv = process.env): Promise<Git> {
    const abs = path.resolve(dir);
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(abs);
    } catch {
      /* reported below */
    }
    if (!st) throw new NotARepositoryError(`${dir}: path does not exist`);
    if (!st.isDirectory()) throw new NotARepositoryError(`${dir}: not a directory`);
    const baseEnv = { ...env, GIT_OPTIONAL_LOCKS: '0' };
    let res: RunResult;
    try {
      res = await run('git', ['rev-parse', '--show-toplevel', '--show-prefix', '--absolute-git-dir'], { cwd: abs, env: baseEnv });
    } catch (e) {
      if (e instanceof SpawnError) throw new NotARepositoryError('git is not installed or not on PATH; bulk builds branches with git');
      throw e;
    }
    if (res.code !== 0) {
      const msg = res.stderr.trim();
      if (/must be run in a work tree/.test(msg)) throw new NotARepositoryError(`${dir}: a bare repository; run bulk inside a clone with a working tree`);
      if (/not a git repository/i.test(msg) || !msg) {
        throw new NotARepositoryError(`${dir}: not a git repository (bulk builds branches with git; run it inside a clone)`);
      }
      // e.g. "detected dubious ownership in repository" (safe.directory): git's own words say what to do.
      throw new NotARepositoryError(`${dir}: git cannot use this repository: ${msg.replace(/^fatal: /, '').split('\n').join(' ')}`);
    }
    const [top, prefix, gitDir] = res.stdout.toString('utf8').split('\n');
    return new Git(top!, prefix ?? '', gitDir ?? '', baseEnv);
  }

  private opts(extraEnv?: NodeJS.ProcessEnv, input?: string | Buffer) {
    return { cwd: this.top, env: extraEnv ? { ...this.env, ...extraEnv } : this.env, input };
  }

  /** Run git; resolve with the result whatever the exit code. */
  tryRun(args: readonly string[], o: { env?: NodeJS.ProcessEnv; input?: string | Buffer } = {}): Promise<RunResult> {
    return run('git', args, this.opts(o.env, o.input));
  }

  /** Run git; throw GitError on a non-zero exit. Returns stdout as bytes. */
  async run(args: readonly string[], o: { env?: NodeJS.ProcessEnv; input?: string | Buffer } = {}): Promise<Buffer> {
    const res = await this.tryRun(args, o);
    if (res.code !== 0) throw new GitError(args, res.code, res.stderr);
    return res.stdout;
  }

  async text(args: readonly string[], o: { env?: NodeJS.ProcessEnv; input?: string | Buffer } = {}): Promise<string> {
    return (await this.run(args, o)).toString('utf8').replace(/\n$/, '');
  }

  /** The commit a revision names, or null when it names none. */
  async resolveCommit(rev: string): Promise<string | null> {
    const res = await this.tryRun(['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`]);
    return res.code === 0 ? res.stdout.toString('utf8').trim() : null;
  }

  /** The object a full ref name points at, or null when the ref does not exist. */
  async refOid(ref: string): Promise<string | null> {
    const res = await this.tryRun(['rev-parse', '--verify', '--quiet', '--end-of-options', ref]);
    return res.code === 0 ? res.stdout.toString('utf8').trim() : null;
  }

  /** The full ref a short name resolves to (`main` → refs/heads/main), or null when ambiguous/none. */
  async fullRefName(rev: string): Promise<string | null> {
    if (rev.startsWith('-')) return null;
    const res = await this.tryRun(['rev-parse', '--symbolic-full-name', rev]);
    const out = res.code === 0 ? res.stdout.toString('utf8').trim() : '';
    return out.startsWith('refs/') ? out : null;
  }

  /** Every blob and submodule under paths (all when empty) of a tree-ish, recursively, with sizes. */
  async lsTree(treeish: string, paths: string[] = []): Promise<TreeEntry[]> {
    const out = await this.run(['ls-tree', '-r', '-l', '-z', '--full-tree', treeish, '--', ...paths]);
    const entries: TreeEntry[] = [];
    for (const rec of out.toString('utf8').split('\0')) {
      if (!rec) continue;
      const tab = rec.indexOf('\t');
      const [mode, type, oid, size] = rec.slice(0, tab).split(/ +/);
      entries.push({
        mode: mode!,
        type: type as TreeEntry['type'],
        oid: oid!,
        size: size === '-' || size === undefined ? undefined : Number(size),
        path: rec.slice(tab + 1),
      });
    }
    return entries;
  }

  /**
   * Stream the raw bytes of blobs (no filters: exactly what the commit holds) through one
   * `cat-file --batch`; onBlob is called in request order. Memory is bounded by the largest blob.
   */
  catBlobs(oids: string[], onBlob: (index: number, data: Buffer) => void): Promise<void> {
    if (oids.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const child = spawn('git', ['cat-file', '--batch'], { cwd: this.top, env: this.env, stdio: ['pipe', 'pipe', 'pipe'] });
      let buf: Buffer = Buffer.alloc(0);
      let index = 0;
      let need: number | null = null; // bytes of content (+ LF) awaited, null while reading a header
      let failure: Error | undefined;
      const errs: Buffer[] = [];
      const pump = () => {
        for (;;) {
          if (need === null) {
            const nl = buf.indexOf(10);
            if (nl === -1) return;
            const header = buf.subarray(0, nl).toString('utf8');
            buf = buf.subarray(nl + 1);
            const m = /^([0-9a-f]+) (\S+) (\d+)$/.exec(header);
            if (!m) {
              failure = new Error(`git cat-file: unexpected answer "${header}" for ${oids[index]}`);
              child.kill();
              return;
            }
            need = Number(m[3]);
          }
          if (buf.length < need + 1) return;
          const data = Buffer.from(buf.subarray(0, need));
          buf = buf.subarray(need + 1);
          need = null;
          try {
            onBlob(index++, data);
          } catch (e) {
            failure = e as Error;
            child.kill();
            return;
          }
        }
      };
      child.stdout.on('data', (b: Buffer) => {
        buf = buf.length ? Buffer.concat([buf, b]) : b;
        if (!failure) pump();
      });
      child.stderr.on('data', (b: Buffer) => errs.push(b));
      child.stdin.on('error', () => undefined);
      child.on('error', (e) => reject(e));
      child.on('close', (code) => {
        if (failure) reject(failure);
        else if (code !== 0) reject(new GitError(['cat-file', '--batch'], code ?? 1, Buffer.concat(errs).toString('utf8')));
        else if (index !== oids.length) reject(new Error(`git cat-file: ${oids.length - index} objects not delivered`));
        else resolve();
      });
      child.stdin.end(oids.join('\n') + '\n');
    });
  }

  /** The blob id of bytes; written into the object database only when write is set. */
  async hashObject(data: Buffer, write: boolean): Promise<string> {
    return this.text(['hash-object', ...(write ? ['-w'] : []), '--no-filters', '--stdin'], { input: data });
  }

  /**
   * The tree of `base` with entries replaced or added, built in a temporary index file inside
   * tmpDir (the user's index is never read or written). Objects must exist already.
   */
  async writeTree(base: string, entries: IndexEntry[], tmpDir: string): Promise<string> {
    const index = path.join(tmpDir, `index-${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
    const env = { GIT_INDEX_FILE: index };
    try {
      await this.run(['read-tree', base], { env });
      if (entries.length) {
        const input = entries.map((e) => `${e.mode} ${e.oid}\t${e.path}\0`).join('');
        await this.run(['update-index', '-z', '--index-info'], { env, input });
      }
      return await this.text(['write-tree'], { env });
    } finally {
      fs.rmSync(index, { force: true });
      fs.rmSync(index + '.lock', { force: true });
    }
  }

  async commitTree(tree: string, parents: string[], message: string, env?: NodeJS.ProcessEnv): Promise<string> {
    return this.text(['commit-tree', tree, ...parents.flatMap((p) => ['-p', p]), '-F', '-'], { env, input: message });
  }

  /**
   * Move ref to newOid only if it still points at oldOid (null: only if it does not exist).
   * Returns false when the ref moved in between (someone else won the race).
   */
  async updateRef(ref: string, newOid: string, oldOid: string | null, reason: string): Promise<boolean> {
    const res = await this.tryRun(['update-ref', '-m', reason, ref, newOid, oldOid ?? ZERO_OID]);
    if (res.code === 0) return true;
    if (/cannot lock ref|but expected|already exists|reference already exists/i.test(res.stderr)) return false;
    throw new GitError(['update-ref', ref], res.code, res.stderr);
  }

  async readCommit(oid: string): Promise<CommitInfo> {
    const raw = (await this.run(['cat-file', 'commit', oid])).toString('utf8');
    const split = raw.indexOf('\n\n');
    const headers = (split === -1 ? raw : raw.slice(0, split)).split('\n');
    const message = split === -1 ? '' : raw.slice(split + 2);
    const info: CommitInfo = { oid, tree: '', parents: [], author: { name: '', email: '' }, committer: { name: '', email: '' }, message };
    for (const h of headers) {
      const sp = h.indexOf(' ');
      const key = h.slice(0, sp);
      const val = h.slice(sp + 1);
      if (key === 'tree') info.tree = val;
      else if (key === 'parent') info.parents.push(val);
      else if (key === 'author') info.author = parseIdent(val);
      else if (key === 'committer') info.committer = parseIdent(val);
    }
    return info;
  }

  /** What changed between two tree-ishes (recursively, no rename detection), optionally under paths. */
  async diffTree(a: string, b: string, paths: string[] = []): Promise<DiffEntry[]> {
    const out = (await this.run(['diff-tree', '-r', '-z', '--no-renames', '--full-index', a, b, '--', ...paths])).toString('utf8');
    const parts = out.split('\0');
    const entries: DiffEntry[] = [];
    for (let i = 0; i + 1 < parts.length; i += 2) {
      const meta = parts[i]!;
      if (!meta.startsWith(':')) {
        i -= 1; // a commit id line (not produced for tree-ish pairs, but be lenient)
        continue;
      }
      const [oldMode, newMode, oldOid, newOid, status] = meta.slice(1).split(' ');
      entries.push({ path: parts[i + 1]!, oldMode: oldMode!, newMode: newMode!, oldOid: oldOid!, newOid: newOid!, status: status! });
    }
    return entries;
  }

  /** `git status --porcelain` lines (untracked files included); never rewrites the index. */
  async status(): Promise<string[]> {
    const out = await this.text(['status', '--porcelain', '-z']);
    return out.split('\0').filter(Boolean);
  }

  /** Branches checked out in any worktree of this repository (full ref names). */
  async checkedOutBranches(): Promise<Set<string>> {
    const res = await this.tryRun(['worktree', 'list', '--porcelain']);
    const set = new Set<string>();
    if (res.code === 0) {
      for (const line of res.stdout.toString('utf8').split('\n')) if (line.startsWith('branch ')) set.add(line.slice(7));
    } else {
      const head = await this.tryRun(['symbolic-ref', '-q', 'HEAD']);
      if (head.code === 0) set.add(head.stdout.toString('utf8').trim());
    }
    return set;
  }

  async remotes(): Promise<string[]> {
    return (await this.text(['remote'])).split('\n').filter(Boolean);
  }

  /**
   * Bring the remote's branches under a prefix into refs/remotes/<remote>/<prefix>…, pruning the
   * ones deleted there (only within that namespace). Branches elsewhere are not touched.
   */
  async fetchBranches(remote: string, prefix: string): Promise<void> {
    const spec = `+refs/heads/${prefix}*:refs/remotes/${remote}/${prefix}*`;
    await this.run(['fetch', '--quiet', '--no-tags', '--prune', remote, spec]);
  }

  /**
   * Push a commit to a branch of a remote, with lease: only if the remote branch is still at
   * `expected` (null: only if it does not exist), like --force-with-lease=<ref>:<expected>.
   */
  async push(remote: string, oid: string, branchRef: string, expected: string | null): Promise<RunResult> {
    return this.tryRun(['push', '--porcelain', `--force-with-lease=${branchRef}:${expected ?? ''}`, remote, `${oid}:${branchRef}`]);
  }

  /** Whether a ref name is well formed (`git check-ref-format`). */
  async validRef(ref: string): Promise<boolean> {
    return (await this.tryRun(['check-ref-format', ref])).code === 0;
  }

  /** Whether git knows who commits (user.name and user.email, or the GIT_AUTHOR_ and GIT_COMMITTER_ variables). */
  async hasIdentity(): Promise<boolean> {
    const a = await this.tryRun(['var', 'GIT_AUTHOR_IDENT']);
    const c = await this.tryRun(['var', 'GIT_COMMITTER_IDENT']);
    return a.code === 0 && c.code === 0;
  }
}

export function parseIdent(s: string): Ident {
  const m = /^(.*?) ?<([^>]*)>/.exec(s);
  return m ? { name: m[1]!, email: m[2]! } : { name: s, email: '' };
}
