// compose/healthcheck: a database, cache or broker with no healthcheck (so `depends_on` can only wait
// for the container to start, not for the server to accept connections), and app services whose
// code declares a health route but whose container never probes it. The fix adds the canonical
// check — using only what the image already has — and makes dependents wait for `service_healthy`.
// An existing check that runs curl or wget in an image without it (seed 003) gets a working test.
import { defineRule } from '../../src/rule.js';
import type { FileEdit, FindingInput } from '../../src/types.js';
import type { Workspace } from '../../src/workspace.js';
import { compose, composeFiles, dependsOnEdits, parseImage, type ComposeFile, type ComposeService, type ServiceKind } from '../../src/project/compose.js';
import { insertPair, raw, replacePairValue, replaceValueInline, findPair, YamlEditError, type YamlValue } from '../../src/edit/yaml.js';
import { dockerfile, finalStage, imageFamily, parseDockerfile, type DockerfileModel, type DStage, type ImageFamily } from '../../src/parsers/dockerfile.js';
import { analyzeApp, type Endpoint } from '../../src/project/web.js';
import { isMap, isScalar, isSeq, type Node, type Pair, type Scalar, type YAMLMap, type YAMLSeq } from 'yaml';

interface Timing {
  interval: string;
  timeout: string;
  retries: number;
  startPeriod: string;
}

const DEFAULTS: Timing = { interval: '10s', timeout: '5s', retries: 5, startPeriod: '30s' };

/** A probe: the healthcheck `test` array. */
type Probe = string[];

function envValue(svc: ComposeService, name: string): { literal?: string; present: boolean } {
  const e = svc.environment.find((x) => x.name === name);
  if (!e) return { present: false };
  if (e.value !== null && !e.value.includes('$')) return { literal: e.value, present: true };
  return { present: true };
}

/** A literal from the service's environment, else the container's variable with a default (`$$` escapes compose interpolation). */
function fromEnv(svc: ComposeService, name: string, fallback: string): string {
  const v = envValue(svc, name);
  if (v.literal !== undefined && /^[A-Za-z0-9_.@-]+$/.test(v.literal)) return v.literal;
  return `$\${${name}:-${fallback}}`;
}

function majorMinor(tag: string | undefined): [number, number] | undefined {
  const m = /^(\d+)(?:\.(\d+))?/.exec(tag ?? '');
  return m ? [Number(m[1]), Number(m[2] ?? 0)] : undefined;
}

