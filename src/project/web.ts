// Web-facing knowledge of an application read from its code: WebSocket endpoints (FastAPI
// `@app.websocket`/`@router.websocket` with APIRouter prefixes and include_router prefixes
// followed across modules, Flask-SocketIO/Flask-Sock, python-socketio, Node socket.io, `ws`,
// express-ws), the prefix its HTTP routes live under (`/api`), upload/body limits it declares,
// whether it is a browser frontend and which paths that frontend calls on its API.
// Python is read with tree-sitter (src/parsers/python.ts), JavaScript/TypeScript with the compiler
// (src/parsers/typescript.ts): syntax trees, not regular expressions over code.
import type { Workspace } from '../workspace.js';
import { python, type PyNode, type PythonModel } from '../parsers/python.js';
import { forEachDescendant, lineAt, mayHideText, moduleSpecifierValue, nodeText, PerText, tsApi, tsSourceOnce, type TsNode, type TsSourceFile } from '../parsers/typescript.js';
import { yaml } from '../parsers/yaml.js';
import type { ts as TsT } from 'ts-morph';
import { dirname, joinPath } from '../classify.js';

export type EndpointKind = 'fastapi' | 'flask-sock' | 'socketio' | 'ws' | 'express-ws' | 'http';

export interface Endpoint {
  /** The path as the app serves it (route parameters kept, e.g. /ws/progress/{job_id}). */
  path: string;
  /** The endpoint serves every path under `path` (socket.io, a `ws` server without a path). */
  prefix: boolean;
  kind: EndpointKind;
  file: string;
  line: number;
}

export interface UploadLimit {
  bytes: number;
  /** What declares it, e.g. "MAX_UPLOAD_SIZE" or "express.json limit". */
  name: string;
  file: string;
  line: number;
}

export interface FrontendCall {
  path: string;
  ws: boolean;
  file: string;
}

export interface AppAnalysis {
  /** The app's directory ('' for the repository root). */
  dir: string;
  wsEndpoints: Endpoint[];
  httpRoutes: Endpoint[];
  /** "/api" when every HTTP route (health and docs routes aside) lives under that first segment. */
  apiPrefix?: string;
  /** The largest upload/body limit the app declares. */
  uploadLimit?: UploadLimit;
  /** A browser frontend (React, Vue, Svelte, Angular, Next, Vite…). */
  frontend: boolean;
  /** Next.js / Nuxt: the frontend also answers API routes itself. */
  frameworks: string[];
  /** Paths the frontend's code calls (fetch/axios/baseURL, WebSocket URLs, dev-server proxy keys). */
  calls: FrontendCall[];
  /** A base path the frontend is built for (Vite `base`, Next `basePath`), when not "/". */
  basePath?: string;
}

const MIB = 1024 * 1024;

/** Paths that are not part of an API's public surface when deciding its prefix. */
const INFRA_ROUTES = /^\/(?:(?:health[a-z]*|healthz|ready[a-z]*|readyz|livez?|liveness|readiness|ping|status|metrics|docs|redoc|openapi\.json|favicon\.ico)(?:\/.*)?)?$/;

/** Health, readiness, metrics and API-docs routes (and "/"): operational, not the app's public surface. */
export function isInfraRoute(path: string): boolean {
  return INFRA_ROUTES.test(path);
}

function under(dir: string, file: string): boolean {
  return dir === '' || file.startsWith(dir + '/');
}

function isTestFile(f: string): boolean {
  return /(?:^|\/)(?:tests?|__tests__|spec)\//.test(f) || /(?:^|\/)test_[^/]*\.py$/.test(f) || /\.(?:test|spec)\.[cm]?[jt]sx?$/.test(f);
}

/** Join URL path pieces: "/api" + "/v1" + "/ws/{id}" → "/api/v1/ws/{id}". */
export function joinUrl(...parts: string[]): string {
  let out = parts.filter((p) => p !== '').join('/').replace(/\/{2,}/g, '/');
  if (!out.startsWith('/')) out = '/' + out;
  return out;
}

/** Analyse the app whose code lives under dir (once per state of what it reads; the result is shared, read-only). */
export function analyzeApp(ws: Workspace, dir: string): Promise<AppAnalysis> {
  return ws.memo(`web/analyzeApp\0${dir}`, () => analyze(ws, dir));
}

async function analyze(ws: Workspace, dir: string): Promise<AppAnalysis> {
  // Listed by kind: the analysis depends only on Python, JS/TS and the app's package.json, so a
  // file of another kind appearing in the app (a .dockerignore a fix adds) does not redo it.
  const res: AppAnalysis = { dir, wsEndpoints: [], httpRoutes: [], frontend: false, frameworks: [], calls: [] };
  const pyFiles = ws.filesUnder(dir, 'python').filter((f) => !isTestFile(f));
  if (pyFiles.length) await analyzePython(ws, dir, pyFiles, res);
  // Only the app's own manifest: a repository-root context also holds other apps' package.json files.
  const manifest = joinPath(dir, 'package.json');
  const pkgs = ws.exists(manifest) && !isTestFile(manifest) ? [manifest] : [];
  for (const p of pkgs) {
    try {
      const pkg = JSON.parse(ws.text(p) ?? '{}') as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
      const deps = { ...(pkg.dependencies ?? {}), ...(pkg.devDependencies ?? {}) };
      for (const fw of ['react', 'vue', 'svelte', '@angular/core', 'next', 'nuxt', 'vite', 'solid-js', 'preact', '@sveltejs/kit']) {
        if (deps[fw]) {
          res.frontend = true;
          if (!res.frameworks.includes(fw)) res.frameworks.push(fw);
        }
      }
    } catch {
      /* an unreadable package.json tells nothing */
    }
  }
  const tsFiles = ws.filesUnder(dir, 'typescript').filter((f) => !isTestFile(f));
  if (tsFiles.length) await analyzeScript(ws, tsFiles, res);
  res.apiPrefix = commonPrefix(res.httpRoutes);
  return res;
}

