import { defineRule } from '../../src/rule.js';
import type { FileEdit, FindingInput, ModifyEdit } from '../../src/types.js';
import type { Workspace } from '../../src/workspace.js';
import { allDirectives, argText, type NginxDirective } from '../../src/parsers/nginx.js';
import { childIndent, indentOf, indentUnit, insertLinesAfter, ownLine, replaceArg } from '../../src/edit/nginx.js';
import {
  httpBlock,
  inheritanceChain,
  inherited,
  locationMatch,
  mapsOf,
  nginxSets,
  proxyTarget,
  selectLocation,
  type NginxFile,
  type NginxSet,
} from '../../src/project/nginx.js';
import { analyzeApp, codeDirForHost, type AppAnalysis } from '../../src/project/web.js';
import { lineStartAt } from '../../src/text.js';

/** A location path that names WebSockets: /ws, /ws/, /api/ws/, /socket.io/, /websocket, ~ ^/live/socket … */
const WS_PATH = /(?:^|[/_.^-])(?:wss?|sockets?|socket\.io|websockets?|sockjs)(?:[/_.$-]|$)/i;

interface Problem {
  version: 'missing' | 'wrong' | 'ok';
  upgrade: boolean;
  connection: 'missing' | 'wrong' | 'ok';
  timeout: boolean;
  why: string;
}

interface Candidate {
  set: NginxSet;
  nf: NginxFile;
  loc: NginxDirective;
  server?: NginxDirective;
  problem: Problem;
  /** The variable a map from $http_upgrade defines in this configuration, if any. */
  mapVar?: string;
}

function serverLabel(server: NginxDirective | undefined): string {
  if (!server) return '';
  const names = server.block!.children.filter((d) => d.name === 'server_name').flatMap((d) => d.args.map((a) => a.value));
  if (names.length) return names.join(' ');
  const listen = server.block!.children.filter((d) => d.name === 'listen').map((d) => argText(d));
  return listen.join(',');
}

async function wsEvidence(ws: Workspace, set: NginxSet, loc: NginxDirective, server: NginxDirective | undefined, cache: Map<string, Promise<AppAnalysis>>): Promise<string | undefined> {
  const proxyPass = loc.block!.children.find((d) => d.name === 'proxy_pass');
  if (!proxyPass) return undefined;
  const target = proxyTarget(set, proxyPass);
  if (!target || target.dynamic) return undefined;
  const container = server ? server.block!.children : loc.parent ? loc.parent.block!.children : [];
  const { modifier, pattern } = locationMatch(loc);
  for (const host of target.hosts) {
    const dir = codeDirForHost(ws, host);
    if (dir === undefined) continue;
    let p = cache.get(dir);
    if (!p) cache.set(dir, (p = analyzeApp(ws, dir)));
    const app = await p;
    for (const ep of app.wsEndpoints) {
      let external = ep.path;
      if (target.uri !== undefined) {
        if (modifier !== '' && modifier !== '^~') continue;
        if (!ep.path.startsWith(target.uri) && !(ep.path + '/').startsWith(target.uri)) continue;
        external = pattern + ep.path.slice(target.uri.length);
      }
      const uri = external.replace(/\{[^}/]+\}/g, 'x') + (ep.prefix ? '/' : '');
      const chosen = container.length ? selectLocation(container, uri.replace(/\/{2,}/g, '/')) : loc;
      if (chosen === loc) return `${host} serves the WebSocket endpoint ${ep.path} (${ep.file}:${ep.line})`;
    }
  }
  return undefined;
}

/** The candidates on the current state, computed once per state (detect and every fix ask). */
function candidates(ws: Workspace): Promise<Candidate[]> {
  return ws.memo('nginx/websocket-upgrade/candidates', () => findCandidates(ws));
}