/** The canonical probe for a well-known service, or undefined when shipshape has none for it. */
export function serviceProbe(svc: ComposeService): Probe | undefined {
  const kind = svc.kind as ServiceKind;
  const tag = svc.image ? parseImage(svc.image).tag : undefined;
  switch (kind) {
    case 'postgres': {
      const userLit = envValue(svc, 'POSTGRES_USER').literal;
      const user = fromEnv(svc, 'POSTGRES_USER', 'postgres');
      const dbv = envValue(svc, 'POSTGRES_DB');
      // The image creates a database named like the user when POSTGRES_DB is not set.
      const db = dbv.literal !== undefined || dbv.present ? fromEnv(svc, 'POSTGRES_DB', 'postgres') : userLit && /^[A-Za-z0-9_.@-]+$/.test(userLit) && !svc.value.env_file ? userLit : fromEnv(svc, 'POSTGRES_DB', 'postgres');
      return ['CMD-SHELL', `pg_isready -U ${user} -d ${db}`];
    }
    case 'mysql':
      return ['CMD', 'mysqladmin', 'ping', '-h', 'localhost'];
    case 'mariadb': {
      const v = majorMinor(tag);
      // healthcheck.sh ships with the 10.4+ images; older ones have mysqladmin.
      if (v && (v[0] < 10 || (v[0] === 10 && v[1] < 4))) return ['CMD', 'mysqladmin', 'ping', '-h', 'localhost'];
      return ['CMD', 'healthcheck.sh', '--connect', '--innodb_initialized'];
    }
    case 'redis':
    case 'valkey': {
      const cli = kind === 'valkey' ? 'valkey-cli' : 'redis-cli';
      const cmd = JSON.stringify(svc.value.command ?? '');
      if (/requirepass/.test(cmd)) {
        const pw = ['REDIS_PASSWORD', 'VALKEY_PASSWORD'].find((n) => envValue(svc, n).present);
        if (!pw) return undefined; // the password lives only in the command: no way to pass it without repeating it
        return ['CMD-SHELL', `${cli} -a "$$${pw}" --no-auth-warning ping | grep -q PONG`];
      }
      return ['CMD', cli, 'ping'];
    }
    case 'mongo': {
      const v = majorMinor(tag);
      const shell = v && v[0] < 5 ? 'mongo' : 'mongosh';
      return ['CMD', shell, '--quiet', '--eval', "db.adminCommand('ping')"];
    }
    case 'rabbitmq':
      return ['CMD', 'rabbitmq-diagnostics', '-q', 'ping'];
    case 'clickhouse':
      return ['CMD', 'wget', '--spider', '-q', 'http://localhost:8123/ping'];
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// App services

const HEALTH_PATH = /^\/(?:[^{}:*]*\/)?(health|healthz|healthcheck|health-check|livez|liveness|ready|readyz|readiness)\/?$/i;
const HEALTH_ORDER = ['health', 'healthz', 'livez', 'liveness', 'healthcheck', 'health-check', 'ready', 'readyz', 'readiness'];

/** The health route an app declares (plain paths only), best first: /health, /healthz, … /ready. */
export function healthRoute(routes: Endpoint[]): Endpoint | undefined {
  const c = routes.filter((r) => !r.prefix && HEALTH_PATH.test(r.path));
  const rank = (r: Endpoint) => HEALTH_ORDER.indexOf(HEALTH_PATH.exec(r.path)![1]!.toLowerCase());
  return c.sort((a, b) => rank(a) - rank(b) || a.path.length - b.path.length || (a.path < b.path ? -1 : 1))[0];
}

function words(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  if (typeof v === 'string') return v.split(/\s+/).filter(Boolean);
  return [];
}

/** The port a server command listens on (`--port 8000`, `-b 0.0.0.0:8000`, `--bind=:8000`, `-p 3000`). */
export function portFromCommand(ws: string[]): string | undefined {
  for (let i = 0; i < ws.length; i++) {
    const w = ws[i]!;
    let m = /^--(?:port|http-port)=(\S+)$/.exec(w);
    if (m) return m[1];
    if ((w === '--port' || w === '-p' || w === '--http-port') && ws[i + 1]) return ws[i + 1];
    m = /^(?:--bind=|-b=?)(\S+)$/.exec(w);
    const bind = m ? m[1] : (w === '--bind' || w === '-b') && ws[i + 1] ? ws[i + 1] : undefined;
    if (bind) {
      const p = /:(\d+|\$\{?[A-Za-z_]+\}?)$/.exec(bind);
      if (p) return p[1];
    }
  }
  return undefined;
}

function resolvePort(p: string | undefined, svc: ComposeService): string | undefined {
  if (!p) return undefined;
  if (/^\d+$/.test(p)) return p;
  const v = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)(?::?-(\d+))?\}?$/.exec(p);
  if (!v) return undefined;
  return envValue(svc, v[1]!).literal ?? v[2];
}

/** Commands that run something other than the web server (task queues, schedulers, one-shot jobs). */
const WORKER = /(?:^|[\s/])(?:celery|rq|rqworker|dramatiq|arq|huey_consumer|flower|taskiq|faust|alembic|manage\.py\s+(?!runserver)\S+|beat|cron|crond|supercronic)(?:\s|$)/;
/** Commands that start an HTTP server. */
const SERVER = /(?:^|[\s/])(?:uvicorn|gunicorn|hypercorn|daphne|granian|waitress-serve|fastapi|flask|manage\.py\s+runserver|node|nodemon|npm|yarn|pnpm|bun|deno|next|nest|pm2-runtime|python3?|serve)(?:\s|$)/;

