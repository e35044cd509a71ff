// YAML (compose files): the `yaml` Document API for detection (nodes carry [start, valueEnd, nodeEnd]
// ranges), so fixes can splice text at node ranges instead of re-stringifying the document.
import { parseDocument, LineCounter, isMap, isSeq, isScalar, isPair, isAlias, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import type { Parser, Workspace } from '../workspace.js';
import { FileError } from '../workspace.js';

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

export function parseYaml(text: string, file = 'file.yml'): YamlModel {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, merge: true, uniqueKeys: true, prettyErrors: false, keepSourceTokens: true });
  const first = doc.errors[0];
  if (first) {
    const line = first.linePos?.[0]?.line;
    throw new FileError(file, `invalid YAML: ${first.message.split('\n')[0]}`, line);
  }
  checkDepth(doc.contents as Node | null, 0, file, lines);
  let value: unknown;
  try {
    // maxAliasCount guards against alias bombs ("billion laughs").
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new FileError(file, `YAML cannot be read: ${(e as Error).message}`);
  }
  return { text, doc, lines, value };
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
