// What shipshape knows about the project around a Dockerfile: its build context (the Dockerfile's
// directory, or the `build.context` of a compose service that builds it), which files the build can
// see (.dockerignore honoured), the project's name, stage state (WORKDIR, USER), base image users,
// build toolchain packages and their runtime libraries, and the dependency installs of RUN lines.
import ignore, { type Ignore } from 'ignore';
import { parse as parseToml } from 'smol-toml';
import type { Workspace } from '../workspace.js';
import { basename, dirname, joinPath } from '../classify.js';
import { yaml } from '../parsers/yaml.js';
import { imageFamily, parentStage, type DInstruction, type DockerfileModel, type DStage, type ImageFamily } from '../parsers/dockerfile.js';
import { commandIndex, copyArgs, runScript, type RunScript, type ShCommand, type ShToken } from '../edit/dockerfile.js';

// ---------------------------------------------------------------------------------------------
// Build context

export interface ComposeBuild {
  file: string;
  service: string;
  context: string;
}

/** Compose services that build this Dockerfile (their `build` resolves to it). */
export function composeBuildsOf(ws: Workspace, dockerfile: string): ComposeBuild[] {
  return [...(composeBuildIndex(ws).get(dockerfile) ?? [])];
}

/**
 * Every compose build by the Dockerfile it uses, computed once per state of the compose files
 * (rules ask for each Dockerfile's builds many times; scanning every compose file each time was
 * quadratic in monorepos, and so was checking each time that none of them changed).
 */
function composeBuildIndex(ws: Workspace): Map<string, ComposeBuild[]> {
  return ws.memoSync('docker/compose-builds', () => buildIndex(ws));
}

