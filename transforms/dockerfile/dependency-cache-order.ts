// dockerfile/dependency-cache-order: sources are copied before the dependency install, so every
// change to any source file invalidates the install layer and the build reinstalls everything.
// The fix copies just the manifests first and moves the broad COPY after the install.
import { defineRule } from '../../src/rule.js';
import type { FileEdit, FindingInput, ModifyEdit } from '../../src/types.js';
import type { Workspace } from '../../src/workspace.js';
import { dockerfile, type DInstruction, type DockerfileModel, type DStage } from '../../src/parsers/dockerfile.js';
import {
  BuildContext,
  copiesOnlyManifests,
  copyTarget,
  depInstall,
  hasWorkspaces,
  installScripts,
  installsOf,
  isContextCopy,
  isHousekeeping,
  perDockerfile,
  requirementNeedingSources,
  resolveContainerPath,
  resolveManifests,
  workdirAt,
  type DepInstall,
  type ManifestSource,
} from '../../src/project/docker.js';
import {
  blocksText,
  commandIndex,
  copyArgs,
  insertParagraphAfter,
  keywordStyle,
  mergeEdits,
  removeBlock,
  blockOf,
  runScript,
  shortText,
  type ShCommand,
} from '../../src/edit/dockerfile.js';

interface Plan {
  stage: DStage;
  /** The install the sources are copied before. */
  run: DInstruction;
  /** The moved COPYs go after this RUN: the last of the installs that follow one another from `run`. */
  last: DInstruction;
  installs: DepInstall[];
  /** The installs of `run` alone (they name the finding; later ones may join or not as other fixes change the file). */
  firstInstalls: DepInstall[];
  moved: DInstruction[];
  /** New COPY lines for the manifests the moved COPYs provided. */
  copies: string[];
  problem?: string;
}

function installLabel(run: DInstruction, installs: DepInstall[]): string {
  const c = installs[0]!.command;
  const words = c.words.map((w) => w.value).join(' ');
  return words.length > 50 ? `${words.slice(0, 49)}…` : words || shortText(run);
}

function underDir(path: string, dir: string): boolean {
  return dir === '/' || path === dir || path.startsWith(dir + '/');
}

interface InstallRun {
  installs: DepInstall[];
  sources: ManifestSource[];
  /** Why the install cannot run on the manifests alone, if it cannot. */
  problem?: string;
}

/** The installs of a RUN, the manifests they read, and whether they can run before the sources are copied. */
function installRun(m: DockerfileModel, ctx: BuildContext, stage: DStage, run: DInstruction): InstallRun {
  const installs = installsOf(m, run);
  const res = resolveManifests(m, stage, run, installs, ctx);
  const out: InstallRun = { installs, sources: res.sources };
  const src = installs.find((i) => i.needsSources);
  const rels = res.sources.map((x) => x.rel);
  if (src) out.problem = `${src.needsSources}; copy only the dependency manifests first and install the project after copying the sources`;
  else if (res.problem) out.problem = res.problem;
  if (out.problem) return out;
  for (const rel of rels) {
    if (!/\.txt$|\.in$/.test(rel)) continue;
    const line = requirementNeedingSources(ctx.text(rel) ?? '');
    if (line) return { ...out, problem: `${rel} installs from the project's own files (\`${line}\`), which need the sources` };
  }
  if (installs.some((i) => i.ecosystem === 'node')) {
    const pkg = rels.find((r) => r === 'package.json' || r.endsWith('/package.json'));
    const text = pkg ? ctx.text(pkg) : undefined;
    const scripts = installScripts(text);
    if (scripts.length && !installs.every((i) => i.ignoreScripts)) {
      return { ...out, problem: `package.json has ${scripts.map((x) => `a "${x}"`).join(' and ')} script, which runs during the install and may need the sources` };
    }
    if (hasWorkspaces(text) || ctx.has('pnpm-workspace.yaml')) {
      return { ...out, problem: 'the project uses workspaces: the install needs the package.json of every workspace package, copy them first by hand' };
    }
  }
  for (const c of runScript(m, run)?.commands ?? []) {
    const d = depInstall(c);
    if ((d && !d.packagesOnly) || isHousekeeping(c)) continue;
    return { ...out, problem: `the RUN that installs dependencies also runs \`${c.words.map((w) => w.value).join(' ')}\`, which may need the sources; split it into its own RUN after the COPY` };
  }
  return out;
}