function commonPrefix(routes: Endpoint[]): string | undefined {
  const segs = new Set<string>();
  let n = 0;
  for (const r of routes) {
    if (isInfraRoute(r.path)) continue;
    n++;
    const m = /^\/([^/{}:*]+)(?:\/|$)/.exec(r.path);
    if (!m || r.path === '/' + m[1]) {
      // A route that is only one segment ("/upload") is not under a shared prefix.
      if (!m || !/^api$/i.test(m[1]!)) return undefined;
    }
    segs.add(m![1]!);
  }
  if (n === 0 || segs.size !== 1) return undefined;
  return '/' + [...segs][0]!;
}

// ---------------------------------------------------------------------------------------------
// Python

interface PyObject {
  kind: 'app' | 'router' | 'socketio' | 'sock';
  prefix: string;
  file: string;
}
interface PyImport {
  module: string;
  level: number;
  name?: string;
}
interface PyEdge {
  parent: string;
  child: string;
  prefix: string;
}
interface PyRoute {
  owner: string | undefined;
  path: string;
  ws: boolean;
  kind: EndpointKind;
  file: string;
  line: number;
}

const APP_CTORS = new Set(['FastAPI', 'Starlette', 'Flask', 'Quart', 'Sanic']);
const ROUTER_CTORS = new Set(['APIRouter', 'Blueprint', 'Router']);
const HTTP_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'head', 'options', 'api_route', 'route']);
/** The node types analyzePython reads. */
const PY_WALKED = ['import_statement', 'import_from_statement', 'assignment', 'decorator', 'call'];
/**
 * The same without calls, for a module whose text names none of the methods a call is read for
 * (include_router, register_blueprint, mount, add_api_route…): calls are the most numerous of these
 * nodes, and a method's name is in the source as written (Python identifiers have no escapes).
 */
const PY_WALKED_NO_CALLS = PY_WALKED.filter((t) => t !== 'call');
const PY_CALL_NEEDLES = ['include_router', 'register_blueprint', 'mount', 'add_api_route', 'add_api_websocket_route', 'add_websocket_route', 'add_url_rule'];

function pyString(n: PyNode | null | undefined): string | undefined {
  if (!n) return undefined;
  if (n.type === 'string') {
    const parts = n.namedChildren.filter((c) => c && c.type !== 'string_start' && c.type !== 'string_end');
    if (parts.some((c) => c!.type === 'interpolation')) return undefined;
    return parts.map((c) => c!.text).join('');
  }
  if (n.type === 'concatenated_string') {
    let s = '';
    for (const c of n.namedChildren) {
      const v = pyString(c);
      if (v === undefined) return undefined;
      s += v;
    }
    return s;
  }
  return undefined;
}

function kwArg(args: PyNode | null, name: string): PyNode | undefined {
  if (!args) return undefined;
  for (const a of args.namedChildren) {
    if (a && a.type === 'keyword_argument' && a.childForFieldName('name')?.text === name) return a.childForFieldName('value') ?? undefined;
  }
  return undefined;
}

function posArgs(args: PyNode | null): PyNode[] {
  if (!args) return [];
  return args.namedChildren.filter((a): a is PyNode => !!a && a.type !== 'keyword_argument' && a.type !== 'comment');
}

function calleeName(call: PyNode): string {
  const fn = call.childForFieldName('function');
  if (!fn) return '';
  if (fn.type === 'identifier') return fn.text;
  if (fn.type === 'attribute') return fn.childForFieldName('attribute')?.text ?? '';
  return '';
}

/** Evaluate a small numeric expression (50 * 1024 * 1024, int(os.getenv("X", "10485760"))). */
function pyNumber(n: PyNode | null | undefined): number | undefined {
  if (!n) return undefined;
  switch (n.type) {
    case 'integer':
      return Number(n.text.replace(/_/g, '').toLowerCase().replace(/l$/, ''));
    case 'float':
      return Number(n.text.replace(/_/g, ''));
    case 'parenthesized_expression':
      return pyNumber(n.namedChildren[0]);
    case 'binary_operator': {
      const l = pyNumber(n.childForFieldName('left'));
      const r = pyNumber(n.childForFieldName('right'));
      const op = n.childForFieldName('operator')?.text;
      if (l === undefined || r === undefined) return undefined;
      if (op === '*') return l * r;
      if (op === '+') return l + r;
      if (op === '-') return l - r;
      if (op === '**') return l ** r;
      if (op === '<<') return l * 2 ** r;
      return undefined;
    }
    case 'string': {
      const s = pyString(n);
      return s !== undefined && /^\s*\d+(?:\.\d+)?\s*$/.test(s) ? Number(s) : undefined;
    }
    case 'call': {
      const name = calleeName(n);
      const args = n.childForFieldName('arguments');
      const pos = posArgs(args);
      if ((name === 'int' || name === 'float') && pos.length === 1) return pyNumber(pos[0]);
      if ((name === 'getenv' || name === 'get') && pos.length >= 2) return pyNumber(pos[1]);
      if (name === 'Field') return pyNumber(kwArg(args, 'default') ?? pos[0]);
      return undefined;
    }
    default:
      return undefined;
  }
}

