// nginx configurations as nginx assembles them: which files of the workspace form one
// configuration (a full nginx.conf and the files its `include`s pull in, or conf.d files that the
// image's stock nginx.conf includes inside `http {}`), the context each file is read in, inherited
// directive values, the location nginx picks for a URI, and the upstream host names behind a
// proxy_pass.
import picomatch from 'picomatch';
import type { Workspace } from '../workspace.js';
import { allDirectives, childrenNamed, nginx, type NginxConfig, type NginxDirective } from '../parsers/nginx.js';
import { dirname, joinPath } from '../classify.js';

/** The context a file's top level is read in. */
export type NginxFileContext = 'main' | 'http' | 'server' | 'unknown';

export interface NginxFile {
  file: string;
  cfg: NginxConfig;
  context: NginxFileContext;
  /** The include directive (in another file) that pulls this file in, when known. */
  includedBy?: { file: string; directive: NginxDirective };
}

export interface NginxSet {
  /** The full nginx.conf (a file with an `http` block), when the workspace has it. */
  main?: string;
  files: NginxFile[];
}

/** Prefixes that stand for nginx's configuration directory inside an image. */
const CONF_ROOTS = ['/etc/nginx/', '/usr/local/nginx/conf/', '/usr/local/etc/nginx/', '/opt/homebrew/etc/nginx/', '/usr/local/openresty/nginx/conf/'];

function topContext(cfg: NginxConfig): NginxFileContext {
  const names = new Set(cfg.directives.map((d) => d.name));
  if (names.has('http') || names.has('events')) return 'main';
  if (names.has('server') || names.has('upstream') || names.has('map') || names.has('limit_req_zone')) return 'http';
  if (names.has('location') || names.has('proxy_pass') || names.has('listen')) return 'server';
  return 'unknown';
}

/** Workspace files an include pattern of a main config (in dir `base`) refers to. */
function resolveInclude(ws: Workspace, nginxFiles: string[], base: string, pattern: string): string[] {
  let rel: string | undefined;
  for (const r of CONF_ROOTS) if (pattern.startsWith(r)) rel = pattern.slice(r.length);
  if (rel === undefined && !pattern.startsWith('/')) rel = pattern;
  const candidates = nginxFiles.filter((f) => base === '' || f.startsWith(base + '/'));
  if (rel !== undefined) {
    const m = picomatch(joinPath(base, rel), { dot: true });
    return candidates.filter((f) => m(f));
  }
  // Another absolute path: match its trailing segments under the config's directory.
  const segs = pattern.split('/').filter(Boolean);
  for (let i = 1; i < segs.length; i++) {
    const m = picomatch(joinPath(base, segs.slice(i).join('/')), { dot: true });
    const hits = candidates.filter((f) => m(f));
    if (hits.length) return hits;
  }
  void ws;
  return [];
}

/** Group the workspace's nginx files into configurations. Files that do not parse are left out. */
export function nginxSets(ws: Workspace): NginxSet[] {
  const files = ws.files('nginx');
  const parsed = new Map<string, NginxConfig>();
  for (const f of files) {
    const c = nginx(ws, f);
    if (c) parsed.set(f, c);
  }
  const taken = new Set<string>();
  const sets: NginxSet[] = [];
  for (const [f, cfg] of parsed) {
    if (topContext(cfg) !== 'main') continue;
    const set: NginxSet = { main: f, files: [{ file: f, cfg, context: 'main' }] };
    taken.add(f);
    const queue: NginxFile[] = [set.files[0]!];
    while (queue.length) {
      const cur = queue.shift()!;
      for (const inc of cur.cfg.includes) {
        const pat = inc.args[0]?.value;
        if (!pat) continue;
        const ctxName = inc.parent?.name;
        const context: NginxFileContext = ctxName === 'http' ? 'http' : ctxName === 'server' || ctxName === 'location' ? 'server' : cur.context === 'main' && !inc.parent ? 'main' : cur.context;
        for (const hit of resolveInclude(ws, [...parsed.keys()], dirname(f), pat)) {
          if (taken.has(hit) || !parsed.has(hit)) continue;
          taken.add(hit);
          const nf: NginxFile = { file: hit, cfg: parsed.get(hit)!, context, includedBy: { file: cur.file, directive: inc } };
          set.files.push(nf);
          queue.push(nf);
        }
      }
    }
    sets.push(set);
  }
  // The rest: conf.d-style files, one configuration per directory (the image's nginx.conf includes them in http).
  const byDir = new Map<string, NginxFile[]>();
  for (const [f, cfg] of parsed) {
    if (taken.has(f)) continue;
    const list = byDir.get(dirname(f)) ?? [];
    list.push({ file: f, cfg, context: topContext(cfg) });
    byDir.set(dirname(f), list);
  }
  for (const list of byDir.values()) sets.push({ files: list });
  return sets;
}

/** The `http` block of a main file. */
export function httpBlock(cfg: NginxConfig): NginxDirective | undefined {
  return cfg.directives.find((d) => d.name === 'http' && d.block);
}

/**
 * The directive lists a directive at `d` inherits from, innermost first: its own block's children
 * (for a block directive), then each enclosing block's, then — for a file included inside
 * `http {}` — the main file's http block.
 */
