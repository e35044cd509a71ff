// compose/network-segmentation: every service on the one default network, so the reverse proxy (and
// anything that gets compromised) can reach the databases directly (seed 003). Fix: a `frontend`
// network and an `internal: true` `backend` network; databases and caches only on `backend` (plus a
// non-internal `host-ports` network, and never `frontend`, for one that publishes ports to the host).
import { isMap, isScalar, visit, type YAMLMap } from 'yaml';
import { defineRule } from '../../src/rule.js';
import { isDevCompose, migrationCommand } from '../../src/project/migrations.js';
import type { FileEdit, FindingInput } from '../../src/types.js';
import { compose, composeFiles, isBackingService, roleOf, type ComposeFile, type ComposeService } from '../../src/project/compose.js';
import { findPair, insertPair, raw, YamlEditError, type YamlValue } from '../../src/edit/yaml.js';

const FRONTEND = 'frontend';
const BACKEND = 'backend';
/**
 * Non-internal network that only backing services publishing ports join: Docker publishes no port of a
 * container that is only on internal networks (a port bound to 127.0.0.1 included), and `frontend`
 * would put the database back within the proxy's reach.
 */
const HOST_PORTS = 'host-ports';

export default defineRule({
  id: 'compose/network-segmentation',
  title: 'All services share one network, databases included',
  fixTitle: 'Put databases and caches on an internal backend network',
  severity: 'medium',
  safety: 'review',
  kinds: ['compose'],
  docs: {
    why:
      'With no `networks:` every service joins the project\'s default network and can open a connection to every other one: the ' +
      'reverse proxy, a frontend container or any compromised service can talk to PostgreSQL, Redis or ClickHouse directly. ' +
      'Segmenting the network limits what an attacker who gets into one container can reach.',
    fix:
      'Adds a `frontend` network and an `internal: true` `backend` network. Databases, caches, queues and search engines join ' +
      '`backend` only; proxies join `frontend` (and `backend` when they depend on a backing service); application services join ' +
      'both, so they keep reaching the databases and the internet. A backing service that publishes ports (even on 127.0.0.1) ' +
      'also joins `host-ports`, a dedicated non-internal network that exists only so its ports get published (Docker publishes ' +
      'no port of a container that is only on internal networks); it is never put on `frontend`, so the proxy still cannot reach it. ' +
      'A one-shot migration job (others wait for it with `service_completed_successfully`) joins `backend` only. `depends_on` is untouched.',
    safetyNote:
      'Services on an internal network have no route to the internet: a database or cache that needs outbound access (replication ' +
      'to another host, backups to S3) must also join a non-internal network (`host-ports` when it has one). Containers started ' +
      'outside this file that connected to the default network lose access. A published port stays reachable from the host as ' +
      'before, but containers on `frontend` no longer reach the database by its service name: a tool in another container that did must join `backend`.',
    example: {
      before: "services:\n  api:\n    image: acme/api:1.0\n    ports:\n      - \"8000:8000\"\n  db:\n    image: postgres:16\n",
      after: "services:\n  api:\n    image: acme/api:1.0\n    ports:\n      - \"8000:8000\"\n    networks:\n      - frontend\n      - backend\n  db:\n    image: postgres:16\n    networks:\n      - backend\nnetworks:\n  frontend: {}\n  backend:\n    internal: true\n",
    },
    references: ['https://docs.docker.com/reference/compose-file/networks/', 'https://docs.docker.com/engine/network/drivers/bridge/'],
  },
  detect(ctx) {
    const out: FindingInput[] = [];
    for (const file of composeFiles(ctx.ws)) {
      if (isDevCompose(file)) continue;
      const cf = compose(ctx.ws, file);
      if (!cf || !cf.servicesPair || cf.services.length < 2) continue;
      if (cf.services.some((s) => s.get('networks') !== undefined)) {
        out.push(...strayFindings(cf));
        continue;
      }
      const backing = cf.services.filter((s) => isBackingService(s.kind));
      const others = cf.services.filter((s) => !isBackingService(s.kind));
      if (!backing.length || !others.length) continue;
      const modes = cf.services.filter((s) => s.get('network_mode') !== undefined);
      const plan = planOf(cf);
      const reach = others.map((s) => s.name).join(', ');
      const keyR = (cf.servicesPair.key as { range?: [number, number, number] }).range;
      const exposed = backing.filter((s) => s.ports.length);
      const fixable = modes.length === 0 && !plan.some((p) => p.service.shared || !p.service.map);
      out.push({
        file,
        start: keyR?.[0],
        end: keyR?.[1],
        message:
          `all ${cf.services.length} services share the default network: ${reach} can reach ${backing.map((s) => s.name).join(', ')} directly; ` +
          `fix: put ${backing.map((s) => s.name).join(', ')} on an internal "backend" network` +
          (exposed.length
            ? ` (${exposed.map((s) => s.name).join(', ')} also ${exposed.length > 1 ? 'join' : 'joins'} "${HOST_PORTS}", a non-internal network ` +
              `only for publishing ${exposed.length > 1 ? 'their' : 'its'} ports, since Docker publishes none from internal networks)`
            : ''),
        anchor: 'default-network',
        fixable,
        notFixableReason: fixable
          ? undefined
          : modes.length
            ? `${modes.map((s) => s.name).join(', ')} ${modes.length > 1 ? 'set' : 'sets'} network_mode, which cannot be combined with networks: segment the networks by hand`
            : 'a service is written as an alias of an anchor: give each service its own mapping, then fix again',
        data: { file },
      });
    }
    return out;
  },
  fix(finding, ctx) {
    const { file, service } = finding.data as { file: string; service?: string };
    const cf = compose(ctx.ws, file);
    if (!cf) return null;
    try {
      if (service !== undefined) {
        const p = planOf(cf).find((x) => x.service.name === service);
        if (!p?.service.map || p.service.shared) return null;
        const out = [insertPair(cf.target, p.service.map, 'networks', p.networks)];
        if (p.networks.includes(HOST_PORTS)) {
          const top = findPair(cf.root, 'networks');
          if (!top || !isMap(top.value)) return null;
          if (!findPair(top.value as YAMLMap, HOST_PORTS)) out.push(insertPair(cf.target, top.value as YAMLMap, HOST_PORTS, hostPortsValue(cf, top.value as YAMLMap, [p.service.name])));
        }
        return out;
      }
      return edits(cf);
    } catch (e) {
      if (e instanceof YamlEditError) return null;
      throw e;
    }
  },
});