function buildIndex(ws: Workspace): Map<string, ComposeBuild[]> {
  const files = ws.files('compose');
  const index = new Map<string, ComposeBuild[]>();
  const add = (path: string, b: ComposeBuild) => {
    const list = index.get(path);
    if (list) list.push(b);
    else index.set(path, [b]);
  };
  for (const f of files) {
    const value = yaml(ws, f)?.value as { services?: Record<string, unknown> } | undefined;
    const services = value && typeof value === 'object' ? value.services : undefined;
    if (!services || typeof services !== 'object') continue;
    for (const [name, svc] of Object.entries(services)) {
      const build = (svc as { build?: unknown } | null)?.build;
      let ctx: string | undefined;
      let df = 'Dockerfile';
      if (typeof build === 'string') ctx = build;
      else if (build && typeof build === 'object') {
        const b = build as { context?: unknown; dockerfile?: unknown };
        ctx = typeof b.context === 'string' ? b.context : '.';
        if (typeof b.dockerfile === 'string') df = b.dockerfile;
      }
      if (ctx === undefined || /^[a-z]+:\/\//i.test(ctx) || ctx.startsWith('git@')) continue;
      const context = joinPath(dirname(f), ctx);
      const path = df.startsWith('/') ? joinPath(df) : joinPath(context, df);
      add(path, { file: f, service: name, context });
    }
  }
  return index;
}

/** The build context of a Dockerfile ('' = the workspace root): a compose build context that uses it, else its directory. */
export function buildContextOf(ws: Workspace, dockerfile: string): string {
  return composeBuildsOf(ws, dockerfile)[0]?.context ?? dirname(dockerfile);
}

/**
 * A value derived from a Dockerfile and its build context (a rule's plan for it), kept while
 * nothing it read changed. The context directory comes from the compose files (buildContextOf),
 * which most fix passes change: it is looked up outside the memo and is part of its key, so an edit
 * of a compose file redoes the computation only when it changes which context the Dockerfile builds
 * in. compute must read the context through the BuildContext it is given (not BuildContext.of).
 */
export function perDockerfile<T>(ws: Workspace, key: string, dockerfile: string, compute: (ctx: BuildContext) => T): T {
  const dir = buildContextOf(ws, dockerfile);
  return ws.memoSync(`${key}\0${dockerfile}\0${dir}`, () => compute(new BuildContext(ws, dir, dockerfile)));
}

/**
 * The matcher of a .dockerignore text, shared by every context (and rule) with the same text: what
 * it ignores depends on the text alone (paths are relative to the context), and the matcher caches
 * its answers. Monorepo services often have identical .dockerignore files.
 */
const matchers = new Map<string, Ignore>();

function dockerignoreMatcher(text: string): Ignore {
  let ig = matchers.get(text);
  if (!ig) {
    if (matchers.size >= 256) matchers.delete(matchers.keys().next().value!);
    matchers.set(text, (ig = ignore().add(text)));
  }
  return ig;
}

/** The files a build can see: exists in the context and not excluded by .dockerignore. */
export class BuildContext {
  private ig: Ignore | undefined;
  constructor(
    readonly ws: Workspace,
    readonly dir: string,
    readonly dockerfile: string,
  ) {
    // BuildKit reads <Dockerfile>.dockerignore next to the Dockerfile first, then the context's.
    const own = ws.text(`${dockerfile}.dockerignore`);
    const text = own ?? ws.text(joinPath(dir, '.dockerignore'));
    if (text !== undefined) this.ig = dockerignoreMatcher(text);
  }

  static of(ws: Workspace, dockerfile: string): BuildContext {
    return new BuildContext(ws, buildContextOf(ws, dockerfile), dockerfile);
  }

  /** Workspace path of a path relative to the context. */
  path(rel: string): string {
    return joinPath(this.dir, rel);
  }

  ignored(rel: string): boolean {
    const r = joinPath(rel);
    return r !== '' && this.ig !== undefined && this.ig.ignores(r);
  }

  /** The file exists in the context and is sent to the build. */
  has(rel: string): boolean {
    return !this.ignored(rel) && this.ws.exists(this.path(rel));
  }

  text(rel: string): string | undefined {
    return this.has(rel) ? this.ws.text(this.path(rel)) : undefined;
  }

  /** Files (relative to the context) under a directory of the context. */
  filesUnder(relDir: string): string[] {
    const base = this.path(relDir);
    const prefix = base ? base + '/' : '';
    return (prefix ? this.ws.filesUnder(base) : this.ws.files())
      .map((f) => (this.dir ? f.slice(this.dir.length + 1) : f))
      .filter((f) => !this.ignored(f));
  }
}

// ---------------------------------------------------------------------------------------------
// Project name and user name

/** Names too generic to name a user after. */
const GENERIC = new Set([
  'app', 'apps', 'api', 'web', 'www', 'backend', 'frontend', 'server', 'service', 'services', 'src', 'docker',
  'worker', 'main', 'site', 'client', 'default', 'project', 'code', 'build', 'deploy', 'before', 'after',
]);

/** Users that exist in common base images or mean something else. */
const RESERVED = new Set([
  'root', 'daemon', 'bin', 'sys', 'sync', 'games', 'man', 'lp', 'mail', 'news', 'uucp', 'proxy', 'www-data',
  'backup', 'list', 'irc', 'gnats', 'nobody', 'nogroup', '_apt', 'messagebus', 'node', 'postgres', 'mysql', 'redis',
  'nginx', 'python', 'nonroot', 'admin', 'operator', 'ftp', 'sshd', 'guest', 'user', 'adm', 'shutdown', 'halt',
  'users', 'staff', 'wheel', 'docker', 'sudo', 'tty', 'disk', 'kmem', 'dialout', 'cdrom', 'audio', 'video',
]);

/** A valid, lowercase Linux user name from a project name, or undefined. */
export function userNameFrom(name: string | undefined): string | undefined {
  if (!name) return undefined;
  let n = name.toLowerCase().replace(/^@[^/]+\//, '');
  n = n.replace(/[^a-z0-9_-]+/g, '-').replace(/^[^a-z_]+/, '').replace(/-{2,}/g, '-').replace(/[-_]+$/, '');
  if (n.length > 32) n = n.slice(0, 32).replace(/[-_]+$/, '');
  if (!n || GENERIC.has(n) || RESERVED.has(n)) return undefined;
  return n;
}

function tomlAt(ws: Workspace, file: string): Record<string, unknown> | undefined {
  const t = ws.text(file);
  if (t === undefined) return undefined;
  try {
    return parseToml(t) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function nameInDir(ws: Workspace, dir: string): string | undefined {
  const pkg = ws.text(joinPath(dir, 'package.json'));
  if (pkg !== undefined) {
    try {
      const n = userNameFrom((JSON.parse(pkg) as { name?: string }).name);
      if (n) return n;
    } catch {
      /* not JSON */
    }
  }
  const py = tomlAt(ws, joinPath(dir, 'pyproject.toml'));
  if (py) {
    const project = py.project as { name?: string } | undefined;
    const poetry = (py.tool as { poetry?: { name?: string } } | undefined)?.poetry;
    const n = userNameFrom(project?.name) ?? userNameFrom(poetry?.name);
    if (n) return n;
  }
  const fly = tomlAt(ws, joinPath(dir, 'fly.toml'));
  if (fly && typeof fly.app === 'string') {
    const n = userNameFrom(fly.app);
    if (n) return n;
  }
  return undefined;
}

/**
 * A user name for the project a Dockerfile builds: the package name (package.json, pyproject.toml)
 * or Fly app name nearest the build context, else the compose service that builds it (when only one
 * does), else the context directory's name, when one of them is specific enough; else `app`.
 */
export function projectUserName(ws: Workspace, dockerfile: string): string {
  return projectUserNameFor(ws, dockerfile, buildContextOf(ws, dockerfile), composeServicesOf(ws, dockerfile));
}

/** The compose services that build a Dockerfile, by name, once each. */
export function composeServicesOf(ws: Workspace, dockerfile: string): string[] {
  return [...new Set(composeBuildsOf(ws, dockerfile).map((b) => b.service))];
}

/** projectUserName with what it takes from the compose files given: the build context and the services that build the Dockerfile. */
export function projectUserNameFor(ws: Workspace, dockerfile: string, ctx: string, services: string[]): string {
  const dirs: string[] = [];
  for (let d = ctx; ; d = dirname(d)) {
    dirs.push(d);
    if (d === '') break;
  }
  if (!dirs.includes(dirname(dockerfile))) dirs.unshift(dirname(dockerfile));
  for (const d of dirs) {
    const n = nameInDir(ws, d);
    if (n) return n;
  }
  // A service name says what the image is only when one service builds it (app, worker and beat
  // services often share an image).
  if (services.length === 1) {
    const n = userNameFrom(services[0]);
    if (n) return n;
  }
  for (const d of dirs) {
    const n = d ? userNameFrom(basename(d)) : undefined;
    if (n) return n;
  }
  return 'app';
}

// ---------------------------------------------------------------------------------------------
// Stage state

/** Join a WORKDIR/COPY path onto a directory (container paths, POSIX). */
export function resolveContainerPath(dir: string, p: string): string {
  const joined = p.startsWith('/') ? p : `${dir.replace(/\/+$/, '')}/${p}`;
  const out: string[] = [];
  for (const seg of joined.split('/')) {
    if (!seg || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return '/' + out.join('/');
}

/** The working directory in effect before an instruction of a stage (or at its end), following FROM <stage>. */
export function workdirAt(m: DockerfileModel, stage: DStage, before?: DInstruction): string | undefined {
  const parent = parentStage(m, stage);
  let wd = parent ? workdirAt(m, parent) : undefined;
  for (const ins of stage.instructions) {
    if (before && ins === before) break;
    if (ins.keyword === 'WORKDIR' && ins.args) wd = resolveContainerPath(wd ?? '/', ins.args);
  }
  return wd;
}

export interface StageUser {
  /** The user as written (`app`, `1000:1000`, `root`), or undefined when nothing sets one (root). */
  user?: string;
  ins?: DInstruction;
  /** Where it comes from: this stage, a stage it builds FROM, or the base image. */
  from: 'stage' | 'parent' | 'image' | 'none';
}

/** Base images known to run as a non-root user by default. */
export function imageDefaultUser(stage: DStage, family: ImageFamily): string | undefined {
  const name = stage.imageName.toLowerCase();
  const tag = stage.tag.toLowerCase();
  if (family === 'distroless' && /(^|-)nonroot($|-)/.test(tag)) return 'nonroot';
  if (name.startsWith('chainguard/') || /(^|\/)cgr\.dev\//.test(stage.image)) return 'nonroot';
  return undefined;
}

/** The user the stage ends with (its last USER, else its parent stage's, else the image default). */
export function stageUser(m: DockerfileModel, stage: DStage, seen = new Set<number>()): StageUser {
  const users = stage.instructions.filter((i) => i.keyword === 'USER');
  const last = users[users.length - 1];
  if (last) return { user: last.args, ins: last, from: 'stage' };
  const parent = parentStage(m, stage);
  if (parent && !seen.has(parent.index)) {
    seen.add(stage.index);
    const u = stageUser(m, parent, seen);
    return u.user !== undefined ? { ...u, from: 'parent' } : { from: 'none' };
  }
  const d = imageDefaultUser(stage, imageFamily(m, stage));
  return d ? { user: d, from: 'image' } : { from: 'none' };
}

/** Whether a USER value names root (root, 0, root:…, 0:…). Variables are given the benefit of the doubt. */
export function isRootUser(user: string | undefined): boolean {
  if (user === undefined) return true;
  const u = user.split(':')[0]!.trim();
  return u === 'root' || u === '0';
}

// ---------------------------------------------------------------------------------------------
// System packages

export interface PackageWord {
  /** Package name without version or architecture (`gcc` for `gcc=4:12.2.0-3`). */
  name: string;
  token: ShToken;
}

export interface PackageCommand {
  manager: 'apt' | 'apk';
  action: 'install' | 'remove' | 'update' | 'clean' | 'other';
  packages: PackageWord[];
  /** `apk add --virtual .build-deps …`: the virtual package name. */
  virtual?: string;
  command: ShCommand;
}

const APT_VALUE_OPTS = new Set(['-o', '--option', '-t', '--target-release', '--default-release', '-c', '--config-file']);
const APK_VALUE_OPTS = new Set(['-t', '--virtual', '-X', '--repository', '-p', '--root', '--arch', '--cache-dir', '--keys-dir', '--repositories-file']);

/** An apt-get/apt or apk command of a RUN, with its package names. */
export function packageCommand(cmd: ShCommand): PackageCommand | undefined {
  const w = cmd.words;
  const ci = commandIndex(w);
  const tool = w[ci]?.value;
  if (tool === 'apt-get' || tool === 'apt' || tool === 'aptitude') {
    let action: PackageCommand['action'] = 'other';
    const packages: PackageWord[] = [];
    let sub: string | undefined;
    for (let i = ci + 1; i < w.length; i++) {
      const v = w[i]!.value;
      if (v.startsWith('-')) {
        if (APT_VALUE_OPTS.has(v)) i++;
        continue;
      }
      if (!sub) {
        sub = v;
        action = v === 'install' ? 'install' : ['remove', 'purge', 'autoremove'].includes(v) ? 'remove' : v === 'update' ? 'update' : ['clean', 'autoclean'].includes(v) ? 'clean' : 'other';
        continue;
      }
      packages.push({ name: v.replace(/[=:].*$/, ''), token: w[i]! });
    }
    return { manager: 'apt', action, packages, command: cmd };
  }
  if (tool === 'apk') {
    let action: PackageCommand['action'] = 'other';
    const packages: PackageWord[] = [];
    let sub: string | undefined;
    let virtual: string | undefined;
    for (let i = ci + 1; i < w.length; i++) {
      const v = w[i]!.value;
      if (v.startsWith('-')) {
        if (v === '-t' || v === '--virtual') virtual = w[i + 1]?.value;
        else if (v.startsWith('--virtual=')) virtual = v.slice(10);
        if (APK_VALUE_OPTS.has(v)) i++;
        continue;
      }
      if (!sub) {
        sub = v;
        action = v === 'add' ? 'install' : v === 'del' ? 'remove' : v === 'update' || v === 'upgrade' ? 'update' : v === 'cache' ? 'clean' : 'other';
        continue;
      }
      packages.push({ name: v.replace(/[=<>~].*$/, ''), token: w[i]! });
    }
    return { manager: 'apk', action, packages, virtual, command: cmd };
  }
  return undefined;
}

/** Compilers and build tools, never needed to run an application. */
const TOOLCHAIN = new Set([
  'build-essential', 'gcc', 'g++', 'cpp', 'make', 'cmake', 'clang', 'llvm', 'autoconf', 'automake', 'libtool',
  'pkg-config', 'pkgconf', 'bison', 'flex', 'ninja-build', 'meson', 'gfortran', 'rustc', 'cargo', 'swig',
  // Alpine
  'build-base', 'alpine-sdk', 'musl-dev', 'linux-headers', 'samurai', 'ninja', 'rust',
]);
/** Packages that only carry headers for building Python extensions. */
const PYTHON_HEADERS = new Set(['python3-dev', 'python-dev', 'libpython3-dev', 'python3-devel']);

export type Ecosystem = 'python' | 'node';

/** Whether a system package is only needed to build dependencies (compilers, headers). */
export function isBuildPackage(name: string, ecosystem: Ecosystem | undefined): boolean {
  if (TOOLCHAIN.has(name) || PYTHON_HEADERS.has(name)) return true;
  if (/^gcc-\d+$|^g\+\+-\d+$|^clang-\d+$/.test(name)) return true;
  if (/-dev$|-devel$|-headers$/.test(name)) return true;
  // node-gyp needs Python to build native modules; a Node image does not run it.
  if (ecosystem === 'node' && /^python3?$/.test(name)) return true;
  return false;
}

const DEBIAN_RUNTIME: Record<string, string> = {
  'libpq-dev': 'libpq5',
  'default-libmysqlclient-dev': 'libmariadb3',
  'libmariadb-dev': 'libmariadb3',
  'libmariadb-dev-compat': 'libmariadb3',
  'libjpeg-dev': 'libjpeg62-turbo',
  'libjpeg62-turbo-dev': 'libjpeg62-turbo',
  'libxml2-dev': 'libxml2',
  'libxslt1-dev': 'libxslt1.1',
  'libxslt-dev': 'libxslt1.1',
  'libffi-dev': 'libffi8',
  'libssl-dev': 'libssl3',
  'zlib1g-dev': 'zlib1g',
  'libsqlite3-dev': 'libsqlite3-0',
  'libyaml-dev': 'libyaml-0-2',
  'libsasl2-dev': 'libsasl2-2',
  'libgomp1-dev': 'libgomp1',
  'libopenblas-dev': 'libopenblas0',
  'libfreetype6-dev': 'libfreetype6',
  'liblcms2-dev': 'liblcms2-2',
};
/** Debian releases where a runtime library has another name. */
const DEBIAN_RELEASE_RUNTIME: Record<string, Record<string, string>> = {
  bullseye: { 'libffi-dev': 'libffi7', 'libssl-dev': 'libssl1.1' },
  buster: { 'libffi-dev': 'libffi6', 'libssl-dev': 'libssl1.1' },
  trixie: { 'libssl-dev': 'libssl3t64' },
};
const ALPINE_RUNTIME: Record<string, string> = {
  'postgresql-dev': 'libpq',
  'libpq-dev': 'libpq',
  'mariadb-dev': 'mariadb-connector-c',
  'mariadb-connector-c-dev': 'mariadb-connector-c',
  'libffi-dev': 'libffi',
  'openssl-dev': 'libssl3',
  'jpeg-dev': 'libjpeg-turbo',
  'libjpeg-turbo-dev': 'libjpeg-turbo',
  'zlib-dev': 'zlib',
  'libxml2-dev': 'libxml2',
  'libxslt-dev': 'libxslt',
  'libpng-dev': 'libpng',
  'sqlite-dev': 'sqlite-libs',
  'yaml-dev': 'yaml',
  'freetype-dev': 'freetype',
  'lcms2-dev': 'lcms2',
  'openblas-dev': 'openblas',
  'libwebp-dev': 'libwebp',
  'tiff-dev': 'tiff',
};

/**
 * What a build package leaves in the runtime image: the runtime library of a -dev package when the
 * mapping is well known (null: nothing, it is a compiler or headers the interpreter already has),
 * or undefined when unknown (the -dev package is then kept, so its library stays).
 */
export function runtimeOf(name: string, family: ImageFamily, tag: string): string | null | undefined {
  if (TOOLCHAIN.has(name) || PYTHON_HEADERS.has(name) || /^(gcc|g\+\+|clang)-\d+$/.test(name) || /^python3?$/.test(name)) return null;
  if (name === 'linux-headers' || name === 'musl-dev') return null;
  if (family === 'alpine') return ALPINE_RUNTIME[name];
  const release = /(bookworm|bullseye|buster|trixie)/.exec(tag)?.[1];
  return (release && DEBIAN_RELEASE_RUNTIME[release]?.[name]) ?? DEBIAN_RUNTIME[name];
}

// ---------------------------------------------------------------------------------------------
// Dependency installs

export type InstallTool = 'pip' | 'poetry' | 'uv' | 'pipenv' | 'npm' | 'yarn' | 'pnpm' | 'bun';

export interface DepInstall {
  tool: InstallTool;
  ecosystem: Ecosystem;
  /** Manifest files the install reads, relative to the working directory (as written for -r). */
  manifests: string[];
  /** Manifests read only when present (lock files, .npmrc). */
  optional: string[];
  /** Why the install needs the project's sources (pip install ., poetry install without --no-root…). */
  needsSources?: string;
  /** Installs named packages only (pip install --upgrade pip, npm install -g pm2): reads no manifest. */
  packagesOnly: boolean;
  /** Development dependencies left out (npm ci --omit=dev, --production). */
  omitsDev: boolean;
  /** Lifecycle scripts disabled (--ignore-scripts). */
  ignoreScripts: boolean;
  /** pip flags that send packages elsewhere than the interpreter's environment (--user, --target, --prefix, --root, --system). */
  elsewhere?: string;
  command: ShCommand;
}

const PIP_VALUE_OPTS = new Set([
  '-i', '--index-url', '--extra-index-url', '-f', '--find-links', '--trusted-host', '-t', '--target', '--prefix',
  '--root', '--platform', '--python-version', '--implementation', '--abi', '--no-binary', '--only-binary',
  '--progress-bar', '--cache-dir', '--src', '--upgrade-strategy', '--log', '--timeout', '--retries', '--proxy',
  '--cert', '--client-cert', '--global-option', '--config-settings', '-C', '--report', '--python', '--exists-action',
  '--use-feature', '--use-deprecated', '--keyring-provider', '--root-user-action',
]);

function pipInstall(words: string[], cmd: ShCommand, tool: InstallTool): DepInstall {
  const manifests: string[] = [];
  const positional: string[] = [];
  let needsSources: string | undefined;
  let elsewhere: string | undefined;
  for (let i = 0; i < words.length; i++) {
    const v = words[i]!;
    const [flag, inline] = v.startsWith('--') && v.includes('=') ? [v.slice(0, v.indexOf('=')), v.slice(v.indexOf('=') + 1)] : [v, undefined];
    if (flag === '-r' || flag === '--requirement' || flag === '-c' || flag === '--constraint') {
      const f = inline ?? words[++i];
      if (f) manifests.push(f);
    } else if (/^-[rc]./.test(v)) manifests.push(v.slice(2));
    else if (flag === '-e' || flag === '--editable') {
      needsSources = `\`${tool === 'uv' ? 'uv pip' : 'pip'} install ${v} ${inline ?? words[i + 1] ?? ''}\` installs the project from its sources`.replace(/ {2,}/g, ' ');
      if (inline === undefined) i++;
    } else if (['--user', '--target', '-t', '--prefix', '--root', '--system'].includes(flag)) {
      elsewhere = flag;
      if (PIP_VALUE_OPTS.has(flag) && inline === undefined) i++;
    } else if (flag.startsWith('-')) {
      if (PIP_VALUE_OPTS.has(flag) && inline === undefined) i++;
    } else positional.push(v);
  }
  for (const p of positional) {
    if (p === '.' || p.startsWith('./') || p.startsWith('../') || p.startsWith('/') || /^file:/.test(p) || /\.(whl|tar\.gz|zip)$/.test(p) || /^\.\[/.test(p)) {
      needsSources ??= `\`pip install ${p}\` installs from files of the build, not from a manifest`;
    }
  }
  return {
    tool,
    ecosystem: 'python',
    manifests,
    optional: [],
    needsSources,
    packagesOnly: manifests.length === 0 && !needsSources,
    omitsDev: false,
    ignoreScripts: false,
    elsewhere,
    command: cmd,
  };
}

/** The dependency install a shell command performs, if it is one. */
export function depInstall(cmd: ShCommand): DepInstall | undefined {
  const all = cmd.words.map((w) => w.value);
  const ci = commandIndex(cmd.words);
  const tool = all[ci];
  const args = all.slice(ci + 1);
  if (!tool) return undefined;
  const base = (t: InstallTool, eco: Ecosystem, manifests: string[], optional: string[], extra: Partial<DepInstall> = {}): DepInstall => ({
    tool: t,
    ecosystem: eco,
    manifests,
    optional,
    packagesOnly: false,
    omitsDev: false,
    ignoreScripts: args.includes('--ignore-scripts'),
    command: cmd,
    ...extra,
  });
  // pip / python -m pip / uv pip
  let pipArgs: string[] | undefined;
  if (/^pip[0-9.]*$/.test(tool)) pipArgs = args;
  else if (/^python[0-9.]*$/.test(tool) && args[0] === '-m' && args[1] === 'pip') pipArgs = args.slice(2);
  if (pipArgs) {
    const sub = pipArgs.findIndex((a) => !a.startsWith('-'));
    if (pipArgs[sub] !== 'install') return undefined;
    return pipInstall(pipArgs.slice(sub + 1), cmd, 'pip');
  }
  if (tool === 'uv') {
    if (args[0] === 'pip' && args[1] === 'install') return pipInstall(args.slice(2), cmd, 'uv');
    if (args[0] === 'sync') {
      const noProject = args.includes('--no-install-project') || args.includes('--only-deps');
      return base('uv', 'python', ['pyproject.toml'], ['uv.lock'], {
        needsSources: noProject ? undefined : '`uv sync` also installs the project itself, which needs its sources (use `uv sync --no-install-project` before copying them)',
        omitsDev: args.includes('--no-dev'),
      });
    }
    return undefined;
  }
  if (tool === 'poetry') {
    if (args[0] !== 'install') return undefined;
    const noRoot = args.includes('--no-root');
    return base('poetry', 'python', ['pyproject.toml'], ['poetry.lock', 'poetry.toml'], {
      needsSources: noRoot ? undefined : '`poetry install` also installs the project itself, which needs its sources (use `poetry install --no-root` before copying them)',
      omitsDev: args.some((a) => a === '--only=main' || a === '--without=dev' || a === '--no-dev') || (args.includes('--only') && args[args.indexOf('--only') + 1] === 'main'),
    });
  }
  if (tool === 'pipenv') {
    if (args[0] !== 'install' && args[0] !== 'sync') return undefined;
    return base('pipenv', 'python', ['Pipfile'], ['Pipfile.lock'], { omitsDev: !args.includes('--dev') });
  }
  const positional = (from: number) => args.slice(from).filter((a) => !a.startsWith('-'));
  const global = args.includes('-g') || args.includes('--global');
  if (tool === 'npm') {
    const sub = args.findIndex((a) => !a.startsWith('-'));
    const s = args[sub];
    if (!s || !['ci', 'install', 'i', 'install-clean', 'clean-install', 'isntall', 'add'].includes(s)) return undefined;
    if (global || (s !== 'ci' && positional(sub + 1).length > 0)) return base('npm', 'node', [], [], { packagesOnly: true });
    const omitsDev = args.some((a) => a === '--omit=dev' || a === '--production' || a === '--only=prod' || a === '--only=production') || (args.includes('--omit') && args[args.indexOf('--omit') + 1] === 'dev');
    return base('npm', 'node', ['package.json'], ['package-lock.json', 'npm-shrinkwrap.json', '.npmrc'], { omitsDev });
  }
  if (tool === 'yarn') {
    const sub = args.findIndex((a) => !a.startsWith('-'));
    const s = args[sub];
    if (s === 'global' || s === 'add') return base('yarn', 'node', [], [], { packagesOnly: true });
    if (s !== undefined && s !== 'install') return undefined;
    return base('yarn', 'node', ['package.json'], ['yarn.lock', '.yarnrc', '.yarnrc.yml', '.npmrc'], { omitsDev: args.includes('--production') });
  }
  if (tool === 'pnpm') {
    const sub = args.findIndex((a) => !a.startsWith('-'));
    const s = args[sub];
    if (s === 'add' || global) return base('pnpm', 'node', [], [], { packagesOnly: true });
    if (s === 'fetch') return base('pnpm', 'node', ['pnpm-lock.yaml'], ['.npmrc']);
    if (s !== 'install' && s !== 'i') return undefined;
    return base('pnpm', 'node', ['package.json'], ['pnpm-lock.yaml', '.npmrc', 'pnpm-workspace.yaml'], { omitsDev: args.includes('--prod') || args.includes('-P') || args.includes('--production') });
  }
  if (tool === 'bun') {
    if (args[0] !== 'install' && args[0] !== 'i') return undefined;
    if (positional(1).length) return base('bun', 'node', [], [], { packagesOnly: true });
    return base('bun', 'node', ['package.json'], ['bun.lockb', 'bun.lock', 'bunfig.toml', '.npmrc'], { omitsDev: args.includes('--production') });
  }
  return undefined;
}

/** Commands that neither read the project's files nor depend on them (package managers, users, cleanup). */
export function isHousekeeping(cmd: ShCommand): boolean {
  const w = cmd.words.map((x) => x.value);
  const ci = commandIndex(cmd.words);
  const tool = w[ci];
  const sub = w.slice(ci + 1).find((a) => !a.startsWith('-'));
  if (!tool) return true;
  if (packageCommand(cmd)) return true;
  if (['rm', 'mkdir', 'groupadd', 'useradd', 'addgroup', 'adduser', 'true', 'update-ca-certificates', 'ldconfig', 'set'].includes(tool)) return true;
  if (tool === 'corepack') return true;
  if (/^pip[0-9.]*$/.test(tool) && (sub === 'cache' || sub === 'config')) return true;
  if (/^python[0-9.]*$/.test(tool) && w[ci + 1] === '-m' && w[ci + 2] === 'venv') return true;
  if (['npm', 'yarn', 'pnpm'].includes(tool) && ['cache', 'config', 'set', 'store'].includes(sub ?? '')) return true;
  if (tool === 'poetry' && sub === 'config') return true;
  if (tool === 'uv' && sub === 'venv') return true;
  const inst = depInstall(cmd);
  return Boolean(inst && inst.packagesOnly);
}

/** The dependency installs of a RUN instruction (none for other instructions). */
export function installsOf(m: DockerfileModel, ins: DInstruction): DepInstall[] {
  const s = runScript(m, ins);
  if (!s) return [];
  let found = installs.get(s);
  if (!found) {
    found = [];
    for (const c of s.commands) {
      const d = depInstall(c);
      if (d && !d.packagesOnly) found.push(d);
    }
    installs.set(s, found);
  }
  return found.slice();
}

/** installsOf's answers per RUN script (runScript gives one per instruction). */
const installs = new WeakMap<RunScript, DepInstall[]>();

/** `-r other.txt` / `-c constraints.txt` lines of a requirements file (paths relative to it). */
export function nestedRequirements(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    const m = /^(?:-r|--requirement|-c|--constraint)[\s=]*(\S+)$/.exec(line);
    if (m) out.push(m[1]!);
  }
  return out;
}

/** A line of a requirements file that installs from the project's own files (`-e .`, `./pkg`, `file:`). */
export function requirementNeedingSources(text: string): string | undefined {
  for (const raw of text.split('\n')) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (/^(-e|--editable)\s+(\.|\/|file:)/.test(line) || /^(\.|\.\.)(\/|$|\[)/.test(line) || /^file:/.test(line) || /@\s*file:/.test(line)) return line;
  }
  return undefined;
}

/** package.json lifecycle scripts that run during an install and may need the sources. */
export function installScripts(pkgJson: string | undefined): string[] {
  if (!pkgJson) return [];
  try {
    const scripts = (JSON.parse(pkgJson) as { scripts?: Record<string, unknown> }).scripts ?? {};
    return ['preinstall', 'install', 'postinstall', 'prepare'].filter((k) => typeof scripts[k] === 'string');
  } catch {
    return [];
  }
}

/** Whether package.json declares workspaces (an install then needs every workspace's package.json). */
export function hasWorkspaces(pkgJson: string | undefined): boolean {
  if (!pkgJson) return false;
  try {
    return (JSON.parse(pkgJson) as { workspaces?: unknown }).workspaces !== undefined;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// COPY sources in the build context

/** A COPY/ADD that copies from the build context (no --from, not a URL or heredoc). */
export function isContextCopy(m: DockerfileModel, ins: DInstruction): boolean {
  const c = copyArgs(m, ins);
  if (!c) return false;
  if (c.flags.some((f) => f.name === 'from')) return false;
  return c.sources.every((s) => !/^[a-z]+:\/\//i.test(s) && !s.startsWith('<<') && !s.startsWith('git@'));
}

/** Glob match of one path segment pattern (`*`, `?`, `[…]`), as COPY sources use. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += glob[i + 1] === '*' ? (i++, '.*') : '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const j = glob.indexOf(']', i);
      if (j === -1) re += '\\[';
      else {
        re += '[' + glob.slice(i + 1, j).replace(/^!/, '^') + ']';
        i = j;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * Where a COPY puts a context file: the container path of `rel` (relative to the context), or
 * undefined when the COPY does not copy it. `workdir` is the WORKDIR in effect at the COPY.
 */
export function copyTarget(m: DockerfileModel, ins: DInstruction, workdir: string, rel: string): string | undefined {
  const c = copyArgs(m, ins);
  if (!c) return undefined;
  const dest = resolveContainerPath(workdir, c.dest);
  const destIsDir = c.dest.endsWith('/') || c.sources.length > 1 || c.dest === '.' || c.dest === '..';
  const file = joinPath(rel);
  for (const s of c.sources) {
    const src = joinPath(s);
    if (/[*?[]/.test(src)) {
      if (globToRegExp(src).test(file)) return `${dest.replace(/\/$/, '')}/${basename(file)}`.replace(/^\/\//, '/');
      continue;
    }
    if (src === file) return destIsDir ? `${dest.replace(/\/$/, '')}/${basename(file)}`.replace(/^\/\//, '/') : dest;
    if (src === '' || file.startsWith(src + '/')) {
      const sub = src === '' ? file : file.slice(src.length + 1);
      return `${dest.replace(/\/$/, '')}/${sub}`.replace(/^\/\//, '/');
    }
  }
  return undefined;
}

/** The context files one COPY/ADD source names: a glob's matches, the file, or a directory's files. */
function contextFilesOf(src: string, ctx: BuildContext): string[] {
  if (/[*?[]/.test(src)) {
    const re = globToRegExp(src);
    return ctx.filesUnder(dirname(src)).filter((f) => re.test(f));
  }
  return ctx.has(src) ? [src] : ctx.filesUnder(src);
}

/** Context files a COPY/ADD sends (relative to the context), and whether every source was found. */
export function copiedFiles(m: DockerfileModel, ins: DInstruction, ctx: BuildContext): { files: string[]; complete: boolean } {
  const c = copyArgs(m, ins);
  if (!c) return { files: [], complete: false };
  const files: string[] = [];
  let complete = true;
  for (const s of c.sources) {
    const src = joinPath(s);
    const found = contextFilesOf(src, ctx);
    if (found.length === 0) complete = false;
    files.push(...found);
  }
  return { files, complete };
}

export interface ManifestSource {
  /** Where the install reads it (container path). */
  container: string;
  /** The context file (relative to the context). */
  rel: string;
  /** The COPY that puts it there. */
  copy: DInstruction;
  optional: boolean;
}

export interface ManifestResolution {
  sources: ManifestSource[];
  /** Why the manifests cannot be told (missing from the context, not copied in this stage…). */
  problem?: string;
}

/**
 * The manifests the installs of a RUN read, traced back to the context files and the COPY that
 * puts each one in place (requirements files included with `-r` inside them followed). Optional
 * manifests (lock files, .npmrc) are listed only when a COPY puts them in place.
 */
export function resolveManifests(m: DockerfileModel, stage: DStage, run: DInstruction, installs: DepInstall[], ctx: BuildContext): ManifestResolution {
  const wd = workdirAt(m, stage, run) ?? '/';
  const copies = stage.instructions.filter((i) => i.start < run.start && isContextCopy(m, i)).reverse();
  const sources: ManifestSource[] = [];
  const seen = new Set<string>();
  const queue: { container: string; optional: boolean; pip: boolean }[] = [];
  for (const inst of installs) {
    for (const f of inst.manifests) queue.push({ container: resolveContainerPath(wd, f), optional: false, pip: inst.tool === 'pip' || inst.tool === 'uv' });
    for (const f of inst.optional) queue.push({ container: resolveContainerPath(wd, f), optional: true, pip: false });
    if (inst.tool === 'yarn') {
      const rc = findProvider(m, stage, copies, resolveContainerPath(wd, '.yarnrc.yml'), ctx);
      const yarnPath = rc && /^yarnPath:\s*["']?([^"'\s]+)/m.exec(ctx.text(rc.rel) ?? '')?.[1];
      if (yarnPath) queue.push({ container: resolveContainerPath(wd, yarnPath), optional: false, pip: false });
    }
  }
  while (queue.length) {
    const q = queue.shift()!;
    if (seen.has(q.container)) continue;
    seen.add(q.container);
    const found = findProvider(m, stage, copies, q.container, ctx);
    if (!found || !ctx.has(found.rel)) {
      if (q.optional) continue;
      const name = q.container.slice(q.container.lastIndexOf('/') + 1);
      if (found) {
        const why = ctx.ws.exists(ctx.path(found.rel)) ? 'excluded by .dockerignore' : 'not found';
        return { sources, problem: `${found.rel} (read by the install as ${q.container}) is ${why} in the build context${ctx.dir ? ` ${ctx.dir}/` : ''}` };
      }
      return { sources, problem: `no COPY in this stage puts ${name} at ${q.container}, so where it comes from cannot be told` };
    }
    sources.push({ container: q.container, rel: found.rel, copy: found.copy, optional: q.optional });
    if (q.pip) {
      const text = ctx.text(found.rel) ?? '';
      const dir = q.container.slice(0, q.container.lastIndexOf('/')) || '/';
      for (const n of nestedRequirements(text)) queue.push({ container: resolveContainerPath(dir, n), optional: false, pip: true });
    }
  }
  return { sources };
}

/**
 * The last context COPY (before the install) that puts a file at a container path, with the file.
 * When none does, a COPY of a directory that would have put it there (the file is missing from the
 * context or excluded), so the caller can say which file is missing.
 */
function findProvider(m: DockerfileModel, stage: DStage, copies: DInstruction[], container: string, ctx: BuildContext): { copy: DInstruction; rel: string } | undefined {
  let cover: { copy: DInstruction; rel: string } | undefined;
  const name = container.slice(container.lastIndexOf('/') + 1);
  for (const ins of copies) {
    const c = copyArgs(m, ins)!;
    const wd = workdirAt(m, stage, ins) ?? '/';
    const dest = resolveContainerPath(wd, c.dest);
    for (const s of [...c.sources].reverse()) {
      const src = joinPath(s);
      let cand: string | undefined;
      if (/[*?[]/.test(src)) cand = joinPath(dirname(src), name);
      else if (src !== '' && ctx.ws.exists(ctx.path(src))) cand = src;
      else if (container.startsWith(dest === '/' ? '/' : dest + '/')) cand = joinPath(src, container.slice(dest === '/' ? 1 : dest.length + 1));
      if (!cand || copyTarget(m, ins, wd, cand) !== container) continue;
      if (ctx.has(cand)) return { copy: ins, rel: cand };
      if (!/[*?[]/.test(src)) cover ??= { copy: ins, rel: cand };
    }
  }
  return cover;
}

const MANIFEST_NAME =
  /^(?:requirements[^/]*\.txt|constraints[^/]*\.txt|pyproject\.toml|poetry\.lock|poetry\.toml|uv\.lock|Pipfile(?:\.lock)?|setup\.py|setup\.cfg|package(?:-lock)?\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|pnpm-workspace\.yaml|\.npmrc|\.yarnrc(?:\.yml)?|bun\.lockb?|bunfig\.toml|\.python-version|\.nvmrc|\.node-version|\.pnpmfile\.cjs)$/;

/** Whether a context file is dependency metadata (manifests, lock files, package manager settings). */
export function isManifestFile(rel: string): boolean {
  return MANIFEST_NAME.test(basename(rel)) || rel.startsWith('.yarn/') || /(^|\/)requirements\/[^/]+\.(txt|in)$/.test(rel);
}

/**
 * Whether a COPY sends only dependency metadata: every file it copies is a manifest (or one of
 * `extra`), and a source that matches nothing (`package-lock.json*` without a lock file) is named
 * like one.
 */
export function copiesOnlyManifests(m: DockerfileModel, ins: DInstruction, ctx: BuildContext, extra: ReadonlySet<string> = new Set()): boolean {
  const c = copyArgs(m, ins);
  if (!c) return false;
  for (const s of c.sources) {
    const src = joinPath(s);
    const found = contextFilesOf(src, ctx);
    if (found.length === 0) {
      if (!isManifestFile(src.replace(/\[[^\]]*\]|[*?]/g, ''))) return false;
    } else if (!found.every((f) => extra.has(f) || isManifestFile(f))) return false;
  }
  return true;
}
