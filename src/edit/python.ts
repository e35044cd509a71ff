// Edit helpers for Python source: adding imports and class members as offset splices.
//
// An import is added as a *replacement* of the statement it goes after (its text unchanged, the new
// line appended), not as a bare insertion. Two fixes that add the same import to a file (two call
// sites in one module, say) then overlap, so the engine applies one and recomputes the other on the
// new text, where the import exists; bare insertions at one point would both land, duplicated.
import type { ModifyEdit } from '../types.js';
import type { PyNode, PythonModel } from '../parsers/python.js';
import { importsOf } from '../project/python.js';
import { STDLIB_MODULES } from '../project/python-stdlib.js';
import { byName } from '../codegen/pydantic.js';
import { applyEdits } from '../engine/edits.js';
import { lineEndAfter, lineStartAt } from '../text.js';

export interface ImportResult {
  /** The local name to use (the existing binding, or the one added). */
  local: string;
  edits: ModifyEdit[];
}

/**
 * What boundNames and referencesTo find in a model, kept with it: the fixes of one pass are all
 * computed on the same model of a file (several call sites each ask), and a model's text never changes.
 */
const perModel = new WeakMap<PythonModel, { bound?: ReadonlySet<string>; refs: Map<string, readonly PyNode[]> }>();

function cacheOf(m: PythonModel): { bound?: ReadonlySet<string>; refs: Map<string, readonly PyNode[]> } {
  let c = perModel.get(m);
  if (!c) perModel.set(m, (c = { refs: new Map() }));
  return c;
}

/** Names bound anywhere in a module (imports, assignments, defs, parameters…), for collision checks. */
export function boundNames(m: PythonModel): ReadonlySet<string> {
  const c = cacheOf(m);
  return (c.bound ??= findBoundNames(m));
}

function findBoundNames(m: PythonModel): Set<string> {
  const out = new Set<string>();
  for (const i of importsOf(m)) out.add(i.local);
  for (const n of m.root.descendantsOfType(['assignment', 'augmented_assignment', 'for_statement', 'with_item', 'function_definition', 'class_definition', 'parameters', 'lambda_parameters', 'as_pattern', 'global_statement', 'named_expression'])) {
    if (!n) continue;
    if (n.type === 'function_definition' || n.type === 'class_definition') {
      const name = n.childForFieldName('name');
      if (name) out.add(name.text);
      continue;
    }
    const targets =
      n.type === 'assignment' || n.type === 'augmented_assignment' ? [n.childForFieldName('left')] :
      n.type === 'for_statement' ? [n.childForFieldName('left')] :
      n.type === 'named_expression' ? [n.childForFieldName('name')] :
      n.type === 'with_item' || n.type === 'as_pattern' ? [n.namedChildren[n.namedChildren.length - 1] ?? null] :
      n.namedChildren;
    for (const t of targets) {
      if (!t) continue;
      if (t.type === 'identifier') out.add(t.text);
      else for (const id of t.descendantsOfType('identifier')) if (id && id.parent?.type !== 'attribute' && id.parent?.type !== 'subscript') out.add(id.text);
    }
  }
  return out;
}

/** Module-level, unguarded import statements (direct children of the module). */
function topImports(m: PythonModel): PyNode[] {
  return m.root.namedChildren.filter((c) => c.type === 'import_statement' || c.type === 'import_from_statement' || c.type === 'future_import_statement');
}

/**
 * Make `name` from `module` available in a module (`from module import name`), or the module itself
 * when name is undefined (`import module`). `alias` is used when `name` is already bound to
 * something else; when that is taken too, the result is undefined.
 */
export function ensureImport(m: PythonModel, module: string, name: string | undefined, alias?: string): ImportResult | undefined {
  return ensureImports(m, module, name === undefined ? [] : [{ name, alias }])?.[0] ?? (name === undefined ? ensureModuleImport(m, module) : undefined);
}

