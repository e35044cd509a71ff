// Python manifests: what a project declares (requirements*.txt, pyproject.toml in PEP 621 or Poetry
// form), in which style, and where a new dependency goes. Reading uses smol-toml for values and
// the offset scanner in toml-scan.ts for positions; edits are single splices, re-parsed before use.
import { parse as parseToml } from 'smol-toml';
import type { Workspace } from '../workspace.js';
import type { ModifyEdit } from '../types.js';
import { basename, dirname, joinPath } from '../classify.js';
import { lineEndAfter } from '../text.js';
import { arrayItems, scanToml, tomlStringValue, type TomlEntry } from './toml-scan.js';
import { KNOWN_VERSIONS, PYDANTIC_SETTINGS_RELEASES, normalizeDist } from './python-dists.js';

export interface Requirement {
  /** Distribution name as written, and normalised (PEP 503). */
  name: string;
  norm: string;
  /** Version specifier as written (e.g. "==2.5.0", ">=2,<3"), '' when none. */
  spec: string;
  file: string;
  /** Offsets of the requirement in its file (the whole line for requirements files). */
  start: number;
  end: number;
}

export type VersionStyle = 'pin' | 'floor' | 'compat' | 'caret' | 'bare';

export interface ManifestTarget {
  kind: 'requirements' | 'pep621' | 'poetry';
  file: string;
  style: VersionStyle;
  /** Existing dependencies in the order written. */
  deps: Requirement[];
}

