// Node/TypeScript project knowledge for the settings rules: which JS/TS projects a workspace holds
// (one per package.json), how they load modules (ESM/CJS, NodeNext extensions, TypeScript, zod,
// Next.js), and every `process.env` read in their code, classified by how the code uses it so that
// a typed, validated settings module can replace the reads without changing what the code expects.
// Code is read only through the compiler's syntax trees (src/parsers/typescript.ts, loaded lazily); nothing here edits anything.
import type { ts as TsT } from 'ts-morph';
import type { Workspace } from '../workspace.js';
import {
  forEachDescendant, mayHideText, moduleSpecifierValue, nodeText, tsApi, TreeFacts, type Ts, type TsNode, type TsSourceFile,
} from '../parsers/typescript.js';
import { basename, dirname, joinPath } from '../classify.js';


// ---------------------------------------------------------------------------------------------
// Projects

export interface PackageInfo {
  type?: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}

export interface TsConfigInfo {
  file: string;
  module?: string;
  moduleResolution?: string;
  rootDir?: string;
  include?: string[];
  baseUrl?: string;
  paths?: Record<string, string[]>;
  allowImportingTsExtensions?: boolean;
}

export type Framework = 'node' | 'next' | 'frontend';

export interface NodeProject {
  /** Directory of the project ('' = workspace root). */
  dir: string;
  /** Its package.json, when there is one. */
  manifest?: string;
  pkg: PackageInfo;
  /** "type": "module": .js files are ES modules. */
  esm: boolean;
  tsconfig?: TsConfigInfo;
  /** A TypeScript project (tsconfig.json, or TypeScript sources). */
  typescript: boolean;
  framework: Framework;
  /** For `frontend`: which dependency made it one. */
  frontendBy?: string;
  /** Major version of zod when the project depends on it at run time. */
  zod?: number;
  /** The project depends on Next's `server-only` marker package. */
  serverOnly: boolean;
  /** Code files of this project (not of projects nested in it). */
  files: string[];
}

/** Frameworks that bundle code for the browser and inline env variables at build time. */
const FRONTEND_DEPS = [
  'react-scripts', 'vite', '@angular/core', '@vue/cli-service', 'parcel', 'gatsby', 'expo', 'react-native',
  'nuxt', '@sveltejs/kit', '@remix-run/react', 'astro', 'svelte', 'vue',
];
/** Server frameworks: with one of these a Vite/Vue dependency is only a part of the project. */
const SERVER_DEPS = ['express', 'fastify', 'koa', '@hapi/hapi', '@nestjs/core', 'hono', 'restify', '@trpc/server'];

