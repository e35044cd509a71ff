// Python project knowledge, read with tree-sitter: environment-variable reads and what the code
// does with them (the type it parses them into, their default), pydantic BaseSettings classes and
// their fields, the pydantic major version a project uses, project roots, import roots and
// first-party modules. Everything is computed from the workspace; nothing touches the disk.
import type { Workspace } from '../workspace.js';
import { python, type PyNode, type PythonModel } from '../parsers/python.js';
import { dockerfile } from '../parsers/dockerfile.js';
import { basename, dirname, joinPath } from '../classify.js';
import { declaredDependencies, hasManifest } from './python-manifest.js';
import { specHigh, specLow } from './python-manifest.js';

// ---------------------------------------------------------------- literals and small AST helpers

/** The value of a plain string literal (no f/b prefix, no interpolation); implicit concatenation joins. */
export function stringValue(n: PyNode | null | undefined): string | undefined {
  if (!n) return undefined;
  if (n.type === 'concatenated_string') {
    let out = '';
    for (const c of n.namedChildren) {
      const v = stringValue(c);
      if (v === undefined) return undefined;
      out += v;
    }
    return out;
  }
  if (n.type !== 'string') return undefined;
  const start = n.children[0];
  if (!start || start.type !== 'string_start') return undefined;
  const prefix = start.text.replace(/["']+$/, '').toLowerCase();
  if (prefix.includes('f') || prefix.includes('b')) return undefined;
  const raw = prefix.includes('r');
  let out = '';
  for (const c of n.children) {
    if (c.type === 'string_start' || c.type === 'string_end') continue;
    if (c.type === 'string_content') out += c.text;
    else if (c.type === 'escape_sequence') out += raw ? c.text : unescape(c.text);
    else return undefined;
  }
  return out;
}

function unescape(seq: string): string {
  const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };
  const c = seq[1] ?? '';
  if (c in map) return map[c]!;
  if (c === 'x' || c === 'u' || c === 'U') return String.fromCodePoint(parseInt(seq.slice(2), 16));
  if (c === '\n') return '';
  return seq;
}

/** A Python literal rendered in double quotes (the style generated code uses). */
export function pyString(s: string): string {
  return '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\t/g, '\\t').replace(/\r/g, '\\r') + '"';
}

/** Numbers and simple constants: 8000, -1, 0.5, True, False, None. */
export function constantValue(n: PyNode | null | undefined): number | boolean | null | undefined {
  if (!n) return undefined;
  if (n.type === 'integer' || n.type === 'float') {
    const v = Number(n.text.replace(/_/g, ''));
    return Number.isFinite(v) ? v : undefined;
  }
  if (n.type === 'unary_operator' && n.children[0]?.type === '-') {
    const v = constantValue(n.namedChildren[0]);
    return typeof v === 'number' ? -v : undefined;
  }
  if (n.type === 'true') return true;
  if (n.type === 'false') return false;
  if (n.type === 'none') return null;
  return undefined;
}

/** Skip parentheses around an expression, upwards. */
function outerParens(n: PyNode): PyNode {
  let cur = n;
  while (cur.parent && cur.parent.type === 'parenthesized_expression') cur = cur.parent;
  return cur;
}

/** The statement (direct child of a block or the module) containing a node. */
export function statementOf(n: PyNode): PyNode {
  let cur = n;
  while (cur.parent && cur.parent.type !== 'block' && cur.parent.type !== 'module') cur = cur.parent;
  return cur;
}

/** True when the node lies inside a function (or lambda) body. */
function inFunction(n: PyNode): boolean {
  for (let p = n.parent; p; p = p.parent) if (p.type === 'function_definition' || p.type === 'lambda') return true;
  return false;
}

// ---------------------------------------------------------------- files and projects

const TEST_DIRS = new Set(['tests', 'test', 'testing', 'scripts', 'script', 'examples', 'docs', 'benchmarks']);

/** Answers of isAuxiliaryFile by path (a function of the path alone, asked for every file again after each file a fix creates). */
const auxiliary = new Map<string, boolean>();

/** Test code, scripts and tooling, which do not run inside the deployed app. */
export function isAuxiliaryFile(file: string): boolean {
  let a = auxiliary.get(file);
  if (a === undefined) {
    const b = basename(file);
    a = b === 'conftest.py' || b === 'setup.py' || b === 'noxfile.py' || b === 'fabfile.py' || /^test_.*\.py$/.test(b) || /_tests?\.py$/.test(b) ||
      file.split('/').slice(0, -1).some((d) => TEST_DIRS.has(d));
    if (auxiliary.size >= 200_000) auxiliary.clear();
    auxiliary.set(file, a);
  }
  return a;
}

/** The Python project a file belongs to: the nearest directory with a manifest ('' at worst). */
export function projectRootOf(ws: Workspace, file: string): string {
  return ws.pathMemo(`python-project-root\0${dirname(file)}`, () => {
    for (let d = dirname(file); ; d = dirname(d)) {
      if (hasManifest(ws, d)) return d;
      if (d === '') return '';
    }
  });
}

export function isUnder(file: string, dir: string): boolean {
  return dir === '' || file.startsWith(dir + '/');
}

// ---------------------------------------------------------------- imports

export interface PyImport {
  /** Absolute dotted module ('' for `from . import x`). */
  module: string;
  /** Leading dots of a relative import. */
  level: number;
  /** Imported name for `from m import name`; undefined for `import m`. */
  name?: string;
  /** The local binding. */
  local: string;
  node: PyNode;
  /** At module level (not in a function or class). */
  topLevel: boolean;
  /** In a try/except ImportError block or an `if TYPE_CHECKING:` block: optional. */
  guarded: boolean;
  /** In an `if TYPE_CHECKING:` block: never imported at run time. */
  typeChecking: boolean;
}

const importsCache = new WeakMap<PythonModel, PyImport[]>();

/** The imports of a parsed module (computed once per parse; each caller gets its own array). */
export function importsOf(m: PythonModel): PyImport[] {
  let list = importsCache.get(m);
  if (!list) importsCache.set(m, (list = collectImports(m)));
  return [...list];
}

function collectImports(m: PythonModel): PyImport[] {
  const out: PyImport[] = [];
  // Every import statement holds the keyword: a text without it needs no search of its tree.
  if (!m.text.includes('import')) return out;
  const stmts = m.root.descendantsOfType(['import_statement', 'import_from_statement']).filter((x): x is PyNode => !!x);
  if (!stmts.length) return out;
  // Most imports are statements of the module itself: their only ancestor is the module, so they
  // are top-level and unguarded without asking wasm for each ancestor (the module's children are
  // made once per parse and shared with the other readers of the model).
  const moduleLevel = new Set<number>();
  for (const c of m.root.namedChildren) if (c) moduleLevel.add(c.id);
  for (const s of stmts) {
    const direct = moduleLevel.has(s.id);
    const topLevel = direct || (!inFunction(s) && !hasAncestor(s, 'class_definition'));
    const guarded = !direct && isGuardedImport(s);
    const typeChecking = guarded && isTypeChecking(s);
    if (s.type === 'import_statement') {
      for (const c of s.namedChildren) {
        if (c.type === 'dotted_name') out.push({ module: c.text, level: 0, local: c.text.split('.')[0]!, node: s, topLevel, guarded, typeChecking });
        else if (c.type === 'aliased_import') {
          const name = c.childForFieldName('name')?.text ?? '';
          out.push({ module: name, level: 0, local: c.childForFieldName('alias')?.text ?? name, node: s, topLevel, guarded, typeChecking });
        }
      }
      continue;
    }
    const modNode = s.childForFieldName('module_name');
    let module = '';
    let level = 0;
    if (modNode?.type === 'relative_import') {
      const prefix = modNode.namedChildren.find((c) => c.type === 'import_prefix');
      level = prefix ? prefix.text.length : 0;
      module = modNode.namedChildren.find((c) => c.type === 'dotted_name')?.text ?? '';
    } else module = modNode?.text ?? '';
    const names = s.childrenForFieldName('name').filter((x): x is PyNode => !!x);
    if (names.length === 0 && s.namedChildren.some((c) => c.type === 'wildcard_import')) {
      out.push({ module, level, name: '*', local: '*', node: s, topLevel, guarded, typeChecking });
    }
    for (const c of names) {
      if (c.type === 'dotted_name') out.push({ module, level, name: c.text, local: c.text, node: s, topLevel, guarded, typeChecking });
      else if (c.type === 'aliased_import') {
        const name = c.childForFieldName('name')?.text ?? '';
        out.push({ module, level, name, local: c.childForFieldName('alias')?.text ?? name, node: s, topLevel, guarded, typeChecking });
      }
    }
  }
  return out;
}

function hasAncestor(n: PyNode, type: string): boolean {
  for (let p = n.parent; p; p = p.parent) if (p.type === type) return true;
  return false;
}

function isTypeChecking(s: PyNode): boolean {
  for (let p = s.parent; p; p = p.parent) {
    if (p.type === 'if_statement' && /TYPE_CHECKING/.test(p.childForFieldName('condition')?.text ?? '')) return true;
  }
  return false;
}

function isGuardedImport(s: PyNode): boolean {
  for (let p = s.parent; p; p = p.parent) {
    if (p.type === 'try_statement') {
      for (const c of p.namedChildren) {
        if (c.type !== 'except_clause') continue;
        const t = c.namedChildren[0]?.text ?? '';
        if (t === '' || /ImportError|ModuleNotFoundError|Exception/.test(t) || c.namedChildren[0]?.type === 'block') return true;
      }
    }
    if (p.type === 'if_statement') {
      const cond = p.childForFieldName('condition')?.text ?? '';
      if (/TYPE_CHECKING/.test(cond)) return true;
    }
  }
  return false;
}

// ---------------------------------------------------------------- environment reads

export type PyType = 'str' | 'int' | 'float' | 'bool' | 'list';

export interface EnvDefault {
  /** Source text of the default expression. */
  text: string;
  /** Its value when it is a literal (string, number, bool); undefined for an expression. */
  value?: string | number | boolean;
  /** The default is `None`. */
  none?: boolean;
}

export interface EnvRead {
  file: string;
  name: string;
  /** The read itself: `os.getenv("X", "d")`, `os.environ["X"]`, … */
  start: number;
  end: number;
  /** The expression whose value the code uses: the read, or the parse around it (`int(...)`, …). */
  useStart: number;
  useEnd: number;
  type: PyType;
  default?: EnvDefault;
  /** The code tests whether the variable is set (`if os.getenv("X"):`, `x = …; if x:`). */
  optional: boolean;
  /** The read is the condition itself (truthiness), so any falsy-when-unset value can replace it. */
  truthiness: boolean;
  /** For bool parses: the strings that mean true (lower-cased), and whether .lower() was applied. */
  truthy?: string[];
  /** For list parses: the separator. */
  separator?: string;
  /** Module-level code (runs at import time). */
  topLevel: boolean;
  /** Inside a class body deriving from BaseSettings (a field default). */
  inSettingsClass: boolean;
}

interface EnvBindings {
  os: Set<string>;
  environ: Set<string>;
  getenv: Set<string>;
}

function envBindings(imports: PyImport[]): EnvBindings {
  const b: EnvBindings = { os: new Set(), environ: new Set(), getenv: new Set() };
  for (const i of imports) {
    if (i.level) continue;
    if (i.module === 'os' && i.name === undefined) b.os.add(i.local);
    if (i.module === 'os' && i.name === 'environ') b.environ.add(i.local);
    if (i.module === 'os' && i.name === 'getenv') b.getenv.add(i.local);
  }
  return b;
}

/** `os.environ` (or a local binding of it). */
function isEnviron(n: PyNode | null, b: EnvBindings): boolean {
  if (!n) return false;
  if (n.type === 'identifier') return b.environ.has(n.text);
  if (n.type === 'attribute') {
    const obj = n.childForFieldName('object');
    return n.childForFieldName('attribute')?.text === 'environ' && obj?.type === 'identifier' && b.os.has(obj.text);
  }
  return false;
}

function isGetenv(fn: PyNode | null, b: EnvBindings): boolean {
  if (!fn) return false;
  if (fn.type === 'identifier') return b.getenv.has(fn.text);
  if (fn.type === 'attribute') {
    const obj = fn.childForFieldName('object');
    const attr = fn.childForFieldName('attribute')?.text;
    if (attr === 'getenv' && obj?.type === 'identifier' && b.os.has(obj.text)) return true;
    if (attr === 'get' && isEnviron(obj, b)) return true;
  }
  return false;
}

function positionalArgs(call: PyNode): PyNode[] {
  const args = call.childForFieldName('arguments');
  return args ? args.namedChildren.filter((c) => c.type !== 'keyword_argument' && c.type !== 'comment') : [];
}

function keywordArg(call: PyNode, name: string): PyNode | undefined {
  const args = call.childForFieldName('arguments');
  for (const c of args?.namedChildren ?? []) {
    if (c.type === 'keyword_argument' && c.childForFieldName('name')?.text === name) return c.childForFieldName('value') ?? undefined;
  }
  return undefined;
}

export { keywordArg, positionalArgs };

function defaultOf(n: PyNode | undefined): EnvDefault | undefined {
  if (!n) return undefined;
  const s = stringValue(n);
  if (s !== undefined) return { text: n.text, value: s };
  const c = constantValue(n);
  if (c === null) return { text: n.text, none: true };
  if (c !== undefined) return { text: n.text, value: c };
  return { text: n.text };
}

const TRUTHY = ['1', 'true', 'yes', 'on', 'y', 't'];

/**
 * Whether a text can hold an environment read envReadsIn finds. Every read goes through a name
 * bound from `os` — `os.getenv`, `os.environ`, or `getenv`/`environ` imported from os (an alias
 * still names them in its import) — so a text with neither "getenv" nor "environ" holds none
 * (identifiers cannot be spelled with escapes, and tree-sitter's text is this text).
 */
export function mayReadEnv(text: string): boolean {
  return text.includes('environ') || text.includes('getenv');
}

/** Reads of environment variables in a file (literal names only; writes and deletes are skipped). */
export function envReadsIn(file: string, m: PythonModel, settingsClassNodes: PyNode[] = []): EnvRead[] {
  if (!mayReadEnv(m.text)) return [];
  const b = envBindings(importsOf(m));
  if (!b.os.size && !b.environ.size && !b.getenv.size) return [];
  const out: EnvRead[] = [];
  const candidates = m.root.descendantsOfType(['call', 'subscript']).filter((x): x is PyNode => !!x);
  for (const n of candidates) {
    let name: string | undefined;
    let dflt: EnvDefault | undefined;
    if (n.type === 'call') {
      if (!isGetenv(n.childForFieldName('function'), b)) continue;
      const pos = positionalArgs(n);
      name = stringValue(pos[0] ?? keywordArg(n, 'key'));
      dflt = defaultOf(pos[1] ?? keywordArg(n, 'default') ?? keywordArg(n, 'failobj'));
    } else {
      if (!isEnviron(n.childForFieldName('value'), b)) continue;
      const subs = n.childrenForFieldName('subscript').filter((x): x is PyNode => !!x);
      if (subs.length !== 1) continue;
      name = stringValue(subs[0]);
      const p = outerParens(n).parent;
      // Writes (`os.environ["X"] = v`, augmented) and deletes are not reads.
      if (p && (p.type === 'assignment' || p.type === 'augmented_assignment') && p.childForFieldName('left')?.id === outerParens(n).id) continue;
      if (p && p.type === 'delete_statement') continue;
    }
    if (!name) continue;
    const read: EnvRead = {
      file,
      name,
      start: n.startIndex,
      end: n.endIndex,
      useStart: n.startIndex,
      useEnd: n.endIndex,
      type: 'str',
      optional: false,
      truthiness: false,
      topLevel: !inFunction(n),
      inSettingsClass: settingsClassNodes.some((c) => c.startIndex <= n.startIndex && n.endIndex <= c.endIndex),
    };
    if (dflt?.none) read.optional = true;
    else if (dflt) read.default = dflt;
    inferUse(n, read);
    out.push(read);
  }
  markOptionalAssignments(m, out);
  return out;
}

/** Follow the expression the read sits in to learn the type it is parsed into. */
function inferUse(read: PyNode, r: EnvRead): void {
  let use = outerParens(read);
  // `os.getenv("X") or "default"`
  const p0 = use.parent;
  if (p0?.type === 'boolean_operator' && p0.childForFieldName('operator')?.text === 'or' && p0.childForFieldName('left')?.id === use.id && !r.default) {
    const d = defaultOf(p0.childForFieldName('right') ?? undefined);
    if (d && !d.none && d.value !== undefined) {
      r.default = d;
      use = outerParens(p0);
    }
  }
  const p = use.parent;
  // int(...) / float(...)
  if (p?.type === 'argument_list' && p.namedChildren.length === 1) {
    const call = p.parent;
    const fn = call?.childForFieldName('function');
    if (call && fn?.type === 'identifier' && (fn.text === 'int' || fn.text === 'float')) {
      r.type = fn.text;
      setUse(r, outerParens(call));
      if (typeof r.default?.value === 'string') {
        const v = Number(r.default.value.trim());
        if (r.default.value.trim() !== '' && Number.isFinite(v) && (fn.text === 'float' || Number.isInteger(v))) r.default = { text: r.default.text, value: v };
        else r.default = { text: r.default.text };
      } else if (typeof r.default?.value === 'boolean') r.default = { text: r.default.text };
      return;
    }
  }
  // .lower()/.strip()/.casefold() chains, then a comparison → bool; .split(sep) → list
  let cur = use;
  let lowered = false;
  for (;;) {
    const attr = cur.parent;
    if (attr?.type !== 'attribute' || attr.childForFieldName('object')?.id !== cur.id) break;
    const call = attr.parent;
    if (call?.type !== 'call' || call.childForFieldName('function')?.id !== attr.id) break;
    const method = attr.childForFieldName('attribute')?.text;
    if (method === 'lower' || method === 'casefold') {
      lowered = true;
      cur = outerParens(call);
      continue;
    }
    if (method === 'strip') {
      cur = outerParens(call);
      continue;
    }
    if (method === 'split') {
      const sep = stringValue(positionalArgs(call)[0]);
      if (sep === undefined || sep === '') return;
      r.type = 'list';
      r.separator = sep;
      let listUse = outerParens(call);
      // [x.strip() for x in ….split(",")] (optionally `if x.strip()` / `if x`)
      const forIn = listUse.parent;
      if (forIn?.type === 'for_in_clause' && forIn.childForFieldName('right')?.id === listUse.id) {
        const comp = forIn.parent;
        if (comp?.type === 'list_comprehension') listUse = outerParens(comp);
      }
      setUse(r, listUse);
      if (typeof r.default?.value === 'string') r.default = { text: r.default.text, value: r.default.value };
      return;
    }
    break;
  }
  const cmp = cur.parent;
  if (cmp?.type === 'comparison_operator' && cmp.namedChildren[0]?.id === cur.id && cmp.namedChildren.length === 2) {
    const op = cmp.children.find((c) => !c.isNamed)?.text ?? '';
    const other = cmp.namedChildren[1]!;
    let values: string[] | undefined;
    if (other.type === 'tuple' || other.type === 'list' || other.type === 'set') {
      const vs = other.namedChildren.map((c) => stringValue(c));
      if (vs.every((v): v is string => v !== undefined)) values = vs;
    } else {
      const v = stringValue(other);
      if (v !== undefined) values = [v];
    }
    if (values && ['==', '!=', 'in', 'not in'].includes(op)) {
      const positive = op === '==' || op === 'in';
      const lc = values.map((v) => v.toLowerCase());
      r.type = 'bool';
      r.truthy = positive ? lc : TRUTHY.filter((t) => !lc.includes(t));
      setUse(r, outerParens(cmp));
      if (typeof r.default?.value === 'string') {
        const dv = lowered ? r.default.value.trim().toLowerCase() : r.default.value.trim();
        const inValues = (lowered ? lc : values).includes(dv);
        r.default = { text: r.default.text, value: positive ? inValues : !inValues };
      } else if (r.default) r.default = { text: r.default.text };
      else if (cur.id === use.id && read.type === 'call') {
        // `os.getenv("X") == "1"` compares None when unset: false for ==/in, true for !=/not in.
        r.default = { text: 'None', value: !positive };
      }
      return;
    }
  }
  if (use.id !== outerParens(read).id) setUse(r, use);
  if (isTruthinessPosition(use)) {
    r.optional = true;
    r.truthiness = true;
  }
}

function setUse(r: EnvRead, n: PyNode): void {
  r.useStart = n.startIndex;
  r.useEnd = n.endIndex;
}

/** Used only as a condition: `if X:`, `not X`, `X is None`, `X and …` in a condition. */
function isTruthinessPosition(n: PyNode): boolean {
  const p = n.parent;
  if (!p) return false;
  if ((p.type === 'if_statement' || p.type === 'elif_clause' || p.type === 'while_statement') && p.childForFieldName('condition')?.id === n.id) return true;
  if (p.type === 'conditional_expression' && p.namedChildren[1]?.id === n.id) return true;
  if (p.type === 'not_operator') return true;
  if (p.type === 'comparison_operator' && p.namedChildren.length === 2 && p.namedChildren[1]?.type === 'none') return true;
  if (p.type === 'boolean_operator') return isTruthinessPosition(outerParens(p));
  return false;
}

/** `x = os.getenv("X")` followed by `if x:` / `x is None` in the same file: the read is optional. */
function markOptionalAssignments(m: PythonModel, reads: EnvRead[]): void {
  for (const r of reads) {
    if (r.optional || r.default) continue;
    const node = m.root.descendantForIndex(r.useStart, r.useEnd);
    let n: PyNode | null = node;
    while (n && !(n.startIndex === r.useStart && n.endIndex === r.useEnd)) n = n.parent;
    if (!n) continue;
    const asg = outerParens(n).parent;
    if (asg?.type !== 'assignment' || asg.childForFieldName('right')?.id !== outerParens(n).id) continue;
    const left = asg.childForFieldName('left');
    let target: string | undefined;
    if (left?.type === 'identifier') target = left.text;
    else if (left?.type === 'attribute') target = left.text;
    if (!target) continue;
    const uses = m.root.descendantsOfType(['identifier', 'attribute']).filter((x): x is PyNode => !!x && x.text === target && x.startIndex > asg.endIndex);
    if (uses.some((u) => isTruthinessPosition(outerParens(u)))) r.optional = true;
  }
}

/** Variables that describe the machine or the toolchain, not the app's configuration. */
const SYSTEM_VARS = new Set([
  'HOME', 'PATH', 'USER', 'USERNAME', 'LOGNAME', 'PWD', 'SHELL', 'TERM', 'LANG', 'LC_ALL', 'TMPDIR', 'TEMP', 'TMP',
  'HOSTNAME', 'VIRTUAL_ENV', 'PYTHONPATH', 'PYTHONHASHSEED', 'PYTHONUNBUFFERED', 'CI', 'EDITOR', 'DISPLAY', 'XDG_CONFIG_HOME',
  'XDG_CACHE_HOME', 'XDG_DATA_HOME', 'APPDATA', 'LOCALAPPDATA', 'USERPROFILE', 'SYSTEMROOT', 'COMSPEC', 'NO_COLOR', 'FORCE_COLOR',
  'COLUMNS', 'LINES', 'PYTEST_CURRENT_TEST', 'KUBERNETES_SERVICE_HOST', 'CUDA_VISIBLE_DEVICES', 'TZ',
]);

export function isSystemVar(name: string): boolean {
  return SYSTEM_VARS.has(name) || name.startsWith('PYTHON') || name.startsWith('GITHUB_') || name.startsWith('RUNNER_') || name.startsWith('LC_');
}

// ---------------------------------------------------------------- settings classes

export interface SettingsField {
  name: string;
  /** Env var names that feed it (prefix applied; an explicit alias / env= wins). */
  env: string[];
  /** The annotated-assignment statement. */
  start: number;
  end: number;
  typeText: string;
  valueNode?: PyNode;
}

export interface SettingsClass {
  file: string;
  name: string;
  node: PyNode;
  body: PyNode;
  /** pydantic major version the class is written for. */
  major: 1 | 2;
  /** Module BaseSettings is imported from ('pydantic', 'pydantic_settings', 'pydantic.v1'). */
  baseModule: string;
  fields: SettingsField[];
  envPrefix: string;
  caseSensitive: boolean;
  /** Field names that already have a (field_)validator. */
  validated: Set<string>;
  /** A model/root validator exists. */
  hasModelValidator: boolean;
  /** Indentation of the class body. */
  indent: string;
  /** Module-level instance: `settings = Settings()`, or a getter function returning one. */
  instance?: { name: string; call: boolean };
}

const FIELD_SKIP = new Set(['model_config', 'Config']);

/**
 * Whether a text can define a BaseSettings subclass settingsClassesIn finds: a base is either a
 * name imported as `BaseSettings` (aliased or not, the import names it) or `<module>.BaseSettings`,
 * so a text without "BaseSettings" defines none.
 */
export function mayDefineSettings(text: string): boolean {
  return text.includes('BaseSettings');
}

/** BaseSettings subclasses defined in a file. */
export function settingsClassesIn(file: string, m: PythonModel): SettingsClass[] {
  if (!mayDefineSettings(m.text)) return [];
  const imports = importsOf(m);
  const bases = new Map<string, string>(); // local name → module
  const moduleAliases = new Map<string, string>(); // `import pydantic_settings as ps`
  for (const i of imports) {
    if (i.level) continue;
    if (i.name === 'BaseSettings' && ['pydantic', 'pydantic_settings', 'pydantic.v1'].includes(i.module)) bases.set(i.local, i.module);
    if (i.name === undefined && ['pydantic', 'pydantic_settings'].includes(i.module)) moduleAliases.set(i.local, i.module);
  }
  const out: SettingsClass[] = [];
  for (const cls of m.root.namedChildren) {
    const def = cls.type === 'decorated_definition' ? cls.childForFieldName('definition') : cls;
    if (def?.type !== 'class_definition') continue;
    let baseModule: string | undefined;
    for (const sc of def.childForFieldName('superclasses')?.namedChildren ?? []) {
      if (sc.type === 'identifier' && bases.has(sc.text)) baseModule = bases.get(sc.text);
      if (sc.type === 'attribute' && sc.childForFieldName('attribute')?.text === 'BaseSettings') {
        const obj = sc.childForFieldName('object')?.text ?? '';
        if (moduleAliases.has(obj)) baseModule = moduleAliases.get(obj);
      }
    }
    if (!baseModule) continue;
    const body = def.childForFieldName('body');
    if (!body) continue;
    const sc: SettingsClass = {
      file,
      name: def.childForFieldName('name')?.text ?? 'Settings',
      node: cls,
      body,
      major: baseModule === 'pydantic_settings' ? 2 : 1,
      baseModule,
      fields: [],
      envPrefix: '',
      caseSensitive: false,
      validated: new Set(),
      hasModelValidator: false,
      indent: ' '.repeat(body.startPosition.column),
    };
    for (const st of body.namedChildren) readClassStatement(st, sc);
    sc.fields = sc.fields.map((f) => ({ ...f, env: f.env.length ? f.env : [sc.envPrefix + f.name] }));
    out.push(sc);
  }
  for (const sc of out) sc.instance = instanceOf(m, sc.name);
  return out;
}

function readClassStatement(st: PyNode, sc: SettingsClass): void {
  if (st.type === 'expression_statement') {
    const a = st.namedChildren[0];
    if (a?.type !== 'assignment') return;
    const left = a.childForFieldName('left');
    if (left?.type !== 'identifier') return;
    const right = a.childForFieldName('right') ?? undefined;
    if (left.text === 'model_config' && right?.type === 'call') {
      readConfigCall(right, sc);
      return;
    }
    const type = a.childForFieldName('type');
    if (!type || FIELD_SKIP.has(left.text) || /^ClassVar\b/.test(type.text) || left.text.startsWith('_')) return;
    const env: string[] = [];
    if (right?.type === 'call' && /(^|\.)Field$/.test(right.childForFieldName('function')?.text ?? '')) {
      for (const k of ['env', 'validation_alias', 'alias']) {
        const v = stringValue(keywordArg(right, k));
        if (v) {
          env.push(v);
          break;
        }
      }
    }
    sc.fields.push({ name: left.text, env, start: st.startIndex, end: st.endIndex, typeText: type.text, valueNode: right });
    return;
  }
  if (st.type === 'class_definition' && st.childForFieldName('name')?.text === 'Config') {
    for (const s of st.childForFieldName('body')?.namedChildren ?? []) {
      const a = s.namedChildren[0];
      if (s.type !== 'expression_statement' || a?.type !== 'assignment') continue;
      const k = a.childForFieldName('left')?.text;
      const v = a.childForFieldName('right');
      if (k === 'env_prefix') sc.envPrefix = stringValue(v) ?? '';
      if (k === 'case_sensitive') sc.caseSensitive = v?.type === 'true';
    }
    return;
  }
  if (st.type === 'decorated_definition') {
    for (const d of st.namedChildren.filter((c) => c.type === 'decorator')) {
      const expr = d.namedChildren[0];
      const fn = expr?.type === 'call' ? expr.childForFieldName('function')?.text : expr?.text;
      const base = fn?.split('.').pop();
      if ((base === 'validator' || base === 'field_validator') && expr?.type === 'call') {
        for (const a of positionalArgs(expr)) {
          const v = stringValue(a);
          if (v) sc.validated.add(v);
        }
      }
      if (base === 'model_validator' || base === 'root_validator') sc.hasModelValidator = true;
    }
  }
}

function readConfigCall(call: PyNode, sc: SettingsClass): void {
  const prefix = stringValue(keywordArg(call, 'env_prefix'));
  if (prefix !== undefined) sc.envPrefix = prefix;
  if (keywordArg(call, 'case_sensitive')?.type === 'true') sc.caseSensitive = true;
}

/** `settings = Settings()` at module level, or `def get_settings(): return Settings()`. */
function instanceOf(m: PythonModel, cls: string): { name: string; call: boolean } | undefined {
  for (const st of m.root.namedChildren) {
    const a = st.type === 'expression_statement' ? st.namedChildren[0] : undefined;
    if (a?.type === 'assignment') {
      const left = a.childForFieldName('left');
      const right = a.childForFieldName('right');
      if (left?.type === 'identifier' && right?.type === 'call' && right.childForFieldName('function')?.text === cls) {
        return { name: left.text, call: false };
      }
    }
  }
  for (const st of m.root.namedChildren) {
    const def = st.type === 'decorated_definition' ? st.childForFieldName('definition') : st;
    if (def?.type !== 'function_definition') continue;
    const params = def.childForFieldName('parameters');
    if (params && params.namedChildren.length) continue;
    const returns = def.descendantsOfType('return_statement').filter((x): x is PyNode => !!x);
    if (returns.some((r) => r.namedChildren[0]?.type === 'call' && r.namedChildren[0].childForFieldName('function')?.text === cls)) {
      return { name: def.childForFieldName('name')!.text, call: true };
    }
  }
  return undefined;
}

/** The field of a settings class an environment variable feeds, if any. */
export function fieldForEnv(sc: SettingsClass, env: string): SettingsField | undefined {
  const eq = (a: string, b: string) => (sc.caseSensitive ? a === b : a.toLowerCase() === b.toLowerCase());
  return sc.fields.find((f) => f.env.some((e) => eq(e, env)));
}

/** The field name to declare for an env var in a class (its prefix removed, its naming case followed). */
export function fieldNameFor(sc: SettingsClass, env: string): string | undefined {
  const p = sc.envPrefix;
  if (p && !(sc.caseSensitive ? env.startsWith(p) : env.toLowerCase().startsWith(p.toLowerCase()))) return undefined;
  const name = env.slice(p.length);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || PY_KEYWORDS.has(name)) return undefined;
  const lower = sc.fields.length > 0 && sc.fields.every((f) => f.name === f.name.toLowerCase());
  return lower && !sc.caseSensitive ? name.toLowerCase() : name;
}

