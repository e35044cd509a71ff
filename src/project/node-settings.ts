// The settings plan of a Node/TypeScript project, shared by node/settings-validation (the module)
// and node/env-call-site (the reads): which variables the code reads, the typed field each one
// gets (kind, default, required or optional, validation), where the settings module lives and in
// which flavour, what an existing module already declares, and the edits that create or extend it.
import type { FileEdit } from '../types.js';
import type { Workspace } from '../workspace.js';
import { moduleSpecifierValue, nodeText, PerText, tsApi, TreeFacts, type Ts, type TsNode, type TsSourceFile } from '../parsers/typescript.js';
import type { ts as TsT } from 'ts-morph';
import { dirname, joinPath } from '../classify.js';
import { lineEndAfter, indentAt } from '../text.js';
import {
  clientReachable, envMayMatter, fileEnvReads, importStyle, inProject, isExcludedFile, nodeProjects, relativeSpecifier, siteReads,
  type EnvSite, type ImportStyle, type Literal, type NodeProject, type ValueKind,
} from './node.js';
import { literal, renderEntry, renderSettingsModule, type Flavour, type FieldSpec } from '../codegen/ts-settings.js';

export type { FieldSpec, Flavour };

export interface SettingsOptions {
  /** Variables never moved into the settings module. */
  ignore: string[];
}

export interface SiteStatus {
  site: EnvSite;
  /** Why this read cannot be rewritten (then it is reported without a fix). */
  problem?: string;
}

export interface ModuleState {
  path: string;
  exists: boolean;
  /** Flavour of the existing module (or of the one to create). */
  flavour: Flavour;
  /** Names it declares (when it exists and was recognised). */
  keys: Set<string>;
  /** The module exists but is not one shipshape can extend. */
  problem?: string;
  /** Where to add entries: offset of the start of the line after the last entry, its indentation. */
  insertAt?: number;
  indent?: string;
  /** The last entry needs a comma before new ones (offset after it). */
  commaAt?: number;
}

export interface SettingsPlan {
  project: NodeProject;
  module: ModuleState;
  fields: Map<string, FieldSpec>;
  sites: SiteStatus[];
  /** A file that already validates the whole environment (its own schema). */
  foreignModule?: string;
  /** Fields the module lacks. */
  missing: FieldSpec[];
  style: ImportStyle;
}

const SIGNING_SECRET = /^(?:SECRET|SECRET_KEY|APP_SECRET|APP_KEY|AUTH_SECRET|NEXTAUTH_SECRET|SESSION_SECRET|COOKIE_SECRET|JWT_SECRET(?:_KEY)?|[A-Z0-9_]*_JWT_SECRET(?:_KEY)?|JWT_(?:ACCESS|REFRESH)(?:_TOKEN)?_SECRET)$/;
const SECRET = /SECRET|PASSWORD|PASSWD|PRIVATE_KEY/;
const URL_NAME = /(?:^|_)(?:URL|URI)$/;

export function isSigningSecret(name: string): boolean {
  return SIGNING_SECRET.test(name);
}

function isAbsoluteUrl(v: string): boolean {
  try {
    new URL(v);
    return /^[a-z][a-z0-9+.-]*:\/\//i.test(v);
  } catch {
    return false;
  }
}

/**
 * One field per variable, from every read of it. Reads that agree on a kind (string, number,
 * integer, boolean) give a field of that kind and move their literal fallback into the module;
 * reads that disagree keep their own conversions and get a plain string field. A variable the
 * code uses as a value without a fallback is required; one only tested or compared is optional.
 */
