// Writing is all-or-nothing across files. Every changed file is first written to a temporary file
// beside it (same directory, same mode and owner); only when all are staged are they renamed into
// place. A failure (or SIGINT/SIGTERM) during the renames restores what was already renamed and
// removes every temporary file. A file whose bytes on disk differ from what was read is not
// overwritten. Each file is always wholly old or wholly new.
import fs from 'node:fs';
import path from 'node:path';
import type { FileRecord, Workspace } from '../workspace.js';
import { applyFormat, encodeText, sha256 } from '../workspace.js';
import type { FileChange } from '../render/diff.js';

export interface WriteResult {
  written: string[];
  skipped: { file: string; reason: string }[];
  /** Set when the transaction failed and was rolled back. */
  error?: string;
}

/** The byte-level changes of a workspace (texts re-encoded with each file's BOM and line endings). */
export function fileChanges(ws: Workspace): FileChange[] {
  return ws.changedFiles().map((r) => ({
    file: r.path,
    // Strings, not bytes: bytes that were not UTF-8 stay escaped (see toBytes) until written.
    before: r.created ? null : applyFormat(r.originalText ?? '', r.format),
    after: applyFormat(r.text ?? '', r.format),
    mode: r.format?.mode,
  }));
}

/**
 * Changed files whose disk contents no longer match what was read (or, for files to create, that
 * now exist): writing would overwrite someone's edit. The interactive review checks this before
 * writing, to offer a re-plan; writeChanges checks it again per file.
 */
export function changedOnDisk(ws: Workspace, opts: { followSymlinks?: boolean } = {}): { file: string; reason: string }[] {
  const out: { file: string; reason: string }[] = [];
  for (const rec of ws.changedFiles()) {
    if (!rec.abs) continue;
    if (rec.symlink && !opts.followSymlinks) continue; // not written anyway
    let target = rec.abs;
    try {
      if (rec.symlink) target = fs.realpathSync(rec.abs);
    } catch {
      out.push({ file: rec.path, reason: 'its symbolic link no longer resolves' });
      continue;
    }
    if (rec.created) {
      if (fs.existsSync(target)) out.push({ file: rec.path, reason: 'was created on disk since the scan' });
      continue;
    }
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(target);
    } catch {
      out.push({ file: rec.path, reason: 'can no longer be read' });
      continue;
    }
    if (sha256(bytes) !== rec.diskHash) out.push({ file: rec.path, reason: 'changed on disk since it was read' });
  }
  return out;
}

interface Staged {
  rec: FileRecord;
  target: string;
  temp: string;
  backup: Buffer | null; // null: created
  createdDirs: string[];
  renamed: boolean;
}

/** Fault injection for tests: SHIPSHAPE_FAULT=fail-after-renames:N | exit-after-renames:N | fail-staging:N */
function fault(): { kind: string; n: number } | undefined {
  const v = process.env.SHIPSHAPE_FAULT;
  if (!v) return undefined;
  const m = /^([a-z-]+):(\d+)$/.exec(v);
  return m ? { kind: m[1]!, n: Number(m[2]) } : undefined;
}

