import { defineRule } from '../../src/rule.js';
import type { FindingInput, ModifyEdit } from '../../src/types.js';
import type { Workspace } from '../../src/workspace.js';
import { parsePython, python, type PythonModel } from '../../src/parsers/python.js';
import { fieldForEnv, firstPartyImports, importsOf, isFirstParty, modulePath, type EnvRead, type SettingsField } from '../../src/project/python.js';
import { projectSettings, pythonProjects, replacementFor, type ProjectSettings } from '../../src/project/python-settings.js';
import { composeEdits, ensureImports, finishEdits, referencesTo, removeImportBinding } from '../../src/edit/python.js';
import { applyEdits } from '../../src/engine/edits.js';

interface Data {
  dir: string;
  name: string;
  start: number;
  end: number;
}

interface CallSite {
  read: EnvRead;
  field: SettingsField;
  /** What replaces the read (the span it replaces, the text with the settings object's name). */
  rep?: { start: number; end: number; text: string };
  /** The default is an expression evaluated at the call site. */
  computedDefault: boolean;
}

/** Reads the settings class declares, outside the settings module and the modules it imports. */
async function callSites(ws: Workspace, ps: ProjectSettings): Promise<CallSite[]> {
  const t = ps.target;
  if (!t || !t.sc.instance || !t.module) return [];
  // Modules the settings module imports would import it back: leave their reads alone.
  const cycle = new Set(await firstPartyImports(ws, t.sc.file, t.root));
  const out: CallSite[] = [];
  for (const r of ps.reads) {
    if (r.file === t.sc.file || cycle.has(r.file) || modulePath(r.file, t.root) === undefined) continue;
    const field = fieldForEnv(t.sc, r.name);
    if (!field) continue;
    const ref = t.sc.instance.call ? `${t.sc.instance.name}()` : t.sc.instance.name;
    out.push({ read: r, field, rep: replacementFor(r, field, ref), computedDefault: r.default !== undefined && r.default.value === undefined });
  }
  return out;
}

const fixable = (s: CallSite) => !!s.rep && !s.computedDefault;

/** Names the file binds from `os` that env reads go through (`os`, `environ`, `getenv`, or their aliases). */
function osLocals(m: PythonModel): string[] {
  return [...new Set(importsOf(m).filter((i) => !i.level && i.module === 'os' && (i.name === undefined || i.name === 'environ' || i.name === 'getenv'))
    .map((i) => i.local))];
}

const inside = (n: { startIndex: number; endIndex: number }, s: { start: number; end: number }) => s.start <= n.startIndex && n.endIndex <= s.end;

/**
 * The `os` bindings this rewrite leaves unused (to remove), and the call sites to claim: when the
 * other references to a binding all sit in call sites this rule rewrites too, the fixes of one pass
 * could each leave one reference to the others and together leave the import unused. So every fix but
 * the one of the last such call site inserts nothing at a point inside that site's replaced span:
 * those fixes go together in a pass, the last site's fix waits for the next, where it is the only
 * reference left and removes the import.
 */
function importPlan(m: PythonModel, site: CallSite, sites: CallSite[]): { remove: string[]; claims: number[] } {
  const span = site.rep!;
  const others = sites.filter((s) => s !== site && fixable(s) && s.read.file === site.read.file);
  const remove: string[] = [];
  const claims: number[] = [];
  for (const local of osLocals(m)) {
    const refs = referencesTo(m, local);
    if (!refs.some((n) => inside(n, span))) continue;
    const outside = refs.filter((n) => !inside(n, span));
    if (!outside.length) {
      remove.push(local);
      continue;
    }
    const holders = outside.map((n) => others.find((s) => inside(n, s.rep!)));
    if (holders.some((h) => !h)) continue;
    const last = [site, ...(holders as CallSite[])].reduce((a, b) => (b.rep!.start > a.rep!.start ? b : a));
    if (last !== site) claims.push(last.rep!.start + 1);
  }
  return { remove, claims };
}