const PY_KEYWORDS = new Set(['False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif', 'else', 'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise', 'return', 'try', 'while', 'with', 'yield']);

// ---------------------------------------------------------------- names that mean secrets and URLs

/** Signing keys and shared secrets: must be long and random (the length validator applies). */
export function isSigningSecret(name: string): boolean {
  const n = name.toUpperCase();
  return n === 'SECRET_KEY' || n === 'SECRET' || n.endsWith('_SECRET_KEY') || n.endsWith('_SECRET') || n.startsWith('JWT_SECRET') ||
    n.endsWith('_SIGNING_KEY') || n === 'FERNET_KEY' || n.endsWith('_ENCRYPTION_KEY') || n.startsWith('SESSION_SECRET');
}

/** Credentials: kept out of logs and reprs (SecretStr), no length rule. */
export function isCredential(name: string): boolean {
  const n = name.toUpperCase();
  return isSigningSecret(n) || /(^|_)(PASSWORD|PASSWD|PASS|API_KEY|APIKEY|TOKEN|ACCESS_KEY|PRIVATE_KEY|AUTH_KEY|CLIENT_SECRET|SECRET_ACCESS_KEY)$/.test(n);
}

export function isUrlName(name: string): boolean {
  return /(_URL|_URI|_DSN|_ENDPOINT)$/i.test(name) || /^(URL|URI|DSN)$/i.test(name);
}

