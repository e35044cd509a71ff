// Offset and line helpers shared by parsers and transforms.

/** Start offsets of every line. */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** 1-based line of an offset. */
export function lineOf(text: string, offset: number, starts = lineStarts(text)): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/** Offset of the start of a 1-based line (text length when past the end). */
export function offsetOfLine(text: string, line: number, starts = lineStarts(text)): number {
  return line - 1 < starts.length ? starts[line - 1]! : text.length;
}

/** Offset of the start of the line containing offset. */
export function lineStartAt(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

/** Offset just past the end of the line containing offset (after its '\n', or text end). */
export function lineEndAfter(text: string, offset: number): number {
  const i = text.indexOf('\n', offset);
  return i === -1 ? text.length : i + 1;
}

/** The leading whitespace of the line containing offset. */
export function indentAt(text: string, offset: number): string {
  const s = lineStartAt(text, offset);
  const m = /^[ \t]*/.exec(text.slice(s));
  return m ? m[0] : '';
}

/** Text guaranteed to end with a newline (for appending after it). */
export function needsNewline(text: string): boolean {
  return text.length > 0 && !text.endsWith('\n');
}