/**
 * Services left out of a file's frontend/backend scheme (added after it was set up): on the default
 * network alone they cannot reach the services that moved to `frontend`/`backend`.
 */
function strayFindings(cf: ComposeFile): FindingInput[] {
  const top = cf.section('networks');
  if (!top || !isMap(top.node)) return [];
  const nets = top.node as YAMLMap;
  const backend = findPair(nets, BACKEND);
  if (!findPair(nets, FRONTEND) || !backend || !isMap(backend.value) || !findPair(backend.value as YAMLMap, 'internal')) return [];
  const out: FindingInput[] = [];
  for (const p of planOf(cf)) {
    const s = p.service;
    if (s.get('networks') !== undefined || s.get('network_mode') !== undefined) continue;
    out.push({
      file: cf.file,
      start: s.keyNode.range?.[0],
      end: s.keyNode.range?.[1],
      message: `service "${s.name}" is on neither "${FRONTEND}" nor "${BACKEND}": alone on the default network it cannot reach the services that are; fix: networks ${p.networks.join(', ')}`,
      anchor: `stray:${s.name}`,
      fixable: Boolean(s.map && !s.shared),
      notFixableReason: s.map && !s.shared ? undefined : 'the service is written as an alias of an anchor: add its networks where the anchor is defined',
      data: { file: cf.file, service: s.name },
    });
  }
  return out;
}

interface Placement {
  service: ComposeService;
  networks: string[];
}

