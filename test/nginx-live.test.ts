// The nginx transforms proven with the real nginx binary:
// - `nginx -t` passes on every nginx configuration in the nginx fixtures and in the
//   compose/reverse-proxy fixtures (before and after), and on the seed project after both fixes;
// - live: nginx in front of a Node WebSocket server (the `ws` package) and a plain HTTP server on
//   loopback — the WebSocket handshake and a message round-trip work through the FIXED config and
//   fail through the ORIGINAL one; the generated reverse proxy forwards X-Forwarded-*/X-Real-IP,
//   answers /healthz, and enforces client_max_body_size (just under passes, over gets 413).
// nginx runs in a private mount namespace (see test/helpers/nginx.ts); every process started here
// is stopped in afterAll/finally, by pid.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { openWorkspace, planFixes } from '../src/api.js';
import { mapsOf, nginxSets } from '../src/project/nginx.js';
import { allDirectives } from '../src/parsers/nginx.js';
import { FIXTURES, copyTree, fixtureCases, tmpDir } from './helpers/tree.js';
import {
  freePort,
  layout,
  nginxTest,
  nginxUnavailable,
  opensslAvailable,
  selfSignedCert,
  startNginx,
  withLoopbackPorts,
  type EtcNginx,
  type Running,
} from './helpers/nginx.js';

const CI = process.env.CI === 'true' || process.env.CI === '1';
const unavailable = nginxUnavailable();
if (unavailable) process.stderr.write(`\n[nginx-live] NOT RUN: ${unavailable}${CI ? ' (CI=true: failing)' : ''}\n\n`);

describe('nginx binary', () => {
  it('is available (required under CI)', () => {
    if (unavailable && CI) throw new Error(`nginx tests cannot run: ${unavailable}`);
    if (unavailable) console.warn(`nginx tests skipped locally: ${unavailable}`);
  });
});

/** Lay out every configuration of a tree the way the image sees it. */
function layoutsOf(tree: string): { label: string; etc: EtcNginx }[] {
  const ws = openWorkspace(tree);
  const out: { label: string; etc: EtcNginx }[] = [];
  for (const set of nginxSets(ws)) {
    if (set.main) {
      out.push({ label: set.main, etc: layout({ tree: path.join(tree, path.dirname(set.main)) }) });
    } else {
      const httpFiles = set.files.filter((f) => f.context === 'http');
      if (!httpFiles.length) continue;
      const confd: Record<string, string> = {};
      for (const f of httpFiles) confd[path.basename(f.file)] = f.cfg.text;
      // A Connection variable the files use but do not define comes from the image's nginx.conf:
      // the stand-in main config defines it the same way.
      const defined = new Set(mapsOf(set).map((m) => m.to));
      const used = new Set<string>();
      for (const f of httpFiles) {
        for (const d of allDirectives(f.cfg)) {
          const v = d.args[1]?.value;
          if (d.name === 'proxy_set_header' && d.args[0]?.value.toLowerCase() === 'connection' && v?.startsWith('$') && !defined.has(v) && v !== '$http_connection') used.add(v);
        }
      }
      const extraHttp = [...used].map((v) => `    map $http_upgrade ${v} { default upgrade; '' close; }\n`).join('');
      out.push({ label: httpFiles.map((f) => f.file).join(', '), etc: layout({ confd }, { extraHttp }) });
    }
  }
  return out;
}

function checkTree(tree: string): void {
  const layouts = layoutsOf(tree);
  expect(layouts.length, `no nginx configuration found in ${tree}`).toBeGreaterThan(0);
  for (const { label, etc } of layouts) {
    provideCertificates(etc);
    const r = nginxTest(etc);
    expect(r.ok, `nginx -t failed for ${label} in ${tree}:\n${r.output}`).toBe(true);
  }
}

