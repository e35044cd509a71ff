// Development servers in a production setup: auto-reload flags (uvicorn/gunicorn/hypercorn --reload,
// flask --debug, node --watch), watchers (nodemon), dev scripts (`npm run dev`, `next dev`), dev-only
// servers (`flask run`, `manage.py runserver`, vite), and debug switches in the environment
// (FLASK_DEBUG=1, DEBUG=true, NODE_ENV=development). Each finding says what to change, word by word,
// so a rule can apply it to a Dockerfile CMD, a compose `command:` string or list alike.
import { basename } from '../classify.js';
import type { DockerfileModel } from '../parsers/dockerfile.js';
import type { Scripts } from './migrations.js';
import { parseCommandList, ShellSyntaxError } from './shell.js';
import { shellWordSplices, type Splice } from '../edit/words.js';

/** What to do with one word of a command: drop it, or replace it. */
export type WordOp = { index: number; remove: true } | { index: number; replace: string };

export interface DevCommandIssue {
  /** Short label for messages and anchors (`--reload`, `npm run dev`, `nodemon`). */
  what: string;
  /** Why it matters, one sentence. */
  why: string;
  /** Word operations that fix it; undefined when it cannot be fixed automatically. */
  ops?: WordOp[];
  /** How it is fixed, for messages (`drop --reload`, `npm start`). */
  fixText?: string;
  notFixableReason?: string;
}

export interface DevCommandContext {
  /** package.json scripts of the app (build context). */
  scripts?: Scripts;
  /** Whether the image runs a production build (next build / npm run build) — `next start` needs it. */
  hasBuild?: boolean;
}

const PY = /^python(?:\d+(?:\.\d+)?)?$/;
const LAUNCHERS = new Set(['exec', 'poetry', 'uv', 'pipenv', 'pdm', 'npx', 'env', 'tini', 'dumb-init', 'gosu', 'su-exec']);

/** Index of the program word, skipping launchers (exec, poetry run, python -m, npx, env X=1, tini --). */
export function programIndex(words: readonly string[]): number {
  let i = 0;
  for (let guard = 0; guard < 8 && i < words.length; guard++) {
    const p = basename(words[i]!);
    if (PY.test(p) && words[i + 1] === '-m') return i + 2;
    if (!LAUNCHERS.has(p)) return i;
    i++;
    if ((p === 'poetry' || p === 'uv' || p === 'pipenv' || p === 'pdm') && words[i] === 'run') i++;
    if (p === 'gosu' || p === 'su-exec') i++;
    while (i < words.length && (words[i]!.startsWith('-') || (p === 'env' && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i]!)))) i++;
  }
  return i;
}

/** Options that take a value in the next word, per program (so we drop the value with the flag). */
const RELOAD_FLAGS: Record<string, { flags: string[]; withValue: string[] }> = {
  uvicorn: { flags: ['--reload'], withValue: ['--reload-dir', '--reload-include', '--reload-exclude', '--reload-delay'] },
  gunicorn: { flags: ['--reload'], withValue: ['--reload-engine', '--reload-extra-file'] },
  hypercorn: { flags: ['--reload'], withValue: [] },
  granian: { flags: ['--reload'], withValue: ['--reload-paths', '--reload-ignore-dirs', '--reload-ignore-patterns'] },
  daphne: { flags: [], withValue: [] },
};

/** Indices of a flag and its dependent options among args (words from `from`). */
function flagOps(words: readonly string[], from: number, flags: string[], withValue: string[]): WordOp[] {
  const ops: WordOp[] = [];
  for (let i = from; i < words.length; i++) {
    const w = words[i]!;
    if (flags.includes(w) || flags.some((f) => w.startsWith(f + '='))) ops.push({ index: i, remove: true });
    else if (withValue.includes(w)) {
      ops.push({ index: i, remove: true });
      if (i + 1 < words.length) ops.push({ index: ++i, remove: true });
    } else if (withValue.some((f) => w.startsWith(f + '='))) ops.push({ index: i, remove: true });
  }
  return ops;
}