/** Placeholder values that are as good as no secret at all. */
export const WEAK_SECRET_VALUES = new Set([
  '', 'changeme', 'change-me', 'change_me', 'secret', 'secret-key', 'secret_key', 'secretkey', 'password', 'passwd', 'dev', 'development',
  'test', 'testing', 'default', 'insecure', 'admin', 'root', 'postgres', 'example', 'your-secret-key', 'your_secret_key', 'xxx', 'todo',
  'supersecret', 'super-secret', 'mysecret', 'dev-secret', 'dev-secret-key', 'jwt-secret', '123456', 'qwerty', 'letmein',
]);

export const PLACEHOLDER_MARKERS = ['changeme', 'change-me', 'change_me', 'change-this', 'change_this', 'your-secret', 'your_secret', 'placeholder', 'insecure', 'example'];

export function isWeakSecret(value: string): boolean {
  const v = value.trim().toLowerCase();
  return WEAK_SECRET_VALUES.has(v) || v.length < 32 || PLACEHOLDER_MARKERS.some((p) => v.includes(p));
}

// ---------------------------------------------------------------- pydantic version

export interface PydanticInfo {
  major: 1 | 2;
  /** Where the answer came from. */
  source: 'code' | 'manifest' | 'default';
  /** The pydantic requirement's specifier, when declared. */
  pydanticSpec?: string;
  /** pydantic-settings is declared. */
  settingsDeclared: boolean;
  settingsSpec?: string;
}