function readJson(ws: Workspace, file: string): Record<string, unknown> | undefined {
  const text = ws.text(file);
  if (text === undefined) return undefined;
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function deps(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
}

/** Major version of a dependency range ("^3.22.4" → 3, "4.x" → 4), when it can be read. */
export function majorOf(range: string): number | undefined {
  const m = /(\d+)/.exec(range.replace(/^npm:[^@]+@/, ''));
  return m ? Number(m[1]) : undefined;
}

async function readTsConfig(ws: Workspace, file: string): Promise<TsConfigInfo | undefined> {
  const text = ws.text(file);
  if (text === undefined) return undefined;
  const ts = await tsApi();
  const parsed = ts.parseConfigFileTextToJson(file, text);
  if (parsed.error || !parsed.config || typeof parsed.config !== 'object') return { file };
  const cfg = parsed.config as { compilerOptions?: Record<string, unknown>; include?: unknown; extends?: unknown };
  let co: Record<string, unknown> = cfg.compilerOptions ?? {};
  // One level of a relative `extends` (e.g. tsconfig.base.json), for module settings only.
  if (typeof cfg.extends === 'string' && cfg.extends.startsWith('.')) {
    let base = joinPath(dirname(file), cfg.extends);
    if (!base.endsWith('.json')) base += '.json';
    if (ws.exists(base)) {
      const b = ts.parseConfigFileTextToJson(base, ws.text(base) ?? '');
      const bco = (b.config as { compilerOptions?: Record<string, unknown> } | undefined)?.compilerOptions ?? {};
      co = { ...bco, ...co };
    }
  }
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const paths: Record<string, string[]> = {};
  if (co.paths && typeof co.paths === 'object') {
    for (const [k, v] of Object.entries(co.paths as Record<string, unknown>)) {
      if (Array.isArray(v)) paths[k] = v.filter((x): x is string => typeof x === 'string');
    }
  }
  return {
    file,
    module: str(co.module)?.toLowerCase(),
    moduleResolution: str(co.moduleResolution)?.toLowerCase(),
    rootDir: str(co.rootDir),
    include: Array.isArray(cfg.include) ? cfg.include.filter((x): x is string => typeof x === 'string') : undefined,
    baseUrl: str(co.baseUrl),
    paths,
    allowImportingTsExtensions: co.allowImportingTsExtensions === true,
  };
}

/** Every JS/TS project of the workspace: code files grouped under their nearest package.json. */
export async function nodeProjects(ws: Workspace): Promise<NodeProject[]> {
  const code = ws.files('typescript');
  if (code.length === 0) return [];
  const manifests = new Set(ws.find((f) => basename(f) === 'package.json').map(dirname));
  const byDir = new Map<string, string[]>();
  for (const f of code) {
    let d = dirname(f);
    while (d && !manifests.has(d)) d = dirname(d);
    const list = byDir.get(d) ?? [];
    list.push(f);
    byDir.set(d, list);
  }
  const out: NodeProject[] = [];
  for (const [dir, files] of [...byDir].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const manifest = manifests.has(dir) ? joinPath(dir, 'package.json') : undefined;
    const raw = manifest ? readJson(ws, manifest) ?? {} : {};
    const pkg: PackageInfo = {
      type: typeof raw.type === 'string' ? raw.type : undefined,
      dependencies: deps(raw.dependencies),
      devDependencies: deps(raw.devDependencies),
    };
    const all = { ...pkg.devDependencies, ...pkg.dependencies };
    const tsFile = joinPath(dir, 'tsconfig.json');
    const tsconfig = ws.exists(tsFile) ? await readTsConfig(ws, tsFile) : undefined;
    const hasTsSources = files.some((f) => /\.(?:ts|tsx|mts|cts)$/.test(f));
    let framework: Framework = 'node';
    let frontendBy: string | undefined;
    if (all.next) framework = 'next';
    else if (!SERVER_DEPS.some((d) => all[d])) {
      frontendBy = FRONTEND_DEPS.find((d) => all[d]);
      if (frontendBy) framework = 'frontend';
    }
    const zodRange = pkg.dependencies.zod;
    out.push({
      dir,
      manifest,
      pkg,
      esm: pkg.type === 'module',
      tsconfig,
      typescript: Boolean(tsconfig) || hasTsSources,
      framework,
      frontendBy,
      zod: zodRange !== undefined ? majorOf(zodRange) ?? 4 : undefined,
      serverOnly: Boolean(pkg.dependencies['server-only']),
      files,
    });
  }
  return out;
}

/** Path of `file` relative to the project directory. */
export function inProject(project: NodeProject, file: string): string {
  return project.dir ? file.slice(project.dir.length + 1) : file;
}

const EXCLUDED_DIRS = new Set([
  'test', 'tests', '__tests__', '__mocks__', 'e2e', 'cypress', 'playwright', 'scripts', 'dist', 'build', 'out',
  'coverage', 'public', 'static', 'fixtures', 'stories', '.storybook',
]);

/**
 * Files whose env reads are left alone: tests, build-tool configuration (next.config.js,
 * vite.config.ts: they run at build time, outside the app) and one-off scripts.
 */
export function isExcludedFile(project: NodeProject, file: string): string | undefined {
  const rel = inProject(project, file);
  const base = basename(rel);
  if (/\.(?:test|spec|stories|e2e)\.[cm]?[jt]sx?$/.test(base)) return 'test';
  if (/\.config\.[cm]?[jt]s$/.test(base) || /^\.[a-z]+rc\.[cm]?js$/.test(base) || /^(?:gulpfile|gruntfile)\./i.test(base)) {
    return 'build configuration';
  }
  if (rel.split('/').slice(0, -1).some((seg) => EXCLUDED_DIRS.has(seg))) return 'test, script or build output';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Environment reads

export type ValueKind = 'string' | 'number' | 'integer' | 'boolean';
export type Literal = string | number | boolean;

export interface EnvSite {
  file: string;
  name: string;
  /** The whole expression the site covers (e.g. `Number(process.env.PORT ?? 3000)`). */
  start: number;
  end: number;
  /** The site with the parentheses around it (`(process.env.X ?? 'd')`). */
  outerStart: number;
  outerEnd: number;
  /** The `process.env.X` access itself. */
  accessStart: number;
  accessEnd: number;
  kind: ValueKind;
  /** A literal fallback (`?? "x"`, `|| 3000`, a destructuring default), in the site's kind. */
  default?: Literal;
  /** A fallback that is not a literal (`?? computePort()`): it stays at the call site. */
  defaultExpr?: boolean;
  /** For boolean comparisons: the value when the variable is unset. */
  negate?: boolean;
  /** The code needs a value (bare use, `!`, `as string`), versus a presence check or comparison. */
  needsValue: boolean;
  /** The replacement must be parenthesised where `a ?? b` is inserted. */
  tightContext: boolean;
  /** Text of the whole site, for messages. */
  text: string;
  anchor: string;
  /** Destructuring `const { A, B = "x" } = process.env`: all its names, one site per statement. */
  destructure?: DestructureInfo;
}

export interface DestructureInfo {
  /** `process.env` initializer span. */
  initStart: number;
  initEnd: number;
  elements: { name: string; default?: Literal; defaultExpr?: boolean; initStart?: number; initEnd?: number }[];
  /** Why it cannot be rewritten (rest element, computed key). */
  problem?: string;
}

export interface FileReads {
  file: string;
  sites: EnvSite[];
  /** Variables the file assigns or deletes (`process.env.X = …`): left out of the settings module. */
  written: Set<string>;
  /** The file validates the whole environment itself (`schema.parse(process.env)`, `createEnv(…)`). */
  envModule: boolean;
  /** The file is a client component ('use client'). */
  useClient: boolean;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ENV_LIBRARIES = ['@t3-oss/env-core', '@t3-oss/env-nextjs', '@t3-oss/env-nuxt', 'envalid', 'env-var', 'znv', 'env-schema'];
const TRUTHY = ['true', '1', 'yes', 'on'];
const FALSY = ['false', '0', 'no', 'off'];

// The compiler's syntax trees, read as the ts-morph calls they replace did: names and callees by
// their source text (`getText`), literal values decoded, positions from `getStart` (after trivia).

function isProcessEnv(ts: Ts, sf: TsSourceFile, n: TsNode): boolean {
  if (!ts.isPropertyAccessExpression(n) || nodeText(ts, sf, n.name) !== 'env') return false;
  const e = n.expression;
  return ts.isIdentifier(e) && nodeText(ts, sf, e) === 'process';
}

/** A NumericLiteral's value as ts-morph's getLiteralValue reads it. */
function numericValue(n: TsT.NumericLiteral): number {
  return n.text.includes('.') ? parseFloat(n.text) : parseInt(n.text, 10);
}

function literalOf(ts: Ts, n: TsNode): Literal | undefined {
  if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) return n.text;
  if (ts.isNumericLiteral(n)) return Number(numericValue(n));
  if (n.kind === ts.SyntaxKind.TrueKeyword) return true;
  if (n.kind === ts.SyntaxKind.FalseKeyword) return false;
  if (ts.isPrefixUnaryExpression(n) && n.operator === ts.SyntaxKind.MinusToken) {
    const v = literalOf(ts, n.operand);
    return typeof v === 'number' ? -v : undefined;
  }
  if (ts.isParenthesizedExpression(n)) return literalOf(ts, n.expression);
  return undefined;
}

/** Skip parentheses upwards: the node that really holds `n`. */
function up(ts: Ts, n: TsNode): { node: TsNode; parent: TsNode | undefined } {
  let node = n;
  let parent: TsNode | undefined = n.parent;
  while (parent && ts.isParenthesizedExpression(parent)) {
    node = parent;
    parent = parent.parent;
  }
  return { node, parent };
}

function enclosingName(ts: Ts, sf: TsSourceFile, n: TsNode): string {
  for (let p: TsNode | undefined = n.parent; p; p = p.parent) {
    if (ts.isFunctionDeclaration(p) || ts.isMethodDeclaration(p) || ts.isClassDeclaration(p)) {
      return (p.name ? nodeText(ts, sf, p.name) : undefined) ?? '<anonymous>';
    }
    if (ts.isVariableDeclaration(p) || ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p)) return nodeText(ts, sf, p.name);
  }
  return '<module>';
}

/** The arguments of a call or `new` (none for `new X`). */
function argumentsOf(n: TsT.CallExpression | TsT.NewExpression): readonly TsNode[] {
  return n.arguments ?? [];
}

/** Parents in which `a ?? b` may replace an expression without parentheses. */
function looseContext(ts: Ts, node: TsNode, parent: TsNode | undefined): boolean {
  if (!parent) return true;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isReturnStatement(parent)) return true;
  if (ts.isArrayLiteralExpression(parent) || ts.isTemplateSpan(parent) || ts.isExpressionStatement(parent)) return true;
  if (ts.isJsxExpression(parent) || ts.isBindingElement(parent) || ts.isParameter(parent)) return true;
  if (ts.isArrowFunction(parent)) return parent.body === node;
  if (ts.isCallExpression(parent) || ts.isNewExpression(parent)) return argumentsOf(parent).includes(node);
  if (ts.isPropertyDeclaration(parent)) return true;
  return false;
}

