// Node/TypeScript project knowledge for the settings rules: which JS/TS projects a workspace holds
// (one per package.json), how they load modules (ESM/CJS, NodeNext extensions, TypeScript, zod,
// Next.js), and every `process.env` read in their code, classified by how the code uses it so that
// a typed, validated settings module can replace the reads without changing what the code expects.
// Code is read only through ts-morph (loaded lazily); nothing here edits anything.
import type { Node as TsNode, SourceFile } from 'ts-morph';
import type { Workspace } from '../workspace.js';
import { mayHideText, typescript } from '../parsers/typescript.js';
import { basename, dirname, joinPath } from '../classify.js';

type TsMorph = typeof import('ts-morph');
let tsmPromise: Promise<TsMorph> | undefined;
function tsMorph(): Promise<TsMorph> {
  tsmPromise ??= import('ts-morph');
  return tsmPromise;
}

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
  const { ts } = await tsMorph();
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

function isProcessEnv(tsm: TsMorph, n: TsNode): boolean {
  const { Node } = tsm;
  if (!Node.isPropertyAccessExpression(n) || n.getName() !== 'env') return false;
  const e = n.getExpression();
  return Node.isIdentifier(e) && e.getText() === 'process';
}

function literalOf(tsm: TsMorph, n: TsNode): Literal | undefined {
  const { Node, SyntaxKind } = tsm;
  if (Node.isStringLiteral(n) || Node.isNoSubstitutionTemplateLiteral(n)) return n.getLiteralText();
  if (Node.isNumericLiteral(n)) return Number(n.getLiteralValue());
  if (n.getKind() === SyntaxKind.TrueKeyword) return true;
  if (n.getKind() === SyntaxKind.FalseKeyword) return false;
  if (Node.isPrefixUnaryExpression(n) && n.getOperatorToken() === SyntaxKind.MinusToken) {
    const v = literalOf(tsm, n.getOperand());
    return typeof v === 'number' ? -v : undefined;
  }
  if (Node.isParenthesizedExpression(n)) return literalOf(tsm, n.getExpression());
  return undefined;
}

/** Skip parentheses upwards: the node that really holds `n`. */
function up(tsm: TsMorph, n: TsNode): { node: TsNode; parent: TsNode | undefined } {
  let node = n;
  let parent = n.getParent();
  while (parent && tsm.Node.isParenthesizedExpression(parent)) {
    node = parent;
    parent = parent.getParent();
  }
  return { node, parent };
}

function enclosingName(tsm: TsMorph, n: TsNode): string {
  const { Node } = tsm;
  for (let p = n.getParent(); p; p = p.getParent()) {
    if (Node.isFunctionDeclaration(p) || Node.isMethodDeclaration(p) || Node.isClassDeclaration(p)) {
      return p.getName() ?? '<anonymous>';
    }
    if (Node.isVariableDeclaration(p) || Node.isPropertyAssignment(p) || Node.isPropertyDeclaration(p)) return p.getName();
  }
  return '<module>';
}

/** Parents in which `a ?? b` may replace an expression without parentheses. */
function looseContext(tsm: TsMorph, node: TsNode, parent: TsNode | undefined): boolean {
  const { Node } = tsm;
  if (!parent) return true;
  if (Node.isVariableDeclaration(parent) || Node.isPropertyAssignment(parent) || Node.isReturnStatement(parent)) return true;
  if (Node.isArrayLiteralExpression(parent) || Node.isTemplateSpan(parent) || Node.isExpressionStatement(parent)) return true;
  if (Node.isJsxExpression(parent) || Node.isBindingElement(parent) || Node.isParameterDeclaration(parent)) return true;
  if (Node.isArrowFunction(parent)) return parent.getBody() === node;
  if (Node.isCallExpression(parent) || Node.isNewExpression(parent)) return parent.getArguments().includes(node as never);
  if (Node.isPropertyDeclaration(parent)) return true;
  return false;
}