/** TLS configurations name certificate files the deployment provides: make self-signed ones at those paths. */
function provideCertificates(etc: EtcNginx): void {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.conf')) files.push(p);
    }
  };
  walk(etc.dir);
  for (const f of files) {
    const text = fs.readFileSync(f, 'utf8');
    const certs = [...text.matchAll(/^\s*ssl_certificate(_key)?\s+(\S+);/gm)].map((m) => m[2]!);
    if (!certs.length) continue;
    if (!opensslAvailable()) throw new Error('openssl is needed to make test certificates (apt-get install -y openssl)');
    for (const c of certs) {
      if (!c.startsWith('/etc/nginx/')) throw new Error(`certificate path outside /etc/nginx: ${c}`);
    }
    const cert = certs.find((_, i) => i % 2 === 0)!;
    const key = certs.find((_, i) => i % 2 === 1)!;
    const dir = path.join(etc.dir, path.dirname(cert.slice('/etc/nginx/'.length)));
    selfSignedCert(dir, path.basename(cert), path.basename(key));
    const keyDir = path.join(etc.dir, path.dirname(key.slice('/etc/nginx/'.length)));
    if (keyDir !== dir) fs.copyFileSync(path.join(dir, path.basename(key)), path.join(keyDir, path.basename(key)));
  }
}

const nginxCases = fixtureCases().filter((c) => c.rule.startsWith('nginx/') || c.rule === 'compose/reverse-proxy');

describe.skipIf(!!unavailable)('nginx -t', () => {
  // The config compose/reverse-proxy writes, wherever configPath puts it (a custom path may not be
  // recognisable as an nginx file by its name alone).
  for (const c of nginxCases.filter((x) => x.rule === 'compose/reverse-proxy')) {
    const caseFile = path.join(c.dir, 'case.json');
    const opts = fs.existsSync(caseFile) ? ((JSON.parse(fs.readFileSync(caseFile, 'utf8')) as { options?: { configPath?: string } }).options ?? {}) : {};
    const conf = path.join(c.dir, 'after', opts.configPath ?? 'deploy/nginx/default.conf');
    if (!fs.existsSync(conf)) continue;
    it(`${c.rule} › ${c.name} › generated ${path.relative(path.join(c.dir, 'after'), conf)}`, () => {
      const etc = layout({ confd: { 'default.conf': fs.readFileSync(conf, 'utf8') } });
      provideCertificates(etc);
      const r = nginxTest(etc);
      expect(r.ok, r.output).toBe(true);
    });
  }
  for (const c of nginxCases) {
    for (const side of ['before', 'after'] as const) {
      const tree = path.join(c.dir, side);
      if (!fs.existsSync(tree)) continue;
      const hasNginx = openWorkspace(tree).files('nginx').length > 0;
      if (!hasNginx) continue;
      it(`${c.rule} › ${c.name} › ${side}`, () => checkTree(tree));
    }
  }
});

// ---------------------------------------------------------------------------------------------
// A backend: plain HTTP (echoes method, path, headers and body size) and WebSockets (echo).

interface Backend {
  port: number;
  close(): Promise<void>;
}

async function startBackend(): Promise<Backend> {
  const server = http.createServer((req, res) => {
    let size = 0;
    req.on('data', (b: Buffer) => (size += b.length));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, size }));
    });
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (client) => {
      client.on('message', (m) => client.send(`echo:${m.toString()}`));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Open a WebSocket, send one message, return the reply (rejects when the handshake fails). */
function wsRoundTrip(url: string, msg: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = new WebSocket(url);
    const t = setTimeout(() => {
      sock.terminate();
      reject(new Error('timeout'));
    }, 5000);
    sock.once('open', () => sock.send(msg));
    sock.once('message', (m) => {
      clearTimeout(t);
      sock.close();
      resolve(m.toString());
    });
    sock.once('unexpected-response', (_req, res) => {
      clearTimeout(t);
      sock.terminate();
      reject(new Error(`handshake refused: HTTP ${res.statusCode}`));
    });
    sock.once('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
  });
}

function request(port: number, pathName: string, opts: { method?: string; body?: Buffer; headers?: Record<string, string> } = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: pathName, method: opts.method ?? 'GET', headers: { ...(opts.headers ?? {}), ...(opts.body ? { 'content-length': String(opts.body.length) } : {}) } }, (res) => {
      let body = '';
      res.on('data', (b) => (body += b));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      // nginx may answer 413 and close before the whole body is sent
      if (e.code === 'EPIPE' || e.code === 'ECONNRESET') return;
      reject(e);
    });
    if (opts.body) req.end(opts.body);
    else req.end();
  });
}