/** Is the expression used only to test presence or compare (the code copes with it being unset)? */
function toleratesUnset(ts: Ts, node: TsNode, parent: TsNode | undefined): boolean {
  const { SyntaxKind } = ts;
  if (!parent) return false;
  if (ts.isIfStatement(parent) || ts.isWhileStatement(parent) || ts.isDoStatement(parent)) return parent.expression === node;
  if (ts.isConditionalExpression(parent)) return parent.condition === node;
  if (ts.isForStatement(parent)) return parent.condition === node;
  if (ts.isPrefixUnaryExpression(parent)) return parent.operator === SyntaxKind.ExclamationToken;
  if (ts.isTypeOfExpression(parent)) return true;
  // process.env.X?.split(',')
  if ((ts.isPropertyAccessExpression(parent) || ts.isElementAccessExpression(parent) || ts.isCallExpression(parent)) &&
    parent.expression === node) {
    return parent.questionDotToken !== undefined;
  }
  if (ts.isSwitchStatement(parent)) return true;
  if (ts.isBinaryExpression(parent)) {
    const op = parent.operatorToken.kind;
    if (op === SyntaxKind.AmpersandAmpersandToken) return parent.left === node;
    return [
      SyntaxKind.EqualsEqualsEqualsToken, SyntaxKind.ExclamationEqualsEqualsToken,
      SyntaxKind.EqualsEqualsToken, SyntaxKind.ExclamationEqualsToken,
    ].includes(op);
  }
  return false;
}