export function decideFields(sites: EnvSite[]): Map<string, FieldSpec> {
  type Read = ReturnType<typeof siteReads>[number] & { file: string };
  const byName = new Map<string, Read[]>();
  for (const s of sites) {
    for (const r of siteReads(s)) {
      const list = byName.get(r.name) ?? [];
      // A string read with a non-string fallback (`?? 3000`) keeps it at the call site.
      const fix = r.kind === 'string' && r.default !== undefined && typeof r.default !== 'string';
      list.push({ ...r, file: s.file, ...(fix ? { default: undefined, defaultExpr: true } : {}) });
      byName.set(r.name, list);
    }
  }
  const fields = new Map<string, FieldSpec>();
  for (const [name, reads] of [...byName].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const kinds = new Set<ValueKind>(reads.map((r) => r.kind));
    const mixed = kinds.size > 1;
    const kind: ValueKind = mixed ? 'string' : reads[0]!.kind;
    const anyExpr = reads.some((r) => r.defaultExpr);
    const defaults = new Map<string, Literal>();
    for (const r of reads) if (r.default !== undefined) defaults.set(JSON.stringify(r.default), r.default);
    const needsValue = reads.some((r) => r.needsValue && r.default === undefined && !r.defaultExpr);
    const secret = SECRET.test(name);
    const signing = isSigningSecret(name);
    let def: Literal | undefined;
    let keepSiteDefaults = false;
    let optional: boolean;
    if (mixed || anyExpr) {
      // Call sites keep their own conversions and fallbacks.
      keepSiteDefaults = true;
      optional = !needsValue || reads.some((r) => r.default !== undefined || r.defaultExpr);
    } else if (secret && defaults.size > 0) {
      // A hardcoded fallback secret is no secret: the variable becomes required.
      optional = false;
    } else if (defaults.size === 1) {
      def = [...defaults.values()][0];
      optional = false;
    } else if (defaults.size > 1) {
      keepSiteDefaults = true;
      optional = true;
    } else {
      optional = !needsValue;
    }
    const stringDefaults = [...defaults.values()].filter((d): d is string => typeof d === 'string');
    const url = kind === 'string' && URL_NAME.test(name) && stringDefaults.every(isAbsoluteUrl);
    fields.set(name, {
      name,
      kind,
      default: def,
      optional: def === undefined && optional,
      url,
      minLength: signing && kind === 'string' ? 32 : undefined,
      mixed,
      keepSiteDefaults,
      secret,
      files: [...new Set(reads.map((r) => r.file))].sort(),
    });
  }
  return fields;
}

/** Project-relative directory where sources live (where a new settings module goes). */
function sourceRoot(ws: Workspace, project: NodeProject): string {
  const cfg = project.tsconfig;
  const clean = (p: string) => joinPath(p);
  if (cfg?.rootDir) return clean(cfg.rootDir);
  if (cfg?.include && cfg.include.length === 1 && /^[\w./-]+$/.test(cfg.include[0]!) && !/\.\w+$/.test(cfg.include[0]!)) {
    return clean(cfg.include[0]!);
  }
  if (project.files.some((f) => inProject(project, f).startsWith('src/'))) return 'src';
  void ws;
  return '';
}

export function moduleLocation(ws: Workspace, project: NodeProject, flavour: Flavour): string {
  const root = sourceRoot(ws, project);
  const underProject = (p: string) => joinPath(project.dir, p);
  let dir = joinPath(root, 'config');
  const hasCode = (d: string) => project.files.some((f) => f.startsWith(underProject(d) + '/'));
  if (!hasCode(dir) && root !== '' && hasCode('config')) dir = 'config';
  const ext = flavour.language === 'ts' ? 'ts' : 'js';
  return underProject(joinPath(dir, `settings.${ext}`));
}

/** The settings schema of a module's text: where new entries go, or why they cannot (see readModule). */
type Schema =
  | { kind: 'none' }
  | { kind: 'one-line'; zod: boolean; keys: Set<string> }
  | { kind: 'empty'; zod: boolean; keys: Set<string>; insertAt: number; indent: string }
  | { kind: 'entries'; zod: boolean; keys: Set<string>; insertAt: number; indent: string; commaAt: number | undefined };

/**
 * Each file's schema, kept with the text it was read from instead of its syntax tree (tsSourceOnce):
 * the plans are computed again after every fix pass that touches a project's code, each reading
 * every project's settings module, and once fixes had created them the settings modules were most
 * of the TypeScript trees a fix of a monorepo held. Read from the trees other readers parse too
 * (an app's analysis reads the module as well): a text with neither call has no schema.
 */
