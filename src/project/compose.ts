// The compose model: services of a compose file with the YAML nodes (and so the source ranges) of
// everything a transform reads — image, build, environment, ports, depends_on, networks,
// healthcheck, deploy — with anchors, aliases and merge keys (`<<: *x`) resolved for reading.
// Every located value says where it is defined: on the service itself, or in an anchor it shares
// with others (`shared`), so a fix can edit at the definition or override on the service.
import { isAlias, isMap, isPair, isScalar, isSeq } from 'yaml';
import type { Document, Node, Pair, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import type { ModifyEdit } from '../types.js';
import type { Workspace } from '../workspace.js';
import { yaml, type YamlModel } from '../parsers/yaml.js';
import { basename, dirname, joinPath } from '../classify.js';
import { lineOf } from '../text.js';
import { findPair, mergeDependsOn, mergeIntoDependsOn, yamlTarget, type DependsCondition, type DependsOnOptions, type YamlTarget } from '../edit/yaml.js';

// ---------------------------------------------------------------------------------------------
// Located values

/** A value node found for a key, with where it is defined. */
export interface Located<N extends Node = Node> {
  /** The pair `key: value` (undefined for sequence items). */
  pair?: Pair<Node, Node>;
  /** The value node with aliases resolved (the anchored node when the value is `*alias`). */
  node: N;
  /** The alias node when the value was written `key: *alias` (its range is on the service). */
  alias?: Node;
  /** True when reached through a merge key or an alias: the node is defined at an anchor and may be shared. */
  shared: boolean;
  /** The anchor name it was reached through (the innermost), when shared. */
  anchor?: string;
}

function resolve(doc: Document, n: Node | null | undefined, seen = new Set<Node>()): { node: Node | undefined; anchor?: string; alias?: Node } {
  let cur = n ?? undefined;
  let anchor: string | undefined;
  let alias: Node | undefined;
  while (cur && isAlias(cur)) {
    if (seen.has(cur)) return { node: undefined };
    seen.add(cur);
    alias ??= cur;
    anchor = cur.source;
    cur = (cur.resolve(doc) as Node | undefined) ?? undefined;
  }
  return { node: cur, anchor, alias };
}

/** Whether a key is the merge key `<<` (the yaml library gives it a symbol value when merges are on). */
export function isMergeKey(key: unknown): boolean {
  if (!isScalar(key)) return false;
  const v = key.value;
  return v === '<<' || (typeof v === 'symbol' && v.description === '<<') || ((key as Scalar).source === '<<' && key.type === 'PLAIN');
}

/** Maps merged into a map by `<<: *a` / `<<: [*a, *b]`, in precedence order, with their anchor names. */
export function mergeSources(doc: Document, map: YAMLMap): { map: YAMLMap; anchor?: string }[] {
  const out: { map: YAMLMap; anchor?: string }[] = [];
  for (const p of map.items) {
    if (!isMergeKey(p.key)) continue;
    const vals = isSeq(p.value) ? (p.value.items as Node[]) : [p.value as Node];
    for (const v of vals) {
      const r = resolve(doc, v);
      if (r.node && isMap(r.node)) out.push({ map: r.node as YAMLMap, anchor: r.anchor });
    }
  }
  return out;
}

/**
 * The value for a key in a map, following merge keys (own pairs win, then merged maps in order,
 * recursively) and resolving an alias value. Undefined when the key is absent.
 */
export function lookup(doc: Document, map: YAMLMap, key: string, depth = 0): Located | undefined {
  if (depth > 16) return undefined;
  const own = findPair(map, key);
  if (own && key !== '<<' && !isMergeKey(own.key)) {
    const r = resolve(doc, own.value as Node);
    if (!r.node && own.value !== null) return undefined;
    const node = (r.node ?? own.value) as Node;
    if (node === null || node === undefined) return { pair: own, node: own.value as Node, shared: false };
    return { pair: own, node, alias: r.alias, shared: r.alias !== undefined, anchor: r.anchor };
  }
  for (const src of mergeSources(doc, map)) {
    const found = lookup(doc, src.map, key, depth + 1);
    if (found) return { ...found, shared: true, anchor: found.anchor ?? src.anchor };
  }
  return undefined;
}

/** Keys of a map including merged ones (own first), without `<<`. */
export function keysOf(doc: Document, map: YAMLMap, depth = 0): string[] {
  const keys: string[] = [];
  for (const p of map.items) if (isScalar(p.key) && !isMergeKey(p.key)) keys.push(String(p.key.value));
  if (depth < 16) for (const s of mergeSources(doc, map)) for (const k of keysOf(doc, s.map, depth + 1)) if (!keys.includes(k)) keys.push(k);
  return keys;
}

// ---------------------------------------------------------------------------------------------
// Service kinds

export type ServiceKind =
  | 'postgres'
  | 'mysql'
  | 'mariadb'
  | 'redis'
  | 'valkey'
  | 'mongo'
  | 'rabbitmq'
  | 'clickhouse'
  | 'elasticsearch'
  | 'opensearch'
  | 'memcached'
  | 'kafka'
  | 'zookeeper'
  | 'minio'
  | 'nginx'
  | 'traefik'
  | 'caddy'
  | 'haproxy'
  | 'envoy'
  | 'httpd';

export type ServiceRole = 'database' | 'cache' | 'queue' | 'search' | 'storage' | 'proxy';

/** What shipshape knows about each well-known kind: its role and the ports it listens on in the container. */
export const SERVICE_KINDS: Record<ServiceKind, { role: ServiceRole; ports: number[] }> = {
  postgres: { role: 'database', ports: [5432] },
  mysql: { role: 'database', ports: [3306, 33060] },
  mariadb: { role: 'database', ports: [3306] },
  redis: { role: 'cache', ports: [6379] },
  valkey: { role: 'cache', ports: [6379] },
  mongo: { role: 'database', ports: [27017] },
  rabbitmq: { role: 'queue', ports: [5672, 15672] },
  clickhouse: { role: 'database', ports: [8123, 9000, 9009] },
  elasticsearch: { role: 'search', ports: [9200, 9300] },
  opensearch: { role: 'search', ports: [9200, 9600] },
  memcached: { role: 'cache', ports: [11211] },
  kafka: { role: 'queue', ports: [9092] },
  zookeeper: { role: 'queue', ports: [2181] },
  minio: { role: 'storage', ports: [9000, 9001] },
  nginx: { role: 'proxy', ports: [80, 443] },
  traefik: { role: 'proxy', ports: [80, 443, 8080] },
  caddy: { role: 'proxy', ports: [80, 443] },
  haproxy: { role: 'proxy', ports: [80, 443] },
  envoy: { role: 'proxy', ports: [10000] },
  httpd: { role: 'proxy', ports: [80, 443] },
};

/** Image name patterns (the repository path without registry and tag) → kind. */
const KIND_PATTERNS: [RegExp, ServiceKind][] = [
  [/(?:^|\/)(?:postgres|postgresql|postgis|timescaledb(?:-ha)?|pgvector|supabase-postgres)$|^supabase\/postgres$|^pgvector\/pgvector$|^ankane\/pgvector$/, 'postgres'],
  [/(?:^|\/)mariadb$/, 'mariadb'],
  [/(?:^|\/)(?:mysql|mysql-server|percona-server|percona)$/, 'mysql'],
  [/(?:^|\/)(?:redis|redis-stack|redis-stack-server|keydb|dragonfly)$/, 'redis'],
  [/(?:^|\/)valkey$/, 'valkey'],
  [/(?:^|\/)(?:mongo|mongodb|mongodb-community-server|mongodb-enterprise-server)$/, 'mongo'],
  [/(?:^|\/)rabbitmq$/, 'rabbitmq'],
  [/(?:^|\/)clickhouse(?:-server)?$/, 'clickhouse'],
  [/(?:^|\/)elasticsearch$/, 'elasticsearch'],
  [/(?:^|\/)opensearch$/, 'opensearch'],
  [/(?:^|\/)memcached$/, 'memcached'],
  [/(?:^|\/)(?:kafka|cp-kafka|cp-server)$/, 'kafka'],
  [/(?:^|\/)(?:zookeeper|cp-zookeeper)$/, 'zookeeper'],
  [/(?:^|\/)minio$/, 'minio'],
  [/(?:^|\/)(?:nginx|nginx-unprivileged|openresty|nginx-proxy)$/, 'nginx'],
  [/(?:^|\/)traefik$/, 'traefik'],
  [/(?:^|\/)caddy$/, 'caddy'],
  [/(?:^|\/)haproxy$/, 'haproxy'],
  [/(?:^|\/)envoy(?:-alpine)?$/, 'envoy'],
  [/(?:^|\/)httpd$/, 'httpd'],
];

export interface ImageRef {
  registry?: string;
  /** Repository path without registry and without a leading `library/` (e.g. `postgres`, `bitnami/redis`). */
  name: string;
  tag?: string;
  digest?: string;
}

/** Split an image reference (`docker.io/library/postgres:16-alpine@sha256:…`). */
export function parseImage(image: string): ImageRef {
  let rest = image.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  let registry: string | undefined;
  const slash = rest.indexOf('/');
  if (slash !== -1) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost') {
      registry = first;
      rest = rest.slice(slash + 1);
    }
  }
  if (rest.startsWith('library/')) rest = rest.slice(8);
  return { registry, name: rest.toLowerCase(), tag, digest };
}