const REQ_NAME = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(\[[^\]]*\])?\s*([^;#]*)/;
const PRIMARY_REQUIREMENTS = ['requirements.txt', 'requirements/base.txt', 'requirements/prod.txt', 'requirements/production.txt', 'requirements/common.txt', 'requirements/main.txt'];

/** Parse one PEP 508 requirement string (or requirements line); undefined for options and URLs. */
export function parseRequirement(s: string): { name: string; extras: string; spec: string } | undefined {
  const t = s.trim();
  if (!t || t.startsWith('-') || t.startsWith('#') || /^[a-z+]+:\/\//i.test(t)) return undefined;
  const m = REQ_NAME.exec(t);
  if (!m) return undefined;
  const rest = m[3]!.trim();
  if (rest.startsWith('@')) return { name: m[1]!, extras: m[2] ?? '', spec: '' };
  return { name: m[1]!, extras: m[2] ?? '', spec: rest.replace(/\s+/g, '') };
}

export function requirementsFileDeps(ws: Workspace, file: string): Requirement[] {
  const text = ws.text(file);
  if (text === undefined) return [];
  const out: Requirement[] = [];
  let pos = 0;
  for (const line of text.split('\n')) {
    const start = pos;
    pos += line.length + 1;
    const code = line.replace(/(^|\s)#.*$/, '');
    const r = parseRequirement(code);
    if (r) out.push({ name: r.name, norm: normalizeDist(r.name), spec: r.spec, file, start, end: start + line.length });
  }
  return out;
}

/** `-r other.txt` includes of a requirements file (resolved paths). */
function requirementIncludes(ws: Workspace, file: string): string[] {
  const text = ws.text(file) ?? '';
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(?:-r|--requirement|-c|--constraint)[\s=]+(\S+)/.exec(line);
    if (m) out.push(joinPath(dirname(file), m[1]!));
  }
  return out;
}

interface PyprojectInfo {
  file: string;
  text: string;
  data: Record<string, unknown>;
}

function pyproject(ws: Workspace, dir: string): PyprojectInfo | undefined {
  const file = joinPath(dir, 'pyproject.toml');
  if (!ws.exists(file)) return undefined;
  const text = ws.text(file);
  if (text === undefined) return undefined;
  try {
    return { file, text, data: parseToml(text) as Record<string, unknown> };
  } catch {
    return undefined;
  }
}

function get(obj: unknown, ...keys: string[]): unknown {
  let cur = obj;
  for (const k of keys) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

/** Requirement strings of every dependency list a pyproject declares (runtime, optional, groups). */
function pyprojectRequirementStrings(data: Record<string, unknown>): string[] {
  const out: string[] = [];
  const strings = (v: unknown) => {
    if (Array.isArray(v)) for (const s of v) if (typeof s === 'string') out.push(s);
  };
  strings(get(data, 'project', 'dependencies'));
  for (const v of Object.values((get(data, 'project', 'optional-dependencies') as Record<string, unknown>) ?? {})) strings(v);
  for (const v of Object.values((get(data, 'dependency-groups') as Record<string, unknown>) ?? {})) strings(v);
  strings(get(data, 'tool', 'uv', 'dev-dependencies'));
  for (const v of Object.values((get(data, 'tool', 'pdm', 'dev-dependencies') as Record<string, unknown>) ?? {})) strings(v);
  const poetryTables: unknown[] = [get(data, 'tool', 'poetry', 'dependencies'), get(data, 'tool', 'poetry', 'dev-dependencies')];
  for (const g of Object.values((get(data, 'tool', 'poetry', 'group') as Record<string, unknown>) ?? {})) poetryTables.push(get(g, 'dependencies'));
  for (const t of poetryTables) {
    if (t && typeof t === 'object') {
      for (const [name, v] of Object.entries(t as Record<string, unknown>)) {
        if (name === 'python') continue;
        const spec = typeof v === 'string' ? v : typeof get(v, 'version') === 'string' ? (get(v, 'version') as string) : '';
        out.push(`${name} ${spec === '*' ? '' : spec}`.trim());
      }
    }
  }
  return out;
}

export interface Declared {
  /** Normalised name → requirement. */
  deps: Map<string, Requirement>;
  /** Manifest files read. */
  files: string[];
  /** A manifest the scanner cannot read is present (setup.py, setup.cfg, Pipfile, a broken pyproject). */
  incomplete: boolean;
}

/** Every dependency a Python project (directory) declares, in any manifest it has. */
export function declaredDependencies(ws: Workspace, dir: string): Declared {
  const deps = new Map<string, Requirement>();
  const files: string[] = [];
  let incomplete = false;
  const add = (r: Requirement) => {
    if (!deps.has(r.norm)) deps.set(r.norm, r);
  };
  const reqFiles = [
    ...ws.filesIn(dir).filter((f) => /^requirements/.test(basename(f))),
    ...ws.filesIn(joinPath(dir, 'requirements')),
  ].filter((f) => f.endsWith('.txt')).sort();
  const queue = [...reqFiles];
  const seen = new Set<string>();
  while (queue.length) {
    const f = queue.shift()!;
    if (seen.has(f) || !ws.exists(f)) continue;
    seen.add(f);
    files.push(f);
    for (const r of requirementsFileDeps(ws, f)) add(r);
    queue.push(...requirementIncludes(ws, f));
  }
  const ppFile = joinPath(dir, 'pyproject.toml');
  if (ws.exists(ppFile)) {
    const pp = pyproject(ws, dir);
    if (!pp) incomplete = true;
    else {
      files.push(pp.file);
      for (const s of pyprojectRequirementStrings(pp.data)) {
        const r = parseRequirement(s);
        if (r) add({ name: r.name, norm: normalizeDist(r.name), spec: r.spec, file: pp.file, start: 0, end: 0 });
      }
    }
  }
  for (const other of ['setup.py', 'setup.cfg', 'Pipfile']) if (ws.exists(joinPath(dir, other))) incomplete = true;
  return { deps, files, incomplete };
}

/** Whether a directory has a manifest of its own (it is a Python project root). */
export function hasManifest(ws: Workspace, dir: string): boolean {
  for (const f of ['pyproject.toml', 'setup.py', 'setup.cfg', 'Pipfile']) if (ws.exists(joinPath(dir, f))) return true;
  return ws.filesIn(dir).some((f) => /^requirements[^/]*\.txt$/.test(basename(f))) ||
    ws.filesIn(joinPath(dir, 'requirements')).some((f) => f.endsWith('.txt'));
}

function styleOf(specs: string[]): VersionStyle {
  const count = { pin: 0, floor: 0, compat: 0, caret: 0, bare: 0 };
  for (const s of specs) {
    if (!s || s === '*') count.bare++;
    else if (s.startsWith('==') || /^\d/.test(s)) count.pin++;
    else if (s.startsWith('~=')) count.compat++;
    else if (s.startsWith('^') || s.startsWith('~')) count.caret++;
    else count.floor++;
  }
  let best: VersionStyle = 'bare';
  let n = 0;
  for (const k of ['pin', 'floor', 'compat', 'caret', 'bare'] as const) {
    if (count[k] > n) {
      best = k;
      n = count[k];
    }
  }
  return best;
}

/** The manifest a new dependency of this project should go into, in its style. */
export function manifestTarget(ws: Workspace, dir: string): ManifestTarget | undefined {
  const pp = pyproject(ws, dir);
  const scan = pp ? scanToml(pp.text) : undefined;
  if (pp && scan) {
    const depsEntry = scan.entries.find((e) => e.table === 'project' && e.key === 'dependencies');
    if (depsEntry && pp.text[depsEntry.valueStart] === '[') {
      const arr = arrayItems(pp.text, depsEntry.valueStart);
      if (arr) {
        const deps: Requirement[] = [];
        for (const it of arr.items) {
          const v = tomlStringValue(pp.text.slice(it.start, it.end));
          const r = v === undefined ? undefined : parseRequirement(v);
          if (r) deps.push({ name: r.name, norm: normalizeDist(r.name), spec: r.spec, file: pp.file, start: it.start, end: it.end });
        }
        return { kind: 'pep621', file: pp.file, style: styleOf(deps.map((d) => d.spec)), deps };
      }
    }
    const poetry = scan.entries.filter((e) => e.table === 'tool.poetry.dependencies');
    if (poetry.length) {
      const deps: Requirement[] = [];
      for (const e of poetry) {
        if (e.key === 'python') continue;
        const raw = pp.text.slice(e.valueStart, e.valueEnd);
        const v = tomlStringValue(raw);
        deps.push({ name: e.key, norm: normalizeDist(e.key), spec: v ?? '', file: pp.file, start: e.lineStart, end: e.valueEnd });
      }
      return { kind: 'poetry', file: pp.file, style: styleOf(deps.map((d) => d.spec)), deps };
    }
  }
  const req = PRIMARY_REQUIREMENTS.map((f) => joinPath(dir, f)).find((f) => ws.exists(f)) ??
    ws.filesIn(dir).find((f) => /^requirements[^/]*\.txt$/.test(basename(f)) && !/dev|test|lint|doc/i.test(basename(f)));
  if (req) {
    const deps = requirementsFileDeps(ws, req);
    return { kind: 'requirements', file: req, style: styleOf(deps.map((d) => d.spec)), deps };
  }
  return undefined;
}

/** Major.minor of the lowest pydantic version a specifier allows (e.g. "==2.5.0" → [2, 5]). */
export function specLow(spec: string): [number, number] | undefined {
  const m = /(?:==|>=|~=|\^|~|^)\s*(\d+)(?:\.(\d+))?/.exec(spec);
  if (!m) return undefined;
  return [Number(m[1]), Number(m[2] ?? 0)];
}

/** Major.minor of an upper bound (`<2`, `<2.7`, or a pin), if any. */
export function specHigh(spec: string): [number, number] | undefined {
  const pin = /^(?:==)?(\d+)(?:\.(\d+))?/.exec(spec);
  if (pin && (spec.startsWith('==') || /^\d/.test(spec))) return [Number(pin[1]), Number(pin[2] ?? 0)];
  const lt = /<=?\s*(\d+)(?:\.(\d+))?/.exec(spec);
  return lt ? [Number(lt[1]), Number(lt[2] ?? 0)] : undefined;
}

function cmp(a: [number, number], b: [number, number]): number {
  return a[0] - b[0] || a[1] - b[1];
}

/**
 * The pydantic-settings version to declare next to a project's pydantic requirement: the newest
 * release whose pydantic floor the project's pydantic allows.
 */
export function pydanticSettingsRelease(pydanticSpec: string | undefined): { version: string; floor: string } {
  const high = pydanticSpec ? specHigh(pydanticSpec) : undefined;
  const strictHigh = pydanticSpec !== undefined && /<[^=]/.test(pydanticSpec);
  for (const r of PYDANTIC_SETTINGS_RELEASES) {
    if (!high || cmp(r.minPydantic, high) < 0 || (!strictHigh && cmp(r.minPydantic, high) <= 0)) {
      return { version: r.version, floor: r.version.split('.').slice(0, 2).join('.') };
    }
  }
  const last = PYDANTIC_SETTINGS_RELEASES[PYDANTIC_SETTINGS_RELEASES.length - 1]!;
  return { version: last.version, floor: last.version.split('.').slice(0, 2).join('.') };
}

/** The specifier for a new dependency in a manifest's style ('' when no version is known). */
export function specFor(style: VersionStyle, version: { floor: string; pin: string } | undefined, kind: ManifestTarget['kind']): string {
  if (!version) return kind === 'poetry' ? '*' : '';
  const compat = version.floor.includes('.') ? version.floor : `${version.floor}.0`;
  if (kind === 'poetry') {
    if (style === 'pin') return version.pin;
    if (style === 'floor') return `>=${version.floor}`;
    if (style === 'bare') return '*';
    return `^${version.floor}`;
  }
  switch (style) {
    case 'pin':
      return `==${version.pin}`;
    case 'compat':
      return `~=${compat}`;
    case 'bare':
      return '';
    default:
      return `>=${version.floor}`;
  }
}

export function knownVersion(dist: string): { floor: string; pin: string } | undefined {
  return KNOWN_VERSIONS[normalizeDist(dist)];
}

/**
 * The edit that declares `dist` (with `spec`) in a manifest: after the entry named `after` when
 * present, else at its sorted place when the entries are sorted, else last. Undefined when the
 * manifest cannot be edited safely (the edited pyproject must still parse and declare the name).
 */
export function declareEdit(ws: Workspace, target: ManifestTarget, dist: string, spec: string, after?: string): ModifyEdit | undefined {
  const text = ws.text(target.file);
  if (text === undefined) return undefined;
  const norm = normalizeDist(dist);
  if (target.deps.some((d) => d.norm === norm)) return undefined;
  const anchor = placeAfter(target.deps, norm, after);
  let edit: ModifyEdit | undefined;
  if (target.kind === 'requirements') {
    const line = `${dist}${spec}`;
    if (anchor === 'first') {
      const first = target.deps[0]!;
      edit = { file: target.file, start: first.start, end: first.start, text: `${line}\n` };
    } else if (anchor) {
      const at = lineEndAfter(text, anchor.end);
      edit = { file: target.file, start: at, end: at, text: at === text.length && !text.endsWith('\n') ? `\n${line}\n` : `${line}\n` };
    } else {
      edit = { file: target.file, start: text.length, end: text.length, text: text.length && !text.endsWith('\n') ? `\n${line}\n` : `${line}\n` };
    }
    return edit;
  }
  if (target.kind === 'pep621') {
    const scan = scanToml(text);
    const entry = scan?.entries.find((e) => e.table === 'project' && e.key === 'dependencies');
    if (!entry) return undefined;
    edit = arrayInsert(text, target.file, entry, `${dist}${spec}`, anchor);
  } else {
    const scan = scanToml(text);
    const entries = scan?.entries.filter((e) => e.table === 'tool.poetry.dependencies') ?? [];
    if (!entries.length) return undefined;
    const q = quoteOf(text, entries);
    const key = /^[A-Za-z0-9_-]+$/.test(dist) ? dist : `"${dist}"`;
    const line = `${key} = ${q}${spec}${q}\n`;
    if (anchor === 'first') {
      const first = entries.find((e) => e.key !== 'python')!;
      edit = { file: target.file, start: first.lineStart, end: first.lineStart, text: line };
    } else {
      const entryAfter = anchor ? entries.find((e) => e.valueEnd === anchor.end) : entries[entries.length - 1];
      if (!entryAfter) return undefined;
      const at = entryAfter.lineEnd;
      edit = { file: target.file, start: at, end: at, text: at === text.length && !text.endsWith('\n') ? `\n${line}` : line };
    }
  }
  if (!edit) return undefined;
  // Prove the edit took: the new text parses and declares the distribution.
  const next = text.slice(0, edit.start) + edit.text + text.slice(edit.end);
  try {
    const data = parseToml(next) as Record<string, unknown>;
    const names = pyprojectRequirementStrings(data).map((s) => parseRequirement(s)?.name).filter((x): x is string => !!x);
    if (!names.some((n) => normalizeDist(n) === norm)) return undefined;
  } catch {
    return undefined;
  }
  return edit;
}

function quoteOf(text: string, entries: TomlEntry[]): string {
  for (const e of entries) {
    const c = text[e.valueStart];
    if (c === '"' || c === "'") return c;
  }
  return '"';
}

/** Where a new name goes among existing entries: after one of them, 'first', or undefined = last. */
function placeAfter(deps: Requirement[], norm: string, after?: string): Requirement | 'first' | undefined {
  if (after) {
    const a = deps.find((d) => d.norm === normalizeDist(after));
    if (a) return a;
  }
  const names = deps.map((d) => d.norm);
  const sorted = names.length > 1 && names.every((n, i) => i === 0 || names[i - 1]! <= n);
  if (sorted) {
    let prev: Requirement | undefined;
    for (const d of deps) {
      if (d.norm > norm) return prev ?? 'first';
      prev = d;
    }
  }
  return undefined;
}

function arrayInsert(text: string, file: string, entry: TomlEntry, requirement: string, anchor: Requirement | 'first' | undefined): ModifyEdit | undefined {
  const arr = arrayItems(text, entry.valueStart);
  if (!arr) return undefined;
  const { items, close } = arr;
  const firstTok = items[0] ? text.slice(items[0].start, items[0].end) : '"';
  const q = firstTok.startsWith("'") ? "'" : '"';
  const item = `${q}${requirement}${q}`;
  if (items.length === 0) return { file, start: entry.valueStart, end: close + 1, text: `[${item}]` };
  const ownLines = text.slice(entry.valueStart, close).includes('\n') &&
    items.every((it) => /^[ \t]*$/.test(text.slice(text.lastIndexOf('\n', it.start - 1) + 1, it.start)));
  const idx = anchor === 'first' ? -1 : anchor ? items.findIndex((it) => it.start === anchor.start) : items.length - 1;
  if (anchor && anchor !== 'first' && idx === -1) return undefined;
  if (ownLines) {
    const ref = items[Math.max(idx, 0)]!;
    const indent = text.slice(text.lastIndexOf('\n', ref.start - 1) + 1, ref.start);
    const last = items[items.length - 1]!;
    const trailingComma = last.comma !== undefined;
    if (idx === -1) {
      const lineStart = text.lastIndexOf('\n', ref.start - 1) + 1;
      return { file, start: lineStart, end: lineStart, text: `${indent}${item},\n` };
    }
    const it = items[idx]!;
    const isLast = idx === items.length - 1;
    if (isLast && !trailingComma) {
      // "a"\n]  →  "a",\n    "b"\n]
      return { file, start: it.end, end: it.end, text: `,\n${indent}${item}` };
    }
    const at = lineEndAfter(text, it.comma ?? it.end);
    if (at > close) return undefined;
    return { file, start: at, end: at, text: `${indent}${item}${isLast && !trailingComma ? '' : ','}\n` };
  }
  if (idx === -1) return { file, start: items[0]!.start, end: items[0]!.start, text: `${item}, ` };
  const it = items[idx]!;
  return { file, start: it.end, end: it.end, text: `, ${item}` };
}