/** ts-morph's Node.isFunctionLikeDeclaration (function expressions are not among them). */
function isFunctionLikeDeclaration(ts: Ts, n: TsNode): boolean {
  const k = ts.SyntaxKind;
  return [k.ArrowFunction, k.Constructor, k.FunctionDeclaration, k.GetAccessor, k.MethodDeclaration, k.SetAccessor].includes(n.kind);
}

/** Is the read inside a branch that runs only when the variable is set (`if (process.env.X) f(process.env.X)`)? */
function guarded(ts: Ts, sf: TsSourceFile, access: TsNode, name: string): boolean {
  const { SyntaxKind } = ts;
  const mentions = (n: TsNode | undefined) => n !== undefined && new RegExp(`process\\.env(?:\\.${name}\\b|\\[\\s*['"\`]${name}['"\`]\\s*\\])`).test(nodeText(ts, sf, n));
  const within = (n: TsNode | undefined) => n !== undefined && access.getStart(sf) >= n.getStart(sf) && access.end <= n.end;
  for (let p: TsNode | undefined = access.parent; p; p = p.parent) {
    if (ts.isConditionalExpression(p) && within(p.whenTrue) && mentions(p.condition)) return true;
    if (ts.isIfStatement(p) && within(p.thenStatement) && mentions(p.expression)) return true;
    if (ts.isBinaryExpression(p) && p.operatorToken.kind === SyntaxKind.AmpersandAmpersandToken && within(p.right) && mentions(p.left)) {
      return true;
    }
    if (isFunctionLikeDeclaration(ts, p) || ts.isSourceFile(p)) break;
  }
  return false;
}

/** Every `process.env` read of one file. */
export function fileEnvReads(ws: Workspace, file: string): Promise<FileReads | undefined> {
  // A file the prefilter rules out (most of a project's files) is answered without a memo entry:
  // testing its text costs less than checking a memo's reads, which every plan computation does
  // for every file of the project after each fix pass. The text read is recorded all the same.
  const text = ws.text(file);
  if (text === undefined) return Promise.resolve(undefined);
  if (!envMayMatter(text)) return Promise.resolve(noReads(file));
  // Once per text of the file (several rules and every fix pass ask); the result is shared, read-only.
  return ws.memo(`node/fileEnvReads\0${file}`, () => envReadsOf(ws, file));
}

function noReads(file: string): FileReads {
  return { file, sites: [], written: new Set(), envModule: false, useClient: false };
}

/**
 * Can collect() find anything in this text? (false: the file need not be parsed.) Every site,
 * write and whole-environment use is a `process.env` property access: the identifier `process`
 * and the name `env`. "process" is required as written (the gate this analysis always had: a file
 * spelling it only with escapes was never read, and still is not). A file importing an env library
 * without reading process.env is only a settings module when it also mentions `process` (same
 * gate); those libraries' names all hold "env" except znv. Backslashes that can hide a character
 * (`process.\u0065nv`, `'\x65nvalid'`) make the file parse anyway.
 */
export function envMayMatter(text: string): boolean {
  return text.includes('process') && (text.includes('env') || text.includes('znv') || mayHideText(text));
}

/**
 * Each file's reads, kept with the text they were read from instead of its syntax tree; the tree
 * another reader parses (an app's analysis, the settings module's) gives them too (TreeFacts).
 */
const envReadsByText = new TreeFacts(envMayMatter, collect);

async function envReadsOf(ws: Workspace, file: string): Promise<FileReads | undefined> {
  const text = ws.text(file);
  if (text === undefined || !envMayMatter(text)) return text === undefined ? undefined : noReads(file);
  return envReadsByText.of(ws, file, text);
}