const LIMIT_NAME = /^(?:MAX_(?:UPLOAD|FILE|CONTENT|BODY|REQUEST|DOCUMENT|PDF)\w*|\w*UPLOAD\w*(?:SIZE|LIMIT|BYTES|MB)\w*)$/i;

function limitBytes(name: string, value: number): number | undefined {
  if (!(value > 0)) return undefined;
  if (/(?:^|_)(?:MB|MIB|MEGABYTES)(?:_|$)/i.test(name)) return value * MIB;
  if (/(?:^|_)(?:GB|GIB)(?:_|$)/i.test(name)) return value * 1024 * MIB;
  if (/(?:^|_)(?:KB|KIB)(?:_|$)/i.test(name)) return value * 1024;
  // A bare number under 1 KiB without a unit in its name is not a byte count we can trust.
  return value >= 1024 ? value : undefined;
}

/**
 * What one module contributes to an app's analysis: its imports, the app/router objects it creates,
 * its routes (owner: an index into owners), mounts, limits and root WebSocket endpoints, in the order
 * the walk meets them. A function of the parse alone, so it is kept per parse: when a fix changes one
 * module of an app, the analysis done again walks that module only.
 */
interface PyFileFacts {
  file: string;
  imports: Map<string, PyImport>;
  objects: Map<string, PyObject>;
  routes: PyRoute[];
  owners: PyNode[];
  pending: { file: string; parent: PyNode; child: PyNode; prefix: string }[];
  limits: UploadLimit[];
  rootWs: PyRoute[];
}

const pyFactsCache = new WeakMap<PythonModel, PyFileFacts>();

