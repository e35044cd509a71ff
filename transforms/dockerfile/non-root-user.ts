// dockerfile/non-root-user: the image's final stage runs its process as root. The fix creates a
// system user suited to the base image (or uses the one the image ships), gives it the files
// copied into the app directory, and switches to it before CMD/ENTRYPOINT.
import { defineRule } from '../../src/rule.js';
import type { FileEdit, FindingInput, ModifyEdit, RuleOptions } from '../../src/types.js';
import type { Workspace } from '../../src/workspace.js';
import { dockerfile, finalStage, imageFamily, parentStage, type DInstruction, type DockerfileModel, type DStage, rootStage } from '../../src/parsers/dockerfile.js';
import {
  BuildContext,
  copiedFiles,
  isContextCopy,
  isRootUser,
  buildContextOf,
  composeServicesOf,
  projectUserNameFor,
  resolveContainerPath,
  stageUser,
  workdirAt,
} from '../../src/project/docker.js';
import {
  commandIndex,
  continuationIndent,
  copyArgs,
  insertAfter,
  insertBefore,
  insertParagraphBefore,
  keywordStyle,
  mergeEdits,
  runScript,
} from '../../src/edit/dockerfile.js';
import { basename } from '../../src/classify.js';

interface Plan {
  stage: DStage;
  /** How the stage ends up as root. */
  how: 'none' | 'stage' | 'parent';
  userIns?: DInstruction;
  parent?: DStage;
  problem?: string;
  user?: string;
  group?: string;
  /** Lines of the RUN that creates the user, when it must be created. */
  create?: string[];
  chown: DInstruction[];
  /** Where directories made with mkdir get a chown: offset after the mkdir command, and the paths. */
  mkdirs: { at: number; paths: string[] }[];
  /** The user-creating RUN goes before this instruction (and its comments); undefined: with USER. */
  createBefore?: DInstruction;
  /** USER goes before this instruction (and its comments); undefined: after the stage's last instruction. */
  userBefore?: DInstruction;
  /** Node images: the app directory made the user's by a RUN of its own (no user-creating RUN to do it in). */
  chownDir?: string;
  /** Where the Next.js build output gets a `chown -R` in the build's own RUN (USER must stay after the build). */
  buildChowns: { at: number; paths: string[] }[];
}

/** Commands a RUN may hold and still run as the image's unprivileged user in its own app directory. */
const AS_USER_TOOLS = new Set(['npm', 'npx', 'yarn', 'pnpm', 'node', 'bun', 'bunx', 'echo', 'printf', 'true', 'cd', 'ls', 'cat', 'test', '[']);
const AS_USER_FILE_TOOLS = new Set(['rm', 'mkdir', 'cp', 'mv', 'touch', 'ln']);

/**
 * Whether a RUN can run as the unprivileged user when `dir` (its working directory, made the user's)
 * is where it works: package scripts and builds that write only under `dir`. Not: system package
 * managers, global installs, corepack (writes /usr/local/bin), sudo, files outside `dir`, RUN flags
 * (cache mounts at /root, root-only secrets) or anything unknown.
 */
function runsAsUser(m: DockerfileModel, ins: DInstruction, dir: string): boolean {
  const s = runScript(m, ins);
  if (!s || s.flags.length) return false;
  let cwd = dir;
  for (const c of s.commands) {
    const w = c.words.map((x) => x.value);
    const ci = commandIndex(c.words);
    const tool = w[ci];
    if (!tool) continue;
    if (w.slice(0, ci).includes('sudo')) return false;
    const args = w.slice(ci + 1);
    const sub = args.find((a) => !a.startsWith('-'));
    if (AS_USER_TOOLS.has(tool)) {
      if (args.includes('-g') || args.includes('--global') || sub === 'global' || sub === 'config' || sub === 'setup' || sub === 'link') return false;
      if (tool === 'cd') {
        if (!sub || sub.includes('$')) return false;
        cwd = resolveContainerPath(cwd, sub);
        if (cwd !== dir && !cwd.startsWith(dir + '/')) return false;
      }
      continue;
    }
    if (AS_USER_FILE_TOOLS.has(tool)) {
      for (const a of args) {
        if (a.startsWith('-')) continue;
        if (a.includes('$') || a.includes('~')) return false;
        const abs = resolveContainerPath(cwd, a);
        if (abs !== dir && !abs.startsWith(dir + '/')) return false;
      }
      continue;
    }
    return false;
  }
  return true;
}

