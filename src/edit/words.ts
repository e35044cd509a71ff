// Word-level edits of a command, whatever its form: a shell string (Dockerfile shell form, a compose
// `command:` string, an `sh -c` script) or a JSON array (Dockerfile exec form). Removing a word takes
// the whitespace (or the comma) that separates it with it; nothing else in the text changes.
import type { WordOp } from '../project/dev-server.js';
import { shellQuote } from '../project/shell.js';

/** A local splice (offsets into the string it was computed for). */
export interface Splice {
  start: number;
  end: number;
  text: string;
}

/** Apply local splices to a string. */
export function applySplices(src: string, splices: readonly Splice[]): string {
  let out = '';
  let at = 0;
  for (const s of [...splices].sort((a, b) => a.start - b.start)) {
    out += src.slice(at, s.start) + s.text;
    at = s.end;
  }
  return out + src.slice(at);
}

/** Merge overlapping or touching removals; replacements are kept as they are. */
function merge(splices: Splice[]): Splice[] {
  const sorted = [...splices].sort((a, b) => a.start - b.start || a.end - b.end);
  const out: Splice[] = [];
  for (const s of sorted) {
    const prev = out[out.length - 1];
    if (prev && prev.text === '' && s.text === '' && s.start <= prev.end) prev.end = Math.max(prev.end, s.end);
    else if (prev && s.start < prev.end) return [];
    else out.push({ ...s });
  }
  return out;
}

/**
 * Splices that apply word operations to shell source, given each word's [start, end) in it.
 * Undefined when a removal would leave a dangling line continuation or drop a comment.
 */
export function shellWordSplices(src: string, words: readonly { start: number; end: number }[], ops: readonly WordOp[]): Splice[] | undefined {
  const out: Splice[] = [];
  for (const op of ops) {
    const w = words[op.index];
    if (!w) return undefined;
    if ('replace' in op) {
      out.push({ start: w.start, end: w.end, text: shellQuote(op.replace) });
      continue;
    }
    let p = w.start;
    while (p > 0 && (src[p - 1] === ' ' || src[p - 1] === '\t')) p--;
    if (p > 0 && src[p - 1] !== '\n') {
      // Something precedes it on its line: take the whitespace before it.
      // A continuation `\` right before the spaces belongs to the previous line's end: keep it.
      out.push({ start: p, end: w.end, text: '' });
      continue;
    }
    // First word on its line: take the spaces after it; a line left empty goes entirely.
    let e = w.end;
    while (e < src.length && (src[e] === ' ' || src[e] === '\t')) e++;
    const restOfLine = src.slice(e, src.indexOf('\n', e) === -1 ? src.length : src.indexOf('\n', e) + 1);
    if (/^\\\n$/.test(restOfLine)) {
      out.push({ start: p, end: e + restOfLine.length, text: '' });
    } else if (restOfLine === '' || restOfLine === '\n') {
      // Last word of the command on a line of its own: join it to the previous line's end.
      const before = src.slice(0, p);
      const m = /[ \t]*\\\n$/.exec(before);
      if (!m) return undefined;
      out.push({ start: p - m[0].length, end: w.end, text: '' });
    } else {
      out.push({ start: w.start, end: e, text: '' });
    }
  }
  const merged = merge(out);
  return merged.length || !out.length ? merged : undefined;
}

/** [start, end) of each JSON string literal of a JSON-form instruction's source (comment lines skipped). */
export function jsonStringLiterals(raw: string): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  let lineStart = true;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '\n') {
      lineStart = true;
      continue;
    }
    if (lineStart && c === '#') {
      const e = raw.indexOf('\n', i);
      i = e === -1 ? raw.length : e - 1;
      continue;
    }
    if (c !== ' ' && c !== '\t') lineStart = false;
    if (c !== '"') continue;
    let j = i + 1;
    while (j < raw.length && raw[j] !== '"') j += raw[j] === '\\' ? 2 : 1;
    out.push({ start: i, end: j + 1 });
    i = j;
  }
  return out;
}

/** Splices that apply word operations to a JSON array's source (elements given by jsonStringLiterals). */
export function jsonArraySplices(raw: string, ops: readonly WordOp[]): Splice[] | undefined {
  const lits = jsonStringLiterals(raw);
  const out: Splice[] = [];
  for (const op of ops) {
    const lit = lits[op.index];
    if (!lit) return undefined;
    if ('replace' in op) {
      out.push({ start: lit.start, end: lit.end, text: JSON.stringify(op.replace) });
      continue;
    }
    const prev = lits[op.index - 1];
    const next = lits[op.index + 1];
    if (prev && !raw.slice(prev.end, lit.start).includes('\n')) out.push({ start: prev.end, end: lit.end, text: '' });
    else if (next && !raw.slice(lit.end, next.start).includes('\n')) out.push({ start: lit.start, end: next.start, text: '' });
    else return undefined;
  }
  const merged = merge(out);
  return merged.length || !out.length ? merged : undefined;
}
