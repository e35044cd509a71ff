// Knowledge of database migration commands: which command lines run migrations (alembic, Flask-Migrate,
// Django, Prisma, knex, Sequelize, TypeORM, … and npm scripts that wrap them), how to take a migration
// step out of a shell chain (`alembic upgrade head && gunicorn …`, `sh -c "…"`, an entrypoint script),
// which projects have migrations, and whether anything in the repository runs them.
import { parseDocument, isScalar, isSeq, isMap, type Document, type Node } from 'yaml';
import { yaml } from '../parsers/yaml.js';
import type { Workspace } from '../workspace.js';
import type { FileKind } from '../types.js';
import { basename, dirname, joinPath } from '../classify.js';
import { isDevComposeFile } from './compose.js';
import { parseCommandList, plainWords, shellJoin, ShellSyntaxError, type CommandList, type CommandListItem, type SimpleCommand } from './shell.js';

export type MigrationTool =
  | 'alembic'
  | 'flask-migrate'
  | 'django'
  | 'prisma'
  | 'knex'
  | 'sequelize'
  | 'typeorm'
  | 'drizzle'
  | 'mikro-orm'
  | 'node-pg-migrate'
  | 'rails'
  | 'artisan'
  | 'goose'
  | 'dbmate'
  | 'golang-migrate'
  | 'npm-script';

export const TOOL_NAMES: Record<MigrationTool, string> = {
  alembic: 'Alembic',
  'flask-migrate': 'Flask-Migrate',
  django: 'Django',
  prisma: 'Prisma',
  knex: 'knex',
  sequelize: 'Sequelize',
  typeorm: 'TypeORM',
  drizzle: 'Drizzle',
  'mikro-orm': 'MikroORM',
  'node-pg-migrate': 'node-pg-migrate',
  rails: 'Rails',
  artisan: 'Laravel',
  goose: 'goose',
  dbmate: 'dbmate',
  'golang-migrate': 'migrate',
  'npm-script': 'npm script',
};

export interface MigrationMatch {
  tool: MigrationTool;
  /** The npm/yarn/pnpm script name when the command runs a package.json script that migrates. */
  script?: string;
}

/** package.json scripts, to see through `npm run migrate`. */
export type Scripts = Record<string, string>;

const PY = /^python(?:\d+(?:\.\d+)?)?$/;

/**
 * Strip launchers that run another command (exec, env, poetry run, uv run, npx, pnpm exec, python -m, bundle
 * exec, paths to binaries) and return the effective command words, lowercased program name first.
 */
export function effectiveCommand(words: readonly string[]): string[] {
  let w = [...words];
  for (let guard = 0; guard < 8 && w.length; guard++) {
    const prog = basename(w[0]!);
    const next = w[1];
    if (prog === 'exec' || prog === 'time' || prog === 'nice' || prog === 'nohup' || prog === 'tini' || prog === 'dumb-init' || prog === 'gosu' || prog === 'su-exec') {
      w = w.slice(1);
      if ((prog === 'gosu' || prog === 'su-exec') && w.length) w = w.slice(1); // the user argument
      while (w[0] === '--' || (w[0]?.startsWith('-') && prog !== 'exec')) w = w.slice(1);
      continue;
    }
    if (prog === 'env') {
      w = w.slice(1);
      while (w.length && (/^[A-Za-z_][A-Za-z0-9_]*=/.test(w[0]!) || w[0]!.startsWith('-'))) w = w.slice(1);
      continue;
    }
    if (['poetry', 'pipenv', 'uv', 'pdm', 'hatch', 'rye'].includes(prog) && next === 'run') {
      w = w.slice(2);
      while (w[0]?.startsWith('-')) w = w.slice(1);
      continue;
    }
    if (prog === 'bundle' && next === 'exec') {
      w = w.slice(2);
      continue;
    }
    if (prog === 'npx' || prog === 'bunx') {
      w = w.slice(1);
      while (w[0]?.startsWith('-')) w = w.slice(1);
      continue;
    }
    if ((prog === 'pnpm' || prog === 'bun') && (next === 'exec' || next === 'dlx' || next === 'x')) {
      w = w.slice(2);
      while (w[0]?.startsWith('-')) w = w.slice(1);
      continue;
    }
    if (prog === 'npm' && next === 'exec') {
      w = w.slice(2);
      while (w[0]?.startsWith('-')) w = w.slice(1);
      continue;
    }
    if (PY.test(prog) && next === '-m' && w[2]) {
      w = [w[2], ...w.slice(3)];
      continue;
    }
    if (PY.test(prog) && next && !next.startsWith('-')) {
      // python manage.py …, python3 ./src/manage.py …
      w = [next, ...w.slice(2)];
      continue;
    }
    if (prog === 'node' && next && /node_modules\/\.bin\//.test(next)) {
      w = w.slice(1);
      continue;
    }
    break;
  }
  if (w.length) w[0] = basename(w[0]!).toLowerCase();
  return w;
}

