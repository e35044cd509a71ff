// The settings picture of a Python project: its environment reads, the BaseSettings class they
// belong in (if any), the style generated code must follow, and how a read maps to a field.
import type { Workspace } from '../workspace.js';
import { python, type PythonModel } from '../parsers/python.js';
import { basename, dirname, joinPath } from '../classify.js';
import type { CodeStyle, FieldKind, FieldSpec } from '../codegen/pydantic.js';
import { splitList } from '../codegen/pydantic.js';
import {
  envReadsIn, fieldForEnv, importRoot, isAuxiliaryFile, isCredential, isSigningSecret, isSystemVar, isUnder, isUrlName,
  modulePath, projectRootOf, pydanticInfo, pythonVersionOf, settingsClassesIn, importsOf, mayDefineSettings, mayReadEnv,
  type EnvRead, type PydanticInfo, type SettingsClass, type SettingsField,
} from './python.js';
import { declaredDependencies, pydanticSettingsRelease, specHigh } from './python-manifest.js';

export interface SettingsTarget {
  sc: SettingsClass;
  model: PythonModel;
  /** Dotted module path (from the import root), when importable. */
  module?: string;
  /** The project's import root (importRoot), which module paths are relative to. */
  root: string;
}

export interface ProjectSettings {
  dir: string;
  /**
   * The file importRoot starts from. The import root is found (which parses every Python file of
   * the project) only when it is needed: with a settings class it is target.root; without one,
   * projectImportRoot() finds it for the fix that needs it.
   */
  near: string;
  pyd: PydanticInfo;
  style: CodeStyle;
  target?: SettingsTarget;
  /** Every settings class in the project (its reads inside them are field defaults). */
  classes: SettingsClass[];
  /** App reads: auxiliary files, system variables and reads inside settings classes excluded. */
  reads: EnvRead[];
}

/** Python projects (directories) of a workspace that have app code. */
export function pythonProjects(ws: Workspace): string[] {
  const files = ws.files('python');
  if (!files.length) return [];
  // From the paths alone (projectRootOf already depends on every path): once per file listing,
  // not once per rule and fix pass.
  return ws.pathMemo('python/projects', () => {
    const dirs = new Set<string>();
    for (const f of files) if (!isAuxiliaryFile(f)) dirs.add(projectRootOf(ws, f));
    return [...dirs].sort();
  }).slice();
}

/** App files of a project (not those of a nested project). */
export function projectFiles(ws: Workspace, dir: string): string[] {
  const under = ws.filesUnder(dir, 'python');
  if (!under.length) return [];
  return ws.pathMemo(`python/projectFiles\0${dir}`, () => under.filter((f) => !isAuxiliaryFile(f) && projectRootOf(ws, f) === dir)).slice();
}

/**
 * The settings picture of one project, computed again only when a file it read changed (or a file
 * appeared where it looked): the workspace tracks what compute reads.
 */
export function projectSettings(ws: Workspace, dir: string): Promise<ProjectSettings> {
  return ws.memo(`python/projectSettings\0${dir}`, () => compute(ws, dir, projectFiles(ws, dir)));
}