function pyFileFacts(file: string, m: PythonModel): PyFileFacts {
  const hit = pyFactsCache.get(m);
  if (hit && hit.file === file) return hit;
  const objects = new Map<string, PyObject>(); // file#name → object
  const routes: PyRoute[] = [];
  const pending: { file: string; parent: PyNode; child: PyNode; prefix: string }[] = [];
  const limits: UploadLimit[] = [];
  const rootWs: PyRoute[] = [];
  // Route owners are resolved once every module is read: keep the node (the analysis keys it).
  const owners: PyNode[] = [];
  const refKey = (_file: string, node: PyNode): string => String(owners.push(node) - 1);
  const isSockObject = (file: string, obj: PyNode): boolean => objects.get(`${file}#${obj.text}`)?.kind === 'sock';
  const imp = new Map<string, PyImport>();
  {
    // The nodes of these types, in the order a depth-first walk meets them: one search in wasm
    // instead of a JS object for every node of the tree (imports hold none of the other types).
    const types = PY_CALL_NEEDLES.some((w) => m.text.includes(w)) ? PY_WALKED : PY_WALKED_NO_CALLS;
    for (const n of m.root.descendantsOfType(types)) {
      if (!n) continue;
      switch (n.type) {
        case 'import_statement':
          for (const c of n.childrenForFieldName('name')) {
            if (!c) continue;
            if (c.type === 'aliased_import') {
              imp.set(c.childForFieldName('alias')!.text, { module: c.childForFieldName('name')!.text, level: 0 });
            } else {
              const first = c.text.split('.')[0]!;
              imp.set(first, { module: first, level: 0 });
            }
          }
          break;
        case 'import_from_statement': {
          const modNode = n.childForFieldName('module_name');
          let module = '';
          let level = 0;
          if (modNode?.type === 'relative_import') {
            const prefix = modNode.namedChildren.find((c) => c?.type === 'import_prefix');
            level = prefix ? prefix.text.length : 0;
            module = modNode.namedChildren.find((c) => c?.type === 'dotted_name')?.text ?? '';
          } else if (modNode) module = modNode.text;
          for (const c of n.childrenForFieldName('name')) {
            if (!c) continue;
            if (c.type === 'aliased_import') {
              imp.set(c.childForFieldName('alias')!.text, { module, level, name: c.childForFieldName('name')!.text });
            } else imp.set(c.text, { module, level, name: c.text });
          }
          break;
        }
        case 'assignment': {
          const left = n.childForFieldName('left');
          const right = n.childForFieldName('right');
          if (left?.type === 'identifier' && right?.type === 'call') {
            const ctor = calleeName(right);
            const args = right.childForFieldName('arguments');
            if (APP_CTORS.has(ctor)) objects.set(`${file}#${left.text}`, { kind: 'app', prefix: '', file });
            else if (ROUTER_CTORS.has(ctor)) {
              const p = pyString(kwArg(args, 'prefix') ?? kwArg(args, 'url_prefix')) ?? '';
              objects.set(`${file}#${left.text}`, { kind: 'router', prefix: p, file });
            } else if (ctor === 'AsyncServer' || (ctor === 'Server' && right.childForFieldName('function')?.text.startsWith('socketio'))) {
              objects.set(`${file}#${left.text}`, { kind: 'socketio', prefix: '', file });
            } else if (ctor === 'Sock') {
              objects.set(`${file}#${left.text}`, { kind: 'sock', prefix: '', file });
            } else if (ctor === 'SocketIO') {
              // Flask-SocketIO wraps the Flask app and serves /socket.io/.
              rootWs.push({ owner: undefined, path: '/socket.io', ws: true, kind: 'socketio', file, line: n.startPosition.row + 1 });
            } else if (ctor === 'ASGIApp' || ctor === 'WSGIApp') {
              const path = pyString(kwArg(args, 'socketio_path')) ?? 'socket.io';
              rootWs.push({ owner: undefined, path: joinUrl(path), ws: true, kind: 'socketio', file, line: n.startPosition.row + 1 });
            }
          }
          // Upload limits: MAX_UPLOAD_SIZE = 50 * 1024 * 1024, MAX_UPLOAD_MB: int = 50, app.config["MAX_CONTENT_LENGTH"] = …
          let name: string | undefined;
          if (left?.type === 'identifier') name = left.text;
          else if (left?.type === 'subscript') name = pyString(left.childForFieldName('subscript'));
          else if (left?.type === 'attribute') name = left.childForFieldName('attribute')?.text;
          if (name && (LIMIT_NAME.test(name) || name === 'MAX_CONTENT_LENGTH')) {
            const v = pyNumber(right);
            const bytes = v === undefined ? undefined : limitBytes(name, v);
            if (bytes) limits.push({ bytes, name, file, line: n.startPosition.row + 1 });
          }
          break;
        }
        case 'decorator': {
          const call = n.namedChildren.find((c) => c?.type === 'call');
          const fn = call?.childForFieldName('function');
          if (call && fn?.type === 'attribute') {
            const method = fn.childForFieldName('attribute')!.text;
            const obj = fn.childForFieldName('object')!;
            const path = pyString(posArgs(call.childForFieldName('arguments'))[0]);
            if (path !== undefined) {
              const line = n.startPosition.row + 1;
              if (method === 'websocket' || method === 'websocket_route') {
                routes.push({ owner: refKey(file, obj), path, ws: true, kind: 'fastapi', file, line });
              } else if (method === 'route' && isSockObject(file, obj)) {
                routes.push({ owner: refKey(file, obj), path, ws: true, kind: 'flask-sock', file, line });
              } else if (HTTP_METHODS.has(method)) {
                routes.push({ owner: refKey(file, obj), path, ws: false, kind: 'http', file, line });
              }
            }
          }
          break;
        }
        case 'call': {
          const fn = n.childForFieldName('function');
          if (fn?.type === 'attribute') {
            const method = fn.childForFieldName('attribute')!.text;
            const obj = fn.childForFieldName('object')!;
            const args = n.childForFieldName('arguments');
            const pos = posArgs(args);
            const line = n.startPosition.row + 1;
            if ((method === 'include_router' || method === 'register_blueprint') && pos[0]) {
              const prefix = pyString(kwArg(args, 'prefix') ?? kwArg(args, 'url_prefix')) ?? '';
              pending.push({ file, parent: obj, child: pos[0], prefix });
            } else if (method === 'mount' && pos.length >= 2) {
              const prefix = pyString(pos[0]);
              if (prefix !== undefined) pending.push({ file, parent: obj, child: pos[1]!, prefix });
            } else if ((method === 'add_api_websocket_route' || method === 'add_websocket_route') && pos[0]) {
              const path = pyString(pos[0]);
              if (path !== undefined) routes.push({ owner: refKey(file, obj), path, ws: true, kind: 'fastapi', file, line });
            } else if ((method === 'add_api_route' || method === 'add_url_rule') && pos[0]) {
              const path = pyString(pos[0]);
              if (path !== undefined) routes.push({ owner: refKey(file, obj), path, ws: false, kind: 'http', file, line });
            }
          }
          break;
        }
      }
    }
  }
  const facts: PyFileFacts = { file, imports: imp, objects, routes, owners, pending, limits, rootWs };
  pyFactsCache.set(m, facts);
  return facts;
}

