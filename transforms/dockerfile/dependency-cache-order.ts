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
  requirementNeedingSources,
  resolveContainerPath,
  resolveManifests,
  workdirAt,
  type DepInstall,
} from '../../src/project/docker.js';
import {
  blocksText,
  copyArgs,
  insertParagraphAfter,
  keywordStyle,
  mergeEdits,
  removeBlock,
  blockOf,
  runScript,
  shortText,
} from '../../src/edit/dockerfile.js';
import { dirname } from '../../src/classify.js';

interface Plan {
  stage: DStage;
  run: DInstruction;
  installs: DepInstall[];
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

function plan(ws: Workspace, file: string, m: DockerfileModel): Plan[] {
  const ctx = BuildContext.of(ws, file);
  const out: Plan[] = [];
  for (const stage of m.stages) {
    const body = stage.instructions.slice(1);
    for (const run of body) {
      if (run.keyword !== 'RUN') continue;
      const installs = installsOf(m, run);
      if (installs.length === 0) continue;
      const wd = workdirAt(m, stage, run) ?? '/';
      const res = resolveManifests(m, stage, run, installs, ctx);
      const manifestRels = new Set(res.sources.map((s) => s.rel));
      const moved = body.filter((i) => {
        if (i.start >= run.start || !isContextCopy(m, i)) return false;
        const c = copyArgs(m, i)!;
        // COPYs to elsewhere (settings, wheels, certificates) may feed the install: they stay.
        const dest = resolveContainerPath(workdirAt(m, stage, i) ?? '/', c.dest);
        if (!underDir(dest, wd) && !underDir(wd, dest)) return false;
        return !copiesOnlyManifests(m, i, ctx, manifestRels);
      });
      if (moved.length === 0) continue;
      const p: Plan = { stage, run, installs, moved, copies: [] };
      p.problem = problemOf(m, ctx, p, res.problem, res.sources.map((s) => s.rel));
      if (!p.problem) p.copies = manifestCopies(m, ctx, p, res.sources);
      out.push(p);
      break; // one finding per stage: the first install that sources are copied before
    }
  }
  return out;
}

/** Why moving the COPY after the install would change what the build does, if it would. */
function problemOf(m: DockerfileModel, ctx: BuildContext, p: Plan, manifestProblem: string | undefined, rels: string[]): string | undefined {
  const src = p.installs.find((i) => i.needsSources);
  if (src) return `${src.needsSources}; copy only the dependency manifests first and install the project after copying the sources`;
  if (manifestProblem) return manifestProblem;
  for (const rel of rels) {
    if (!/\.txt$|\.in$/.test(rel)) continue;
    const line = requirementNeedingSources(ctx.text(rel) ?? '');
    if (line) return `${rel} installs from the project's own files (\`${line}\`), which need the sources`;
  }
  if (p.installs.some((i) => i.ecosystem === 'node')) {
    const pkg = rels.find((r) => r === 'package.json' || r.endsWith('/package.json'));
    const text = pkg ? ctx.text(pkg) : undefined;
    const scripts = installScripts(text);
    if (scripts.length && !p.installs.every((i) => i.ignoreScripts)) {
      return `package.json has ${scripts.map((s) => `a "${s}"`).join(' and ')} script, which runs during the install and may need the sources`;
    }
    if (hasWorkspaces(text) || ctx.has('pnpm-workspace.yaml')) {
      return 'the project uses workspaces: the install needs the package.json of every workspace package, copy them first by hand';
    }
  }
  const script = runScript(m, p.run);
  for (const c of script?.commands ?? []) {
    const d = depInstall(c);
    if ((d && !d.packagesOnly) || isHousekeeping(c)) continue;
    return `the RUN that installs dependencies also runs \`${c.words.map((w) => w.value).join(' ')}\`, which may need the sources; split it into its own RUN after the COPY`;
  }
  const first = p.moved[0]!;
  const between = p.stage.instructions.filter((i) => i.start > first.start && i.start < p.run.start && !p.moved.includes(i));
  for (const i of between) {
    if (i.keyword === 'RUN') {
      const s = runScript(m, i);
      if (!s || !s.commands.every(isHousekeeping)) return `\`${shortText(i, 50)}\` (line ${i.line}) runs between the COPY and the install and may need the copied files`;
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
function manifestCopies(m: DockerfileModel, ctx: BuildContext, p: Plan, sources: { container: string; rel: string; copy: DInstruction }[]): string[] {
  const kw = keywordStyle(m)('COPY');
  const stays = p.stage.instructions.filter((i) => i.start < p.run.start && isContextCopy(m, i) && !p.moved.includes(i));
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
  void ctx;
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
  out.push(insertParagraphAfter(m, p.run, blocksText(m, p.moved), file));
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
      const m = dockerfile(ws, file);
      if (!m) continue;
      for (const p of plan(ws, file, m)) {
        const first = p.moved[0]!;
        const label = installLabel(p.run, p.installs);
        out.push({
          file,
          start: first.start,
          end: first.end,
          message: `\`${shortText(first, 40)}\` (line ${first.line}) copies sources before the dependency install \`${label}\` (line ${p.run.line}): every source change re-runs the install`,
          anchor: `${p.stage.name ?? ''}:${p.installs.map((i) => `${i.tool} ${i.manifests.join(',')}`).join(';')}`,
          fixable: !p.problem,
          notFixableReason: p.problem,
        });
      }
    }
    return out;
  },
  fix(finding, { ws }): FileEdit[] | null {
    const m = dockerfile(ws, finding.file);
    if (!m) return null;
    const p = plan(ws, finding.file, m).find((x) => x.moved[0]!.line === finding.line);
    if (!p || p.problem) return null;
    void dirname;
    return edits(m, finding.file, p);
  },
});