/** Which pydantic a project uses: its settings imports first, then its manifests; v2 when silent. */
export async function pydanticInfo(ws: Workspace, dir: string): Promise<PydanticInfo> {
  const decl = declaredDependencies(ws, dir);
  const pyd = decl.deps.get('pydantic');
  const ps = decl.deps.get('pydantic-settings');
  const base = { pydanticSpec: pyd?.spec, settingsDeclared: !!ps, settingsSpec: ps?.spec };
  for (const f of ws.filesUnder(dir, 'python')) {
    const text = ws.text(f) ?? '';
    if (!text.includes('pydantic')) continue;
    const m = await python(ws, f);
    if (!m) continue;
    for (const i of importsOf(m)) {
      if (i.module === 'pydantic_settings') return { major: 2, source: 'code', ...base };
      if (i.module === 'pydantic' && i.name === 'BaseSettings') return { major: 1, source: 'code', ...base };
    }
  }
  if (ps) return { major: 2, source: 'manifest', ...base };
  if (pyd && pyd.spec) {
    const high = specHigh(pyd.spec);
    const low = specLow(pyd.spec);
    if (high && (high[0] < 2 || (high[0] === 2 && high[1] === 0 && /<\s*2(\.0)?$/.test(pyd.spec)))) return { major: 1, source: 'manifest', ...base };
    if (low && low[0] >= 2) return { major: 2, source: 'manifest', ...base };
    // 1.x with an upper bound, or a caret/tilde/compatible-release range (^1.10, ~=1.10) stays on 1.
    if (low && low[0] === 1 && (high || /^\s*(\^|~)/.test(pyd.spec))) return { major: 1, source: 'manifest', ...base };
  }
  const fastapi = decl.deps.get('fastapi');
  if (!pyd && fastapi?.spec) {
    const high = specHigh(fastapi.spec);
    if (high && high[0] === 0 && high[1] < 100) return { major: 1, source: 'manifest', ...base };
  }
  return { major: 2, source: 'default', ...base };
}

