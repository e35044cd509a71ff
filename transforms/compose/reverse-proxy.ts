import { defineRule } from '../../src/rule.js';
import { isCreate, type FileEdit, type FindingInput, type ModifyEdit, type RuleOptions } from '../../src/types.js';
import type { Workspace } from '../../src/workspace.js';
import { compose, isDevComposeFile, isBackingService, kindOfImage, roleOf, type ComposeFile, type ComposeService, type EnvEntry } from '../../src/project/compose.js';
import { analyzeApp, isInfraRoute, type AppAnalysis, type Endpoint } from '../../src/project/web.js';
import { findPair, insertPair, quoted, raw, replaceScalar, YamlEditError, type YamlValue } from '../../src/edit/yaml.js';
import { isScalar, Scalar, type Node, type YAMLMap } from 'yaml';
import { dirname, joinPath } from '../../src/classify.js';
import { parseNginx } from '../../src/parsers/nginx.js';

// The official image's current stable line (nginx:stable-alpine is 1.30.x).
const DEFAULT_IMAGE = 'nginx:1.30-alpine';
const MIB = 1024 * 1024;

interface RateLimit {
  enabled: boolean;
  rate: string;
  burst: number;
  connLimit: number;
}

interface Options {
  configPath: string;
  tls: boolean;
  clientMaxBodySize: string | null;
  wsReadTimeout: string;
  rateLimit: RateLimit;
  nginxImage: string;
  routes: Record<string, string> | null;
  certificate: string;
  certificateKey: string;
}

function options(o: RuleOptions): Options {
  const rl = (o.rateLimit ?? {}) as Partial<RateLimit> | false;
  return {
    configPath: String(o.configPath ?? 'deploy/nginx/default.conf'),
    tls: o.tls === true || o.tls === 'true',
    clientMaxBodySize: o.clientMaxBodySize === null || o.clientMaxBodySize === undefined ? null : String(o.clientMaxBodySize),
    wsReadTimeout: String(o.wsReadTimeout ?? '3600s'),
    rateLimit: {
      enabled: rl !== false && rl.enabled !== false,
      rate: String((rl || {}).rate ?? '10r/s'),
      burst: Number((rl || {}).burst ?? 20),
      connLimit: Number((rl || {}).connLimit ?? 20),
    },
    nginxImage: String(o.nginxImage ?? DEFAULT_IMAGE),
    routes: (o.routes as Record<string, string> | null | undefined) ?? null,
    certificate: String(o.certificate ?? '/etc/nginx/certs/fullchain.pem'),
    certificateKey: String(o.certificateKey ?? '/etc/nginx/certs/privkey.pem'),
  };
}

/** A service that publishes ports and runs app code (not a database, cache, queue or proxy). */
interface AppService {
  svc: ComposeService;
  /** The container port it serves HTTP on. */
  port: string;
  analysis?: AppAnalysis;
  frontend: boolean;
}

interface Route {
  path: string;
  /** nginx location arguments, e.g. "/api/" or "= /ws". */
  location: string;
  service: string;
  kind: 'frontend' | 'api' | 'ws';
  note: string;
}

interface Plan {
  cf: ComposeFile;
  apps: AppService[];
  routes: Route[];
  /** Services routed through the proxy (their ports become expose). */
  routed: AppService[];
  /** Publishing services the proxy cannot route (they keep their ports), with why. */
  unrouted: { name: string; why: string }[];
  bodySize: { value: string; note: string };
  notes: string[];
  /** Browser-facing URLs to a routed service's host port, rewritten to go through the proxy. */
  rewrites: Rewrite[];
  /** Routed services that keep their published ports (a URL to them cannot be rewritten safely), with why. */
  kept: Map<string, string>;
}

interface Rewrite {
  svc: ComposeService;
  entry: EnvEntry;
  /** The new value (without `NAME=` for list-form entries). */
  value: string;
  note: string;
}

const FRONTEND_NAME = /(?:^|[-_])(?:front(?:end)?|web|ui|client|site|spa|www|app-web|storefront)(?:$|[-_])/i;
const ADMIN_NAME = /admin|dashboard|backoffice|console/i;
const PROXY_NAME = /(?:^|[-_])(?:proxy|nginx|traefik|caddy|haproxy|envoy|gateway|lb|ingress)(?:$|[-_])/i;

