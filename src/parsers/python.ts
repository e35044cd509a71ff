// Python: tree-sitter (web-tree-sitter with the wasm grammar tree-sitter-python ships), loaded only
// when a rule first asks for a Python parse. Node offsets (startIndex/endIndex) are JS string indices.
import { createRequire } from 'node:module';
import type { AsyncParser, Workspace } from '../workspace.js';
import { FileError } from '../workspace.js';
import { registerValidator } from './validate.js';
import type { Node as TSNode, Tree, Parser as TSParser } from 'web-tree-sitter';

export type PyNode = TSNode;
export interface PythonModel {
  text: string;
  tree: Tree;
  root: TSNode;
}

let parserPromise: Promise<TSParser> | undefined;

export function pythonParserInstance(): Promise<TSParser> {
  parserPromise ??= (async () => {
    const { Parser, Language } = await import('web-tree-sitter');
    await Parser.init();
    const require = createRequire(import.meta.url);
    const lang = await Language.load(require.resolve('tree-sitter-python/tree-sitter-python.wasm'));
    const p = new Parser();
    p.setLanguage(lang);
    return p;
  })();
  return parserPromise;
}

/** Parse Python text; throws FileError at the first syntax error. */
export async function parsePython(text: string, file = 'file.py'): Promise<PythonModel> {
  const parser = await pythonParserInstance();
  const tree = parser.parse(text);
  if (!tree) throw new FileError(file, 'Python parser failed');
  const root = tree.rootNode;
  if (root.hasError) {
    const bad = firstError(root);
    throw new FileError(file, `Python syntax error${bad ? ': ' + describeError(bad) : ''}`, bad ? bad.startPosition.row + 1 : undefined);
  }
  // tree-sitter recovers from indentation errors without an ERROR node; Python does not.
  const indent = indentationError(root, text);
  if (indent) throw new FileError(file, `Python syntax error: ${indent.message}`, indent.line);
  return { text, tree, root };
}

function firstError(n: TSNode): TSNode | undefined {
  if (n.isError || n.isMissing) return n;
  for (const c of n.children) {
    if (c && (c.hasError || c.isMissing)) {
      const e = firstError(c);
      if (e) return e;
    }
  }
  return n.hasError ? n : undefined;
}

function describeError(n: TSNode): string {
  if (n.isMissing) return `missing "${n.type}"`;
  if (n.firstChild?.type === 'string_start' && n.childCount === 1) return 'unterminated string';
  const first = n.text.split('\n')[0]!.trim();
  if (!first) return 'invalid syntax';
  return `invalid syntax near "${first.length > 40 ? first.slice(0, 40) + '…' : first}"`;
}

/**
 * Statements of a block (or the module) that start a line must start at the block's column.
 * Cheap on purpose (it runs for every parsed file): the blocks come from one search in wasm, so the
 * only JS nodes made are the children of the module and of each block, and no child's type is
 * asked: a child that starts with "#" is a comment (outside a string, "#" starts a comment and
 * nothing else; a statement never starts with it, and every comment does).
 */
export function indentationError(root: TSNode, text: string): { message: string; line: number } | undefined {
  const startsLine = (n: TSNode) => {
    for (let i = n.startIndex - 1; i >= 0; i--) {
      const c = text.charCodeAt(i);
      if (c === 10) return true;
      if (c !== 32 && c !== 9 && c !== 12) return false;
    }
    return true;
  };
  const visit = (n: TSNode, expected: number | undefined, block: boolean): { message: string; line: number } | undefined => {
    let col = expected;
    let statements = 0;
    for (const c of n.namedChildren) {
      if (!c || text.charCodeAt(c.startIndex) === 35 /* # */) continue;
      statements++;
      if (startsLine(c)) {
        const column = c.startPosition.column;
        if (col === undefined) col = column;
        else if (column > col) return { message: 'unexpected indent', line: c.startPosition.row + 1 };
        else if (column < col) return { message: 'unindent does not match any outer indentation level', line: c.startPosition.row + 1 };
      }
    }
    if (block && statements === 0) {
      return { message: 'expected an indented block', line: n.startPosition.row + 1 };
    }
    return undefined;
  };
  const top = visit(root, 0, root.type === 'block');
  if (top) return top;
  // One search for every block (walking all nodes through the wasm boundary is much slower).
  let first: { message: string; line: number } | undefined;
  for (const b of root.descendantsOfType('block')) {
    const e = b && visit(b, undefined, true);
    if (e && (!first || e.line < first.line)) first = e;
  }
  return first;
}

/**
 * The parse the fix engine's validator just made of a file's new text, kept for the workspace: the
 * next python(ws, file) of that same text takes it over instead of parsing it again (a fix pass
 * validates each changed file, and the next pass's detection reads it). At most one per file and
 * VALIDATED_KEPT in all; a model superseded or evicted here was never handed to anyone, so its
 * (wasm) tree is freed at once.
 */
const validated = new Map<string, PythonModel>();
const VALIDATED_KEPT = 256;
const counts = { parses: 0, validated: 0, reused: 0 };

function dropValidated(file: string): void {
  const m = validated.get(file);
  if (!m) return;
  validated.delete(file);
  m.tree.delete();
}

export const pythonParser: AsyncParser<PythonModel> = {
  key: 'python',
  parse: (text, file) => {
    const v = validated.get(file);
    if (v && v.text === text) {
      validated.delete(file);
      counts.reused++;
      return Promise.resolve(v);
    }
    counts.parses++;
    return parsePython(text, file);
  },
  // A superseded file version's tree: freed at once, so that its wasm memory is reused by the next
  // parses instead of the wasm memory growing until the collector finalizes the old trees.
  dispose: (m) => m.tree.delete(),
};

export function python(ws: Workspace, file: string): Promise<PythonModel | undefined> {
  return ws.parseAsync(file, pythonParser);
}

registerValidator('python', async (text, file) => {
  if (validated.get(file)?.text === text) return;
  dropValidated(file);
  counts.validated++;
  const m = await parsePython(text, file);
  validated.set(file, m);
  if (validated.size > VALIDATED_KEPT) dropValidated(validated.keys().next().value!);
});

if (process.env.SHIPSHAPE_TIMING) {
  process.on('exit', () => {
    process.stderr.write(`shipshape timing: python parses: ${counts.parses} for rules, ${counts.validated} validating fixes, ${counts.reused} taken over from validation\n`);
  });
}

/** All descendants of a type (depth-first, source order). */
export function descendants(n: TSNode, type: string | string[]): TSNode[] {
  const types = Array.isArray(type) ? type : [type];
  return n.descendantsOfType(types).filter((x): x is TSNode => x !== null);
}
