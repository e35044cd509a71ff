import { defineRule } from '../../src/rule.js';
import type { FindingInput } from '../../src/types.js';
import { python } from '../../src/parsers/python.js';
import { fieldForEnv, firstPartyImports, isFirstParty, modulePath } from '../../src/project/python.js';
import { projectSettings, pythonProjects, replacementFor } from '../../src/project/python-settings.js';
import { ensureImports, finishEdits } from '../../src/edit/python.js';

interface Data {
  dir: string;
  name: string;
  start: number;
  end: number;
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
      'from the settings module.',
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
      const t = ps.target;
      if (!t || !t.sc.instance || !t.module) continue;
      // Modules the settings module imports would import it back: leave their reads alone.
      const cycle = new Set(await firstPartyImports(ws, t.sc.file, ps.root));
      for (const r of ps.reads) {
        if (r.file === t.sc.file || cycle.has(r.file) || modulePath(r.file, ps.root) === undefined) continue;
        const field = fieldForEnv(t.sc, r.name);
        if (!field) continue;
        const text = ws.text(r.file) ?? '';
        const use = text.slice(r.useStart, r.useEnd);
        const ref = `${t.sc.instance.call ? `${t.sc.instance.name}()` : t.sc.instance.name}.${field.name}`;
        const rep = replacementFor(r, field, ref);
        const computedDefault = r.default !== undefined && r.default.value === undefined;
        out.push({
          file: r.file,
          start: r.useStart,
          end: r.useEnd,
          message: `${use.length > 60 ? use.slice(0, 57) + '...' : use} bypasses ${t.sc.name}; use ${ref}`,
          anchor: `${r.name}:${use}`,
          fixable: !!rep && !computedDefault,
          notFixableReason: computedDefault
            ? `the default (${r.default!.text}) is computed at the call site; move it into ${t.sc.name} first`
            : !rep
              ? `${t.sc.name}.${field.name} is declared as ${field.typeText}, which does not fit how this code uses the value`
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
    const r = ps.reads.find((x) => x.file === finding.file && x.start === d.start && x.end === d.end && x.name === d.name);
    if (!t || !t.sc.instance || !t.module || !r) return null;
    const field = fieldForEnv(t.sc, r.name);
    const m = await python(ws, r.file);
    if (!field || !m) return null;
    const imp = ensureImports(m, t.module, [{ name: t.sc.instance.name, alias: `app_${t.sc.instance.name}` }], (top) => isFirstParty(ws, r.file, top));
    if (!imp) return null;
    const local = imp[0]!.local;
    const rep = replacementFor(r, field, t.sc.instance.call ? `${local}()` : local);
    if (!rep) return null;
    return finishEdits(m.text, r.file, [{ file: r.file, ...rep }, ...imp[0]!.edits]);
  },
});