function ensureModuleImport(m: PythonModel, module: string): ImportResult | undefined {
  const imps = importsOf(m);
  const have = imps.find((i) => !i.level && i.name === undefined && i.module === module && i.topLevel && !i.guarded && i.local === module.split('.')[0]);
  if (have) return { local: module.split('.')[0]!, edits: [] };
  if (boundNames(m).has(module.split('.')[0]!)) return undefined;
  return { local: module.split('.')[0]!, edits: [newImportLine(m, module, `import ${module}`)] };
}

interface ImportPlan {
  results: { local: string }[];
  adds: string[];
  existing?: PyNode;
}

function planImports(m: PythonModel, module: string, wanted: { name: string; alias?: string }[]): ImportPlan | undefined {
  const imps = importsOf(m);
  const bound = boundNames(m);
  const results: { local: string }[] = [];
  const adds: string[] = [];
  for (const w of wanted) {
    const have = imps.find((i) => !i.level && i.module === module && i.name === w.name && i.topLevel && !i.guarded);
    if (have) {
      results.push({ local: have.local });
      continue;
    }
    if (!bound.has(w.name)) {
      results.push({ local: w.name });
      adds.push(w.name);
    } else if (w.alias && !bound.has(w.alias)) {
      results.push({ local: w.alias });
      adds.push(`${w.name} as ${w.alias}`);
    } else return undefined;
  }
  const existing = topImports(m).find((s) => s.type === 'import_from_statement' && s.childForFieldName('module_name')?.text === module &&
    !s.namedChildren.some((c) => c.type === 'wildcard_import'));
  return { results, adds, existing };
}

/**
 * Several names from one module. Returns one result per requested name, all carrying the same
 * edits; undefined when a name (and its alias) is already bound to something else.
 */
export function ensureImports(
  m: PythonModel,
  module: string,
  wanted: { name: string; alias?: string }[],
  isFirstParty?: (topLevelName: string) => boolean,
): ImportResult[] | undefined {
  const plan = planImports(m, module, wanted);
  if (!plan) return undefined;
  const edits: ModifyEdit[] = [];
  if (plan.adds.length) {
    edits.push(plan.existing ? extendFromImport(m, plan.existing, plan.adds) : newImportLine(m, module, `from ${module} import ${plan.adds.join(', ')}`, isFirstParty));
  }
  return plan.results.map((r) => ({ local: r.local, edits }));
}

/**
 * Names from several modules at once (module → names): existing `from` statements are extended,
 * new ones go in one block after the last import. Undefined when a name is bound to something else.
 */
export function addImports(m: PythonModel, wanted: [string, string[]][], isFirstParty?: (topLevelName: string) => boolean): ModifyEdit[] | undefined {
  const edits: ModifyEdit[] = [];
  const lines: { module: string; line: string }[] = [];
  for (const [module, names] of wanted) {
    const plan = planImports(m, module, names.map((name) => ({ name })));
    if (!plan) return undefined;
    if (!plan.adds.length) continue;
    if (plan.existing) edits.push(extendFromImport(m, plan.existing, plan.adds));
    else lines.push({ module, line: `from ${module} import ${plan.adds.join(', ')}` });
  }
  // New lines that land at the same place go in one edit (one replacement of the same statement),
  // in section order then module order.
  lines.sort((x, y) => sectionOf(x.module, isFirstParty) - sectionOf(y.module, isFirstParty) || (x.module < y.module ? -1 : x.module > y.module ? 1 : 0));
  const byPlace = new Map<string, ModifyEdit>();
  for (const l of lines) {
    const e = newImportLine(m, l.module, l.line, isFirstParty);
    const k = `${e.start}:${e.end}`;
    const prev = byPlace.get(k);
    if (!prev) byPlace.set(k, e);
    else prev.text = mergePlacement(m.text.slice(e.start, e.end), prev.text, e.text);
  }
  edits.push(...byPlace.values());
  return edits;
}

