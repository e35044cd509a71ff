// compose/migrate-service: database migrations that run when the app container starts (a Dockerfile
// CMD/ENTRYPOINT chain `alembic upgrade head && gunicorn …`, an entrypoint script, a compose
// `command:`), or migrations that nothing in the production setup runs at all (seed 002). Fix, in one
// change across files: a one-shot `migrate` service that uses the same image, environment, env_file,
// networks and database dependencies, runs only the migration and has `restart: "no"`; every service
// that used to migrate depends on it with `condition: service_completed_successfully`; the start
// command loses the migration step (a Dockerfile CMD becomes exec form so signals reach the server).
import { isMap, isScalar, isSeq, Scalar, type Node, type Pair, type YAMLMap, type YAMLSeq } from 'yaml';
import { defineRule } from '../../src/rule.js';
import { isDevCompose } from '../../src/project/migrations.js';
import type { FileEdit, FindingInput, RuleContext } from '../../src/types.js';
import { compose, composeFiles, dependsOnEdits, internalNetworks, roleOf, type ComposeFile, type ComposeService, type Located } from '../../src/project/compose.js';
import { blockItemEnd, flow, inlineText, mapColumn, renderPair, replaceScalar, replaceValueInline, styleOf, YamlEditError, type YamlValue } from '../../src/edit/yaml.js';
import { dockerfile, type DInstruction, type DStage, type DockerfileModel } from '../../src/parsers/dockerfile.js';
import {
  chainMigrations,
  createAllSkippedInProduction,
  execLast,
  migrationCommand,
  hasMigrationRunner,
  migrationSetups,
  packageScripts,
  removeMigrations,
  removeScriptSteps,
  shellScriptIndex,
  TOOL_NAMES,
  type ChainMigration,
  type MigrationSetup,
  type Scripts,
} from '../../src/project/migrations.js';
import { blankContinuationComments, effectiveRun, scriptOf, sourceOfImagePath } from '../../src/project/entrypoint.js';
import { plainWords, shellJoin, tokenize, type ShellWord } from '../../src/project/shell.js';
import { dirname, joinPath } from '../../src/classify.js';
import { lineStartAt } from '../../src/text.js';

/** Where migrations run today. */
type Source =
  | { kind: 'dockerfile'; dockerfile: string; ins: number; keyword: 'CMD' | 'ENTRYPOINT' }
  | { kind: 'script'; dockerfile: string; script: string }
  | { kind: 'compose'; file: string; service: string; key: 'command' | 'entrypoint' }
  | { kind: 'unrun'; marker: string };

interface Candidate {
  finding: FindingInput;
  plan?: (ctx: RuleContext) => FileEdit[] | null;
}

const NOT_RUN_ADVICE =
  'run the migration as a one-shot step before the new version starts: a Kubernetes Job or initContainer, a platform release command ' +
  '(Heroku/Render/Fly `release_command`), or a CI deploy step';