/** The well-known kind of an image, or undefined (an application image, or unknown). */
export function kindOfImage(image: string | undefined): ServiceKind | undefined {
  if (!image) return undefined;
  const { name } = parseImage(image);
  if (name.includes('${')) return undefined;
  for (const [re, kind] of KIND_PATTERNS) if (re.test(name)) return kind;
  return undefined;
}

export function roleOf(kind: ServiceKind | undefined): ServiceRole | undefined {
  return kind ? SERVICE_KINDS[kind].role : undefined;
}

/** Databases, caches, queues, search and storage engines: backing services that should not face the outside. */
export function isBackingService(kind: ServiceKind | undefined): boolean {
  const r = roleOf(kind);
  return r !== undefined && r !== 'proxy';
}

// ---------------------------------------------------------------------------------------------
// Services

export interface EnvEntry {
  name: string;
  /** The value as a string (numbers and booleans as written), null when absent (`- NAME`, `NAME:`). */
  value: string | null;
  form: 'map' | 'list';
  /** Map form: the value scalar (a null scalar when empty); list form: the whole `NAME=value` item. */
  node: Scalar;
  /** Map form: the key scalar. */
  keyNode?: Scalar;
  /** Map form: the pair. */
  pair?: Pair<Node, Node>;
  /** The map or sequence that holds the entry. */
  container: YAMLMap | YAMLSeq;
  /** Defined in an anchor (through an alias or merge key): editing it edits every user of the anchor. */
  shared: boolean;
  anchor?: string;
}