async function compute(ws: Workspace, dir: string, files: string[]): Promise<ProjectSettings> {
  const classes: SettingsClass[] = [];
  const models = new Map<string, PythonModel>();
  for (const f of files) {
    // Sound prefilter: a file contributes a settings class only if its text names BaseSettings, and
    // an env read only if it names environ or getenv (mayDefineSettings, mayReadEnv). A file with
    // neither (most of a project) gives nothing here and is not parsed for it: in a monorepo that
    // is most of the Python files. (A syntax error in such a file is reported by the rules that
    // do need the file, not by this one.)
    const text = ws.text(f);
    if (text === undefined || (!mayDefineSettings(text) && !mayReadEnv(text))) continue;
    const m = await python(ws, f);
    if (!m) continue;
    models.set(f, m);
    classes.push(...settingsClassesIn(f, m));
  }
  const reads: EnvRead[] = [];
  for (const [f, m] of models) {
    const own = classes.filter((c) => c.file === f).map((c) => c.node);
    for (const r of envReadsIn(f, m, own)) if (!r.inSettingsClass && !isSystemVar(r.name)) reads.push(r);
  }
  const pyd = await pydanticInfo(ws, dir);
  const chosen = chooseClass(classes);
  const near = chosen?.file ?? reads[0]?.file ?? files[0] ?? joinPath(dir, 'x.py');
  let target: SettingsTarget | undefined;
  if (chosen) {
    const root = await importRoot(ws, dir, near);
    target = { sc: chosen, model: models.get(chosen.file)!, module: modulePath(chosen.file, root), root };
  }
  const style = codeStyle(ws, dir, pyd, target?.sc);
  return { dir, near, pyd, style, target, classes, reads };
}

/** The project's import root: the target's, or (a project without a settings class) found now. */
export function projectImportRoot(ws: Workspace, ps: ProjectSettings): Promise<string> {
  return ps.target ? Promise.resolve(ps.target.root) : importRoot(ws, ps.dir, ps.near);
}

/** The class new variables go into: one with a module-level instance, in config/settings.py, shallowest. */
function chooseClass(classes: SettingsClass[]): SettingsClass | undefined {
  const score = (c: SettingsClass) =>
    (c.instance ? 0 : 4) + (/^(config|settings|conf)\.py$/.test(basename(c.file)) ? 0 : 2) + (c.name === 'Settings' ? 0 : 1);
  return [...classes].sort((a, b) => score(a) - score(b) || a.file.split('/').length - b.file.split('/').length || (a.file < b.file ? -1 : 1))[0];
}

export function codeStyle(ws: Workspace, dir: string, pyd: PydanticInfo, sc?: SettingsClass): CodeStyle {
  const major = sc ? sc.major : pyd.major;
  const py = pythonVersionOf(ws, dir);
  const pep604 = !!py && (py[0] > 3 || (py[0] === 3 && py[1] >= 10));
  // Unknown version: pydantic 2 needs Python ≥ 3.8 and projects using it are newer; v1 projects may be on 3.8.
  const pep585 = py ? py[0] > 3 || (py[0] === 3 && py[1] >= 9) : major === 2;
  let noDecode = true;
  if (major === 2) {
    if (pyd.settingsDeclared) {
      const high = pyd.settingsSpec ? specHigh(pyd.settingsSpec) : undefined;
      noDecode = !high || high[0] > 2 || (high[0] === 2 && high[1] >= 7);
    } else {
      noDecode = Number(pydanticSettingsRelease(pyd.pydanticSpec).floor.split('.')[1]) >= 7;
    }
  }
  const decl = declaredDependencies(ws, dir);
  const dotenvDeclared = decl.deps.has('python-dotenv');
  const hasEnvFile = ['.env', '.env.example', '.env.sample', '.env.template'].some((f) => ws.exists(joinPath(dir, f)) || ws.exists(f));
  const envFile = major === 2 ? hasEnvFile || dotenvDeclared : dotenvDeclared;
  return { major, pep604, pep585, noDecode, envFile, v1Module: sc?.baseModule === 'pydantic.v1' ? 'pydantic.v1' : 'pydantic' };
}

// ---------------------------------------------------------------- reads → fields

/** Field specs for env reads grouped by variable; `nameOf` maps an env var to the attribute name. */
export function specsFor(reads: EnvRead[], nameOf: (env: string) => string): FieldSpec[] {
  const byName = new Map<string, EnvRead[]>();
  for (const r of reads) byName.set(r.name, [...(byName.get(r.name) ?? []), r]);
  const out: FieldSpec[] = [];
  for (const [env, rs] of byName) out.push(specFor(env, rs, nameOf(env)));
  return out;
}

