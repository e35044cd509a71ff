// TypeScript and JavaScript. Detection reads plain compiler syntax trees (tsSourceOnce: one
// `ts.createSourceFile` per file text, handed to every reader that keeps facts per text, and not
// kept by the workspace once they have read it); the TypeScript compiler is the one ts-morph bundles, loaded on first use
// without ts-morph itself. Source files are created from the workspace's text, never read from disk.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { preloadCommonJs } from '../codecache.js';
import type { Workspace } from '../workspace.js';
import { FileError } from '../workspace.js';
import { registerValidator } from './validate.js';
import type { ts as TsNamespace } from 'ts-morph';

/** The TypeScript compiler API (the namespace ts-morph re-exports as `ts`). */
export type Ts = typeof TsNamespace;
export type TsNode = TsNamespace.Node;
export type TsSourceFile = TsNamespace.SourceFile;

let tsPromise: Promise<Ts> | undefined;

/**
 * The TypeScript compiler, loaded once. It is the copy inside @ts-morph/common, resolved from
 * ts-morph's own location, without loading ts-morph's wrappers: measured ~25% less start-up CPU
 * than importing ts-morph (465 vs 603 ms). The compiler file itself is required, not
 * @ts-morph/common's entry (which only re-exports it as `ts`): that entry also builds ts-morph's
 * in-memory lib .d.ts files and loads its file-system helpers, ~12 MB of heap for the whole run
 * (its 3 MB source, kept by V8 as a two-byte string, and 5 MB of lib texts) that nothing here uses.
 */
export function tsApi(): Promise<Ts> {
  tsPromise ??= (async () => {
    try {
      const req = createRequire(import.meta.url);
      const fromTsMorph = createRequire(req.resolve('ts-morph'));
      // The compiler (typescript.js beside @ts-morph/common's entry) compiled with a V8 code cache.
      const compiler = path.join(path.dirname(fromTsMorph.resolve('@ts-morph/common')), 'typescript.js');
      if (fs.existsSync(compiler)) {
        preloadCommonJs(compiler);
        const ts = fromTsMorph(compiler) as Ts;
        if (typeof ts.createSourceFile === 'function') return ts;
      }
      const common = fromTsMorph('@ts-morph/common') as { ts?: Ts };
      if (common.ts) return common.ts;
    } catch {
      /* a layout where @ts-morph/common is not beside ts-morph: go through ts-morph */
    }
    return (await import('ts-morph')).ts;
  })();
  return tsPromise;
}

const AST_PARSER = {
  key: 'typescript/ast',
  async parse(text: string, file: string): Promise<TsSourceFile> {
    const ts = await tsApi();
    // As ts-morph's project created them (target ES2022, parent pointers, kind from the extension).
    return ts.createSourceFile('/' + file, text, ts.ScriptTarget.ES2022, true);
  },
};

/**
 * The syntax tree of a file's current text for one use: the workspace's tree when another reader
 * parsed this text, else a tree that is not kept (Workspace.parseOnce). For readers that keep what
 * they extract from a text themselves (PerText), instead of the tree: a TypeScript tree is ~30 bytes
 * of heap per character of source, and in a monorepo's fix the trees of every version of the
 * scripts each analysis read stayed alive. The tree is first given to the readers registered with
 * shareTrees, so that a file two of them read is still parsed once per text.
 */
export async function tsSourceOnce(ws: Workspace, file: string): Promise<TsSourceFile | undefined> {
  const sf = await ws.parseOnce(file, AST_PARSER);
  if (sf && treeReaders.length) {
    const ts = await tsApi();
    for (const read of treeReaders) read(ts, sf, file, ws);
  }
  return sf;
}

type TreeReader = (ts: Ts, sf: TsSourceFile, file: string, ws: Workspace) => void;
const treeReaders: TreeReader[] = [];

/**
 * Register a reader that keeps facts per text (it checks its own PerText first): it is given every
 * tree tsSourceOnce hands out, so that it need not parse the same text again itself.
 */
export function shareTrees(reader: TreeReader): void {
  treeReaders.push(reader);
}

/**
 * A value computed from a file's text, per workspace, kept with the text it was computed from: a
 * changed text computes it again. Holds one value per file (the latest text's).
 */
export class PerText<T> {
  private byWs = new WeakMap<Workspace, Map<string, { text: string; value: T }>>();

  get(ws: Workspace, file: string, text: string): T | undefined {
    const hit = this.byWs.get(ws)?.get(file);
    return hit !== undefined && hit.text === text ? hit.value : undefined;
  }