function collect(ts: Ts, sf: TsSourceFile, file: string): FileReads {
  const { SyntaxKind } = ts;
  const sites: EnvSite[] = [];
  const written = new Set<string>();
  // A module built on an env-validation library is the project's settings module already.
  let envModule = sf.statements.some((d) => ts.isImportDeclaration(d) && ENV_LIBRARIES.includes(moduleSpecifierValue(ts, d) ?? ''));
  const first = sf.statements[0];
  const useClient =
    first !== undefined && ts.isExpressionStatement(first) && ts.isStringLiteral(first.expression) &&
    first.expression.text === 'use client';

  forEachDescendant(ts, sf, (n) => {
    if (!isProcessEnv(ts, sf, n)) return;
    const parent = n.parent;
    if (!parent) return;
    // `process.env` as a whole: an argument (schema.parse(process.env)), a destructuring source.
    if (ts.isCallExpression(parent) && argumentsOf(parent).includes(n)) {
      const callee = parent.expression;
      const fn = ts.isPropertyAccessExpression(callee) ? nodeText(ts, sf, callee.name) : nodeText(ts, sf, callee);
      if (/^(?:parse|safeParse|parseAsync|safeParseAsync|cleanEnv|createEnv|validate|validateSync|load|from)$/.test(fn)) envModule = true;
      return;
    }
    if (ts.isVariableDeclaration(parent) && parent.initializer === n) {
      const pattern = parent.name;
      if (ts.isObjectBindingPattern(pattern)) sites.push(destructureSite(ts, sf, file, parent, pattern, n));
      return;
    }
    let access: TsNode;
    let name: string | undefined;
    if (ts.isPropertyAccessExpression(parent) && parent.expression === n) {
      access = parent;
      name = nodeText(ts, sf, parent.name);
    } else if (ts.isElementAccessExpression(parent) && parent.expression === n) {
      access = parent;
      const arg = parent.argumentExpression;
      const lit = arg ? literalOf(ts, arg) : undefined;
      name = typeof lit === 'string' ? lit : undefined;
    } else {
      return;
    }
    if (name === undefined || !NAME.test(name)) return;
    // Writes: assignments, delete, ++/--.
    const { node: aNode, parent: aParent } = up(ts, access);
    if (aParent) {
      if (ts.isBinaryExpression(aParent) && aParent.left === aNode && aParent.operatorToken.kind >= SyntaxKind.FirstAssignment && aParent.operatorToken.kind <= SyntaxKind.LastAssignment) {
        written.add(name);
        return;
      }
      if (ts.isDeleteExpression(aParent) || ts.isPostfixUnaryExpression(aParent) ||
        (ts.isPrefixUnaryExpression(aParent) && [SyntaxKind.PlusPlusToken, SyntaxKind.MinusMinusToken].includes(aParent.operator))) {
        written.add(name);
        return;
      }
    }
    sites.push(accessSite(ts, sf, file, access, name));
  });
  return { file, sites, written, envModule, useClient };
}

function accessSite(ts: Ts, sf: TsSourceFile, file: string, access: TsNode, name: string): EnvSite {
  const { SyntaxKind } = ts;
  let e: TsNode = access;
  let needsValue = false;
  let kind: ValueKind = 'string';
  let def: Literal | undefined;
  let defaultExpr = false;
  let negate: boolean | undefined;
  let { node, parent } = up(ts, e);
  // `process.env.X!`, `process.env.X as string`
  if (parent && (ts.isNonNullExpression(parent) || ts.isAsExpression(parent) || ts.isTypeAssertionExpression(parent))) {
    needsValue = true;
    e = parent;
    ({ node, parent } = up(ts, e));
  }
  const fallback = (p: TsNode | undefined, n: TsNode): TsNode | undefined => {
    if (!p || !ts.isBinaryExpression(p) || p.left !== n) return undefined;
    const op = p.operatorToken.kind;
    return op === SyntaxKind.QuestionQuestionToken || op === SyntaxKind.BarBarToken ? p.right : undefined;
  };
  // `process.env.X ?? "d"` / `|| "d"`
  const right = fallback(parent, node);
  if (right && parent) {
    const lit = literalOf(ts, right);
    if (lit !== undefined) def = lit;
    else defaultExpr = true;
    e = parent;
    ({ node, parent } = up(ts, e));
  }
  // Number(…), parseInt(…, 10), parseFloat(…), +…
  let converted = false;
  if (!defaultExpr && parent && ts.isCallExpression(parent) && argumentsOf(parent)[0] === node) {
    const callee = nodeText(ts, sf, parent.expression).replace(/^Number\./, '');
    const args = argumentsOf(parent);
    const radix = args[1] ? literalOf(ts, args[1]) : 10;
    if ((callee === 'Number' || callee === 'parseFloat') && args.length === 1) {
      kind = 'number';
      converted = true;
    } else if (callee === 'parseInt' && args.length <= 2 && radix === 10) {
      kind = 'integer';
      converted = true;
    }
  } else if (!defaultExpr && parent && ts.isPrefixUnaryExpression(parent) && parent.operator === SyntaxKind.PlusToken) {
    kind = 'number';
    converted = true;
  }
  if (converted && parent) {
    if (typeof def === 'string') {
      const n = Number(def);
      if (def.trim() === '' || !Number.isFinite(n) || (kind === 'integer' && !Number.isInteger(n))) {
        kind = 'string';
        converted = false;
      } else def = n;
    } else if (def !== undefined && typeof def !== 'number') {
      kind = 'string';
      converted = false;
    }
  }
  if (converted && parent) {
    e = parent;
    ({ node, parent } = up(ts, e));
    // Number(process.env.X) || 3000
    const r = fallback(parent, node);
    if (r && parent && def === undefined) {
      const lit = literalOf(ts, r);
      if (typeof lit === 'number') {
        def = lit;
        e = parent;
        ({ node, parent } = up(ts, e));
      }
    }
    if (def === undefined) needsValue = true;
  }
  // process.env.X === "true"
  if (!converted && def === undefined && !defaultExpr && !needsValue && parent && ts.isBinaryExpression(parent)) {
    const op = parent.operatorToken.kind;
    const eq = op === SyntaxKind.EqualsEqualsEqualsToken || op === SyntaxKind.EqualsEqualsToken;
    const ne = op === SyntaxKind.ExclamationEqualsEqualsToken || op === SyntaxKind.ExclamationEqualsToken;
    const other = parent.left === node ? parent.right : parent.left;
    const lit = literalOf(ts, other);
    if ((eq || ne) && typeof lit === 'string') {
      const truthy = TRUTHY.includes(lit);
      const falsy = FALSY.includes(lit);
      if (truthy || falsy) {
        kind = 'boolean';
        // X === "true": true when set to a true value, false when unset.
        def = falsy;
        negate = (eq && falsy) || (ne && truthy);
        e = parent;
        ({ node, parent } = up(ts, e));
      }
    }
  }
  if (kind === 'string' && !needsValue && def === undefined && !defaultExpr) {
    const { node: an, parent: ap } = up(ts, access);
    needsValue = !toleratesUnset(ts, an, ap) && !guarded(ts, sf, access, name);
  }
  const outer = up(ts, e).node;
  const eParent: TsNode | undefined = e.parent;
  return {
    file,
    name,
    start: e.getStart(sf),
    end: e.end,
    outerStart: outer.getStart(sf),
    outerEnd: outer.end,
    accessStart: access.getStart(sf),
    accessEnd: access.end,
    kind,
    default: def,
    defaultExpr: defaultExpr || undefined,
    negate,
    needsValue,
    tightContext: !(eParent !== undefined && ts.isParenthesizedExpression(eParent)) && !looseContext(ts, node, parent),
    text: nodeText(ts, sf, e),
    anchor: `process.env.${name} in ${enclosingName(ts, sf, access)}`,
  };
}