const schemaByText = new TreeFacts((text) => text.includes('load') || text.includes('z.object'), (ts, sf) => schemaOf(ts, sf));

async function readModule(ws: Workspace, path: string, flavour: Flavour): Promise<ModuleState> {
  const state: ModuleState = { path, exists: ws.exists(path), flavour, keys: new Set() };
  if (!state.exists) return state;
  const text = ws.text(path);
  if (text === undefined) return { ...state, problem: `${path} could not be parsed` };
  const schema = await schemaByText.of(ws, path, text);
  if (!schema) return { ...state, problem: `${path} could not be parsed` };
  if (schema.kind === 'none') {
    return { ...state, problem: `${path} exists but has no \`load({ … })\` or \`z.object({ … })\` settings schema to extend` };
  }
  const { keys } = schema;
  const flav: Flavour = { ...flavour, zod: schema.zod ? flavour.zod ?? 4 : undefined };
  if (schema.kind === 'empty') return { ...state, flavour: flav, keys, insertAt: schema.insertAt, indent: schema.indent };
  if (schema.kind === 'one-line') {
    return { ...state, flavour: flav, keys, problem: `${path}: the settings schema is on one line; add the variables by hand` };
  }
  return { ...state, flavour: flav, keys, insertAt: schema.insertAt, indent: schema.indent, commaAt: schema.commaAt };
}