/**
 * `from m import a, c` → `from m import a, b, c`: a replacement of the whole statement. New names go
 * to their isort place when the existing names are in isort order, else at the end.
 */
function extendFromImport(m: PythonModel, stmt: PyNode, names: string[]): ModifyEdit {
  const text = m.text;
  const nameNodes = stmt.childrenForFieldName('name').filter((x): x is PyNode => !!x);
  const bare = (n: PyNode) => (n.type === 'aliased_import' ? n.childForFieldName('name')?.text ?? n.text : n.text);
  const existing = nameNodes.map(bare);
  const sorted = existing.every((n, i) => i === 0 || byName(existing[i - 1]!, n) <= 0);
  const paren = stmt.children.some((c) => c?.type === '(');
  const s = text.slice(stmt.startIndex, stmt.endIndex);
  const rel = (o: number) => o - stmt.startIndex;
  const multiline = paren && s.includes('\n');
  // Insertions: [offset in s, text], applied from the end.
  const inserts: [number, string][] = [];
  for (const name of [...names].sort(byName)) {
    const next = sorted ? nameNodes.find((n) => byName(bare(n), name) > 0) : undefined;
    if (next) {
      if (multiline) {
        const lineStart = lineStartAt(text, next.startIndex);
        inserts.push([rel(lineStart), `${text.slice(lineStart, next.startIndex)}${name},\n`]);
      } else inserts.push([rel(next.startIndex), `${name}, `]);
      continue;
    }
    const last = nameNodes[nameNodes.length - 1]!;
    if (multiline) {
      const indent = text.slice(lineStartAt(text, last.startIndex), last.startIndex);
      const after = text.slice(last.endIndex, stmt.endIndex);
      const comma = /^\s*,/.test(after) ? last.endIndex + after.indexOf(',') + 1 : undefined;
      inserts.push(comma !== undefined ? [rel(comma), `\n${indent}${name},`] : [rel(last.endIndex), `,\n${indent}${name}`]);
    } else inserts.push([rel(last.endIndex), `, ${name}`]);
  }
  let out = s;
  // Stable: insertions at one offset keep their (sorted) order.
  const order = inserts.map((x, i) => ({ x, i })).sort((a, b) => b.x[0] - a.x[0] || b.i - a.i);
  for (const { x: [at, t] } of order) out = out.slice(0, at) + t + out.slice(at);
  return { file: '', start: stmt.startIndex, end: stmt.endIndex, text: out };
}

/** Two insertions around the same original text: keep the original once, both additions in order. */
function mergePlacement(orig: string, a: string, b: string): string {
  const ai = a.indexOf(orig);
  const bi = b.indexOf(orig);
  if (ai < 0 || bi < 0) return a + b;
  return a.slice(0, ai) + b.slice(0, bi) + orig + a.slice(ai + orig.length) + b.slice(bi + orig.length);
}

/** isort sections: 0 __future__, 1 standard library, 2 third party, 3 first party (and relative). */
function sectionOf(module: string, isFirstParty?: (top: string) => boolean): number {
  if (module.startsWith('.')) return 3;
  const top = module.split('.')[0]!;
  if (top === '__future__') return 0;
  if (STDLIB_MODULES.has(top)) return 1;
  return isFirstParty?.(top) ? 3 : 2;
}

function moduleOf(stmt: PyNode): string {
  if (stmt.type === 'import_statement') {
    const c = stmt.namedChildren[0];
    return (c?.type === 'aliased_import' ? c.childForFieldName('name')?.text : c?.text) ?? '';
  }
  if (stmt.type === 'future_import_statement') return '__future__';
  return stmt.childForFieldName('module_name')?.text ?? '';
}

/**
 * A new import line, placed as isort would: in its section (standard library, third party, first
 * party), after the `from` imports that sort before it; a new section gets its blank line.
 * Falls back to after the docstring, or the top of the module.
 */