function destructureSite(
  ts: Ts,
  sf: TsSourceFile,
  file: string,
  decl: TsT.VariableDeclaration,
  pattern: TsT.ObjectBindingPattern,
  env: TsNode,
): EnvSite {
  const info: DestructureInfo = { initStart: env.getStart(sf), initEnd: env.end, elements: [] };
  for (const el of pattern.elements) {
    if (el.dotDotDotToken) {
      info.problem = 'it collects the rest of the environment (`...rest`)';
      continue;
    }
    const prop = el.propertyName;
    let name: string | undefined;
    if (!prop) name = nodeText(ts, sf, el.name);
    else if (ts.isIdentifier(prop)) name = nodeText(ts, sf, prop);
    else if (ts.isStringLiteral(prop)) name = prop.text;
    if (name === undefined || !NAME.test(name)) {
      info.problem = 'it uses a computed or non-identifier key';
      continue;
    }
    const init = el.initializer;
    const entry: DestructureInfo['elements'][number] = { name };
    if (init) {
      const lit = literalOf(ts, init);
      if (lit !== undefined) entry.default = lit;
      else entry.defaultExpr = true;
      // From the end of the binding name: ` = "x"`.
      entry.initStart = el.name.end;
      entry.initEnd = init.end;
    }
    info.elements.push(entry);
  }
  const names = info.elements.map((x) => x.name);
  return {
    file,
    name: names[0] ?? '',
    start: decl.getStart(sf),
    end: decl.end,
    outerStart: decl.getStart(sf),
    outerEnd: decl.end,
    accessStart: env.getStart(sf),
    accessEnd: env.end,
    kind: 'string',
    needsValue: true,
    tightContext: false,
    text: nodeText(ts, sf, decl),
    anchor: `{ ${names.join(', ')} } = process.env in ${enclosingName(ts, sf, decl)}`,
    destructure: info,
  };
}

/** Each element of a destructuring site as a plain string read (for the field decisions). */
export function siteReads(site: EnvSite): { name: string; kind: ValueKind; default?: Literal; defaultExpr?: boolean; needsValue: boolean }[] {
  if (!site.destructure) return [site];
  return site.destructure.elements.map((e) => ({
    name: e.name,
    kind: 'string' as const,
    default: e.default,
    defaultExpr: e.defaultExpr,
    needsValue: e.default === undefined && !e.defaultExpr,
  }));
}

// ---------------------------------------------------------------------------------------------
// Module resolution (for Next.js client-reachable files)

const EXTS = ['.ts', '.tsx', '.js', '.jsx', '.mjs', '.cjs', '.mts', '.cts'];

function resolveImport(ws: Workspace, project: NodeProject, from: string, spec: string): string | undefined {
  const bases: string[] = [];
  if (spec.startsWith('./') || spec.startsWith('../')) bases.push(joinPath(dirname(from), spec));
  else if (project.tsconfig?.paths) {
    const baseUrl = joinPath(project.dir, project.tsconfig.baseUrl ?? '.');
    for (const [pattern, targets] of Object.entries(project.tsconfig.paths)) {
      const star = pattern.indexOf('*');
      const prefix = star === -1 ? pattern : pattern.slice(0, star);
      if (star === -1 ? spec !== pattern : !spec.startsWith(prefix)) continue;
      const rest = star === -1 ? '' : spec.slice(prefix.length);
      for (const t of targets) bases.push(joinPath(baseUrl, t.replace('*', rest)));
    }
  }
  for (const base of bases) {
    const stripped = base.replace(/\.(?:js|jsx|mjs|cjs)$/, '');
    const candidates = [base, ...EXTS.map((e) => stripped + e), ...EXTS.map((e) => `${base}/index${e}`)];
    const hit = candidates.find((c) => ws.exists(c) && ws.kindOf(c) === 'typescript');
    if (hit) return hit;
  }
  return undefined;
}

