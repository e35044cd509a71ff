// compose/dev-reload: a production compose file that runs development servers — `command:` with
// `--reload`/`--debug`/`npm run dev`/`next dev`, debug switches in `environment:` (FLASK_DEBUG=1,
// DEBUG=true, NODE_ENV=development) — or bind-mounts the source tree over the code baked into the
// image (`./app:/app/app`, `.:/app`). Development compose files (`*.dev.yml`, overrides, `compose.local.*`)
// are not flagged.
import { isMap, isScalar, isSeq, Scalar, type Node, type YAMLMap, type YAMLSeq } from 'yaml';
import { defineRule } from '../../src/rule.js';
import { isDevCompose } from '../../src/project/migrations.js';
import type { FileEdit, FindingInput, RuleContext } from '../../src/types.js';
import { compose, composeFiles, type ComposeFile, type ComposeService, type Located } from '../../src/project/compose.js';
import { removePair, removeSeqItem, replaceScalar, YamlEditError } from '../../src/edit/yaml.js';
import { buildsApp, devCommandIssues, devEnvIssue, shellDevIssues, type DevCommandContext, type DevCommandIssue } from '../../src/project/dev-server.js';
import { packageScripts, shellScriptIndex } from '../../src/project/migrations.js';
import { tokenize, type ShellWord } from '../../src/project/shell.js';
import { applySplices } from '../../src/edit/words.js';
import { dockerfile, finalStage, type DStage } from '../../src/parsers/dockerfile.js';
import { copyArgs, lineage, workdirAt } from '../../src/project/entrypoint.js';
import { basename, joinPath } from '../../src/classify.js';

interface Item {
  finding: FindingInput;
  edits?: (cf: ComposeFile) => FileEdit[];
}

export default defineRule({
  id: 'compose/dev-reload',
  title: 'Production compose file runs a development server or mounts the source tree',
  fixTitle: 'Run the production server from the image',
  severity: 'high',
  safety: 'review',
  kinds: ['compose'],
  docs: {
    why:
      'Development settings copied into the production compose file: `--reload` runs a file watcher and one worker, `flask --debug` ' +
      'and `FLASK_DEBUG=1` expose the Werkzeug debugger (anyone who can trigger an error can run code), `npm run dev`/`next dev` serve ' +
      'unoptimised bundles compiled on request, `DEBUG=true` shows stack traces and settings to visitors. A bind mount of the source ' +
      'tree (`./app:/app/app`, `.:/app`) over the code in the image means the container runs whatever is in the host directory, not ' +
      'the image that was built and tested, and it keeps the reloader busy.',
    fix:
      'Drops reload/debug flags from `command:`/`entrypoint:` (string or list form, keeping its quoting), replaces `npm run dev` with ' +
      '`npm start` and `next dev` with `next start` when package.json has a start script and the image builds the app, sets debug ' +
      'variables to their production value in the same spelling (`FLASK_DEBUG: 0`, `DEBUG: "false"` stays quoted, `NODE_ENV: production`; ' +
      'an anchor is edited where it is defined), and removes bind mounts of source directories over the image\'s working directory ' +
      '(named volumes and data directories are kept). Files meant for development (`*.dev.yml`, `*override*`, `compose.local.*`) are not flagged.',
    safetyNote:
      'Removing a source bind mount makes the container run the code in the image: rebuild the image when the code changes. Dev ' +
      'servers with no drop-in production equivalent (`flask run`, `manage.py runserver`, vite) are reported with what to run instead.',
    example: {
      before: "services:\n  api:\n    build: .\n    command: uvicorn app.main:app --host 0.0.0.0 --reload\n    environment:\n      DEBUG: \"true\"\n",
      after: "services:\n  api:\n    build: .\n    command: uvicorn app.main:app --host 0.0.0.0\n    environment:\n      DEBUG: \"false\"\n",
    },
    references: ['https://docs.docker.com/compose/how-tos/production/', 'https://flask.palletsprojects.com/en/stable/debugging/'],
  },
  detect(ctx) {
    return itemsOf(ctx).map((i) => i.finding);
  },
  fix(finding, ctx) {
    const { file, anchor } = finding.data as { file: string; anchor: string };
    const cf = compose(ctx.ws, file);
    const item = itemsOf(ctx, file).find((i) => (i.finding.data as { anchor: string }).anchor === anchor);
    if (!cf || !item?.edits) return null;
    try {
      const edits = item.edits(cf);
      return edits.length ? edits : null;
    } catch (e) {
      if (e instanceof YamlEditError) return null;
      throw e;
    }
  },
});