/** Is the expression used only to test presence or compare (the code copes with it being unset)? */
function toleratesUnset(tsm: TsMorph, node: TsNode, parent: TsNode | undefined): boolean {
  const { Node, SyntaxKind } = tsm;
  if (!parent) return false;
  if (Node.isIfStatement(parent) || Node.isWhileStatement(parent) || Node.isDoStatement(parent)) return parent.getExpression() === node;
  if (Node.isConditionalExpression(parent)) return parent.getCondition() === node;
  if (Node.isForStatement(parent)) return parent.getCondition() === node;
  if (Node.isPrefixUnaryExpression(parent)) return parent.getOperatorToken() === SyntaxKind.ExclamationToken;
  if (Node.isTypeOfExpression(parent)) return true;
  // process.env.X?.split(',')
  if ((Node.isPropertyAccessExpression(parent) || Node.isElementAccessExpression(parent) || Node.isCallExpression(parent)) &&
    parent.getExpression() === node) {
    return parent.hasQuestionDotToken();
  }
  if (Node.isSwitchStatement(parent)) return true;
  if (Node.isBinaryExpression(parent)) {
    const op = parent.getOperatorToken().getKind();
    if (op === SyntaxKind.AmpersandAmpersandToken) return parent.getLeft() === node;
    return [
      SyntaxKind.EqualsEqualsEqualsToken, SyntaxKind.ExclamationEqualsEqualsToken,
      SyntaxKind.EqualsEqualsToken, SyntaxKind.ExclamationEqualsToken,
    ].includes(op);
  }
  return false;
}

/** Is the read inside a branch that runs only when the variable is set (`if (process.env.X) f(process.env.X)`)? */
function guarded(tsm: TsMorph, access: TsNode, name: string): boolean {
  const { Node, SyntaxKind } = tsm;
  const mentions = (n: TsNode | undefined) => n !== undefined && new RegExp(`process\\.env(?:\\.${name}\\b|\\[\\s*['"\`]${name}['"\`]\\s*\\])`).test(n.getText());
  const within = (n: TsNode | undefined) => n !== undefined && access.getStart() >= n.getStart() && access.getEnd() <= n.getEnd();
  for (let p = access.getParent(); p; p = p.getParent()) {
    if (Node.isConditionalExpression(p) && within(p.getWhenTrue()) && mentions(p.getCondition())) return true;
    if (Node.isIfStatement(p) && within(p.getThenStatement()) && mentions(p.getExpression())) return true;
    if (Node.isBinaryExpression(p) && p.getOperatorToken().getKind() === SyntaxKind.AmpersandAmpersandToken && within(p.getRight()) && mentions(p.getLeft())) {
      return true;
    }
    if (Node.isFunctionLikeDeclaration(p) || Node.isSourceFile(p)) break;
  }
  return false;
}

/** Every `process.env` read of one file. */
export function fileEnvReads(ws: Workspace, file: string): Promise<FileReads | undefined> {
  // Once per text of the file (several rules and every fix pass ask); the result is shared, read-only.
  return ws.memo(`node/fileEnvReads\0${file}`, () => envReadsOf(ws, file));
}

/**
 * Can collect() find anything in this text? (false: the file need not be parsed.) Every site,
 * write and whole-environment use is a `process.env` property access: the identifier `process`
 * (compared by its source text) and the name `env`. A file importing an env library without
 * reading process.env is only a settings module when it also mentions `process` (as before this
 * prefilter); those libraries' names all hold "env" except znv. Backslashes that can hide a
 * character (`process.\u0065nv`, `'\x65nvalid'`) make the file parse anyway.
 */
export function envMayMatter(text: string): boolean {
  return text.includes('process') && (text.includes('env') || text.includes('znv') || mayHideText(text));
}

async function envReadsOf(ws: Workspace, file: string): Promise<FileReads | undefined> {
  const text = ws.text(file);
  if (text === undefined || !envMayMatter(text)) {
    return text === undefined ? undefined : { file, sites: [], written: new Set(), envModule: false, useClient: false };
  }
  const sf = await typescript(ws, file);
  if (!sf) return undefined;
  const tsm = await tsMorph();
  return collect(tsm, sf, file);
}

