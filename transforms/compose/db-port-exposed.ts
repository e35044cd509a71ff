// compose/db-port-exposed: a database, cache, queue or search engine publishes its port on every
// host interface (`"5432:5432"`), so anyone who reaches the host reaches it — often with a default
// password, and Docker's iptables rules bypass host firewalls such as ufw. The fix binds the port to
// 127.0.0.1 (option mode: drop removes it, when only other containers use it).
import { isMap, isScalar, type Scalar, type YAMLMap, type YAMLSeq } from 'yaml';
import { defineRule } from '../../src/rule.js';
import type { FileEdit, FindingInput } from '../../src/types.js';
import type { Workspace } from '../../src/workspace.js';
import { compose, composeFiles, holderOf, isBackingService, isDevComposeFile, roleOf, type ComposeFile, type ComposeService, type PortEntry } from '../../src/project/compose.js';
import { findPair, insertPair, removePair, removeSeqItem, replaceScalar } from '../../src/edit/yaml.js';

type Mode = 'bind-localhost' | 'drop';

const ALL_INTERFACES = new Set(['0.0.0.0', '::', '[::]', '']);

/** A port entry published on every interface (no host_ip, 0.0.0.0 or ::). */
function exposed(p: PortEntry): boolean {
  if (p.syntax === 'long' && p.published === undefined) return false; // long syntax without published: not published
  return p.hostIp === undefined || ALL_INTERFACES.has(p.hostIp);
}

/** Short syntax bound to localhost: `127.0.0.1:5432:5432`, keeping range and protocol. */
export function bindLocal(p: PortEntry): string {
  const proto = p.protocol ? `/${p.protocol}` : '';
  return `127.0.0.1:${p.published ?? ''}:${p.target}${proto}`;
}

interface Hit {
  cf: ComposeFile;
  svc: ComposeService;
  ports: PortEntry[];
}

function hits(ws: Workspace): Hit[] {
  const out: Hit[] = [];
  for (const file of composeFiles(ws)) {
    if (isDevComposeFile(file)) continue;
    const cf = compose(ws, file);
    if (!cf) continue;
    const seen = new Set<unknown>();
    for (const svc of cf.services) {
      if (!isBackingService(svc.kind) || roleOf(svc.kind) === 'storage') continue;
      if (svc.value.network_mode === 'host') continue;
      const ports = svc.ports.filter((p) => exposed(p) && !seen.has(p.node));
      for (const p of ports) seen.add(p.node);
      if (ports.length) out.push({ cf, svc, ports });
    }
  }
  return out;
}

function label(p: PortEntry): string {
  return p.published ? `${p.published}:${p.target}` : p.target;
}

interface Data {
  service: string;
  index: number;
}

export default defineRule({
  id: 'compose/db-port-exposed',
  title: 'Database or cache port published on all host interfaces',
  fixTitle: 'Bind the port to 127.0.0.1',
  severity: 'high',
  safety: 'review',
  defaults: { mode: 'bind-localhost' },
  docs: {
    why:
      'A `ports:` entry like `"5432:5432"` publishes the database on every interface of the host, so anyone who can reach the server can try its password (often a default). Docker writes its own iptables rules, so a host firewall such as ufw does not block it. Other containers never need a published port: they reach the service over the compose network by its name.',
    fix:
      'Prefixes the mapping with 127.0.0.1 (`"127.0.0.1:5432:5432"`; long syntax gets `host_ip: 127.0.0.1`), so only the host itself — an SSH tunnel, a local admin tool — can connect. With the option `mode: drop` the published port is removed instead, for services that only other containers use.',
    safetyNote:
      'Clients outside the host that connected to the published port (a developer laptop, another server) lose access; they should go through an SSH tunnel or a private network. `mode: drop` also cuts tools on the host itself.',
    references: [
      'https://docs.docker.com/engine/network/packet-filtering-firewalls/',
      'https://docs.docker.com/reference/compose-file/services/#ports',
    ],
  },
  kinds: ['compose'],
  detect(ctx) {
    const out: FindingInput[] = [];
    for (const h of hits(ctx.ws)) {
      for (const p of h.ports) {
        const r = p.node.range!;
        out.push({
          file: h.cf.file,
          start: r[0],
          end: r[1],
          message: `Service ${h.svc.name} (${h.svc.kind}) publishes port ${label(p)} on all host interfaces; bind it to 127.0.0.1 or remove it`,
          anchor: `${h.svc.name}:${label(p)}`,
          data: { service: h.svc.name, index: p.index } satisfies Data,
        });
      }
    }
    return out;
  },
  fix(finding, ctx) {
    const { service, index } = finding.data as Data;
    const mode = (ctx.options.mode as Mode) ?? 'bind-localhost';
    const h = hits(ctx.ws).find((x) => x.cf.file === finding.file && x.svc.name === service);
    const p = h?.ports.find((x) => x.index === index);
    if (!h || !p) return null;
    const t = h.cf.target;
    if (mode === 'drop') {
      // Every exposed entry of the service goes in one change, so the list never ends up empty.
      const seq = p.container as YAMLSeq;
      if (h.ports.length === seq.items.length) {
        const pair = h.svc.portsNode?.pair;
        const holder = pair ? holderOf(h.cf.model.doc, pair) : undefined;
        if (!pair || !holder) return null;
        if (holder.items.length === 1) return null;
        return [removePair(t, holder, pair)];
      }
      if (seq.flow) {
        // A flow list is rewritten from the source text of the items it keeps.
        const drop = new Set(h.ports.map((x) => x.index));
        const kept = seq.items.filter((_, i) => !drop.has(i)).map((it) => t.text.slice((it as Scalar).range![0], (it as Scalar).range![1]));
        return [{ file: t.file, start: seq.range![0], end: seq.range![1], text: `[${kept.join(', ')}]` }];
      }
      return h.ports.map((x) => removeSeqItem(t, seq, x.index));
    }
    const edits: FileEdit[] = [];
    if (p.syntax === 'short') {
      edits.push(replaceScalar(t, p.node as Scalar, bindLocal(p)));
    } else if (isMap(p.node)) {
      const m = p.node as YAMLMap;
      const hostIp = findPair(m, 'host_ip');
      if (hostIp && isScalar(hostIp.value)) edits.push(replaceScalar(t, hostIp.value as Scalar, '127.0.0.1'));
      else edits.push(insertPair(t, m, 'host_ip', '127.0.0.1'));
    }
    return edits;
  },
});