function specFor(env: string, rs: EnvRead[], name: string): FieldSpec {
  const typed = rs.find((r) => r.type !== 'str');
  let kind: FieldKind = typed ? typed.type : 'str';
  const separator = rs.find((r) => r.separator)?.separator;
  const withDefault = rs.find((r) => r.default?.value !== undefined && (r.type === kind || r.type === 'str'));
  const exprDefault = rs.some((r) => r.default && r.default.value === undefined);
  let dflt: FieldSpec['default'] = withDefault ? coerce(withDefault.default!.value!, kind, separator) : undefined;
  let optional = !withDefault && (exprDefault || rs.some((r) => r.optional));
  const signing = isSigningSecret(env);
  // A *_DSN may be a key=value DSN (`host=db dbname=app`): a default that is no URL says so.
  const notUrl = rs.some((r) => typeof r.default?.value === 'string' && r.default.value.trim() !== '' && !r.default.value.includes('://'));
  const url = (isUrlName(env) && !notUrl) || (typeof dflt === 'string' && dflt.includes('://'));
  let credentialDefault = false;
  if (kind === 'str' && isCredential(env)) {
    kind = 'secret';
    // A hard-coded credential is no default: only "unset" ("") survives, and never for signing keys.
    if (signing || (dflt !== undefined && dflt !== '')) {
      credentialDefault = dflt !== undefined && dflt !== '';
      dflt = undefined;
    }
  }
  // A default that carries a password (`postgresql://user:pass@host/db`) is a credential in the
  // code: it is not copied into the settings class, the variable becomes required instead.
  if (rs.some((r) => typeof r.default?.value === 'string' && holdsCredential(r.default.value))) {
    credentialDefault = true;
    dflt = undefined;
    optional = false;
  }
  if (dflt === undefined && kind === 'list' && optional) {
    dflt = [];
    optional = false;
  }
  if (kind === 'bool' && dflt === undefined && optional) {
    dflt = false;
    optional = false;
  }
  if (signing) optional = false;
  return {
    name, env, kind, optional, default: dflt, url: url && kind === 'str', signing, separator: kind === 'list' ? separator ?? ',' : undefined,
    ...(credentialDefault ? { credentialDefault } : {}),
  };
}

/**
 * A value that embeds a credential: a URL with a password in its user info (`scheme://user:pass@host`,
 * `redis://:pass@host`, also inside a comma-separated list), a password-like query parameter, or a
 * key=value DSN with `password=`.
 */