function collect(tsm: TsMorph, sf: SourceFile, file: string): FileReads {
  const { Node, SyntaxKind } = tsm;
  const sites: EnvSite[] = [];
  const written = new Set<string>();
  // A module built on an env-validation library is the project's settings module already.
  let envModule = sf.getImportDeclarations().some((d) => ENV_LIBRARIES.includes(d.getModuleSpecifierValue()));
  const first = sf.getStatements()[0];
  const useClient =
    first !== undefined && Node.isExpressionStatement(first) && Node.isStringLiteral(first.getExpression()) &&
    (first.getExpression() as import('ts-morph').StringLiteral).getLiteralText() === 'use client';

  sf.forEachDescendant((n) => {
    if (!isProcessEnv(tsm, n)) return;
    const parent = n.getParent();
    if (!parent) return;
    // `process.env` as a whole: an argument (schema.parse(process.env)), a destructuring source.
    if (Node.isCallExpression(parent) && parent.getArguments().includes(n as never)) {
      const callee = parent.getExpression();
      const fn = Node.isPropertyAccessExpression(callee) ? callee.getName() : callee.getText();
      if (/^(?:parse|safeParse|parseAsync|safeParseAsync|cleanEnv|createEnv|validate|validateSync|load|from)$/.test(fn)) envModule = true;
      return;
    }
    if (Node.isVariableDeclaration(parent) && parent.getInitializer() === n) {
      const pattern = parent.getNameNode();
      if (Node.isObjectBindingPattern(pattern)) sites.push(destructureSite(tsm, sf, file, parent, pattern, n));
      return;
    }
    let access: TsNode;
    let name: string | undefined;
    if (Node.isPropertyAccessExpression(parent) && parent.getExpression() === n) {
      access = parent;
      name = parent.getName();
    } else if (Node.isElementAccessExpression(parent) && parent.getExpression() === n) {
      access = parent;
      const arg = parent.getArgumentExpression();
      const lit = arg ? literalOf(tsm, arg) : undefined;
      name = typeof lit === 'string' ? lit : undefined;
    } else {
      return;
    }
    if (name === undefined || !NAME.test(name)) return;
    // Writes: assignments, delete, ++/--.
    const { node: aNode, parent: aParent } = up(tsm, access);
    if (aParent) {
      if (Node.isBinaryExpression(aParent) && aParent.getLeft() === aNode && aParent.getOperatorToken().getKind() >= SyntaxKind.FirstAssignment && aParent.getOperatorToken().getKind() <= SyntaxKind.LastAssignment) {
        written.add(name);
        return;
      }
      if (Node.isDeleteExpression(aParent) || Node.isPostfixUnaryExpression(aParent) ||
        (Node.isPrefixUnaryExpression(aParent) && [SyntaxKind.PlusPlusToken, SyntaxKind.MinusMinusToken].includes(aParent.getOperatorToken()))) {
        written.add(name);
        return;
      }
    }
    sites.push(accessSite(tsm, sf, file, access, name));
  });
  return { file, sites, written, envModule, useClient };
}

