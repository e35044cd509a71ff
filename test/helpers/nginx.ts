// Running the real nginx binary on configurations the tests produce.
//
// Every run happens in a private mount namespace (`unshare -m`, root only) that lays out the
// container's view: the configuration directory bind-mounted on /etc/nginx (as compose mounts it),
// an /etc/hosts in which every upstream host name (backend, frontend…) is 127.0.0.1, an `nginx`
// user in /etc/passwd for configs that say `user nginx;`, and a tmpfs on /var/log/nginx. Nothing
// outside the namespace changes. A conf.d file is tested inside a minimal stock-like nginx.conf
// that includes /etc/nginx/conf.d/*.conf in http {}, as the official image's does.
// For live runs only, a COPY of the configuration gets loopback ports (listen and upstream ports
// are rewritten with our own parser); the host names stay as generated.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { allDirectives, parseNginx, type NginxConfig } from '../../src/parsers/nginx.js';
import { applyEdits } from '../../src/engine/edits.js';
import type { ModifyEdit } from '../../src/types.js';
import { tmpDir } from './tree.js';

export const NGINX_CANDIDATES = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx'];

export function nginxBinary(): string | undefined {
  return NGINX_CANDIDATES.find((p) => fs.existsSync(p));
}

/** Why nginx cannot be run here, or undefined when it can. */
export function nginxUnavailable(): string | undefined {
  const bin = nginxBinary();
  if (!bin) return `nginx is not installed (looked for ${NGINX_CANDIDATES.join(', ')}); install the Debian package: apt-get install -y nginx`;
  if (process.getuid?.() !== 0) return 'the nginx tests need root for a private mount namespace (unshare -m)';
  const r = spawnSync('unshare', ['-m', 'true'], { encoding: 'utf8' });
  if (r.status !== 0) return `unshare -m does not work here: ${(r.stderr || r.error?.message || '').trim()}`;
  return undefined;
}

/** Host names a configuration proxies to (proxy_pass URLs and upstream servers). */
export function upstreamHosts(cfgs: NginxConfig[]): string[] {
  const hosts = new Set<string>();
  for (const cfg of cfgs) {
    for (const d of allDirectives(cfg)) {
      let h: string | undefined;
      if (d.name === 'proxy_pass') h = /^[a-z]+:\/\/([^/:$]+)/i.exec(d.args[0]?.value ?? '')?.[1];
      else if (d.name === 'server' && d.parent?.name === 'upstream') h = d.args[0]?.value.replace(/:\d+$/, '');
      if (h && !/^[\d.]+$/.test(h) && h !== 'localhost') hosts.add(h);
    }
  }
  return [...hosts].sort();
}

export interface EtcNginx {
  /** Directory that becomes /etc/nginx in the namespace. */
  dir: string;
  /** Scratch directory (temp paths, pid, error log). */
  scratch: string;
  hosts: string[];
  /** Include targets that did not exist and were stood in for with empty files. */
  standIns: string[];
}

const STOCK = (scratch: string, extraMain = '', extraHttp = '') => `worker_processes 1;
pid ${scratch}/nginx.pid;
${extraMain}
events {
    worker_connections 256;
}

http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log ${scratch}/access.log;
    client_body_temp_path ${scratch}/temp/client_body;
    proxy_temp_path ${scratch}/temp/proxy;
    fastcgi_temp_path ${scratch}/temp/fastcgi;
    uwsgi_temp_path ${scratch}/temp/uwsgi;
    scgi_temp_path ${scratch}/temp/scgi;
    sendfile on;
    keepalive_timeout 65;
${extraHttp}
    include /etc/nginx/conf.d/*.conf;
}
`;

/**
 * Lay out an /etc/nginx directory: either a full config tree (its nginx.conf used as is), or
 * conf.d files (name → text) wrapped in the stock nginx.conf.
 */