interface AppPlan {
  route: Endpoint;
  port: string;
  probe?: Probe;
  reason?: string;
}

function buildStage(m: DockerfileModel, target: string | undefined): DStage {
  return (target && m.stages.find((s) => s.name === target)) || finalStage(m);
}

async function appPlan(ws: Workspace, svc: ComposeService): Promise<AppPlan | undefined> {
  const b = svc.build;
  if (!b || b.context === undefined || !b.dockerfile || !ws.exists(b.dockerfile)) return undefined;
  const m = dockerfile(ws, b.dockerfile);
  if (!m) return undefined;
  const stage = buildStage(m, b.target);
  // An image that declares its own HEALTHCHECK is already checked.
  if (stage.instructions.some((i) => i.keyword === 'HEALTHCHECK' && !/^NONE\b/i.test(i.args))) return undefined;
  // The service must run the web server: the same image often runs workers (celery, rq…) too.
  const stageCmds = stage.instructions.filter((i) => i.keyword === 'CMD' || i.keyword === 'ENTRYPOINT').map((i) => (i.json ? i.json.join(' ') : i.args));
  const own = svc.value.command !== undefined ? words(svc.value.command).join(' ') : undefined;
  const runs = [own ?? stageCmds.join(' '), ...words(svc.value.entrypoint)].join(' ');
  if (WORKER.test(runs)) return undefined;
  if (own !== undefined && !SERVER.test(own)) return undefined;
  const app = await analyzeApp(ws, b.context);
  const route = healthRoute(app.httpRoutes);
  if (!route) return undefined;
  const py = route.file.endsWith('.py');
  const cmdWords = words(svc.value.command);
  const stageCmd = [...stage.instructions].reverse().find((i) => i.keyword === 'CMD' || i.keyword === 'ENTRYPOINT');
  const dfWords = stageCmd ? (stageCmd.json ?? stageCmd.args.split(/\s+/)) : [];
  const expose = stage.instructions.find((i) => i.keyword === 'EXPOSE')?.args.split(/\s+/)[0]?.replace(/\/.*$/, '');
  const published = svc.ports[0]?.target;
  const port =
    resolvePort(portFromCommand(cmdWords), svc) ??
    resolvePort(portFromCommand(dfWords), svc) ??
    resolvePort(expose, svc) ??
    resolvePort(published, svc) ??
    resolvePort('${PORT}', svc) ??
    (py ? '8000' : '3000');
  const url = `http://127.0.0.1:${port}${route.path}`;
  const plan: AppPlan = { route, port };
  const info = infoOfStage(m, stage);
  const p = probeFor(info, url, py ? 'python' : undefined);
  if ('probe' in p) plan.probe = p.probe;
  else plan.reason = p.reason;
  return plan;
}

// ---------------------------------------------------------------------------------------------
// What the image has: its base (following FROM <stage>), its family, and the HTTP clients it installs.

type Tool = 'curl' | 'wget';

interface ImageInfo {
  /** The base image reference as written (python:3.11-slim). */
  ref: string;
  /** Image name without registry and tag, lower case (python, distroless/python3-debian12). */
  name: string;
  tag: string;
  family: ImageFamily;
  /** HTTP clients a RUN of the image's stages installs (apt-get/apk/yum/dnf). */
  installs: Set<Tool>;
}

const INSTALL = /\b(?:apt-get|apt|apk|yum|dnf|microdnf|zypper)\b[^;&|]*?\b(?:install|add)\b([^;&|]*)/g;