export interface PortEntry {
  /** The item node: a scalar (short syntax) or a map (long syntax). */
  node: Node;
  container: YAMLSeq;
  index: number;
  syntax: 'short' | 'long';
  /** Host address the port binds to (`127.0.0.1`, `::1`); undefined = all interfaces. */
  hostIp?: string;
  /** Host port(s) (`5432`, `8000-8010`); undefined = an ephemeral host port (still published). */
  published?: string;
  /** Container port(s). */
  target: string;
  protocol?: string;
  /** The item as written, short syntax only (`"5432:5432"`). */
  raw?: string;
  shared: boolean;
}

export interface DependsOnEntry {
  name: string;
  /** `service_started` for the list form. */
  condition: string;
  form: 'list' | 'map';
  /** The list item scalar, or the map entry's key scalar. */
  node: Node;
  pair?: Pair<Node, Node>;
  shared: boolean;
}

export interface BuildInfo {
  /** Build context relative to the workspace root ('' = root); undefined when it is a URL. */
  context?: string;
  /** The Dockerfile path relative to the workspace root (context + dockerfile, default `Dockerfile`). */
  dockerfile?: string;
  /** Inline Dockerfile text (`dockerfile_inline`). */
  inline?: string;
  target?: string;
  located: Located;
}

export interface ComposeService {
  name: string;
  file: string;
  /** `name: …` under `services:`. */
  pair: Pair<Node, Node>;
  keyNode: Scalar;
  /** The service's own mapping (aliases resolved: `svc: *base` gives the anchor's map, with `shared`). */
  map: YAMLMap | undefined;
  /** True when the whole service is an alias of an anchor. */
  shared: boolean;
  /** Plain JS value (merges applied). */
  value: Record<string, unknown>;
  image?: string;
  kind?: ServiceKind;
  build?: BuildInfo;
  environment: EnvEntry[];
  /** The `environment` value node (map or sequence) where it is found. */
  environmentNode?: Located;
  /** `build.args` entries (map or list form), like environment entries. */
  buildArgs: EnvEntry[];
  ports: PortEntry[];
  portsNode?: Located;
  dependsOn: DependsOnEntry[];
  dependsOnNode?: Located;
  /** Networks the service joins (explicitly); empty = the default network. */
  networks: string[];
  networksNode?: Located;
  healthcheck?: Located;
  deploy?: Located;
  command?: Located;
  entrypoint?: Located;
  /** 1-based line of the service's key. */
  line: number;
  /** Look up any key of the service (merges and aliases followed). */
  get(key: string): Located | undefined;
}