function itemsOf(ctx: RuleContext, only?: string): Item[] {
  const out: Item[] = [];
  for (const file of composeFiles(ctx.ws)) {
    if (only !== undefined && file !== only) continue;
    if (isDevCompose(file)) continue;
    const cf = compose(ctx.ws, file);
    if (!cf) continue;
    const envSeen = new Set<Node>();
    for (const svc of cf.services) {
      if (!svc.map) continue;
      const cctx = commandContext(ctx, cf, svc);
      for (const key of ['command', 'entrypoint'] as const) {
        const loc = svc[key];
        if (loc) out.push(...commandItems(file, svc, key, loc, cctx));
      }
      out.push(...envItems(file, svc, envSeen));
      out.push(...volumeItems(ctx, cf, svc));
    }
  }
  return out;
}

function commandContext(ctx: RuleContext, cf: ComposeFile, svc: ComposeService): DevCommandContext {
  const dir = svc.build?.context ?? cf.dir;
  const scripts = packageScripts(ctx.ws, dir);
  const df = svc.build?.dockerfile;
  const m = df && ctx.ws.exists(df) ? dockerfile(ctx.ws, df) : undefined;
  return { scripts, hasBuild: m ? buildsApp(m, scripts) : false };
}

function make(file: string, svc: ComposeService, node: Node | undefined, anchor: string, message: string, edits?: (cf: ComposeFile) => FileEdit[], notFixableReason?: string): Item {
  const r = (node as { range?: [number, number, number] } | undefined)?.range ?? svc.keyNode.range;
  return {
    edits,
    finding: {
      file,
      start: r?.[0],
      end: r?.[1],
      message,
      anchor,
      fixable: edits !== undefined,
      notFixableReason: edits ? undefined : notFixableReason ?? 'the value could not be rewritten automatically: remove the development option by hand',
      data: { file, anchor },
    },
  };
}

function commandMessage(svc: ComposeService, key: string, issue: DevCommandIssue, fixable: boolean): string {
  return `service "${svc.name}" ${key} starts a development server (${issue.what}): ${issue.why}${fixable && issue.fixText ? `; fix: ${issue.fixText}` : ''}`;
}

// ---- command / entrypoint ----