async function findCandidates(ws: Workspace): Promise<Candidate[]> {
  const out: Candidate[] = [];
  const cache = new Map<string, Promise<AppAnalysis>>();
  for (const set of nginxSets(ws)) {
    const maps = mapsOf(set).filter((m) => m.from === '$http_upgrade');
    const mapVars = new Set(maps.map((m) => m.to));
    const allMaps = new Set(mapsOf(set).map((m) => m.to));
    let mapVar = maps[0]?.to;
    if (!mapVar) {
      // A Connection variable used but defined outside the repository (the image's nginx.conf): reuse it, add no map.
      for (const nf of set.files) {
        for (const d of allDirectives(nf.cfg)) {
          const v = d.args[1]?.value;
          if (d.name === 'proxy_set_header' && d.args[0]?.value.toLowerCase() === 'connection' && v?.startsWith('$') && !allMaps.has(v) && /upgrade/i.test(v)) mapVar ??= v;
        }
      }
    }
    for (const nf of set.files) {
      const locs: NginxDirective[] = [];
      const walk = (list: NginxDirective[]) => {
        for (const d of list) {
          if (d.name === 'location' && d.block) locs.push(d);
          if (d.block && d.name !== 'if') walk(d.block.children);
        }
      };
      walk(nf.cfg.directives);
      for (const loc of locs) {
        const own = loc.block!.children;
        if (!own.some((d) => d.name === 'proxy_pass')) continue;
        let server: NginxDirective | undefined;
        for (let p = loc.parent; p; p = p.parent) if (p.name === 'server') server = p;
        const chain = inheritanceChain(set, nf, loc);
        const headers = inherited(chain, 'proxy_set_header')?.directives ?? [];
        const header = (name: string) => headers.find((h) => h.args[0]?.value.toLowerCase() === name);
        const path = locationMatch(loc).pattern;
        const ownUpgrade = own.some((d) => d.name === 'proxy_set_header' && d.args[0]?.value.toLowerCase() === 'upgrade');
        let why: string | undefined;
        if (WS_PATH.test(path)) why = `its path ${path} names WebSockets`;
        else if (ownUpgrade) why = 'it sets an Upgrade header';
        else why = await wsEvidence(ws, set, loc, server, cache);
        if (!why) continue;
        const version = inherited(chain, 'proxy_http_version')?.directives.at(-1)?.args[0]?.value;
        const up = header('upgrade');
        const conn = header('connection');
        const connValue = conn?.args[1]?.value;
        // A variable from a map of $http_upgrade is right; so is one this configuration uses but
        // never defines (its map lives in a main config outside the repository, or nginx -t would fail).
        const definedHere = allMaps.has(connValue ?? '');
        const connOk =
          connValue !== undefined &&
          (mapVars.has(connValue) || connValue === '$http_connection' || (connValue.startsWith('$') && !definedHere && /upgrade/i.test(connValue)));
        const problem: Problem = {
          version: version === undefined ? 'missing' : version === '1.1' ? 'ok' : 'wrong',
          upgrade: !!up && (up.args[1]?.value ?? '').includes('$http_upgrade'),
          connection: !conn ? 'missing' : connOk ? 'ok' : 'wrong',
          timeout: !!inherited(chain, 'proxy_read_timeout'),
          why,
        };
        if (problem.version === 'ok' && problem.upgrade && problem.connection === 'ok') continue;
        out.push({ set, nf, loc, server, problem, mapVar });
      }
    }
  }
  return out;
}

function describe(p: Problem): string {
  const missing: string[] = [];
  if (p.version !== 'ok') missing.push('proxy_http_version 1.1');
  if (!p.upgrade) missing.push('the Upgrade header');
  if (p.connection === 'missing') missing.push('the Connection header');
  let msg = missing.length ? `lacks ${missing.join(', ').replace(/, ([^,]*)$/, ' and $1')}` : '';
  if (p.connection === 'wrong') msg += `${msg ? ', and ' : ''}sends a fixed Connection header instead of one mapped from $http_upgrade`;
  return msg;
}

interface MapHome {
  set: NginxSet;
  nf: NginxFile;
  parent?: NginxDirective;
}

/** Where the configuration's `map $http_upgrade …` goes: the same place for every finding of a configuration. */
function mapHome(set: NginxSet): MapHome | undefined {
  if (set.main) {
    const nf = set.files.find((f) => f.file === set.main)!;
    const http = httpBlock(nf.cfg);
    if (http) return { set, nf, parent: http };
  }
  const httpFiles = set.files.filter((f) => f.context === 'http').sort((a, b) => (a.file < b.file ? -1 : 1));
  return httpFiles[0] ? { set, nf: httpFiles[0] } : undefined;
}