/**
 * A command that neither reads the project's files nor changes the copied ones: housekeeping, or a
 * non-recursive chown/chmod (of a directory made for the app, as dockerfile/non-root-user adds).
 */
function neutralCommand(c: ShCommand): boolean {
  if (isHousekeeping(c)) return true;
  const w = c.words.map((x) => x.value);
  const tool = w[commandIndex(c.words)];
  return (tool === 'chown' || tool === 'chmod') && !w.some((a) => /^-[a-zA-Z]*R|^--recursive$/.test(a));
}

/** Whether a COPY/ADD writes into the directory tree of `dir` (or above it). */
function overlaps(m: DockerfileModel, stage: DStage, ins: DInstruction, dir: string): boolean {
  const c = copyArgs(m, ins);
  if (!c) return true;
  const dest = resolveContainerPath(workdirAt(m, stage, ins) ?? '/', c.dest);
  return underDir(dest, dir) || underDir(dir, dest);
}

/** Instructions that neither read the copied files nor change where a COPY puts them. */
const NEUTRAL = new Set(['ENV', 'ARG', 'LABEL', 'EXPOSE', 'USER', 'HEALTHCHECK', 'STOPSIGNAL', 'CMD', 'ENTRYPOINT', 'SHELL', 'MAINTAINER', 'ONBUILD']);

/** A Dockerfile's model and plans, once per state of what they read (detect and every fix ask). */
function plansOf(ws: Workspace, file: string): { m: DockerfileModel; plans: Plan[] } | undefined {
  return perDockerfile(ws, 'dockerfile/dependency-cache-order', file, (ctx) => {
    const m = dockerfile(ws, file);
    return m ? { m, plans: plan(m, ctx) } : undefined;
  });
}

function plan(m: DockerfileModel, ctx: BuildContext): Plan[] {
  const out: Plan[] = [];
  for (const stage of m.stages) {
    const body = stage.instructions.slice(1);
    for (const run of body) {
      if (run.keyword !== 'RUN' || installsOf(m, run).length === 0) continue;
      const first = installRun(m, ctx, stage, run);
      const wd = workdirAt(m, stage, run) ?? '/';
      // A COPY of sources into the install's directory tree (COPYs to elsewhere, such as settings,
      // wheels or certificates, may feed the install: they stay).
      const broad = (i: DInstruction, rels?: ReadonlySet<string>) => {
        if (!isContextCopy(m, i)) return false;
        const dest = resolveContainerPath(workdirAt(m, stage, i) ?? '/', copyArgs(m, i)!.dest);
        return (underDir(dest, wd) || underDir(wd, dest)) && !copiesOnlyManifests(m, i, ctx, rels);
      };
      // Installs that follow (pip, then npm…), and sources copied between them, go the same way:
      // every install then runs on its manifests, and the sources come after the last one.
      let last = run;
      const installs = [...first.installs];
      const sources = [...first.sources];
      const later: DInstruction[] = [];
      if (!first.problem) {
        const pending: DInstruction[] = [];
        for (const next of body.filter((i) => i.start > run.start)) {
          if (next.keyword === 'RUN') {
            const sc = runScript(m, next);
            if (!sc || !sc.commands.every((c) => neutralCommand(c) || depInstall(c))) break;
            if (installsOf(m, next).length === 0) continue;
            const more = installRun(m, ctx, stage, next);
            if (more.problem) break;
            last = next;
            installs.push(...more.installs);
            for (const x of more.sources) if (!sources.some((y) => y.container === x.container)) sources.push(x);
            later.push(...pending.splice(0));
            continue;
          }
          const sameDir = next.keyword === 'WORKDIR' && resolveContainerPath(workdirAt(m, stage, next) ?? '/', next.args) === (workdirAt(m, stage, next) ?? '/');
          // Files from another stage or a URL may be overwritten by the sources or overwrite them: order matters.
          const elsewhere = !isContextCopy(m, next) && (next.keyword === 'COPY' || next.keyword === 'ADD') && !overlaps(m, stage, next, wd);
          if (NEUTRAL.has(next.keyword) || sameDir || elsewhere || isContextCopy(m, next)) {
            if (broad(next)) pending.push(next);
            continue;
          }
          break;
        }
      }
      const manifestRels = new Set(sources.map((x) => x.rel));
      const moved = body.filter((i) => i.start < run.start && broad(i, manifestRels)).concat(later.filter((i) => broad(i, manifestRels)));
      if (moved.length === 0) continue;
      const p: Plan = { stage, run, last, installs, firstInstalls: first.installs, moved, copies: [] };
      p.problem = first.problem ?? movingProblem(m, p);
      if (!p.problem) p.copies = manifestCopies(m, p, sources);
      out.push(p);
      break; // one finding per stage: the first install that sources are copied before
    }
  }
  return out;
}

