// dockerfile/dev-reload: a production image that starts a development server — `--reload`, `flask
// --debug`, `npm run dev`, `next dev`, nodemon — or sets a debug switch (FLASK_DEBUG=1, DEBUG=true,
// NODE_ENV=development). Development Dockerfiles and stages (Dockerfile.dev, `AS dev`) are left alone.
import { defineRule } from '../../src/rule.js';
import { isDevCompose } from '../../src/project/migrations.js';
import type { FileEdit, FindingInput, RuleContext } from '../../src/types.js';
import { dockerfile, type DInstruction, type DStage } from '../../src/parsers/dockerfile.js';
import { tokenize, type ShellWord } from '../../src/project/shell.js';
import { packageScripts, shellScriptIndex, type Scripts } from '../../src/project/migrations.js';
import { blankContinuationComments } from '../../src/project/entrypoint.js';
import { DEV_NAME, buildsApp, devCommandIssues, devEnvIssue, isDevDockerfile, shellDevIssues, type DevCommandIssue } from '../../src/project/dev-server.js';
import { applySplices, jsonArraySplices, jsonStringLiterals, type Splice } from '../../src/edit/words.js';
import { compose, composeFiles } from '../../src/project/compose.js';
import { dirname } from '../../src/classify.js';

interface Item {
  finding: FindingInput;
  /** Splices relative to the instruction's raw arguments (undefined: not fixable). */
  splices?: Splice[];
  ins: DInstruction;
}

export default defineRule({
  id: 'dockerfile/dev-reload',
  title: 'Production image starts a development server or turns on debug mode',
  fixTitle: 'Start the production server and turn debug mode off',
  severity: 'high',
  safety: 'review',
  kinds: ['dockerfile'],
  docs: {
    why:
      'Development servers and switches end up in production images by copy-paste: `uvicorn --reload` runs a file watcher and a ' +
      'single worker, `flask --debug` and `FLASK_DEBUG=1` expose the Werkzeug debugger (anyone who can trigger an error can run code), ' +
      '`npm run dev`/`next dev` serve unoptimised bundles compiled on request, nodemon restarts the server on file changes, and ' +
      '`DEBUG=true` shows stack traces, settings and secrets to visitors.',
    fix:
      'Drops the reload/debug flags (and their options such as `--reload-dir`), replaces `npm run dev` with `npm start` and `next dev` ' +
      'with `next start` when package.json has a start script and the image builds the app, runs nodemon\'s script with node, and sets ' +
      'debug variables to their production value in the same spelling (`FLASK_DEBUG=0`, `DEBUG=false`, `NODE_ENV=production`). ' +
      'Dockerfiles and stages meant for development (`Dockerfile.dev`, `AS dev`) are not flagged.',
    safetyNote:
      'The server stops reloading on code changes and debug pages disappear: that is the point, but check nobody relies on them in ' +
      'this image. Dev servers with no drop-in production equivalent (`flask run`, `manage.py runserver`, vite) are reported with what ' +
      'to run instead.',
    example: {
      before: "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nENV FLASK_DEBUG=1\nCMD [\"gunicorn\", \"--reload\", \"-b\", \"0.0.0.0:8000\", \"app:app\"]\n",
      after: "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nENV FLASK_DEBUG=0\nCMD [\"gunicorn\", \"-b\", \"0.0.0.0:8000\", \"app:app\"]\n",
    },
    references: [
      'https://www.uvicorn.org/deployment/',
      'https://flask.palletsprojects.com/en/stable/deploying/',
      'https://nextjs.org/docs/app/building-your-application/deploying',
    ],
  },
  detect(ctx) {
    return itemsOf(ctx).map((i) => i.finding);
  },
  fix(finding, ctx) {
    const anchor = (finding.data as { anchor: string; file: string }).anchor;
    const item = itemsOf(ctx, (finding.data as { file: string }).file).find((i) => (i.finding.data as { anchor: string }).anchor === anchor);
    if (!item?.splices) return null;
    const base = item.ins.end - item.ins.raw.length;
    return item.splices.map((s) => ({ file: finding.file, start: base + s.start, end: base + s.end, text: s.text })) satisfies FileEdit[];
  },
});

function itemsOf(ctx: RuleContext, only?: string): Item[] {
  const out: Item[] = [];
  // Kept while no compose file changes: a fix asks it again for its one Dockerfile.
  const devOnly = ctx.ws.memoSync('dockerfile/dev-reload/dev-only', () => dockerfilesOnlyInDevCompose(ctx));
  const files = only === undefined ? ctx.ws.files('dockerfile') : ctx.ws.kindOf(only) === 'dockerfile' ? [only] : [];
  for (const file of files) {
    if (isDevDockerfile(file) || devOnly.has(file)) continue;
    const m = dockerfile(ctx.ws, file);
    if (!m || m.escape !== '\\') continue;
    const scripts = packageScripts(ctx.ws, dirname(file));
    const hasBuild = buildsApp(m, scripts);
    m.stages.forEach((stage, si) => {
      if (stage.name && DEV_NAME.test(stage.name)) return;
      const cmd = lastOf(stage.instructions, 'CMD');
      const ep = lastOf(stage.instructions, 'ENTRYPOINT');
      for (const ins of [ep, cmd]) if (ins) out.push(...commandItems(file, stage, ins, { scripts, hasBuild }));
      const runs = si === m.stages.length - 1 || cmd || ep;
      if (!runs) return;
      for (const ins of stage.instructions) if (ins.keyword === 'ENV') out.push(...envItems(file, stage, ins, installsAfter(stage, ins)));
    });
  }
  return out;
}