export default defineRule({
  id: 'compose/migrate-service',
  title: 'Database migrations run at container start, or not at all',
  fixTitle: 'Run migrations once, in a one-shot migrate service',
  severity: 'high',
  safety: 'review',
  kinds: ['dockerfile', 'compose', 'other', 'python', 'manifest'],
  docs: {
    why:
      'Running `alembic upgrade head && gunicorn …` in the container\'s start command migrates on every start: replicas race each ' +
      'other to apply the same migration, a restart loop re-runs it, a slow migration keeps the app from starting (and from passing ' +
      'its health check), and a failed one leaves a crash-looping app instead of a clear failed step. The opposite is as bad: a ' +
      'project with migrations that nothing in its production setup applies (for example `create_all` skipped in production) deploys ' +
      'code against a schema that was never created or updated.',
    fix:
      'Adds a one-shot `migrate` service to the production compose file: same build or image, the same environment (reusing the ' +
      'service\'s YAML anchor instead of copying values), env_file and networks, `depends_on` the database (`service_healthy` when it has ' +
      'a healthcheck), the migration command only, and `restart: "no"`. Every service that used to migrate gets `depends_on: ' +
      '{migrate: {condition: service_completed_successfully}}` (merged into its depends_on; list form becomes map form), and its start ' +
      'command loses the migration step: a Dockerfile CMD is rewritten in exec form so the server receives SIGTERM; a step in an ' +
      'entrypoint script is removed with its comment. Knows Alembic, Flask-Migrate, Django, Prisma, knex, Sequelize, TypeORM and ' +
      'npm scripts that wrap them.',
    safetyNote:
      'Deployments that do not use this compose file (Kubernetes, a PaaS) no longer migrate at start: they need their own one-shot ' +
      'step, which the finding says when no compose file runs the image. Check that the copied environment holds what the migration ' +
      'needs (database URL, settings module).',
    example: {
      before: "services:\n  db:\n    image: postgres:16\n  api:\n    image: acme/api:1.0\n    command: sh -c \"alembic upgrade head && gunicorn app:app -b 0.0.0.0:8000\"\n    environment:\n      DATABASE_URL: postgresql://app@db/app\n",
      after: "services:\n  db:\n    image: postgres:16\n  api:\n    image: acme/api:1.0\n    command: gunicorn app:app -b 0.0.0.0:8000\n    environment: &api-env\n      DATABASE_URL: postgresql://app@db/app\n    depends_on:\n      migrate:\n        condition: service_completed_successfully\n  migrate:\n    image: acme/api:1.0\n    command: [\"alembic\", \"upgrade\", \"head\"]\n    environment: *api-env\n    depends_on:\n      db:\n        condition: service_started\n    restart: \"no\"\n",
    },
    references: [
      'https://docs.docker.com/reference/compose-file/services/#depends_on',
      'https://alembic.sqlalchemy.org/en/latest/cookbook.html',
      'https://www.prisma.io/docs/orm/prisma-client/deployment/deploy-database-changes-with-prisma-migrate',
    ],
  },
  detect(ctx) {
    return candidates(ctx).map((c) => c.finding);
  },
  fix(finding, ctx) {
    const anchor = (finding.data as { anchor: string }).anchor;
    const c = candidates(ctx).find((x) => (x.finding.data as { anchor: string }).anchor === anchor && x.finding.file === finding.file);
    if (!c?.plan) return null;
    try {
      return c.plan(ctx);
    } catch (e) {
      if (e instanceof YamlEditError) return null;
      throw e;
    }
  },
});

// ---------------------------------------------------------------------------------------------
// Detection

/** The candidates on the current state, computed once per state and options (detect and every fix ask). */
function candidates(ctx: RuleContext): Candidate[] {
  return ctx.ws.memoSync(`compose/migrate-service/candidates\0${JSON.stringify(ctx.options)}`, () => findCandidates(ctx));
}

function findCandidates(ctx: RuleContext): Candidate[] {
  const out: Candidate[] = [];
  const seenScripts = new Set<string>();
  const contexts = buildContexts(ctx);
  for (const df of ctx.ws.files('dockerfile')) {
    // What a Dockerfile's start command migrates depends on its text, its package.json scripts, the
    // entrypoint script it runs and its build contexts (in the key), not on the rest of the compose
    // files: kept per Dockerfile, so a fix pass that changes compose files re-reads no Dockerfile.
    // Where the migrate service goes (planned → targetFor) depends on the compose files: asked each time.
    const dfContexts = contexts.get(df) ?? [dirname(df)];
    const found = ctx.ws.memoSync(`compose/migrate-service/dockerfile\0${df}\0${dfContexts.join('\0')}`, () => dockerfileFindings(ctx, df, dfContexts));
    for (const f of found) {
      if (f.script !== undefined) {
        if (seenScripts.has(f.script)) continue;
        seenScripts.add(f.script);
      }
      if (f.pending) out.push(planned(ctx, ...f.pending));
    }
  }
  for (const file of composeFiles(ctx.ws)) {
    if (isDevCompose(file)) continue;
    const cf = compose(ctx.ws, file);
    if (!cf) continue;
    for (const svc of cf.services) {
      for (const key of ['command', 'entrypoint'] as const) {
        const c = composeCommandCandidate(ctx, cf, svc, key);
        if (c) out.push(c);
      }
    }
  }
  if (!out.length) out.push(...unrunCandidates(ctx));
  return out;
}

function scriptsFor(ctx: RuleContext, dockerfilePath: string): Scripts {
  return packageScripts(ctx.ws, dirname(dockerfilePath));
}

/** A chain's migration steps, unless the migration is hidden in an npm script that also starts the server. */
function migrationsIn(src: string, scripts: Scripts): { steps: ChainMigration[]; mixedScript?: string } {
  const steps = chainMigrations(src, scripts);
  for (const s of steps) {
    if (s.match.script) {
      const body = scripts[s.match.script] ?? '';
      const rest = removeMigrations(body, chainMigrations(body, scripts));
      if (rest && !rest.empty) return { steps, mixedScript: s.match.script };
    }
  }
  return { steps };
}

