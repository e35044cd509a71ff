// YAML (compose files): the `yaml` Document API for detection (nodes carry [start, valueEnd, nodeEnd]
// ranges), so fixes can splice text at node ranges instead of re-stringifying the document.
import { parseDocument, LineCounter, isMap, isSeq, isScalar, isPair, isAlias, visit, type Document, type Node, type Pair, type YAMLError, type YAMLMap } from 'yaml';
import type { Parser, Workspace } from '../workspace.js';
import { FileError } from '../workspace.js';
import { newestByPath } from './newest.js';

export interface YamlModel {
  text: string;
  doc: Document.Parsed;
  lines: LineCounter;
  /** Plain JS value (aliases resolved, merge keys applied), for reading. */
  value: unknown;
}

const MAX_DEPTH = 64;

export const yamlParser: Parser<YamlModel> = {
  key: 'yaml',
  parse(text, file) {
    return parseYaml(text, file);
  },
};

export function yaml(ws: Workspace, file: string): YamlModel | undefined {
  return ws.parse(file, yamlParser);
}

const newestYamlModel = newestByPath(512, parseYamlText);

/** Parse (the newest parse of this path is reused while its text is the same: see ./newest.ts). */
export function parseYaml(text: string, file = 'file.yml'): YamlModel {
  return newestYamlModel(text, file);
}

function parseYamlText(text: string, file: string): YamlModel {
  // Hostile input first: flow collections nested deeper than any real file would be make the yaml
  // library recurse until it exhausts the stack (and, at a million levels, the heap).
  checkFlowDepth(text, file);
  const lines = new LineCounter();
  // No keepSourceTokens: nothing reads the CST tokens it would attach to every node (srcToken), and
  // they doubled what a compose file's model keeps alive for the whole run.
  const doc = parseDocument(text, { lineCounter: lines, merge: true, uniqueKeys: true, prettyErrors: false });
  const first = doc.errors[0];
  if (first) throw yamlError(first, doc, text, lines, file);
  checkDepth(doc.contents as Node | null, 0, file, lines);
  let value: unknown;
  try {
    // maxAliasCount guards against alias bombs ("billion laughs").
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    const msg = (e as Error).message;
    if (/alias count|resource exhaustion/i.test(msg)) {
      const alias = firstAlias(doc);
      throw new FileError(
        file,
        'YAML aliases expand to too many nodes (an alias bomb, "billion laughs"); not read',
        alias?.range ? lines.linePos(alias.range[0]).line : undefined,
      );
    }
    throw new FileError(file, `YAML cannot be read: ${msg}`);
  }
  return { text, doc, lines, value };
}

const MAX_ALIAS_COUNT = 100;

/** A one-line message for the first error the yaml library reports, with its line. */
function yamlError(err: YAMLError, doc: Document.Parsed, text: string, lines: LineCounter, file: string): FileError {
  const at = err.pos?.[0];
  // An error at the very end (an unclosed bracket or quote) is reported on the last line of text.
  const last = Math.max(0, text.trimEnd().length - 1);
  const line = at !== undefined ? lines.linePos(Math.min(at, last)).line : undefined;
  switch (err.code) {
    case 'DUPLICATE_KEY': {
      const dup = duplicateKeyAt(doc, at ?? -1);
      if (dup) {
        const firstLine = dup.first !== undefined ? lines.linePos(dup.first).line : undefined;
        return new FileError(file, `duplicate key "${dup.key}"${firstLine !== undefined ? ` (first defined on line ${firstLine})` : ''}`, line);
      }
      return new FileError(file, 'duplicate key in a mapping', line);
    }
    case 'MULTIPLE_DOCS':
      return new FileError(file, 'several YAML documents (---) in one file; expected one', line);
    case 'RESOURCE_EXHAUSTION':
      return new FileError(file, 'YAML nested too deeply to read (the parser ran out of stack); not read', line);
    default:
      return new FileError(file, `invalid YAML: ${err.message.split('\n')[0]}`, line);
  }
}

/** The duplicate key whose node starts at offset, and where the same key first appears in its map. */
function duplicateKeyAt(doc: Document.Parsed, offset: number): { key: string; first?: number } | undefined {
  let found: { key: string; first?: number } | undefined;
  visit(doc, {
    Map(_, map) {
      const seen = new Map<unknown, number | undefined>();
      for (const p of map.items) {
        const k = isScalar(p.key) ? p.key.value : p.key;
        const start = (p.key as Node | null)?.range?.[0];
        if (start === offset) {
          found = { key: String(isScalar(p.key) ? p.key.value : p.key), first: seen.get(k) };
          return visit.BREAK;
        }
        if (!seen.has(k)) seen.set(k, start);
      }
      return undefined;
    },
  });
  return found;
}