async function analyzePython(ws: Workspace, dir: string, files: string[], res: AppAnalysis): Promise<void> {
  const objects = new Map<string, PyObject>(); // file#name → object
  const imports = new Map<string, Map<string, PyImport>>(); // file → local name → import
  const edges: PyEdge[] = [];
  const routes: PyRoute[] = [];
  const pending: { file: string; parent: PyNode; child: PyNode; prefix: string }[] = [];
  const limits: UploadLimit[] = [];
  const rootWs: PyRoute[] = [];
  // Route owners are met during the walk, before every module is read: keep the node, resolve later.
  const lazy = new Map<string, { file: string; node: PyNode }>();
  const refKey = (file: string, node: PyNode): string => {
    const k = `lazy:${lazy.size}`;
    lazy.set(k, { file, node });
    return k;
  };

  for (const file of files) {
    const m = await python(ws, file);
    if (!m) continue;
    // The module's facts (kept per parse), added in the order its walk met them.
    const f = pyFileFacts(file, m);
    imports.set(file, f.imports);
    for (const [k, o] of f.objects) objects.set(k, o);
    for (const r of f.routes) routes.push({ ...r, owner: r.owner === undefined ? undefined : refKey(file, f.owners[Number(r.owner)]!) });
    pending.push(...f.pending);
    for (const l of f.limits) limits.push({ ...l });
    for (const r of f.rootWs) rootWs.push({ ...r });
  }

  // Resolution of references to app/router objects across modules.
  const moduleFile = (from: string, module: string, level: number): string | undefined => {
    const rel = module ? module.split('.').join('/') : '';
    const cands: string[] = [];
    if (level > 0) {
      let base = dirname(from);
      for (let i = 1; i < level; i++) base = dirname(base);
      cands.push(joinPath(base, rel));
    } else {
      for (let d = dirname(from); ; d = dirname(d)) {
        cands.push(joinPath(d, rel));
        if (d === '' || d === dir) break;
      }
      cands.push(joinPath(dir, 'src', rel));
    }
    for (const c of cands) {
      if (c && ws.exists(c + '.py')) return c + '.py';
      if (ws.exists(joinPath(c, '__init__.py'))) return joinPath(c, '__init__.py');
    }
    return undefined;
  };
  const resolveName = (file: string, name: string, depth = 0): string | undefined => {
    if (depth > 8) return undefined;
    if (objects.has(`${file}#${name}`)) return `${file}#${name}`;
    const im = imports.get(file)?.get(name);
    if (!im) return undefined;
    if (im.name !== undefined) {
      const mf = moduleFile(file, im.module, im.level);
      if (mf) return resolveName(mf, im.name, depth + 1);
    }
    return undefined;
  };
  const resolveModuleRef = (file: string, dotted: string): string | undefined => {
    const [head, ...rest] = dotted.split('.');
    const im = imports.get(file)?.get(head!);
    if (!im) return undefined;
    const base = im.name !== undefined ? (im.module ? `${im.module}.${im.name}` : im.name) : im.module;
    return moduleFile(file, [base, ...rest].filter(Boolean).join('.'), im.level);
  };
  function refKeyImpl(file: string, node: PyNode): string | undefined {
    if (node.type === 'identifier') return resolveName(file, node.text) ?? `${file}#${node.text}`;
    if (node.type === 'attribute') {
      const obj = node.childForFieldName('object')!;
      const attr = node.childForFieldName('attribute')!.text;
      const mf = resolveModuleRef(file, obj.text);
      if (mf) return resolveName(mf, attr) ?? `${mf}#${attr}`;
    }
    return undefined;
  }
  const resolve = (k: string | undefined): string | undefined => {
    if (!k) return undefined;
    const l = lazy.get(k);
    return l ? refKeyImpl(l.file, l.node) : k;
  };
  for (const p of pending) {
    const parent = refKeyImpl(p.file, p.parent);
    const child = refKeyImpl(p.file, p.child);
    if (parent && child) edges.push({ parent, child, prefix: p.prefix });
  }

  const prefixesOf = (id: string | undefined, seen = new Set<string>()): string[] => {
    if (!id || seen.has(id)) return [''];
    seen.add(id);
    const own = objects.get(id);
    const incoming = edges.filter((e) => e.child === id);
    if (incoming.length === 0) return [own?.prefix ?? ''];
    const out: string[] = [];
    for (const e of incoming) {
      for (const pp of prefixesOf(e.parent, new Set(seen))) out.push(joinUrl(pp, e.prefix, own?.kind === 'router' ? own.prefix : ''));
    }
    return [...new Set(out)];
  };

  for (const r of [...routes, ...rootWs]) {
    const owner = resolve(r.owner);
    for (const pre of r.owner ? prefixesOf(owner) : ['']) {
      const ep: Endpoint = { path: joinUrl(pre, r.path), prefix: r.kind === 'socketio', kind: r.kind, file: r.file, line: r.line };
      (r.ws ? res.wsEndpoints : res.httpRoutes).push(ep);
    }
  }
  // python-socketio servers are reached through ASGIApp (recorded above); a bare AsyncServer
  // attached some other way still answers on /socket.io/.
  for (const [, o] of objects) {
    if (o.kind === 'socketio' && !res.wsEndpoints.some((e) => e.kind === 'socketio')) {
      res.wsEndpoints.push({ path: '/socket.io', prefix: true, kind: 'socketio', file: o.file, line: 1 });
    }
  }
  pickLimit(res, limits);
}

function pickLimit(res: AppAnalysis, limits: UploadLimit[]): void {
  for (const l of limits) if (!res.uploadLimit || l.bytes > res.uploadLimit.bytes) res.uploadLimit = l;
}

// ---------------------------------------------------------------------------------------------
// JavaScript / TypeScript

/** "10mb", "1gb", "500kb", 1048576 → bytes (the `bytes` package's units, as Express uses them). */
export function parseSize(v: string | number): number | undefined {
  if (typeof v === 'number') return v > 0 ? v : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|k|mb|m|gb|g)?\s*$/i.exec(v);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = (m[2] ?? 'b').toLowerCase();
  const mult = unit.startsWith('g') ? 1024 * MIB : unit.startsWith('m') ? MIB : unit.startsWith('k') ? 1024 : 1;
  return Math.round(n * mult);
}

