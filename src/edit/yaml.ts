// Comment-preserving YAML edits: every helper returns text splices (ModifyEdit) at node ranges of a
// parsed `yaml` Document, with indentation, sequence style and quoting taken from the file itself.
// Nothing here re-serialises a document: untouched bytes (comments, blank lines, anchors, aliases,
// merge keys, key order, quoting) stay as they are.
//
// Conventions
// - A `YamlTarget` is the file being edited: its path (for the edits), its current text and, when
//   known, its parsed Document (for quoting style and flow-context detection).
// - Values to insert are `YamlValue`s: plain JS (strings, numbers, booleans, null, arrays, objects)
//   rendered in block style, plus `flow(v)` for a value that must be written in flow style (e.g.
//   `test: ["CMD", "redis-cli", "ping"]`) and `raw(text)` for text the caller has already rendered.
// - Strings are written plain when that reads back as the same string in YAML 1.1 and 1.2 (so
//   `"no"`, `"5432:5432"`, `"1.0"` are quoted), otherwise quoted in the file's preferred quote style.
// - Offsets are into the workspace text (LF line endings, no BOM); helpers throw YamlEditError for
//   shapes they do not handle, so a fix can catch it and decline.
import { isAlias, isMap, isNode, isPair, isScalar, isSeq, parse as parseYamlValue, Scalar } from 'yaml';
import type { Document, Node, Pair, YAMLMap, YAMLSeq } from 'yaml';
import type { ModifyEdit } from '../types.js';
import { lineEndAfter, lineStartAt } from '../text.js';

export class YamlEditError extends Error {}

/** The YAML file being edited. */
export interface YamlTarget {
  file: string;
  text: string;
  /** The parsed document of `text` (gives quoting style and flow context); optional. */
  doc?: Document.Parsed | Document;
}

/** A target from a parsed model (e.g. `yaml(ws, file)` from src/parsers/yaml.ts). */
export function yamlTarget(file: string, model: { text: string; doc: Document.Parsed | Document }): YamlTarget {
  return { file, text: model.text, doc: model.doc };
}

// ---------------------------------------------------------------------------------------------
// Values

/** Text already rendered as YAML (a scalar or flow collection), inserted as is. */
export class YamlRaw {
  constructor(readonly text: string) {}
}
/** A collection to render in flow style (`[a, b]`, `{a: 1}`). */
export class YamlFlow {
  constructor(
    readonly value: YamlValue,
    /** Quote every string in it (as compose files do for `test: ["CMD", "redis-cli", "ping"]`). */
    readonly quoteStrings = false,
  ) {}
}
export type YamlValue =
  | string
  | number
  | boolean
  | null
  | YamlRaw
  | YamlFlow
  | readonly YamlValue[]
  | { readonly [key: string]: YamlValue };

export function raw(text: string): YamlRaw {
  return new YamlRaw(text);
}
export function flow(value: YamlValue, opts: { quoteStrings?: boolean } = {}): YamlFlow {
  return new YamlFlow(value, opts.quoteStrings ?? false);
}
/** A string always written quoted (in the file's quote style), e.g. port mappings. */
export function quoted(s: string, quote: Quote = '"'): YamlRaw {
  return new YamlRaw(quoteString(s, quote));
}

export type Quote = '"' | "'";

/** Layout of a file: indentation unit, whether block sequences are indented under their key, quotes. */
export interface YamlStyle {
  /** Spaces per nesting level (2 or 4, …). */
  indent: number;
  /** `key:\n  - a` (true) or `key:\n- a` (false). */
  seqIndent: boolean;
  quote: Quote;
}

const styleCache = new WeakMap<object, YamlStyle>();

/** The file's layout, read from its text (cached per document when one is given). */
export function styleOf(t: YamlTarget): YamlStyle {
  const cached = t.doc ? styleCache.get(t.doc) : undefined;
  if (cached) return cached;
  const s: YamlStyle = { indent: indentUnit(t.text), seqIndent: sequenceIndented(t.text), quote: preferredQuote(t) };
  if (t.doc) styleCache.set(t.doc, s);
  return s;
}

interface ContentLine {
  indent: number;
  body: string; // without indentation and end-of-line comment
}

