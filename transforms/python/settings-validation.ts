import { defineRule } from '../../src/rule.js';
import type { FileEdit, FindingInput } from '../../src/types.js';
import { fieldForEnv, fieldNameFor, type EnvRead } from '../../src/project/python.js';
import {
  codeStyle, kindOfField, newSettingsPath, projectSettings, pythonProjects, specsFor, type ProjectSettings,
} from '../../src/project/python-settings.js';
import { settingsModule, productionGuardFields } from '../../src/codegen/pydantic.js';
import { extendClass } from '../../src/edit/pysettings.js';
import { declareEdit, declaredDependencies, manifestTarget, pydanticSettingsRelease, specFor } from '../../src/project/python-manifest.js';

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

interface Data {
  dir: string;
  mode: 'create' | 'extend' | 'production';
}

function listNames(names: string[]): string {
  return names.length > 8 ? `${names.slice(0, 8).join(', ')} and ${names.length - 8} more` : names.join(', ');
}

/** Message tail naming the variables whose code default holds a credential (not carried over). */
function credentialNote(missing: EnvRead[]): string {
  const names = specsFor(missing, (env) => env).filter((s) => s.credentialDefault).map((s) => s.env).sort();
  if (!names.length) return '';
  const one = names.length === 1;
  return `; the default${one ? '' : 's'} of ${listNames(names)} ${one ? 'holds a credential' : 'hold credentials'}: not copied into the class, ` +
    `${one ? 'the variable becomes' : 'the variables become'} required`;
}

/** Reads of variables the target class does not declare (all reads when there is no class). */
function missingReads(ps: ProjectSettings): EnvRead[] {
  const sc = ps.target?.sc;
  return ps.reads.filter((r) => IDENT.test(r.name) && (!sc || !fieldForEnv(sc, r.name)));
}

