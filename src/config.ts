// .shipshape.yml: per-rule on/off, severity and options, and path ignores. Every unknown key or bad
// value is an error naming the key's path, as ESLint and Ruff report configuration errors.
import fs from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';
import { parseDocument } from 'yaml';
import { SEVERITIES, type Finding, type Rule, type RuleOptions, type Severity } from './types.js';
import { areaOf } from './rule.js';

export const CONFIG_FILE = '.shipshape.yml';

export interface Config {
  file?: string;
  /** Rules turned off. */
  disabled: string[];
  severity: Record<string, Severity>;
  options: Record<string, RuleOptions>;
  /** Globs (gitignore syntax) never scanned. */
  ignore: string[];
  /** Per-rule globs: findings of that rule in matching files are dropped. */
  ruleIgnore: Record<string, string[]>;
  maxFileSize?: number;
}

export class ConfigError extends Error {}

export function emptyConfig(): Config {
  return { disabled: [], severity: {}, options: {}, ignore: [], ruleIgnore: {} };
}

/** Load the config: an explicit file, or .shipshape.yml in root when present. */
export function loadConfig(root: string, explicit: string | undefined, rules: Rule[]): Config {
  const file = explicit ? path.resolve(explicit) : path.join(root, CONFIG_FILE);
  if (!fs.existsSync(file)) {
    if (explicit) throw new ConfigError(`${explicit}: config file does not exist`);
    return emptyConfig();
  }
  const text = fs.readFileSync(file, 'utf8');
  const shown = explicit ?? CONFIG_FILE;
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length) throw new ConfigError(`${shown}: invalid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
  return parseConfig(doc.toJS({ maxAliasCount: 50 }), rules, shown);
}

export function parseConfig(raw: unknown, rules: Rule[], shown = CONFIG_FILE): Config {
  const cfg = emptyConfig();
  cfg.file = shown;
  const fail = (key: string, msg: string): never => {
    throw new ConfigError(`${shown}: ${key}: ${msg}`);
  };
  if (raw === null || raw === undefined) return cfg;
  if (!isObject(raw)) return fail('(top level)', 'expected a mapping');
  const byId = new Map(rules.map((r) => [r.id, r]));
  const areas = new Set(rules.map((r) => areaOf(r.id)));
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'rules') {
      if (value === null) continue;
      if (!isObject(value)) fail('rules', 'expected a mapping of rule ids');
      for (const [id, setting] of Object.entries(value as object)) {
        const targets = byId.has(id) ? [byId.get(id)!] : areas.has(id) ? rules.filter((r) => areaOf(r.id) === id) : fail(`rules.${id}`, 'unknown rule or area (see `shipshape rules`)');
        for (const rule of targets) applyRuleSetting(cfg, rule, setting, `rules.${id}`, fail, targets.length > 1);
      }
    } else if (key === 'ignore') {
      cfg.ignore = stringList(value, 'ignore', fail);
    } else if (key === 'maxFileSize') {
      if (!Number.isInteger(value) || (value as number) <= 0) fail('maxFileSize', 'expected a positive number of bytes');
      cfg.maxFileSize = value as number;
    } else {
      fail(key, 'unknown key (expected rules, ignore, maxFileSize)');
    }
  }
  return cfg;
}

function applyRuleSetting(cfg: Config, rule: Rule, setting: unknown, key: string, fail: (k: string, m: string) => never, isArea: boolean): void {
  const setLevel = (v: unknown, k: string) => {
    if (v === 'off' || v === false) cfg.disabled.push(rule.id);
    else if (v === 'on' || v === true) cfg.disabled = cfg.disabled.filter((d) => d !== rule.id);
    else if (typeof v === 'string' && (SEVERITIES as readonly string[]).includes(v)) cfg.severity[rule.id] = v as Severity;
    else fail(k, `expected off, on or a severity (${SEVERITIES.join(', ')}), not ${JSON.stringify(v)}`);
  };
  if (!isObject(setting)) {
    setLevel(setting, key);
    return;
  }
  const defaults = rule.defaults ?? {};
  for (const [opt, v] of Object.entries(setting as Record<string, unknown>)) {
    const k = `${key}.${opt}`;
    if (opt === 'severity' || opt === 'level') setLevel(v, k);
    else if (opt === 'ignore') cfg.ruleIgnore[rule.id] = stringList(v, k, fail);
    else if (isArea) fail(k, 'options are set per rule, not per area');
    else if (!(opt in defaults)) {
      const known = Object.keys(defaults);
      fail(k, `unknown option for ${rule.id}${known.length ? ` (known: ${known.join(', ')})` : ' (it has no options)'}`);
    } else {
      checkType(defaults[opt], v, k, fail);
      (cfg.options[rule.id] ??= {})[opt] = v;
    }
  }
}

function checkType(def: unknown, v: unknown, k: string, fail: (k: string, m: string) => never): void {
  const kind = (x: unknown) => (Array.isArray(x) ? 'list' : x === null ? 'null' : typeof x === 'object' ? 'mapping' : typeof x);
  if (def === undefined || def === null) return;
  if (kind(def) !== kind(v)) fail(k, `expected a ${kind(def)}, not ${JSON.stringify(v)}`);
  if (kind(def) === 'mapping') {
    for (const [sub, sv] of Object.entries(v as object)) {
      if (!(sub in (def as object))) fail(`${k}.${sub}`, `unknown key (known: ${Object.keys(def as object).join(', ')})`);
      checkType((def as Record<string, unknown>)[sub], sv, `${k}.${sub}`, fail);
    }
  }
}

function stringList(v: unknown, k: string, fail: (k: string, m: string) => never): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) fail(k, 'expected a list of glob strings');
  return v as string[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A filter dropping findings in files a rule's `ignore` globs match. */
export function ruleIgnoreFilter(cfg: Config): ((f: Finding) => boolean) | undefined {
  const entries = Object.entries(cfg.ruleIgnore);
  if (!entries.length) return undefined;
  const matchers = new Map(entries.map(([id, globs]) => [id, picomatch(globs, { dot: true })]));
  return (f) => !(matchers.get(f.rule)?.(f.file) ?? false);
}

/** The commented starter file `shipshape init` writes. */
export function starterConfig(rules: Pick<Rule, 'id' | 'title' | 'severity' | 'safety' | 'defaults'>[]): string {
  const lines = [
    '# shipshape configuration (see README.md, "Configuration")',
    '#',
    '# rules: each rule id (or area, e.g. "dockerfile") maps to off, on, a severity',
    '# (critical, high, medium, low), or a mapping with severity, ignore (globs) and the rule\'s options.',
    '# Inline suppression, on the line before the finding, with a reason:',
    '#   # shipshape-ignore dockerfile/non-root-user: the vendor entrypoint needs root',
    '',
    '# Paths never scanned (gitignore syntax), in addition to .gitignore:',
    'ignore: []',
    '',
    'rules:',
  ];
  for (const r of rules) {
    lines.push(`  # ${r.id}: ${r.title} (${r.severity}, fix: ${r.safety})`);
    const opts = Object.entries(r.defaults ?? {});
    if (opts.length) {
      lines.push(`  # ${r.id}:`);
      for (const [k, v] of opts) lines.push(`  #   ${k}: ${JSON.stringify(v)}`);
    } else {
      lines.push(`  # ${r.id}: on`);
    }
  }
  return lines.join('\n') + '\n';
}