export default defineRule({
  id: 'python/getenv-call-site',
  title: 'Environment variable read directly although the Settings class declares it',
  fixTitle: 'Read the value from the validated settings object',
  severity: 'low',
  safety: 'review',
  docs: {
    why:
      'Once a variable is declared in the pydantic Settings class, reading it again with os.getenv() bypasses the ' +
      'validation and the type the class gives it, and keeps a second default that can drift from the declared one.',
    fix:
      'Replaces the read — with the parsing around it (int(...), "true" comparisons, .split(",")) when the field already ' +
      'has that type — by `settings.NAME` (`.get_secret_value()` for SecretStr fields) and imports the settings object ' +
      'from the settings module. The fix that rewrites the last use of `os` (or of `environ`/`getenv` imported from it) ' +
      'in a module also removes that import, keeping its comments.',
    safetyNote:
      'The value now comes from the settings object: its default, if any, replaces the one at the call site, and the ' +
      'import of the settings module makes the module validate the whole configuration when it is first imported.',
    example: {
      before: 'SMTP_PORT = int(os.getenv("SMTP_PORT", "587"))',
      after: 'SMTP_PORT = settings.SMTP_PORT',
    },
  },
  kinds: ['python'],
  async detect({ ws }) {
    const out: FindingInput[] = [];
    for (const dir of pythonProjects(ws)) {
      const ps = await projectSettings(ws, dir);
      const t = ps.target!;
      for (const s of await callSites(ws, ps)) {
        const r = s.read;
        const text = ws.text(r.file) ?? '';
        const use = text.slice(r.useStart, r.useEnd);
        const ref = `${t.sc.instance!.call ? `${t.sc.instance!.name}()` : t.sc.instance!.name}.${s.field.name}`;
        out.push({
          file: r.file,
          start: r.useStart,
          end: r.useEnd,
          message: `${use.length > 60 ? use.slice(0, 57) + '...' : use} bypasses ${t.sc.name}; use ${ref}`,
          anchor: `${r.name}:${use}`,
          fixable: fixable(s),
          notFixableReason: s.computedDefault
            ? `the default (${r.default!.text}) is computed at the call site; move it into ${t.sc.name} first`
            : !s.rep
              ? `${t.sc.name}.${s.field.name} is declared as ${s.field.typeText}, which does not fit how this code uses the value`
              : undefined,
          data: { dir, name: r.name, start: r.start, end: r.end } satisfies Data,
        });
      }
    }
    return out;
  },
  async fix(finding, { ws }) {
    const d = finding.data as Data;
    const ps = await projectSettings(ws, d.dir);
    const t = ps.target;
    const sites = await callSites(ws, ps);
    const site = sites.find((s) => s.read.file === finding.file && s.read.start === d.start && s.read.end === d.end && s.read.name === d.name);
    if (!t || !t.sc.instance || !t.module || !site || !fixable(site)) return null;
    const r = site.read;
    const m = await python(ws, r.file);
    if (!m) return null;
    const settingsImport = (model: PythonModel) =>
      ensureImports(model, t.module!, [{ name: t.sc.instance!.name, alias: `app_${t.sc.instance!.name}` }], (top) => isFirstParty(ws, r.file, top));
    const rewrite = (model: PythonModel, shift: number): ModifyEdit[] | undefined => {
      const imp = settingsImport(model);
      if (!imp) return undefined;
      const local = imp[0]!.local;
      const rep = replacementFor(r, site.field, t.sc.instance!.call ? `${local}()` : local);
      if (!rep) return undefined;
      return finishEdits(model.text, r.file, [{ file: r.file, ...rep, start: rep.start + shift, end: rep.end + shift }, ...imp[0]!.edits]);
    };
    const plan = importPlan(m, site, sites);
    if (!plan.remove.length) {
      const edits = rewrite(m, 0);
      if (!edits) return null;
      // The settings import is the same edit in the fix of every call site of the file: shared (see
      // ModifyEdit.shared), so the file's sites can go in one pass. A site fixed after another one
      // added the import gets the same rewrite and claims, and no import edit. Not shared when another
      // site of the file has the same anchor: its finding's id, which counts such sites, would change
      // with the first one's fix, and the engine tells it resolved — as between passes.
      const anchorOf = (s: CallSite) => `${s.read.name}:${m.text.slice(s.read.useStart, s.read.useEnd)}`;
      const anchor = anchorOf(site);
      if (sites.filter((s) => s.read.file === r.file && anchorOf(s) === anchor).length === 1) {
        const imports = settingsImport(m)?.[0]?.edits ?? [];
        for (const e of edits) if (imports.some((i) => i.start === e.start && i.end === e.end && i.text === e.text)) e.shared = true;
      }
      // Claims: empty insertions (they change nothing), see importPlan.
      return [...edits, ...plan.claims.map((at) => ({ file: r.file, start: at, end: at, text: '' }))];
    }
    // The last use of the import: remove it first, then add the settings import where it now belongs,
    // then rewrite the read; edits of the two steps that meet become one.
    const removals: ModifyEdit[] = [];
    for (const local of plan.remove) {
      const e = removeImportBinding(m, local);
      if (e) removals.push(...e);
    }
    if (removals.some((e) => e.start < site.rep!.end && site.rep!.start < e.end)) return null;
    const text1 = applyEdits(m.text, removals.map((e) => ({ ...e, file: r.file })));
    const shift = removals.filter((e) => e.end <= site.rep!.start).reduce((n, e) => n + e.text.length - (e.end - e.start), 0);
    const m1 = await parsePython(text1, r.file);
    let edits: ModifyEdit[] | undefined;
    try {
      edits = rewrite(m1, shift);
    } finally {
      // A parse of an intermediate text nobody else sees: free its (wasm) tree now, not at some GC.
      m1.tree.delete();
    }
    if (!edits) return null;
    return composeEdits(m.text, removals, edits, r.file);
  },
});