function firstAlias(doc: Document.Parsed): Node | undefined {
  let found: Node | undefined;
  visit(doc, {
    Alias(_, a) {
      found = a;
      return visit.BREAK;
    },
  });
  return found;
}

/**
 * Max nesting of flow collections ([ ] and { }), found with a linear scan that skips quoted
 * strings, comments and brackets inside plain scalars of block context (e.g. `echo [x]`).
 * Over MAX_DEPTH the file is refused before the yaml library sees it.
 */
function checkFlowDepth(text: string, file: string): void {
  // Fast path: too few brackets to nest that deep (nearly every real file).
  let opens = 0;
  for (const b of ['[', '{']) {
    for (let i = text.indexOf(b); i !== -1 && opens <= MAX_DEPTH; i = text.indexOf(b, i + 1)) opens++;
  }
  if (opens <= MAX_DEPTH) return;
  let depth = 0;
  let line = 1;
  let lineStart = true; // only indentation, "- ", "? " or ": " so far on this line (block context)
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\n') {
      line++;
      lineStart = true;
      continue;
    }
    if (ch === '#' && (i === 0 || text[i - 1] === ' ' || text[i - 1] === '\t' || text[i - 1] === '\n' || text[i - 1] === '\r')) {
      while (i + 1 < text.length && text[i + 1] !== '\n') i++;
      continue;
    }
    if (depth > 0) {
      if (ch === '"' || ch === "'") {
        i = skipQuoted(text, i, ch, () => line++);
      } else if (ch === '[' || ch === '{') {
        if (++depth > MAX_DEPTH) throw new FileError(file, `YAML nested more than ${MAX_DEPTH} levels deep`, line);
      } else if (ch === ']' || ch === '}') depth--;
      continue;
    }
    if (ch === ' ' || ch === '\t' || ch === '\r') continue;
    if ((ch === '[' || ch === '{') && lineStart) {
      depth = 1;
      continue;
    }
    if ((ch === '-' || ch === '?' || ch === ':') && (i + 1 === text.length || text[i + 1] === ' ' || text[i + 1] === '\t' || text[i + 1] === '\n' || text[i + 1] === '\r')) {
      lineStart = true;
      continue;
    }
    if ((ch === '"' || ch === "'") && lineStart) {
      i = skipQuoted(text, i, ch, () => line++);
      lineStart = false;
      continue;
    }
    lineStart = false;
  }
}

function skipQuoted(text: string, i: number, q: string, newline: () => void): number {
  for (let j = i + 1; j < text.length; j++) {
    const c = text[j]!;
    if (c === '\n') newline();
    if (q === '"' && c === '\\') {
      j++;
      continue;
    }
    if (c === q) {
      if (q === "'" && text[j + 1] === "'") {
        j++;
        continue;
      }
      return j;
    }
  }
  return text.length;
}

function checkDepth(node: Node | null | undefined, depth: number, file: string, lines: LineCounter): void {
  if (!node) return;
  if (depth > MAX_DEPTH) {
    throw new FileError(file, `YAML nested more than ${MAX_DEPTH} levels deep`, node.range ? lines.linePos(node.range[0]).line : undefined);
  }
  if (isMap(node)) for (const p of node.items) {
    checkDepth(p.key as Node, depth + 1, file, lines);
    checkDepth(p.value as Node, depth + 1, file, lines);
  }
  else if (isSeq(node)) for (const i of node.items) checkDepth(i as Node, depth + 1, file, lines);
}

/** The pair under key in a map node (not following aliases or merges). */
export function pairOf(map: unknown, key: string): Pair<Node, Node> | undefined {
  if (!isMap(map)) return undefined;
  for (const p of (map as YAMLMap<Node, Node>).items) {
    if (isScalar(p.key) && String(p.key.value) === key) return p as Pair<Node, Node>;
  }
  return undefined;
}

/** The value node under key in a map node. */
export function nodeAt(map: unknown, ...keys: string[]): Node | undefined {
  let cur: unknown = map;
  for (const k of keys) {
    if (isAlias(cur)) return undefined;
    const p = pairOf(cur, k);
    if (!p) return undefined;
    cur = p.value;
  }
  return (cur as Node) ?? undefined;
}

export function lineOfOffset(m: YamlModel, offset: number): number {
  return m.lines.linePos(offset).line;
}

export { isMap, isSeq, isScalar, isPair, isAlias };