export default defineRule({
  id: 'python/settings-validation',
  title: 'Configuration is read from the environment without validation at startup',
  fixTitle: 'Declare every environment variable in a validated pydantic Settings class',
  severity: 'medium',
  safety: 'review',
  docs: {
    why:
      'Environment variables read with os.getenv() or os.environ all over the code are checked only when the line that ' +
      'reads them runs: a missing SMTP_HOST or a mistyped STRIPE_SECRET_KEY surfaces as a crash on the first email or ' +
      'payment in production, not when the app starts. Defaults buried in call sites hide what the app needs, and ' +
      'secrets get placeholder defaults that silently reach production.',
    fix:
      'Creates a settings module (next to the app, e.g. app/core/config.py) with a pydantic BaseSettings class — ' +
      'pydantic v2 + pydantic-settings, or v1 when the project uses pydantic 1 — or extends the existing Settings class ' +
      'with the variables it misses: one typed field per variable (type taken from the default and from how the code ' +
      'parses the value: int(), float(), "true"/"1" comparisons, .split(",")), required when the code gives no default, ' +
      'SecretStr for credentials; a default that holds a credential (a password in a database URL such as ' +
      'postgresql://user:pass@host/db, any non-empty default of a secret-like name) is not copied into the class: the ' +
      'field becomes required, so the password leaves the code; validators reject short or placeholder signing secrets, non-URL values for *_URL ' +
      'variables, and DEBUG or wildcard CORS origins when ENVIRONMENT is production. A module-level `settings = Settings()` ' +
      'makes the app fail at startup with one error naming every missing or invalid variable. pydantic-settings is added ' +
      'to the manifest when the generated code needs it. The call sites are rewritten by python/getenv-call-site.',
    safetyNote:
      'Variables without a default, or whose default held a credential, become required: the app refuses to start until ' +
      'they are set. Check the generated ' +
      'types and defaults, and set the new required variables in every environment before deploying.',
    example: {
      before: '# app/services/email.py\nSMTP_HOST = os.environ["SMTP_HOST"]\nSMTP_PORT = int(os.getenv("SMTP_PORT", "587"))',
      after:
        '# app/core/config.py\nclass Settings(BaseSettings):\n    model_config = SettingsConfigDict(extra="ignore")\n\n' +
        '    SMTP_HOST: str\n    SMTP_PORT: int = 587\n\n\nsettings = Settings()',
    },
    references: ['https://docs.pydantic.dev/latest/concepts/pydantic_settings/', 'https://12factor.net/config'],
  },
  kinds: ['python'],
  async detect({ ws }) {
    const out: FindingInput[] = [];
    for (const dir of pythonProjects(ws)) {
      const ps = await projectSettings(ws, dir);
      const missing = missingReads(ps);
      const names = [...new Set(missing.map((r) => r.name))].sort();
      const files = [...new Set(missing.map((r) => r.file))];
      const t = ps.target;
      if (names.length && t) {
        const unplaceable = names.filter((n) => !fieldNameFor(t.sc, n));
        const header = t.sc.node.startIndex;
        out.push({
          file: t.sc.file,
          start: header,
          end: t.sc.body.startIndex,
          message:
            `${t.sc.name} does not declare ${names.length} environment variable${names.length > 1 ? 's' : ''} the code reads ` +
            `with os.getenv/os.environ (${listNames(files)}): ${listNames(names)}; they are not validated at startup` +
            credentialNote(missing),
          anchor: `extend:${t.sc.name}`,
          fixable: unplaceable.length === 0,
          notFixableReason: unplaceable.length
            ? `${listNames(unplaceable)} do not start with the class's env_prefix "${t.sc.envPrefix}": declare them with an explicit alias`
            : undefined,
          data: { dir, mode: 'extend' } satisfies Data,
        });
      } else if (names.length && !declaredDependencies(ws, dir).deps.has('django')) {
        // (Django projects keep their configuration in settings.py by design: no second settings module.)
        const first = missing[0]!;
        out.push({
          file: first.file,
          start: first.start,
          end: first.end,
          message:
            `${names.length} environment variable${names.length > 1 ? 's are' : ' is'} read with os.getenv/os.environ across ` +
            `${files.length} file${files.length > 1 ? 's' : ''} and never validated at startup: ${listNames(names)}` +
            credentialNote(missing),
          anchor: `create:${dir || '.'}`,
          data: { dir, mode: 'create' } satisfies Data,
        });
      }
      // A settings class with an environment switch but nothing stopping DEBUG (or * origins) in production.
      if (t && !t.sc.hasModelValidator) {
        const guard = productionGuardFields(t.sc.fields.map((f) => f.name));
        if (guard) {
          const what = [guard.debug ? `${guard.debug}=true` : '', guard.origins ? `${guard.origins}=*` : ''].filter(Boolean).join(' or ');
          out.push({
            file: t.sc.file,
            start: t.sc.node.startIndex,
            end: t.sc.body.startIndex,
            message: `${t.sc.name} accepts ${what} when ${guard.env} is production`,
            anchor: `production:${t.sc.name}`,
            data: { dir, mode: 'production' } satisfies Data,
          });
        }
      }
    }
    return out;
  },
  async fix(finding, { ws }) {
    const data = finding.data as Data;
    const ps = await projectSettings(ws, data.dir);
    const t = ps.target;
    if (data.mode === 'production') {
      if (!t) return null;
      const guard = productionGuardFields(t.sc.fields.map((f) => f.name));
      if (!guard) return null;
      const originsField = guard.origins ? t.sc.fields.find((f) => f.name === guard.origins) : undefined;
      const originsIsList = originsField ? kindOfField(originsField).kind === 'list' : false;
      const res = extendClass(t, codeStyle(ws, ps.dir, ps.pyd, t.sc), { needs: { production: { ...guard, originsIsList } } });
      return res?.edits.length ? res.edits : null;
    }
    const missing = missingReads(ps);
    if (!missing.length) return null;
    if (data.mode === 'extend') {
      if (!t) return null;
      const specs = specsFor(missing, (env) => fieldNameFor(t.sc, env) ?? env);
      const res = extendClass(t, codeStyle(ws, ps.dir, ps.pyd, t.sc), { fields: specs, ensureInstance: true });
      return res?.edits.length ? res.edits : null;
    }
    const path = await newSettingsPath(ws, ps);
    const specs = specsFor(missing, (env) => env);
    const edits: FileEdit[] = [{ file: path, create: settingsModule(specs, ps.style) }];
    if (ps.style.major === 2 && !ps.pyd.settingsDeclared) {
      const target = manifestTarget(ws, ps.dir);
      if (target) {
        const rel = pydanticSettingsRelease(ps.pyd.pydanticSpec);
        const spec = specFor(target.style, { floor: rel.floor, pin: rel.version }, target.kind);
        const e = declareEdit(ws, target, 'pydantic-settings', spec, 'pydantic');
        if (e) edits.push(e);
      }
    }
    return edits;
  },
});