/**
 * The specifiers each file imports, kept with the text they were read from instead of its syntax
 * tree, and read from the trees other readers parse too (TreeFacts): an app's analysis walks the
 * same scripts.
 */
const specifiersByText = new TreeFacts((text) => IMPORTS.test(text), (ts, sf) => importSpecifiers(ts, sf));

async function specifiersOf(ws: Workspace, file: string): Promise<string[] | undefined> {
  const text = ws.text(file);
  return text === undefined ? undefined : specifiersByText.of(ws, file, text);
}

/** Could a text hold a `require(…)` or `import(…)` call? (false: no need to walk its tree for them) */
function mayCallImport(text: string): boolean {
  // Between `import` and its `(` there can only be whitespace and comments.
  return mayHideText(text) || text.includes('require') || /\bimport\s*[(/]/.test(text);
}

function importSpecifiers(ts: Ts, sf: TsSourceFile): string[] {
  const out: string[] = [];
  for (const d of sf.statements) {
    const v = ts.isImportDeclaration(d) ? moduleSpecifierValue(ts, d) : undefined;
    if (v !== undefined) out.push(v);
  }
  for (const d of sf.statements) {
    if (!ts.isExportDeclaration(d)) continue;
    const v = moduleSpecifierValue(ts, d);
    if (v) out.push(v);
  }
  if (!mayCallImport(sf.text)) return out;
  forEachDescendant(ts, sf, (n) => {
    if (ts.isCallExpression(n)) {
      const callee = n.expression;
      const arg = n.arguments[0];
      const isImport = callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && nodeText(ts, sf, callee) === 'require');
      if (isImport && arg && (ts.isStringLiteral(arg) || ts.isNoSubstitutionTemplateLiteral(arg))) out.push(arg.text);
    }
  });
  return out;
}

/**
 * Files of a Next.js project whose code can end up in the browser bundle: client components
 * ('use client'), pages-router pages (their components render on the client too), and everything
 * they import. A read there must stay `process.env.X` (NEXT_PUBLIC_ values are inlined at build
 * time; a server-side settings module must never be bundled for the browser).
 */