/** Which networks each service joins. */
function planOf(cf: ComposeFile): Placement[] {
  const backingNames = new Set(cf.services.filter((s) => isBackingService(s.kind)).map((s) => s.name));
  return cf.services.map((s) => {
    // A port published on 127.0.0.1 still needs a non-internal network: Docker publishes no port of a
    // container that is only on internal networks. Not `frontend`, where the proxy would reach it.
    if (isBackingService(s.kind)) return { service: s, networks: s.ports.length ? [BACKEND, HOST_PORTS] : [BACKEND] };
    if (isMigrationJob(cf, s)) return { service: s, networks: [BACKEND] };
    if (roleOf(s.kind) === 'proxy') {
      const needsBackend = s.dependsOn.some((d) => backingNames.has(d.name));
      return { service: s, networks: needsBackend ? [FRONTEND, BACKEND] : [FRONTEND] };
    }
    return { service: s, networks: [FRONTEND, BACKEND] };
  });
}

/**
 * A one-shot migration job (compose/migrate-service's `migrate`): others wait for it to complete, it
 * publishes nothing and runs migrations, so it needs the databases on `backend` and nothing else.
 */
function isMigrationJob(cf: ComposeFile, s: ComposeService): boolean {
  if (s.ports.length) return false;
  const oneShot = cf.services.some((o) => o.dependsOn.some((d) => d.name === s.name && d.condition === 'service_completed_successfully')) || s.value.restart === 'no';
  if (!oneShot) return false;
  const cmd = s.value.command;
  const words = Array.isArray(cmd) ? cmd.map(String) : typeof cmd === 'string' ? cmd.split(/\s+/).filter(Boolean) : [];
  return migrationCommand(words) !== undefined || /migrat/i.test(s.name);
}

function edits(cf: ComposeFile): FileEdit[] {
  const t = cf.target;
  const out: FileEdit[] = [];
  const plan = planOf(cf);
  for (const p of plan) {
    if (!p.service.map || p.service.shared) return [];
    out.push(insertPair(t, p.service.map, 'networks', p.networks));
  }
  // Top-level networks: add what is missing. Pushed last: when it lands where the last service ends,
  // the engine keeps insertions at one point in order, so it comes after that service's lines.
  const publishers = plan.filter((p) => p.networks.includes(HOST_PORTS)).map((p) => p.service.name);
  const top = findPair(cf.root, 'networks');
  const wanted: Record<string, YamlValue> = { [FRONTEND]: {}, [BACKEND]: { internal: true } };
  if (publishers.length) wanted[HOST_PORTS] = hostPortsValue(cf, top && isMap(top.value) ? (top.value as YAMLMap) : undefined, publishers);
  if (!top) {
    // Before the section that follows `services:` (volumes, …) rather than right where the last service
    // ends: other fixes append to the last service at that point, and would land after this block.
    const idx = cf.root.items.indexOf(cf.servicesPair as never);
    const next = cf.root.items[idx + 1];
    const nextKey = next && isScalar(next.key) ? String(next.key.value) : undefined;
    if (nextKey !== undefined) {
      const e = insertPair(t, cf.root, 'networks', wanted, { before: nextKey });
      // Top-level sections separated by a blank line: keep that layout.
      if (t.text.slice(Math.max(0, e.start - 2), e.start) === '\n\n') e.text += '\n';
      out.push(e);
    } else {
      const e = insertPair(t, cf.root, 'networks', wanted, { after: 'services' });
      if (t.text[e.start] === '\n') e.text = '\n' + e.text;
      out.push(e);
    }
  }
  else if (isMap(top.value)) {
    for (const [name, v] of Object.entries(wanted)) if (!findPair(top.value as YAMLMap, name)) out.push(insertPair(t, top.value as YAMLMap, name, v));
  } else return [];
  return out;
}

/**
 * `host-ports`' value: `{}`, with a comment saying why the network exists when the file has comments
 * and the line is in block style (a comment cannot go inside a flow map).
 */
function hostPortsValue(cf: ComposeFile, networks: YAMLMap | undefined, publishers: string[]): YamlValue {
  if (networks?.flow || !hasComments(cf)) return {};
  return raw(`{}  # not internal: only so ${publishers.join(', ')} can publish ${publishers.length > 1 ? 'their' : 'its'} ports`);
}

function hasComments(cf: ComposeFile): boolean {
  const doc = cf.model.doc;
  if (doc.commentBefore || doc.comment) return true;
  let found = false;
  visit(doc, (_key, node) => {
    const n = node as { comment?: string | null; commentBefore?: string | null };
    if (n.comment || n.commentBefore) {
      found = true;
      return visit.BREAK;
    }
    return undefined;
  });
  return found;
}