/**
 * Substrings one of which every record of analyzeScript needs in the file's source, so that a file
 * with none of them is not parsed (most of an app's files: models, helpers, libraries):
 * - a path (routes `app.get('/x')`, `app.use('/api', …)`, express-ws `app.ws('/x')`, Vite proxy
 *   keys, `base`/`basePath`, and every frontend call through pathOf) is a string or template
 *   literal whose value starts with "/" — the source has a quote or backquote right before the
 *   "/" (a template's head is its first piece) — or holds "://" (pathOf strips a scheme and host
 *   only when "://" follows them; template pieces are split at placeholders, so "://" is in one
 *   piece of the source);
 * - socket.io servers (with or without `path`): the module specifier 'socket.io';
 * - a `ws` server without a path: its constructor `….Server` / `WebSocketServer`;
 * - body limits: the option `limit` (express.json/urlencoded/raw/text) or a key fileSize,
 *   bodyLimit, sizeLimit, bodySizeLimit ("fileSize" or "Limit").
 * A text with a backslash that can stand for another character (mayHideText) is always parsed.
 */
const SCRIPT_NEEDLES = ["'/", '"/', '`/', '://', 'socket.io', 'Server', 'limit', 'Limit', 'fileSize'];

/** Can analyzeScript record anything from this text? (false: the file need not be parsed) */
export function scriptMayMatter(text: string): boolean {
  return mayHideText(text) || SCRIPT_NEEDLES.some((n) => text.includes(n));
}

/** What one TS/JS file contributes to its app's analysis. */
interface ScriptFileFacts {
  file: string;
  wsEndpoints: AppAnalysis['wsEndpoints'];
  /** Server routes (app.get('/x'), app.use('/api', …)): not counted in a frontend app. */
  httpRoutes: AppAnalysis['httpRoutes'];
  calls: AppAnalysis['calls'];
  limits: UploadLimit[];
  basePath?: string;
}

/**
 * Each file's facts, kept with the text they were read from instead of its syntax tree
 * (tsSourceOnce): the file is parsed again only when its text changed. The same for every app the
 * file is part of (a frontend app leaves out the server routes).
 */
const scriptFactsCache = new PerText<ScriptFileFacts>();