function commandItems(file: string, svc: ComposeService, key: 'command' | 'entrypoint', loc: Located, cctx: DevCommandContext): Item[] {
  const out: Item[] = [];
  const node = loc.node;
  let n = 0;
  const push = (issue: DevCommandIssue, edits: ((cf: ComposeFile) => FileEdit[]) | undefined) => {
    const anchor = `${svc.name}:${key}:${issue.what}:${n++}`;
    out.push(make(file, svc, node, anchor, commandMessage(svc, key, issue, edits !== undefined), edits, issue.notFixableReason));
  };
  if (isScalar(node) && typeof node.value === 'string') {
    const s = node.value;
    let words: ShellWord[];
    try {
      words = tokenize(s).filter((t): t is ShellWord => t.type === 'word');
    } catch {
      return out;
    }
    const idx = shellScriptIndex(words.map((w) => w.value));
    if (idx >= 0) {
      // `sh -c "… --reload"`: edit inside the script word when its quotes hold it verbatim.
      const w = words[idx]!;
      const q = w.raw[0];
      const verbatim = (q === '"' || q === "'") && w.raw.endsWith(q) && w.raw.slice(1, -1) === w.value;
      for (const { issue, splices } of shellDevIssues(w.value, cctx)) {
        const outer = splices && verbatim ? splices.map((sp) => ({ ...sp, start: sp.start + w.start + 1, end: sp.end + w.start + 1 })) : undefined;
        push(issue, outer ? (cf) => [replaceScalar(cf.target, node as Scalar, applySplices(s, outer))] : undefined);
      }
      return out;
    }
    for (const { issue, splices } of shellDevIssues(s, cctx)) {
      push(issue, splices ? (cf) => [replaceScalar(cf.target, node as Scalar, applySplices(s, splices))] : undefined);
    }
    return out;
  }
  if (isSeq(node)) {
    const seq = node as YAMLSeq;
    const items = seq.items as Node[];
    if (!items.every((i) => isScalar(i) && (typeof i.value === 'string' || typeof i.value === 'number'))) return out;
    const words = items.map((i) => String((i as Scalar).value));
    const idx = shellScriptIndex(words);
    if (idx >= 0) {
      const script = words[idx]!;
      for (const { issue, splices } of shellDevIssues(script, cctx)) {
        push(issue, splices ? (cf) => [replaceScalar(cf.target, items[idx] as Scalar, applySplices(script, splices))] : undefined);
      }
      return out;
    }
    for (const issue of devCommandIssues(words, cctx)) {
      const ops = issue.ops;
      push(
        issue,
        ops
          ? (cf) =>
              ops.map((op) => ('replace' in op ? replaceScalar(cf.target, items[op.index] as Scalar, op.replace) : removeSeqItem(cf.target, seq, op.index)))
          : undefined,
      );
    }
  }
  return out;
}

// ---- environment ----

const INTERPOLATED = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[-=])([^}]*)\}$/;

function envItems(file: string, svc: ComposeService, seen: Set<Node>): Item[] {
  const out: Item[] = [];
  for (const e of svc.environment) {
    if (seen.has(e.node)) continue; // one finding per definition (an anchor shared by several services)
    let value = e.value;
    let wrap = (v: string) => v;
    const m = value !== null ? INTERPOLATED.exec(value) : null;
    if (m) {
      // `${FLASK_DEBUG:-1}`: the default is what runs when the variable is not set.
      value = m[3]!;
      wrap = (v) => `\${${m[1]}${m[2]}${v}}`;
    }
    const issue = devEnvIssue(e.name, value);
    if (!issue) continue;
    seen.add(e.node);
    const newValue = wrap(issue.value);
    const where = e.shared && e.anchor ? ` (defined in the anchor &${e.anchor})` : '';
    const shown = e.value ?? '';
    const message = `service "${svc.name}" sets ${e.name}=${shown}${where}: ${issue.why}; fix: set it to ${newValue}`;
    const node = e.node;
    out.push(
      make(file, svc, node, `${svc.name}:env:${e.name}`, message, (cf) => {
        if (e.form === 'list') return [replaceScalar(cf.target, node, `${e.name}=${newValue}`)];
        // A plain `true`/`1` stays plain (`false`/`0`): same type, same look.
        if (node.type === Scalar.PLAIN && node.range && /^(?:[0-9]+|true|false|True|False|TRUE|FALSE|yes|no|on|off|production)$/.test(newValue)) {
          return [{ file: cf.file, start: node.range[0], end: node.range[1], text: newValue }];
        }
        return [replaceScalar(cf.target, node, newValue)];
      }),
    );
  }
  return out;
}

// ---- source bind mounts ----

const DATA_DIRS = new Set([
  'data', 'logs', 'log', 'uploads', 'upload', 'media', 'storage', 'tmp', 'temp', 'cache', '.cache', 'checkpoints', 'static',
  'staticfiles', 'files', 'backups', 'backup', 'models', 'db', 'sqlite', 'certs', 'ssl', 'secrets', 'config', 'conf',
]);

interface Mount {
  index: number;
  source?: string;
  target: string;
  node: Node;
}