/** Package manager configuration written as root (to /root) that installs run as the user would not see. */
function setsPackageConfig(m: DockerfileModel, ins: DInstruction): boolean {
  return (runScript(m, ins)?.commands ?? []).some((c) => {
    const w = c.words.map((x) => x.value);
    const ci = commandIndex(c.words);
    return ['npm', 'yarn', 'pnpm'].includes(w[ci] ?? '') && w.slice(ci + 1).find((a) => !a.startsWith('-')) === 'config';
  });
}

/** Where a RUN builds a Next.js app (`next build`, or the package script that runs it): offsets after those commands. */
function nextBuilds(m: DockerfileModel, ins: DInstruction, buildScript: string | undefined): number[] {
  const out: number[] = [];
  for (const c of runScript(m, ins)?.commands ?? []) {
    const w = c.words.map((x) => x.value);
    const ci = commandIndex(c.words);
    const rest = w.slice(ci + 1).filter((a) => !a.startsWith('-'));
    const direct = (w[ci] === 'next' && rest[0] === 'build') || (w[ci] === 'npx' && rest[0] === 'next' && rest[1] === 'build');
    const script =
      buildScript !== undefined &&
      /\bnext build\b/.test(buildScript) &&
      ((['npm', 'pnpm', 'bun'].includes(w[ci] ?? '') && rest[0] === 'run' && rest[1] === 'build') || (['yarn', 'pnpm'].includes(w[ci] ?? '') && rest[0] === 'build'));
    if (direct || script) out.push(c.end);
  }
  return out;
}

/** Places where directories made in the image are meant for the application to write in. */
const WRITABLE = ['/tmp', '/var/tmp', '/var/log', '/var/cache', '/var/lib', '/var/run', '/run'];

/** Images whose entrypoint starts as root and drops privileges itself. */
const SELF_DROPPING: Record<string, string> = {
  nginx: 'the nginx image starts its master process as root and runs workers as `nginx`; to run entirely as non-root, build FROM nginxinc/nginx-unprivileged (listens on 8080) instead',
  httpd: 'the httpd image starts as root to bind port 80 and drops privileges for its workers; configure an unprivileged port and user by hand',
  postgres: 'the postgres image starts as root and switches to the `postgres` user in its entrypoint',
  mysql: 'the mysql image starts as root and switches to the `mysql` user in its entrypoint',
  mariadb: 'the mariadb image starts as root and switches to the `mysql` user in its entrypoint',
  redis: 'the redis image starts as root and switches to the `redis` user in its entrypoint',
  mongo: 'the mongo image starts as root and switches to the `mongodb` user in its entrypoint',
  rabbitmq: 'the rabbitmq image starts as root and switches to the `rabbitmq` user in its entrypoint',
};

/** Stages from the base of the FROM chain down to this one. */
function chain(m: DockerfileModel, stage: DStage): DStage[] {
  const out = [stage];
  const seen = new Set([stage.index]);
  for (let p = parentStage(m, stage); p && !seen.has(p.index); p = parentStage(m, p)) {
    seen.add(p.index);
    out.unshift(p);
  }
  return out;
}

const USERADD_VALUE_OPTS = new Set([
  '-g', '--gid', '-G', '--groups', '-u', '--uid', '-s', '--shell', '-d', '--home', '--home-dir', '-h', '-k', '--skel',
  '-c', '--comment', '--gecos', '-K', '--key', '--ingroup', '-e', '--expiredate', '-f', '--inactive', '-p', '--password',
]);