export function inheritanceChain(set: NginxSet, nf: NginxFile, d: NginxDirective): NginxDirective[][] {
  const chain: NginxDirective[][] = [];
  if (d.block) chain.push(d.block.children);
  for (let p = d.parent; p; p = p.parent) if (p.block) chain.push(p.block.children);
  if (nf.context !== 'main') chain.push(nf.cfg.directives);
  if (nf.context === 'http' && set.main) {
    const main = set.files.find((x) => x.file === set.main);
    const http = main && httpBlock(main.cfg);
    if (http) chain.push(http.block!.children);
  }
  return chain;
}

/** The nearest level of the chain that has directives with this name (nginx's inheritance for array directives like proxy_set_header). */
export function inherited(chain: NginxDirective[][], name: string): { level: number; directives: NginxDirective[] } | undefined {
  for (let i = 0; i < chain.length; i++) {
    const ds = chain[i]!.filter((x) => x.name === name);
    if (ds.length) return { level: i, directives: ds };
  }
  return undefined;
}

/** Every `map` of the configuration: source variable → defined variables. */
export function mapsOf(set: NginxSet): { from: string; to: string; file: string; directive: NginxDirective }[] {
  const out: { from: string; to: string; file: string; directive: NginxDirective }[] = [];
  for (const nf of set.files) {
    for (const d of allDirectives(nf.cfg)) {
      if (d.name === 'map' && d.args.length >= 2) out.push({ from: d.args[0]!.value, to: d.args[1]!.value, file: nf.file, directive: d });
    }
  }
  return out;
}

/** Every upstream block of the configuration by name. */
export function upstreamsOf(set: NginxSet): Map<string, NginxDirective> {
  const m = new Map<string, NginxDirective>();
  for (const nf of set.files) for (const d of allDirectives(nf.cfg)) if (d.name === 'upstream' && d.args[0] && d.block) m.set(d.args[0].value, d);
  return m;
}

export interface ProxyTarget {
  /** Host names the requests go to (the upstream's servers, or the URL's host). */
  hosts: string[];
  /** The URI part of proxy_pass ("/" in http://backend/), undefined when it has none. */
  uri?: string;
  /** proxy_pass uses variables: the target cannot be known. */
  dynamic: boolean;
}

/** Where a proxy_pass sends requests. */
export function proxyTarget(set: NginxSet, proxyPass: NginxDirective): ProxyTarget | undefined {
  const url = proxyPass.args[0]?.value;
  if (!url) return undefined;
  const m = /^[a-z]+:\/\/([^/]+)(\/.*)?$/i.exec(url);
  if (!m) return undefined;
  const hostPort = m[1]!;
  if (hostPort.includes('$')) return { hosts: [], uri: m[2], dynamic: true };
  const host = hostPort.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  const up = upstreamsOf(set).get(hostPort) ?? upstreamsOf(set).get(host);
  const hosts: string[] = [];
  if (up) {
    for (const s of childrenNamed(up, 'server')) {
      const a = s.args[0]?.value;
      if (a && !a.startsWith('unix:')) hosts.push(a.replace(/:\d+$/, '').replace(/^\[|\]$/g, ''));
    }
  } else hosts.push(host);
  return { hosts, uri: m[2], dynamic: (m[2] ?? '').includes('$') };
}

/** A location's match: modifier ("", "=", "^~", "~", "~*", "@") and pattern. */
export function locationMatch(loc: NginxDirective): { modifier: string; pattern: string } {
  const a = loc.args.map((x) => x.value);
  if (a.length >= 2 && ['=', '^~', '~', '~*'].includes(a[0]!)) return { modifier: a[0]!, pattern: a[1]! };
  if (a[0]?.startsWith('@')) return { modifier: '@', pattern: a[0] };
  // "=/exact" and "~^/x" written without a space
  const m = /^(=|\^~|~\*|~)(.+)$/.exec(a[0] ?? '');
  if (m) return { modifier: m[1]!, pattern: m[2]! };
  return { modifier: '', pattern: a[0] ?? '' };
}

function regexOf(pattern: string, flags: string): RegExp | undefined {
  try {
    // PCRE and JS agree on the patterns locations use; named groups (?<n>) and (?P<n>) aside.
    return new RegExp(pattern.replace(/\(\?P</g, '(?<'), flags);
  } catch {
    return undefined;
  }
}

/** The location nginx picks for a URI among a block's locations (nested locations followed). */
export function selectLocation(container: NginxDirective[], uri: string): NginxDirective | undefined {
  const locs = container.filter((d) => d.name === 'location' && d.block);
  let best: NginxDirective | undefined;
  let bestLen = -1;
  for (const l of locs) {
    const { modifier, pattern } = locationMatch(l);
    if (modifier === '=' && pattern === uri) return l;
    if ((modifier === '' || modifier === '^~') && uri.startsWith(pattern) && pattern.length > bestLen) {
      best = l;
      bestLen = pattern.length;
    }
  }
  if (best && locationMatch(best).modifier === '^~') return selectNested(best, uri);
  const nested = best ? selectNested(best, uri) : undefined;
  if (nested && nested !== best) return nested;
  for (const l of locs) {
    const { modifier, pattern } = locationMatch(l);
    if (modifier === '~' || modifier === '~*') {
      const re = regexOf(pattern, modifier === '~*' ? 'i' : '');
      if (re?.test(uri)) return l;
    }
  }
  return best;
}

function selectNested(loc: NginxDirective, uri: string): NginxDirective {
  const inner = loc.block?.children.some((c) => c.name === 'location') ? selectLocation(loc.block!.children, uri) : undefined;
  return inner ?? loc;
}