// ---------------------------------------------------------------- import roots and module paths

function moduleExists(ws: Workspace, root: string, dotted: string): boolean {
  const rel = dotted.split('.').join('/');
  const p = joinPath(root, rel);
  if (ws.exists(p + '.py')) return true;
  return ws.filesUnder(p).some((f) => f.endsWith('.py'));
}

/**
 * The directory absolute imports of a project are resolved from (the one on sys.path): among the
 * project directory and the directories between it and `near`, the one that resolves the most
 * absolute first-party imports found in the project.
 */
export async function importRoot(ws: Workspace, projectDir: string, near: string): Promise<string> {
  const candidates: string[] = [];
  for (let d = dirname(near); ; d = dirname(d)) {
    if (isUnder(d, projectDir) || d === projectDir) candidates.unshift(d);
    if (d === projectDir || d === '') break;
  }
  if (!candidates.includes(projectDir)) candidates.unshift(projectDir);
  const srcDir = joinPath(projectDir, 'src');
  if (ws.filesUnder(srcDir).length && !candidates.includes(srcDir)) candidates.push(srcDir);
  const scores = new Map<string, number>(candidates.map((c) => [c, 0]));
  for (const f of ws.filesUnder(projectDir, 'python')) {
    const m = await python(ws, f);
    if (!m) continue;
    for (const i of importsOf(m)) {
      if (i.level || !i.module) continue;
      for (const c of candidates) {
        if (i.module.includes('.') ? moduleExists(ws, c, i.module) : false) scores.set(c, scores.get(c)! + 1);
      }
    }
  }
  let best = '';
  let bestScore = 0;
  for (const c of candidates) {
    const s = scores.get(c)!;
    if (s > bestScore) {
      best = c;
      bestScore = s;
    }
  }
  if (bestScore > 0) return best;
  // No evidence: the directory above the outermost package (a directory with __init__.py).
  let d = dirname(near);
  let top: string | undefined;
  while (d !== '' && ws.exists(joinPath(d, '__init__.py')) && (isUnder(d, projectDir))) {
    top = d;
    d = dirname(d);
  }
  if (top !== undefined) return dirname(top);
  return isUnder(near, projectDir) ? projectDir : dirname(near);
}

