// Generates pydantic settings code: a whole settings module, or the field lines and validators
// to add to an existing BaseSettings class. pydantic v2 + pydantic-settings, or v1 (BaseSettings in
// pydantic). Validators keep field types as declared (URLs stay `str`: pydantic v2's AnyUrl is not a
// str and changes how values compare and print).
import { pyString } from '../project/python.js';

export type FieldKind = 'str' | 'int' | 'float' | 'bool' | 'list' | 'secret';

export interface FieldSpec {
  /** Attribute name in the class. */
  name: string;
  /** The environment variable it reads (for comments and messages). */
  env: string;
  kind: FieldKind;
  /** `Optional[...] = None`. */
  optional: boolean;
  /** Literal default (undefined: required unless optional). */
  default?: string | number | boolean | string[];
  /** Validated as a URL. */
  url: boolean;
  /** A signing key: at least 32 characters, not a placeholder. */
  signing: boolean;
  /** Separator for list fields. */
  separator?: string;
  /** The code's default held a credential (a password in a URL, a secret): dropped, the field is required. */
  credentialDefault?: boolean;
}

export interface CodeStyle {
  major: 1 | 2;
  /** `str | None` and `list[str]` (Python ≥ 3.10) rather than Optional/Union from typing. */
  pep604: boolean;
  /** `list[str]` (Python ≥ 3.9) rather than typing.List. */
  pep585: boolean;
  /** pydantic-settings has NoDecode (≥ 2.7): list fields are `Annotated[list[str], NoDecode]`. */
  noDecode: boolean;
  /** Read a .env file too. */
  envFile: boolean;
  /** Module BaseSettings comes from in v1 code ('pydantic' or 'pydantic.v1'). */
  v1Module?: string;
}

/** Imports generated code needs: module → names. */
export class Imports {
  private map = new Map<string, Set<string>>();
  add(module: string, name: string): void {
    let s = this.map.get(module);
    if (!s) this.map.set(module, (s = new Set()));
    s.add(name);
  }
  entries(): [string, string[]][] {
    return [...this.map].map(([m, s]) => [m, [...s].sort(byName)] as [string, string[]]);
  }
  /** Import lines, standard library first, then third party, as isort would group them. */
  render(): string {
    const std = this.entries().filter(([m]) => m === 'typing' || m === '__future__').sort(([a], [b]) => (a < b ? -1 : 1));
    const other = this.entries().filter(([m]) => m !== 'typing' && m !== '__future__').sort(([a], [b]) => (a < b ? -1 : 1));
    const line = ([m, names]: [string, string[]]) => `from ${m} import ${names.join(', ')}`;
    return [std.map(line).join('\n'), other.map(line).join('\n')].filter(Boolean).join('\n\n');
  }
}