function infoOfStage(m: DockerfileModel, stage: DStage): ImageInfo {
  const installs = new Set<Tool>();
  let base = stage;
  for (let s: DStage | undefined = stage, guard = 0; s && guard < 16; guard++) {
    base = s;
    for (const i of s.instructions) {
      if (i.keyword !== 'RUN') continue;
      const text = i.json ? i.json.join(' ') : i.args;
      for (const mm of text.matchAll(INSTALL)) {
        for (const w of mm[1]!.split(/\s+/)) {
          const pkg = w.replace(/[=<>].*$/, '');
          if (pkg === 'curl' || pkg === 'wget') installs.add(pkg);
        }
      }
    }
    const cur: DStage = s;
    s = m.stages.find((x) => x.name && x.name === cur.imageName && x.index < cur.index);
  }
  return { ref: base.image, name: base.imageName.toLowerCase(), tag: base.tag.toLowerCase(), family: imageFamily(m, stage), installs };
}

/** What shipshape knows about a service's image: from the Dockerfile it builds, else from `image:`. */
function imageInfo(ws: Workspace, svc: ComposeService): ImageInfo | undefined {
  const b = svc.build;
  if (b) {
    if (!b.dockerfile || !ws.exists(b.dockerfile)) return undefined;
    const m = dockerfile(ws, b.dockerfile);
    return m ? infoOfStage(m, buildStage(m, b.target)) : undefined;
  }
  if (!svc.image || /[$\s]/.test(svc.image)) return undefined;
  try {
    const m = parseDockerfile(`FROM ${svc.image}\n`);
    return infoOfStage(m, finalStage(m));
  } catch {
    return undefined;
  }
}

const isOfficial = (name: string, n: string) => name === n || name.endsWith('/' + n);

/** Whether the image has an HTTP client: false when it is known to lack it, undefined when shipshape cannot tell. */
function hasTool(info: ImageInfo, tool: Tool): boolean | undefined {
  if (info.installs.has(tool)) return true;
  switch (info.family) {
    case 'scratch':
    case 'distroless':
      return false;
    case 'alpine':
      return tool === 'wget'; // busybox wget; curl is not in the base image
    case 'debian':
      // The official language images' default variants (buildpack-deps) have curl and wget; the slim
      // variants and the plain distribution images have neither.
      if (/slim/.test(info.tag)) return false;
      if (['debian', 'ubuntu'].some((n) => isOfficial(info.name, n))) return false;
      if (['python', 'node'].some((n) => isOfficial(info.name, n))) return true;
      return undefined;
    default:
      return undefined;
  }
}

/** The language runtime the image ships, from its base image name. */
function runtimeOf(info: ImageInfo): 'python' | 'node' | undefined {
  if (/(?:^|\/)(?:python\d*|pypy)(?:[-_].*)?$/.test(info.name)) return 'python';
  if (/(?:^|\/)(?:node|nodejs\d*)(?:[-_].*)?$/.test(info.name)) return 'node';
  return undefined;
}

/**
 * A probe of url that uses what the image has: busybox wget on Alpine, Python's urllib in Python
 * images, Node's fetch (http.get before Node 18) in Node images.
 */
function probeFor(info: ImageInfo, url: string, lang: 'python' | 'node' | undefined): { probe: Probe } | { reason: string } {
  if (info.family === 'scratch') return { reason: 'the image is built FROM scratch: it has no program to probe the health route with' };
  if (hasTool(info, 'wget') === true && info.family === 'alpine') return { probe: ['CMD', 'wget', '-q', '--spider', url] };
  const rt = runtimeOf(info) ?? lang;
  if (rt === 'python') {
    const bin = isOfficial(info.name, 'python') ? 'python' : 'python3';
    return { probe: ['CMD', bin, '-c', `import urllib.request; urllib.request.urlopen('${url}', timeout=3)`] };
  }
  if (rt === 'node') {
    // Distroless Node images have node outside PATH.
    const bin = info.family === 'distroless' ? '/nodejs/bin/node' : 'node';
    const v = majorMinor(info.tag);
    return {
      probe:
        v && v[0] < 18
          ? ['CMD', bin, '-e', `require('http').get('${url}', (r) => process.exit(r.statusCode < 400 ? 0 : 1)).on('error', () => process.exit(1))`]
          : ['CMD', bin, '-e', `fetch('${url}').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`],
    };
  }
  return { reason: `shipshape does not know which HTTP client the ${info.ref} image has` };
}