export interface ComposeFile {
  file: string;
  /** Directory of the compose file relative to the root ('' = root). */
  dir: string;
  model: YamlModel;
  /** Edit target for src/edit/yaml.ts helpers. */
  target: YamlTarget;
  root: YAMLMap;
  /** `services:` pair and its map (undefined when absent or empty). */
  servicesPair?: Pair<Node, Node>;
  servicesMap?: YAMLMap;
  services: ComposeService[];
  /** Top-level sections (networks, volumes, secrets, configs, `x-…`). */
  section(key: string): Located | undefined;
  service(name: string): ComposeService | undefined;
  /** Services whose depends_on names `name`. */
  dependents(name: string): ComposeService[];
}

const cache = new WeakMap<YamlModel, ComposeFile | null>();

/** Compose files of a workspace (by name: compose.yaml, docker-compose.*.yml, …). */
export function composeFiles(ws: Workspace): string[] {
  return ws.files('compose');
}

/** Compose files meant for development only (`*.dev.y*ml`, `*override*`, `compose.local.*`, `*.development.*`). */
export function isDevComposeFile(file: string): boolean {
  const b = basename(file).toLowerCase();
  return /override/.test(b) || /[.-](?:dev|development|local|debug|test)\.ya?ml$/.test(b) || /^(?:docker-)?compose\.local\./.test(b);
}

/** The compose model of a file (cached per parsed text), or undefined when it is not a YAML map. */
export function compose(ws: Workspace, file: string): ComposeFile | undefined {
  const model = yaml(ws, file);
  if (!model) return undefined;
  const c = cache.get(model);
  if (c !== undefined) return c ?? undefined;
  const built = buildCompose(file, model);
  cache.set(model, built ?? null);
  return built;
}

/** Build the model from a parsed YAML text (tests use this directly). */
export function buildCompose(file: string, model: YamlModel): ComposeFile | undefined {
  const doc = model.doc;
  const root = doc.contents;
  if (!isMap(root)) return undefined;
  const dir = dirname(file);
  const servicesPair = findPair(root, 'services');
  const servicesRes = servicesPair ? resolve(doc, servicesPair.value as Node) : { node: undefined };
  const servicesMap = servicesRes.node && isMap(servicesRes.node) ? (servicesRes.node as YAMLMap) : undefined;
  const services: ComposeService[] = [];
  if (servicesMap) {
    for (const p of servicesMap.items) {
      if (!isScalar(p.key)) continue;
      services.push(buildService(doc, model, file, dir, p as Pair<Node, Node>));
    }
  }
  // Indexes built on first use: rules ask for a service and its dependents once per service, and
  // scanning every service each time is quadratic in big files.
  let byName: Map<string, ComposeService> | undefined;
  let dependentsOf: Map<string, ComposeService[]> | undefined;
  const cf: ComposeFile = {
    file,
    dir,
    model,
    target: yamlTarget(file, model),
    root,
    servicesPair,
    servicesMap,
    services,
    section: (key) => lookup(doc, root, key),
    service: (name) => {
      if (!byName) {
        byName = new Map();
        for (const s of services) if (!byName.has(s.name)) byName.set(s.name, s);
      }
      return byName.get(name);
    },
    dependents: (name) => {
      if (!dependentsOf) {
        dependentsOf = new Map();
        for (const s of services) {
          for (const d of s.dependsOn) {
            let list = dependentsOf.get(d.name);
            if (!list) dependentsOf.set(d.name, (list = []));
            if (list[list.length - 1] !== s) list.push(s);
          }
        }
      }
      return [...(dependentsOf.get(name) ?? [])];
    },
  };
  return cf;
}