describe.skipIf(!!unavailable)('live: nginx/websocket-upgrade', () => {
  const stops: (() => Promise<void>)[] = [];
  let backend: Backend;
  beforeAll(async () => {
    backend = await startBackend();
    stops.push(() => backend.close());
  });
  afterAll(async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  });

  const caseDir = path.join(FIXTURES, 'nginx', 'websocket-upgrade', 'conf-d-file');
  const conf = (side: string) => fs.readFileSync(path.join(caseDir, side, 'nginx', 'conf.d', 'default.conf'), 'utf8');

  async function run(text: string, fn: (port: number) => Promise<void>): Promise<void> {
    const port = await freePort();
    const etc = layout({ confd: { 'default.conf': withLoopbackPorts(text, [port], { 'backend:8000': backend.port }) } });
    let nginx: Running | undefined;
    const stop = async () => nginx?.stop();
    stops.push(stop);
    try {
      nginx = await startNginx(etc, port);
      await fn(port);
    } finally {
      await stop();
    }
  }

  it('the ORIGINAL config does not carry the WebSocket handshake', async () => {
    await run(conf('before'), async (port) => {
      await expect(wsRoundTrip(`ws://127.0.0.1:${port}/ws/jobs/1`, 'hello')).rejects.toThrow(/handshake refused|socket hang up|Unexpected server response/);
    });
  });

  it('the FIXED config carries it and a message round-trips', async () => {
    await run(conf('after'), async (port) => {
      expect(await wsRoundTrip(`ws://127.0.0.1:${port}/ws/jobs/1`, 'hello')).toBe('echo:hello');
      // Plain requests still work and are not upgraded.
      const r = await request(port, '/api/items');
      expect(r.status).toBe(200);
      const echoed = JSON.parse(r.body) as { headers: Record<string, string> };
      expect(echoed.headers.connection).toBe('close');
      expect(echoed.headers.upgrade).toBeUndefined();
    });
  });
});

describe.skipIf(!!unavailable)('live: compose/reverse-proxy (generated config)', () => {
  const stops: (() => Promise<void>)[] = [];
  let api: Backend;
  let web: Backend;
  let nginx: Running;
  let port: number;
  const conf = fs.readFileSync(path.join(FIXTURES, 'compose', 'reverse-proxy', 'api-and-frontend', 'after', 'deploy', 'nginx', 'default.conf'), 'utf8');
  const limit = /client_max_body_size (\d+)m;/.exec(conf);

  beforeAll(async () => {
    api = await startBackend();
    stops.push(() => api.close());
    web = await startBackend();
    stops.push(() => web.close());
    port = await freePort();
    const etc = layout({ confd: { 'default.conf': withLoopbackPorts(conf, [port], { 'backend:8000': api.port, 'frontend:80': web.port }) } });
    stops.push(async () => nginx?.stop());
    nginx = await startNginx(etc, port);
  });
  afterAll(async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  });

  it('answers its own /healthz', async () => {
    const r = await request(port, '/healthz');
    expect(r.status).toBe(200);
    expect(r.body).toBe('ok\n');
  });

  it('routes / to the frontend and /api/ to the API with X-Forwarded-*, X-Real-IP and security headers', async () => {
    const home = await request(port, '/');
    expect(JSON.parse(home.body).url).toBe('/');
    const r = await request(port, '/api/documents/?q=1');
    expect(r.status).toBe(200);
    const echoed = JSON.parse(r.body) as { url: string; headers: Record<string, string> };
    expect(echoed.url).toBe('/api/documents/?q=1');
    expect(echoed.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(echoed.headers['x-real-ip']).toBe('127.0.0.1');
    expect(echoed.headers['x-forwarded-proto']).toBe('http');
    expect(echoed.headers['x-forwarded-host']).toBe('127.0.0.1');
    expect(echoed.headers.host).toBe('127.0.0.1');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(r.headers.server).toBe('nginx');
  });

  it('carries WebSockets on the endpoint found in the code', async () => {
    expect(await wsRoundTrip(`ws://127.0.0.1:${port}/ws/jobs/42`, 'progress?')).toBe('echo:progress?');
  });

  it('takes an upload just under client_max_body_size and refuses one over it with 413', async () => {
    expect(limit, 'client_max_body_size in m').not.toBeNull();
    const max = Number(limit![1]) * 1024 * 1024;
    const under = await request(port, '/api/documents/', { method: 'POST', body: Buffer.alloc(max - 1024, 97) });
    expect(under.status).toBe(200);
    expect(JSON.parse(under.body).size).toBe(max - 1024);
    const over = await request(port, '/api/documents/', { method: 'POST', body: Buffer.alloc(max + 1, 97) });
    expect(over.status).toBe(413);
  });

  it('limits a burst of API requests per client (429 past the burst)', async () => {
    const rs = await Promise.all(Array.from({ length: 40 }, () => request(port, '/api/documents/')));
    const codes = rs.map((r) => r.status);
    expect(codes.filter((c) => c === 429).length).toBeGreaterThan(0);
    expect(codes.filter((c) => c === 200).length).toBeGreaterThanOrEqual(20);
    // The frontend is not rate limited.
    const pages = await Promise.all(Array.from({ length: 40 }, () => request(port, '/')));
    expect(pages.every((r) => r.status === 200)).toBe(true);
  });
});