export function layout(input: { tree: string } | { confd: Record<string, string> }, opts: { extraMain?: string; extraHttp?: string } = {}): EtcNginx {
  const root = tmpDir('shipshape-nginx-');
  fs.chmodSync(root, 0o755); // nginx workers (an unprivileged user) must reach the temp paths
  const dir = path.join(root, 'etc-nginx');
  const scratch = path.join(root, 'scratch');
  fs.mkdirSync(path.join(scratch, 'temp'), { recursive: true });
  fs.chmodSync(scratch, 0o755);
  if ('tree' in input) {
    fs.cpSync(input.tree, dir, { recursive: true });
  } else {
    fs.mkdirSync(path.join(dir, 'conf.d'), { recursive: true });
    for (const [name, text] of Object.entries(input.confd)) fs.writeFileSync(path.join(dir, 'conf.d', name), text);
    fs.writeFileSync(path.join(dir, 'nginx.conf'), STOCK(scratch, opts.extraMain, opts.extraHttp));
  }
  if (!fs.existsSync(path.join(dir, 'mime.types'))) {
    const real = '/etc/nginx/mime.types';
    fs.writeFileSync(path.join(dir, 'mime.types'), fs.existsSync(real) ? fs.readFileSync(real) : 'types {\n    text/html html;\n}\n');
  }
  const cfgs: NginxConfig[] = [];
  const standIns: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.conf')) cfgs.push(parseNginx(fs.readFileSync(p, 'utf8'), p));
    }
  };
  walk(dir);
  for (const cfg of cfgs) {
    for (const inc of cfg.includes) {
      const pat = inc.args[0]?.value ?? '';
      if (/[*?[]/.test(pat)) continue;
      const abs = pat.startsWith('/etc/nginx/') ? path.join(dir, pat.slice('/etc/nginx/'.length)) : pat.startsWith('/') ? undefined : path.join(dir, pat);
      if (abs && !fs.existsSync(abs)) {
        fs.mkdirSync(path.dirname(abs), { recursive: true });
        fs.writeFileSync(abs, '# stand-in for a file the image provides\n');
        standIns.push(pat);
      }
    }
  }
  return { dir, scratch, hosts: upstreamHosts(cfgs), standIns };
}

/** The shell script that prepares the namespace and execs a command in it. */
function nsScript(e: EtcNginx, cmd: string[]): string[] {
  const hostsFile = path.join(e.scratch, 'hosts');
  fs.writeFileSync(hostsFile, `127.0.0.1 localhost\n::1 localhost\n${e.hosts.length ? `127.0.0.1 ${e.hosts.join(' ')}\n` : ''}`);
  const passwd = path.join(e.scratch, 'passwd');
  const group = path.join(e.scratch, 'group');
  const realPasswd = fs.readFileSync('/etc/passwd', 'utf8');
  const realGroup = fs.readFileSync('/etc/group', 'utf8');
  fs.writeFileSync(passwd, realPasswd + (/^nginx:/m.test(realPasswd) ? '' : 'nginx:x:101:101:nginx:/nonexistent:/usr/sbin/nologin\n'));
  fs.writeFileSync(group, realGroup + (/^nginx:/m.test(realGroup) ? '' : 'nginx:x:101:\n'));
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const script = [
    'set -e',
    `mount --bind ${q(hostsFile)} /etc/hosts`,
    `mount --bind ${q(passwd)} /etc/passwd`,
    `mount --bind ${q(group)} /etc/group`,
    `mount --bind ${q(e.dir)} /etc/nginx`,
    'mount -t tmpfs tmpfs /var/log/nginx',
    `exec ${cmd.map(q).join(' ')}`,
  ].join('\n');
  return ['-m', '--propagation', 'private', 'sh', '-c', script];
}

export interface TestResult {
  ok: boolean;
  output: string;
}