async function analyzeScript(ws: Workspace, files: string[], res: AppAnalysis): Promise<void> {
  // The compiler's syntax trees (no ts-morph wrappers): each helper below reads a node as the
  // ts-morph call it replaces did (names and callees by their source text, literal values decoded).
  const ts = await tsApi();
  const limits: UploadLimit[] = [];
  /** NumericLiteral value as ts-morph's getLiteralValue reads it. */
  const numeric = (n: TsT.NumericLiteral): number => (n.text.includes('.') ? parseFloat(n.text) : parseInt(n.text, 10));
  const num = (n: TsNode | undefined): number | undefined => {
    if (!n) return undefined;
    if (ts.isNumericLiteral(n)) return numeric(n);
    if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) return parseSize(n.text);
    if (ts.isParenthesizedExpression(n)) return num(n.expression);
    if (ts.isBinaryExpression(n)) {
      const l = num(n.left);
      const r = num(n.right);
      const op = n.operatorToken.getText();
      if (l === undefined || r === undefined) return undefined;
      return op === '*' ? l * r : op === '+' ? l + r : op === '-' ? l - r : undefined;
    }
    return undefined;
  };
  /** Literal text of a string or template (placeholders as \0), or undefined. */
  const literalText = (n: TsNode): string | undefined => {
    if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) return n.text;
    if (ts.isTemplateExpression(n)) {
      let s = n.head.text;
      for (const sp of n.templateSpans) s += '\0' + sp.literal.text;
      return s;
    }
    return undefined;
  };
  /** The path part of a URL-ish literal: "/api/x", "ws://host:8000/ws/a" → "/ws/a", "\0/ws/\0" → "/ws/". */
  const pathOf = (s: string): string | undefined => {
    // Scheme and host may be placeholders (`${proto}://${location.host}/ws/…`); a path that starts
    // with a placeholder (`${API_BASE}/upload`) is relative to a base we cannot see.
    const t = s.replace(/^(?:[a-z]+|\0)+:\/\/[^/]*/i, '');
    if (!t.startsWith('/') || t.startsWith('//')) return undefined;
    const cut = t.indexOf('\0');
    const p = (cut === -1 ? t : t.slice(0, cut)).split(/[?#]/)[0]!;
    return p || undefined;
  };

  for (const file of files) {
    const text = ws.text(file);
    if (text === undefined || !scriptMayMatter(text)) continue;
    // What the file contributes, kept per text: after a fix the app is analysed again, but only
    // changed files are parsed and walked again.
    let out = scriptFactsCache.get(ws, file, text);
    if (!out) {
      const sf = await tsSourceOnce(ws, file);
      if (!sf) continue;
      out = scriptFileFacts(file, sf);
      scriptFactsCache.set(ws, file, text, out);
    }
    // Copies: the cached facts outlive this analysis, whose records its users may extend.
    for (const e of out.wsEndpoints) res.wsEndpoints.push({ ...e });
    // A frontend's app.get/app.use calls are its client or dev-server code, not routes it serves.
    if (!res.frontend) for (const r of out.httpRoutes) res.httpRoutes.push({ ...r });
    for (const c of out.calls) res.calls.push({ ...c });
    for (const l of out.limits) limits.push({ ...l });
    if (out.basePath !== undefined) res.basePath = out.basePath;
  }
  pickLimit(res, limits);

  function scriptFileFacts(file: string, sf: TsSourceFile): ScriptFileFacts {
    const out: ScriptFileFacts = { file, wsEndpoints: [], httpRoutes: [], calls: [], limits: [] };
    const src = (n: TsNode): string => nodeText(ts, sf, n);
    /** A node and every node under it, JSDoc included, in source order (ts-morph's getDescendants). */
    const selfAndDescendants = (n: TsNode): TsNode[] => {
      const out: TsNode[] = [];
      const visit = (x: TsNode): void => {
        out.push(x);
        for (const d of (x as { jsDoc?: TsNode[] }).jsDoc ?? []) visit(d);
        ts.forEachChild(x, visit);
      };
      visit(n);
      return out;
    };
    /** ts-morph's ObjectLiteralExpression.getProperty(name): the first named member with that name (its source text). */
    const property = (obj: TsT.ObjectLiteralExpression, key: string): TsNode | undefined =>
      obj.properties.find((p) => !ts.isSpreadAssignment(p) && p.name !== undefined && src(p.name) === key);
    const fromModule = new Map<string, string>(); // local name → module
    for (const im of sf.statements) {
      if (!ts.isImportDeclaration(im)) continue;
      const mod = moduleSpecifierValue(ts, im);
      if (mod === undefined) continue;
      const clause = im.importClause;
      if (clause?.name) fromModule.set(src(clause.name), mod);
      const nb = clause?.namedBindings;
      if (nb && ts.isNamespaceImport(nb)) fromModule.set(src(nb.name), mod);
      if (nb && ts.isNamedImports(nb)) for (const n of nb.elements) fromModule.set(src(n.name), mod);
    }
    forEachDescendant(ts, sf, (v) => {
      if (!ts.isVariableDeclaration(v)) return;
      const init = v.initializer;
      if (init && ts.isCallExpression(init) && src(init.expression) === 'require') {
        const a = init.arguments[0];
        if (a && ts.isStringLiteral(a)) {
          const nameNode = v.name;
          if (ts.isIdentifier(nameNode)) fromModule.set(src(nameNode), a.text);
          else if (ts.isObjectBindingPattern(nameNode)) for (const el of nameNode.elements) fromModule.set(src(el.name), a.text);
        }
      }
    });
    const moduleOf = (expr: TsNode): string | undefined => {
      const t = src(expr);
      const head = t.split('.')[0]!;
      return fromModule.get(head);
    };
    const isVite = /(?:^|\/)vite\.config\.[cm]?[jt]s$/.test(file);
    const isNextConfig = /(?:^|\/)next\.config\.[cm]?[jt]s$/.test(file);
    forEachDescendant(ts, sf, (n) => {
      const lineOf = (): number => lineAt(sf, n.getStart(sf));
      if (ts.isNewExpression(n) || ts.isCallExpression(n)) {
        const callee = n.expression;
        const args: readonly TsNode[] = n.arguments ?? [];
        const mod = moduleOf(callee);
        const calleeText = src(callee);
        const opts = args.find((a) => ts.isObjectLiteralExpression(a));
        const optString = (key: string): string | undefined => {
          if (!opts || !ts.isObjectLiteralExpression(opts)) return undefined;
          const p = property(opts, key);
          if (p && ts.isPropertyAssignment(p)) return literalText(p.initializer);
          return undefined;
        };
        if (ts.isNewExpression(n) && mod === 'socket.io') {
          out.wsEndpoints.push({ path: joinUrl(optString('path') ?? '/socket.io'), prefix: true, kind: 'socketio', file, line: lineOf() });
        } else if (ts.isNewExpression(n) && mod === 'ws' && /Server$/.test(calleeText)) {
          const p = optString('path');
          out.wsEndpoints.push({ path: p ? joinUrl(p) : '/', prefix: !p, kind: 'ws', file, line: lineOf() });
        } else if (ts.isCallExpression(n) && mod === 'socket.io' && fromModule.get(calleeText) === 'socket.io') {
          out.wsEndpoints.push({ path: joinUrl(optString('path') ?? '/socket.io'), prefix: true, kind: 'socketio', file, line: lineOf() });
        } else if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(callee)) {
          const method = src(callee.name);
          const first = args[0] ? literalText(args[0]) : undefined;
          if (method === 'ws' && first?.startsWith('/') && args.length >= 2) {
            out.wsEndpoints.push({ path: joinUrl(first), prefix: false, kind: 'express-ws', file, line: lineOf() });
          } else if (method === 'use' && first?.startsWith('/') && args.length >= 2) {
            out.httpRoutes.push({ path: joinUrl(first), prefix: true, kind: 'http', file, line: lineOf() });
          } else if (['get', 'post', 'put', 'patch', 'delete', 'all'].includes(method) && first?.startsWith('/') && args.length >= 2) {
            out.httpRoutes.push({ path: joinUrl(first), prefix: false, kind: 'http', file, line: lineOf() });
          }
          // Body limits: express.json({ limit: '10mb' }), bodyParser.raw({ limit }), multer({ limits: { fileSize } }).
          if (['json', 'urlencoded', 'raw', 'text'].includes(method)) {
            const lim = optString('limit');
            const b = lim !== undefined ? parseSize(lim) : undefined;
            if (b) out.limits.push({ bytes: b, name: `${calleeText} limit`, file, line: lineOf() });
          }
        }
        if (ts.isNewExpression(n) && /(?:^|\.)WebSocket$/.test(calleeText) && mod !== 'ws' && args[0]) {
          // A browser WebSocket: the frontend connects to this path.
          const lits = selfAndDescendants(args[0]).map(literalText).filter((x): x is string => x !== undefined);
          for (const l of lits) {
            const p = pathOf(l);
            if (p) {
              out.calls.push({ path: p, ws: true, file });
              break;
            }
          }
        }
        if (ts.isCallExpression(n) && args[0] && (/(?:^|\.)fetch$/.test(calleeText) || /^(?:axios|api|http|client|instance|request)(?:\.(?:get|post|put|patch|delete|request))?$/.test(calleeText))) {
          const l = literalText(args[0]);
          const p = l !== undefined ? pathOf(l) : undefined;
          if (p) out.calls.push({ path: p, ws: false, file });
        }
      }
      if (ts.isPropertyAssignment(n)) {
        const key = src(n.name).replace(/^['"]|['"]$/g, '');
        const init = n.initializer;
        if (!init) return;
        if (/^(?:baseURL|baseUrl|apiBase|apiUrl|prefixUrl)$/.test(key)) {
          for (const x of selfAndDescendants(init)) {
            const l = literalText(x);
            const p = l !== undefined ? pathOf(l) : undefined;
            if (p) {
              out.calls.push({ path: p, ws: false, file });
              break;
            }
          }
        }
        if (key === 'fileSize' || key === 'bodyLimit' || key === 'sizeLimit' || key === 'bodySizeLimit') {
          const b = num(init);
          if (b) out.limits.push({ bytes: b, name: key, file, line: lineOf() });
        }
        if (isVite && key === 'proxy' && ts.isObjectLiteralExpression(init)) {
          for (const p of init.properties) {
            if (!ts.isPropertyAssignment(p)) continue;
            const k = src(p.name).replace(/^['"]|['"]$/g, '');
            if (!k.startsWith('/')) continue;
            const v = p.initializer;
            let isWs = false;
            if (v && ts.isObjectLiteralExpression(v)) {
              const wsProp = property(v, 'ws');
              isWs = !!wsProp && ts.isPropertyAssignment(wsProp) && src(wsProp.initializer) === 'true';
            }
            out.calls.push({ path: k, ws: isWs, file });
          }
        }
        if ((isVite && key === 'base') || (isNextConfig && key === 'basePath')) {
          const l = literalText(init);
          if (l && l.startsWith('/') && l !== '/' && !l.includes('\0')) out.basePath = l.replace(/\/+$/, '');
        }
      }
      if (ts.isVariableDeclaration(n) && /^(?:API_?(?:BASE|URL|ROOT)\w*|apiBase\w*|baseUrl|BASE_URL|apiUrl|WS_?(?:BASE|URL)\w*|wsUrl|wsBase\w*)$/i.test(src(n.name))) {
        const init = n.initializer;
        if (!init) return;
        const isWs = /ws/i.test(src(n.name));
        for (const x of selfAndDescendants(init)) {
          const l = literalText(x);
          const p = l !== undefined ? pathOf(l) : undefined;
          if (p) {
            out.calls.push({ path: p, ws: isWs, file });
            break;
          }
        }
      }
    });
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// Compose services: host names → the code they run

export interface ServiceRef {
  file: string;
  name: string;
  /** Build context directory relative to the workspace root ('' = root), when the service builds. */
  context?: string;
  image?: string;
  /** Names other containers reach it by: the service name, container_name, hostname, network aliases. */
  hosts: string[];
}

/** Services of every compose file in the workspace (read-only view; computed once per state of the compose files). */
export function composeServices(ws: Workspace): ServiceRef[] {
  return [...ws.memoSync('web/composeServices', () => listComposeServices(ws))];
}

function listComposeServices(ws: Workspace): ServiceRef[] {
  const out: ServiceRef[] = [];
  for (const f of ws.files('compose')) {
    const m = yaml(ws, f);
    const services = (m?.value as { services?: Record<string, unknown> } | undefined)?.services;
    if (!services || typeof services !== 'object') continue;
    for (const [name, raw] of Object.entries(services)) {
      const s = (raw ?? {}) as Record<string, unknown>;
      const ref: ServiceRef = { file: f, name, hosts: [name] };
      const build = s.build;
      const ctx = typeof build === 'string' ? build : build && typeof build === 'object' ? (build as { context?: string }).context ?? '.' : undefined;
      if (ctx !== undefined && !/^[a-z]+:\/\//i.test(ctx)) ref.context = joinPath(dirname(f), ctx);
      if (typeof s.image === 'string') ref.image = s.image;
      if (typeof s.container_name === 'string') ref.hosts.push(s.container_name);
      if (typeof s.hostname === 'string') ref.hosts.push(s.hostname);
      const nets = s.networks;
      if (nets && typeof nets === 'object' && !Array.isArray(nets)) {
        for (const n of Object.values(nets as Record<string, unknown>)) {
          const aliases = (n as { aliases?: unknown } | null)?.aliases;
          if (Array.isArray(aliases)) for (const a of aliases) if (typeof a === 'string') ref.hosts.push(a);
        }
      }
      out.push(ref);
    }
  }
  return out;
}

/** The directory of the code a host name runs: its compose service's build context, else a directory named like it. */
export function codeDirForHost(ws: Workspace, host: string): string | undefined {
  const svc = composeServices(ws).find((s) => s.hosts.includes(host) && s.context !== undefined);
  if (svc) return svc.context;
  if (host && ws.filesUnder(host).length) return host;
  return undefined;
}