const DEV_SCRIPT = /^(?:dev|develop|development|serve|watch|start:dev|dev:server|start-dev)$/;

/** Development-server issues in one command (its words). */
export function devCommandIssues(words: readonly string[], ctx: DevCommandContext = {}, depth = 0): DevCommandIssue[] {
  const out: DevCommandIssue[] = [];
  const pi = programIndex(words);
  const prog = words[pi] ? basename(words[pi]!).toLowerCase() : '';
  const args = words.slice(pi + 1);
  const rf = RELOAD_FLAGS[prog];
  if (rf) {
    const ops = flagOps(words, pi + 1, rf.flags, rf.withValue);
    if (ops.some((o) => 'remove' in o && rf.flags.some((f) => words[o.index] === f || words[o.index]!.startsWith(f + '=')))) {
      out.push({
        what: '--reload',
        why: `${prog} --reload runs a file watcher that restarts the server on changes, forces a single worker and is meant for development only`,
        ops,
        fixText: 'drop --reload',
      });
    }
    return out;
  }
  if (prog === 'flask') {
    const ops = flagOps(words, pi + 1, ['--debug', '--reload', '--debugger'], []);
    if (ops.length) {
      out.push({
        what: '--debug',
        why: 'flask --debug turns on the interactive Werkzeug debugger, which lets anyone who can trigger an error run code on the server',
        ops,
        fixText: 'drop ' + ops.map((o) => words[o.index]).join(' '),
      });
    }
    if (args.includes('run')) {
      out.push({
        what: 'flask run',
        why: '`flask run` is the development server: single process, not hardened, not meant for production traffic',
        notFixableReason: "serve the app with a WSGI server instead, e.g. `gunicorn 'app:create_app()' --bind 0.0.0.0:8000` (add gunicorn to the requirements)",
      });
    }
    return out;
  }
  if ((prog === 'manage.py' || (PY.test(prog) && args[0] && basename(args[0]) === 'manage.py')) && args.includes('runserver')) {
    out.push({
      what: 'manage.py runserver',
      why: "Django's runserver is the development server: Django's documentation says not to use it in production (no security audits, no performance tests)",
      notFixableReason: 'serve the project with a WSGI/ASGI server instead, e.g. `gunicorn <project>.wsgi:application --bind 0.0.0.0:8000`',
    });
    return out;
  }
  if (prog === 'node') {
    const ops = flagOps(words, pi + 1, ['--watch', '--watch-preserve-output'], ['--watch-path']);
    if (ops.length) {
      out.push({ what: 'node --watch', why: 'node --watch restarts the process on file changes: a development feature', ops, fixText: 'drop --watch' });
    }
    return out;
  }
  if (prog === 'nodemon') {
    // nodemon [options] script [args]: drop its own options, run the script with node.
    const ops: WordOp[] = [{ index: pi, replace: 'node' }];
    const withValue = new Set(['--watch', '-w', '--ext', '-e', '--ignore', '-i', '--delay', '-d', '--signal', '-s', '--config']);
    let i = pi + 1;
    let bad: string | undefined;
    while (i < words.length && words[i]!.startsWith('-')) {
      const w = words[i]!;
      if (w === '--exec' || w === '-x' || w === '--') {
        bad = w;
        break;
      }
      ops.push({ index: i, remove: true });
      if (withValue.has(w) && i + 1 < words.length) ops.push({ index: ++i, remove: true });
      i++;
    }
    const script = words[i];
    const simple = !bad && script !== undefined && /\.(?:c|m)?js$/.test(script);
    out.push({
      what: 'nodemon',
      why: 'nodemon is a development file watcher: it restarts the server on changes and adds a process between the container and node',
      ops: simple ? ops : undefined,
      fixText: 'run the script with node',
      notFixableReason: simple ? undefined : 'nodemon runs something other than a plain .js file: replace it with the command that starts the built server (e.g. `node dist/server.js`)',
    });
    return out;
  }
  if (prog === 'next' && args[0] === 'dev') {
    const ops: WordOp[] = [{ index: pi + 1, replace: 'start' }];
    for (let i = pi + 2; i < words.length; i++) if (['--turbo', '--turbopack'].includes(words[i]!)) ops.push({ index: i, remove: true });
    out.push({
      what: 'next dev',
      why: '`next dev` is the Next.js development server: unoptimised bundles compiled on request, hot reload, development error overlays',
      ops: ctx.hasBuild ? ops : undefined,
      fixText: 'use `next start`',
      notFixableReason: ctx.hasBuild ? undefined : 'the image has no production build (`next build`) for `next start` to serve: add `RUN npm run build` to the Dockerfile, then use `next start`',
    });
    return out;
  }
  if (['vite', 'ng', 'react-scripts', 'vue-cli-service', 'webpack-dev-server', 'nuxt', 'astro', 'remix', 'svelte-kit'].includes(prog)) {
    const devArg = prog === 'vite' ? !args[0] || args[0] === 'dev' || args[0] === 'serve' || args[0]!.startsWith('-') : ['serve', 'start', 'dev'].includes(args[0] ?? '') || prog === 'webpack-dev-server';
    if (devArg) {
      out.push({
        what: `${prog}${args[0] && !args[0].startsWith('-') ? ' ' + args[0] : ''}`,
        why: `${prog} runs a development server with hot reload, not a production build`,
        notFixableReason: 'build the assets in the Dockerfile (`npm run build`) and serve the output with a static server (nginx, caddy) or the framework\'s production server',
      });
    }
    return out;
  }
  if (['npm', 'yarn', 'pnpm', 'bun'].includes(prog)) {
    let nameIdx = -1;
    if (args[0] === 'run' || args[0] === 'run-script') nameIdx = pi + 2;
    else if (prog !== 'npm' && args[0] && !args[0].startsWith('-')) nameIdx = pi + 1;
    const name = nameIdx >= 0 ? words[nameIdx] : undefined;
    if (!name || !DEV_SCRIPT.test(name)) return out;
    const scripts = ctx.scripts ?? {};
    const start = scripts.start;
    const what = words.slice(pi, nameIdx + 1).map((w) => basename(w)).join(' ');
    const why = `\`${what}\` runs the project's development script${scripts[name] ? ` (\`${scripts[name]}\`)` : ''}: a watcher/dev server, not the production server`;
    if (start === undefined) {
      out.push({ what, why, notFixableReason: 'package.json has no "start" script: add one that starts the built server, then run it with `npm start`' });
      return out;
    }
    if (depth < 3) {
      const startIssues = scriptIssues(start, ctx, depth + 1);
      if (startIssues.length) {
        out.push({ what, why, notFixableReason: `the "start" script (\`${start}\`) is a development server too: give package.json a production start script first` });
        return out;
      }
      if (/\bnext\s+start\b/.test(start) && !ctx.hasBuild) {
        out.push({ what, why, notFixableReason: 'the "start" script runs `next start`, but the image has no production build: add `RUN npm run build` to the Dockerfile first' });
        return out;
      }
    }
    const ops: WordOp[] = [];
    if (prog === 'npm') {
      // npm run dev → npm start
      if (nameIdx === pi + 2) {
        ops.push({ index: pi + 1, replace: 'start' }, { index: nameIdx, remove: true });
      } else ops.push({ index: nameIdx, replace: 'start' });
    } else ops.push({ index: nameIdx, replace: 'start' });
    out.push({ what, why, ops, fixText: 'use `' + (prog === 'npm' ? 'npm start' : `${prog}${nameIdx === pi + 2 ? ' run' : ''} start`) + '`' });
    return out;
  }
  return out;
}