function newImportLine(m: PythonModel, module: string, line: string, isFirstParty?: (top: string) => boolean): ModifyEdit {
  const text = m.text;
  const imports = topImports(m);
  const after = (stmt: PyNode, prefix: string): ModifyEdit => {
    const start = lineStartAt(text, stmt.startIndex);
    const end = lineEndAfter(text, stmt.endIndex);
    const nl = end === text.length && !text.endsWith('\n') ? '\n' : '';
    return { file: '', start, end, text: text.slice(start, end) + nl + prefix + line + '\n' };
  };
  const before = (stmt: PyNode, suffix: string): ModifyEdit => {
    const start = lineStartAt(text, stmt.startIndex);
    const end = lineEndAfter(text, stmt.endIndex);
    return { file: '', start, end, text: line + '\n' + suffix + text.slice(start, end) };
  };
  if (imports.length) {
    const sec = sectionOf(module, isFirstParty);
    const key = module.toLowerCase();
    const same = imports.filter((s) => sectionOf(moduleOf(s), isFirstParty) === sec);
    if (same.length) {
      const isFrom = line.startsWith('from ');
      const plain = same.filter((s) => s.type === 'import_statement');
      const froms = same.filter((s) => s.type !== 'import_statement');
      if (isFrom) {
        const prior = froms.filter((s) => moduleOf(s).toLowerCase() <= key);
        if (prior.length) return after(prior[prior.length - 1]!, '');
        if (plain.length) return after(plain[plain.length - 1]!, '');
        return before(froms[0]!, '');
      }
      const prior = plain.filter((s) => moduleOf(s).toLowerCase() <= key);
      if (prior.length) return after(prior[prior.length - 1]!, '');
      return before(same[0]!, '');
    }
    const lower = imports.filter((s) => sectionOf(moduleOf(s), isFirstParty) < sec);
    if (lower.length) return after(lower[lower.length - 1]!, '\n');
    return before(imports[0]!, '\n');
  }
  const first = m.root.namedChildren.find((c) => c.type !== 'comment');
  if (first && first.type === 'expression_statement' && first.namedChildren[0]?.type === 'string' && first.namedChildren.length === 1) {
    // After the module docstring, separated by a blank line.
    const start = lineStartAt(text, first.startIndex);
    const end = lineEndAfter(text, first.endIndex);
    const nl = end === text.length && !text.endsWith('\n') ? '\n' : '';
    const blankFollows = text.slice(end).startsWith('\n');
    return { file: '', start, end, text: text.slice(start, end) + nl + '\n' + line + '\n' + (blankFollows || end === text.length ? '' : '\n') };
  }
  // After leading comments (shebang, licence, encoding), before the first statement.
  const at = first ? lineStartAt(text, first.startIndex) : text.length;
  const end = first ? lineEndAfter(text, first.startIndex) : text.length;
  const pre = at > 0 && !text.slice(0, at).endsWith('\n\n') ? '\n' : '';
  return { file: '', start: at, end, text: pre + line + '\n\n' + text.slice(at, end) };
}

/**
 * Finish a fix's edits for one file: set the file, and merge edits that fall inside another edit's
 * span (an import edit replacing a line that a call-site edit also touches) into that edit.
 */
export function finishEdits(text: string, file: string, edits: ModifyEdit[]): ModifyEdit[] {
  const list = dedupe(edits.map((e) => ({ ...e, file })));
  list.sort((a, b) => a.start - b.start || b.end - a.end);
  const out: ModifyEdit[] = [];
  for (const e of list) {
    const outer = out.find((o) => o.start !== o.end && o.start <= e.start && e.end <= o.end && !(e.start === e.end && (e.start === o.start || e.start === o.end)));
    if (outer) {
      // Re-apply the inner edit to the outer edit's original span, then restore the outer's additions.
      const orig = text.slice(outer.start, outer.end);
      if (outer.text.startsWith(orig)) {
        const merged = applyEdits(orig, [{ file, start: e.start - outer.start, end: e.end - outer.start, text: e.text }]);
        outer.text = merged + outer.text.slice(orig.length);
        continue;
      }
      if (outer.text.endsWith(orig)) {
        const merged = applyEdits(orig, [{ file, start: e.start - outer.start, end: e.end - outer.start, text: e.text }]);
        outer.text = outer.text.slice(0, outer.text.length - orig.length) + merged;
        continue;
      }
    }
    out.push(e);
  }
  return out;
}