/** Dockerfiles that compose files build only in development compose files. */
function dockerfilesOnlyInDevCompose(ctx: RuleContext): Set<string> {
  const dev = new Set<string>();
  const prod = new Set<string>();
  for (const f of composeFiles(ctx.ws)) {
    for (const s of compose(ctx.ws, f)?.services ?? []) {
      if (s.build?.dockerfile) (isDevCompose(f) ? dev : prod).add(s.build.dockerfile);
    }
  }
  for (const p of prod) dev.delete(p);
  return dev;
}

function lastOf(list: DInstruction[], keyword: string): DInstruction | undefined {
  for (let i = list.length - 1; i >= 0; i--) if (list[i]!.keyword === keyword) return list[i];
  return undefined;
}

function stageLabel(stage: DStage): string {
  return stage.name ?? String(stage.index);
}

function commandItems(file: string, stage: DStage, ins: DInstruction, cctx: { scripts: Scripts; hasBuild: boolean }): Item[] {
  const out: Item[] = [];
  const push = (issue: DevCommandIssue, splices: Splice[] | undefined, n: number) => {
    const anchor = `${stageLabel(stage)}:${ins.keyword}:${issue.what}:${n}`;
    const fixable = splices !== undefined && splices.length > 0;
    out.push({
      ins,
      splices: fixable ? splices : undefined,
      finding: {
        file,
        start: ins.start,
        end: ins.end,
        message: `${ins.keyword} starts a development server (${issue.what}): ${issue.why}${fixable && issue.fixText ? `; fix: ${issue.fixText}` : ''}`,
        anchor,
        fixable,
        notFixableReason: fixable ? undefined : issue.notFixableReason ?? 'the command could not be rewritten automatically: remove the development option by hand',
        data: { file, anchor },
      },
    });
  };
  if (ins.json) {
    const idx = shellScriptIndex(ins.json);
    if (idx >= 0) {
      // ["sh", "-c", "<script>"]: edit the script, then its JSON string.
      const script = ins.json[idx]!;
      const lit = jsonStringLiterals(ins.raw)[idx];
      let n = 0;
      for (const { issue, splices } of shellDevIssues(script, cctx)) {
        const s = splices && lit ? [{ start: lit.start, end: lit.end, text: JSON.stringify(applySplices(script, splices)) }] : undefined;
        push(issue, s, n++);
      }
      return out;
    }
    let n = 0;
    for (const issue of devCommandIssues(ins.json, cctx)) push(issue, issue.ops ? jsonArraySplices(ins.raw, issue.ops) : undefined, n++);
    return out;
  }
  let n = 0;
  const src = blankContinuationComments(ins.raw);
  for (const { issue, splices } of shellDevIssues(src, cctx, ins.raw)) push(issue, splices, n++);
  return out;
}

/** Whether a RUN after an instruction in its stage installs or builds Node packages (NODE_ENV changes what they do). */
function installsAfter(stage: DStage, ins: DInstruction): boolean {
  return stage.instructions.some(
    (i) => i.start > ins.start && i.keyword === 'RUN' && /\b(?:npm\s+(?:ci|install|i|run)|yarn|pnpm|bun\s+(?:install|run)|next\s+build)\b/.test(i.args),
  );
}

function envItems(file: string, stage: DStage, ins: DInstruction, nodeBuildAfter = false): Item[] {
  let words: ShellWord[];
  try {
    words = tokenize(blankContinuationComments(ins.raw)).filter((t): t is ShellWord => t.type === 'word');
  } catch {
    return [];
  }
  if (!words.length) return [];
  const out: Item[] = [];
  const add = (name: string, value: string, splice: Splice) => {
    const issue = devEnvIssue(name, value);
    if (!issue) return;
    const anchor = `${stageLabel(stage)}:ENV:${name}`;
    // NODE_ENV=production before `npm ci`/a build skips devDependencies the build may need.
    const blocked = name === 'NODE_ENV' && nodeBuildAfter;
    out.push({
      ins,
      splices: blocked ? undefined : [splice],
      finding: {
        file,
        start: ins.start,
        end: ins.end,
        message: `ENV ${name}=${value} in the production image: ${issue.why}; fix: set it to ${issue.value}`,
        anchor,
        fixable: !blocked,
        notFixableReason: blocked
          ? 'later RUN steps install or build Node packages, and NODE_ENV=production would make them skip devDependencies: set NODE_ENV=production after the build (or in the runtime stage) instead'
          : undefined,
        data: { file, anchor },
      },
    });
  };
  if (!words[0]!.raw.includes('=')) {
    // Legacy form: ENV NAME value with spaces
    const last = words[words.length - 1]!;
    if (words.length < 2) return [];
    const value = words.slice(1).map((w) => w.value).join(' ');
    const issue = devEnvIssue(words[0]!.value, value);
    if (issue) add(words[0]!.value, value, { start: words[1]!.start, end: last.end, text: issue.value });
    return out;
  }
  for (const w of words) {
    const eq = w.raw.indexOf('=');
    if (eq <= 0) continue;
    const name = w.raw.slice(0, eq);
    const rawValue = w.raw.slice(eq + 1);
    const value = w.value.slice(w.value.indexOf('=') + 1);
    const issue = devEnvIssue(name, value);
    if (!issue) continue;
    const q = rawValue[0] === '"' || rawValue[0] === "'" ? rawValue[0] : '';
    add(name, value, { start: w.start + eq + 1, end: w.end, text: q + issue.value + q });
  }
  return out;
}