/** Users created by useradd/adduser in the stages of a chain: name and primary group. */
function createdUsers(m: DockerfileModel, stages: DStage[]): { name: string; group?: string }[] {
  const out: { name: string; group?: string }[] = [];
  for (const st of stages) {
    for (const ins of st.instructions) {
      for (const c of runScript(m, ins)?.commands ?? []) {
        const w = c.words.map((x) => x.value);
        const ci = commandIndex(c.words);
        if (w[ci] !== 'useradd' && w[ci] !== 'adduser') continue;
        let name: string | undefined;
        let group: string | undefined;
        for (let i = ci + 1; i < w.length; i++) {
          const v = w[i]!;
          if (v.startsWith('-')) {
            const [flag, inline] = v.includes('=') ? [v.slice(0, v.indexOf('=')), v.slice(v.indexOf('=') + 1)] : [v, undefined];
            if (USERADD_VALUE_OPTS.has(flag)) {
              const val = inline ?? w[++i];
              if (flag === '-g' || flag === '--gid' || flag === '--ingroup' || (w[ci] === 'adduser' && flag === '-G')) group = val;
            }
            continue;
          }
          name = v;
        }
        if (name && !name.includes('$') && !isRootUser(name)) out.push({ name, group });
      }
    }
  }
  return out;
}

function entrypointDropsPrivileges(m: DockerfileModel, stage: DStage, ctx: BuildContext): string | undefined {
  const ep = [...stage.instructions].reverse().find((i) => i.keyword === 'ENTRYPOINT');
  if (!ep) return undefined;
  const script = ep.json?.[0] ?? ep.args.split(/\s+/)[0] ?? '';
  if (!/\.sh$|entrypoint/.test(script)) return undefined;
  for (const ins of stage.instructions) {
    if (!isContextCopy(m, ins)) continue;
    for (const f of copiedFiles(m, ins, ctx).files) {
      if (basename(f) !== basename(script)) continue;
      const tool = /\b(gosu|su-exec|setpriv|runuser|chroot --userspec)\b/.exec(ctx.text(f) ?? '')?.[1];
      if (tool) return `the entrypoint script ${f} switches users itself (\`${tool}\`), so it must start as root`;
    }
  }
  return undefined;
}

/**
 * A Dockerfile's model and plan, once per state of what they read (detect and every fix ask). What
 * the plan takes from the compose files (most fix passes edit them) — the build context and the
 * services that build the Dockerfile, for the user's name — is looked up outside and is part of the
 * key, so a compose edit that changes neither does not redo it.
 */
function planOf(ws: Workspace, file: string, options: RuleOptions): { m: DockerfileModel; plan?: Plan } | undefined {
  const dir = buildContextOf(ws, file);
  const services = composeServicesOf(ws, file);
  const key = `dockerfile/non-root-user\0${file}\0${dir}\0${JSON.stringify(services)}\0${JSON.stringify(options)}`;
  return ws.memoSync(key, () => {
    const m = dockerfile(ws, file);
    return m ? { m, plan: plan(ws, file, m, options, new BuildContext(ws, dir, file), services) } : undefined;
  });
}