function hasProxy(cf: ComposeFile): boolean {
  return cf.services.some((s) => roleOf(s.kind) === 'proxy' || PROXY_NAME.test(s.name) || kindOfImage(s.image) === 'nginx');
}

async function appServices(ws: Workspace, cf: ComposeFile): Promise<AppService[]> {
  const out: AppService[] = [];
  for (const svc of cf.services) {
    if (!svc.ports.length || isBackingService(svc.kind) || roleOf(svc.kind) === 'proxy') continue;
    // Only services whose code is in the repository: an off-the-shelf image (grafana, mailhog…)
    // publishing a port is not ours to route.
    if (svc.build?.context === undefined) continue;
    const published = svc.ports.filter((p) => p.hostIp === undefined || !/^(?:127\.|::1|localhost)/.test(p.hostIp));
    if (!published.length) continue;
    const port = published[0]!.target.split('-')[0]!.split('/')[0]!;
    const analysis = await analyzeApp(ws, svc.build.context);
    const frontend = analysis.frontend || (!analysis.wsEndpoints.length && !analysis.httpRoutes.length && (FRONTEND_NAME.test(svc.name) || ADMIN_NAME.test(svc.name)));
    out.push({ svc, port, analysis, frontend });
  }
  return out;
}

/** The static part of an endpoint path a location can match: /ws/progress/{id} → /ws/progress/ */
function staticPart(e: Endpoint): string {
  const i = e.path.search(/[{<:*]/);
  return i === -1 ? e.path : e.path.slice(0, i);
}

function where(e: { file: string; line: number }): string {
  return `${e.file}:${e.line}`;
}

function bodySize(o: Options, apps: AppService[]): { value: string; note: string } {
  if (o.clientMaxBodySize) return { value: o.clientMaxBodySize, note: 'Largest request body (uploads), from the rule options.' };
  let best: { bytes: number; name: string; file: string; line: number } | undefined;
  for (const a of apps) {
    const l = a.analysis?.uploadLimit;
    if (l && (!best || l.bytes > best.bytes)) best = l;
  }
  if (!best) return { value: '10m', note: 'Largest request body (uploads): nginx refuses larger ones with 413. The app declares no limit; raise this if it takes bigger uploads.' };
  const mb = Math.ceil(best.bytes / MIB) + 1;
  const human = best.bytes % MIB === 0 ? `${best.bytes / MIB} MiB` : `${best.bytes} bytes`;
  return { value: `${mb}m`, note: `Largest request body: the app accepts uploads up to ${human} (${best.name}, ${where(best)}); 1m more leaves room for multipart framing.` };
}

async function plan(ws: Workspace, cf: ComposeFile, o: Options): Promise<Plan | { reason: string } | undefined> {
  if (hasProxy(cf)) return undefined;
  const apps = await appServices(ws, cf);
  if (!apps.length) return undefined;
  const routes: Route[] = [];
  const unrouted: { name: string; why: string }[] = [];
  const notes: string[] = [];
  const add = (r: Route) => {
    if (!routes.some((x) => x.location === r.location)) routes.push(r);
  };
  const byName = new Map(apps.map((a) => [a.svc.name, a]));

  if (o.routes) {
    for (const [path, service] of Object.entries(o.routes)) {
      const a = byName.get(service);
      if (!a) return { reason: `the routes option names ${service}, which is not a service of ${cf.file} that publishes ports` };
      add({ path, location: path, service, kind: a.frontend ? 'frontend' : 'api', note: `${service} (from the routes option)` });
    }
  } else {
    const frontends = apps.filter((a) => a.frontend);
    const apis = apps.filter((a) => !a.frontend);
    const primary = frontends.find((f) => FRONTEND_NAME.test(f.svc.name) && !ADMIN_NAME.test(f.svc.name)) ?? frontends.find((f) => !f.analysis?.basePath) ?? frontends[0];
    // Paths the frontends call on their API (fetch/axios/baseURL, dev proxy): evidence for the API prefix.
    const called = new Set<string>();
    for (const f of frontends) for (const c of f.analysis?.calls ?? []) if (!c.ws) called.add('/' + (c.path.split('/')[1] ?? ''));
    for (const api of apis) {
      const an = api.analysis;
      const name = api.svc.name;
      let prefix = an?.apiPrefix;
      let prefixWhy = prefix ? `its routes live under ${prefix}` : '';
      if (!prefix && called.size === 1 && [...called][0] !== '/') {
        prefix = [...called][0];
        prefixWhy = `the frontend calls it under ${prefix}`;
      }
      for (const e of an?.wsEndpoints ?? []) {
        const st = staticPart(e);
        // The endpoint's fixed part: /ws/progress/{job_id} → /ws/progress/, socket.io → /socket.io/.
        const location = e.prefix && st !== '/' ? st.replace(/\/?$/, '/') : st;
        if (location === '/' && primary) continue;
        add({ path: e.path, location, service: name, kind: 'ws', note: `WebSockets (${name}): ${e.path} (${where(e)})` });
      }
      if (prefix) add({ path: prefix, location: `${prefix}/`, service: name, kind: 'api', note: `API (${name}): ${prefixWhy}` });
      else if (!primary) add({ path: '/', location: '/', service: name, kind: 'api', note: `API (${name})` });
      else {
        const segs = new Set<string>();
        for (const r of an?.httpRoutes ?? []) {
          const m = /^\/([^/{}<:*]+)/.exec(r.path);
          if (m && !isInfraRoute(r.path)) segs.add(m[1]!);
        }
        if (segs.size) for (const s of [...segs].sort()) add({ path: `/${s}`, location: `/${s}/`, service: name, kind: 'api', note: `API (${name}): its routes under /${s}` });
        else if (!(an?.wsEndpoints.length)) unrouted.push({ name, why: 'no route prefix could be read from its code; route it with the routes option' });
      }
    }
    for (const f of frontends) {
      if (f === primary) add({ path: '/', location: '/', service: f.svc.name, kind: 'frontend', note: `Web app (${f.svc.name})` });
      else if (f.analysis?.basePath) add({ path: f.analysis.basePath, location: `${f.analysis.basePath}/`, service: f.svc.name, kind: 'frontend', note: `Web app (${f.svc.name}), built for ${f.analysis.basePath}` });
      else unrouted.push({ name: f.svc.name, why: `a second web app without a base path (Next basePath / Vite base) cannot share ${primary?.svc.name}'s "/"; give it one, or its own server_name` });
    }
  }
  const routedNames = new Set(routes.map((r) => r.service));
  for (const a of apps) {
    if (!routedNames.has(a.svc.name) && !unrouted.some((u) => u.name === a.svc.name)) {
      unrouted.push({ name: a.svc.name, why: `its paths are already routed to ${routes.find((r) => r.location === '/')?.service ?? 'another service'}; route it with the routes option if it must be public` });
    }
  }
  const routed = apps.filter((a) => routedNames.has(a.svc.name));
  if (!routed.length) return { reason: `cannot tell which paths belong to ${apps.map((a) => a.svc.name).join(', ')}: set rules.compose/reverse-proxy.routes (e.g. {"/": "web", "/api/": "api"})` };
  const { rewrites, kept, notes: urlNotes } = urlRewrites(ws, apps, routed, routes, o);
  notes.push(...urlNotes);
  routes.sort((a, b) => order(a) - order(b) || (a.location < b.location ? -1 : 1));
  return { cf, apps, routes, routed, unrouted, bodySize: bodySize(o, apps), notes, rewrites, kept };
}

function order(r: Route): number {
  return r.kind === 'frontend' && r.location === '/' ? 3 : r.kind === 'api' ? 1 : r.kind === 'ws' ? 2 : 0;
}

/** `[${NAME:-]scheme://localhost:PORT[/path][}]`: a URL to a port published on this host. */
const HOST_URL = /^(\$\{[A-Za-z_][A-Za-z0-9_]*:?-)?((?:http|ws)s?):\/\/(localhost|127\.0\.0\.1|0\.0\.0\.0):(\d+)(\/[^\s}?#]*)?(\})?$/;

/** Whether a location of the service's routes covers a path. */
function routedTo(routes: Route[], service: string, path: string, ws: boolean): boolean {
  return routes.some((r) => {
    if (r.service !== service || (ws && r.kind !== 'ws' && r.location !== '/')) return false;
    const loc = r.location.replace(/^=\s*/, '');
    if (r.location.startsWith('=')) return path === loc;
    return path.startsWith(loc) || path + '/' === loc;
  });
}

/** Whether the service's code builds WebSocket URLs from the page's location (so a path is enough). */
function wsFromLocation(ws: Workspace, svc: ComposeService, name: string): boolean {
  const dir = svc.build?.context;
  if (dir === undefined) return false;
  return ws.filesUnder(dir, 'typescript').some((f) => {
    const t = ws.text(f) ?? '';
    return t.includes(name) && /\b(?:window\.)?location\.(?:host|hostname|origin|protocol)\b/.test(t);
  });
}

/**
 * Values in the apps' environment or build args that point the browser at a routed service's host
 * port (NEXT_PUBLIC_API_URL: http://localhost:8000/api, VITE_WS_URL: ws://localhost:8000/ws). Once
 * the service's ports become `expose` they break, so they are rewritten to go through the proxy:
 * - an HTTP URL with a path the proxy routes to that service becomes that path (same origin);
 * - an HTTP URL without a path that is the default of `${NAME:-…}` becomes the proxy's origin
 *   (production sets NAME; the default is for local runs);
 * - a WebSocket URL becomes its path when the frontend builds WebSocket URLs from the page location.
 * Anything else is not clearly right: that service keeps its published port, and the message says why.
 */
function urlRewrites(ws: Workspace, apps: AppService[], routed: AppService[], routes: Route[], o: Options): { rewrites: Rewrite[]; kept: Map<string, string>; notes: string[] } {
  const found: { a: AppService; e: EnvEntry; value: string; r: AppService; m: RegExpExecArray }[] = [];
  for (const a of apps) {
    for (const e of [...a.svc.environment, ...a.svc.buildArgs]) {
      if (e.value === null) continue;
      const m = HOST_URL.exec(e.value);
      if (!m || Boolean(m[1]) !== Boolean(m[6])) continue;
      const r = routed.find((x) => x !== a && x.svc.ports.some((p) => p.published === m[4]));
      if (r) found.push({ a, e, value: e.value, r, m });
    }
  }
  const kept = new Map<string, string>();
  const planned: { f: (typeof found)[number]; value: string; note: string }[] = [];
  for (const f of found) {
    const [, dflt, scheme, host, , path = ''] = f.m;
    const isWs = scheme!.startsWith('ws');
    const shown = `${f.a.svc.name}'s ${f.e.name} (${f.value})`;
    const keep = (why: string) => {
      const before = kept.get(f.r.svc.name);
      kept.set(f.r.svc.name, (before ? `${before}; ` : '') + `${shown} ${why}`);
    };
    if (path && !routedTo(routes, f.r.svc.name, path, isWs)) {
      keep(`calls ${path}, which the proxy does not route to ${f.r.svc.name}`);
    } else if (isWs) {
      if (path && wsFromLocation(ws, f.a.svc, f.e.name)) planned.push({ f, value: path, note: `${shown} becomes ${path}: the code builds WebSocket URLs from the page's location` });
      else keep(`must be set to the public WebSocket URL (wss://<your host>${path}); ws://localhost would be wrong in production`);
    } else if (path) {
      planned.push({ f, value: dflt ? `${dflt}${path}}` : path, note: `${shown} becomes ${path}, the proxy's route to ${f.r.svc.name} on the same origin` });
    } else if (dflt) {
      const origin = `${o.tls ? 'https' : 'http'}://${host}`;
      planned.push({ f, value: `${dflt}${origin}}`, note: `${shown} defaults to the proxy (${origin}); set ${f.e.name} to the public URL in production` });
    } else {
      keep(`is the API's origin, not a path the proxy routes: set it to the public URL of the proxy (e.g. https://example.com)`);
    }
  }
  const rewrites: Rewrite[] = [];
  const notes: string[] = [];
  for (const p of planned) {
    // A service that keeps its port keeps working with the URLs that point at it.
    if (kept.has(p.f.r.svc.name)) continue;
    rewrites.push({ svc: p.f.a.svc, entry: p.f.e, value: p.value, note: p.note });
    notes.push(p.note);
  }
  for (const [name, why] of kept) notes.push(`${name} keeps its published port: ${why}`);
  return { rewrites, kept, notes };
}

// ---------------------------------------------------------------------------------------------
// The nginx configuration

function renderConfig(p: Plan, o: Options): string {
  const I = '    ';
  const L: string[] = [];
  const upstreams = [...new Set(p.routes.map((r) => r.service))];
  const wsRoutes = p.routes.filter((r) => r.kind === 'ws');
  const rate = o.rateLimit.enabled && p.routes.some((r) => r.kind === 'api');
  L.push(`# Reverse proxy in front of the services of ${p.cf.file} (written by shipshape, compose/reverse-proxy).`);
  L.push('# nginx reads this file inside http {}: the proxy service mounts it as /etc/nginx/conf.d/default.conf.');
  L.push('# Review the routes, limits and timeouts before deploying.');
  for (const u of p.unrouted) L.push(`# Not routed: ${u.name} (it keeps its published ports): ${u.why}.`);
  for (const [name, why] of p.kept) L.push(`# Still published: ${name} (routed here too): ${why}.`);
  L.push('');
  for (const u of upstreams) {
    const a = p.routed.find((x) => x.svc.name === u)!;
    L.push(`upstream ${u} {`, `${I}server ${u}:${a.port};`, '}', '');
  }
  L.push('# "Connection: upgrade" for WebSocket handshakes, "close" for every other request.');
  L.push('map $http_upgrade $connection_upgrade {', `${I}default upgrade;`, `${I}''      close;`, '}', '');
  if (rate) {
    L.push(`# Per-client limits for the API: ${o.rateLimit.rate} (bursts of ${o.rateLimit.burst}) and ${o.rateLimit.connLimit} connections at once.`);
    L.push(`limit_req_zone $binary_remote_addr zone=api_requests:10m rate=${o.rateLimit.rate};`);
    L.push('limit_conn_zone $binary_remote_addr zone=api_connections:10m;', '');
  }
  const healthz = [
    `${I}# The proxy's own health, for its container healthcheck.`,
    `${I}location = /healthz {`,
    `${I}${I}access_log off;`,
    `${I}${I}default_type text/plain;`,
    `${I}${I}return 200 "ok\\n";`,
    `${I}}`,
  ];
  if (o.tls) {
    L.push('server {', `${I}listen 80;`, `${I}server_name _;`, `${I}server_tokens off;`, '', ...healthz, '');
    L.push(`${I}# Everything else moves to HTTPS.`, `${I}location / {`, `${I}${I}return 301 https://$host$request_uri;`, `${I}}`, '}', '');
  }
  L.push('server {');
  if (o.tls) {
    L.push(`${I}listen 443 ssl;`, `${I}server_name _;`, `${I}server_tokens off;`, '');
    L.push(`${I}# Certificates: mount them into the proxy (e.g. from Let's Encrypt) at these paths.`);
    L.push(`${I}ssl_certificate ${o.certificate};`, `${I}ssl_certificate_key ${o.certificateKey};`);
    L.push(`${I}ssl_protocols TLSv1.2 TLSv1.3;`, `${I}ssl_session_cache shared:SSL:10m;`, `${I}ssl_session_timeout 1d;`, `${I}ssl_session_tickets off;`, '');
  } else {
    L.push(`${I}listen 80;`, `${I}server_name _;`, `${I}server_tokens off;`, '');
  }
  L.push(`${I}# ${p.bodySize.note}`, `${I}client_max_body_size ${p.bodySize.value};`, '');
  L.push(`${I}gzip on;`, `${I}gzip_vary on;`, `${I}gzip_proxied any;`, `${I}gzip_min_length 1024;`);
  L.push(`${I}gzip_types text/plain text/css text/xml text/javascript application/javascript application/json application/xml image/svg+xml;`, '');
  L.push(`${I}# Security headers (a location with its own add_header would drop these).`);
  if (o.tls) L.push(`${I}add_header Strict-Transport-Security "max-age=31536000" always;`);
  L.push(`${I}add_header X-Content-Type-Options "nosniff" always;`, `${I}add_header X-Frame-Options "SAMEORIGIN" always;`, `${I}add_header Referrer-Policy "strict-origin-when-cross-origin" always;`, '');
  L.push(`${I}# Every location inherits these (one that sets its own proxy_set_header would lose them all).`);
  L.push(`${I}proxy_http_version 1.1;`);
  L.push(`${I}proxy_set_header Host $host;`, `${I}proxy_set_header X-Real-IP $remote_addr;`, `${I}proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;`);
  L.push(`${I}proxy_set_header X-Forwarded-Proto $scheme;`, `${I}proxy_set_header X-Forwarded-Host $host;`);
  L.push(`${I}proxy_set_header Upgrade $http_upgrade;`, `${I}proxy_set_header Connection $connection_upgrade;`);
  L.push(`${I}proxy_connect_timeout 5s;`, `${I}proxy_send_timeout 60s;`, `${I}proxy_read_timeout 60s;`, '');
  if (!o.tls) L.push(...healthz, '');
  for (const r of p.routes) {
    L.push(`${I}# ${r.note}`);
    L.push(`${I}location ${r.location} {`);
    if (r.kind === 'api' && rate) {
      L.push(`${I}${I}limit_req zone=api_requests burst=${o.rateLimit.burst} nodelay;`, `${I}${I}limit_req_status 429;`);
      L.push(`${I}${I}limit_conn api_connections ${o.rateLimit.connLimit};`, `${I}${I}limit_conn_status 429;`);
    }
    L.push(`${I}${I}proxy_pass http://${r.service};`);
    if (r.kind === 'ws') L.push(`${I}${I}proxy_read_timeout ${o.wsReadTimeout};`, `${I}${I}proxy_send_timeout ${o.wsReadTimeout};`);
    L.push(`${I}}`, '');
  }
  if (L[L.length - 1] === '') L.pop();
  L.push('}');
  void wsRoutes;
  return L.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// The compose edits

function relFrom(dir: string, target: string): string {
  const from = dir ? dir.split('/') : [];
  const to = target.split('/');
  let i = 0;
  while (i < from.length && i < to.length - 1 && from[i] === to[i]) i++;
  const up = from.length - i;
  return (up ? '../'.repeat(up) : './') + to.slice(i).join('/');
}

function exposeEdits(cf: ComposeFile, a: AppService): ModifyEdit[] {
  const loc = a.svc.portsNode;
  if (!loc || loc.shared || !loc.pair || loc.alias) throw new YamlEditError(`${a.svc.name}'s ports are shared through an anchor`);
  if (a.svc.map && findPair(a.svc.map as YAMLMap, 'expose')) throw new YamlEditError(`${a.svc.name} has both ports and expose`);
  const t = cf.target;
  const edits: ModifyEdit[] = [];
  const key = loc.pair.key as Scalar;
  const kr = key.range!;
  edits.push({ file: cf.file, start: kr[0], end: kr[1], text: 'expose' });
  for (const p of a.svc.ports) {
    const n = p.node as Node;
    const r = n.range!;
    const target = p.target.split('/')[0]!;
    let text: string;
    if (isScalar(n) && (n as Scalar).type === Scalar.QUOTE_SINGLE) text = `'${target}'`;
    else if (isScalar(n) && (n as Scalar).type === Scalar.PLAIN) text = target;
    else text = `"${target}"`;
    // A long-syntax item is a block map: replace it whole, up to the end of its last value.
    let end = r[1];
    while (end > r[0] && /\s/.test(t.text[end - 1]!)) end--;
    edits.push({ file: cf.file, start: r[0], end, text });
  }
  return edits;
}

function blankBetweenServices(cf: ComposeFile): boolean {
  const items = cf.servicesMap!.items;
  for (let i = 1; i < items.length; i++) {
    const start = (items[i]!.key as Node).range?.[0];
    if (start === undefined) continue;
    const lines = cf.target.text.slice(0, start).split('\n');
    lines.pop();
    while (lines.length && /^\s*#/.test(lines[lines.length - 1]!)) lines.pop();
    if (lines.length && lines[lines.length - 1]!.trim() === '') return true;
  }
  return false;
}

function proxyService(p: Plan, o: Options, name: string): Record<string, YamlValue> {
  const ports: YamlValue[] = [quoted('80:80')];
  if (o.tls) ports.push(quoted('443:443'));
  const volumes: YamlValue[] = [`${relFrom(p.cf.dir, o.configPath)}:/etc/nginx/conf.d/default.conf:ro`];
  if (o.tls) volumes.push(`${relFrom(p.cf.dir, joinPath(dirname(o.configPath), 'certs'))}:${dirname(o.certificate)}:ro`);
  const svc: Record<string, YamlValue> = {
    image: o.nginxImage,
    restart: 'unless-stopped',
    ports,
    volumes,
    depends_on: p.routed.map((a) => a.svc.name),
  };
  const nets = [...new Set(p.routed.flatMap((a) => a.svc.networks))];
  if (nets.length) svc.networks = nets;
  // nginx proxying a handful of apps needs little: bounded like every production service.
  svc.deploy = { resources: { limits: { memory: '256M', cpus: quoted('0.5') } } };
  svc.healthcheck = {
    test: raw('["CMD", "wget", "-q", "--spider", "http://127.0.0.1/healthz"]'),
    interval: '30s',
    timeout: '5s',
    retries: 3,
    start_period: '10s',
  };
  return svc;
}

/** The plans of the compose files (of `only`, when given: a fix needs its finding's file alone). */
async function plans(ws: Workspace, o: Options, only?: string): Promise<{ cf: ComposeFile; result: Plan | { reason: string } }[]> {
  const out: { cf: ComposeFile; result: Plan | { reason: string } }[] = [];
  const files = only === undefined ? ws.files('compose') : ws.kindOf(only) === 'compose' ? [only] : [];
  for (const f of files) {
    if (isDevComposeFile(f)) continue;
    const cf = compose(ws, f);
    if (!cf || !cf.servicesMap) continue;
    const result = await plan(ws, cf, o);
    if (result) out.push({ cf, result });
  }
  return out;
}

export default defineRule({
  id: 'compose/reverse-proxy',
  title: 'App services publish their ports with no reverse proxy in front',
  fixTitle: 'Put an nginx reverse proxy in front of the app services',
  severity: 'medium',
  safety: 'review',
  docs: {
    why:
      'Each app service publishing its own port means no single entry point: no TLS termination, no request-size or rate limits, no compression or security headers, WebSocket timeouts left at their defaults, and internal ports (an API, a dev server) open to the internet. Moving to a proxy later means changing every URL the frontend uses.',
    fix:
      'Adds a `proxy` service (a pinned nginx:<stable>-alpine image, restart policy, a /healthz healthcheck, depends_on the apps) that publishes port 80 (and 443 with `tls`), turns the routed app services\' `ports` into `expose`, and writes an nginx config (default deploy/nginx/default.conf, option `configPath`) mounted read-only into it. Routes come from the code: a frontend gets `/`, an API its prefix (`/api` when its routes are mounted there or the frontend calls it there), WebSocket endpoints (FastAPI `@app.websocket`/`@router.websocket`, socket.io, `ws`) get locations with a long read timeout (option `wsReadTimeout`). The config has upstreams, the `$connection_upgrade` map, HTTP/1.1 with Upgrade/Connection, Host, X-Real-IP and X-Forwarded-For/Proto/Host headers, connect/send/read timeouts, client_max_body_size (option `clientMaxBodySize`, else the upload limit the app declares, else 10m), gzip for text types, security headers, and per-client request and connection limits on API locations (option `rateLimit`, `{enabled: false}` turns them off). With `tls` (or `--tls`) port 80 redirects to an HTTPS server with certificate paths and HSTS. Option `routes` ({"/path/": "service"}) replaces the derived routes. URLs in the apps\' environment or build args that point the browser at a routed service\'s host port are rewritten in the same change: `http://localhost:8000/api` becomes `/api` (the proxy\'s route, same origin); `${NAME:-http://localhost:8000}` defaults to the proxy (`http://localhost`); a WebSocket URL becomes its path when the frontend builds WebSocket URLs from the page location. When a rewrite is not clearly right (a bare origin, a WebSocket URL read as is, a path the proxy does not route), that service keeps its published port and the finding and the config say why.',
    safetyNote:
      'Review: the app services are no longer reachable on their own ports, so anything that called them directly (a frontend built with an absolute API URL such as http://localhost:8000, monitoring, other hosts) must go through the proxy. Check the derived routes, the body-size limit and the rate limits against real traffic. nginx resolves the upstream names when it starts: restart the proxy after recreating an app container.',
    references: [
      'https://nginx.org/en/docs/http/ngx_http_proxy_module.html',
      'https://nginx.org/en/docs/http/websocket.html',
      'https://nginx.org/en/docs/http/ngx_http_limit_req_module.html',
      'https://docs.docker.com/reference/compose-file/services/#expose',
    ],
  },
  kinds: ['compose'],
  defaults: {
    configPath: 'deploy/nginx/default.conf',
    tls: false,
    clientMaxBodySize: null,
    wsReadTimeout: '3600s',
    rateLimit: { enabled: true, rate: '10r/s', burst: 20, connLimit: 20 },
    nginxImage: DEFAULT_IMAGE,
    routes: null,
    certificate: '/etc/nginx/certs/fullchain.pem',
    certificateKey: '/etc/nginx/certs/privkey.pem',
  },
  async detect(ctx) {
    const o = options(ctx.options);
    const found: FindingInput[] = [];
    for (const { cf, result } of await plans(ctx.ws, o)) {
      const apps = 'reason' in result ? (await appServices(ctx.ws, cf)) : result.apps;
      const list = apps.map((a) => `${a.svc.name} (${a.svc.ports.map((p) => p.published ?? p.target).join(', ')})`).join(', ');
      const first = apps[0]!.svc.portsNode?.node.range;
      const f: FindingInput = {
        file: cf.file,
        start: first ? first[0] : undefined,
        line: first ? undefined : apps[0]!.svc.line,
        message: `${list} publish their ports straight to the host and no reverse proxy is in front: no TLS termination, request limits or WebSocket-aware timeouts`,
        anchor: `reverse-proxy ${apps.map((a) => a.svc.name).join(',')}`,
      };
      if ('reason' in result) {
        f.fixable = false;
        f.notFixableReason = result.reason;
      } else {
        if (result.notes.length) f.message += `; after the fix: ${result.notes.join('; ')}`;
        if (ctx.ws.exists(o.configPath)) {
          f.fixable = false;
          f.notFixableReason = `${o.configPath} already exists: wire it into a proxy service by hand, or set rules.compose/reverse-proxy.configPath to a new file`;
        }
      }
      found.push(f);
    }
    return found;
  },
  async fix(finding, ctx) {
    const o = options(ctx.options);
    const entry = (await plans(ctx.ws, o, finding.file)).find((x) => x.cf.file === finding.file);
    if (!entry || 'reason' in entry.result) return null;
    const p = entry.result;
    const cf = p.cf;
    const name = cf.service('proxy') ? 'reverse-proxy' : 'proxy';
    if (cf.service(name)) return null;
    const edits: FileEdit[] = [];
    try {
      for (const a of p.routed) if (!p.kept.has(a.svc.name)) edits.push(...exposeEdits(cf, a));
      for (const r of p.rewrites) {
        const text = r.entry.form === 'list' ? `${r.entry.name}=${r.value}` : r.value;
        const edit = replaceScalar(cf.target, r.entry.node, text);
        // One anchored value shared by several services is rewritten once.
        if (!edits.some((e) => !isCreate(e) && e.start === edit.start && e.end === edit.end)) edits.push(edit);
      }
      const ins = insertPair(cf.target, cf.servicesMap!, name, proxyService(p, o, name));
      // Services separated by blank lines get one before the new service too.
      if (blankBetweenServices(cf) && !ins.text.startsWith('\n')) ins.text = '\n' + ins.text;
      edits.push(ins);
    } catch (e) {
      if (e instanceof YamlEditError) return null;
      throw e;
    }
    const conf = renderConfig(p, o);
    // The engine validates files it knows as nginx configs; a custom configPath may not look like one.
    parseNginx(conf, o.configPath);
    edits.push({ file: o.configPath, create: conf });
    return edits;
  },
});