function describe(steps: ChainMigration[]): string {
  return steps.map((s) => (s.match.script ? `npm script "${s.match.script}"` : TOOL_NAMES[s.match.tool])).join(', ');
}

/** The arguments of planned() after ctx. */
type Pending = [
  file: string,
  start: number | undefined,
  end: number | undefined,
  anchor: string,
  what: string,
  source: Source,
  steps: ChainMigration[],
  mixedScript: string | undefined,
  cannotSplit: boolean,
];

/** A Dockerfile's migrating start command or entrypoint script (script: the script it runs, for the once-per-script check). */
interface DockerfileFinding {
  script?: string;
  pending?: Pending;
}

/** What a Dockerfile's final stage runs at start that migrates, in order (memoised per Dockerfile by findCandidates). */
function dockerfileFindings(ctx: RuleContext, df: string, contexts: string[]): DockerfileFinding[] {
  const m = dockerfile(ctx.ws, df);
  if (!m || m.escape !== '\\') return [];
  const stage = m.stages[m.stages.length - 1]!;
  const out: DockerfileFinding[] = [];
  const run = effectiveRun(m, stage);
  const scripts = scriptsFor(ctx, df);
  for (const ins of [run.entrypoint, run.cmd]) {
    if (!ins || !stage.instructions.includes(ins)) continue;
    const script = commandScript(ins);
    if (script !== undefined) {
      const { steps, mixedScript } = migrationsIn(script, scripts);
      if (steps.length) {
        const rest = removeMigrations(script, steps);
        if (rest?.empty && !mixedScript) continue; // the command only migrates: a dedicated migration image
        const keyword = ins.keyword as 'CMD' | 'ENTRYPOINT';
        const anchor = `${keyword}:migrations`;
        const what = `${keyword} runs migrations (${describe(steps)}: \`${steps[0]!.text}\`) every time the container starts`;
        out.push({ pending: [df, ins.start, ins.end, anchor, what, { kind: 'dockerfile', dockerfile: df, ins: ins.start, keyword }, steps, mixedScript, rest === undefined] });
        continue;
      }
    }
    // An entrypoint script the image runs (each script is reported once: findCandidates skips one seen before).
    const words = ins.json ?? shellWords(ins);
    const s = words && scriptOf(words[0] === 'exec' ? words.slice(1) : words);
    if (!s) continue;
    const src = sourceOfImagePath(ctx.ws, df, m, stage, s.path, contexts);
    if (!src) continue;
    const text = ctx.ws.text(src);
    if (text === undefined) {
      out.push({ script: src });
      continue;
    }
    const { steps, mixedScript } = migrationsIn(text, scripts);
    if (!steps.length) {
      out.push({ script: src });
      continue;
    }
    const first = steps[0]!;
    const what = `${src} (the ${ins.keyword.toLowerCase()} of ${df}) runs migrations (${describe(steps)}: \`${first.text}\`) every time the container starts`;
    const blocked = removeScriptSteps(text, steps) === undefined;
    out.push({ script: src, pending: [src, first.item.start, first.item.end, 'script:migrations', what, { kind: 'script', dockerfile: df, script: src }, steps, mixedScript, blocked] });
  }
  return out;
}

/** The shell source a CMD/ENTRYPOINT runs: its shell form, or the script of `["sh", "-c", "…"]`. */
function commandScript(ins: DInstruction): string | undefined {
  if (ins.json) {
    const idx = shellScriptIndex(ins.json);
    return idx >= 0 ? ins.json[idx] : shellJoin(ins.json);
  }
  return joinedShellForm(ins);
}

function shellWords(ins: DInstruction): string[] | undefined {
  try {
    return tokenize(blankContinuationComments(ins.raw))
      .filter((t): t is ShellWord => t.type === 'word')
      .map((w) => w.value);
  } catch {
    return undefined;
  }
}

/** A shell-form instruction's source on one line; undefined when it has comments (they could not be kept). */
function joinedShellForm(ins: DInstruction): string | undefined {
  const blanked = blankContinuationComments(ins.raw);
  let toks;
  try {
    toks = tokenize(blanked);
  } catch {
    return undefined;
  }
  let out = '';
  let prevEnd = -1;
  for (const t of toks) {
    if (t.type === 'comment') return undefined;
    const text = t.type === 'word' ? t.raw.replace(/\\\n/g, '') : ins.raw.slice(t.start, t.end);
    out += (prevEnd === -1 || t.start === prevEnd ? '' : ' ') + text;
    prevEnd = t.end;
  }
  return out;
}