// ---------------------------------------------------------------------------------------------
// Existing healthchecks that cannot work: curl or wget in an image that lacks it (seed 003).

interface Broken {
  cf: ComposeFile;
  svc: ComposeService;
  tool: Tool;
  info: ImageInfo;
  /** The `test` pair and its value node. */
  pair: Pair<Node, Node>;
  test: Node;
  url?: string;
  probe?: Probe;
  reason?: string;
}

/** The program and arguments a healthcheck test runs (CMD form, or the words of a shell command). */
function testWords(node: Node): string[] | undefined {
  if (isSeq(node)) {
    const items = (node as YAMLSeq).items.map((i) => (isScalar(i) ? String((i as Scalar).value) : undefined));
    if (items.some((i) => i === undefined)) return undefined;
    const [form, ...rest] = items as string[];
    if (form === 'CMD') return rest;
    if (form === 'CMD-SHELL') return rest.join(' ').split(/\s+/).filter(Boolean);
    return undefined;
  }
  if (isScalar(node) && typeof (node as Scalar).value === 'string') return String((node as Scalar).value).split(/\s+/).filter(Boolean);
  return undefined;
}

/** The broken checks on the current state, per compose file and once per state of what it reads (detect and every fix ask). */
function brokenChecks(ws: Workspace): Broken[] {
  return composeFiles(ws).flatMap((file) => ws.memoSync(`compose/healthcheck/broken\0${file}`, () => brokenChecksIn(ws, file)));
}

