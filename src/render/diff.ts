// Unified diffs of the changed files, in the form `git apply` and `patch -p1` accept:
// `diff --git` headers, a/ and b/ prefixes, /dev/null and `new file mode` for created files.
import { structuredPatch } from 'diff';
import { c } from './color.js';

export interface FileChange {
  file: string;
  /** Bytes as text (BOM and CRLF included) before; null when the file is created. */
  before: string | null;
  after: string;
  mode?: number;
}

export function unifiedPatch(changes: FileChange[]): string {
  let out = '';
  for (const ch of changes) out += filePatch(ch);
  return out;
}

export function filePatch(ch: FileChange): string {
  if (ch.before === ch.after) return '';
  const p = structuredPatch(`a/${ch.file}`, `b/${ch.file}`, ch.before ?? '', ch.after, '', '', { context: 3 });
  let out = `diff --git a/${ch.file} b/${ch.file}\n`;
  if (ch.before === null) {
    const mode = ((ch.mode ?? 0o644) & 0o111) !== 0 ? '100755' : '100644';
    out += `new file mode ${mode}\n--- /dev/null\n`;
  } else {
    out += `--- a/${ch.file}\n`;
  }
  out += `+++ b/${ch.file}\n`;
  for (const h of p.hunks) {
    const oldStart = h.oldLines === 0 ? h.oldStart - 0 : h.oldStart;
    out += `@@ -${oldStart}${h.oldLines === 1 ? '' : ',' + h.oldLines} +${h.newStart}${h.newLines === 1 ? '' : ',' + h.newLines} @@\n`;
    for (const l of h.lines) out += l + '\n';
  }
  return out;
}

/** A patch coloured for the terminal (headers bold, removals red, additions green, hunks cyan). */
export function colorPatch(patch: string): string {
  return patch
    .split('\n')
    .map((l) => {
      if (l.startsWith('diff --git') || l.startsWith('--- ') || l.startsWith('+++ ') || l.startsWith('new file mode')) return c.bold(l);
      if (l.startsWith('@@')) return c.cyan(l);
      if (l.startsWith('+')) return c.green(l);
      if (l.startsWith('-')) return c.red(l);
      return l;
    })
    .join('\n');
}

/** Lines added and removed per file, for summaries and diffstats. */
export function diffStat(changes: FileChange[]): { file: string; added: number; removed: number }[] {
  return changes.map((ch) => {
    const p = structuredPatch('a', 'b', ch.before ?? '', ch.after, '', '', { context: 0 });
    let added = 0;
    let removed = 0;
    for (const h of p.hunks) for (const l of h.lines) {
      if (l.startsWith('+')) added++;
      else if (l.startsWith('-')) removed++;
    }
    return { file: ch.file, added, removed };
  });
}