/** Dotted module path of a file relative to an import root, or undefined when outside it. */
export function modulePath(file: string, root: string): string | undefined {
  if (!isUnder(file, root)) return undefined;
  const rel = root ? file.slice(root.length + 1) : file;
  const parts = rel.replace(/\.py$/, '').split('/');
  if (parts[parts.length - 1] === '__init__') parts.pop();
  if (!parts.length || parts.some((p) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(p))) return undefined;
  return parts.join('.');
}

/**
 * True when a top-level import name is the project's own code: a module or package beside the file
 * or above it, or anywhere in its project (sys.path tricks and PYTHONPATH make any directory of the
 * project a possible import root, so a local `services/` package is never taken for a dependency).
 */
export function isFirstParty(ws: Workspace, file: string, top: string): boolean {
  for (let d = dirname(file); ; d = dirname(d)) {
    for (const base of [d, joinPath(d, 'src')]) {
      const p = joinPath(base, top);
      if (ws.exists(p + '.py') || ws.exists(p + '.pyi') || ws.filesUnder(p).length > 0) return true;
    }
    if (d === '') break;
  }
  return localNames(ws, projectRootOf(ws, file)).has(top);
}


/** Directory names and module stems of a project's Python files (recomputed when files are added). */
function localNames(ws: Workspace, project: string): Set<string> {
  return ws.pathMemo(`python/localNames\0${project}`, () => {
    const names = new Set<string>();
    for (const f of ws.filesUnder(project, 'python')) {
      const parts = f.slice(project ? project.length + 1 : 0).split('/');
      names.add(parts[parts.length - 1]!.replace(/\.py$/, ''));
      for (const d of parts.slice(0, -1)) names.add(d);
    }
    return names;
  });
}