function mountsOf(seq: YAMLSeq): Mount[] {
  const out: Mount[] = [];
  (seq.items as Node[]).forEach((it, index) => {
    if (isScalar(it) && typeof it.value === 'string') {
      const parts = it.value.split(':');
      if (parts.length === 1) out.push({ index, target: parts[0]!, node: it });
      else out.push({ index, source: parts[0]!, target: parts[1]!, node: it });
    } else if (isMap(it)) {
      const v = (k: string) => {
        const p = (it as YAMLMap).items.find((x) => isScalar(x.key) && x.key.value === k);
        return p && isScalar(p.value) ? String(p.value.value) : undefined;
      };
      if (v('type') === 'bind' && v('source') && v('target')) out.push({ index, source: v('source'), target: v('target')!, node: it });
      else if (v('type') === 'volume' && !v('source') && v('target')) out.push({ index, target: v('target')!, node: it });
    }
  });
  return out;
}

function volumeItems(ctx: RuleContext, cf: ComposeFile, svc: ComposeService): Item[] {
  const loc = svc.get('volumes');
  if (!loc || !isSeq(loc.node) || !svc.build?.dockerfile || !ctx.ws.exists(svc.build.dockerfile)) return [];
  const m = dockerfile(ctx.ws, svc.build.dockerfile);
  if (!m) return [];
  const stage: DStage = (svc.build.target && m.stages.find((s) => s.name === svc.build!.target)) || finalStage(m);
  const wd = workdirAt(m, stage);
  if (!wd || wd === '/') return [];
  const copiesCode = lineage(m, stage).some((i) => (i.keyword === 'COPY' || i.keyword === 'ADD') && copyArgs(i) !== undefined);
  const seq = loc.node as YAMLSeq;
  const mounts = mountsOf(seq);
  const out: Item[] = [];
  for (const mt of mounts) {
    if (!mt.source || !/^\.\.?(?:\/|$)/.test(mt.source)) continue; // named volumes, absolute host paths
    const target = mt.target.replace(/\/+$/, '') || '/';
    if (!(target === wd || target.startsWith(wd + '/'))) continue;
    if (DATA_DIRS.has(basename(target).toLowerCase())) continue;
    const host = joinPath(cf.dir, mt.source);
    if (!hasCode(ctx, host)) continue;
    // Anonymous volumes under the mount (`- /app/node_modules`) exist only to go with it.
    const companions = mounts.filter((o) => !o.source && o.target.startsWith(target + '/'));
    const indices = [mt.index, ...companions.map((c) => c.index)];
    const anchor = `${svc.name}:volume:${mt.target}`;
    const message =
      `service "${svc.name}" bind-mounts ${mt.source} over ${mt.target}, the code baked into the image (WORKDIR ${wd}): the container ` +
      `runs whatever is in the host directory, not the image that was built and tested; fix: remove the mount` +
      (companions.length ? ` (and ${companions.map((c) => c.target).join(', ')}, which only goes with it)` : '');
    if (!copiesCode) {
      out.push(make(cf.file, svc, mt.node, anchor, message, undefined, `the image does not COPY the code into ${wd}: add a COPY to the Dockerfile, then remove the mount`));
      continue;
    }
    if (loc.shared) {
      out.push(make(cf.file, svc, mt.node, anchor, message, undefined, 'the volumes list is shared through an anchor: remove the mount where the anchor is defined'));
      continue;
    }
    out.push(
      make(cf.file, svc, mt.node, anchor, message, (c) => {
        const fresh = c.service(svc.name)?.get('volumes');
        if (!fresh || !isSeq(fresh.node)) return [];
        const s = fresh.node as YAMLSeq;
        if (indices.length >= s.items.length) return [removePair(c.target, c.service(svc.name)!.map!, 'volumes')];
        return indices.map((i) => removeSeqItem(c.target, s, i));
      }),
    );
  }
  return out;
}

/** Whether a host directory (relative to the root) holds source code. */
function hasCode(ctx: RuleContext, dir: string): boolean {
  return ctx.ws.filesUnder(dir).some((f) => {
    const k = ctx.ws.kindOf(f);
    return k === 'python' || k === 'typescript' || k === 'manifest';
  });
}