function accessSite(tsm: TsMorph, sf: SourceFile, file: string, access: TsNode, name: string): EnvSite {
  const { Node, SyntaxKind } = tsm;
  let e: TsNode = access;
  let needsValue = false;
  let kind: ValueKind = 'string';
  let def: Literal | undefined;
  let defaultExpr = false;
  let negate: boolean | undefined;
  let { node, parent } = up(tsm, e);
  // `process.env.X!`, `process.env.X as string`
  if (parent && (Node.isNonNullExpression(parent) || Node.isAsExpression(parent) || Node.isTypeAssertion(parent))) {
    needsValue = true;
    e = parent;
    ({ node, parent } = up(tsm, e));
  }
  const fallback = (p: TsNode | undefined, n: TsNode): TsNode | undefined => {
    if (!p || !Node.isBinaryExpression(p) || p.getLeft() !== n) return undefined;
    const op = p.getOperatorToken().getKind();
    return op === SyntaxKind.QuestionQuestionToken || op === SyntaxKind.BarBarToken ? p.getRight() : undefined;
  };
  // `process.env.X ?? "d"` / `|| "d"`
  const right = fallback(parent, node);
  if (right && parent) {
    const lit = literalOf(tsm, right);
    if (lit !== undefined) def = lit;
    else defaultExpr = true;
    e = parent;
    ({ node, parent } = up(tsm, e));
  }
  // Number(…), parseInt(…, 10), parseFloat(…), +…
  let converted = false;
  if (!defaultExpr && parent && Node.isCallExpression(parent) && parent.getArguments()[0] === node) {
    const callee = parent.getExpression().getText().replace(/^Number\./, '');
    const args = parent.getArguments();
    const radix = args[1] ? literalOf(tsm, args[1]) : 10;
    if ((callee === 'Number' || callee === 'parseFloat') && args.length === 1) {
      kind = 'number';
      converted = true;
    } else if (callee === 'parseInt' && args.length <= 2 && radix === 10) {
      kind = 'integer';
      converted = true;
    }
  } else if (!defaultExpr && parent && Node.isPrefixUnaryExpression(parent) && parent.getOperatorToken() === SyntaxKind.PlusToken) {
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
    ({ node, parent } = up(tsm, e));
    // Number(process.env.X) || 3000
    const r = fallback(parent, node);
    if (r && parent && def === undefined) {
      const lit = literalOf(tsm, r);
      if (typeof lit === 'number') {
        def = lit;
        e = parent;
        ({ node, parent } = up(tsm, e));
      }
    }
    if (def === undefined) needsValue = true;
  }
  // process.env.X === "true"
  if (!converted && def === undefined && !defaultExpr && !needsValue && parent && Node.isBinaryExpression(parent)) {
    const op = parent.getOperatorToken().getKind();
    const eq = op === SyntaxKind.EqualsEqualsEqualsToken || op === SyntaxKind.EqualsEqualsToken;
    const ne = op === SyntaxKind.ExclamationEqualsEqualsToken || op === SyntaxKind.ExclamationEqualsToken;
    const other = parent.getLeft() === node ? parent.getRight() : parent.getLeft();
    const lit = literalOf(tsm, other);
    if ((eq || ne) && typeof lit === 'string') {
      const truthy = TRUTHY.includes(lit);
      const falsy = FALSY.includes(lit);
      if (truthy || falsy) {
        kind = 'boolean';
        // X === "true": true when set to a true value, false when unset.
        def = falsy;
        negate = (eq && falsy) || (ne && truthy);
        e = parent;
        ({ node, parent } = up(tsm, e));
      }
    }
  }
  if (kind === 'string' && !needsValue && def === undefined && !defaultExpr) {
    const { node: an, parent: ap } = up(tsm, access);
    needsValue = !toleratesUnset(tsm, an, ap) && !guarded(tsm, access, name);
  }
  const outer = up(tsm, e).node;
  return {
    file,
    name,
    start: e.getStart(),
    end: e.getEnd(),
    outerStart: outer.getStart(),
    outerEnd: outer.getEnd(),
    accessStart: access.getStart(),
    accessEnd: access.getEnd(),
    kind,
    default: def,
    defaultExpr: defaultExpr || undefined,
    negate,
    needsValue,
    tightContext: !tsm.Node.isParenthesizedExpression(e.getParent()) && !looseContext(tsm, node, parent),
    text: e.getText(),
    anchor: `process.env.${name} in ${enclosingName(tsm, access)}`,
  };
}