/** Positional arguments (not options, nor the values of the options that take one). */
function positionals(args: readonly string[], optionsWithValue: readonly string[] = []): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('-')) {
      if (!a.includes('=') && optionsWithValue.includes(a)) i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

const SCRIPT_RUNNERS = new Set(['npm', 'yarn', 'pnpm', 'bun']);

/** Does this command (its words) run database migrations? */
export function migrationCommand(words: readonly string[], scripts: Scripts = {}, depth = 0): MigrationMatch | undefined {
  const w = effectiveCommand(words);
  if (!w.length) return undefined;
  const [prog, ...args] = w as [string, ...string[]];
  const pos = positionals(args, ['-c', '--config', '-n', '--name', '-x', '--app', '-A', '--settings', '--database', '-d', '--dataSource', '--env', '--knexfile', '--schema', '--config-path', '-path', '-database', '-dir', '--migrations-dir', '--url']);
  const has = (...seq: string[]) => pos.join('\0').includes(seq.join('\0'));
  switch (prog) {
    case 'alembic':
      if (pos[0] === 'upgrade') return { tool: 'alembic' };
      break;
    case 'flask':
      if (has('db', 'upgrade')) return { tool: 'flask-migrate' };
      break;
    case 'manage.py':
    case 'django-admin':
    case 'django':
      if (pos[0] === 'migrate') return { tool: 'django' };
      break;
    case 'prisma':
      if (has('migrate', 'deploy') || has('migrate', 'dev') || has('db', 'push')) return { tool: 'prisma' };
      break;
    case 'knex':
      if (pos[0] === 'migrate:latest' || pos[0] === 'migrate:up') return { tool: 'knex' };
      break;
    case 'sequelize':
    case 'sequelize-cli':
      if (pos[0] === 'db:migrate') return { tool: 'sequelize' };
      break;
    case 'typeorm':
    case 'typeorm-ts-node-commonjs':
    case 'typeorm-ts-node-esm':
      if (pos[0] === 'migration:run') return { tool: 'typeorm' };
      break;
    case 'drizzle-kit':
      if (pos[0] === 'migrate' || pos[0] === 'push') return { tool: 'drizzle' };
      break;
    case 'mikro-orm':
      if (pos[0] === 'migration:up') return { tool: 'mikro-orm' };
      break;
    case 'node-pg-migrate':
      if (pos[0] === 'up') return { tool: 'node-pg-migrate' };
      break;
    case 'rails':
    case 'rake':
      if (pos[0] === 'db:migrate') return { tool: 'rails' };
      break;
    case 'php':
      if (basename(pos[0] ?? '') === 'artisan' && pos[1] === 'migrate') return { tool: 'artisan' };
      break;
    case 'artisan':
      if (pos[0] === 'migrate') return { tool: 'artisan' };
      break;
    case 'goose':
      if (pos.includes('up')) return { tool: 'goose' };
      break;
    case 'dbmate':
      if (pos[0] === 'up' || pos[0] === 'migrate') return { tool: 'dbmate' };
      break;
    case 'migrate':
      if (pos[0] === 'up' && args.some((a) => a.startsWith('-path') || a.startsWith('-source') || a.startsWith('-database'))) return { tool: 'golang-migrate' };
      break;
  }
  if (SCRIPT_RUNNERS.has(prog)) {
    // npm run <s>, npm run-script <s>, yarn <s>, yarn run <s>, pnpm <s>, pnpm run <s>, bun run <s>
    let name: string | undefined;
    if (pos[0] === 'run' || pos[0] === 'run-script') name = pos[1];
    else if (prog !== 'npm' && pos[0] && !['install', 'add', 'ci', 'build', 'exec', 'dlx', 'x'].includes(pos[0])) name = pos[0];
    else if (prog === 'npm' && (pos[0] === 'start' || pos[0] === 'test')) name = pos[0];
    if (name) {
      const body = scripts[name];
      if (body !== undefined) {
        if (depth < 4 && chainMigrations(body, scripts, depth + 1).length) return { tool: 'npm-script', script: name };
      } else if (/(^|:)(db:)?migrat(e|ions?)(:|$)|^migrate/.test(name)) {
        return { tool: 'npm-script', script: name };
      }
    }
  }
  return undefined;
}

function safeList(src: string): CommandList | undefined {
  try {
    return parseCommandList(src);
  } catch (e) {
    if (e instanceof ShellSyntaxError) return undefined;
    throw e;
  }
}

export interface ChainMigration {
  item: CommandListItem;
  match: MigrationMatch;
  /** The migration command's words (launchers included, as written: `alembic -c x upgrade head`). */
  words: string[];
  /** The command's source text. */
  text: string;
  /** Items after it that belong to it (an `|| true` fallback). */
  fallback: CommandListItem[];
}

/** Migration steps in a shell command list (a chain, an `sh -c` string or a whole script). */
export function chainMigrations(src: string, scripts: Scripts = {}, depth = 0): ChainMigration[] {
  const list = safeList(src);
  if (!list) return [];
  const out: ChainMigration[] = [];
  for (let k = 0; k < list.items.length; k++) {
    const item = list.items[k]!;
    const cmd = item.pipeline[0]!;
    const words = cmd.words.map((w) => w.value);
    const match = migrationCommand(words, scripts, depth);
    if (!match) continue;
    const fallback: CommandListItem[] = [];
    let j = k;
    while (list.items[j]!.sep === '||' && list.items[j + 1]) fallback.push(list.items[++j]!);
    out.push({ item, match, words, text: src.slice(cmd.start, cmd.end), fallback });
    k = j;
  }
  return out;
}

/** The script of `sh -c "<script>"` / `bash -lc '<script>'` / `/bin/sh -ec …` command words, else undefined. */
export function shellWrapped(words: readonly string[]): string | undefined {
  const sh = words[0] ? basename(words[0]) : '';
  if (!['sh', 'bash', 'ash', 'dash', 'zsh'].includes(sh)) return undefined;
  let i = 1;
  while (i < words.length && /^-[a-z]+$/.test(words[i]!)) {
    if (words[i]!.includes('c')) return words[i + 1];
    i++;
  }
  return undefined;
}

/** Index of the script word in `sh -c <script> …` words, or -1. */
export function shellScriptIndex(words: readonly string[]): number {
  const sh = words[0] ? basename(words[0]) : '';
  if (!['sh', 'bash', 'ash', 'dash', 'zsh'].includes(sh)) return -1;
  for (let i = 1; i < words.length && /^-[a-z]+$/.test(words[i]!); i++) {
    if (words[i]!.includes('c')) return i + 1 < words.length ? i + 1 : -1;
  }
  return -1;
}

/** What is left of a command string once its migration steps are taken out. */
export interface ChainRest {
  /** The remaining source text (separators of removed steps dropped). */
  text: string;
  /** Its words when it is one plain command that needs no shell (exec form possible). */
  words?: string[];
  /** It is empty (the string only migrated). */
  empty: boolean;
}

/**
 * Remove migration steps from a command chain: `alembic upgrade head && gunicorn app` → `gunicorn app`;
 * `set -e; alembic upgrade head; exec "$@"` → `set -e; exec "$@"`. Returns undefined when a migration
 * is inside a pipeline or backgrounded, or the list uses compound syntax.
 */
export function removeMigrations(src: string, migrations: ChainMigration[]): ChainRest | undefined {
  const list = safeList(src);
  if (!list || list.compound) return undefined;
  const drop = new Set<CommandListItem>();
  for (const m of migrations) {
    const item = list.items.find((i) => i.start === m.item.start);
    if (!item || item.pipeline.length !== 1 || item.sep === '&') return undefined;
    drop.add(item);
    for (const f of m.fallback) {
      const fi = list.items.find((i) => i.start === f.start);
      if (fi) drop.add(fi);
    }
  }
  const kept = list.items.filter((i) => !drop.has(i));
  let text = '';
  kept.forEach((it, idx) => {
    text += src.slice(it.start, it.end);
    if (idx < kept.length - 1) text += separatorText(src, it, list);
  });
  text = text.trim();
  const words = plainWords(text);
  return { text, words, empty: kept.length === 0 };
}

/** The text between an item and the next one, normalised (" && ", "; ", "\n"). */
function separatorText(src: string, it: CommandListItem, list: CommandList): string {
  const next = list.items[list.items.indexOf(it) + 1];
  if (!next) return '';
  const between = src.slice(it.end, next.start);
  if (it.sep === '\n' || between.includes('\n')) return between;
  if (it.sep === '&&') return ' && ';
  if (it.sep === '||') return ' || ';
  return '; ';
}

/** Prefix `exec` to the last command of a chain (after its NAME=value assignments), when that is sound. */
export function execLast(src: string): string | undefined {
  const list = safeList(src);
  if (!list || list.compound || !list.items.length) return undefined;
  const last = list.items[list.items.length - 1]!;
  for (const it of list.items.slice(0, -1)) if (it.sep !== '&&' && it.sep !== ';' && it.sep !== '\n') return undefined;
  if (last.pipeline.length !== 1 || (last.sep && last.sep !== '\n' && last.sep !== ';')) return undefined;
  const cmd: SimpleCommand = last.pipeline[0]!;
  if (!cmd.words.length) return undefined;
  const first = cmd.words[0]!;
  if (first.value === 'exec') return src;
  if (['cd', 'export', 'set', 'wait', 'exit', 'trap', 'true', 'false', ':', 'echo', 'source', '.'].includes(first.value)) return undefined;
  return src.slice(0, first.start) + 'exec ' + src.slice(first.start);
}

// ---- projects with migrations, and what runs them ----

export interface MigrationSetup {
  tool: MigrationTool;
  /** The file that shows migrations exist (alembic.ini, manage.py, prisma/schema.prisma, knexfile.js …). */
  marker: string;
  /** The directory commands run from (the marker's project directory). */
  dir: string;
  /** The command that applies the migrations, run from dir. */
  command: string[];
}

/**
 * Projects in the workspace that have database migrations: computed again only when a marker file
 * (or a file where a marker looks for migrations) appears or disappears or a text it read
 * (Flask-Migrate detection) changes, not after every fix pass. The list is shared: callers must not
 * mutate it.
 */
export function migrationSetups(ws: Workspace): MigrationSetup[] {
  return ws.memoSync('migrations/setups', () => findMigrationSetups(ws));
}

/** Base names of the files that can show migrations exist (the only ones findMigrationSetups looks at). */
const MARKER_NAMES = ['alembic.ini', 'manage.py', 'schema.prisma', 'knexfile.js', 'knexfile.cjs', 'knexfile.mjs', 'knexfile.ts', '.sequelizerc'];

function findMigrationSetups(ws: Workspace): MigrationSetup[] {
  const out: MigrationSetup[] = [];
  const has = (f: string) => ws.exists(f);
  // The marker files by name (in path order, as a walk of every file would meet them): no pass over
  // every path of the repository, and a created file invalidates the memo only when it is named so
  // (or lands where a marker looks for migrations).
  const markers = MARKER_NAMES.flatMap((n) => ws.filesNamed(n)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const f of markers) {
    const base = basename(f);
    const dir = dirname(f);
    if (base === 'alembic.ini') {
      const parent = basename(dir);
      if (parent === 'migrations' && has(joinPath(dir, 'env.py')) && usesFlaskMigrate(ws, dirname(dir))) {
        out.push({ tool: 'flask-migrate', marker: f, dir: dirname(dir), command: ['flask', 'db', 'upgrade'] });
      } else {
        out.push({ tool: 'alembic', marker: f, dir, command: ['alembic', 'upgrade', 'head'] });
      }
    } else if (base === 'manage.py') {
      if (ws.filesUnder(dir).some((x) => /\/migrations\/(?:0\d{3}_[^/]*|__init__)\.py$/.test(x))) {
        out.push({ tool: 'django', marker: f, dir, command: ['python', 'manage.py', 'migrate', '--noinput'] });
      }
    } else if (base === 'schema.prisma' && basename(dir) === 'prisma') {
      if (ws.filesUnder(joinPath(dir, 'migrations')).length) {
        out.push({ tool: 'prisma', marker: f, dir: dirname(dir), command: ['npx', 'prisma', 'migrate', 'deploy'] });
      }
    } else if (/^knexfile\.(?:js|cjs|mjs|ts)$/.test(base)) {
      out.push({ tool: 'knex', marker: f, dir, command: ['npx', 'knex', 'migrate:latest'] });
    } else if (base === '.sequelizerc') {
      out.push({ tool: 'sequelize', marker: f, dir, command: ['npx', 'sequelize-cli', 'db:migrate'] });
    }
  }
  // A Flask-Migrate alembic.ini found via its parent is reported once, not also as plain alembic.
  return out.filter((s, i) => out.findIndex((o) => o.marker === s.marker) === i);
}

function usesFlaskMigrate(ws: Workspace, dir: string): boolean {
  for (const f of ws.filesUnder(dir)) {
    const b = basename(f);
    if (!(b.endsWith('.py') || /^requirements[^/]*\.txt$/.test(b) || b === 'pyproject.toml')) continue;
    const t = ws.text(f);
    if (t && /flask[_-]migrate/i.test(t)) return true;
  }
  return false;
}

/** package.json scripts of the package at dir (or the nearest one above it). */
export function packageScripts(ws: Workspace, dir: string): Scripts {
  let d = dir;
  for (;;) {
    const p = joinPath(d, 'package.json');
    if (ws.exists(p)) {
      try {
        const j = JSON.parse(ws.text(p) ?? '{}') as { scripts?: Record<string, unknown> };
        const out: Scripts = {};
        for (const [k, v] of Object.entries(j.scripts ?? {})) if (typeof v === 'string') out[k] = v;
        return out;
      } catch {
        return {};
      }
    }
    if (!d) return {};
    d = dirname(d);
  }
}

/** Files that look like development-only configuration (not a production setup). */
export function isDevFile(file: string): boolean {
  const b = basename(file).toLowerCase();
  if (/(?:^|\/)\.devcontainer\//.test(file)) return true;
  return /(?:^|[.-])(?:dev|development|local|debug|test|ci)(?:[.-]|$)/.test(b.replace(/\.ya?ml$/, '')) || b.includes('override');
}

/** Compose files meant for development: the compose model's rule (`*.dev.yml`, overrides, `compose.local.*`) plus `.devcontainer/` and CI/test files. */
export function isDevCompose(file: string): boolean {
  return isDevComposeFile(file) || isDevFile(file);
}

export interface MigrationRunner {
  file: string;
  /** How it runs them, for messages. */
  how: string;
}

/**
 * Places in the repository that run migrations in a deployment: Dockerfile CMD/ENTRYPOINT/RUN and the
 * scripts they run, compose commands (not development files), Procfile release lines, fly.toml
 * release_command, CI workflows, Kubernetes jobs, shell scripts, package.json scripts, and Python code
 * that applies migrations programmatically.
 */
const runnerCache = new WeakMap<Workspace, Map<string, { text: string; found: MigrationRunner[] }>>();

/**
 * The kinds of file that can run a migration (the others are never read), in the order
 * hasMigrationRunner looks: the ones other rules read first.
 */
const RUNNER_KINDS: FileKind[] = ['compose', 'dockerfile', 'manifest', 'python', 'other'];

export function migrationRunners(ws: Workspace): MigrationRunner[] {
  const cache = runnerCacheOf(ws);
  // Listed by kind, in path order: no per-file kind lookup among all files of the repository.
  const files: [string, FileKind][] = RUNNER_KINDS.flatMap((k) => ws.files(k).map((f): [string, FileKind] => [f, k]));
  files.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: MigrationRunner[] = [];
  for (const [f, kind] of files) out.push(...runnersOf(ws, cache, f, kind));
  return out;
}

/**
 * Whether anything in the repository runs migrations: migrationRunners(ws).length > 0, stopping at the
 * first runner. Files already read by other rules (compose files, Dockerfiles, manifests) are looked
 * at first, so a repository whose compose file runs a migration reads no other file. Kept while
 * nothing it read changed (a fix pass that changes other compose files re-checks from the per-text
 * cache without scanning any text again).
 */
export function hasMigrationRunner(ws: Workspace): boolean {
  return ws.memoSync('migrations/has-runner', () => {
    const cache = runnerCacheOf(ws);
    for (const kind of RUNNER_KINDS) {
      for (const f of ws.files(kind)) if (runnersOf(ws, cache, f, kind).length) return true;
    }
    return false;
  });
}

function runnerCacheOf(ws: Workspace): Map<string, { text: string; found: MigrationRunner[] }> {
  let cache = runnerCache.get(ws);
  if (!cache) runnerCache.set(ws, (cache = new Map()));
  return cache;
}

const NONE: MigrationRunner[] = [];

/** The runners in one file (what migrationRunners finds there), from the per-text cache. */
function runnersOf(ws: Workspace, cache: Map<string, { text: string; found: MigrationRunner[] }>, f: string, kind: FileKind): MigrationRunner[] {
  const b = basename(f);
  if (kind === 'compose' && isDevCompose(f)) return NONE;
  if (kind === 'other' && !(/\.(?:ya?ml|json)$/.test(b) || b.endsWith('.sh') || b === 'Procfile' || b.endsWith('.toml') || b === 'entrypoint' || b === 'docker-entrypoint')) return NONE;
  const text = ws.text(f);
  if (text === undefined) return NONE;
  // A package.json's runners depend on its own text only (packageScripts of its directory reads it).
  const hit = cache.get(f);
  if (hit && hit.text === text) return hit.found;
  const found: MigrationRunner[] = [];
  runnersIn(ws, f, kind, b, text, found);
  cache.set(f, { text, found });
  return found;
}

function runnersIn(ws: Workspace, f: string, kind: string | undefined, b: string, text: string, out: MigrationRunner[]): void {
  {
    if (kind === 'python') {
      if (/\bcommand\.upgrade\(|call_command\(\s*["']migrate["']|flask_migrate\b[\s\S]*\bupgrade\(/.test(text)) out.push({ file: f, how: 'applies migrations in code' });
      return;
    }
    if (kind === 'manifest') {
      if (b !== 'package.json') return;
      const scripts = packageScripts(ws, dirname(f));
      for (const [name, body] of Object.entries(scripts)) {
        if (!['start', 'prestart', 'poststart', 'deploy', 'predeploy', 'release', 'postinstall', 'start:prod', 'start:production'].includes(name)) continue;
        if (chainMigrations(body, scripts).length) out.push({ file: f, how: `the "${name}" script migrates` });
      }
      return;
    }
    if (/\.(?:ya?ml|json)$/.test(b)) {
      // A compose file's parse is the workspace's (the compose rules parse it anyway): the same
      // nodes as parsing it here again (uniqueKeys and merge keys change only key tags and which
      // texts are refused, and a refused text is parsed here as before). Several documents: split here.
      const parsed = kind === 'compose' && !text.includes('\n---') ? () => yaml(ws, f)?.doc : undefined;
      if (structuredMentions(text, parsed)) out.push({ file: f, how: 'runs a migration command' });
      return;
    }
    if (kind === 'other' && !(b.endsWith('.sh') || b === 'Procfile' || b.endsWith('.toml') || b === 'entrypoint' || b === 'docker-entrypoint')) return;
    if (textMentions(text)) out.push({ file: f, how: 'runs a migration command' });
  }
}

/** A migration command anywhere in free text (one command per line; any word may start it). */
export function textMentions(text: string): boolean {
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    if (!/migrat|upgrade|db:|push|deploy|\bup\b/.test(t)) continue;
    let words: string[];
    const list = safeList(t.replace(/^[A-Za-z_]+\s*=\s*/, ''));
    if (!list) continue;
    for (const it of list.items) {
      for (const c of it.pipeline) {
        words = c.words.map((w) => w.value.replace(/^["'[,]+|["'\],]+$/g, ''));
        for (let i = 0; i < words.length; i++) if (migrationCommand(words.slice(i))) return true;
        const inner = shellWrapped(words);
        if (inner && textMentions(inner)) return true;
        // A quoted command (release_command = "python manage.py migrate").
        for (const w of c.words) if (w.quoted && w.value.includes(' ') && w.value !== inner && textMentions(w.value)) return true;
      }
    }
  }
  return false;
}

function structuredMentions(text: string, parsed?: () => Document.Parsed | undefined): boolean {
  if (!/migrat|upgrade|db:|push|deploy|\bup\b/.test(text)) return false;
  let found = false;
  try {
    const given = parsed?.();
    const docs = given ? [''] : text.includes('\n---') ? text.split(/\n---[^\n]*\n/) : [text];
    for (const d of docs) {
      const doc = given ?? parseDocument(d, { uniqueKeys: false });
      if (doc.errors.length) continue;
      const walk = (n: Node | null | undefined): void => {
        if (found || !n) return;
        if (isScalar(n)) {
          if (typeof n.value === 'string' && textMentions(n.value)) found = true;
        } else if (isSeq(n)) {
          const items = n.items.map((x) => (isScalar(x) && typeof x.value === 'string' ? x.value : undefined));
          if (items.length && items.every((x) => x !== undefined)) {
            const ws = items as string[];
            for (let i = 0; i < ws.length && !found; i++) if (migrationCommand(ws.slice(i))) found = true;
            const inner = shellWrapped(ws);
            if (inner && textMentions(inner)) found = true;
          }
          for (const x of n.items) walk(x as Node);
        } else if (isMap(n)) {
          for (const p of n.items) walk(p.value as Node);
        }
      };
      walk(doc.contents as Node | null);
    }
  } catch {
    return textMentions(text);
  }
  return found;
}

/** `create_all` skipped in production (seed 002): a strong sign that the schema is meant to come from migrations. */
export function createAllSkippedInProduction(ws: Workspace): { file: string; line: number } | undefined {
  // Computed again only when a Python text changes or a Python file appears.
  return ws.memoSync('migrations/create-all-skipped', () => findCreateAllSkipped(ws));
}

function findCreateAllSkipped(ws: Workspace): { file: string; line: number } | undefined {
  for (const f of ws.files('python')) {
    const text = ws.text(f);
    if (!text || !text.includes('create_all')) continue;
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (!lines[i]!.includes('create_all')) continue;
      let indent = /^\s*/.exec(lines[i]!)![0].length;
      // Walk up through the enclosing blocks to an `if`/`else` that mentions production.
      let afterElse = false;
      for (let j = i - 1; j >= 0 && (indent > 0 || afterElse); j--) {
        const l = lines[j]!;
        if (!l.trim() || l.trim().startsWith('#')) continue;
        const ind = /^\s*/.exec(l)![0].length;
        if (ind > indent || (ind === indent && !afterElse)) continue;
        if (ind === indent && afterElse && !/^\s*(?:el)?if\b/.test(l)) continue;
        if (/^\s*(?:el)?if\b|^\s*else\b/.test(l) && /prod/i.test(l)) return { file: f, line: i + 1 };
        if (/^\s*(?:async\s+)?def\b|^\s*class\b/.test(l)) break;
        afterElse = /^\s*(?:else|elif)\b/.test(l);
        indent = ind;
      }
    }
  }
  return undefined;
}

/** The command words, quoted for a shell. */
export function commandText(words: readonly string[]): string {
  return shellJoin(words);
}

/** A local splice of a text (offsets into the string given). */
export interface TextSplice {
  start: number;
  end: number;
  text: string;
}

/**
 * Splices that take migration steps out of a script (an entrypoint script): a step alone on its
 * line(s) goes with its line and with the comment lines right above it that speak of migrations;
 * a step sharing its line with other commands goes with its separator. Undefined when a step sits
 * inside compound syntax (an `if` body, a function) or a pipeline.
 */
export function removeScriptSteps(text: string, migrations: ChainMigration[]): TextSplice[] | undefined {
  const list = safeList(text);
  if (!list) return undefined;
  const out: TextSplice[] = [];
  for (const m of migrations) {
    const item = list.items.find((i) => i.start === m.item.start);
    if (!item || item.pipeline.length !== 1 || item.sep === '&') return undefined;
    const last = m.fallback.length ? m.fallback[m.fallback.length - 1]! : item;
    const start = item.start;
    const end = last.end;
    const lineStart = text.lastIndexOf('\n', start - 1) + 1;
    const nl = text.indexOf('\n', end);
    const lineEnd = nl === -1 ? text.length : nl + 1;
    const head = text.slice(lineStart, start);
    const tail = text.slice(end, nl === -1 ? text.length : nl);
    if (/^[ \t]*$/.test(head) && /^[ \t]*;?[ \t]*$/.test(tail)) {
      if (head.length) return undefined; // indented: inside a block
      let from = lineStart;
      // Comment lines right above it that describe it.
      for (;;) {
        if (from === 0) break;
        const prevStart = text.lastIndexOf('\n', from - 2) + 1;
        const prev = text.slice(prevStart, from - 1);
        if (!/^[ \t]*#(?!!)/.test(prev) || !/migrat|alembic|schema|upgrade|database/i.test(prev)) break;
        from = prevStart;
      }
      // Between two blank lines: take one of them too, so no double blank line is left.
      const blankBefore = from >= 2 && text[from - 1] === '\n' && text[from - 2] === '\n';
      const blankAfter = text[lineEnd] === '\n';
      out.push({ start: from, end: lineEnd + (blankBefore && blankAfter ? 1 : 0), text: '' });
      continue;
    }
    // Shares its line: drop it with the separator after it (or before it when it is last).
    const idx = list.items.indexOf(last);
    const next = list.items[idx + 1];
    const prevItem = list.items[list.items.indexOf(item) - 1];
    if (next && !text.slice(end, next.start).includes('\n')) out.push({ start, end: next.start, text: '' });
    else if (prevItem && !text.slice(prevItem.end, start).includes('\n')) {
      if (prevItem.sep !== '&&' && prevItem.sep !== ';') return undefined;
      out.push({ start: prevItem.end, end, text: '' });
    } else return undefined;
  }
  return out;
}