/**
 * Per Dockerfile, the directories its image may be built from: its own directory, then every compose
 * build context that names it (in compose file and service order).
 */
function buildContexts(ctx: RuleContext): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of composeFiles(ctx.ws)) {
    for (const s of compose(ctx.ws, f)?.services ?? []) {
      const df = s.build?.dockerfile;
      if (df === undefined || s.build!.context === undefined) continue;
      let list = out.get(df);
      if (!list) out.set(df, (list = [dirname(df)]));
      if (!list.includes(s.build!.context)) list.push(s.build!.context);
    }
  }
  return out;
}

function composeCommandCandidate(ctx: RuleContext, cf: ComposeFile, svc: ComposeService, key: 'command' | 'entrypoint'): Candidate | undefined {
  const loc = svc[key];
  if (!loc) return undefined;
  const words = commandWords(loc.node);
  if (!words) return undefined;
  const idx = shellScriptIndex(words);
  if (idx < 0) return undefined;
  const scripts = packageScripts(ctx.ws, svc.build?.context ?? cf.dir);
  const { steps, mixedScript } = migrationsIn(words[idx]!, scripts);
  if (!steps.length) return undefined;
  const rest = removeMigrations(words[idx]!, steps);
  if (rest?.empty && !mixedScript) return undefined; // already a migration-only service
  const r = (loc.node as { range?: [number, number, number] }).range;
  const what = `service "${svc.name}" ${key} runs migrations (${describe(steps)}: \`${steps[0]!.text}\`) every time the container starts`;
  return planned(ctx, cf.file, r?.[0], r?.[1], `${svc.name}:${key}:migrations`, what, { kind: 'compose', file: cf.file, service: svc.name, key }, steps, mixedScript, rest === undefined);
}

function commandWords(node: Node | undefined): string[] | undefined {
  if (!node) return undefined;
  if (isScalar(node) && typeof node.value === 'string') {
    try {
      return tokenize(node.value)
        .filter((t): t is ShellWord => t.type === 'word')
        .map((w) => w.value);
    } catch {
      return undefined;
    }
  }
  if (isSeq(node) && (node.items as Node[]).every((i) => isScalar(i) && i.value !== null)) return (node.items as Scalar[]).map((i) => String(i.value));
  return undefined;
}

const IMPACT = 'replicas race to apply the same migration, restarts re-run it, and a slow or failed migration keeps the app from starting';

function planned(
  ctx: RuleContext,
  file: string,
  start: number | undefined,
  end: number | undefined,
  anchor: string,
  what: string,
  source: Source,
  steps: ChainMigration[],
  mixedScript: string | undefined,
  cannotSplit: boolean,
): Candidate {
  const finding: FindingInput = { file, start, end, message: `${what}: ${IMPACT}`, anchor, data: { anchor } };
  const migration = steps[0]!.words;
  if (mixedScript) {
    return notFixable(finding, `the package.json script "${mixedScript}" runs the migration and then the server: make it only start the server, and run the migration once before deploying (its own script, run by a one-shot job or a migrate service)`);
  }
  if (cannotSplit) {
    return notFixable(finding, `the migration step sits inside a pipeline, a background job or compound shell syntax: take \`${shellJoin(migration)}\` out of it by hand and ${NOT_RUN_ADVICE}`);
  }
  const target = targetFor(ctx, source);
  if (!target) {
    return notFixable(
      finding,
      `no compose file builds or runs this image, so there is nowhere to add a migrate service: ${NOT_RUN_ADVICE}, then remove \`${shellJoin(migration)}\` from the start command`,
    );
  }
  finding.message += `; fix: a one-shot "migrate" service in ${target.cf.file} that the app services wait for`;
  return { finding, plan: (c) => planEdits(c, source, target, migration) };
}

function notFixable(finding: FindingInput, reason: string): Candidate {
  return { finding: { ...finding, fixable: false, notFixableReason: reason } };
}

// ---------------------------------------------------------------------------------------------
// Target: the production compose file and the services that migrate

interface Target {
  cf: ComposeFile;
  /** Services that run the migration today (they get depends_on migrate). */
  services: ComposeService[];
}

/**
 * Production compose files, the production-named ones first: once per state of the compose files
 * (every Dockerfile candidate asks). Shared: callers must not mutate the list.
 */
function productionComposeFiles(ctx: RuleContext): readonly ComposeFile[] {
  return ctx.ws.memoSync('compose/migrate-service/production-compose', () => findProductionComposeFiles(ctx));
}