export function holdsCredential(value: string): boolean {
  for (const m of value.matchAll(/[A-Za-z][A-Za-z0-9+.-]*:\/\/([^\s,/?#]*)/g)) {
    const authority = m[1]!;
    const at = authority.lastIndexOf('@');
    if (at < 0) continue;
    const colon = authority.indexOf(':');
    if (colon >= 0 && colon < at - 1) return true;
  }
  if (/[?&;](?:password|passwd|pwd|secret|token|access_token|api_key|apikey)=[^&;\s]/i.test(value)) return true;
  return /(?:^|\s)(?:password|passwd)\s*=\s*\S/i.test(value);
}

function coerce(v: string | number | boolean, kind: FieldKind, sep?: string): FieldSpec['default'] {
  switch (kind) {
    case 'int':
    case 'float': {
      const n = typeof v === 'number' ? v : Number(String(v).trim());
      return Number.isFinite(n) ? n : undefined;
    }
    case 'bool':
      return typeof v === 'boolean' ? v : ['1', 'true', 'yes', 'on'].includes(String(v).trim().toLowerCase());
    case 'list':
      return typeof v === 'string' ? splitList(v, sep ?? ',') : undefined;
    default:
      return String(v);
  }
}

// ---------------------------------------------------------------- where a new settings module goes

const APP_FACTORIES = new Set(['FastAPI', 'Flask', 'Starlette', 'Quart', 'Sanic', 'Litestar']);

/** The file that creates the web app (`app = FastAPI()`), if any. */
export async function appFile(ws: Workspace, files: string[]): Promise<string | undefined> {
  for (const f of files) {
    const m = await python(ws, f);
    if (!m) continue;
    const names = new Set(importsOf(m).filter((i) => i.name && APP_FACTORIES.has(i.name)).map((i) => i.local));
    if (!names.size) continue;
    for (const c of m.root.descendantsOfType('call')) {
      const fn = c?.childForFieldName('function');
      if (fn?.type === 'identifier' && names.has(fn.text)) return f;
    }
  }
  return undefined;
}

/** Path for a new settings module: beside an existing config module, in core/, or next to the app. */
export async function newSettingsPath(ws: Workspace, ps: ProjectSettings): Promise<string> {
  const files = projectFiles(ws, ps.dir);
  const existingConfig = files.find((f) => /^(config|settings)\.py$/.test(basename(f)));
  let base: string;
  if (existingConfig) base = dirname(existingConfig);
  else {
    const app = await appFile(ws, files);
    const appDir = app ? dirname(app) : commonDir(ps.reads.map((r) => r.file)) ?? ps.dir;
    base = ws.filesUnder(joinPath(appDir, 'core')).some((f) => f.endsWith('.py')) ? joinPath(appDir, 'core') : appDir;
  }
  for (const name of ['config.py', 'settings.py', 'app_settings.py']) {
    const p = joinPath(base, name);
    if (!ws.exists(p)) return p;
  }
  return joinPath(base, 'env_settings.py');
}

function commonDir(files: string[]): string | undefined {
  if (!files.length) return undefined;
  let parts = dirname(files[0]!).split('/');
  for (const f of files.slice(1)) {
    const q = dirname(f).split('/');
    let i = 0;
    while (i < parts.length && i < q.length && parts[i] === q[i]) i++;
    parts = parts.slice(0, i);
  }
  return parts.join('/');
}

// ---------------------------------------------------------------- fields of an existing class

/** The kind of an existing field, from its annotation. */
export function kindOfField(f: SettingsField): { kind: FieldKind; optional: boolean } {
  const t = f.typeText.replace(/\s+/g, '');
  const optional = /Optional\[|\|None|None\|/.test(t) || f.valueNode?.type === 'none';
  if (/SecretStr/.test(t)) return { kind: 'secret', optional };
  if (/(^|[[|,])(list|List|Sequence|tuple|Tuple|set|Set)\b/.test(t)) return { kind: 'list', optional };
  if (/(^|[[|,])bool\b/.test(t)) return { kind: 'bool', optional };
  if (/(^|[[|,])int\b/.test(t)) return { kind: 'int', optional };
  if (/(^|[[|,])float\b/.test(t)) return { kind: 'float', optional };
  return { kind: 'str', optional };
}

/**
 * The expression that replaces a read's use once the variable is a settings field, and the span
 * it replaces; undefined when the field's type does not fit how the code uses the value.
 */
export function replacementFor(r: EnvRead, field: SettingsField, inst: string): { start: number; end: number; text: string } | undefined {
  const { kind, optional } = kindOfField(field);
  const ref = `${inst}.${field.name}`;
  if (r.truthiness) return { start: r.useStart, end: r.useEnd, text: ref };
  if (kind === 'str') return { start: r.start, end: r.end, text: ref };
  if (r.type === kind) return { start: r.useStart, end: r.useEnd, text: ref };
  if (r.type === 'str') {
    if (kind === 'secret') {
      return { start: r.start, end: r.end, text: optional ? `(${ref}.get_secret_value() if ${ref} is not None else None)` : `${ref}.get_secret_value()` };
    }
    if (kind === 'int' || kind === 'float') return { start: r.start, end: r.end, text: optional ? `(str(${ref}) if ${ref} is not None else None)` : `str(${ref})` };
  }
  return undefined;
}

export { fieldForEnv };