/** Issues of a script text (package.json script body or shell string): every simple command in it. */
export function scriptIssues(src: string, ctx: DevCommandContext = {}, depth = 0): DevCommandIssue[] {
  let list;
  try {
    list = parseCommandList(src);
  } catch (e) {
    if (e instanceof ShellSyntaxError) return [];
    throw e;
  }
  const out: DevCommandIssue[] = [];
  for (const it of list.items) for (const c of it.pipeline) out.push(...devCommandIssues(c.words.map((w) => w.value), ctx, depth));
  return out;
}

/** Apply word operations to a word list (for previews and tests). */
export function applyWordOps(words: readonly string[], ops: readonly WordOp[]): string[] {
  const out: string[] = [];
  words.forEach((w, i) => {
    const op = ops.find((o) => o.index === i);
    if (!op) out.push(w);
    else if ('replace' in op) out.push(op.replace);
  });
  return out;
}

export interface DevEnvIssue {
  name: string;
  /** The production value to set, in the same spelling style (1 → 0, true → false, True → False). */
  value: string;
  why: string;
}

const TRUTHY: Record<string, string> = { '1': '0', true: 'false', True: 'False', TRUE: 'FALSE', yes: 'no', Yes: 'No', YES: 'NO', on: 'off', On: 'Off', ON: 'OFF' };