function brokenChecksIn(ws: Workspace, file: string): Broken[] {
  const out: Broken[] = [];
  const cf = compose(ws, file);
  if (!cf) return out;
  for (const svc of cf.services) {
    const hc = svc.healthcheck;
    if (!svc.map || !hc || !isMap(hc.node)) continue;
    const testPair = findPair(hc.node as YAMLMap, 'test');
    const disabled = findPair(hc.node as YAMLMap, 'disable');
    if (!testPair || !testPair.value || (disabled && isScalar(disabled.value) && disabled.value.value === true)) continue;
    const words = testWords(testPair.value as Node);
    const tool = words?.[0]?.replace(/^.*\//, '');
    if (tool !== 'curl' && tool !== 'wget') continue;
    const info = imageInfo(ws, svc);
    if (!info || hasTool(info, tool) !== false) continue;
    const url = words!.map((w) => w.replace(/^['"]|['"]$/g, '')).find((w) => /^https?:\/\//.test(w));
    const b: Broken = { cf, svc, tool, info, pair: testPair as Pair<Node, Node>, test: testPair.value as Node, url };
    if (!url) b.reason = `the check has no URL shipshape can read: probe the service with what the image has (Python's urllib, Node's fetch) or install ${tool}`;
    else if (hc.shared) b.reason = `the healthcheck is defined in an anchor${hc.anchor ? ` (&${hc.anchor})` : ''} that other services may share: change its test there`;
    else {
      const p = probeFor(info, url, undefined);
      if ('probe' in p) b.probe = p.probe;
      else b.reason = `${p.reason}: install ${tool} in the image, or probe with a program it has`;
    }
    out.push(b);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

interface Data {
  service: string;
  /** The existing check runs a tool the image lacks: replace its test. */
  broken?: Tool;
}

interface Candidate {
  cf: ComposeFile;
  svc: ComposeService;
  probe?: Probe;
  what: string;
  reason?: string;
}

/**
 * The candidates on the current state, per compose file and computed once per state of what that
 * file's candidates read (detect and every fix ask; a fix pass that edits some compose files redoes
 * only theirs).
 */
async function candidates(ws: Workspace): Promise<Candidate[]> {
  const out: Candidate[] = [];
  for (const file of composeFiles(ws)) out.push(...(await ws.memo(`compose/healthcheck/candidates\0${file}`, () => candidatesIn(ws, file))));
  return out;
}

async function candidatesIn(ws: Workspace, file: string): Promise<Candidate[]> {
  const out: Candidate[] = [];
  const cf = compose(ws, file);
  if (!cf) return out;
  for (const svc of cf.services) {
    if (!svc.map) continue;
    const hc = svc.healthcheck;
    if (hc && !(isScalar(hc.node) && hc.node.value === null)) continue;
    if (svc.kind) {
      const probe = serviceProbe(svc);
      if (probe) out.push({ cf, svc, probe, what: svc.kind });
      else if (svc.kind === 'redis' || svc.kind === 'valkey') {
        out.push({ cf, svc, what: svc.kind, reason: 'the password is set only in `command:`; put it in an environment variable (REDIS_PASSWORD) the healthcheck can read, then add `redis-cli -a "$$REDIS_PASSWORD" ping`' });
      }
      continue;
    }
    const plan = await appPlan(ws, svc);
    if (plan) out.push({ cf, svc, probe: plan.probe, what: `health route ${plan.route.path} on port ${plan.port}`, reason: plan.reason });
  }
  return out;
}

function testValue(probe: Probe): YamlValue {
  return raw(`[${probe.map((w) => JSON.stringify(w)).join(', ')}]`);
}

export default defineRule({
  id: 'compose/healthcheck',
  title: 'Service has no working healthcheck',
  fixTitle: 'Add a healthcheck and make dependents wait until the service is healthy',
  severity: 'medium',
  safety: 'safe',
  defaults: { ...DEFAULTS },
  docs: {
    why:
      'Without a healthcheck, compose only knows that a container started, not that the server inside accepts connections: an app that `depends_on` its database starts while Postgres is still initialising and crashes or serves errors, and `docker compose ps` shows a wedged service as "running". The same holds for an app whose code has a /health route nobody calls, and for a healthcheck that runs a program the image does not have (`curl` in a `python:*-slim` image, `wget` in a Debian slim image, either in a distroless image): it fails every time, the service never becomes healthy, and everything that waits for it with `condition: service_healthy` never starts.',
    fix:
      'Adds the canonical healthcheck for well-known images (pg_isready with the service\'s user and database, `redis-cli ping`, `mysqladmin ping`, MariaDB\'s `healthcheck.sh`, `mongosh … ping`, `rabbitmq-diagnostics ping`, ClickHouse `/ping`) and, for app services whose code declares a health route (FastAPI/Flask/Express `/health`, `/healthz`, `/ready`), a probe that uses what the image already has (Python\'s urllib in Python images, busybox `wget` on Alpine, Node\'s fetch) instead of installing curl. Services that depend on it get `condition: service_healthy`. An existing check that calls curl or wget where the image lacks it (known from the Dockerfile\'s base image and whether a RUN installs the tool with apt-get/apk/yum/dnf, or from `image:`) gets its `test` replaced by the same kind of probe of the same URL; interval, timeout, retries, start_period and comments stay as they are.',
    safetyNote:
      'A healthcheck only observes the container; `condition: service_healthy` makes dependents wait for the check to pass at start-up (interval, timeout, retries and start period are options). `$$` in a check escapes compose interpolation: the variable is read inside the container.',
    references: [
      'https://docs.docker.com/reference/compose-file/services/#healthcheck',
      'https://docs.docker.com/compose/how-tos/startup-order/',
    ],
  },
  kinds: ['compose'],
  async detect(ctx) {
    const out: FindingInput[] = [];
    for (const c of await candidates(ctx.ws)) {
      const r = c.svc.keyNode.range!;
      out.push({
        file: c.cf.file,
        start: r[0],
        end: r[1],
        message: `Service ${c.svc.name} (${c.what}) has no healthcheck${c.cf.dependents(c.svc.name).length ? `; ${c.cf.dependents(c.svc.name).map((s) => s.name).join(', ')} cannot wait for it to be ready` : ''}`,
        anchor: c.svc.name,
        fixable: c.probe !== undefined && !c.svc.shared,
        notFixableReason: c.probe === undefined ? c.reason : c.svc.shared ? 'the service is an alias of an anchor: add the healthcheck to the anchor' : undefined,
        data: { service: c.svc.name } satisfies Data,
      });
    }
    for (const b of brokenChecks(ctx.ws)) {
      const waiting = b.cf.dependents(b.svc.name).filter((d) => d.dependsOn.some((x) => x.name === b.svc.name && x.condition === 'service_healthy'));
      const r = b.test.range!;
      out.push({
        file: b.cf.file,
        start: r[0],
        end: r[1],
        severity: 'high',
        message:
          `Service ${b.svc.name}'s healthcheck runs ${b.tool}, which the ${b.info.ref} image does not have: the check always fails and the service is reported unhealthy` +
          (waiting.length ? `; ${waiting.map((d) => d.name).join(', ')} ${waiting.length > 1 ? 'wait' : 'waits'} for it to be healthy and never ${waiting.length > 1 ? 'start' : 'starts'}` : ''),
        anchor: `${b.svc.name} ${b.tool}`,
        fixable: b.probe !== undefined,
        notFixableReason: b.probe === undefined ? b.reason : undefined,
        data: { service: b.svc.name, broken: b.tool } satisfies Data,
      });
    }
    return out;
  },
  async fix(finding, ctx) {
    const { service, broken } = finding.data as Data;
    if (broken) {
      const b = brokenChecks(ctx.ws).find((x) => x.cf.file === finding.file && x.svc.name === service && x.tool === broken);
      if (!b || !b.probe) return null;
      const t = b.cf.target;
      const r = b.test.range!;
      // Only the test changes: interval, timeout, retries, start_period and every comment stay.
      if (t.text.slice(r[0], r[1]).includes('#')) return null;
      try {
        if (isSeq(b.test) && !(b.test as YAMLSeq).flow) {
          // A block sequence becomes a flow one on the key line, like the checks shipshape writes.
          const colon = t.text.indexOf(':', (b.pair.key as Node).range![1]);
          let end = r[1];
          while (end > colon && /\s/.test(t.text[end - 1]!)) end--;
          return [{ file: b.cf.file, start: colon + 1, end, text: ' ' + `[${b.probe.map((w) => JSON.stringify(w)).join(', ')}]` }];
        }
        return [replaceValueInline(t, b.test, testValue(b.probe))];
      } catch (e) {
        if (e instanceof YamlEditError) return null;
        throw e;
      }
    }
    const c = (await candidates(ctx.ws)).find((x) => x.cf.file === finding.file && x.svc.name === service);
    if (!c || !c.probe || !c.svc.map) return null;
    const o = ctx.options as unknown as Timing;
    const value: Record<string, YamlValue> = {
      test: testValue(c.probe),
      interval: String(o.interval),
      timeout: String(o.timeout),
      retries: Number(o.retries),
      start_period: String(o.startPeriod),
    };
    const edits: FileEdit[] = [];
    try {
      const own = findPair(c.svc.map, 'healthcheck');
      if (own) edits.push(...replacePairValue(c.cf.target, own, value));
      else edits.push(insertPair(c.cf.target, c.svc.map, 'healthcheck', value));
    } catch (e) {
      if (e instanceof YamlEditError) return null;
      throw e;
    }
    for (const dep of c.cf.dependents(service)) {
      if (!dep.map || dep === c.svc) continue;
      try {
        edits.push(...dependsOnEdits(c.cf, dep, { [service]: 'service_healthy' }));
      } catch {
        // A dependent shipshape cannot edit (an alias of an anchor) keeps its condition.
      }
    }
    // Dependents sharing an anchored depends_on produce the same edit once per dependent.
    const seen = new Set<string>();
    return edits.filter((e) => {
      const k = JSON.stringify(e);
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  },
});