function dedupe(edits: ModifyEdit[]): ModifyEdit[] {
  const seen = new Set<string>();
  return edits.filter((e) => {
    const k = `${e.start}:${e.end}:${e.text}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Offset just after the line a node ends on. */
export function afterLine(text: string, n: { endIndex: number } | number): number {
  return lineEndAfter(text, typeof n === 'number' ? n : n.endIndex);
}

// ---------------------------------------------------------------- removing an import that became unused

/**
 * Identifiers that refer to `local` outside import statements: every use of the name, read or
 * written (attribute names `x.local` and keyword names `f(local=…)` are not references). Shadowing is
 * not resolved: a parameter or local variable of that name counts, which only keeps an import.
 */
export function referencesTo(m: PythonModel, local: string): readonly PyNode[] {
  const refs = cacheOf(m).refs;
  let out = refs.get(local);
  if (!out) refs.set(local, (out = findReferences(m, local)));
  return out;
}

function findReferences(m: PythonModel, local: string): PyNode[] {
  const out: PyNode[] = [];
  for (const id of m.root.descendantsOfType('identifier')) {
    if (!id || id.text !== local) continue;
    const p = id.parent;
    if (!p) continue;
    if (p.type === 'attribute' && p.childForFieldName('attribute')?.id === id.id) continue;
    if (p.type === 'keyword_argument' && p.childForFieldName('name')?.id === id.id) continue;
    if (inImport(id)) continue;
    out.push(id);
  }
  return out;
}

function inImport(n: PyNode): boolean {
  for (let p = n.parent; p; p = p.parent) {
    if (p.type === 'import_statement' || p.type === 'import_from_statement' || p.type === 'future_import_statement') return true;
    if (p.type === 'module' || p.type === 'block') return false;
  }
  return false;
}

/**
 * Edits that remove the import binding `local` (`import os`, `import os as o`, `from os import getenv`)
 * from a module-level import statement: the whole statement when it binds only that name (its
 * comments stay, each on a line of its own), else just the name and its comma. Undefined when the
 * name is bound by more than one import or by an import this cannot edit cleanly (inside a block,
 * sharing its line with another statement).
 */
export function removeImportBinding(m: PythonModel, local: string): ModifyEdit[] | undefined {
  const text = m.text;
  const binders = importsOf(m).filter((i) => i.local === local);
  if (binders.length !== 1) return undefined;
  const stmt = binders[0]!.node;
  if (stmt.parent?.type !== 'module') return undefined;
  const items = stmt.type === 'import_statement'
    ? stmt.namedChildren.filter((c) => c.type === 'dotted_name' || c.type === 'aliased_import')
    : stmt.childrenForFieldName('name').filter((x): x is PyNode => !!x);
  const localOf = (c: PyNode) =>
    c.type === 'aliased_import' ? c.childForFieldName('alias')?.text : stmt.type === 'import_statement' ? c.text.split('.')[0] : c.text;
  const idx = items.findIndex((c) => localOf(c) === local);
  if (idx < 0) return undefined;
  const start = lineStartAt(text, stmt.startIndex);
  const end = lineEndAfter(text, stmt.endIndex);
  const head = text.slice(start, stmt.startIndex);
  const tail = text.slice(stmt.endIndex, end);
  // Alone on its line(s), but for a trailing comment.
  if (head.trim() !== '' || !/^[ \t]*(#[^\n]*)?\n?$/.test(tail)) return undefined;
  const comments = m.root.descendantsOfType('comment').filter((c): c is PyNode => !!c && c.startIndex >= start && c.endIndex <= end);
  if (items.length === 1) {
    if (comments.length) return [{ file: '', start, end, text: comments.map((c) => head + c.text + '\n').join('') }];
    // Without the line, a blank line left at the top of the file or after another blank one goes too.
    let to = end;
    if (start === 0 || text.slice(Math.max(0, start - 2), start) === '\n\n') while (text[to] === '\n') to++;
    return [{ file: '', start, end: to, text: '' }];
  }
  const item = items[idx]!;
  const line0 = lineStartAt(text, item.startIndex);
  const lineEnd = lineEndAfter(text, item.endIndex);
  const before = text.slice(line0, item.startIndex);
  const after = text.slice(item.endIndex, lineEnd);
  if (before.trim() === '' && line0 > start) {
    // One name per line in parentheses: drop the name and its comma; the line goes when nothing else is on it.
    const m2 = /^[ \t]*,?[ \t]*/.exec(after)!;
    const rest = after.slice(m2[0].length);
    if (rest === '\n' || rest === '') return [{ file: '', start: line0, end: lineEnd, text: '' }];
    if (!rest.startsWith('#')) return undefined;
    return [{ file: '', start: item.startIndex, end: item.endIndex + m2[0].length, text: '' }];
  }
  // On one line with other names: the name with the comma before it (after it, for the first name).
  const between = (a: number, b: number) => text.slice(a, b);
  const span = idx > 0
    ? { start: items[idx - 1]!.endIndex, end: item.endIndex }
    : { start: item.startIndex, end: items[1]!.startIndex };
  if (/#/.test(between(span.start, span.end))) return undefined;
  return [{ file: '', ...span, text: '' }];
}

/**
 * A fix computed in two steps — `first` on `text`, `second` on the text `first` gives — as edits on
 * `text`. Edits of the two steps that meet are merged into one replacement, the others keep their
 * own span, so a `second` edit that replaces a statement (an import added after it) still replaces it
 * and overlaps what other fixes do there.
 */
export function composeEdits(text: string, first: ModifyEdit[], second: ModifyEdit[], file: string): ModifyEdit[] {
  const text1 = applyEdits(text, first.map((e) => ({ ...e, file })));
  interface Item { a: number; b: number; orig?: ModifyEdit; edit?: ModifyEdit }
  const items: Item[] = [];
  let shift = 0;
  for (const e of [...first].sort((x, y) => x.start - y.start)) {
    items.push({ a: e.start + shift, b: e.start + shift + e.text.length, orig: e });
    shift += e.text.length - (e.end - e.start);
  }
  const firsts = items.slice();
  for (const e of second) items.push({ a: e.start, b: e.end, edit: e });
  items.sort((x, y) => x.a - y.a || x.b - y.b);
  // text1 offset outside every first edit → offset in text.
  const back = (x: number) => x - firsts.filter((f) => f.b <= x && !(f.a === x && f.b === x)).reduce((n, f) => n + (f.b - f.a) - (f.orig!.end - f.orig!.start), 0);
  const out: ModifyEdit[] = [];
  for (let i = 0; i < items.length; ) {
    const group = [items[i]!];
    let end = items[i]!.b;
    for (i++; i < items.length && items[i]!.a <= end; i++) {
      group.push(items[i]!);
      end = Math.max(end, items[i]!.b);
    }
    const a = group[0]!.a;
    const start = Math.min(...group.map((g) => (g.orig ? g.orig.start : back(g.a))));
    const stop = Math.max(...group.map((g) => (g.orig ? g.orig.end : back(g.b))));
    const inner = group.filter((g) => g.edit).map((g) => ({ file, start: g.edit!.start - a, end: g.edit!.end - a, text: g.edit!.text }));
    out.push({ file, start, end: stop, text: applyEdits(text1.slice(a, end), inner) });
  }
  return out;
}