/** isort's order for names in one `from` import: CONSTANTS, Classes, functions, each alphabetical. */
export function byName(a: string, b: string): number {
  // isort's force_sort_within_sections-free default: CONSTANTS, Classes, functions.
  const rank = (s: string) => (s === s.toUpperCase() ? 0 : s[0] === s[0]!.toUpperCase() ? 1 : 2);
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

function pydanticModule(style: CodeStyle): string {
  return style.major === 2 ? 'pydantic' : style.v1Module ?? 'pydantic';
}

/** The annotation of a field. */
export function annotation(f: FieldSpec, style: CodeStyle, imp: Imports): string {
  const list = style.pep585 ? 'list[str]' : (imp.add('typing', 'List'), 'List[str]');
  let base: string;
  switch (f.kind) {
    case 'secret':
      imp.add(pydanticModule(style), 'SecretStr');
      base = 'SecretStr';
      break;
    case 'list':
      if (style.major === 2 && style.noDecode) {
        imp.add('typing', 'Annotated');
        imp.add('pydantic_settings', 'NoDecode');
        return `Annotated[${list}, NoDecode]`;
      }
      // The env source JSON-decodes list fields; a union with str lets a comma-separated value through
      // to the splitting validator (pydantic v1, and pydantic-settings before NoDecode).
      if (style.pep604) return `str | ${list}`;
      imp.add('typing', 'Union');
      return `Union[str, ${list}]`;
    default:
      base = f.kind;
  }
  if (!f.optional) return base;
  if (style.pep604) return `${base} | None`;
  imp.add('typing', 'Optional');
  return `Optional[${base}]`;
}

/** The default of a field (`= …` part without the `=`), or undefined for a required field. */
export function defaultText(f: FieldSpec, style: CodeStyle, imp: Imports): string | undefined {
  if (f.optional) return 'None';
  const d = f.default;
  if (d === undefined) return undefined;
  switch (f.kind) {
    case 'list': {
      const items = Array.isArray(d) ? d : typeof d === 'string' ? splitList(d, f.separator ?? ',') : [];
      return `[${items.map(pyString).join(', ')}]`;
    }
    case 'bool':
      return d === true || d === 'true' ? 'True' : 'False';
    case 'int':
      return String(typeof d === 'number' ? Math.trunc(d) : Number(d));
    case 'float': {
      const n = typeof d === 'number' ? d : Number(d);
      return Number.isInteger(n) ? `${n}.0` : String(n);
    }
    case 'secret':
      imp.add(pydanticModule(style), 'SecretStr');
      return `SecretStr(${pyString(String(d))})`;
    default:
      return pyString(String(d));
  }
}

export function splitList(s: string, sep: string): string[] {
  return s.split(sep).map((x) => x.trim()).filter((x) => x !== '');
}

/** `NAME: type = default` lines at an indentation. */
export function fieldLines(fields: FieldSpec[], style: CodeStyle, imp: Imports, indent: string): string {
  return fields.map((f) => {
    const d = defaultText(f, style, imp);
    return `${indent}${f.name}: ${annotation(f, style, imp)}${d === undefined ? '' : ` = ${d}`}\n`;
  }).join('');
}

const ENV_FIELDS = ['ENVIRONMENT', 'APP_ENV', 'ENV', 'APP_ENVIRONMENT', 'DEPLOY_ENV', 'STAGE'];
const ORIGIN_FIELDS = ['ALLOWED_ORIGINS', 'CORS_ORIGINS', 'BACKEND_CORS_ORIGINS', 'CORS_ALLOWED_ORIGINS'];

/** The production guard's inputs, when the fields have them. */
export function productionGuardFields(names: string[]): { env: string; debug?: string; origins?: string } | undefined {
  const find = (cands: string[]) => names.find((n) => cands.includes(n.toUpperCase()));
  const env = find(ENV_FIELDS);
  if (!env) return undefined;
  const debug = find(['DEBUG']);
  const origins = find(ORIGIN_FIELDS);
  if (!debug && !origins) return undefined;
  return { env, debug, origins };
}

export interface ValidatorNeeds {
  /** Signing-secret fields, with whether each is a SecretStr. */
  secrets: { name: string; secretStr: boolean }[];
  urls: string[];
  /** Some URL field may be None (default: assume so). */
  urlsOptional?: boolean;
  lists: { name: string; separator: string }[];
  production?: { env: string; debug?: string; origins?: string; originsIsList: boolean };
  className: string;
  /** Names already defined in the class body (generated methods must not shadow them). */
  taken?: Set<string>;
}

/** A method name for a validator: per field when it checks one, unique in the class. */
function methodName(single: string, multi: string, fields: string[], taken: Set<string>): string {
  const base = fields.length === 1 ? `${single}_${fields[0]!.toLowerCase()}` : multi;
  let name = base;
  for (let k = 2; taken.has(name); k++) name = `${base}_${k}`;
  taken.add(name);
  return name;
}

/** Validator methods (each preceded by a blank line), at a class-body indentation. */
export function validatorBlocks(n: ValidatorNeeds, style: CodeStyle, imp: Imports, indent: string): string {
  const i1 = indent;
  const i2 = indent + indent;
  const i3 = indent + indent + indent;
  const i4 = i3 + indent;
  const out: string[] = [];
  const pm = pydanticModule(style);
  const names = (xs: string[]) => xs.map(pyString).join(', ');
  const v2 = style.major === 2;
  const taken = new Set(n.taken ?? []);
  if (v2) {
    if (n.secrets.length || n.urls.length) imp.add('pydantic', 'ValidationInfo');
  }
  if (n.lists.length) {
    const bySep = new Map<string, string[]>();
    for (const l of n.lists) bySep.set(l.separator, [...(bySep.get(l.separator) ?? []), l.name]);
    for (const [sep, fields] of bySep) {
      const fn = methodName('_split', sep === ',' ? '_split_comma_separated' : '_split_separated', fields, taken);
      const body = [
        `${i2}if isinstance(value, str):\n`,
        `${i3}return [item.strip() for item in value.split(${pyString(sep)}) if item.strip()]\n`,
        `${i2}return value\n`,
      ].join('');
      if (v2) {
        imp.add('pydantic', 'field_validator');
        out.push(`\n${i1}@field_validator(${names(fields)}, mode="before")\n${i1}@classmethod\n${i1}def ${fn}(cls, value: object) -> object:\n${body}`);
      } else {
        imp.add(pm, 'validator');
        out.push(`\n${i1}@validator(${names(fields)}, pre=True)\n${i1}def ${fn}(cls, value):\n${body}`);
      }
    }
  }
  if (n.secrets.length) {
    const allSecret = n.secrets.every((s) => s.secretStr);
    const noneSecret = n.secrets.every((s) => !s.secretStr);
    const read = allSecret ? 'value.get_secret_value()' : noneSecret ? 'value' : 'value.get_secret_value() if isinstance(value, SecretStr) else value';
    if (!noneSecret) imp.add(pm, 'SecretStr');
    const type = allSecret ? 'SecretStr' : noneSecret ? 'str' : 'SecretStr | str';
    const nameExpr = v2 ? 'info.field_name' : 'field.name';
    const secretFn = methodName('_validate', '_require_strong_secrets', n.secrets.map((s) => s.name), taken);
    const body = [
      `${i2}secret = ${read}\n`,
      `${i2}placeholders = ("change", "placeholder", "insecure", "example", "your-")\n`,
      `${i2}if len(secret) < 32 or any(word in secret.lower() for word in placeholders):\n`,
      `${i3}raise ValueError(f"{${nameExpr}} must be at least 32 random characters, not a placeholder")\n`,
      `${i2}return value\n`,
    ].join('');
    if (v2) {
      imp.add('pydantic', 'field_validator');
      const t = type === 'SecretStr | str' ? (style.pep604 ? type : (imp.add('typing', 'Union'), 'Union[SecretStr, str]')) : type;
      out.push(`\n${i1}@field_validator(${names(n.secrets.map((s) => s.name))})\n${i1}@classmethod\n${i1}def ${secretFn}(cls, value: ${t}, info: ValidationInfo) -> ${t}:\n${body}`);
    } else {
      imp.add(pm, 'validator');
      out.push(`\n${i1}@validator(${names(n.secrets.map((s) => s.name))})\n${i1}def ${secretFn}(cls, value, field):\n${body}`);
    }
  }
  if (n.urls.length) {
    const nameExpr = v2 ? 'info.field_name' : 'field.name';
    const urlFn = methodName('_validate', '_require_urls', n.urls, taken);
    const body = [
      `${i2}if value:\n`,
      `${i3}scheme, separator, rest = value.partition("://")\n`,
      `${i3}if not (scheme and separator and rest):\n`,
      `${i4}raise ValueError(f"{${nameExpr}} must be a URL of the form scheme://host")\n`,
      `${i2}return value\n`,
    ].join('');
    if (v2) {
      imp.add('pydantic', 'field_validator');
      const t = n.urlsOptional === false ? 'str' : style.pep604 ? 'str | None' : (imp.add('typing', 'Optional'), 'Optional[str]');
      out.push(`\n${i1}@field_validator(${names(n.urls)})\n${i1}@classmethod\n${i1}def ${urlFn}(cls, value: ${t}, info: ValidationInfo) -> ${t}:\n${body}`);
    } else {
      imp.add(pm, 'validator');
      out.push(`\n${i1}@validator(${names(n.urls)})\n${i1}def ${urlFn}(cls, value, field):\n${body}`);
    }
  }
  if (n.production) {
    const p = n.production;
    const lines: string[] = [];
    const get = (f: string) => (v2 ? `self.${f}` : `values.get(${pyString(f)})`);
    const envExpr = v2 ? `self.${p.env}.lower()` : `str(values.get(${pyString(p.env)}, "")).lower()`;
    lines.push(`${i2}if ${envExpr} in ("production", "prod"):\n`);
    if (p.debug) {
      lines.push(`${i3}if ${get(p.debug)}:\n${i4}raise ValueError("${p.debug} must be false when ${p.env} is production")\n`);
    }
    if (p.origins) {
      const origins = v2 ? `self.${p.origins}` : `(values.get(${pyString(p.origins)}) or [])`;
      const test = p.originsIsList ? `"*" in ${origins}` : `"*" in str(${get(p.origins)})`;
      lines.push(`${i3}if ${test}:\n${i4}raise ValueError("${p.origins} must list explicit origins, not *, when ${p.env} is production")\n`);
    }
    if (v2) {
      imp.add('pydantic', 'model_validator');
      out.push(`\n${i1}@model_validator(mode="after")\n${i1}def ${methodName('', '_require_safe_production', [], taken)}(self) -> "${n.className}":\n${lines.join('')}${i2}return self\n`);
    } else {
      imp.add(pm, 'root_validator');
      out.push(`\n${i1}@root_validator(skip_on_failure=True)\n${i1}def ${methodName('', '_require_safe_production', [], taken)}(cls, values):\n${lines.join('')}${i2}return values\n`);
    }
  }
  return out.join('');
}

/** Validators a set of new fields needs. */
export function needsOf(fields: FieldSpec[], className: string): ValidatorNeeds {
  return {
    className,
    secrets: fields.filter((f) => f.signing).map((f) => ({ name: f.name, secretStr: f.kind === 'secret' })),
    urls: fields.filter((f) => f.url && (f.kind === 'str')).map((f) => f.name),
    urlsOptional: fields.some((f) => f.url && f.kind === 'str' && f.optional),
    lists: fields.filter((f) => f.kind === 'list').map((f) => ({ name: f.name, separator: f.separator ?? ',' })),
  };
}

/** A whole settings module. */
export function settingsModule(fields: FieldSpec[], style: CodeStyle): string {
  const imp = new Imports();
  const indent = '    ';
  const v2 = style.major === 2;
  if (v2) {
    imp.add('pydantic_settings', 'BaseSettings');
    imp.add('pydantic_settings', 'SettingsConfigDict');
  } else imp.add(pydanticModule(style), 'BaseSettings');
  const sorted = [...fields].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const body = fieldLines(sorted, style, imp, indent);
  const needs = needsOf(sorted, 'Settings');
  const guard = productionGuardFields(sorted.map((f) => f.name));
  if (guard) needs.production = { ...guard, originsIsList: !!guard.origins && sorted.find((f) => f.name === guard.origins)?.kind === 'list' };
  const validators = validatorBlocks(needs, style, imp, indent);
  let config = '';
  if (v2) {
    config = `${indent}model_config = SettingsConfigDict(${style.envFile ? 'env_file=".env", ' : ''}extra="ignore")\n\n`;
  }
  let v1Config = '';
  if (!v2 && style.envFile) v1Config = `\n${indent}class Config:\n${indent}${indent}env_file = ".env"\n`;
  return [
    '"""Application settings: every environment variable the app reads, typed and validated once.\n\n',
    'Importing this module fails at startup with one error that names each missing or invalid\n',
    'variable, instead of failing later, at the first request that needs it.\n"""\n',
    imp.render(),
    '\n\n\n',
    'class Settings(BaseSettings):\n',
    config,
    body,
    v1Config,
    validators,
    '\n\nsettings = Settings()\n',
  ].join('');
}