  set(ws: Workspace, file: string, text: string, value: T): void {
    let m = this.byWs.get(ws);
    if (!m) this.byWs.set(ws, (m = new Map()));
    m.set(file, { text, value });
  }
}

/**
 * What a reader keeps of each text instead of its syntax tree (PerText): computed from every tree
 * tsSourceOnce hands out whose text `mayHold` accepts (shareTrees), so that a file several readers
 * need is parsed once per text, and from a tree parsed for this reader alone otherwise.
 */
export class TreeFacts<T> {
  private readonly byText = new PerText<T>();

  constructor(
    private readonly mayHold: (text: string) => boolean,
    private readonly compute: (ts: Ts, sf: TsSourceFile, file: string) => T,
  ) {
    shareTrees((ts, sf, file, ws) => {
      if (!this.mayHold(sf.text) || this.byText.get(ws, file, sf.text) !== undefined) return;
      try {
        this.byText.set(ws, file, sf.text, this.compute(ts, sf, file));
      } catch {
        /* computed again by of(): the error belongs to the reader these facts are for */
      }
    });
  }

  /** The facts of a file's text (the text ws.text gives now); undefined when the file cannot be parsed. */
  async of(ws: Workspace, file: string, text: string): Promise<T | undefined> {
    const known = this.byText.get(ws, file, text);
    if (known !== undefined) return known;
    const sf = await tsSourceOnce(ws, file);
    if (!sf) return undefined;
    const value = this.byText.get(ws, file, text) ?? this.compute(await tsApi(), sf, file);
    this.byText.set(ws, file, text, value);
    return value;
  }
}

/**
 * 1-based line of a position, counting "\n" only (as ts-morph's getStartLineNumber does), through
 * a table of line starts built once per source file.
 */
const lineStarts = new WeakMap<TsSourceFile, number[]>();
export function lineAt(sf: TsSourceFile, pos: number): number {
  let starts = lineStarts.get(sf);
  if (!starts) {
    starts = [0];
    const t = sf.text;
    for (let i = t.indexOf('\n'); i !== -1; i = t.indexOf('\n', i + 1)) starts.push(i + 1);
    lineStarts.set(sf, starts);
  }
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= pos) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/** Visit every descendant of a node in source order (as ts-morph's forEachDescendant: compiler children, pre-order). */
export function forEachDescendant(ts: Ts, node: TsNode, cb: (n: TsNode) => void): void {
  const visit = (n: TsNode): void => {
    cb(n);
    ts.forEachChild(n, visit);
  };
  ts.forEachChild(node, visit);
}

/**
 * Can a literal's value or an identifier's name in this text differ from the characters written?
 * A backslash does that: escapes (`\x2f`, `\u002f`, `\u{2f}`, octal `\57`, `\/`, `\.` — any
 * character after a backslash stands for itself), identifier escapes (`\u0065nv`) and line
 * continuations (a backslash before a line break). Only the escapes that stand for control
 * characters or quotes (`\n \r \t \b \f \v \' \" \` \\ \$`) are left out: no prefilter needle
 * contains those. Substring prefilters (a text without X cannot hold a read of X, so it is not
 * parsed) must give up — parse the file — when this is true.
 */