function findProductionComposeFiles(ctx: RuleContext): ComposeFile[] {
  const files = composeFiles(ctx.ws).filter((f) => !isDevCompose(f));
  const rank = (f: string) => (/prod/i.test(f) ? 0 : /^(?:.*\/)?(?:docker-)?compose\.ya?ml$/.test(f) ? 1 : 2);
  return files
    .sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : 1))
    .map((f) => compose(ctx.ws, f))
    .filter((c): c is ComposeFile => c !== undefined);
}

function targetFor(ctx: RuleContext, source: Source): Target | undefined {
  if (source.kind === 'compose') {
    const cf = compose(ctx.ws, source.file);
    const svc = cf?.service(source.service);
    return cf && svc?.map && !svc.shared ? { cf, services: [svc] } : undefined;
  }
  if (source.kind === 'unrun') return undefined;
  const df = source.dockerfile;
  const files = productionComposeFiles(ctx);
  const usersIn = (cf: ComposeFile) => cf.services.filter((s) => s.map && !s.shared && s.build?.dockerfile === df);
  for (const cf of files) {
    // Services that replace the command (or the entrypoint, for a script) do not run the migration.
    const key = source.kind === 'script' ? 'entrypoint' : source.keyword === 'CMD' ? 'command' : 'entrypoint';
    const migrating = usersIn(cf).filter((s) => s[key] === undefined && (source.kind !== 'dockerfile' || source.keyword !== 'CMD' || s.entrypoint === undefined));
    if (migrating.length) return { cf, services: migrating };
  }
  // The image is built but every service replaces its command: under compose nothing migrates today,
  // so the services that build it need the migrate service all the same.
  for (const cf of files) {
    const users = usersIn(cf);
    if (users.length) return { cf, services: users };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Migrations that exist but that nothing runs

function unrunCandidates(ctx: RuleContext): Candidate[] {
  const setups = migrationSetups(ctx.ws);
  if (!setups.length || hasMigrationRunner(ctx.ws)) return [];
  const guard = createAllSkippedInProduction(ctx.ws);
  return setups.map((s) => {
    const signal = guard ? ` (${guard.file}:${guard.line} skips create_all in production, so the schema must come from migrations)` : '';
    const finding: FindingInput = {
      file: s.marker,
      line: 1,
      message: `${TOOL_NAMES[s.tool]} migrations exist but nothing in the production setup runs them${signal}: a new or updated database never gets its schema`,
      anchor: `unrun:${s.tool}`,
      data: { anchor: `unrun:${s.tool}` },
    };
    const target = unrunTarget(ctx, s);
    if (!target) {
      return notFixable(finding, `no compose file builds the app: ${NOT_RUN_ADVICE}, running \`${shellJoin(s.command)}\``);
    }
    const command = commandFor(s, target.context);
    finding.message += `; fix: a one-shot "migrate" service in ${target.cf.file} that runs \`${shellJoin(command)}\``;
    return { finding, plan: (c: RuleContext) => planEdits(c, { kind: 'unrun', marker: s.marker }, target, command) };
  });
}

function unrunTarget(ctx: RuleContext, s: MigrationSetup): (Target & { context: string }) | undefined {
  for (const cf of productionComposeFiles(ctx)) {
    const users = cf.services.filter((svc) => {
      const c = svc.build?.context;
      if (!svc.map || svc.shared || c === undefined || roleOf(svc.kind)) return false;
      return c === '' || s.marker.startsWith(c + '/');
    });
    if (!users.length) continue;
    // The deepest context that holds the migrations (backend/ rather than the repository root).
    const depth = (svc: ComposeService) => (svc.build!.context ? svc.build!.context.split('/').length : 0);
    const best = Math.max(...users.map(depth));
    const services = users.filter((u) => depth(u) === best);
    return { cf, services, context: services[0]!.build!.context! };
  }
  return undefined;
}

/** The migration command run from the image's working directory (assumed to hold the build context). */
function commandFor(s: MigrationSetup, context: string): string[] {
  const rel = (p: string) => (context ? p.slice(context.length + 1) : p);
  const dir = rel(s.dir ? s.dir + '/' : '').replace(/\/$/, '');
  if (!dir) return s.command;
  switch (s.tool) {
    case 'alembic':
      return ['alembic', '-c', joinPath(dir, 'alembic.ini'), 'upgrade', 'head'];
    case 'django':
      return ['python', joinPath(dir, 'manage.py'), 'migrate', '--noinput'];
    case 'prisma':
      return [...s.command, '--schema', joinPath(dir, 'prisma/schema.prisma')];
    case 'flask-migrate':
      return ['flask', 'db', 'upgrade', '--directory', joinPath(dir, 'migrations')];
    default:
      return s.command;
  }
}

// ---------------------------------------------------------------------------------------------
// The fix

function planEdits(ctx: RuleContext, source: Source, target: Target, migration: string[]): FileEdit[] | null {
  const cf = compose(ctx.ws, target.cf.file);
  if (!cf) return null;
  const services = target.services.map((s) => cf.service(s.name)).filter((s): s is ComposeService => s !== undefined && s.map !== undefined);
  if (!services.length) return null;
  const edits: FileEdit[] = [];
  // 1. The start command loses the migration step.
  const stepEdits = removeStepEdits(ctx, source);
  if (stepEdits === null) return null;
  // 2. The migrate service (reused when the file already has one that runs this migration).
  const existing = cf.services.find((s) => {
    const w = commandWords(s.command?.node);
    return w !== undefined && migrationCommand(w) !== undefined && shellJoin(w) === shellJoin(composeWords(migration, source));
  });
  const name = existing?.name ?? freeName(cf, 'migrate');
  // 3. depends_on in every service that used to migrate (before the new service's text: both may land
  //    where the first service ends, and insertions at one point keep their order).
  const composeEdits: FileEdit[] = [];
  for (const svc of services) composeEdits.push(...dependsOnEdits(cf, svc, { [name]: 'service_completed_successfully' }));
  if (!existing) composeEdits.push(...migrateServiceEdits(cf, services[0]!, name, composeWords(migration, source)));
  // Edits of the same compose file from step 1 (a compose command) and steps 2–3 must not overlap.
  edits.push(...stepEdits, ...composeEdits);
  return edits;
}

/** Words for a compose `command:`: from a Dockerfile or a script, `$` must be written `$$` in compose. */
function composeWords(words: string[], source: Source): string[] {
  return source.kind === 'compose' ? words : words.map((w) => w.replace(/\$/g, '$$$$'));
}

function freeName(cf: ComposeFile, base: string): string {
  if (!cf.service(base)) return base;
  for (let i = 2; ; i++) if (!cf.service(`${base}-${i}`)) return `${base}-${i}`;
}

/** Edits that take the migration step out of where it runs today; null when that is not possible. */
function removeStepEdits(ctx: RuleContext, source: Source): FileEdit[] | null {
  switch (source.kind) {
    case 'unrun':
      return [];
    case 'script': {
      const text = ctx.ws.text(source.script);
      if (text === undefined) return null;
      const scripts = scriptsFor(ctx, source.dockerfile);
      const splices = removeScriptSteps(text, chainMigrations(text, scripts));
      if (!splices) return null;
      return splices.map((s) => ({ file: source.script, ...s }));
    }
    case 'dockerfile': {
      const m = dockerfile(ctx.ws, source.dockerfile);
      const ins = m?.instructions.find((i) => i.start === source.ins);
      if (!m || !ins) return null;
      const script = commandScript(ins);
      if (script === undefined) return null;
      const rest = removeMigrations(script, chainMigrations(script, scriptsFor(ctx, source.dockerfile)));
      if (!rest || rest.empty) return null;
      const words = rest.words && (rest.words[0] === 'exec' ? rest.words.slice(1) : rest.words);
      const json = words ? words : ['sh', '-c', execLast(rest.text) ?? rest.text];
      const base = ins.end - ins.raw.length;
      const lead = ins.raw.length - ins.raw.trimStart().length;
      const tail = ins.raw.length - ins.raw.trimEnd().length;
      const region = ins.raw.slice(lead, ins.raw.length - tail);
      if (region.includes('\n') && /\n\s*#/.test(region)) return null; // comments inside the instruction
      return [{ file: source.dockerfile, start: base + lead, end: ins.end - tail, text: '[' + json.map((w) => JSON.stringify(w)).join(', ') + ']' }];
    }
    case 'compose': {
      const cf = compose(ctx.ws, source.file);
      const svc = cf?.service(source.service);
      const loc = svc?.[source.key];
      if (!cf || !svc || !loc) return null;
      return composeCommandEdits(ctx, cf, svc, loc);
    }
  }
}

/** A compose command without its migration step, in the form it was written. */
function composeCommandEdits(ctx: RuleContext, cf: ComposeFile, svc: ComposeService, loc: Located): FileEdit[] | null {
  const node = loc.node;
  const t = cf.target;
  const scripts = packageScripts(ctx.ws, svc.build?.context ?? cf.dir);
  if (isScalar(node) && typeof node.value === 'string') {
    const s = node.value;
    let words: ShellWord[];
    try {
      words = tokenize(s).filter((x): x is ShellWord => x.type === 'word');
    } catch {
      return null;
    }
    const idx = shellScriptIndex(words.map((w) => w.value));
    const w = words[idx]!;
    const rest = removeMigrations(w.value, chainMigrations(w.value, scripts));
    if (!rest || rest.empty) return null;
    if (rest.words) {
      // Compose splits a string command into words itself: no shell needed any more.
      return [replaceScalar(t, node as Scalar, plainWords(rest.text) ? rest.text.replace(/^exec\s+/, '') : shellJoin(rest.words))];
    }
    const script = execLast(rest.text) ?? rest.text;
    const q = w.raw[0];
    if ((q !== '"' && q !== "'") || !w.raw.endsWith(q) || w.raw.slice(1, -1) !== w.value || script.includes(q) || script.includes('\\')) return null;
    return [replaceScalar(t, node as Scalar, s.slice(0, w.start + 1) + script + s.slice(w.end - 1))];
  }
  if (isSeq(node)) {
    const seq = node as YAMLSeq;
    const items = seq.items as Scalar[];
    const words = items.map((i) => String(i.value));
    const idx = shellScriptIndex(words);
    const rest = removeMigrations(words[idx]!, chainMigrations(words[idx]!, scripts));
    if (!rest || rest.empty) return null;
    if (rest.words && seq.flow && !t.text.slice(seq.range![0], seq.range![1]).includes('#')) {
      const plain = rest.words[0] === 'exec' ? rest.words.slice(1) : rest.words;
      const quoted = items.every((i) => i.type === Scalar.QUOTE_DOUBLE || i.type === Scalar.QUOTE_SINGLE);
      return [replaceValueInline(t, seq as unknown as Node, flow(plain, { quoteStrings: quoted }))];
    }
    return [replaceScalar(t, items[idx]!, execLast(rest.text) ?? rest.text)];
  }
  return null;
}

// ---- the migrate service text ----

const DB_ROLES = new Set(['database']);

function migrateServiceEdits(cf: ComposeFile, app: ComposeService, name: string, command: string[]): FileEdit[] {
  const t = cf.target;
  const style = styleOf(t);
  const unit = ' '.repeat(style.indent);
  const servicesMap = cf.servicesMap!;
  const col = mapColumn(t, servicesMap);
  const ind = ' '.repeat(col);
  const keyCol = col + style.indent;
  const edits: FileEdit[] = [];
  const lines: string[] = [`${ind}${name}:`];
  const field = (key: string, text: string) => lines.push(`${ind}${unit}${key}:${text.startsWith('\n') ? '' : ' '}${text}`);

  // Same image: build (copied, or its anchor) and/or image.
  const build = app.get('build');
  const image = app.get('image');
  if (build) field('build', valueText(cf, build, keyCol));
  if (image) field('image', valueText(cf, image, keyCol));
  field('command', inlineText(flow(command, { quoteStrings: true }), style));
  // Same environment: through an anchor, never by copying values.
  const env = app.environmentNode;
  if (env) {
    const { alias, edit } = anchorFor(cf, env, `${app.name}-env`);
    if (edit) edits.push(edit);
    field('environment', alias);
  }
  const envFile = app.get('env_file');
  if (envFile) field('env_file', valueText(cf, envFile, keyCol));
  // The networks it needs: a migration talks to the database only, so when the app is on an
  // internal network (the databases' `backend`) it joins just that one, not the public-facing ones.
  const networks = app.get('networks');
  const internal = app.networks.filter((n) => internalNetworks(cf).has(n));
  if (internal.length && internal.length < app.networks.length) lines.push(renderPair('networks', internal, `${ind}${unit}`, style).replace(/\n$/, ''));
  else if (networks) field('networks', valueText(cf, networks, keyCol));
  // The databases it needs, healthy when they have a healthcheck.
  const dbs = databaseDeps(cf, app);
  if (dbs.length) {
    lines.push(`${ind}${unit}depends_on:`);
    for (const db of dbs) {
      lines.push(`${ind}${unit}${unit}${db.name}:`);
      lines.push(`${ind}${unit}${unit}${unit}condition: ${db.healthcheck ? 'service_healthy' : 'service_started'}`);
    }
  }
  // The app's resource limits (same image, same code): a one-shot job is limited like the service.
  const limits = (app.value as { deploy?: { resources?: { limits?: Record<string, unknown> } } }).deploy?.resources?.limits;
  if (limits && typeof limits === 'object' && Object.keys(limits).length) {
    const l: Record<string, YamlValue> = {};
    for (const [k, v] of Object.entries(limits)) if (typeof v === 'string' || typeof v === 'number') l[k] = v;
    if (Object.keys(l).length) lines.push(renderPair('deploy', { resources: { limits: l } }, `${ind}${unit}`, style).replace(/\n$/, ''));
  }
  field('restart', inlineText('no', style));
  const appIdx = servicesMap.items.indexOf(app.pair as never);
  const isLast = appIdx === servicesMap.items.length - 1;
  const at = blockItemEnd(t.text, app.pair, col, isLast);
  let text = lines.join('\n') + '\n';
  // Services separated by blank lines: keep that layout.
  if (t.text[at] === '\n' || (isLast && blankBetweenServices(cf))) text = '\n' + text;
  if (at > 0 && t.text[at - 1] !== '\n') text = '\n' + text;
  edits.push({ file: cf.file, start: at, end: at, text });
  return edits;
}

function blankBetweenServices(cf: ComposeFile): boolean {
  const items = cf.servicesMap!.items;
  if (items.length < 2) return false;
  const second = (items[1]!.key as Node).range![0];
  const before = cf.model.text.slice(0, lineStartAt(cf.model.text, second));
  return /\n[ \t]*\n(?:[ \t]*#[^\n]*\n)*$/.test(before);
}

function databaseDeps(cf: ComposeFile, app: ComposeService): { name: string; healthcheck: boolean }[] {
  const isDb = (s: ComposeService | undefined) => s !== undefined && DB_ROLES.has(roleOf(s.kind) ?? '');
  let names = app.dependsOn.map((d) => d.name).filter((n) => isDb(cf.service(n)));
  if (!names.length) {
    const all = cf.services.filter((s) => isDb(s));
    if (all.length === 1) names = [all[0]!.name];
  }
  return names.map((n) => ({ name: n, healthcheck: cf.service(n)!.healthcheck !== undefined }));
}

/** The text of a value to repeat under another key at `keyCol`: an alias when it has an anchor, else a copy. */
function valueText(cf: ComposeFile, loc: Located, keyCol: number): string {
  const text = cf.model.text;
  if (loc.alias) return text.slice(loc.alias.range![0], loc.alias.range![1]);
  const node = loc.node as Node & { anchor?: string };
  if (node.anchor) return `*${node.anchor}`;
  const r = node.range!;
  const src = text.slice(r[0], r[1]).replace(/\s+$/, '');
  const block = (isMap(node) || isSeq(node)) && !(node as YAMLMap | YAMLSeq).flow;
  if (!block) return src;
  // A block collection: its lines, shifted to the new key's column.
  const pairKey = loc.pair?.key as Node | undefined;
  const srcKeyCol = pairKey?.range ? pairKey.range[0] - lineStartAt(text, pairKey.range[0]) : keyCol;
  const delta = keyCol - srcKeyCol;
  const from = lineStartAt(text, r[0]);
  const lines = text.slice(from, r[0] + src.length);
  const shifted = lines
    .split('\n')
    .map((l) => (l.trim() === '' ? l.trimEnd() : delta >= 0 ? ' '.repeat(delta) + l : l.slice(Math.min(-delta, /^ */.exec(l)![0].length))))
    .join('\n');
  return '\n' + shifted;
}

/** An alias for a node, adding an anchor to it where it is defined when it has none. */
function anchorFor(cf: ComposeFile, loc: Located, wanted: string): { alias: string; edit?: FileEdit } {
  const text = cf.model.text;
  if (loc.alias) return { alias: text.slice(loc.alias.range![0], loc.alias.range![1]) };
  const node = loc.node as Node & { anchor?: string };
  if (node.anchor) return { alias: `*${node.anchor}` };
  let name = wanted.replace(/[^A-Za-z0-9_-]/g, '-');
  for (let i = 2; text.includes(`&${name}`); i++) name = `${wanted}-${i}`;
  const pair = loc.pair as Pair<Node, Node> | undefined;
  const keyR = (pair?.key as Node | undefined)?.range;
  if (!keyR) throw new YamlEditError('environment has no key to anchor');
  const colon = text.indexOf(':', keyR[1]);
  return { alias: `*${name}`, edit: { file: cf.file, start: colon + 1, end: colon + 1, text: ` &${name}` } };
}