/** `nginx -t` on the laid-out configuration, inside the namespace. */
export function nginxTest(e: EtcNginx): TestResult {
  const bin = nginxBinary()!;
  const r = spawnSync('unshare', nsScript(e, [bin, '-t', '-e', path.join(e.scratch, 'error.log'), '-c', '/etc/nginx/nginx.conf']), { encoding: 'utf8' });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}`.trim() };
}

export interface Running {
  proc: ChildProcess;
  pid: number;
  stop(): Promise<void>;
  log(): string;
}

/** Start nginx in the foreground (daemon off) inside the namespace; resolves once it answers on port. */
export async function startNginx(e: EtcNginx, port: number): Promise<Running> {
  const bin = nginxBinary()!;
  const errLog = path.join(e.scratch, 'error.log');
  const proc = spawn('unshare', nsScript(e, [bin, '-e', errLog, '-c', '/etc/nginx/nginx.conf', '-g', 'daemon off;']), { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (b) => (out += b));
  proc.stderr!.on('data', (b) => (out += b));
  const exited = new Promise<void>((res) => proc.once('exit', () => res()));
  const running: Running = {
    proc,
    pid: proc.pid!,
    log: () => out + (fs.existsSync(errLog) ? fs.readFileSync(errLog, 'utf8') : ''),
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        try {
          process.kill(proc.pid!, 'SIGTERM');
        } catch {
          /* already gone */
        }
        const t = setTimeout(() => {
          try {
            process.kill(proc.pid!, 'SIGKILL');
          } catch {
            /* gone */
          }
        }, 3000);
        await exited;
        clearTimeout(t);
      }
    },
  };
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`nginx exited (${proc.exitCode}): ${running.log()}`);
    if (await canConnect(port)) return running;
    await new Promise((r) => setTimeout(r, 50));
  }
  await running.stop();
  throw new Error(`nginx did not listen on 127.0.0.1:${port}: ${running.log()}`);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      res(true);
    });
    s.once('error', () => res(false));
  });
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = net.createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const p = (srv.address() as net.AddressInfo).port;
      srv.close(() => res(p));
    });
  });
}

/**
 * A copy of a configuration for a live run: every `listen` gets 127.0.0.1:<listenPort> (the
 * first server) and upstream ports are mapped (host:port → host:newPort), via parser offsets.
 */
export function withLoopbackPorts(text: string, listenPorts: number[], upstreamPorts: Record<string, number>): string {
  const cfg = parseNginx(text);
  const edits: ModifyEdit[] = [];
  const servers = allDirectives(cfg).filter((d) => d.name === 'server' && d.block);
  servers.forEach((s, i) => {
    for (const l of s.block!.children.filter((d) => d.name === 'listen')) {
      const a = l.args[0]!;
      if (/^\[/.test(a.value)) {
        // IPv6 listeners are dropped from the copy: the namespace has no guarantee of ::1.
        edits.push({ file: 'x', start: l.start, end: l.end, text: '# (ipv6 listen removed for the test)' });
        continue;
      }
      const port = listenPorts[i] ?? listenPorts[0]!;
      edits.push({ file: 'x', start: a.start, end: a.end, text: `127.0.0.1:${port}` });
    }
  });
  const mapPort = (hostPort: string): string | undefined => {
    const m = /^([^:/]+)(?::(\d+))?$/.exec(hostPort);
    if (!m) return undefined;
    const key = `${m[1]}:${m[2] ?? '80'}`;
    return upstreamPorts[key] !== undefined ? `${m[1]}:${upstreamPorts[key]}` : undefined;
  };
  const upstreamNames = new Set(allDirectives(cfg).filter((d) => d.name === 'upstream').map((d) => d.args[0]?.value));
  for (const d of allDirectives(cfg)) {
    if (d.name === 'server' && d.parent?.name === 'upstream' && d.args[0]) {
      const r = mapPort(d.args[0].value);
      if (r) edits.push({ file: 'x', start: d.args[0].start, end: d.args[0].end, text: r });
    }
    if (d.name === 'proxy_pass' && d.args[0]) {
      const m = /^([a-z]+:\/\/)([^/]+)(.*)$/i.exec(d.args[0].value);
      const r = m && !upstreamNames.has(m[2]!) && mapPort(m[2]!);
      if (m && r) edits.push({ file: 'x', start: d.args[0].start, end: d.args[0].end, text: m[1] + r + m[3] });
    }
  }
  return applyEdits(text, edits);
}

export function opensslAvailable(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A self-signed certificate and key (PEM) in dir, for nginx -t of TLS configurations. */
export function selfSignedCert(dir: string, certName = 'fullchain.pem', keyName = 'privkey.pem'): void {
  fs.mkdirSync(dir, { recursive: true });
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost', '-keyout', path.join(dir, keyName), '-out', path.join(dir, certName)], { stdio: 'ignore' });
}
