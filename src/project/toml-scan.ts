// A small TOML scanner that gives offsets (smol-toml gives values only): table headers, key/value
// entries with their value spans, and the items of an array value. It is used to splice one entry
// into pyproject.toml; the result is always re-parsed with smol-toml before it is proposed.

export interface TomlEntry {
  /** Dotted name of the table the entry is in ('' for the root table). */
  table: string;
  /** Dotted key as written, unquoted. */
  key: string;
  /** Offset of the start of the entry's line, and just past its value (before any comment). */
  lineStart: number;
  keyStart: number;
  valueStart: number;
  valueEnd: number;
  /** Offset just past the line the value ends on (after its '\n', or the text's end). */
  lineEnd: number;
}

export interface TomlHeader {
  table: string;
  arrayOfTables: boolean;
  start: number;
  lineEnd: number;
}

export interface TomlScan {
  headers: TomlHeader[];
  entries: TomlEntry[];
}

export interface TomlArrayItem {
  start: number;
  end: number;
  /** Offset of the comma that follows the item, if any. */
  comma?: number;
}

const BARE = /[A-Za-z0-9_-]/;

/** Scan a TOML document; returns undefined when it is malformed in a way the scanner notices. */
export function scanToml(text: string): TomlScan | undefined {
  const headers: TomlHeader[] = [];
  const entries: TomlEntry[] = [];
  let table = '';
  let i = 0;
  const n = text.length;
  while (i < n) {
    const lineStart = i;
    while (i < n && (text[i] === ' ' || text[i] === '\t')) i++;
    if (i >= n) break;
    const c = text[i]!;
    if (c === '\n' || c === '\r') {
      i = skipLine(text, i);
      continue;
    }
    if (c === '#') {
      i = skipLine(text, i);
      continue;
    }
    if (c === '[') {
      const aot = text[i + 1] === '[';
      const keyStart = i + (aot ? 2 : 1);
      const parsed = readKey(text, keyStart);
      if (!parsed) return undefined;
      let j = skipSpaces(text, parsed.end);
      if (text[j] !== ']' || (aot && text[j + 1] !== ']')) return undefined;
      j += aot ? 2 : 1;
      table = parsed.key;
      const lineEnd = skipLine(text, j);
      headers.push({ table, arrayOfTables: aot, start: lineStart, lineEnd });
      i = lineEnd;
      continue;
    }
    const parsed = readKey(text, i);
    if (!parsed) return undefined;
    let j = skipSpaces(text, parsed.end);
    if (text[j] !== '=') return undefined;
    j = skipSpaces(text, j + 1);
    const valueEnd = skipValue(text, j);
    if (valueEnd === undefined) return undefined;
    const lineEnd = skipLine(text, valueEnd);
    entries.push({ table, key: parsed.key, lineStart, keyStart: i, valueStart: j, valueEnd, lineEnd });
    i = lineEnd;
  }
  return { headers, entries };
}

function skipSpaces(text: string, i: number): number {
  while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
  return i;
}

/** Offset just past the current line (its '\n' included). */
function skipLine(text: string, i: number): number {
  const nl = text.indexOf('\n', i);
  return nl === -1 ? text.length : nl + 1;
}

function readKey(text: string, i: number): { key: string; end: number } | undefined {
  const parts: string[] = [];
  for (;;) {
    i = skipSpaces(text, i);
    const c = text[i];
    if (c === '"' || c === "'") {
      const end = skipString(text, i);
      if (end === undefined) return undefined;
      parts.push(text.slice(i + 1, end - 1));
      i = end;
    } else {
      const s = i;
      while (i < text.length && BARE.test(text[i]!)) i++;
      if (i === s) return undefined;
      parts.push(text.slice(s, i));
    }
    const j = skipSpaces(text, i);
    if (text[j] === '.') {
      i = j + 1;
      continue;
    }
    return { key: parts.join('.'), end: i };
  }
}

/** End offset of the string starting at i (basic, literal, or multi-line). */
function skipString(text: string, i: number): number | undefined {
  const q = text[i]!;
  const triple = text.startsWith(q.repeat(3), i);
  if (triple) {
    const close = text.indexOf(q.repeat(3), i + 3);
    if (close === -1) return undefined;
    let end = close + 3;
    while (text[end] === q && end - close < 5) end++; // up to two quotes may end the content
    return end;
  }
  let j = i + 1;
  while (j < text.length) {
    const c = text[j]!;
    if (c === '\n') return undefined;
    if (q === '"' && c === '\\') {
      j += 2;
      continue;
    }
    if (c === q) return j + 1;
    j++;
  }
  return undefined;
}

/** End offset of the value starting at i (arrays and inline tables may span lines). */
function skipValue(text: string, i: number): number | undefined {
  const c = text[i];
  if (c === undefined) return undefined;
  if (c === '"' || c === "'") return skipString(text, i);
  if (c === '[' || c === '{') {
    const close = c === '[' ? ']' : '}';
    let j = i + 1;
    for (;;) {
      while (j < text.length && /\s/.test(text[j]!)) j++;
      if (j >= text.length) return undefined;
      const d = text[j]!;
      if (d === '#') {
        j = skipLine(text, j);
        continue;
      }
      if (d === close) return j + 1;
      if (d === ',') {
        j++;
        continue;
      }
      if (c === '{') {
        const k = readKey(text, j);
        if (!k) return undefined;
        let m = skipSpaces(text, k.end);
        if (text[m] !== '=') return undefined;
        m = skipSpaces(text, m + 1);
        const e = skipValue(text, m);
        if (e === undefined) return undefined;
        j = e;
        continue;
      }
      const e = skipValue(text, j);
      if (e === undefined) return undefined;
      j = e;
    }
  }
  // A scalar: up to a comma, closing bracket, comment or line end.
  let j = i;
  while (j < text.length && !/[,\]}#\n]/.test(text[j]!)) j++;
  while (j > i && /[ \t\r]/.test(text[j - 1]!)) j--;
  return j > i ? j : undefined;
}

/** The items of the array whose '[' is at offset start. */
export function arrayItems(text: string, start: number): { items: TomlArrayItem[]; close: number } | undefined {
  if (text[start] !== '[') return undefined;
  const items: TomlArrayItem[] = [];
  let j = start + 1;
  for (;;) {
    while (j < text.length && /\s/.test(text[j]!)) j++;
    if (j >= text.length) return undefined;
    const d = text[j]!;
    if (d === '#') {
      j = skipLine(text, j);
      continue;
    }
    if (d === ']') return { items, close: j };
    if (d === ',') {
      const last = items[items.length - 1];
      if (last && last.comma === undefined) last.comma = j;
      j++;
      continue;
    }
    const e = skipValue(text, j);
    if (e === undefined) return undefined;
    items.push({ start: j, end: e });
    j = e;
  }
}

/** The value of a TOML basic or literal (single-line) string token. */
export function tomlStringValue(token: string): string | undefined {
  const q = token[0];
  if ((q !== '"' && q !== "'") || token.length < 2 || token[token.length - 1] !== q || token.startsWith(q.repeat(3))) return undefined;
  const body = token.slice(1, -1);
  if (q === "'") return body;
  try {
    return JSON.parse(`"${body}"`) as string;
  } catch {
    return undefined;
  }
}
