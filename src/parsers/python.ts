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
    throw new FileError(file, 'Python syntax error', bad ? bad.startPosition.row + 1 : undefined);
  }
  return { text, tree, root };
}

function firstError(n: TSNode): TSNode | undefined {
  if (n.isError || n.isMissing) return n;
  for (const c of n.children) {
    if (c && c.hasError) {
      const e = firstError(c);
      if (e) return e;
    }
  }
  return n.hasError ? n : undefined;
}

export const pythonParser: AsyncParser<PythonModel> = {
  key: 'python',
  parse: (text, file) => parsePython(text, file),
};

export function python(ws: Workspace, file: string): Promise<PythonModel | undefined> {
  return ws.parseAsync(file, pythonParser);
}

registerValidator('python', async (text, file) => {
  await parsePython(text, file);
});

/** All descendants of a type (depth-first, source order). */
export function descendants(n: TSNode, type: string | string[]): TSNode[] {
  const types = Array.isArray(type) ? type : [type];
  return n.descendantsOfType(types).filter((x): x is TSNode => x !== null);
}