/** The `settings = load({ … })` or `z.object({ … })` schema of a module. */
function schemaOf(ts: Ts, sf: TsSourceFile): Schema {
  const text = sf.text;
  let obj: TsT.ObjectLiteralExpression | undefined;
  let zod = false;
  for (const d of variableDeclarations(ts, sf)) {
    const init = d.initializer;
    if (!init || !ts.isCallExpression(init)) continue;
    const arg = init.arguments[0];
    if (!arg || !ts.isObjectLiteralExpression(arg)) continue;
    const callee = nodeText(ts, sf, init.expression);
    if (nodeText(ts, sf, d.name) === 'settings' && callee === 'load') obj = arg;
    else if (callee === 'z.object') {
      obj = arg;
      zod = true;
    }
    if (obj) break;
  }
  if (!obj) return { kind: 'none' };
  const keys = new Set<string>();
  for (const p of obj.properties) {
    if (ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p)) keys.add(nodeText(ts, sf, p.name).replace(/^['"]|['"]$/g, ''));
  }
  const props = obj.properties;
  const last = props[props.length - 1];
  const closeBrace = obj.end - 1;
  if (!last) return { kind: 'empty', zod, keys, insertAt: closeBrace, indent: indentAt(text, obj.getStart(sf)) + '  ' };
  let after = last.end;
  let commaAt: number | undefined;
  const m = /^[ \t]*,/.exec(text.slice(after));
  if (m) after += m[0].length;
  else commaAt = after;
  const lineEnd = lineEndAfter(text, after);
  if (lineEnd > closeBrace) return { kind: 'one-line', zod, keys };
  return { kind: 'entries', zod, keys, insertAt: lineEnd, indent: indentAt(text, last.getStart(sf)), commaAt };
}

/** ts-morph's SourceFile.getVariableDeclarations: the declarations of its top-level variable statements. */
function variableDeclarations(ts: Ts, sf: TsSourceFile): TsT.VariableDeclaration[] {
  return sf.statements.filter(ts.isVariableStatement).flatMap((s) => [...s.declarationList.declarations]);
}

/** Every identifier of a file, those of JSDoc comments included (as ts-morph's getDescendantsOfKind(Identifier) finds them). */
function identifiers(ts: Ts, sf: TsSourceFile): TsT.Identifier[] {
  const out: TsT.Identifier[] = [];
  const visit = (n: TsNode): void => {
    if (ts.isIdentifier(n)) out.push(n);
    for (const d of (n as { jsDoc?: TsNode[] }).jsDoc ?? []) visit(d);
    ts.forEachChild(n, visit);
  };
  ts.forEachChild(sf, visit);
  return out;
}

/** The settings plans of every project with env reads. */
export function settingsPlans(ws: Workspace, options: SettingsOptions): Promise<SettingsPlan[]> {
  // Once per state of what the plans read (detection and every fix of both node rules ask for
  // them); the plans are shared and read-only.
  return ws.memo(`node/settingsPlans\0${JSON.stringify(options)}`, () => computePlans(ws, options));
}

async function computePlans(ws: Workspace, options: SettingsOptions): Promise<SettingsPlan[]> {
  const plans: SettingsPlan[] = [];
  for (const project of await nodeProjects(ws)) {
    if (project.framework === 'frontend') continue;
    const reads = [];
    for (const f of project.files) {
      if (isExcludedFile(project, f)) continue;
      const r = await fileEnvReads(ws, f);
      if (r && (r.sites.length || r.envModule)) reads.push(r);
    }
    if (reads.length === 0) continue;
    const written = new Set<string>();
    for (const r of reads) for (const n of r.written) written.add(n);
    const jsSources = project.files.filter((f) => /\.(?:js|jsx|mjs|cjs)$/.test(f));
    const style = await importStyle(ws, project);
    const flavour: Flavour = {
      quote: style.quote,
      language: project.typescript ? 'ts' : project.esm || project.framework === 'next' || !readsCommonJs(ws, jsSources) ? 'esm' : 'cjs',
      zod: project.zod,
      serverOnly: project.framework === 'next' && project.serverOnly,
      dotenv: Boolean(project.pkg.dependencies.dotenv) && project.framework !== 'next',
    };
    const modulePath = moduleLocation(ws, project, flavour);
    const foreign = reads.find((r) => r.envModule && r.file !== modulePath)?.file;
    const client = project.framework === 'next' ? await clientReachable(ws, project) : new Set<string>();
    const ignore = new Set(options.ignore);
    const skip = (n: string) => ignore.has(n) || written.has(n) || (project.framework === 'next' && n.startsWith('NEXT_PUBLIC_'));
    const sites: SiteStatus[] = [];
    for (const r of reads) {
      if (r.file === modulePath || r.envModule) continue;
      const rel = inProject(project, r.file);
      const nextServerOnly = project.framework === 'next' && /^(?:src\/)?(?:middleware|instrumentation)\.[jt]s$/.test(rel);
      for (const site of r.sites) {
        const names = siteReads(site).map((x) => x.name);
        if (names.length === 0 || names.every(skip)) continue;
        if (client.has(r.file) || nextServerOnly) continue;
        let problem: string | undefined;
        if (site.destructure?.problem) problem = `the destructuring cannot be rewritten: ${site.destructure.problem}`;
        else if (names.some(skip)) problem = `it also destructures ${names.filter(skip).join(', ')}, which stays out of the settings module`;
        sites.push({ site, problem });
      }
    }
    if (sites.length === 0) continue;
    const fields = decideFields(sites.map((s) => ({
      ...s.site,
      destructure: s.site.destructure && {
        ...s.site.destructure,
        elements: s.site.destructure.elements.filter((e) => !skip(e.name)),
      },
    })));
    const module = await readModule(ws, modulePath, flavour);
    const missing = [...fields.values()].filter((f) => !module.keys.has(f.name));
    const plan: SettingsPlan = { project, module, fields, sites, foreignModule: foreign, missing, style };
    for (const status of sites) {
      if (status.problem) continue;
      const text = ws.text(status.site.file) ?? '';
      for (const e of siteEdits(plan, status.site, 'settings')) {
        if (e.end > e.start && (await spanHasComment(text, e.start, e.end))) {
          status.problem = 'a comment inside the expression would be lost; rewrite it by hand';
          break;
        }
      }
    }
    plans.push(plan);
  }
  return plans;
}

function readsCommonJs(ws: Workspace, files: string[]): boolean {
  let cjs = 0;
  let esm = 0;
  for (const f of files) {
    const t = ws.text(f) ?? '';
    if (/^\s*(?:import\s[\s\S]*?from\s|import\s*['"]|export\s)/m.test(t)) esm++;
    else if (/\brequire\(|\bmodule\.exports\b|\bexports\.\w+\s*=/.test(t)) cjs++;
  }
  return cjs > esm;
}

/** Why the plan's module cannot be created or extended, if it cannot. */
export function moduleProblem(plan: SettingsPlan): string | undefined {
  if (plan.foreignModule) {
    return `${plan.foreignModule} already validates the environment as a whole; declare the variables there and read them from it`;
  }
  return plan.module.problem;
}

/** Edits that create the settings module, or add the missing variables to it. */
export function moduleEdits(ws: Workspace, plan: SettingsPlan): FileEdit[] | null {
  if (moduleProblem(plan)) return null;
  const m = plan.module;
  if (!m.exists) return [{ file: m.path, create: renderSettingsModule(m.flavour, [...plan.fields.values()]) }];
  if (plan.missing.length === 0) return [];
  const text = ws.text(m.path);
  if (text === undefined || m.insertAt === undefined) return null;
  const lines = plan.missing.map((f) => `${m.indent}${renderEntry(m.flavour, f)},\n`).join('');
  const edits: FileEdit[] = [];
  if (m.commaAt !== undefined) edits.push({ file: m.path, start: m.commaAt, end: m.commaAt, text: ',' });
  // A one-character replacement (not an insertion) so that two fixes adding entries conflict and
  // the second is recomputed on the first's result instead of adding the same entries twice.
  const at = m.insertAt;
  if (at < text.length) edits.push({ file: m.path, start: at, end: at + 1, text: lines + text[at] });
  else edits.push({ file: m.path, start: at, end: at, text: lines });
  return edits;
}

export function planFor(plans: SettingsPlan[], file: string): SettingsPlan | undefined {
  return plans.find((p) => p.sites.some((s) => s.site.file === file));
}


// ---------------------------------------------------------------------------------------------
// Call sites

export interface SettingsImport {
  /** The local name of `settings` in the file. */
  local: string;
  /** The edit that adds the import (none when the file has it already). */
  edit?: { file: string; start: number; end: number; text: string };
}

const STRIP_EXT = /\.(?:ts|tsx|mts|cts|js|jsx|mjs|cjs)$/;

function resolvesTo(file: string, spec: string, modulePath: string): boolean {
  if (!spec.startsWith('.')) return false;
  return joinPath(dirname(file), spec).replace(STRIP_EXT, '') === modulePath.replace(STRIP_EXT, '');
}

/** Is a JS file written as CommonJS? (moduleSyntax: it has import or export statements at the top level) */
function isCommonJs(plan: SettingsPlan, file: string, moduleSyntax: boolean, text: string): boolean {
  if (/\.(?:cjs|cts)$/.test(file)) return true;
  if (!/\.(?:js|jsx)$/.test(file)) return false;
  if (moduleSyntax) return false;
  if (/\brequire\(|\bmodule\.exports\b/.test(text)) return true;
  return !plan.project.esm && plan.project.framework === 'node';
}

/**
 * settingsImport's answers per file, kept with the text they were computed from and by what they
 * read of the plan (the detection asks for each file with reads, the fix for each read it rewrites),
 * instead of the file's syntax tree (tsSourceOnce).
 */
const importsByText = new PerText<Map<string, SettingsImport | { problem: string }>>();

/** The import of `settings` a file needs (or has), in the file's module style. */
export async function settingsImport(ws: Workspace, plan: SettingsPlan, file: string): Promise<SettingsImport | { problem: string }> {
  const text = ws.text(file);
  if (text === undefined) return { problem: `${file} could not be parsed` };
  // Everything the answer depends on besides the file's text.
  const key = JSON.stringify([plan.module.path, plan.module.flavour.language, plan.project.esm, plan.project.framework, plan.style]);
  let answers = importsByText.get(ws, file, text);
  if (!answers) importsByText.set(ws, file, text, (answers = new Map()));
  let answer = answers.get(key);
  if (!answer) answers.set(key, (answer = await settingsImportIn(ws, plan, file, text)));
  // Copies: callers put the edit into their own lists.
  return 'problem' in answer ? { ...answer } : { ...answer, ...(answer.edit && { edit: { ...answer.edit } }) };
}

/**
 * What settingsImport reads of a file's syntax tree. It is the same for every plan, so it is kept
 * per text and read from the trees other readers parse too (TreeFacts): an app's analysis walks
 * the same scripts, and the file is parsed once per text instead of once per reader.
 */
interface ImportFacts {
  /** Every import declaration, in order: its specifier, and the local name of its `settings` binding. */
  imports: { spec: string; local?: string }[];
  /** Top-level `const { settings } = require('…')` declarations, in order. */
  requires: { spec: string; local: string }[];
  /** Import or export statements at the top level: not a CommonJS file. */
  moduleSyntax: boolean;
  /** Names already bound or used (property names aside). */
  settingsTaken: boolean;
  appSettingsTaken: boolean;
  /** The end of the last import at the top (a CommonJS file's: of its leading requires). */
  lastImportEnd: { esm?: number; cjs?: number };
  /** The end of the file's last leading directive ('use strict'). */
  directivesEnd?: number;
}

const importFactsByText = new TreeFacts(envMayMatter, (ts, sf) => importFacts(ts, sf));

function importFacts(ts: Ts, sf: TsSourceFile): ImportFacts {
  const imports: ImportFacts['imports'] = [];
  for (const d of sf.statements) {
    if (!ts.isImportDeclaration(d)) continue;
    const nb = d.importClause?.namedBindings;
    // As ts-morph's ImportSpecifier reads it: getName() is the imported name (a string name's
    // value), getAliasNode() the local one when renamed.
    const importedName = (n: TsT.ImportSpecifier): string => {
      const nameNode = n.propertyName ?? n.name;
      return ts.isStringLiteral(nameNode) ? nameNode.text : nodeText(ts, sf, nameNode);
    };
    const named = nb && ts.isNamedImports(nb) ? nb.elements.find((n) => importedName(n) === 'settings') : undefined;
    const spec = moduleSpecifierValue(ts, d);
    if (spec !== undefined) imports.push({ spec, local: named ? ((named.propertyName ? nodeText(ts, sf, named.name) : undefined) ?? 'settings') : undefined });
  }
  const requires: ImportFacts['requires'] = [];
  for (const v of variableDeclarations(ts, sf)) {
    const init = v.initializer;
    const pattern = v.name;
    if (!init || !ts.isCallExpression(init) || nodeText(ts, sf, init.expression) !== 'require') continue;
    const arg = init.arguments[0];
    if (!arg || !ts.isStringLiteral(arg) || !ts.isObjectBindingPattern(pattern)) continue;
    const el = pattern.elements.find((e) => ((e.propertyName ? nodeText(ts, sf, e.propertyName) : undefined) ?? nodeText(ts, sf, e.name)) === 'settings');
    if (el) requires.push({ spec: arg.text, local: nodeText(ts, sf, el.name) });
  }
  let settingsTaken = false;
  let appSettingsTaken = false;
  for (const id of identifiers(ts, sf)) {
    const p: TsNode | undefined = id.parent;
    if (p && ts.isPropertyAccessExpression(p) && p.name === id) continue;
    if (p && (ts.isPropertyAssignment(p) || ts.isPropertySignature(p)) && p.name === id) continue;
    const name = nodeText(ts, sf, id);
    if (name === 'settings') settingsTaken = true;
    else if (name === 'appSettings') appSettingsTaken = true;
  }
  const isRequireInit = (n: TsNode | undefined): boolean => {
    if (!n) return false;
    let e = n;
    while (ts.isPropertyAccessExpression(e) || ts.isCallExpression(e)) {
      if (ts.isCallExpression(e) && nodeText(ts, sf, e.expression) === 'require') return true;
      e = e.expression;
    }
    return false;
  };
  const isDirective = (s: TsNode): boolean => ts.isExpressionStatement(s) && ts.isStringLiteral(s.expression);
  const statements = sf.statements;
  // After the last import (or require) at the top of the file.
  const lastImportEnd = (cjs: boolean): number | undefined => {
    let lastImport: TsNode | undefined;
    for (const s of statements) {
      if (ts.isImportDeclaration(s) || ts.isImportEqualsDeclaration(s)) lastImport = s;
      else if (cjs && ts.isVariableStatement(s) && s.declarationList.declarations.every((d) => isRequireInit(d.initializer))) lastImport = s;
      else if (cjs && ts.isExpressionStatement(s) && isRequireInit(s.expression)) lastImport = s;
      else if (isDirective(s) && !lastImport) continue;
      else if (cjs) break; // requires are read at the top only
    }
    return lastImport?.end;
  };
  const directives = statements.filter((s, i) => statements.slice(0, i + 1).every(isDirective));
  return {
    imports,
    requires,
    moduleSyntax: statements.some((s) => ts.isImportDeclaration(s) || ts.isExportDeclaration(s) || ts.isExportAssignment(s)),
    settingsTaken,
    appSettingsTaken,
    lastImportEnd: { esm: lastImportEnd(false), cjs: lastImportEnd(true) },
    directivesEnd: directives.length ? directives[directives.length - 1]!.end : undefined,
  };
}

async function settingsImportIn(ws: Workspace, plan: SettingsPlan, file: string, text: string): Promise<SettingsImport | { problem: string }> {
  const facts = await importFactsByText.of(ws, file, text);
  if (!facts) return { problem: `${file} could not be parsed` };
  const modulePath = plan.module.path;
  for (const d of facts.imports) {
    if (!resolvesTo(file, d.spec, modulePath)) continue;
    if (d.local !== undefined) return { local: d.local };
  }
  for (const r of facts.requires) {
    if (resolvesTo(file, r.spec, modulePath)) return { local: r.local };
  }
  const cjs = isCommonJs(plan, file, facts.moduleSyntax, text);
  if (cjs && plan.module.flavour.language !== 'cjs') {
    return { problem: `${file} is CommonJS and cannot require the ES-module settings in ${modulePath}` };
  }
  const local = !facts.settingsTaken ? 'settings' : !facts.appSettingsTaken ? 'appSettings' : undefined;
  if (!local) return { problem: `${file} already uses the names settings and appSettings` };
  const q = plan.style.quote;
  const semi = plan.style.semicolon ? ';' : '';
  const spec = relativeSpecifier(file, modulePath, cjs ? '' : plan.style.suffix);
  const binding = local === 'settings' ? 'settings' : cjs ? 'settings: appSettings' : 'settings as appSettings';
  const line = cjs ? `const { ${binding} } = require(${q}${spec}${q})${semi}` : `import { ${binding} } from ${q}${spec}${q}${semi}`;
  const lastImportEnd = cjs ? facts.lastImportEnd.cjs : facts.lastImportEnd.esm;
  if (lastImportEnd !== undefined) {
    let p = lastImportEnd;
    // After a trailing comment on the import's line (`import x from 'y'; // why`).
    const nl = text.indexOf('\n', p);
    const restOfLine = text.slice(p, nl === -1 ? text.length : nl);
    if (/^\s*(?:\/\/.*|\/\*.*?\*\/\s*)?$/.test(restOfLine)) p += restOfLine.length;
    // A one-character replacement so that two fixes adding the same import in one pass conflict.
    if (text[p] === '\n') return { local, edit: { file, start: p, end: p + 1, text: `\n${line}\n` } };
    return { local, edit: { file, start: p, end: p, text: `\n${line}` } };
  }
  // No import yet: after a shebang, directives ('use strict') and a detached header comment.
  let p = text.startsWith('#!') ? lineEndAfter(text, 0) : 0;
  if (facts.directivesEnd !== undefined) p = lineEndAfter(text, facts.directivesEnd);
  else {
    const re = /\s*(\/\/[^\n]*|\/\*[\s\S]*?\*\/)/y;
    let q2 = p;
    let m: RegExpExecArray | null;
    re.lastIndex = q2;
    while ((m = re.exec(text))) {
      q2 = re.lastIndex;
      if (/^\n[ \t]*\n/.test(text.slice(q2))) p = q2 + 1;
      re.lastIndex = q2;
    }
  }
  const rest = text.slice(p);
  const blank = /^\n/.test(rest) || rest === '' ? '' : '\n';
  const prefix = p > 0 && (facts.directivesEnd !== undefined || text.slice(0, p).trim()) && !/\n\n$/.test(text.slice(0, p)) ? '\n' : '';
  if (p < text.length && text[p] !== '\n') {
    return { local, edit: { file, start: p, end: p + 1, text: `${prefix}${line}\n${blank}${text[p]}` } };
  }
  return { local, edit: { file, start: p, end: p, text: `${prefix}${line}\n${blank}` } };
}

/** Does a span of code hold a comment (which replacing the span would lose)? */
export async function spanHasComment(text: string, start: number, end: number): Promise<boolean> {
  const slice = text.slice(start, end);
  if (!slice.includes('//') && !slice.includes('/*')) return false;
  const ts = await tsApi();
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, false, ts.LanguageVariant.Standard, slice);
  // Template literals: a `}` that closes a `${` continues the template, so `//` inside it is text.
  const stack: ('brace' | 'template')[] = [];
  for (let k = scanner.scan(); k !== ts.SyntaxKind.EndOfFileToken; k = scanner.scan()) {
    if (k === ts.SyntaxKind.SingleLineCommentTrivia || k === ts.SyntaxKind.MultiLineCommentTrivia) return true;
    if (k === ts.SyntaxKind.TemplateHead) stack.push('template');
    else if (k === ts.SyntaxKind.OpenBraceToken) stack.push('brace');
    else if (k === ts.SyntaxKind.CloseBraceToken && stack.pop() === 'template') {
      if (scanner.reScanTemplateToken(false) === ts.SyntaxKind.TemplateMiddle) stack.push('template');
    }
  }
  return false;
}

/** The replacement of one read, given its field and the local name of `settings`. */
export function siteEdits(plan: SettingsPlan, site: EnvSite, local: string): { file: string; start: number; end: number; text: string }[] {
  const q = plan.style.quote;
  if (site.destructure) {
    const edits = [{ file: site.file, start: site.destructure.initStart, end: site.destructure.initEnd, text: local }];
    for (const el of site.destructure.elements) {
      const f = plan.fields.get(el.name);
      if (el.initStart !== undefined && el.initEnd !== undefined && f && !f.keepSiteDefaults) {
        edits.push({ file: site.file, start: el.initStart, end: el.initEnd, text: '' });
      }
    }
    return edits;
  }
  const f = plan.fields.get(site.name)!;
  const ref = `${local}.${site.name}`;
  // Sites that keep their own fallback on a plain string keep it as written (`settings.X || 'd'`).
  const keepAsWritten = f.keepSiteDefaults && site.default !== undefined && site.kind === 'string';
  if (f.mixed || site.defaultExpr || keepAsWritten) return [{ file: site.file, start: site.accessStart, end: site.accessEnd, text: ref }];
  let expr = ref;
  if (f.keepSiteDefaults && site.default !== undefined) {
    expr = `${ref} ?? ${literal(site.default, q)}`;
    if (site.negate || site.tightContext) expr = `(${expr})`;
  }
  if (site.negate) expr = `!${expr}`;
  // `(process.env.X ?? 'd').split(',')` → `settings.X.split(',')`: the parentheses go too.
  if (expr === ref) return [{ file: site.file, start: site.outerStart, end: site.outerEnd, text: expr }];
  return [{ file: site.file, start: site.start, end: site.end, text: expr }];
}