function contentLines(text: string): ContentLine[] {
  const out: ContentLine[] = [];
  for (const line of text.split('\n')) {
    const m = /^( *)(\S.*)$/.exec(line);
    if (!m || m[2]!.startsWith('#')) continue;
    out.push({ indent: m[1]!.length, body: m[2]!.replace(/\s+#.*$/, '').trimEnd() });
  }
  return out;
}

/** The indentation unit of a YAML text: the most common indent step under `key:` lines (default 2). */
export function indentUnit(text: string): number {
  const counts = new Map<number, number>();
  const lines = contentLines(text);
  for (let i = 1; i < lines.length; i++) {
    const prev = lines[i - 1]!;
    const cur = lines[i]!;
    if (!prev.body.endsWith(':') || cur.body.startsWith('- ') || cur.body === '-') continue;
    const prevIndent = prev.indent + (prev.body.startsWith('- ') ? 2 : 0);
    const step = cur.indent - prevIndent;
    if (step > 0 && step <= 8) counts.set(step, (counts.get(step) ?? 0) + 1);
  }
  let best = 2;
  let n = 0;
  for (const [step, c] of counts) if (c > n || (c === n && step < best)) [best, n] = [step, c];
  return best;
}

/** Whether block sequences under a key are indented (`key:\n  - a`) in this text (default true). */
export function sequenceIndented(text: string): boolean {
  let yes = 0;
  let no = 0;
  const lines = contentLines(text);
  for (let i = 1; i < lines.length; i++) {
    const prev = lines[i - 1]!;
    const cur = lines[i]!;
    if (!prev.body.endsWith(':') || !(cur.body.startsWith('- ') || cur.body === '-')) continue;
    const prevIndent = prev.indent + (prev.body.startsWith('- ') ? 2 : 0);
    if (cur.indent > prevIndent) yes++;
    else if (cur.indent === prevIndent) no++;
  }
  return no <= yes;
}

function preferredQuote(t: YamlTarget): Quote {
  let d = 0;
  let s = 0;
  if (t.doc) {
    eachNode(t.doc, (n) => {
      if (!isScalar(n)) return;
      if (n.type === Scalar.QUOTE_DOUBLE) d++;
      else if (n.type === Scalar.QUOTE_SINGLE) s++;
    });
  }
  return s > d ? "'" : '"';
}

const YAML11_SPECIAL = /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|~)$/;
const NUMBERISH = /^[-+]?(?:[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?|(?=\.?[0-9])[0-9_]*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?|0x[0-9a-fA-F_]+|0o[0-7_]+|0b[01_]+|\.inf|\.Inf|\.INF|\.nan|\.NaN|\.NAN)$/;

/**
 * Letters, digits, `_` and `-`, starting with a letter or `_`: in YAML 1.2's core schema (and
 * 1.1's) such a plain scalar is a string unless it is one of the words YAML11_SPECIAL lists (null,
 * booleans); numbers, `.inf`/`.nan`, indicators and tags cannot start with a letter or `_`.
 */
const PLAIN_WORD = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** plainSafe's answers by string (rendering a value asks for the same keys and words again and again). */
const plainCache = [new Map<string, boolean>(), new Map<string, boolean>()];

/** Whether a string can be written as a plain scalar and read back as the same string. */
export function plainSafe(s: string, inFlow = false): boolean {
  if (PLAIN_WORD.test(s)) return !YAML11_SPECIAL.test(s);
  const cache = plainCache[inFlow ? 1 : 0]!;
  let r = cache.get(s);
  if (r === undefined) {
    r = plainSafeUncached(s, inFlow);
    if (cache.size >= 4096) cache.clear();
    cache.set(s, r);
  }
  return r;
}

/** plainSafe without the fast path and the cache (the definition; tests compare the two). */
export function plainSafeUncached(s: string, inFlow = false): boolean {
  if (s === '' || s !== s.trim()) return false;
  if (/[\x00-\x1f\x7f]/.test(s)) return false;
  if (YAML11_SPECIAL.test(s) || NUMBERISH.test(s) || /^\d+(?::\d+)+/.test(s)) return false;
  if (/^[,[\]{}#&*!|>'"%@`]/.test(s)) return false;
  if (/^[-?:](?:\s|$)/.test(s)) return false;
  if (/:(?:\s|$)/.test(s) || /\s#/.test(s)) return false;
  if (inFlow && (/[,[\]{}]/.test(s) || /^[-?:][,[\]{}]/.test(s))) return false;
  if (s === '<<' || s.startsWith('---') || s.startsWith('...')) return false;
  try {
    return parseYamlValue(s) === s;
  } catch {
    return false;
  }
}

/** A string as a quoted YAML scalar (double quotes with JSON escapes; single quotes when asked and possible). */
export function quoteString(s: string, quote: Quote = '"'): string {
  if (quote === "'" && !/[\x00-\x1f\x7f]/.test(s)) return `'${s.replace(/'/g, "''")}'`;
  return JSON.stringify(s);
}

/** A string as a scalar: plain when safe, else quoted in the file's style. */
export function scalarText(s: string, style: Pick<YamlStyle, 'quote'> = { quote: '"' }, inFlow = false): string {
  return plainSafe(s, inFlow) ? s : quoteString(s, style.quote);
}

function isPlainObject(v: YamlValue): v is { readonly [key: string]: YamlValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof YamlRaw) && !(v instanceof YamlFlow);
}

/** A value on one line (flow style for collections). */
export function inlineText(v: YamlValue, style: Pick<YamlStyle, 'quote'> = { quote: '"' }, inFlow = false, quoteAll = false): string {
  if (v instanceof YamlRaw) return v.text;
  if (v instanceof YamlFlow) return inlineText(v.value, style, inFlow, quoteAll || v.quoteStrings);
  if (v === null) return 'null';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return quoteAll ? quoteString(v, style.quote) : scalarText(v, style, inFlow);
  if (Array.isArray(v)) return `[${v.map((x) => inlineText(x, style, true, quoteAll)).join(', ')}]`;
  const obj = v as { readonly [key: string]: YamlValue };
  const entries = Object.entries(obj).map(([k, x]) => `${scalarText(k, style, true)}: ${inlineText(x, style, true, quoteAll)}`);
  return entries.length ? `{${entries.join(', ')}}` : '{}';
}

function isBlockCollection(v: YamlValue): boolean {
  if (Array.isArray(v)) return v.length > 0;
  return isPlainObject(v) && Object.keys(v).length > 0;
}

/**
 * Lines (each ending in '\n') for `key: value` at an indentation: scalars and flow values on the
 * key's line, objects and arrays as nested block collections.
 */
export function renderPair(key: string, value: YamlValue, indent: string, style: YamlStyle): string {
  const k = scalarText(key, style);
  if (!isBlockCollection(value)) return `${indent}${k}: ${inlineText(value, style)}\n`;
  return `${indent}${k}:\n${renderBlock(value, indent, style)}`;
}

/** The block lines of a non-empty object or array nested under a key indented by `parentIndent`. */
function renderBlock(value: YamlValue, parentIndent: string, style: YamlStyle): string {
  const unit = ' '.repeat(style.indent);
  if (Array.isArray(value)) {
    const dash = parentIndent + (style.seqIndent ? unit : '');
    return value.map((item) => renderSeqItem(item, dash, style)).join('');
  }
  const inner = parentIndent + unit;
  return Object.entries(value as Record<string, YamlValue>)
    .map(([k, v]) => renderPair(k, v, inner, style))
    .join('');
}

/** Lines for one block sequence item `- value` whose dash is at `dashIndent`. */
export function renderSeqItem(item: YamlValue, dashIndent: string, style: YamlStyle): string {
  if (isPlainObject(item) && Object.keys(item).length > 0) {
    const inner = dashIndent + '  ';
    const lines = Object.entries(item).map(([k, v]) => renderPair(k, v, inner, style));
    return `${dashIndent}- ${lines.join('').slice(inner.length)}`;
  }
  if (Array.isArray(item) && item.length > 0) return `${dashIndent}- ${inlineText(item, style)}\n`;
  return `${dashIndent}- ${inlineText(item, style)}\n`;
}

// ---------------------------------------------------------------------------------------------
// Positions

type AnyNode = Node | Pair | null | undefined;

function rangeOf(n: AnyNode): [number, number, number] | undefined {
  if (!n) return undefined;
  if (isPair(n)) {
    const k = rangeOf(n.key as Node);
    const v = rangeOf(n.value as Node);
    if (!k) return v;
    if (!v) return k;
    return [k[0], Math.max(k[1], v[1]), Math.max(k[2], v[2])];
  }
  return (n as { range?: [number, number, number] | null }).range ?? undefined;
}

/** Column (0-based) of an offset. */
export function columnOf(text: string, offset: number): number {
  return offset - lineStartAt(text, offset);
}

/** Offset of the last non-whitespace character before `end`, plus one. */
function trimBack(text: string, end: number): number {
  let e = end;
  while (e > 0 && /\s/.test(text[e - 1]!)) e--;
  return e;
}

/** Offset of the first character of the pair's key (or of its value when the key is implicit). */
function startOf(n: AnyNode): number {
  const r = rangeOf(n);
  if (!r) throw new YamlEditError('node has no source range');
  return r[0];
}

/**
 * The end of an item of a block collection: past the line holding its last character (so past its
 * end-of-line comment), then past comment lines indented deeper than `column` that directly follow
 * (they are inside it), and — when `last` — past comment lines at `column` too (nothing follows
 * them at that level; a comment indented less belongs to whatever comes next).
 */
export function blockItemEnd(text: string, item: AnyNode, column: number, last: boolean): number {
  const r = rangeOf(item);
  if (!r) throw new YamlEditError('node has no source range');
  let end = lineEndAfter(text, Math.max(trimBack(text, r[1]) - 1, r[0]));
  for (;;) {
    if (end >= text.length) return text.length;
    const next = lineEndAfter(text, end);
    const m = /^( *)#/.exec(text.slice(end, next));
    if (!m) return end;
    const ind = m[1]!.length;
    if (ind > column || (last && ind === column)) end = next;
    else return end;
  }
}

/** Whether a collection node is written in flow style (`[...]`, `{...}`). */
export function isFlow(n: AnyNode): boolean {
  return Boolean(n && (isMap(n) || isSeq(n)) && (n as YAMLMap | YAMLSeq).flow);
}

/** Whether a node sits inside a flow collection of the target's document (so plain scalars must avoid `,[]{}`). */
export function inFlowContext(t: YamlTarget, node: Node): boolean {
  if (!t.doc) {
    // Without a document, look at the text: a scalar right after '[' / '{' / ',' is in flow context.
    const r = rangeOf(node);
    if (!r) return false;
    const before = t.text.slice(lineStartAt(t.text, r[0]), r[0]).trimEnd();
    return /[[{,]$/.test(before);
  }
  return flowContexts(t.doc).get(node) ?? false;
}

const flowIndexes = new WeakMap<object, Map<Node, boolean>>();

/**
 * Whether each node of a document is inside a flow collection, from one visit per document (a fix
 * asks for many nodes, and visiting the document for each was quadratic in big files). A node met
 * twice keeps the answer of its first visit, as a search that stops at the first match would give.
 */
function flowContexts(doc: Document.Parsed | Document): Map<Node, boolean> {
  let m = flowIndexes.get(doc);
  if (!m) {
    const index = new Map<Node, boolean>();
    eachNode(doc, (n, inFlow) => {
      if (!index.has(n)) index.set(n, inFlow);
    });
    flowIndexes.set(doc, (m = index));
  }
  return m;
}

/**
 * Every node of a document in the order yaml's visit() meets them (depth first, a pair's key before
 * its value, aliases not followed), with whether a flow collection encloses it: what visit's path
 * told, without the frozen copy of the path visit makes for every collection and pair it enters
 * (most of the cost of a visit of a big compose file).
 */
function eachNode(doc: Document.Parsed | Document, fn: (n: Node, inFlow: boolean) => void): void {
  const walk = (n: unknown, inFlow: boolean): void => {
    if (isPair(n)) {
      walk(n.key, inFlow);
      walk(n.value, inFlow);
      return;
    }
    if (!isNode(n)) return;
    fn(n, inFlow);
    if (isMap(n) || isSeq(n)) {
      const flow = inFlow || isFlow(n);
      for (const item of (n as YAMLMap | YAMLSeq).items) walk(item, flow);
    }
  };
  walk(doc.contents, false);
}

function indentString(n: number): string {
  return ' '.repeat(n);
}

function needsLeadingNewline(text: string, at: number): boolean {
  return at > 0 && text[at - 1] !== '\n';
}

// ---------------------------------------------------------------------------------------------
// Maps

export interface InsertPairOptions {
  /** Insert after this key's pair (default: after the last pair). */
  after?: string;
  /** Insert before this key's pair (and before the comment lines directly above it). */
  before?: string;
}

function mapKey(p: Pair): string | undefined {
  return isScalar(p.key) ? String((p.key as Scalar).value) : undefined;
}

/** The pair for a key in a map node (own pairs only; merges and aliases are not followed). */
export function findPair(map: YAMLMap, key: string): Pair<Node, Node> | undefined {
  return map.items.find((p) => mapKey(p as Pair) === key) as Pair<Node, Node> | undefined;
}

/** Column of a block map's keys. */
export function mapColumn(t: YamlTarget, map: YAMLMap): number {
  const first = map.items[0];
  if (!first) throw new YamlEditError('empty block map');
  return columnOf(t.text, startOf(first as Pair));
}

/**
 * Insert `key: value` into a map. Block maps: a new line at the map's key column, after the last
 * pair (or `after`/`before` a key), before comment lines that belong to what follows the map.
 * Flow maps: `, key: value` before the closing brace (the value rendered in flow style).
 */
export function insertPair(t: YamlTarget, map: YAMLMap, key: string, value: YamlValue, opts: InsertPairOptions = {}): ModifyEdit {
  const style = styleOf(t);
  if (map.flow) return insertFlowItem(t, map, `${scalarText(key, style, true)}: ${inlineText(value, style, true)}`, '}');
  if (map.items.length === 0) throw new YamlEditError('cannot insert into an empty block map');
  const col = mapColumn(t, map);
  const indent = indentString(col);
  let at: number;
  if (opts.before !== undefined && findPair(map, opts.before)) {
    const p = findPair(map, opts.before)!;
    at = lineStartAt(t.text, startOf(p));
    // Comment lines directly above the key at its column describe it: insert above them.
    while (at > 0) {
      const prevStart = lineStartAt(t.text, at - 1);
      const prev = t.text.slice(prevStart, at - 1);
      const m = /^( *)#/.exec(prev);
      if (!m || m[1]!.length !== col) break;
      at = prevStart;
    }
    // The first key may share its line with a `- ` (a map inside a sequence item): it must stay first.
    if (t.text.slice(lineStartAt(t.text, startOf(p)), startOf(p)).trim() !== '') {
      throw new YamlEditError('cannot insert before the first key of a sequence item');
    }
    return { file: t.file, start: at, end: at, text: renderPair(key, value, indent, style) };
  }
  const idx = opts.after !== undefined ? map.items.findIndex((p) => mapKey(p as Pair) === opts.after) : -1;
  const anchorIdx = idx >= 0 ? idx : map.items.length - 1;
  const anchor = map.items[anchorIdx] as Pair;
  at = blockItemEnd(t.text, anchor, col, anchorIdx === map.items.length - 1);
  const text = renderPair(key, value, indent, style);
  return { file: t.file, start: at, end: at, text: needsLeadingNewline(t.text, at) ? '\n' + text : text };
}

function insertFlowItem(t: YamlTarget, coll: YAMLMap | YAMLSeq, itemText: string, close: '}' | ']'): ModifyEdit {
  const r = rangeOf(coll as Node);
  if (!r) throw new YamlEditError('flow collection has no source range');
  const closeAt = t.text.lastIndexOf(close, r[1] - 1);
  if (closeAt < r[0]) throw new YamlEditError('cannot find the end of a flow collection');
  const last = coll.items[coll.items.length - 1] as AnyNode;
  if (!last) return { file: t.file, start: r[0] + 1, end: r[0] + 1, text: itemText };
  const lastEnd = trimBack(t.text, rangeOf(last)![1]);
  // A trailing comma (`[a, b,]`) already separates: insert after it.
  const between = t.text.slice(lastEnd, closeAt);
  const comma = between.indexOf(',');
  if (comma !== -1 && !between.slice(0, comma).includes('#')) {
    const at = lastEnd + comma + 1;
    return { file: t.file, start: at, end: at, text: ' ' + itemText };
  }
  return { file: t.file, start: lastEnd, end: lastEnd, text: ', ' + itemText };
}

/**
 * Remove a pair: in a block map the lines from its key through its value (and its end-of-line
 * comment and the comment lines nested in it); in a flow map the pair and one separating comma.
 * Comment lines above the key are kept unless `withLeadingComments`. Removing the only pair of a
 * block map is refused (the parent would become null): remove or replace the parent instead.
 */
export function removePair(t: YamlTarget, map: YAMLMap, key: string | Pair, opts: { withLeadingComments?: boolean } = {}): ModifyEdit {
  const idx = typeof key === 'string' ? map.items.findIndex((p) => mapKey(p as Pair) === key) : map.items.indexOf(key as never);
  if (idx < 0) throw new YamlEditError(`no key ${String(typeof key === 'string' ? key : mapKey(key))} to remove`);
  return removeItem(t, map, idx, opts);
}

/** Remove item `index` of a sequence (block: its lines; flow: the item and one comma). */
export function removeSeqItem(t: YamlTarget, seq: YAMLSeq, index: number, opts: { withLeadingComments?: boolean } = {}): ModifyEdit {
  if (index < 0 || index >= seq.items.length) throw new YamlEditError(`no item ${index} to remove`);
  return removeItem(t, seq, index, opts);
}

function removeItem(t: YamlTarget, coll: YAMLMap | YAMLSeq, idx: number, opts: { withLeadingComments?: boolean }): ModifyEdit {
  const item = coll.items[idx] as AnyNode;
  const r = rangeOf(item)!;
  if (coll.flow) {
    const prev = idx > 0 ? (coll.items[idx - 1] as AnyNode) : undefined;
    const next = idx + 1 < coll.items.length ? (coll.items[idx + 1] as AnyNode) : undefined;
    if (prev) return { file: t.file, start: trimBack(t.text, rangeOf(prev)![1]), end: trimBack(t.text, r[1]), text: '' };
    if (next) return { file: t.file, start: r[0], end: startOf(next), text: '' };
    return { file: t.file, start: r[0], end: trimBack(t.text, r[1]), text: '' };
  }
  if (coll.items.length === 1) throw new YamlEditError('refusing to remove the only item of a block collection');
  const isSeqColl = isSeq(coll);
  let start = isSeqColl ? lineStartAt(t.text, startOf(item)) : lineStartAt(t.text, startOf(item));
  const col = isSeqColl ? seqDashColumn(t, coll as YAMLSeq) : mapColumn(t, coll as YAMLMap);
  const lineHead = t.text.slice(start, startOf(item));
  if (idx === 0 && !isSeqColl && lineHead.trim() !== '') {
    throw new YamlEditError('cannot remove the first key of a map that shares its line with a sequence dash');
  }
  const end = blockItemEnd(t.text, item, col, false);
  if (opts.withLeadingComments) {
    while (start > 0) {
      const prevStart = lineStartAt(t.text, start - 1);
      const m = /^( *)#/.exec(t.text.slice(prevStart, start - 1));
      if (!m || m[1]!.length !== col) break;
      start = prevStart;
    }
  }
  return { file: t.file, start, end, text: '' };
}

// ---------------------------------------------------------------------------------------------
// Scalars

/**
 * Replace a scalar's value keeping its style: plain stays plain when the new value allows it (else
 * it is quoted in the file's quote style), double stays double, single stays single (unless the
 * value has control characters), a literal block stays a literal block. Anchors and tags before the
 * scalar and its end-of-line comment are kept.
 */
export function replaceScalar(t: YamlTarget, node: Scalar, value: string): ModifyEdit {
  const r = rangeOf(node);
  if (!r) throw new YamlEditError('scalar has no source range');
  const style = styleOf(t);
  let text: string;
  let end = r[1];
  switch (node.type) {
    case Scalar.QUOTE_DOUBLE:
      text = JSON.stringify(value);
      break;
    case Scalar.QUOTE_SINGLE:
      text = quoteString(value, "'");
      break;
    case Scalar.BLOCK_LITERAL:
    case Scalar.BLOCK_FOLDED: {
      // Keep the header (`|`, `|-`, `>`), replace the content lines at their indentation.
      const src = t.text.slice(r[0], r[1]);
      const nl = src.indexOf('\n');
      if (nl === -1 || (node.type === Scalar.BLOCK_FOLDED && value.includes('\n'))) {
        text = JSON.stringify(value);
        break;
      }
      const header = src.slice(0, nl);
      const firstContent = /\n( +)\S/.exec(src);
      const ind = firstContent ? firstContent[1]! : indentString(columnOf(t.text, r[0]) + style.indent);
      const body = value.replace(/\n$/, '').split('\n').map((l) => (l ? ind + l : l)).join('\n');
      text = `${header}\n${body}`;
      end = trimBack(t.text, r[1]);
      break;
    }
    default:
      text = scalarText(value, style, inFlowContext(t, node));
  }
  return { file: t.file, start: r[0], end, text };
}

/** Replace any value node (scalar, collection, alias) with a rendered inline value. */
export function replaceValueInline(t: YamlTarget, node: Node, value: YamlValue): ModifyEdit {
  const r = rangeOf(node);
  if (!r) throw new YamlEditError('node has no source range');
  return { file: t.file, start: r[0], end: trimBack(t.text, r[1]), text: inlineText(value, styleOf(t), inFlowContext(t, node)) };
}

// ---------------------------------------------------------------------------------------------
// Sequences

/** Column of a block sequence's dashes. */
export function seqDashColumn(t: YamlTarget, seq: YAMLSeq): number {
  const r = rangeOf(seq as Node);
  if (!r) throw new YamlEditError('sequence has no source range');
  return columnOf(t.text, r[0]);
}

/**
 * Append an item: block sequences get `- item` on a new line at their dash column after the last
 * item; flow sequences get `, item` before `]` (`[item]` when empty).
 */
export function appendToSeq(t: YamlTarget, seq: YAMLSeq, item: YamlValue): ModifyEdit {
  const style = styleOf(t);
  if (seq.flow) return insertFlowItem(t, seq, inlineText(item, style, true), ']');
  if (seq.items.length === 0) throw new YamlEditError('cannot append to an empty block sequence');
  const col = seqDashColumn(t, seq);
  const last = seq.items[seq.items.length - 1] as AnyNode;
  const at = blockItemEnd(t.text, last, col, true);
  const text = renderSeqItem(item, indentString(col), style);
  return { file: t.file, start: at, end: at, text: needsLeadingNewline(t.text, at) ? '\n' + text : text };
}

// ---------------------------------------------------------------------------------------------
// Pairs whose value is replaced by a block

/**
 * Replace a pair's value with a block collection (or inline value), keeping the key line and its
 * end-of-line comment: `key: [a, b]  # c` → `key:  # c` + block lines. For block values already
 * in place, use the map/sequence helpers instead.
 */
export function replacePairValue(t: YamlTarget, pair: Pair, value: YamlValue, keyColumn?: number): ModifyEdit[] {
  const style = styleOf(t);
  const keyR = rangeOf(pair.key as Node);
  const valR = rangeOf(pair.value as Node);
  if (!keyR) throw new YamlEditError('pair has no key range');
  const col = keyColumn ?? columnOf(t.text, keyR[0]);
  const colon = t.text.indexOf(':', keyR[1]);
  if (colon < 0) throw new YamlEditError('pair without a colon');
  const hasValue = Boolean(valR && valR[1] > valR[0]);
  const valueStart = hasValue ? valR![0] : colon + 1;
  const valueEnd = hasValue ? trimBack(t.text, valR![1]) : colon + 1;
  if (!isBlockCollection(value)) {
    return [{ file: t.file, start: valueStart, end: valueEnd, text: (valueStart === colon + 1 ? ' ' : '') + inlineText(value, style) }];
  }
  if (hasValue && t.text.slice(valueStart, valueEnd).includes('\n') && !isFlow(pair.value as Node)) {
    throw new YamlEditError('replacePairValue handles values on the key line only');
  }
  // An anchor or tag between the colon and the value (`key: &a [x]`) stays on the key line.
  const props = t.text.slice(colon + 1, valueStart);
  const removeFrom = props.trim() === '' ? colon + 1 : trimBack(t.text, valueStart);
  const block = renderBlock(value, indentString(col), style);
  const eol = lineEndAfter(t.text, valueEnd);
  const edits: ModifyEdit[] = [{ file: t.file, start: removeFrom, end: valueEnd, text: '' }];
  edits.push({ file: t.file, start: eol, end: eol, text: (needsLeadingNewline(t.text, eol) ? '\n' : '') + block });
  return edits;
}

// ---------------------------------------------------------------------------------------------
// Compose depends_on

/** depends_on conditions in the Compose Specification. */
export type DependsCondition = 'service_started' | 'service_healthy' | 'service_completed_successfully';

/**
 * Convert a list-form `depends_on` (block or flow sequence of names) to map form in place, every
 * existing name getting `condition: <conditions[name] ?? service_started>` (what the list form
 * means), then the names in `add` that are not there yet. End-of-line comments of the items stay
 * on their name's line; comment lines between items stay where they are.
 */
export function dependsOnToMap(
  t: YamlTarget,
  pair: Pair,
  conditions: Record<string, DependsCondition> = {},
  add: string[] = [],
): ModifyEdit[] {
  const seq = pair.value;
  if (!isSeq(seq)) throw new YamlEditError('depends_on is not a sequence');
  const names: string[] = [];
  for (const it of seq.items) {
    if (!isScalar(it)) throw new YamlEditError('depends_on item is not a plain name');
    names.push(String(it.value));
  }
  const style = styleOf(t);
  const unit = indentString(style.indent);
  const keyCol = columnOf(t.text, startOf(pair.key as Node));
  const cond = (n: string): DependsCondition => conditions[n] ?? 'service_started';
  const extra = add.filter((n, i) => !names.includes(n) && add.indexOf(n) === i);
  if (seq.flow || seq.items.length === 0) {
    const value: Record<string, YamlValue> = {};
    for (const n of [...names, ...extra]) value[n] = { condition: cond(n) };
    if (Object.keys(value).length === 0) return [replaceValueInline(t, seq as unknown as Node, flow({}))];
    return replacePairValue(t, pair, value, keyCol);
  }
  const dashCol = seqDashColumn(t, seq);
  const entryIndent = indentString(dashCol > keyCol ? dashCol : keyCol + style.indent);
  const edits: ModifyEdit[] = [];
  seq.items.forEach((it, i) => {
    const r = rangeOf(it as Node)!;
    const lineStart = lineStartAt(t.text, r[0]);
    const name = names[i]!;
    edits.push({ file: t.file, start: lineStart, end: trimBack(t.text, r[1]), text: `${entryIndent}${scalarText(name, style)}:` });
    const eol = lineEndAfter(t.text, trimBack(t.text, r[1]));
    edits.push({ file: t.file, start: eol, end: eol, text: `${(needsLeadingNewline(t.text, eol) ? '\n' : '')}${entryIndent}${unit}condition: ${cond(name)}\n` });
  });
  if (extra.length) {
    const last = seq.items[seq.items.length - 1] as Node;
    const at = blockItemEnd(t.text, last, dashCol, true);
    const lines = extra.map((n) => `${entryIndent}${scalarText(n, style)}:\n${entryIndent}${unit}condition: ${cond(n)}\n`).join('');
    // An end-of-line edit above may sit at the same offset: the engine keeps insertion order.
    edits.push({ file: t.file, start: at, end: at, text: (needsLeadingNewline(t.text, at) ? '\n' : '') + lines });
  }
  return edits;
}

export interface DependsOnOptions {
  /** Whether an existing condition is replaced (default: only `service_started`, the weakest). */
  replace?: (existing: string) => boolean;
  /** Names the service inherits (via a merge key) that an own `depends_on` must repeat to keep them. */
  inherited?: Record<string, DependsCondition>;
}

/**
 * Make a service depend on other services with conditions, merging with its own `depends_on`:
 * none → a new map-form `depends_on` after the service's last key; list form → converted to map
 * form; map form → missing names added, weaker conditions raised. `serviceMap` is the service's own
 * mapping node (not an anchor it merges).
 */
export function mergeDependsOn(
  t: YamlTarget,
  serviceMap: YAMLMap,
  deps: Record<string, DependsCondition>,
  opts: DependsOnOptions = {},
): ModifyEdit[] {
  const pair = findPair(serviceMap, 'depends_on');
  if (!pair || pair.value === null || (isScalar(pair.value) && pair.value.value === null) || (isAlias(pair.value) && opts.inherited)) {
    // Absent, empty, or an alias the caller chose to override (its entries given as `inherited`).
    const value: Record<string, YamlValue> = {};
    for (const [n, c] of Object.entries(opts.inherited ?? {})) value[n] = { condition: c };
    for (const [n, c] of Object.entries(deps)) value[n] = { condition: c };
    if (pair) return replacePairValue(t, pair, value);
    return [insertPair(t, serviceMap, 'depends_on', value)];
  }
  return mergeIntoDependsOn(t, pair, deps, opts);
}

/**
 * Merge dependencies into an existing `depends_on` pair whose value is a list or a map (the pair
 * may be the one of an anchor, e.g. `x-deps: &deps [db]`): list form converted to map form; map
 * form gets missing names and raised conditions.
 */
export function mergeIntoDependsOn(t: YamlTarget, pair: Pair, deps: Record<string, DependsCondition>, opts: DependsOnOptions = {}): ModifyEdit[] {
  const replace = opts.replace ?? ((c: string) => c === 'service_started');
  if (isAlias(pair.value)) throw new YamlEditError('depends_on is an alias: edit it where it is defined');
  if (isSeq(pair.value)) {
    const names = pair.value.items.map((it) => (isScalar(it) ? String(it.value) : ''));
    const conditions: Record<string, DependsCondition> = {};
    for (const [n, c] of Object.entries(deps)) if (!names.includes(n) || replace('service_started')) conditions[n] = c;
    return dependsOnToMap(t, pair, conditions, Object.keys(deps));
  }
  if (!isMap(pair.value)) throw new YamlEditError('depends_on is neither a list nor a map');
  const map = pair.value;
  const edits: ModifyEdit[] = [];
  const toAdd: Record<string, YamlValue> = {};
  for (const [n, c] of Object.entries(deps)) {
    const entry = findPair(map, n);
    if (!entry) {
      toAdd[n] = { condition: c };
      continue;
    }
    const v = entry.value;
    if (isMap(v)) {
      const condPair = findPair(v, 'condition');
      if (!condPair) edits.push(insertPair(t, v, 'condition', c, { after: undefined }));
      else if (isScalar(condPair.value) && String(condPair.value.value) !== c && replace(String(condPair.value.value))) {
        edits.push(replaceScalar(t, condPair.value, c));
      }
    } else if (v === null || (isScalar(v) && (v.value === null || v.value === ''))) {
      edits.push(...replacePairValue(t, entry, { condition: c }));
    } else {
      throw new YamlEditError(`depends_on.${n} has an unexpected value`);
    }
  }
  const added = Object.entries(toAdd);
  if (added.length) {
    if (map.flow || map.items.length === 0) {
      for (const [n, v] of added) edits.push(insertPair(t, map, n, v));
    } else {
      const style = styleOf(t);
      const col = mapColumn(t, map);
      const at = blockItemEnd(t.text, map.items[map.items.length - 1] as Pair, col, true);
      const text = added.map(([n, v]) => renderPair(n, v, indentString(col), style)).join('');
      edits.push({ file: t.file, start: at, end: at, text: (needsLeadingNewline(t.text, at) ? '\n' : '') + text });
    }
  }
  return edits;
}
