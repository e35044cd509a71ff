import { defineRule } from '../../src/rule.js';
import type { FindingInput, ModifyEdit } from '../../src/types.js';
import { python, type PyNode } from '../../src/parsers/python.js';
import { basename } from '../../src/classify.js';
import {
  importsOf, isCredential, isSigningSecret, isWeakSecret, keywordArg, positionalArgs, pyString, stringValue,
  WEAK_SECRET_VALUES, type SettingsClass,
} from '../../src/project/python.js';
import { codeStyle, kindOfField, projectFiles, projectSettings, pythonProjects } from '../../src/project/python-settings.js';
import { extendClass } from '../../src/edit/pysettings.js';
import { ensureImport, finishEdits } from '../../src/edit/python.js';

type Data =
  | { dir: string; mode: 'field'; cls: string; field: string }
  | { dir: string; mode: 'read'; start: number; end: number; name: string }
  | { dir: string; mode: 'constant'; start: number; end: number; name: string };

/** A default that offers no protection: a placeholder for any credential, anything short for a signing key. */
function weakFor(name: string, value: string): boolean {
  if (isSigningSecret(name)) return isWeakSecret(value);
  return value !== '' && WEAK_SECRET_VALUES.has(value.trim().toLowerCase());
}

function shown(value: string): string {
  return value === '' ? 'an empty string' : pyString(value.length > 24 ? value.slice(0, 21) + '...' : value);
}

/** The literal default of a settings field: `= "x"`, `Field("x", …)` or `Field(default="x", …)`. */
function fieldDefault(value: PyNode | undefined): { node: PyNode; value: string; inField: boolean } | undefined {
  while (value?.type === 'parenthesized_expression' && value.namedChildren.filter((c) => c.type !== 'comment').length === 1) {
    const inner = value.namedChildren.find((c) => c.type !== 'comment')!;
    const d = fieldDefault(inner);
    return d && { ...d, node: d.inField ? d.node : value };
  }
  if (!value) return undefined;
  const s = stringValue(value);
  if (s !== undefined) return { node: value, value: s, inField: false };
  const fn = value.type === 'call' ? value.childForFieldName('function')?.text ?? '' : '';
  if (/(^|\.)(getenv|environ\.get)$/.test(fn)) {
    // `SECRET_KEY: str = os.getenv("SECRET_KEY", "dev")`: BaseSettings reads the variable itself.
    const v = stringValue(positionalArgs(value)[1] ?? keywordArg(value, 'default'));
    if (v !== undefined) return { node: value, value: v, inField: false };
  }
  if (value.type === 'call' && /(^|\.)Field$/.test(fn)) {
    const d = positionalArgs(value)[0] ?? keywordArg(value, 'default');
    const v = stringValue(d);
    if (d && v !== undefined) return { node: d, value: v, inField: true };
  }
  return undefined;
}

function isConfigModule(file: string): boolean {
  return /(^|_)(settings|config|conf)\.py$/.test(basename(file)) || basename(file) === 'settings.py';
}