/**
 * The edit that adds the map. It replaces the first token of the line it goes before (with the map
 * plus that token), so two fixes of one configuration computed in the same pass overlap and the
 * engine applies only one; the other is recomputed after it and finds the map.
 */
function mapEdit(home: MapHome, variable: string): ModifyEdit {
  const { nf, parent } = home;
  const cfg = nf.cfg;
  const text = cfg.text;
  const unit = indentUnit(cfg);
  const siblings = parent ? parent.block!.children : cfg.directives;
  // Before the first server block, or before the include that pulls the server files in.
  const pulls = (d: NginxDirective) => home.set.files.some((f) => f.includedBy?.directive === d && f.context === 'http');
  const before = siblings.find((d) => d.name === 'server' || (d.name === 'include' && pulls(d))) ?? (parent ? undefined : siblings[0]);
  const indent = childIndent(cfg, parent);
  const block = [
    `${indent}# Proxied WebSockets: "Connection: upgrade" when the client asks to upgrade, "close" otherwise.`,
    `${indent}map $http_upgrade ${variable} {`,
    `${indent}${unit}default upgrade;`,
    `${indent}${unit}''      close;`,
    `${indent}}`,
  ].join('\n');
  if (before && ownLine(text, before.start)) {
    // Go above comment lines that belong to the directive (no blank line between).
    let start = lineStartAt(text, before.start);
    for (;;) {
      if (start === 0) break;
      const prevStart = lineStartAt(text, start - 1);
      const prev = text.slice(prevStart, start - 1);
      if (!/^[ \t]*#/.test(prev)) break;
      start = prevStart;
    }
    const tokEnd = text.indexOf('\n', start);
    const end = tokEnd === -1 ? text.length : tokEnd;
    return { file: nf.file, start, end, text: block + '\n\n' + text.slice(start, end) };
  }
  if (parent && ownLine(text, parent.block!.close)) {
    const start = lineStartAt(text, parent.block!.close);
    const end = parent.block!.close + 1;
    return { file: nf.file, start, end, text: '\n' + block + '\n' + text.slice(start, end) };
  }
  if (parent) {
    const close = parent.block!.close;
    return { file: nf.file, start: close, end: close + 1, text: '\n' + block + '\n' + indentOf(cfg, parent) + '}' };
  }
  // An http-context file with no directive on its own line: put the map first.
  const first = cfg.tokens.find((t) => t.type !== 'space' && t.type !== 'comment');
  const at = first ? first.start : text.length;
  return { file: nf.file, start: at, end: first ? first.end : at, text: block + '\n\n' + (first ? text.slice(first.start, first.end) : '') };
}

export default defineRule({
  id: 'nginx/websocket-upgrade',
  title: 'nginx proxies WebSockets without the upgrade headers',
  fixTitle: 'Pass the WebSocket upgrade through nginx',
  severity: 'high',
  safety: 'safe',
  docs: {
    why:
      'A WebSocket starts as an HTTP/1.1 request with "Upgrade: websocket" and "Connection: upgrade". nginx talks HTTP/1.0 to the upstream by default and drops both hop-by-hop headers, so the handshake never reaches the app: the browser sees the connection fail (or fall back to polling) although the app works when reached directly. A fixed `Connection "upgrade"` header instead sends "upgrade" on plain requests too, and without a long proxy_read_timeout nginx closes a quiet WebSocket after 60 seconds.',
    fix:
      'In each location that proxies WebSockets (its path names ws/socket/websocket, it already sets an Upgrade header, or the upstream app serves WebSocket endpoints under it), adds `proxy_http_version 1.1;`, `proxy_set_header Upgrade $http_upgrade;` and `proxy_set_header Connection $connection_upgrade;` after its last proxy_* directive, replaces a fixed Connection value with `$connection_upgrade`, and adds `proxy_read_timeout 3600s;` (option `readTimeout`) when none is set. One `map $http_upgrade $connection_upgrade { default upgrade; \'\' close; }` is added per configuration, in http context: in the http block of a full nginx.conf, or at the top of the conf.d file. A location that inherits proxy_set_header lines from its server gets them repeated, because nginx drops inherited headers as soon as a location sets its own.',
    safetyNote:
      'Plain requests are unaffected: the map sends "Connection: close" when the client does not ask to upgrade, which is what nginx sends by default.',
    references: [
      'https://nginx.org/en/docs/http/websocket.html',
      'https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_set_header',
    ],
  },
  kinds: ['nginx'],
  defaults: { readTimeout: '3600s' },
  async detect(ctx) {
    const found: FindingInput[] = [];
    for (const c of await candidates(ctx.ws)) {
      const label = serverLabel(c.server);
      const home = c.mapVar ? undefined : mapHome(c.set);
      const f: FindingInput = {
        file: c.nf.file,
        start: c.loc.start,
        end: c.loc.block!.open + 1,
        message: `location ${argText(c.loc)} proxies WebSockets (${c.problem.why}) but ${describe(c.problem)}: the upgrade handshake does not reach the app`,
        anchor: `${label ? `server ${label} ` : ''}location ${argText(c.loc)}`,
        data: { locStart: c.loc.start },
      };
      if (!c.mapVar && !home) {
        f.fixable = false;
        f.notFixableReason =
          'the map for $connection_upgrade belongs in http context, and no http-level file of this configuration is in the repository: add `map $http_upgrade $connection_upgrade { default upgrade; \'\' close; }` to the http block that includes this file, then the upgrade headers to this location';
      }
      found.push(f);
    }
    return found;
  },
  async fix(finding, ctx) {
    const { locStart } = finding.data as { locStart: number };
    const c = (await candidates(ctx.ws)).find((x) => x.nf.file === finding.file && x.loc.start === locStart);
    if (!c) return null;
    const cfg = c.nf.cfg;
    const file = c.nf.file;
    const loc = c.loc;
    const own = loc.block!.children;
    const variable = c.mapVar ?? '$connection_upgrade';
    const edits: FileEdit[] = [];
    const lines: string[] = [];

    const ownHeaders = own.filter((d) => d.name === 'proxy_set_header');
    if (ownHeaders.length === 0) {
      // Setting any header here drops the inherited ones: repeat them (all but Upgrade/Connection).
      const chain = inheritanceChain(c.set, c.nf, loc);
      const inh = inherited(chain, 'proxy_set_header');
      const keep = (inh?.directives ?? []).filter((d) => !['upgrade', 'connection'].includes(d.args[0]?.value.toLowerCase() ?? ''));
      if (keep.length) {
        lines.push('# A location that sets proxy_set_header no longer inherits any: the outer ones are repeated here.');
        for (const d of keep) lines.push(`${d.name} ${d.args.map((a) => a.raw).join(' ')};`);
      }
    }
    const ownVersion = own.filter((d) => d.name === 'proxy_http_version').at(-1);
    if (c.problem.version !== 'ok') {
      if (ownVersion && ownVersion.args[0]) edits.push(replaceArg(file, ownVersion.args[0], '1.1'));
      else lines.push('proxy_http_version 1.1;');
    }
    const ownUp = ownHeaders.find((d) => d.args[0]?.value.toLowerCase() === 'upgrade');
    if (!c.problem.upgrade) {
      if (ownUp && ownUp.args[1]) edits.push(replaceArg(file, ownUp.args[1], '$http_upgrade'));
      else lines.push('proxy_set_header Upgrade $http_upgrade;');
    }
    const ownConn = ownHeaders.find((d) => d.args[0]?.value.toLowerCase() === 'connection');
    if (c.problem.connection !== 'ok') {
      if (ownConn && ownConn.args[1]) edits.push(replaceArg(file, ownConn.args[1], variable));
      else lines.push(`proxy_set_header Connection ${variable};`);
    }
    if (!c.problem.timeout) lines.push(`proxy_read_timeout ${String(ctx.options.readTimeout ?? '3600s')};`);

    if (lines.length) {
      const lastProxy = own.filter((d) => d.name.startsWith('proxy_')).at(-1)!;
      edits.push(insertLinesAfter(file, cfg, lastProxy, lines, childIndent(cfg, loc)));
    }
    if (!c.mapVar) {
      const home = mapHome(c.set);
      if (!home) return null;
      edits.push(mapEdit(home, variable));
    }
    return edits;
  },
});
