// dockerfile/multi-stage-build: the final stage installs a build toolchain (compilers, -dev header
// packages) to build dependencies, so the toolchain ships in the runtime image. The fix adds a
// builder stage from the same base that installs the toolchain and builds the dependencies (a
// virtualenv at /opt/venv for pip, node_modules for npm/yarn/pnpm); the runtime stage copies the
// built environment and installs runtime libraries instead of -dev packages.
import { defineRule } from '../../src/rule.js';
import { basename } from '../../src/classify.js';
import type { FileEdit, FindingInput, ModifyEdit } from '../../src/types.js';
import type { Workspace } from '../../src/workspace.js';
import { dockerfile, finalStage, imageFamily, type DInstruction, type DockerfileModel, type DStage, type ImageFamily, rootStage } from '../../src/parsers/dockerfile.js';
import {
  BuildContext,
  perDockerfile,
  copiedFiles,
  copiesOnlyManifests,
  depInstall,
  isContextCopy,
  installScripts,
  isBuildPackage,
  isRootUser,
  isHousekeeping,
  packageCommand,
  requirementNeedingSources,
  resolveContainerPath,
  resolveManifests,
  runtimeOf,
  workdirAt,
  type DepInstall,
  type Ecosystem,
  type ManifestSource,
  type PackageWord,
} from '../../src/project/docker.js';
import {
  applyTo,
  blockOf,
  blocksText,
  copyArgs,
  freeStageName,
  insertParagraphBefore,
  keywordStyle,
  lineEndOf,
  leadingCommentStart,
  lineStartOf,
  mergeEdits,
  removeBlocks,
  runScript,
  wordEdits,
  type RunScript,
  type WordChange,
} from '../../src/edit/dockerfile.js';

interface PkgRun {
  ins: DInstruction;
  script: RunScript;
  /** Build packages it installs (they go to the builder). */
  build: PackageWord[];
  /** Edits of its packages in the runtime stage (build packages removed or replaced by runtime libraries). */
  runtime: WordChange[];
  /** Edits of a copy for the builder (packages the build does not need removed). */
  builder: WordChange[];
  /** Nothing would be left to install at run time: the whole RUN moves to the builder. */
  moveWhole: boolean;
}

interface Plan {
  stage: DStage;
  family: ImageFamily;
  ecosystem?: Ecosystem;
  buildNames: string[];
  pkgRuns: PkgRun[];
  installRuns: DInstruction[];
  installs: DepInstall[];
  /** Manifest-only COPYs repeated in the builder. */
  manifestCopies: DInstruction[];
  /** Manifest-only COPYs that nothing in the runtime stage reads once the install has moved: they go. */
  dropCopies: DInstruction[];
  /** COPY lines for manifests that come with broader COPYs (those stay in the runtime stage). */
  generatedCopies: string[];
  /** ENV/ARG instructions the builder needs too. */
  envs: DInstruction[];
  workdir?: string;
  /** The runtime stage gets the built environment before this COPY of the sources (else where the install was). */
  runtimeBefore?: DInstruction;
  prune?: string;
  problem?: string;
}

const BUILD_ENV = /^(PIP_|UV_|POETRY_|PIPENV_|NPM_CONFIG_|npm_config_|YARN_|PNPM_|NODE_ENV$|NODE_OPTIONS$|DEBIAN_FRONTEND$|PYTHONDONTWRITEBYTECODE$|CFLAGS$|LDFLAGS$)/;

/** A pip requirements or constraints file (read only by pip, never by the application). */
function isRequirementsFile(rel: string): boolean {
  return /(^|\/)(requirements|constraints)[^/]*\.(txt|in)$/.test(rel) || /(^|\/)requirements\/[^/]+\.(txt|in)$/.test(rel);
}

/** Names an ENV or ARG instruction declares. */
function declaredNames(ins: DInstruction): string[] {
  const a = ins.args.trim();
  if (ins.keyword === 'ARG') return [a.split('=')[0]!.trim()];
  const first = a.split(/\s+/)[0] ?? '';
  if (!first.includes('=')) return [first];
  return [...a.matchAll(/(?:^|\s)([A-Za-z_][A-Za-z0-9_.-]*)=/g)].map((x) => x[1]!);
}