export function writeChanges(ws: Workspace, opts: { followSymlinks?: boolean } = {}): WriteResult {
  const result: WriteResult = { written: [], skipped: [] };
  const staged: Staged[] = [];
  const temps = new Set<string>();
  const f = fault();
  const cleanupTemps = () => {
    for (const t of temps) {
      try {
        fs.unlinkSync(t);
      } catch {
        /* already gone */
      }
    }
    temps.clear();
  };
  const rollback = () => {
    for (const s of [...staged].reverse()) {
      if (!s.renamed) continue;
      try {
        if (s.backup === null) fs.unlinkSync(s.target);
        else {
          const t = tempName(s.target);
          fs.writeFileSync(t, s.backup, { mode: s.rec.format?.mode });
          fs.renameSync(t, s.target);
        }
        s.renamed = false;
      } catch {
        /* best effort; reported below */
      }
      for (const d of [...s.createdDirs].reverse()) {
        try {
          fs.rmdirSync(d);
        } catch {
          /* not empty */
        }
      }
    }
    cleanupTemps();
  };
  let interrupted: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    interrupted = sig;
  };
  const onExit = () => cleanupTemps();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', onExit);
  try {
    // 1. Check and stage.
    let stagedCount = 0;
    for (const rec of ws.changedFiles()) {
      if (!rec.abs) {
        result.skipped.push({ file: rec.path, reason: 'no path on disk' });
        continue;
      }
      let target = rec.abs;
      if (rec.symlink) {
        if (!opts.followSymlinks) {
          result.skipped.push({ file: rec.path, reason: 'is a symbolic link; not written (use --follow-symlinks to edit its target)' });
          continue;
        }
        target = fs.realpathSync(rec.abs);
        const root = fs.realpathSync(ws.root);
        if (!target.startsWith(root + path.sep)) {
          result.skipped.push({ file: rec.path, reason: 'symbolic link to a file outside the scanned root; not written' });
          continue;
        }
      }
      let backup: Buffer | null = null;
      if (rec.created) {
        if (fs.existsSync(target)) {
          result.skipped.push({ file: rec.path, reason: 'was created on disk since the scan; not overwritten' });
          continue;
        }
      } else {
        try {
          backup = fs.readFileSync(target);
        } catch {
          result.skipped.push({ file: rec.path, reason: 'can no longer be read; not written' });
          continue;
        }
        if (sha256(backup) !== rec.diskHash) {
          result.skipped.push({ file: rec.path, reason: 'changed on disk since it was read; not overwritten (run again to re-plan)' });
          continue;
        }
      }
      // A created file's temporary file waits in its nearest existing directory; missing
      // directories are made only at rename time, so an interrupted run leaves none behind.
      const temp = rec.created ? tempName(path.join(existingAncestor(path.dirname(target)), path.basename(target))) : tempName(target);
      const mode = rec.format?.mode ?? 0o644;
      if (f?.kind === 'fail-staging' && stagedCount === f.n) throw new Error('injected fault while staging');
      temps.add(temp);
      const fd = fs.openSync(temp, 'wx', mode);
      try {
        fs.writeSync(fd, encodeText(rec.text ?? '', rec.format));
        fs.fchmodSync(fd, mode);
        if (!rec.created) {
          try {
            const st = fs.statSync(target);
            fs.fchownSync(fd, st.uid, st.gid);
          } catch {
            /* not permitted: keep our own ownership */
          }
        }
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      staged.push({ rec, target, temp, backup, createdDirs: [], renamed: false });
      stagedCount++;
      if (interrupted) throw new Error(`interrupted by ${interrupted}`);
    }
    // 2. Rename into place.
    let renames = 0;
    for (const s of staged) {
      if (interrupted) throw new Error(`interrupted by ${interrupted}`);
      if (f?.kind === 'fail-after-renames' && renames === f.n) throw new Error(`injected fault after ${renames} renames`);
      if (f?.kind === 'exit-after-renames' && renames === f.n) process.exit(99);
      if (s.rec.created) s.createdDirs = mkdirs(path.dirname(s.target), fs.realpathSync(ws.root));
      fs.renameSync(s.temp, s.target);
      temps.delete(s.temp);
      s.renamed = true;
      renames++;
    }
    if (interrupted) throw new Error(`interrupted by ${interrupted}`);
    result.written = staged.map((s) => s.rec.path);
  } catch (e) {
    rollback();
    result.written = [];
    result.error = `${(e as Error).message}; every file was left as it was`;
  } finally {
    cleanupTemps();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', onExit);
  }
  if (interrupted) {
    process.exitCode = 130;
  }
  return result;
}

function tempName(target: string): string {
  const rand = Math.random().toString(36).slice(2, 10);
  return path.join(path.dirname(target), `.${path.basename(target)}.shipshape-${process.pid}-${rand}.tmp`);
}

function existingAncestor(dir: string): string {
  let d = dir;
  while (!fs.existsSync(d)) d = path.dirname(d);
  return d;
}

/** mkdir -p below root; returns the directories it created (outermost first). */
function mkdirs(dir: string, root: string): string[] {
  const missing: string[] = [];
  let d = dir;
  while (d.startsWith(root) && d !== root && !fs.existsSync(d)) {
    missing.unshift(d);
    d = path.dirname(d);
  }
  for (const m of missing) fs.mkdirSync(m);
  return missing;
}
