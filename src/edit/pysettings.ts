// Edits to an existing pydantic BaseSettings class: new fields after its last field (at its
// indentation), validators at the end of its body, the imports they need, and a module-level
// instance when the module has none.
import type { ModifyEdit } from '../types.js';
import { lineEndAfter, lineStartAt } from '../text.js';
import type { SettingsTarget } from '../project/python-settings.js';
import { Imports, fieldLines, needsOf, validatorBlocks, type CodeStyle, type FieldSpec, type ValidatorNeeds } from '../codegen/pydantic.js';
import { addImports, boundNames, finishEdits } from './python.js';

export interface ClassExtension {
  fields?: FieldSpec[];
  /** Validators for existing fields (merged with those the new fields need). */
  needs?: Partial<Omit<ValidatorNeeds, 'className'>>;
  /** Add `settings = Settings()` when the module has no instance. */
  ensureInstance?: boolean;
  /** Other edits to the same file (e.g. removing a default), merged in. */
  extra?: ModifyEdit[];
}

export interface ExtensionResult {
  edits: ModifyEdit[];
  /** How code reaches the instance: `settings` or `get_settings()`. */
  instance?: { name: string; call: boolean };
}

/** Offset where new fields go: after the last field, or after a docstring / model_config at the top. */
export function fieldInsertPoint(t: Pick<SettingsTarget, 'sc' | 'model'>): number {
  const text = t.model.text;
  const { sc } = t;
  const last = sc.fields[sc.fields.length - 1];
  if (last) return lineEndAfter(text, last.end);
  let anchor: number | undefined;
  for (const st of sc.body.namedChildren) {
    const a = st.namedChildren[0];
    const isDoc = st.type === 'expression_statement' && a?.type === 'string';
    const isConfig = st.type === 'expression_statement' && a?.type === 'assignment' && a.childForFieldName('left')?.text === 'model_config';
    if (isDoc || isConfig) anchor = st.endIndex;
    else break;
  }
  return anchor !== undefined ? lineEndAfter(text, anchor) : lineStartAt(text, sc.body.startIndex);
}

export function extendClass(t: Pick<SettingsTarget, 'sc' | 'model'>, style: CodeStyle, ext: ClassExtension): ExtensionResult | undefined {
  const text = t.model.text;
  const { sc } = t;
  const imp = new Imports();
  const edits: ModifyEdit[] = [];
  const fields = ext.fields ?? [];
  if (fields.length) {
    const at = fieldInsertPoint(t);
    const nl = at === text.length && !text.endsWith('\n') ? '\n' : '';
    edits.push({ file: sc.file, start: at, end: at, text: nl + fieldLines(fields, style, imp, sc.indent) });
  }
  const base = needsOf(fields, sc.name);
  const x = ext.needs ?? {};
  const taken = new Set<string>();
  for (const st of sc.body.namedChildren) {
    const def = st.type === 'decorated_definition' ? st.childForFieldName('definition') : st;
    const name = def?.type === 'function_definition' || def?.type === 'class_definition' ? def.childForFieldName('name')?.text : undefined;
    if (name) taken.add(name);
  }
  for (const f of sc.fields) taken.add(f.name);
  const needs: ValidatorNeeds = {
    className: sc.name,
    taken,
    secrets: [...(x.secrets ?? []), ...base.secrets].filter((s) => !sc.validated.has(s.name)),
    urls: [...(x.urls ?? []), ...base.urls].filter((s) => !sc.validated.has(s)),
    urlsOptional: x.urls?.length ? true : base.urlsOptional,
    lists: [...(x.lists ?? []), ...base.lists].filter((s) => !sc.validated.has(s.name)),
    production: sc.hasModelValidator ? undefined : x.production,
  };
  const validators = validatorBlocks(needs, style, imp, sc.indent);
  if (validators) {
    const end = lineEndAfter(text, sc.body.endIndex);
    const nl = end === text.length && !text.endsWith('\n') ? '\n' : '';
    edits.push({ file: sc.file, start: end, end, text: nl + validators });
  }
  let instance = sc.instance;
  if (ext.ensureInstance && !instance) {
    if (boundNames(t.model).has('settings')) return undefined;
    const nl = text.endsWith('\n') ? '' : '\n';
    edits.push({ file: sc.file, start: text.length, end: text.length, text: `${nl}\n\nsettings = ${sc.name}()\n` });
    instance = { name: 'settings', call: false };
  }
  const importEdits = addImports(t.model, imp.entries());
  if (!importEdits) return undefined;
  edits.push(...importEdits, ...(ext.extra ?? []));
  return { edits: finishEdits(text, sc.file, edits), instance };
}