function str(n: Node | undefined): string | undefined {
  if (!n || !isScalar(n) || n.value === null || n.value === undefined) return undefined;
  return String(n.value);
}

function buildService(doc: Document, model: YamlModel, file: string, dir: string, pair: Pair<Node, Node>): ComposeService {
  const name = String((pair.key as Scalar).value);
  const r = resolve(doc, pair.value as Node);
  const map = r.node && isMap(r.node) ? (r.node as YAMLMap) : undefined;
  const serviceShared = r.alias !== undefined;
  const get = (key: string): Located | undefined => {
    if (!map) return undefined;
    const l = lookup(doc, map, key);
    if (!l) return undefined;
    return serviceShared ? { ...l, shared: true, anchor: l.anchor ?? r.anchor } : l;
  };
  const js = (model.value as { services?: Record<string, unknown> } | undefined)?.services?.[name];
  const value = js && typeof js === 'object' ? (js as Record<string, unknown>) : {};
  const image = typeof value.image === 'string' ? value.image : undefined;
  const svc: ComposeService = {
    name,
    file,
    pair,
    keyNode: pair.key as Scalar,
    map,
    shared: serviceShared,
    value,
    image,
    kind: kindOfImage(image),
    environment: [],
    buildArgs: [],
    ports: [],
    dependsOn: [],
    networks: [],
    line: lineOf(model.text, (pair.key as Scalar).range?.[0] ?? 0),
    get,
  };
  svc.build = buildInfo(doc, dir, get('build'));
  const buildLoc = get('build');
  if (buildLoc && isMap(buildLoc.node)) {
    const args = lookup(doc, buildLoc.node as YAMLMap, 'args');
    if (args) svc.buildArgs = envEntries(doc, buildLoc.shared ? { ...args, shared: true, anchor: args.anchor ?? buildLoc.anchor } : args);
  }
  const env = get('environment');
  if (env) {
    svc.environmentNode = env;
    svc.environment = envEntries(doc, env);
  }
  const ports = get('ports');
  if (ports && isSeq(ports.node)) {
    svc.portsNode = ports;
    svc.ports = portEntries(ports.node as YAMLSeq, ports.shared);
  }
  const deps = get('depends_on');
  if (deps) {
    svc.dependsOnNode = deps;
    svc.dependsOn = dependsEntries(doc, deps);
  }
  const nets = get('networks');
  if (nets) {
    svc.networksNode = nets;
    if (isSeq(nets.node)) svc.networks = (nets.node.items as Node[]).map((n) => str(resolve(doc, n).node)).filter((s): s is string => !!s);
    else if (isMap(nets.node)) svc.networks = keysOf(doc, nets.node as YAMLMap);
  }
  svc.healthcheck = get('healthcheck');
  svc.deploy = get('deploy');
  svc.command = get('command');
  svc.entrypoint = get('entrypoint');
  return svc;
}

function buildInfo(doc: Document, dir: string, loc: Located | undefined): BuildInfo | undefined {
  if (!loc) return undefined;
  const isUrl = (c: string) => /^(?:[a-z][a-z0-9+.-]*:\/\/|git@|github\.com\/)/i.test(c);
  if (isScalar(loc.node)) {
    const c = str(loc.node);
    if (c === undefined) return undefined;
    if (isUrl(c)) return { located: loc };
    const context = joinPath(dir, c);
    return { context, dockerfile: joinPath(context, 'Dockerfile'), located: loc };
  }
  if (!isMap(loc.node)) return { located: loc };
  const m = loc.node as YAMLMap;
  const c = str(lookup(doc, m, 'context')?.node) ?? '.';
  const df = str(lookup(doc, m, 'dockerfile')?.node);
  const inline = str(lookup(doc, m, 'dockerfile_inline')?.node);
  const target = str(lookup(doc, m, 'target')?.node);
  if (isUrl(c)) return { inline, target, located: loc };
  const context = joinPath(dir, c);
  return {
    context,
    dockerfile: inline !== undefined ? undefined : df && df.startsWith('/') ? undefined : joinPath(context, df ?? 'Dockerfile'),
    inline,
    target,
    located: loc,
  };
}