function plan(ws: Workspace, file: string, m: DockerfileModel, options: RuleOptions, ctx: BuildContext, services: string[]): Plan | undefined {
  const stage = finalStage(m);
  const su = stageUser(m, stage);
  if (!isRootUser(su.user)) return undefined;
  const p: Plan = { stage, how: su.from === 'stage' ? 'stage' : su.from === 'parent' ? 'parent' : 'none', chown: [], mkdirs: [], buildChowns: [] };
  if (su.ins) p.userIns = su.ins;
  if (su.from === 'parent') p.parent = m.stages.find((s) => s.instructions.includes(su.ins!));
  else if (su.from === 'none' && parentStage(m, stage)) p.parent = parentStage(m, stage);

  const stages = chain(m, stage);
  const base = rootStage(m, stage);
  const family = imageFamily(m, stage);
  const baseName = base.imageName.toLowerCase().replace(/^.*\//, '');

  // Where USER goes: before the CMD/ENTRYPOINT that follows the stage's last RUN and USER, else at its end.
  const body = stage.instructions.slice(1);
  const lastRun = [...body].reverse().find((i) => i.keyword === 'RUN' || i.keyword === 'USER');
  p.userBefore = body.find((i) => (i.keyword === 'CMD' || i.keyword === 'ENTRYPOINT') && (!lastRun || i.start > lastRun.start));

  if (family === 'scratch') {
    p.problem =
      'the final stage is FROM scratch: it has no /etc/passwd and no shell to create a user with; pick a numeric UID (e.g. `USER 65532:65532`), give it the files the program writes (`COPY --chown=65532:65532`), and add the USER by hand';
    return p;
  }
  if (SELF_DROPPING[baseName] && base.imageName.split('/').length <= 2 && !base.imageName.includes('unprivileged')) {
    p.problem = SELF_DROPPING[baseName];
    return p;
  }
  const drops = entrypointDropsPrivileges(m, stage, ctx);
  if (drops) {
    p.problem = drops;
    return p;
  }

  // Who to run as: the configured user, a non-root user the stages already switched to or created,
  // the user the base image ships, or a new user named after the project.
  const configured = typeof options.user === 'string' && options.user.trim() ? options.user.trim() : undefined;
  const earlier = stages
    .flatMap((s) => s.instructions)
    .filter((i) => i.keyword === 'USER' && !isRootUser(i.args))
    .pop();
  const created = createdUsers(m, stages);
  const uid = typeof options.uid === 'number' && options.uid > 0 ? options.uid : typeof options.uid === 'string' && /^\d+$/.test(options.uid) && Number(options.uid) > 0 ? Number(options.uid) : undefined;
  const createdMatch = created.find((c) => c.name === configured) ?? (configured ? undefined : created[created.length - 1]);
  if (!configured && earlier) {
    // The image already runs as this user before switching back: switch to it again; its files are set up.
    p.user = earlier.args;
    return p;
  }
  if (createdMatch) {
    p.user = createdMatch.name;
    p.group = createdMatch.group ?? createdMatch.name;
  } else if (family === 'distroless' && (!configured || configured === 'nonroot')) {
    p.user = p.group = 'nonroot';
  } else if (baseName === 'node' && (!configured || configured === 'node')) {
    p.user = p.group = 'node';
  } else if (family === 'debian' || family === 'alpine') {
    const name = configured ?? projectUserNameFor(ws, file, ctx.dir, services);
    if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(name)) {
      p.problem = `the configured user name "${name}" is not a valid Linux user name`;
      return p;
    }
    p.user = p.group = name;
    const ind = continuationIndent(m);
    const run = keywordStyle(m)('RUN');
    const idU = uid !== undefined ? ` --uid ${uid}` : '';
    const idG = uid !== undefined ? ` --gid ${uid}` : '';
    p.create =
      family === 'debian'
        ? [`${run} groupadd --system${idG} ${name} \\`, `${ind}&& useradd --system${idU} --gid ${name} --no-create-home ${name}`]
        : [`${run} addgroup -S${uid !== undefined ? ` -g ${uid}` : ''} ${name} \\`, `${ind}&& adduser -S -D -H${uid !== undefined ? ` -u ${uid}` : ''} -G ${name} ${name}`];
    if (m.escape !== '\\') p.create = [p.create.join('\n').replace(/ \\\n/g, ` ${m.escape}\n`)];
  } else if (family === 'distroless') {
    p.problem = `distroless images cannot create users (no shell); only the built-in \`nonroot\` user can be used, not "${configured}"`;
    return p;
  } else {
    p.problem = `cannot tell how to create a user in \`${base.image}\` (not a Debian, Ubuntu, Alpine, node or distroless image); create one with the image's tools and add \`USER\` before CMD`;
    return p;
  }

  // Files copied into the app directories (the WORKDIRs the stage works in) become the user's.
  const appDirs = new Set<string>();
  const parent = parentStage(m, stage);
  let wd = (parent && workdirAt(m, parent)) || '/';
  if (wd !== '/') appDirs.add(wd);
  for (const i of body) {
    if (i.keyword !== 'WORKDIR') continue;
    wd = resolveContainerPath(wd, i.args);
    if (wd !== '/') appDirs.add(wd);
  }
  for (const ins of body) {
    const c = copyArgs(m, ins);
    if (!c || c.flags.some((f) => f.name === 'chown')) continue;
    const fromStage = c.flags.some((f) => f.name === 'from');
    if (appDirs.size === 0) {
      if (!fromStage && isContextCopy(m, ins)) p.chown.push(ins);
      continue;
    }
    const dest = resolveContainerPath(workdirAt(m, stage, ins) ?? '/', c.dest);
    if ([...appDirs].some((d) => dest === d || dest.startsWith(d + '/'))) p.chown.push(ins);
  }

  // Directories made in the app directories (uploads, data, caches) become the user's in the same RUN.
  let firstMkdir: DInstruction | undefined;
  for (const ins of body) {
    if (ins.keyword !== 'RUN' || (p.userBefore && ins.start > p.userBefore.start)) continue;
    const wdHere = workdirAt(m, stage, ins) ?? '/';
    for (const c of runScript(m, ins)?.commands ?? []) {
      const w = c.words;
      const ci = commandIndex(w);
      if (w[ci]?.value !== 'mkdir') continue;
      // Directories made in the app directories, /data, or under /tmp, /var/log, /var/cache, /var/lib
      // are for the app to write in. mkdir -p makes the parents too: those in such places go with the leaf.
      const roots = [...appDirs, '/data'];
      const within = (abs: string) =>
        roots.some((d) => abs === d || abs.startsWith(d + '/')) || WRITABLE.some((r) => abs.startsWith(r + '/'));
      const paths: string[] = [];
      for (const x of w.slice(ci + 1)) {
        if (x.value.startsWith('-') || x.value.includes('$') || /\s/.test(x.value)) continue;
        const segs = x.value.replace(/\/+$/, '').split('/');
        for (let k = 1; k <= segs.length; k++) {
          const written = segs.slice(0, k).join('/');
          if (!written || written === '.') continue;
          const abs = resolveContainerPath(wdHere, written);
          const isLeaf = k === segs.length;
          if (within(abs) && (isLeaf || !roots.includes(abs)) && !paths.includes(written)) paths.push(written);
        }
      }
      if (paths.length === 0) continue;
      firstMkdir ??= ins;
      p.mkdirs.push({ at: c.end, paths });
    }
  }
  const firstChown = p.chown[0];
  p.createBefore = [firstChown, firstMkdir].filter((x): x is DInstruction => x !== undefined).sort((a, b) => a.start - b.start)[0];
  // Node images: the user exists, so the working directory gets a RUN of its own that makes it the
  // user's; then the installs and the build that follow the COPYs run as the user, so that what they
  // write (node_modules, .next, whose cache Next.js writes at run time) is the user's too.
  if (!p.create && baseName === 'node' && p.user === 'node') nodeAppDir(m, p, appDirs, ctx);
  // The working directory the user is created in is made theirs too (the files in it are, by COPY --chown).
  if (p.create) {
    const wdAt = p.createBefore ? workdirAt(m, stage, p.createBefore) : workdirAt(m, stage);
    if (wdAt && wdAt !== '/' && appDirs.has(wdAt)) {
      const last = p.create.length - 1;
      p.create[last] = `${p.create[last]} ${m.escape}`;
      p.create.push(`${continuationIndent(m)}&& chown ${p.user}:${p.group} ${wdAt}`);
    }
  }
  return p;
}