/** A debug/development switch in the environment, with its production value; undefined when fine. */
export function devEnvIssue(name: string, value: string | null): DevEnvIssue | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  const n = name.toUpperCase();
  if (['FLASK_DEBUG', 'DEBUG', 'DJANGO_DEBUG', 'APP_DEBUG', 'UVICORN_RELOAD'].includes(n)) {
    const off = TRUTHY[v];
    if (off === undefined) return undefined;
    const why =
      n === 'FLASK_DEBUG'
        ? 'FLASK_DEBUG turns on the Werkzeug debugger and reloader: anyone who can trigger an error can run code on the server'
        : n === 'UVICORN_RELOAD'
          ? 'UVICORN_RELOAD runs the development file watcher'
          : `${name} turns on debug mode: detailed error pages leak code, settings and secrets to visitors`;
    return { name, value: off, why };
  }
  if (n === 'FLASK_ENV' && /^dev(elopment)?$/i.test(v)) {
    return { name, value: 'production', why: 'FLASK_ENV=development turns on the debugger and reloader' };
  }
  if (n === 'NODE_ENV' && /^dev(elopment)?$/i.test(v)) {
    return { name, value: 'production', why: 'NODE_ENV=development makes frameworks skip production optimisations and show stack traces to visitors' };
  }
  return undefined;
}

/** Names (stages, file name parts) meant for development. */
export const DEV_NAME = /(?:^|[-_.])(?:dev|devel|develop|development|debug|local|test|tests|testing)(?:[-_.]|$)/i;

/** Dockerfile names meant for development (Dockerfile.dev, dev.Dockerfile, Dockerfile-local, .devcontainer/…). */
export function isDevDockerfile(file: string): boolean {
  if (/(?:^|\/)\.devcontainer\//.test(file)) return true;
  const b = basename(file).replace(/dockerfile|containerfile/gi, '');
  return DEV_NAME.test(b);
}

/** Whether a Dockerfile runs a production build of the app (next build, npm run build with a build script, …). */
export function buildsApp(m: DockerfileModel, scripts: Scripts): boolean {
  return m.instructions.some((i) => {
    if (i.keyword !== 'RUN') return false;
    if (/\bnext\s+build\b/.test(i.args)) return true;
    return /\b(?:npm\s+run(?:-script)?|yarn(?:\s+run)?|pnpm(?:\s+run)?|bun\s+run)\s+build\b/.test(i.args) && scripts.build !== undefined;
  });
}

/**
 * Issues of every simple command in shell source, each with the splices that fix it (positions into
 * `text`, which must have the same offsets as `src`: e.g. the raw instruction when `src` has its
 * continuation comments blanked).
 */
export function shellDevIssues(src: string, ctx: DevCommandContext = {}, text = src): { issue: DevCommandIssue; splices?: Splice[] }[] {
  let list;
  try {
    list = parseCommandList(src);
  } catch (e) {
    if (e instanceof ShellSyntaxError) return [];
    throw e;
  }
  const out: { issue: DevCommandIssue; splices?: Splice[] }[] = [];
  for (const it of list.items) {
    for (const c of it.pipeline) {
      for (const issue of devCommandIssues(c.words.map((w) => w.value), ctx)) {
        out.push({ issue, splices: issue.ops && !list.compound ? shellWordSplices(text, c.words, issue.ops) : undefined });
      }
    }
  }
  return out;
}