function envEntries(doc: Document, loc: Located): EnvEntry[] {
  const out: EnvEntry[] = [];
  const seen = new Set<string>();
  const walkMap = (m: YAMLMap, shared: boolean, anchor: string | undefined, depth: number): void => {
    for (const p of m.items) {
      if (!isScalar(p.key) || isMergeKey(p.key)) continue;
      const name = String(p.key.value);
      if (seen.has(name)) continue;
      seen.add(name);
      const vr = resolve(doc, p.value as Node);
      const vnode = (vr.node ?? p.value) as Node | null;
      // `NAME:` with nothing after it has a null value (the yaml library may give no node at all).
      const node: Scalar = vnode && isScalar(vnode) ? (vnode as Scalar) : (p.value as Scalar);
      const value = vnode && isScalar(vnode) && vnode.value !== null && vnode.value !== undefined ? String(vnode.value) : null;
      out.push({
        name,
        value,
        form: 'map',
        node,
        keyNode: p.key as Scalar,
        pair: p as Pair<Node, Node>,
        container: m,
        shared: shared || vr.alias !== undefined,
        anchor: vr.anchor ?? (shared ? (m.anchor ?? anchor) : undefined),
      });
    }
    if (depth < 16) for (const s of mergeSources(doc, m)) walkMap(s.map, true, s.anchor ?? anchor, depth + 1);
  };
  if (isMap(loc.node)) walkMap(loc.node as YAMLMap, loc.shared, loc.anchor, 0);
  else if (isSeq(loc.node)) {
    for (const it of (loc.node as YAMLSeq).items as Node[]) {
      const r = resolve(doc, it);
      if (!r.node || !isScalar(r.node) || r.node.value === null) continue;
      const s = String(r.node.value);
      const eq = s.indexOf('=');
      const name = eq === -1 ? s : s.slice(0, eq);
      if (seen.has(name)) continue;
      seen.add(name);
      out.push({
        name,
        value: eq === -1 ? null : s.slice(eq + 1),
        form: 'list',
        node: r.node as Scalar,
        container: loc.node as YAMLSeq,
        shared: loc.shared || r.alias !== undefined,
        anchor: r.anchor ?? loc.anchor,
      });
    }
  }
  return out;
}

/** Parse a short-syntax port (`[HOST_IP:][HOST:]CONTAINER[/PROTO]`, IPv6 host in brackets). */
export function parsePortShort(s: string): { hostIp?: string; published?: string; target: string; protocol?: string } {
  let rest = s.trim();
  let protocol: string | undefined;
  const slash = rest.lastIndexOf('/');
  if (slash !== -1) {
    protocol = rest.slice(slash + 1);
    rest = rest.slice(0, slash);
  }
  let hostIp: string | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    hostIp = rest.slice(1, close);
    rest = rest.slice(close + 2);
  }
  const parts = rest.split(':');
  if (hostIp === undefined && parts.length >= 3) hostIp = parts.slice(0, parts.length - 2).join(':');
  const target = parts[parts.length - 1]!;
  const published = parts.length >= 2 ? parts[parts.length - 2] || undefined : undefined;
  return { hostIp: hostIp || undefined, published, target, protocol };
}

function portEntries(seq: YAMLSeq, shared: boolean): PortEntry[] {
  const out: PortEntry[] = [];
  (seq.items as Node[]).forEach((it, index) => {
    if (isScalar(it) && it.value !== null) {
      const raw = String(it.value);
      out.push({ node: it, container: seq, index, syntax: 'short', raw, ...parsePortShort(raw), shared });
    } else if (isMap(it)) {
      const m = it as YAMLMap;
      const g = (k: string) => str(findPair(m, k)?.value as Node | undefined);
      out.push({
        node: it,
        container: seq,
        index,
        syntax: 'long',
        hostIp: g('host_ip'),
        published: g('published'),
        target: g('target') ?? '',
        protocol: g('protocol'),
        shared,
      });
    }
  });
  return out;
}