function nodeAppDir(m: DockerfileModel, p: Plan, appDirs: Set<string>, ctx: BuildContext): void {
  const body = p.stage.instructions.slice(1);
  const dir = p.createBefore ? workdirAt(m, p.stage, p.createBefore) : workdirAt(m, p.stage);
  if (!dir || dir === '/' || !appDirs.has(dir)) return;
  if (dir !== '/home/node') p.chownDir = dir;
  // The first RUN after the app's files are copied in, from which on every RUN can run as the user in that directory.
  const anchor = p.createBefore;
  if (!anchor || !p.chown.length) return;
  const end = p.userBefore?.start ?? Infinity;
  const runs = body.filter((i) => i.keyword === 'RUN' && i.start < end);
  if (runs.some((i) => setsPackageConfig(m, i))) return;
  const after = runs.filter((i) => i.start > anchor.start);
  let from = -1;
  for (let k = after.length - 1; k >= 0; k--) {
    const i = after[k]!;
    if (workdirAt(m, p.stage, i) !== dir || !runsAsUser(m, i, dir)) break;
    from = k;
  }
  const early = from >= 0 ? after[from] : undefined;
  // Build RUNs left to root: a Next.js build's output is made the user's in the same RUN.
  let buildScript: string | undefined;
  try {
    const pkg = JSON.parse(ctx.text('package.json') ?? '{}') as { scripts?: Record<string, unknown> };
    if (typeof pkg.scripts?.build === 'string') buildScript = pkg.scripts.build;
  } catch {
    /* not JSON */
  }
  for (const i of after) {
    if (early && i.start >= early.start) break;
    if (workdirAt(m, p.stage, i) !== dir) continue;
    for (const at of nextBuilds(m, i, buildScript)) p.buildChowns.push({ at, paths: ['.next'] });
  }
  if (early) {
    p.userBefore = early;
    // Directories made from there on are made by the user: no chown needed.
    p.mkdirs = p.mkdirs.filter((d) => d.at < early.start);
  }
}