describe.skipIf(!!unavailable)('seed projects: both nginx transforms, then nginx -t', () => {
  const projects = fs.readdirSync(path.join(FIXTURES, 'projects')).sort();
  it('docproc-ws (seed 004) exists', () => {
    expect(projects).toContain('docproc-ws');
  });
  for (const name of projects) {
    it(name, async () => {
      const copy = tmpDir(`shipshape-${name}-`);
      copyTree(path.join(FIXTURES, 'projects', name), copy);
      const plan = await planFixes(openWorkspace(copy), { all: true, only: ['nginx', 'compose/reverse-proxy'] });
      expect(plan.session.failures).toEqual([]);
      expect(plan.outcomes.filter((o) => o.status !== 'applied' && o.status !== 'resolved').map((o) => `${o.finding.rule}: ${o.status} ${o.reason}`)).toEqual([]);
      for (const ch of plan.changes) {
        fs.mkdirSync(path.dirname(path.join(copy, ch.file)), { recursive: true });
        fs.writeFileSync(path.join(copy, ch.file), ch.after);
      }
      if (openWorkspace(copy).files('nginx').length) checkTree(copy);
      if (name === 'docproc-ws') {
        expect(plan.outcomes.filter((o) => o.status === 'applied').map((o) => o.finding.rule)).toContain('nginx/websocket-upgrade');
        // Fixing again proposes nothing.
        const again = await planFixes(openWorkspace(copy), { all: true, only: ['nginx', 'compose/reverse-proxy'] });
        expect(again.changes.map((c) => c.file)).toEqual([]);
      }
    });
  }
});

describe.skipIf(!!unavailable)('live: seed 004 (docproc-ws) proxy, original vs fixed', () => {
  const stops: (() => Promise<void>)[] = [];
  let backend: Backend;
  let frontend: Backend;
  let fixed: string;
  let original: string;
  const confFile = 'nginx/conf.d/default.conf';
  beforeAll(async () => {
    backend = await startBackend();
    stops.push(() => backend.close());
    frontend = await startBackend();
    stops.push(() => frontend.close());
    const copy = tmpDir('shipshape-docproc-');
    copyTree(path.join(FIXTURES, 'projects', 'docproc-ws'), copy);
    original = fs.readFileSync(path.join(copy, confFile), 'utf8');
    const plan = await planFixes(openWorkspace(copy), { all: true, only: ['nginx/websocket-upgrade'] });
    fixed = plan.changes.find((c) => c.file === confFile)!.after;
  });
  afterAll(async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  });

  async function run(text: string, fn: (port: number) => Promise<void>): Promise<void> {
    const port = await freePort();
    const etc = layout({ confd: { 'default.conf': withLoopbackPorts(text, [port], { 'backend:8000': backend.port, 'frontend:80': frontend.port }) } });
    let nginx: Running | undefined;
    const stop = async () => nginx?.stop();
    stops.push(stop);
    try {
      nginx = await startNginx(etc, port);
      await fn(port);
    } finally {
      await stop();
    }
  }

  it('the original config breaks the progress WebSocket; the fixed one carries it', async () => {
    await run(original, async (port) => {
      await expect(wsRoundTrip(`ws://127.0.0.1:${port}/ws/progress/job-1`, 'hi')).rejects.toThrow();
    });
    await run(fixed, async (port) => {
      expect(await wsRoundTrip(`ws://127.0.0.1:${port}/ws/progress/job-1`, 'hi')).toBe('echo:hi');
      expect(JSON.parse((await request(port, '/api/jobs')).body).url).toBe('/api/jobs');
    });
  });
});