export async function clientReachable(ws: Workspace, project: NodeProject): Promise<Set<string>> {
  const reached = new Set<string>();
  const queue: string[] = [];
  for (const f of project.files) {
    const rel = inProject(project, f);
    const text = ws.text(f) ?? '';
    const isPage = /^(?:src\/)?pages\//.test(rel) && !/^(?:src\/)?pages\/api\//.test(rel);
    if (isPage || /^\s*(?:\/\/[^\n]*\n\s*|\/\*[\s\S]*?\*\/\s*)*['"]use client['"]/.test(text)) queue.push(f);
  }
  while (queue.length) {
    const f = queue.pop()!;
    if (reached.has(f)) continue;
    reached.add(f);
    const specs = await specifiersOf(ws, f);
    if (!specs) continue;
    for (const spec of specs) {
      const target = resolveImport(ws, project, f, spec);
      if (target && !reached.has(target)) queue.push(target);
    }
  }
  return reached;
}

// ---------------------------------------------------------------------------------------------
// Import style

export interface ImportStyle {
  /** Suffix for relative specifiers: '.js' (NodeNext ESM), '.ts' (allowImportingTsExtensions) or ''. */
  suffix: '' | '.js' | '.ts';
  quote: "'" | '"';
  semicolon: boolean;
}

/** What one file's imports (or requires) say of the style: counts, summed over a project's files. */
interface StyleCounts {
  js: number;
  ts: number;
  bare: number;
  single: number;
  double: number;
  semi: number;
  noSemi: number;
}

const IMPORTS = /\bimport\b|\brequire\(/;

/**
 * Each file's counts, kept with the text they were read from instead of its syntax tree: the plans,
 * and this with them, are computed again after every fix pass that touches a project's code.
 * Counted from the trees other readers parse too (TreeFacts).
 */
const styleByText = new TreeFacts((text) => IMPORTS.test(text), (ts, sf) => styleCounts(ts, sf));

/** How the project writes relative imports, read from its existing code (then from its config). */
export async function importStyle(ws: Workspace, project: NodeProject): Promise<ImportStyle> {
  let js = 0;
  let ts = 0;
  let bare = 0;
  let single = 0;
  let double = 0;
  let semi = 0;
  let noSemi = 0;
  for (const f of project.files.slice(0, 200)) {
    const text = ws.text(f);
    if (text === undefined || !IMPORTS.test(text)) continue;
    const c = await styleByText.of(ws, f, text);
    if (!c) continue;
    js += c.js;
    ts += c.ts;
    bare += c.bare;
    single += c.single;
    double += c.double;
    semi += c.semi;
    noSemi += c.noSemi;
  }
  let suffix: ImportStyle['suffix'];
  if (js + ts + bare > 0) suffix = js >= ts && js > bare ? '.js' : ts > bare ? '.ts' : '';
  else {
    const nodeNext = ['node16', 'nodenext', 'node18', 'node20'];
    const cfg = project.tsconfig;
    const strict = cfg && (nodeNext.includes(cfg.moduleResolution ?? '') || (!cfg.moduleResolution && nodeNext.includes(cfg.module ?? '')));
    if (cfg?.allowImportingTsExtensions) suffix = '.ts';
    else if (project.typescript) suffix = strict && project.esm ? '.js' : '';
    else suffix = project.esm && project.framework === 'node' ? '.js' : '';
  }
  return { suffix, quote: double > single ? '"' : "'", semicolon: semi >= noSemi };
}

function styleCounts(tsc: Ts, sf: TsSourceFile): StyleCounts {
  const c: StyleCounts = { js: 0, ts: 0, bare: 0, single: 0, double: 0, semi: 0, noSemi: 0 };
  const imports = sf.statements.filter(tsc.isImportDeclaration);
  for (const d of imports) {
    const v = moduleSpecifierValue(tsc, d);
    if (v === undefined) continue; // `import x from y`: broken code says nothing of the style
    if (nodeText(tsc, sf, d.moduleSpecifier).startsWith("'")) c.single++;
    else c.double++;
    if (nodeText(tsc, sf, d).trimEnd().endsWith(';')) c.semi++;
    else c.noSemi++;
    if (!v.startsWith('.')) continue;
    if (/\.(?:js|mjs|cjs|jsx)$/.test(v)) c.js++;
    else if (/\.(?:ts|tsx|mts|cts)$/.test(v)) c.ts++;
    else c.bare++;
  }
  if (imports.length === 0) {
    // CommonJS: require('…') calls give the quotes and semicolons.
    forEachDescendant(tsc, sf, (call) => {
      if (!tsc.isCallExpression(call)) return;
      const arg = call.arguments[0];
      if (nodeText(tsc, sf, call.expression) !== 'require' || !arg || !tsc.isStringLiteral(arg)) return;
      if (nodeText(tsc, sf, arg).startsWith("'")) c.single++;
      else c.double++;
      let stmt: TsNode | undefined = call.parent;
      while (stmt && !isStatement(tsc, stmt)) stmt = stmt.parent;
      if ((stmt ? nodeText(tsc, sf, stmt) : undefined)?.trimEnd().endsWith(';')) c.semi++;
      else if (stmt) c.noSemi++;
    });
  }
  return c;
}

/** ts-morph's Node.isStatement: the statement kinds it lists. */
function isStatement(ts: Ts, n: TsNode): boolean {
  const k = ts.SyntaxKind;
  return [
    k.Block, k.BreakStatement, k.ClassDeclaration, k.ContinueStatement, k.DebuggerStatement, k.DoStatement, k.EmptyStatement,
    k.EnumDeclaration, k.ExportAssignment, k.ExportDeclaration, k.ExpressionStatement, k.ForInStatement, k.ForOfStatement,
    k.ForStatement, k.FunctionDeclaration, k.IfStatement, k.ImportDeclaration, k.ImportEqualsDeclaration,
    k.InterfaceDeclaration, k.LabeledStatement, k.ModuleBlock, k.ModuleDeclaration, k.NotEmittedStatement,
    k.ReturnStatement, k.SwitchStatement, k.ThrowStatement, k.TryStatement, k.TypeAliasDeclaration, k.VariableStatement,
    k.WhileStatement, k.WithStatement,
  ].includes(n.kind);
}

/** Relative module specifier from one file to a module path (which has its extension). */
export function relativeSpecifier(fromFile: string, modulePath: string, suffix: string): string {
  const from = dirname(fromFile).split('/').filter(Boolean);
  const to = modulePath.split('/');
  let i = 0;
  while (i < from.length && i < to.length - 1 && from[i] === to[i]) i++;
  const ups = from.length - i;
  const rest = to.slice(i).join('/');
  const rel = (ups === 0 ? './' : '../'.repeat(ups)) + rest;
  const noExt = rel.replace(/\.(?:ts|tsx|mts|cts|js|mjs|cjs|jsx)$/, '');
  if (suffix === '') return noExt;
  if (suffix === '.ts') return rel;
  const ext = /\.(?:mts|mjs)$/.test(rel) ? '.mjs' : /\.(?:cts|cjs)$/.test(rel) ? '.cjs' : '.js';
  return noExt + ext;
}

/** Is a JS file CommonJS (require/module.exports) in this project? */
export function isCommonJsFile(project: NodeProject, file: string): boolean {
  if (/\.(?:cjs|cts)$/.test(file)) return true;
  if (/\.(?:mjs|mts|ts|tsx)$/.test(file)) return false;
  return !project.esm;
}