function edits(m: DockerfileModel, file: string, p: Plan): ModifyEdit[] {
  const kw = keywordStyle(m);
  const out: ModifyEdit[] = [];
  const userLine = `${kw('USER')} ${p.user}`;
  if (p.create) {
    if (p.createBefore) out.push(insertParagraphBefore(m, p.createBefore, p.create, file));
    else if (p.userBefore) out.push(insertBefore(m, p.userBefore, [...p.create, userLine], file));
    else out.push(insertAfter(m, p.stage.instructions[p.stage.instructions.length - 1]!, [...p.create, userLine], file));
  }
  // Before the USER line when both go to the same place: root makes the directory the user's.
  if (p.chownDir) {
    const line = [`${kw('RUN')} chown ${p.user}:${p.group} ${p.chownDir}`];
    if (p.createBefore) out.push(insertParagraphBefore(m, p.createBefore, line, file));
    else if (p.userBefore) out.push(insertBefore(m, p.userBefore, line, file));
    else out.push(insertAfter(m, p.stage.instructions[p.stage.instructions.length - 1]!, line, file));
  }
  for (const ins of p.chown) {
    const c = copyArgs(m, ins)!;
    out.push({ file, start: c.argsStart, end: c.argsStart, text: `--chown=${p.user}:${p.group} ` });
  }
  for (const d of p.mkdirs) out.push({ file, start: d.at, end: d.at, text: ` && chown ${p.user}:${p.group} ${d.paths.join(' ')}` });
  for (const d of p.buildChowns) out.push({ file, start: d.at, end: d.at, text: ` && chown -R ${p.user}:${p.group} ${d.paths.join(' ')}` });
  if (!p.create || p.createBefore) {
    if (p.userBefore) out.push(insertBefore(m, p.userBefore, [userLine], file));
    else out.push(insertAfter(m, p.stage.instructions[p.stage.instructions.length - 1]!, [userLine], file));
  }
  return mergeEdits(m.text, out, file);
}

