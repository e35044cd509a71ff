// One `process.env.X` read that bypasses the validated settings module: it sees the raw string
// (or undefined) instead of the typed, checked value. The fix reads `settings.X` instead.
import { defineRule } from '../../src/rule.js';
import type { FileEdit, FindingInput } from '../../src/types.js';
import type { Workspace } from '../../src/workspace.js';
import {
  moduleEdits, moduleProblem, settingsImport, settingsPlans, siteEdits, type SettingsOptions, type SettingsPlan,
} from '../../src/project/node-settings.js';

function options(o: Record<string, unknown>): SettingsOptions {
  return { ignore: Array.isArray(o.ignore) ? o.ignore.filter((x): x is string => typeof x === 'string') : [] };
}

/**
 * Why the settings import cannot be added to a file (undefined: it can), kept per file: a re-detection
 * after a fix pass walks again only the files whose text changed. settingsImport reads the file's
 * text and parse (tracked by the memo) and, of the plan, the module's path and language, the
 * project's module system and framework, and the import style: all of them are in the key.
 */
function importProblem(ws: Workspace, plan: SettingsPlan, file: string): Promise<string | undefined> {
  const key = JSON.stringify([file, plan.module.path, plan.module.flavour.language, plan.project.esm, plan.project.framework, plan.style]);
  return ws.memo(`node/env-call-site/import\0${key}`, async () => {
    const imp = await settingsImport(ws, plan, file);
    return 'problem' in imp ? imp.problem : undefined;
  });
}

export default defineRule({
  id: 'node/env-call-site',
  title: 'Configuration read straight from process.env',
  fixTitle: 'Read the variable from the validated settings module',
  severity: 'low',
  safety: 'review',
  docs: {
    why:
      'A `process.env.X` read gets a raw string or `undefined`: every call site re-implements defaults and parsing ' +
      '(`Number(...)`, `=== "true"`), and they drift apart. Reading the value from the settings module gives the typed ' +
      'value that was validated when the app started.',
    fix:
      'Replaces the read, with its fallback and conversion (`Number(process.env.PORT ?? 3000)`), by `settings.PORT`, and ' +
      'adds `import { settings } from \'./config/settings\'` after the last import (relative path; `.js` suffix when the ' +
      'project imports with explicit extensions; `require` in CommonJS files). When reads of one variable disagree on ' +
      'conversion or fallback, each keeps its own (`Number(settings.PORT ?? 3000)`). When the settings module does not ' +
      'exist yet or lacks the variable, the fix also creates or extends it (as node/settings-validation does).',
    safetyNote:
      'The value now comes from the module: its default, its parsing (booleans accept 1/yes/on, empty counts as unset) ' +
      'and its required check apply. See node/settings-validation for what is left alone (NEXT_PUBLIC_*, client code, ' +
      'tests, build configuration, NODE_ENV).',
  },
  kinds: ['typescript'],
  defaults: { ignore: ['NODE_ENV'] },
  async detect(ctx) {
    const out: FindingInput[] = [];
    for (const plan of await settingsPlans(ctx.ws, options(ctx.options))) {
      const modProblem = moduleProblem(plan);
      const importProblems = new Map<string, string | undefined>();
      for (const { site, problem } of plan.sites) {
        if (!importProblems.has(site.file)) importProblems.set(site.file, await importProblem(ctx.ws, plan, site.file));
        const names = site.destructure ? site.destructure.elements.map((e) => e.name) : [site.name];
        const message = site.destructure
          ? `${names.join(', ')} destructured from process.env instead of the validated settings (${plan.module.path})`
          : `\`${site.text.length > 60 ? `process.env.${site.name}` : site.text}\` reads process.env directly; ` +
            `use settings.${site.name}, typed and validated at startup in ${plan.module.path}`;
        const reason = problem ?? modProblem ?? importProblems.get(site.file);
        out.push({
          file: site.file,
          start: site.start,
          end: site.end,
          message,
          anchor: site.anchor,
          fixable: !reason,
          notFixableReason: reason,
          data: { dir: plan.project.dir, start: site.start, end: site.end },
        });
      }
    }
    return out;
  },
  async fix(finding, ctx) {
    const d = finding.data as { dir: string; start: number; end: number };
    const plan = (await settingsPlans(ctx.ws, options(ctx.options))).find((p) => p.project.dir === d.dir);
    const status = plan?.sites.find((s) => s.site.file === finding.file && s.site.start === d.start && s.site.end === d.end);
    if (!plan || !status || status.problem) return null;
    const imp = await settingsImport(ctx.ws, plan, finding.file);
    if ('problem' in imp) return null;
    const module = moduleEdits(ctx.ws, plan);
    if (module === null) return null;
    const edits: FileEdit[] = [...module, ...siteEdits(plan, status.site, imp.local)];
    if (imp.edit) edits.push(imp.edit);
    return edits;
  },
});