function dependsEntries(doc: Document, loc: Located): DependsOnEntry[] {
  const out: DependsOnEntry[] = [];
  if (isSeq(loc.node)) {
    for (const it of (loc.node as YAMLSeq).items as Node[]) {
      const n = str(resolve(doc, it).node);
      if (n) out.push({ name: n, condition: 'service_started', form: 'list', node: it, shared: loc.shared });
    }
  } else if (isMap(loc.node)) {
    const m = loc.node as YAMLMap;
    for (const k of keysOf(doc, m)) {
      const l = lookup(doc, m, k)!;
      const cond = l.node && isMap(l.node) ? str(lookup(doc, l.node as YAMLMap, 'condition')?.node) : undefined;
      out.push({ name: k, condition: cond ?? 'service_started', form: 'map', node: l.pair!.key as Node, pair: l.pair, shared: loc.shared || l.shared });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Edits

/**
 * Edits that make a service depend on others with conditions (e.g. `{db: 'service_healthy'}` or
 * `{migrate: 'service_completed_successfully'}`), merged with what it has:
 * - own depends_on (list or map): merged in place (list form converted to map form);
 * - depends_on inherited through a merge key or written as an alias: when every wanted name is
 *   already there, the conditions are raised where they are defined (the anchor, so all its users
 *   agree); otherwise an own depends_on overriding the inherited one is added to the service,
 *   repeating the inherited entries with their conditions;
 * - none: a new map-form depends_on on the service.
 */
export function dependsOnEdits(cf: ComposeFile, svc: ComposeService, deps: Record<string, DependsCondition>, opts: DependsOnOptions = {}): ModifyEdit[] {
  if (!svc.map) throw new Error(`service ${svc.name} is not a mapping`);
  const loc = svc.dependsOnNode;
  if (!svc.shared && (!loc || !loc.shared)) return mergeDependsOn(cf.target, svc.map, deps, opts);
  if (loc && (isMap(loc.node) || isSeq(loc.node))) {
    const names = svc.dependsOn.map((d) => d.name);
    if (Object.keys(deps).every((n) => names.includes(n))) {
      const defPair = loc.alias ? pairWithValue(cf.model.doc, loc.node) : loc.pair;
      if (defPair) return mergeIntoDependsOn(cf.target, defPair, deps, opts);
    }
  }
  if (svc.shared) throw new Error(`service ${svc.name} is an alias of an anchor: edit the anchor`);
  const inherited: Record<string, DependsCondition> = { ...(opts.inherited ?? {}) };
  for (const d of svc.dependsOn) inherited[d.name] ??= d.condition as DependsCondition;
  for (const n of Object.keys(deps)) delete inherited[n];
  return mergeDependsOn(cf.target, svc.map, deps, { ...opts, inherited });
}

/** The pair whose value is a node (e.g. `x-deps: &deps …` for the anchored node). */
export function pairWithValue(doc: Document, node: Node): Pair<Node, Node> | undefined {
  let found: Pair<Node, Node> | undefined;
  const walk = (n: unknown, depth: number): void => {
    if (found || depth > 64 || !n) return;
    if (isMap(n)) {
      for (const p of n.items) {
        if (p.value === node) {
          found = p as Pair<Node, Node>;
          return;
        }
        walk(p.value, depth + 1);
      }
    } else if (isSeq(n)) for (const i of n.items) walk(i, depth + 1);
  };
  walk(doc.contents, 0);
  return found;
}

/** The map node that owns a pair (searching the whole document). */
export function holderOf(doc: Document, pair: Pair): YAMLMap | undefined {
  let found: YAMLMap | undefined;
  const walk = (n: unknown, depth: number): void => {
    if (found || depth > 64 || !n) return;
    if (isMap(n)) {
      if ((n.items as unknown[]).includes(pair)) {
        found = n as YAMLMap;
        return;
      }
      for (const p of n.items) walk((p as Pair).value, depth + 1);
    } else if (isSeq(n)) for (const i of n.items) walk(i, depth + 1);
    else if (isPair(n)) walk(n.value, depth + 1);
  };
  walk(doc.contents, 0);
  return found;
}

/** Top-level networks declared `internal: true` (no route to or from the host and the internet). */
export function internalNetworks(cf: ComposeFile): Set<string> {
  const out = new Set<string>();
  const top = cf.section('networks');
  if (!top || !isMap(top.node)) return out;
  for (const p of (top.node as YAMLMap).items) {
    if (!isScalar(p.key) || !isMap(p.value)) continue;
    const internal = findPair(p.value as YAMLMap, 'internal');
    if (internal && isScalar(internal.value) && (internal.value.value === true || internal.value.value === 'true')) out.add(String(p.key.value));
  }
  return out;
}