export function mayHideText(text: string): boolean {
  return /\\[^nrtbfv'"`\\$]/.test(text);
}

// After a fix, a changed TS/JS file must still parse: syntax errors only (no type checking), as
// ts.transpileModule reports them (the validator's contract: same first error, message and line).
// For a TypeScript file those are the parse diagnostics of the source file transpileModule
// creates, so the file is parsed exactly as it does (fileName, compiler options after its defaults
// and overrides, target, module format) and nothing else is built: no program, no emit. A
// JavaScript file also gets the program's "TypeScript-only syntax in a .js file" diagnostics
// first, which only a program computes: it still goes through transpileModule. Either way the
// compiler comes without ts-morph.
const VALIDATE_OPTIONS = { allowJs: true, jsx: 1 /* JsxEmit.Preserve */, noEmit: true };

interface TranspileParse {
  parse(text: string, file: string): TsSourceFile;
}
let transpileParse: TranspileParse | null | undefined;

/** createSourceFile as transpileModule calls it, or null when this compiler lacks what that needs. */
function transpileParser(ts: Ts): TranspileParse | null {
  // Internal functions of the compiler (exported by typescript.js, not typed): replicate its
  // transpileWorker. Missing ones (another TypeScript version) make the validator use
  // transpileModule itself.
  const t = ts as unknown as Record<string, any>;
  const needed = ['fixupCompilerOptions', 'getDefaultCompilerOptions', 'transpileOptionValueCompilerOptions',
    'getEmitScriptTarget', 'getImpliedNodeFormatForFile', 'toPath', 'getSetExternalModuleIndicator'];
  if (needed.some((k) => t[k] === undefined)) return null;
  const options = t.fixupCompilerOptions(VALIDATE_OPTIONS, []) as Record<string, unknown>;
  const defaults = t.getDefaultCompilerOptions() as Record<string, unknown>;
  for (const key in defaults) if (Object.hasOwn(defaults, key) && options[key] === undefined) options[key] = defaults[key];
  // transpileWorker skips some overrides under verbatimModuleSyntax (through a set the compiler
  // does not export); these options never set it — if a compiler's defaults did, use transpileModule.
  if (options.verbatimModuleSyntax) return null;
  for (const option of t.transpileOptionValueCompilerOptions as { name: string; transpileOptionValue: unknown }[]) {
    options[option.name] = option.transpileOptionValue;
  }
  options.suppressOutputPathCheck = true;
  options.allowNonTsExtensions = true;
  options.declaration = false;
  options.declarationMap = false;
  options.noLib = true;
  const languageVersion = t.getEmitScriptTarget(options);
  const setExternalModuleIndicator = t.getSetExternalModuleIndicator(options);
  return {
    parse(text, file) {
      const host = {
        getCanonicalFileName: (f: string) => f,
        useCaseSensitiveFileNames: () => false,
        getCurrentDirectory: () => '',
        fileExists: (f: string) => f === file,
        readFile: () => '',
        directoryExists: () => true,
        getDirectories: () => [],
      };
      const impliedNodeFormat = t.getImpliedNodeFormatForFile(t.toPath(file, '', host.getCanonicalFileName), undefined, host, options);
      return ts.createSourceFile(file, text, { languageVersion, impliedNodeFormat, setExternalModuleIndicator, jsDocParsingMode: 0 } as never);
    },
  };
}

/** Does the validator parse TypeScript files itself (true with the bundled compiler), or fall back to transpileModule? */
export async function validatorParsesDirectly(): Promise<boolean> {
  const ts = await tsApi();
  if (transpileParse === undefined) transpileParse = transpileParser(ts);
  return transpileParse !== null;
}

registerValidator('typescript', async (text, file) => {
  const ts = await tsApi();
  if (transpileParse === undefined) transpileParse = transpileParser(ts);
  let diagnostics: readonly TsNamespace.Diagnostic[] | undefined;
  if (transpileParse && /\.(?:ts|tsx|mts|cts)$/.test(file) && !/\.d\.[cm]?ts$/.test(file)) {
    diagnostics = (transpileParse.parse(text, file) as unknown as { parseDiagnostics: TsNamespace.Diagnostic[] }).parseDiagnostics;
  } else {
    diagnostics = ts.transpileModule(text, { fileName: file, reportDiagnostics: true, compilerOptions: { ...VALIDATE_OPTIONS } }).diagnostics;
  }
  const err = diagnostics?.find((d) => d.category === ts.DiagnosticCategory.Error && d.start !== undefined);
  if (err) {
    const line = err.file ? err.file.getLineAndCharacterOfPosition(err.start!).line + 1 : undefined;
    throw new FileError(file, ts.flattenDiagnosticMessageText(err.messageText, '\n'), line);
  }
});

/**
 * The module specifier's value of an import or export declaration, as ts-morph's
 * getModuleSpecifierValue reads it: undefined without one. Undefined too when it is not a string
 * literal (`import x from y`), where ts-morph threw: the parser accepts that broken code without a
 * syntax error, and the error made every rule that read the file fail instead of skipping the import.
 */
export function moduleSpecifierValue(ts: Ts, d: TsNamespace.ImportDeclaration | TsNamespace.ExportDeclaration): string | undefined {
  const spec = d.moduleSpecifier;
  // Broken code (`import x from y`) that the parser takes without a syntax error: no module.
  if (spec === undefined || !ts.isStringLiteral(spec)) return undefined;
  return spec.text;
}

/**
 * A node's text as ts-morph's getText() gives it: an identifier's name with its escapes decoded
 * (ts-morph's Identifier.getText returns the compiler's `text`), any other node's source text.
 */
export function nodeText(ts: Ts, sf: TsSourceFile, n: TsNode): string {
  return ts.isIdentifier(n) || ts.isPrivateIdentifier(n) ? n.text : n.getText(sf);
}