/** Why moving the COPY after the install would change what the build does, if it would. */
function movingProblem(m: DockerfileModel, p: Plan): string | undefined {
  const first = p.moved[0]!;
  const between = p.stage.instructions.filter((i) => i.start > first.start && i.start < p.run.start && !p.moved.includes(i));
  for (const i of between) {
    if (i.keyword === 'RUN') {
      const s = runScript(m, i);
      if (!s || !s.commands.every(neutralCommand)) return `\`${shortText(i, 50)}\` (line ${i.line}) runs between the COPY and the install and may need the copied files`;
    }
    if ((i.keyword === 'COPY' || i.keyword === 'ADD') && !isContextCopy(m, i)) {
      const wd = workdirAt(m, p.stage, p.run) ?? '/';
      if (overlaps(m, p.stage, i, wd)) return `\`${shortText(i, 50)}\` (line ${i.line}) writes where the sources go; moving the COPY past it would change which files win`;
    }
    if (i.keyword === 'WORKDIR') {
      const rel = p.moved.find((c) => c.start < i.start && !copyArgs(m, c)!.dest.startsWith('/'));
      if (rel) return `a WORKDIR (line ${i.line}) between \`${shortText(rel, 40)}\` and the install changes where its relative destination points`;
    }
    if (i.keyword === 'ENV' || i.keyword === 'ARG') {
      const uses = p.moved.find((c) => c.start < i.start && c.args.includes('$'));
      if (uses) return `\`${shortText(uses, 40)}\` uses variables and an ${i.keyword} (line ${i.line}) between it and the install could change them`;
    }
  }
  return undefined;
}

/** COPY lines for the manifests that the moved COPYs provided (and no COPY that stays provides). */
function manifestCopies(m: DockerfileModel, p: Plan, sources: ManifestSource[]): string[] {
  const kw = keywordStyle(m)('COPY');
  const stays = p.stage.instructions.filter((i) => i.start < p.last.start && isContextCopy(m, i) && !p.moved.includes(i));
  const groups = new Map<string, string[]>();
  for (const s of sources) {
    if (!p.moved.includes(s.copy)) continue;
    const provided = stays.some((c) => copyTarget(m, c, workdirAt(m, p.stage, c) ?? '/', s.rel) === s.container);
    if (provided) continue;
    const c = copyArgs(m, s.copy)!;
    const flags = c.flags.filter((f) => ['chown', 'chmod', 'link'].includes(f.name)).map((f) => m.text.slice(f.start, f.end));
    const wd = workdirAt(m, p.stage, s.copy) ?? '/';
    const parent = s.container.slice(0, s.container.lastIndexOf('/')) || '/';
    let dest: string;
    if (c.dest.startsWith('/')) dest = parent === '/' ? '/' : `${parent}/`;
    else if (parent === wd) dest = './';
    else if (parent.startsWith(wd === '/' ? '/' : wd + '/')) dest = `${parent.slice(wd === '/' ? 1 : wd.length + 1)}/`;
    else dest = `${parent}/`;
    const key = [...flags, dest].join(' ');
    const list = groups.get(key) ?? [];
    if (!list.includes(s.rel)) list.push(s.rel);
    groups.set(key, list);
  }
  const lines: string[] = [];
  for (const [key, rels] of groups) {
    const parts = key.split(' ');
    const dest = parts.pop()!;
    const flags = parts;
    if ([...rels, dest].some((x) => /\s/.test(x))) lines.push(`${kw} ${[...flags, JSON.stringify([...rels, dest]).replace(/","/g, '", "')].join(' ')}`);
    else lines.push([kw, ...flags, ...rels, dest].join(' '));
  }
  return lines;
}