/** The files a module imports from the project (its first-party imports, resolved). */
export async function firstPartyImports(ws: Workspace, file: string, root: string): Promise<string[]> {
  const m = await python(ws, file);
  if (!m) return [];
  const out: string[] = [];
  for (const i of importsOf(m)) {
    let mod = i.module;
    if (i.level) {
      const parts = dirname(file).split('/');
      const base = parts.slice(0, Math.max(0, parts.length - (i.level - 1))).join('/');
      const rel = mod ? joinPath(base, mod.split('.').join('/')) : base;
      mod = modulePath(rel + '.py', root) ?? '';
    }
    if (!mod) continue;
    const candidates = [mod, i.name && i.name !== '*' ? `${mod}.${i.name}` : undefined].filter((x): x is string => !!x);
    for (const c of candidates) {
      const p = joinPath(root, c.split('.').join('/'));
      if (ws.exists(p + '.py')) out.push(p + '.py');
      else if (ws.exists(p + '/__init__.py')) out.push(p + '/__init__.py');
    }
  }
  return out;
}

/** The Python version a project targets, when it says (requires-python, .python-version, a Dockerfile FROM). */
export function pythonVersionOf(ws: Workspace, dir: string): [number, number] | undefined {
  const pv = ws.text(joinPath(dir, '.python-version'));
  const m1 = pv ? /^\s*(\d+)\.(\d+)/.exec(pv) : null;
  if (m1) return [Number(m1[1]), Number(m1[2])];
  const pp = ws.text(joinPath(dir, 'pyproject.toml'));
  const m2 = pp ? /requires-python\s*=\s*["'][^"']*?(\d+)\.(\d+)/.exec(pp) : null;
  if (m2) return [Number(m2[1]), Number(m2[2])];
  const poetryPy = pp ? /^\s*python\s*=\s*["'][\^~>=]*\s*(\d+)\.(\d+)/m.exec(pp) : null;
  if (poetryPy) return [Number(poetryPy[1]), Number(poetryPy[2])];
  for (const f of ws.files('dockerfile')) {
    if (!isUnder(f, dir)) continue;
    for (const st of dockerfile(ws, f)?.stages ?? []) {
      const m3 = st.imageName === 'python' ? /^(\d+)\.(\d+)/.exec(st.tag) : null;
      if (m3) return [Number(m3[1]), Number(m3[2])];
    }
  }
  return undefined;
}