function ecosystemOf(installs: DepInstall[], base: DStage): Ecosystem | undefined {
  const first = installs[0];
  if (first) return first.ecosystem;
  const n = base.imageName.toLowerCase().replace(/^.*\//, '');
  return n === 'python' ? 'python' : n === 'node' ? 'node' : undefined;
}

/** A Dockerfile's model and plan, once per state of what they read (detect and every fix ask). */
function planOf(ws: Workspace, file: string): { m: DockerfileModel; plan?: Plan } | undefined {
  return perDockerfile(ws, 'dockerfile/multi-stage-build', file, (ctx) => {
    const m = dockerfile(ws, file);
    return m ? { m, plan: plan(m, ctx) } : undefined;
  });
}

function plan(m: DockerfileModel, ctx: BuildContext): Plan | undefined {
  const stage = finalStage(m);
  const body = stage.instructions.slice(1);
  const family = imageFamily(m, stage);
  const base = rootStage(m, stage);

  // Every dependency install of the stage, and the system packages it installs and removes.
  const installRuns: DInstruction[] = [];
  const installs: DepInstall[] = [];
  const scripts = new Map<DInstruction, RunScript>();
  for (const ins of body) {
    const s = runScript(m, ins);
    if (!s) continue;
    scripts.set(ins, s);
    const found = s.commands.map(depInstall).filter((d): d is DepInstall => Boolean(d));
    if (found.length) {
      installRuns.push(ins);
      installs.push(...found);
    }
  }
  const ecosystem = ecosystemOf(installs.filter((i) => !i.packagesOnly).concat(installs), base);
  const removed = new Set<string>();
  for (const s of scripts.values()) {
    for (const c of s.commands) {
      const pc = packageCommand(c);
      if (pc?.action === 'remove') for (const p of pc.packages) removed.add(p.name);
    }
  }

  // Manifests: read to tell whether git is only used to fetch dependencies.
  const withManifests = installs.filter((i) => !i.packagesOnly);
  const firstInstall = installRuns[0];
  let sources: ManifestSource[] = [];
  let manifestProblem: string | undefined;
  if (firstInstall && withManifests.length) {
    const runs = installRuns.map((r) => ({ r, list: withManifests.filter((i) => r.start <= i.command.start && i.command.end <= r.end) }));
    for (const { r, list } of runs) {
      if (!list.length) continue;
      const res = resolveManifests(m, stage, r, list, ctx);
      manifestProblem ??= res.problem;
      for (const s of res.sources) if (!sources.some((x) => x.container === s.container)) sources.push(s);
    }
  }
  const gitForDeps = sources.some((s) => /git\+|git:\/\/|github:|\.git(#|$|\s|")/m.test(ctx.text(s.rel) ?? ''));

  const pkgRuns: PkgRun[] = [];
  const buildNames: string[] = [];
  for (const ins of body) {
    const s = scripts.get(ins);
    if (!s) continue;
    const build: PackageWord[] = [];
    const all: PackageWord[] = [];
    for (const c of s.commands) {
      const pc = packageCommand(c);
      if (pc?.action !== 'install') continue;
      const virtualRemoved = pc.virtual !== undefined && removed.has(pc.virtual);
      for (const p of pc.packages) {
        all.push(p);
        if (virtualRemoved || removed.has(p.name)) continue;
        const known = isBuildPackage(p.name, ecosystem) && runtimeOf(p.name, family, stage.tag) !== undefined;
        if (known || (p.name === 'git' && gitForDeps)) build.push(p);
      }
    }
    if (!build.length) continue;
    for (const b of build) if (!buildNames.includes(b.name)) buildNames.push(b.name);
    // Runtime: build packages go, -dev packages become their runtime library (once).
    const runtime: WordChange[] = [];
    const kept = new Set(all.filter((p) => !build.includes(p)).map((p) => p.name));
    for (const b of build) {
      const r = b.name === 'git' ? null : runtimeOf(b.name, family, stage.tag);
      if (r && !kept.has(r)) {
        runtime.push({ token: b.token, text: r });
        kept.add(r);
      } else runtime.push({ token: b.token });
    }
    // Unknown -dev packages stay at run time (their library with them) and are needed to build too.
    const builderKeep = (p: PackageWord) =>
      build.includes(p) || p.name === 'ca-certificates' || (isBuildPackage(p.name, ecosystem) && runtimeOf(p.name, family, stage.tag) === undefined);
    const builder: WordChange[] = all.filter((p) => !builderKeep(p)).map((p) => ({ token: p.token }));
    const moveWhole = all.every((p) => build.includes(p)) && build.every((b) => (b.name === 'git' ? null : runtimeOf(b.name, family, stage.tag)) === null);
    pkgRuns.push({ ins, script: s, build, runtime, builder, moveWhole });
  }
  if (!pkgRuns.length) return undefined;

  const p: Plan = {
    stage,
    family,
    ecosystem,
    buildNames,
    pkgRuns,
    installRuns,
    installs,
    manifestCopies: [],
    dropCopies: [],
    generatedCopies: [],
    envs: [],
  };
  p.problem = problemOf(m, ctx, p, base, manifestProblem, sources);
  if (p.problem) return p;

  // The builder works where the installs ran.
  p.workdir = workdirAt(m, stage, firstInstall);
  // The virtualenv does not depend on the sources: it goes before them, so that a source change
  // does not make a new copy of it. (node_modules stays where the install was: a COPY of the
  // sources may carry a node_modules directory that the install used to replace.)
  if (ecosystem === 'python') {
    const sourcesFirst = body.find((i) => i.start < firstInstall!.start && isContextCopy(m, i) && !copiesOnlyManifests(m, i, ctx, new Set(sources.map((x) => x.rel))));
    const clash = body.some((i) => {
      if (!sourcesFirst || i.start < sourcesFirst.start || i.start > firstInstall!.start) return false;
      const c = copyArgs(m, i);
      if (!c) return false;
      const dest = resolveContainerPath(workdirAt(m, stage, i) ?? '/', c.dest);
      return dest === '/' || dest === '/opt' || dest.startsWith('/opt/venv');
    });
    if (sourcesFirst && !clash) p.runtimeBefore = sourcesFirst;
  }
  const kw = keywordStyle(m);
  const groups = new Map<string, string[]>();
  for (const s of sources) {
    if (copiesOnlyManifests(m, s.copy, ctx, new Set(sources.map((x) => x.rel)))) {
      if (!p.manifestCopies.includes(s.copy)) p.manifestCopies.push(s.copy);
      continue;
    }
    const parent = s.container.slice(0, s.container.lastIndexOf('/')) || '/';
    const wd = p.workdir ?? '/';
    const dest = parent === wd ? './' : parent.startsWith(wd === '/' ? '/' : wd + '/') ? `${parent.slice(wd === '/' ? 1 : wd.length + 1)}/` : `${parent}/`;
    const list = groups.get(dest) ?? [];
    if (!list.includes(s.rel)) list.push(s.rel);
    groups.set(dest, list);
  }
  p.manifestCopies.sort((a, b) => a.start - b.start);
  // Python: requirements files only feed pip. Once the install is in the builder, a COPY that only
  // brought them is dead weight in the runtime stage, unless something left there names them.
  if (ecosystem === 'python') {
    const leaving = new Set<DInstruction>([...installRuns, ...pkgRuns.filter((r) => r.moveWhole).map((r) => r.ins)]);
    for (const c of p.manifestCopies) {
      const files = copiedFiles(m, c, ctx);
      if (!files.complete || !files.files.length || !files.files.every(isRequirementsFile)) continue;
      const names = files.files.map((f) => basename(f));
      const used = body.some((i) => i !== c && !leaving.has(i) && names.some((n) => i.raw.includes(n)));
      if (!used) p.dropCopies.push(c);
    }
  }
  for (const [dest, rels] of groups) p.generatedCopies.push([kw('COPY'), ...rels, dest].join(' '));

  // ENV/ARG the moved commands read, or that configure the package managers.
  const movedText = [...pkgRuns.map((r) => r.ins), ...installRuns].map((i) => i.raw).join('\n');
  for (const ins of body) {
    if ((ins.keyword !== 'ENV' && ins.keyword !== 'ARG') || ins.start > firstInstall!.start) continue;
    const names = declaredNames(ins);
    if (names.some((n) => BUILD_ENV.test(n) || new RegExp(`\\$\\{?${n.replace(/[.]/g, '\\.')}\\b`).test(movedText))) p.envs.push(ins);
  }

  // Node: keep only production dependencies when nothing later needs the development ones.
  const prodEnv = body.some((i) => i.keyword === 'ENV' && i.start < firstInstall!.start && /(^|\s)NODE_ENV[= ]["']?production\b/.test(i.args));
  if (ecosystem === 'node' && !prodEnv && withManifests.every((i) => !i.omitsDev) && (withManifests[0]?.tool === 'npm' || withManifests[0]?.tool === 'pnpm')) {
    const last = installRuns[installRuns.length - 1]!;
    const laterTools = body.filter((i) => i.start > last.start && i.keyword === 'RUN').some((i) => /\b(npm|npx|yarn|pnpm|node|tsc)\b/.test(i.args));
    const start = [...body].reverse().find((i) => i.keyword === 'CMD' || i.keyword === 'ENTRYPOINT');
    const runsNode = start && (start.json ? start.json[0] === 'node' : /^node\s/.test(start.args));
    if (!laterTools && runsNode) p.prune = `${kw('RUN')} ${withManifests[0]!.tool === 'npm' ? 'npm prune --omit=dev' : 'pnpm prune --prod'}`;
  }
  return p;
}

function problemOf(m: DockerfileModel, ctx: BuildContext, p: Plan, base: DStage, manifestProblem: string | undefined, sources: ManifestSource[]): string | undefined {
  const { family, ecosystem } = p;
  if (family !== 'debian' && family !== 'alpine') {
    return `cannot tell the package manager of \`${base.image}\`; move the build tools into a builder stage by hand`;
  }
  if (!p.installs.length || !ecosystem) {
    return 'no pip, npm, yarn or pnpm install in the final stage uses the build tools, so what they build cannot be told; move that build into a builder stage by hand';
  }
  const baseName = base.imageName.toLowerCase().replace(/^.*\//, '');
  if (ecosystem === 'python' && baseName !== 'python') {
    return `the base image \`${base.image}\` is not an official python image; a virtualenv built in a builder stage needs the venv module and the same Python, so move the build by hand`;
  }
  if (ecosystem === 'node' && baseName !== 'node') {
    return `the base image \`${base.image}\` is not an official node image; move the build into a builder stage by hand`;
  }
  for (const r of p.pkgRuns) {
    const other = r.script.commands.find((c) => !packageCommand(c) && !isHousekeeping(c));
    if (other) {
      return `the RUN on line ${r.ins.line} installs the build tools and also runs \`${c2s(other)}\`; split it so the build can move to a builder stage`;
    }
  }
  for (const i of p.installs) {
    if (i.ecosystem !== ecosystem) return `the final stage installs both Python and Node dependencies; split the build by hand`;
    if (ecosystem === 'python' && i.tool !== 'pip') {
      return `\`${c2s(i.command)}\` manages its own environment; only pip installs are moved into a virtualenv automatically`;
    }
    if (ecosystem === 'node' && i.tool === 'bun') return 'bun installs are not handled; move the build into a builder stage by hand';
    if (i.elsewhere) return `\`${c2s(i.command)}\` installs with ${i.elsewhere}; install into the builder's virtualenv instead`;
    if (i.needsSources) return `${i.needsSources}; a builder stage would need the sources too, move it by hand`;
    if (ecosystem === 'node' && i.packagesOnly) return `\`${c2s(i.command)}\` installs packages globally, outside node_modules; move it by hand`;
  }
  const firstInstall = p.installRuns[0]!;
  const wd = workdirAt(m, p.stage, firstInstall);
  for (const r of p.installRuns) {
    const other = runScript(m, r)!.commands.find((c) => !depInstall(c) && !isHousekeeping(c));
    if (other) return `the RUN on line ${r.line} installs dependencies and also runs \`${c2s(other)}\`; split it so the install can move to a builder stage`;
    if (r.start < p.pkgRuns[p.pkgRuns.length - 1]!.ins.start) return `the dependency install on line ${r.line} runs before the build tools are installed; reorder the RUNs first`;
    if (workdirAt(m, p.stage, r) !== wd) return `the dependency installs run in different working directories; move them by hand`;
    const users = p.stage.instructions.filter((i) => i.keyword === 'USER' && i.start < r.start);
    // Node: an unprivileged user that the toolchain RUNs came before (the installs run as root in the
    // builder, and the runtime stage copies node_modules to that user).
    const lastPkgRun = p.pkgRuns[p.pkgRuns.length - 1]!.ins;
    const nodeUser = ecosystem === 'node' && users.every((u) => !isRootUser(u.args) && !u.args.includes('$') && u.start > lastPkgRun.start);
    if (users.length && !nodeUser) return `the dependency install on line ${r.line} runs as \`${users[users.length - 1]!.args}\`; move it by hand`;
  }
  if (manifestProblem) return manifestProblem;
  for (const s of sources) {
    if (/\.(txt|in)$/.test(s.rel)) {
      const line = requirementNeedingSources(ctx.text(s.rel) ?? '');
      if (line) return `${s.rel} installs from the project's own files (\`${line}\`); a builder stage would need the sources too`;
    }
    const c = copyArgs(m, s.copy)!;
    if (!c.dest.startsWith('/') && workdirAt(m, p.stage, s.copy) !== wd) return `${s.rel} is copied in another working directory than the install runs in; move the build by hand`;
  }
  if (ecosystem === 'node') {
    const pkg = sources.find((s) => s.rel === 'package.json' || s.rel.endsWith('/package.json'));
    const broad = pkg && !copiesOnlyManifests(m, pkg.copy, ctx);
    const scripts = installScripts(pkg ? ctx.text(pkg.rel) : undefined);
    if (broad && scripts.length && !p.installs.every((i) => i.ignoreScripts)) {
      return `package.json has ${scripts.map((s) => `a "${s}"`).join(' and ')} script that runs during the install and may need the sources; move the build by hand`;
    }
  }
  return undefined;
}

function c2s(c: { words: { value: string }[] }): string {
  const t = c.words.map((w) => w.value).join(' ');
  return t.length > 60 ? `${t.slice(0, 59)}…` : t;
}

/** The RUN's full lines with word changes applied (for the builder's copy). */
function editedCopy(m: DockerfileModel, r: PkgRun, file: string): string {
  const start = lineStartOf(m, r.ins);
  const end = lineEndOf(m, r.ins);
  const es = wordEdits(m, r.ins, r.script.tokens, r.builder, file, r.script.heredoc ? '\\' : m.escape, true);
  let t = applyTo(m.text.slice(start, end), es.map((e) => ({ ...e, start: e.start - start, end: e.end - start })));
  if (!t.endsWith('\n')) t += '\n';
  return t;
}

/** A manifest COPY for the builder: same sources and destination, no --chown (the user does not exist there). */
function builderCopy(m: DockerfileModel, ins: DInstruction): string {
  const c = copyArgs(m, ins)!;
  const start = lineStartOf(m, ins);
  let t = m.text.slice(start, lineEndOf(m, ins));
  const chown = c.flags.find((f) => f.name === 'chown');
  if (chown) {
    const a = chown.start - start;
    let b = chown.end - start;
    while (t[b] === ' ' || t[b] === '\t') b++;
    t = t.slice(0, a) + t.slice(b);
  }
  return t.endsWith('\n') ? t : t + '\n';
}

function edits(m: DockerfileModel, file: string, p: Plan): ModifyEdit[] {
  const kw = keywordStyle(m);
  const name = freeStageName(m, 'builder');
  const lowerAs = m.stages.some((s) => / as /.test(m.text.slice(s.from.start, s.from.end)));
  const from = p.stage.from;
  const fromArgs = from.args.replace(/\s+as\s+\S+\s*$/i, '');
  const parts: string[] = [`${kw('FROM')} ${fromArgs} ${lowerAs ? 'as' : kw('AS')} ${name}\n`];
  const addBlock = (text: string, paragraph: boolean) => {
    if (paragraph && !parts[parts.length - 1]!.endsWith('\n\n')) parts.push('\n');
    parts.push(text);
  };
  for (const e of p.envs) parts.push(m.text.slice(lineStartOf(m, e), lineEndOf(m, e)).replace(/\n?$/, '\n'));
  const out: ModifyEdit[] = [];
  const removed: DInstruction[] = [...p.dropCopies];
  for (const r of p.pkgRuns) {
    if (r.moveWhole) {
      const hasComments = leadingCommentStart(m, r.ins) < lineStartOf(m, r.ins);
      addBlock(blocksText(m, [r.ins]), hasComments);
      removed.push(r.ins);
    } else {
      // The RUN's comments stay with it in the runtime stage (they may be about what stays there).
      parts.push(editedCopy(m, r, file));
      out.push(...wordEdits(m, r.ins, r.script.tokens, r.runtime, file, r.script.heredoc ? '\\' : m.escape, true));
    }
  }
  if (p.workdir && p.workdir !== '/') parts.push(`${kw('WORKDIR')} ${p.workdir}\n`);
  for (const c of p.manifestCopies) {
    // A COPY that leaves the runtime stage takes its comments to the builder.
    if (p.dropCopies.includes(c)) parts.push(m.text.slice(leadingCommentStart(m, c), lineStartOf(m, c)));
    parts.push(builderCopy(m, c));
  }
  for (const l of p.generatedCopies) parts.push(l + '\n');
  const runtimeLines: string[] = [];
  if (p.ecosystem === 'python') {
    parts.push(`${kw('RUN')} python -m venv /opt/venv\n`, `${kw('ENV')} PATH="/opt/venv/bin:$PATH"\n`);
    runtimeLines.push(`${kw('COPY')} --from=${name} /opt/venv /opt/venv`, `${kw('ENV')} PATH="/opt/venv/bin:$PATH"`);
  } else {
    const nm = `${p.workdir && p.workdir !== '/' ? p.workdir : ''}/node_modules`;
    // The user in effect at the install owned what it wrote: the copy is given to that user.
    const user = p.stage.instructions.filter((i) => i.keyword === 'USER' && i.start < p.installRuns[0]!.start).pop()?.args;
    const chown = user && !isRootUser(user) ? `--chown=${user.includes(':') ? user : `${user}:${user}`} ` : '';
    runtimeLines.push(`${kw('COPY')} ${chown}--from=${name} ${nm} ${nm}`);
  }
  p.installRuns.forEach((r, i) => {
    const hasComments = leadingCommentStart(m, r) < lineStartOf(m, r);
    addBlock(blocksText(m, [r]), hasComments);
    if (i === 0 && !p.runtimeBefore) {
      const b = blockOf(m, r);
      out.push({ file, start: b.start, end: b.end, text: runtimeLines.map((l) => l + '\n').join('') });
    } else removed.push(r);
  });
  out.push(...removeBlocks(m, removed, file));
  if (p.runtimeBefore) out.push(insertParagraphBefore(m, p.runtimeBefore, runtimeLines, file));
  if (p.prune) parts.push(p.prune + '\n');
  // The builder goes before the final FROM (before the comments that belong to it in a multi-stage file).
  const at = leadingCommentStart(m, from);
  const before = m.text.slice(0, at);
  const lead = before.length > 0 && !/\n\n$/.test(before) && !/^\s*$/.test(before.slice(before.lastIndexOf('\n', before.length - 2) + 1)) && m.stages.length > 1 ? '\n' : '';
  out.push({ file, start: at, end: at, text: lead + parts.join('') + '\n' });
  return mergeEdits(m.text, out, file);
}

export default defineRule({
  id: 'dockerfile/multi-stage-build',
  title: 'Build toolchain ships in the runtime image',
  fixTitle: 'Build dependencies in a builder stage and copy them into a clean runtime stage',
  severity: 'medium',
  safety: 'review',
  kinds: ['dockerfile'],
  docs: {
    why:
      'Compilers, make and -dev header packages (build-essential, gcc, libpq-dev…) are needed to build some ' +
      'dependencies, not to run them. Left in the final stage they make the image hundreds of megabytes larger ' +
      '(slower pulls, deploys and autoscaling) and hand anyone who breaks into the container a ready toolchain to ' +
      'build exploits with; every one of those packages also adds CVEs for scanners to report.',
    fix:
      'Adds a `builder` stage FROM the same base image that installs the toolchain and builds the dependencies: ' +
      'for Python a virtualenv at /opt/venv that `pip install` fills, for Node `node_modules` from `npm ci` (or yarn, ' +
      'pnpm; pruned to production dependencies with `npm prune --omit=dev` when nothing later needs the development ' +
      'ones). The final stage copies the result (`COPY --from=builder /opt/venv /opt/venv` and ' +
      '`ENV PATH="/opt/venv/bin:$PATH"`, before the sources so that a source change does not copy it again; a COPY ' +
      'that only brought requirements files for the moved install goes with it; node_modules installed as an ' +
      'unprivileged USER is copied with `--chown` to that user), ' +
      'installs runtime libraries instead of -dev packages where the mapping is ' +
      'well known (libpq-dev → libpq5, libjpeg-dev → libjpeg62-turbo, Alpine postgresql-dev → libpq …), and keeps ' +
      'the other packages (curl, ca-certificates). Comments, existing stages, ARGs before FROM and parser directives are kept.',
    safetyNote:
      'Review that nothing needs the toolchain at run time (a package that compiles on first import, a tool the app ' +
      'shells out to), and that every shared library a built extension links against is installed in the final ' +
      'stage: -dev packages whose runtime library is not known are kept there. Python now runs from /opt/venv; ' +
      'commands that call a specific interpreter path (/usr/local/bin/python) do not see the installed packages.',
    references: [
      'https://docs.docker.com/build/building/multi-stage/',
      'https://docs.docker.com/build/building/best-practices/#use-multi-stage-builds',
      'https://pythonspeed.com/articles/multi-stage-docker-python/',
    ],
    example: {
      before:
        'FROM python:3.12-slim\nRUN apt-get update && apt-get install -y --no-install-recommends build-essential libpq-dev curl \\\n    && rm -rf /var/lib/apt/lists/*\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt\nCOPY . .\nCMD ["gunicorn", "app:app"]\n',
      after:
        'FROM python:3.12-slim AS builder\nRUN apt-get update && apt-get install -y --no-install-recommends build-essential libpq-dev \\\n    && rm -rf /var/lib/apt/lists/*\nWORKDIR /app\nCOPY requirements.txt .\nRUN python -m venv /opt/venv\nENV PATH="/opt/venv/bin:$PATH"\nRUN pip install --no-cache-dir -r requirements.txt\n\n' +
        'FROM python:3.12-slim\nRUN apt-get update && apt-get install -y --no-install-recommends libpq5 curl \\\n    && rm -rf /var/lib/apt/lists/*\nWORKDIR /app\nCOPY --from=builder /opt/venv /opt/venv\nENV PATH="/opt/venv/bin:$PATH"\nCOPY . .\nCMD ["gunicorn", "app:app"]\n',
    },
  },
  detect({ ws }) {
    const out: FindingInput[] = [];
    for (const file of ws.files('dockerfile')) {
      const p = planOf(ws, file)?.plan;
      if (!p) continue;
      const at = p.pkgRuns[0]!.ins;
      out.push({
        file,
        start: at.start,
        end: at.end,
        message: `final stage installs build tools (${p.buildNames.join(', ')}) on line ${at.line}: they ship in the runtime image`,
        anchor: 'final-stage-toolchain',
        fixable: !p.problem,
        notFixableReason: p.problem,
      });
    }
    return out;
  },
  fix(finding, { ws }): FileEdit[] | null {
    const planned = planOf(ws, finding.file);
    const p = planned?.plan;
    if (!planned || !p || p.problem) return null;
    return edits(planned.m, finding.file, p);
  },
});