function edits(m: DockerfileModel, file: string, p: Plan): ModifyEdit[] {
  const out: ModifyEdit[] = [];
  p.moved.forEach((c, i) => {
    if (i === 0 && p.copies.length) {
      const b = blockOf(m, c);
      out.push({ file, start: b.start, end: b.end, text: p.copies.map((l) => l + '\n').join('') });
    } else out.push(removeBlock(m, c, file));
  });
  out.push(insertParagraphAfter(m, p.last, blocksText(m, p.moved), file));
  return mergeEdits(m.text, out, file);
}

export default defineRule({
  id: 'dockerfile/dependency-cache-order',
  title: 'Sources are copied before the dependency install',
  fixTitle: 'Copy the dependency manifests first and the sources after the install',
  severity: 'low',
  safety: 'safe',
  kinds: ['dockerfile'],
  docs: {
    why:
      'Docker reuses a cached layer only while everything before it is unchanged. When `COPY . .` (or `COPY *.py ./`) ' +
      'comes before `pip install -r requirements.txt` or `npm ci`, editing any source file invalidates the install ' +
      'layer, and every build downloads and compiles all dependencies again: slow CI, slow deploys, and builds that ' +
      'break when a package index is down even though no dependency changed.',
    fix:
      'Copies the files the install reads first (the requirements files named by `-r`, pyproject.toml with its ' +
      'lock file, package.json with its lock file and .npmrc; only files that exist in the build context), runs the ' +
      'install, then copies the rest: a `COPY requirements.txt ./` takes the place of the broad COPY, which moves, ' +
      'with the comment lines above it, to just after the install.',
    safetyNote:
      'The image gets the same files. The fix is declined when moving the COPY could change the result: the install ' +
      'needs the sources (`pip install .`, `poetry install` without `--no-root`, package.json install scripts, ' +
      'requirements with `-e .`), a RUN between them may use the copied files, or a WORKDIR between them changes a ' +
      'relative destination.',
    references: [
      'https://docs.docker.com/build/cache/optimize/#order-your-layers',
      'https://docs.docker.com/build/building/best-practices/#leverage-build-cache',
    ],
    example: {
      before: 'FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\nCMD ["python", "main.py"]\n',
      after: 'FROM python:3.12-slim\nWORKDIR /app\nCOPY requirements.txt ./\nRUN pip install -r requirements.txt\nCOPY . .\nCMD ["python", "main.py"]\n',
    },
  },
  detect({ ws }) {
    const out: FindingInput[] = [];
    for (const file of ws.files('dockerfile')) {
      for (const p of plansOf(ws, file)?.plans ?? []) {
        const first = p.moved[0]!;
        const label = installLabel(p.run, p.installs);
        out.push({
          file,
          start: first.start,
          end: first.end,
          message: `\`${shortText(first, 40)}\` (line ${first.line}) copies sources before the dependency install \`${label}\` (line ${p.run.line}): every source change re-runs the install`,
          anchor: `${p.stage.name ?? ''}:${p.firstInstalls.map((i) => `${i.tool} ${i.manifests.join(',')}`).join(';')}`,
          fixable: !p.problem,
          notFixableReason: p.problem,
        });
      }
    }
    return out;
  },
  fix(finding, { ws }): FileEdit[] | null {
    const planned = plansOf(ws, finding.file);
    if (!planned) return null;
    const p = planned.plans.find((x) => x.moved[0]!.line === finding.line);
    if (!p || p.problem) return null;
    return edits(planned.m, finding.file, p);
  },
});
