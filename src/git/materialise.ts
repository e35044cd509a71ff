// A commit's tree written out into a temporary directory, so that the ordinary workspace (with its
// .gitignore handling, encodings and file modes) can read it. Blobs are the raw bytes the commit
// holds (no smudge filters, no export-ignore), so an edit written back as a blob changes exactly
// what the fix changed. The user's working tree is never read: uncommitted changes are not part of
// the result. Callers must call cleanup() (try/finally).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Git, TreeEntry } from './git.js';

export interface MaterialisedTree {
  /** The temporary directory holding the whole tree (or the part under the prefix). */
  dir: string;
  /** dir joined with the prefix: the directory to scan. */
  root: string;
  /** Tree entries by path from the repository root. */
  entries: Map<string, TreeEntry>;
  cleanup(): void;
}

/**
 * Write the tree of commit (only the part under prefix, e.g. 'services/api/') into a new temporary
 * directory. Blobs larger than maxFileBytes are written as sparse files of the same size, so the
 * workspace sees (and reports) them as too large without the bytes being copied.
 */
export async function materialiseTree(
  git: Git,
  commit: string,
  prefix: string,
  maxFileBytes: number,
  /** Where to write (a directory that does not exist yet); default a new temporary directory. */
  into?: string,
): Promise<MaterialisedTree> {
  let dir: string;
  if (into) {
    fs.mkdirSync(into);
    dir = into;
  } else dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-tree-'));
  const cleanup = () => fs.rmSync(dir, { recursive: true, force: true });
  try {
    const list = await git.lsTree(commit, prefix ? [prefix] : []);
    const entries = new Map(list.map((e) => [e.path, e]));
    const wanted: TreeEntry[] = [];
    for (const e of list) {
      const target = safeJoin(dir, e.path);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      if (e.type === 'commit') {
        fs.mkdirSync(target, { recursive: true }); // a submodule: an empty directory, as in a fresh clone
      } else if (e.mode === '120000' || (e.size ?? 0) <= maxFileBytes) {
        wanted.push(e);
      } else {
        fs.writeFileSync(target, '');
        fs.truncateSync(target, e.size);
      }
    }
    await git.catBlobs(
      wanted.map((e) => e.oid),
      (i, data) => {
        const e = wanted[i]!;
        const target = safeJoin(dir, e.path);
        if (e.mode === '120000') fs.symlinkSync(data.toString('utf8'), target);
        else fs.writeFileSync(target, data, { mode: e.mode === '100755' ? 0o755 : 0o644 });
      },
    );
    // writeFileSync's mode is filtered by the umask; make executables executable whatever it is.
    for (const e of wanted) if (e.mode === '100755') fs.chmodSync(safeJoin(dir, e.path), 0o755);
    const root = prefix ? path.join(dir, ...prefix.replace(/\/$/, '').split('/')) : dir;
    fs.mkdirSync(root, { recursive: true });
    return { dir, root, entries, cleanup };
  } catch (e) {
    cleanup();
    throw e;
  }
}

function safeJoin(dir: string, rel: string): string {
  const parts = rel.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..')) throw new Error(`refusing the tree path "${rel}"`);
  return path.join(dir, ...parts);
}
