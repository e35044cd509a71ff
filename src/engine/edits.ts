// Applying a set of offset edits to one text with magic-string: untouched text stays byte-identical.
// Insertions at the same point keep the order they were given in; an insertion at the boundary of
// a replacement stays outside it. Overlapping replacements are an error (the caller defers them).
import MagicString from 'magic-string';
import type { ModifyEdit } from '../types.js';

export class EditError extends Error {}

export function overlaps(a: { start: number; end: number }, b: { start: number; end: number }): boolean {
  if (a.start === a.end || b.start === b.end) {
    // An insertion conflicts only with a replacement that strictly contains its point.
    const ins = a.start === a.end ? a : b;
    const other = ins === a ? b : a;
    if (other.start === other.end) return false;
    return other.start < ins.start && ins.start < other.end;
  }
  return a.start < b.end && b.start < a.end;
}

/** Check edits against a text: in bounds, ordered start ≤ end, not overlapping each other. */
export function checkEdits(text: string, edits: readonly ModifyEdit[], file: string): void {
  for (const e of edits) {
    if (!Number.isInteger(e.start) || !Number.isInteger(e.end) || e.start < 0 || e.end < e.start || e.end > text.length) {
      throw new EditError(`edit [${e.start}, ${e.end}) is outside ${file} (length ${text.length})`);
    }
  }
  for (let i = 0; i < edits.length; i++) {
    for (let j = i + 1; j < edits.length; j++) {
      if (overlaps(edits[i]!, edits[j]!)) throw new EditError(`overlapping edits in ${file}`);
    }
  }
}

export function applyEdits(text: string, edits: readonly ModifyEdit[], file = 'file'): string {
  if (edits.length === 0) return text;
  checkEdits(text, edits, file);
  const s = new MagicString(text);
  // Replacements first so that insertions recorded at their boundaries attach outside them.
  for (const e of edits) {
    if (e.start === e.end) continue;
    if (e.text === '') s.remove(e.start, e.end);
    else s.update(e.start, e.end, e.text);
  }
  for (const e of edits) {
    if (e.start !== e.end || e.text === '') continue;
    if (e.start === text.length) s.append(e.text);
    else s.appendLeft(e.start, e.text);
  }
  return s.toString();
}