export default defineRule({
  id: 'dockerfile/non-root-user',
  title: 'Container runs as root',
  fixTitle: 'Run the container as a non-root user',
  severity: 'high',
  safety: 'review',
  kinds: ['dockerfile'],
  defaults: { user: '', uid: 10001 },
  docs: {
    why:
      'Without a USER instruction the application runs as root inside the container. Anyone who finds a hole in ' +
      'the application (a deserialisation bug, a path traversal, a vulnerable dependency) then owns the container: ' +
      'they can rewrite the code, read every secret mounted into it, install tools, and they are one kernel or ' +
      'runtime bug away from root on the host. Many platforms (Kubernetes `runAsNonRoot`, OpenShift) refuse such images.',
    fix:
      'Creates a system group and user for the application in the final stage: `groupadd --system` and ' +
      '`useradd --system --no-create-home` on Debian and Ubuntu images, `addgroup -S` and `adduser -S` on Alpine; ' +
      'images that ship an unprivileged user use it (`node` in node images, `nonroot` in distroless images). The ' +
      'files copied into the app directories (the WORKDIRs of the final stage) are given to that user with ' +
      '`COPY --chown` (no extra layer that copies or chowns the whole tree), as are the working directory (chowned ' +
      'in the RUN that creates the user) and directories made there with `mkdir` (chowned in the same RUN), and ' +
      '`USER` is set before CMD/ENTRYPOINT. In node images the working directory is chowned by a RUN of its own and ' +
      '`USER node` goes before the installs and builds that follow the COPYs (npm ci, npm run build), so that ' +
      'node_modules and .next are the user\'s; when a RUN after them needs root (apt-get, apk, global installs), ' +
      'USER stays late and a Next.js build makes .next the user\'s in its own RUN. The user is named after the project (package.json, pyproject.toml or ' +
      'fly.toml name, the compose service or the directory), else `app`; options `user` and `uid` (default 10001, ' +
      '0 for none) override it.',
    safetyNote:
      'Review what the application writes: it can write in its working directory, the files copied there and the ' +
      'directories made there, but not to paths elsewhere that root owns (/var/log, /tmp subdirectories made by ' +
      'root, files copied from other stages to other places), and what RUN steps that run as root after the copies ' +
      'write (build output such as `collectstatic`) stays owned by root: readable, not writable. In node images the ' +
      'installs and builds now run as `node`: check that they need nothing only root may do. Mount a ' +
      'volume or create those paths with the right owner. ' +
      'Ports below 1024 need Docker 20.10+ (which allows them by default) or ' +
      'a higher port. Kubernetes `runAsNonRoot` can only verify a numeric USER: use the uid (`USER 10001`) there.',
    references: [
      'https://docs.docker.com/build/building/best-practices/#user',
      'https://github.com/hadolint/hadolint/wiki/DL3002',
      'https://cheatsheetseries.owasp.org/cheatsheets/Docker_Security_Cheat_Sheet.html#rule-2-set-a-user',
    ],
    example: {
      before: 'FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nCMD ["python", "main.py"]\n',
      after:
        'FROM python:3.12-slim\nWORKDIR /app\nRUN groupadd --system --gid 10001 app \\\n    && useradd --system --uid 10001 --gid app --no-create-home app \\\n    && chown app:app /app\nCOPY --chown=app:app . .\nUSER app\nCMD ["python", "main.py"]\n',
    },
  },
  detect({ ws, options }) {
    const out: FindingInput[] = [];
    for (const file of ws.files('dockerfile')) {
      const p = planOf(ws, file, options)?.plan;
      if (!p) continue;
      const at = p.how === 'stage' ? p.userIns! : p.stage.from;
      const parentName = p.parent?.name ? `stage \`${p.parent.name}\`` : 'its parent stage';
      const message =
        p.how === 'stage'
          ? `final stage runs as root: \`USER ${p.userIns!.args}\` on line ${p.userIns!.line} is its last USER`
          : p.how === 'parent'
            ? `final stage runs as root: it inherits \`USER ${p.userIns!.args}\` from ${parentName} (line ${p.userIns!.line})`
            : p.parent
              ? `final stage runs as root: no USER instruction in it or in ${parentName}`
              : 'final stage runs as root: no USER instruction';
      out.push({
        file,
        start: at.start,
        end: at.end,
        message,
        anchor: 'final-stage-user',
        severity: p.how === 'none' ? 'critical' : undefined,
        fixable: !p.problem,
        notFixableReason: p.problem,
      });
    }
    return out;
  },
  fix(finding, { ws, options }): FileEdit[] | null {
    const planned = planOf(ws, finding.file, options);
    const p = planned?.plan;
    if (!planned || !p || p.problem || !p.user) return null;
    return edits(planned.m, finding.file, p);
  },
});