function destructureSite(
  tsm: TsMorph,
  sf: SourceFile,
  file: string,
  decl: import('ts-morph').VariableDeclaration,
  pattern: import('ts-morph').ObjectBindingPattern,
  env: TsNode,
): EnvSite {
  const { Node } = tsm;
  const info: DestructureInfo = { initStart: env.getStart(), initEnd: env.getEnd(), elements: [] };
  for (const el of pattern.getElements()) {
    if (el.getDotDotDotToken()) {
      info.problem = 'it collects the rest of the environment (`...rest`)';
      continue;
    }
    const prop = el.getPropertyNameNode();
    let name: string | undefined;
    if (!prop) name = el.getName();
    else if (Node.isIdentifier(prop)) name = prop.getText();
    else if (Node.isStringLiteral(prop)) name = prop.getLiteralText();
    if (name === undefined || !NAME.test(name)) {
      info.problem = 'it uses a computed or non-identifier key';
      continue;
    }
    const init = el.getInitializer();
    const entry: DestructureInfo['elements'][number] = { name };
    if (init) {
      const lit = literalOf(tsm, init);
      if (lit !== undefined) entry.default = lit;
      else entry.defaultExpr = true;
      // From the end of the binding name: ` = "x"`.
      entry.initStart = (el.getNameNode()).getEnd();
      entry.initEnd = init.getEnd();
    }
    info.elements.push(entry);
  }
  const names = info.elements.map((x) => x.name);
  return {
    file,
    name: names[0] ?? '',
    start: decl.getStart(),
    end: decl.getEnd(),
    outerStart: decl.getStart(),
    outerEnd: decl.getEnd(),
    accessStart: env.getStart(),
    accessEnd: env.getEnd(),
    kind: 'string',
    needsValue: true,
    tightContext: false,
    text: decl.getText(),
    anchor: `{ ${names.join(', ')} } = process.env in ${enclosingName(tsm, decl)}`,
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

function importSpecifiers(tsm: TsMorph, sf: SourceFile): string[] {
  const { Node } = tsm;
  const out: string[] = [];
  for (const d of sf.getImportDeclarations()) out.push(d.getModuleSpecifierValue());
  for (const d of sf.getExportDeclarations()) {
    const v = d.getModuleSpecifierValue();
    if (v) out.push(v);
  }
  sf.forEachDescendant((n) => {
    if (Node.isCallExpression(n)) {
      const callee = n.getExpression();
      const arg = n.getArguments()[0];
      const isImport = callee.getKind() === tsm.SyntaxKind.ImportKeyword || (Node.isIdentifier(callee) && callee.getText() === 'require');
      if (isImport && arg && (Node.isStringLiteral(arg) || Node.isNoSubstitutionTemplateLiteral(arg))) out.push(arg.getLiteralText());
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
  const tsm = await tsMorph();
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
    const sf = await typescript(ws, f);
    if (!sf) continue;
    for (const spec of importSpecifiers(tsm, sf)) {
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

/** How the project writes relative imports, read from its existing code (then from its config). */
export async function importStyle(ws: Workspace, project: NodeProject): Promise<ImportStyle> {
  const tsm = await tsMorph();
  let js = 0;
  let ts = 0;
  let bare = 0;
  let single = 0;
  let double = 0;
  let semi = 0;
  let noSemi = 0;
  for (const f of project.files.slice(0, 200)) {
    const text = ws.text(f);
    if (text === undefined || !/\bimport\b|\brequire\(/.test(text)) continue;
    const sf = await typescript(ws, f);
    if (!sf) continue;
    for (const d of sf.getImportDeclarations()) {
      const spec = d.getModuleSpecifier();
      if (spec.getText().startsWith("'")) single++;
      else double++;
      if (d.getText().trimEnd().endsWith(';')) semi++;
      else noSemi++;
      const v = d.getModuleSpecifierValue();
      if (!v.startsWith('.')) continue;
      if (/\.(?:js|mjs|cjs|jsx)$/.test(v)) js++;
      else if (/\.(?:ts|tsx|mts|cts)$/.test(v)) ts++;
      else bare++;
    }
    if (sf.getImportDeclarations().length === 0) {
      // CommonJS: require('…') calls give the quotes and semicolons.
      for (const call of sf.getDescendantsOfKind(tsm.SyntaxKind.CallExpression)) {
        const arg = call.getArguments()[0];
        if (call.getExpression().getText() !== 'require' || !arg || !tsm.Node.isStringLiteral(arg)) continue;
        if (arg.getText().startsWith("'")) single++;
        else double++;
        const stmt = call.getFirstAncestor((a) => tsm.Node.isStatement(a));
        if (stmt?.getText().trimEnd().endsWith(';')) semi++;
        else if (stmt) noSemi++;
      }
    }
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