export default defineRule({
  id: 'python/weak-secret-default',
  title: 'Secret has an empty or well-known default',
  fixTitle: 'Make the secret required and reject short or placeholder values',
  severity: 'critical',
  safety: 'review',
  docs: {
    why:
      'A signing key such as SECRET_KEY or JWT_SECRET that falls back to "", "changeme" or "secret" when the variable ' +
      'is not set lets anyone who reads the code forge sessions and tokens — and a forgotten variable in production ' +
      'goes unnoticed because the app starts anyway. Placeholder passwords ("postgres", "admin") have the same problem.',
    fix:
      'Removes the default so the variable is required: in a pydantic Settings class the field loses its default and a ' +
      'validator rejects signing keys shorter than 32 characters or containing placeholder words (pydantic v1 ' +
      '`@validator`, v2 `@field_validator`); `os.getenv("SECRET_KEY", "dev")` becomes `os.environ["SECRET_KEY"]`; a ' +
      'literal key in a settings module is read from the environment instead.',
    safetyNote:
      'The app no longer starts without the variable: set a random value (e.g. `python -c "import secrets; ' +
      'print(secrets.token_urlsafe(48))"`) in every environment, including tests, before deploying. Existing sessions ' +
      'and tokens signed with the old default stop being valid.',
    example: {
      before: 'class Settings(BaseSettings):\n    SECRET_KEY: str = ""',
      after:
        'class Settings(BaseSettings):\n    SECRET_KEY: str\n\n    @field_validator("SECRET_KEY")\n    @classmethod\n' +
        '    def _validate_secret_key(cls, value: str, info: ValidationInfo) -> str:\n' +
        '        ...  # at least 32 characters, no placeholder words\n        return value',
    },
    references: ['https://cwe.mitre.org/data/definitions/1392.html', 'https://cwe.mitre.org/data/definitions/798.html'],
  },
  kinds: ['python'],
  async detect({ ws }) {
    const out: FindingInput[] = [];
    for (const dir of pythonProjects(ws)) {
      const ps = await projectSettings(ws, dir);
      for (const sc of ps.classes) {
        for (const f of sc.fields) {
          const env = f.env[0] ?? f.name;
          if (!isCredential(env) && !isCredential(f.name)) continue;
          const d = fieldDefault(f.valueNode);
          const name = isSigningSecret(env) ? env : f.name;
          if (!d || !weakFor(name, d.value)) continue;
          out.push({
            file: sc.file,
            start: f.start,
            end: f.end,
            message: `${sc.name}.${f.name} defaults to ${shown(d.value)}: when ${env} is not set the app runs with a guessable secret`,
            anchor: `field:${sc.name}.${f.name}`,
            severity: isSigningSecret(name) ? 'critical' : 'high',
            data: { dir, mode: 'field', cls: sc.name, field: f.name },
          });
        }
      }
      for (const r of ps.reads) {
        if (typeof r.default?.value !== 'string' || !isCredential(r.name) || !weakFor(r.name, r.default.value)) continue;
        const text = ws.text(r.file) ?? '';
        out.push({
          file: r.file,
          start: r.start,
          end: r.end,
          message: `${r.name} falls back to ${shown(r.default.value)} when the variable is not set`,
          anchor: `read:${r.name}:${text.slice(r.start, r.end)}`,
          severity: isSigningSecret(r.name) ? 'critical' : 'high',
          data: { dir, mode: 'read', start: r.start, end: r.end, name: r.name },
        });
      }
      // SECRET_KEY = "django-insecure-…" at module level of a settings module.
      for (const file of projectFiles(ws, dir)) {
        if (!isConfigModule(file)) continue;
        const m = await python(ws, file);
        if (!m) continue;
        for (const st of m.root.namedChildren) {
          const a = st.type === 'expression_statement' ? st.namedChildren[0] : undefined;
          if (a?.type !== 'assignment') continue;
          const left = a.childForFieldName('left');
          const right = a.childForFieldName('right');
          const v = stringValue(right);
          if (left?.type !== 'identifier' || !right || v === undefined || !isSigningSecret(left.text) || a.childForFieldName('type')) continue;
          out.push({
            file,
            start: right.startIndex,
            end: right.endIndex,
            message: `${left.text} is hard-coded in ${basename(file)}: every deployment shares this key and anyone with the code can forge with it`,
            anchor: `constant:${left.text}`,
            data: { dir, mode: 'constant', start: right.startIndex, end: right.endIndex, name: left.text },
          });
        }
      }
    }
    return out;
  },
  async fix(finding, { ws }) {
    const d = finding.data as Data;
    const ps = await projectSettings(ws, d.dir);
    if (d.mode === 'field') {
      const sc = ps.classes.find((c) => c.file === finding.file && c.name === d.cls);
      const field = sc?.fields.find((f) => f.name === d.field);
      const m = await python(ws, finding.file);
      if (!sc || !field || !m) return null;
      const dflt = fieldDefault(field.valueNode);
      if (!dflt) return null;
      const removal = removeDefault(m.text, field.start, sc, dflt);
      if (!removal) return null;
      const env = field.env[0] ?? field.name;
      const signing = isSigningSecret(env);
      const secretStr = kindOfField(field).kind === 'secret';
      const res = extendClass({ sc, model: m }, codeStyle(ws, ps.dir, ps.pyd, sc), {
        needs: signing ? { secrets: [{ name: field.name, secretStr }] } : {},
        extra: [removal],
      });
      return res?.edits ?? null;
    }
    const m = await python(ws, finding.file);
    if (!m) return null;
    const imps = importsOf(m).filter((i) => i.topLevel && !i.level && i.module === 'os');
    let environ = imps.find((i) => i.name === undefined)?.local;
    const edits: ModifyEdit[] = [];
    if (environ) environ = `${environ}.environ`;
    else environ = imps.find((i) => i.name === 'environ')?.local;
    if (!environ) {
      const add = ensureImport(m, 'os', undefined);
      if (!add) return null;
      environ = `${add.local}.environ`;
      edits.push(...add.edits);
    }
    edits.push({ file: finding.file, start: d.start, end: d.end, text: `${environ}[${pyString(d.name)}]` });
    return finishEdits(m.text, finding.file, edits);
  },
});

/** Edit that makes a field required: drop `= "x"`, or turn Field's default into `...`. */
function removeDefault(text: string, stmtStart: number, sc: SettingsClass, d: { node: PyNode; inField: boolean }): ModifyEdit | undefined {
  if (d.inField) return { file: sc.file, start: d.node.startIndex, end: d.node.endIndex, text: '...' };
  // `NAME: type = ""` → `NAME: type` (keeping anything after the value, e.g. a comment).
  const asg = d.node.parent;
  const type = asg?.childForFieldName('type');
  if (asg?.type !== 'assignment' || !type || type.startIndex < stmtStart) return undefined;
  // A comment inside the removed default would be lost: decline.
  if (d.node.descendantsOfType('comment').some((c) => !!c)) return undefined;
  return { file: sc.file, start: type.endIndex, end: d.node.endIndex, text: '' };
}
