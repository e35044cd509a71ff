// process.env read all over a Node/TypeScript project and never validated: a missing variable is
// noticed only when the code path that needs it runs (a failed payment, an email never sent).
// The fix generates one settings module that reads, types and validates every variable at startup.
import { defineRule } from '../../src/rule.js';
import type { FindingInput } from '../../src/types.js';
import { moduleEdits, moduleProblem, settingsPlans, type SettingsOptions } from '../../src/project/node-settings.js';

function options(o: Record<string, unknown>): SettingsOptions {
  return { ignore: Array.isArray(o.ignore) ? o.ignore.filter((x): x is string => typeof x === 'string') : [] };
}

function list(names: string[], max = 8): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}

export default defineRule({
  id: 'node/settings-validation',
  title: 'Environment variables are read ad hoc and never validated at startup',
  fixTitle: 'Read, type and validate every environment variable once, in a settings module',
  severity: 'medium',
  safety: 'review',
  docs: {
    why:
      'When configuration is read with `process.env.X` wherever it is needed, nothing checks it when the app starts: ' +
      'a missing DATABASE_URL or a mistyped STRIPE_SECRET_KEY surfaces as a crash or a silent `undefined` hours later, in ' +
      'the one request that needs it. `Number(process.env.PORT)` quietly becomes NaN, fallbacks like ' +
      "`process.env.JWT_SECRET || 'dev'` ship to production, and nobody can tell which variables the app needs.",
    fix:
      'Creates `src/config/settings.ts` (or the project\'s config directory; `.js`, ES module or CommonJS, to match the ' +
      'project) with one typed entry per variable the code reads: numbers for `Number()`/`parseInt()` reads, booleans for ' +
      '`=== "true"` comparisons, the code\'s literal fallback as the default, required when the code uses the value without ' +
      'a fallback, optional when it only tests it. Secrets (JWT_SECRET, SESSION_SECRET, …) lose hardcoded fallbacks and ' +
      'must be at least 32 characters; `*_URL` variables must be absolute URLs. Importing the module validates everything ' +
      'and throws one error naming every missing or invalid variable. With zod in the dependencies the module is a zod ' +
      'schema; otherwise plain TypeScript with no new dependency. When the module exists, missing variables are added to ' +
      'it. The companion rule node/env-call-site rewrites the reads.',
    safetyNote:
      'Review the required/optional decisions: a variable the code used as a value without a fallback becomes required, so ' +
      'the app now refuses to start without it (that is the point, but check optional integrations). Empty values count as ' +
      'unset. Booleans also accept 1/yes/on. In Next.js the module is server-only: NEXT_PUBLIC_* variables, client ' +
      'components and what they import, and middleware keep reading process.env (Next inlines those at build time); ' +
      'pages that import the module during `next build` need the variables at build time too. Build configuration, ' +
      'tests and scripts are left alone. Browser-only projects (Vite, CRA, …) are skipped.',
    references: ['https://12factor.net/config', 'https://nextjs.org/docs/app/guides/environment-variables'],
  },
  kinds: ['typescript'],
  defaults: { ignore: ['NODE_ENV'] },
  async detect(ctx) {
    const out: FindingInput[] = [];
    for (const plan of await settingsPlans(ctx.ws, options(ctx.options))) {
      if (plan.missing.length === 0) continue;
      const names = plan.missing.map((f) => f.name);
      const required = plan.missing.filter((f) => !f.optional && f.default === undefined).map((f) => f.name);
      const files = new Set(plan.missing.flatMap((f) => f.files));
      const problem = moduleProblem(plan);
      const where = plan.module.exists
        ? `${plan.module.path} does not declare ${names.length} variable${names.length === 1 ? '' : 's'} the code reads`
        : `${names.length} environment variable${names.length === 1 ? ' is' : 's are'} read straight from process.env`;
      const message =
        `${where} in ${files.size} file${files.size === 1 ? '' : 's'} and never validated at startup: ${list(names)}` +
        (required.length ? ` (required: ${list(required, 5)})` : '');
      const file = plan.module.exists ? plan.module.path : plan.project.manifest ?? plan.sites[0]!.site.file;
      out.push({
        file,
        line: 1,
        message,
        anchor: `settings module of ${plan.project.dir || '.'}`,
        fixable: !problem,
        notFixableReason: problem,
        data: { dir: plan.project.dir },
      });
    }
    return out;
  },
  async fix(finding, ctx) {
    const dir = (finding.data as { dir: string }).dir;
    const plan = (await settingsPlans(ctx.ws, options(ctx.options))).find((p) => p.project.dir === dir);
    if (!plan) return null;
    return moduleEdits(ctx.ws, plan);
  },
});
