// compose/resource-limits: services without memory/CPU limits. One leaking or overloaded container
// can take all of the host's memory: the kernel's OOM killer then picks a victim, often the database.
// Fix: `deploy.resources.limits` with memory and cpus from options (merged into an existing `deploy:`,
// at the anchor when the service inherits `deploy` through a merge key or alias).
import { isMap, isScalar, type Node, type YAMLMap } from 'yaml';
import { defineRule } from '../../src/rule.js';
import { isDevCompose } from '../../src/project/migrations.js';
import type { FileEdit, FindingInput, RuleContext } from '../../src/types.js';
import { compose, composeFiles, lookup, roleOf, type ComposeFile, type ComposeService } from '../../src/project/compose.js';
import { findPair, insertPair, replacePairValue, YamlEditError, type YamlValue } from '../../src/edit/yaml.js';

interface Limits {
  memory: string;
  cpus: string;
}

export default defineRule({
  id: 'compose/resource-limits',
  title: 'Service has no memory or CPU limit',
  fixTitle: 'Add memory and CPU limits to the service',
  severity: 'medium',
  safety: 'review',
  kinds: ['compose'],
  defaults: {
    memory: '512M',
    cpus: '1.0',
    /** Per role of well-known images (database, cache, queue, search, storage, proxy): overrides of memory/cpus. */
    byRole: { database: { memory: '1G' }, search: { memory: '2G' } },
  },
  docs: {
    why:
      'Without limits a container may use all of the host\'s memory and CPU. A memory leak, a large upload or a burst of image ' +
      'processing in one service then starves the others, and when the host runs out of memory the kernel\'s OOM killer picks a ' +
      'process to kill — often the database, the biggest one. A limit turns that into one container restarting on its own.',
    fix:
      'Adds `deploy: resources: limits: {memory, cpus}` to each service without limits (merged into an existing `deploy:` or ' +
      '`resources:` block, or into the anchor a service inherits `deploy` from). Defaults: 512M and 1.0 CPU, 1G for databases and ' +
      '2G for search engines; change them with the rule options `memory`, `cpus` and `byRole`.',
    safetyNote:
      'A limit lower than what the service really needs gets it OOM-killed under load: check the numbers against `docker stats` ' +
      'under production-like traffic before deploying.',
    example: {
      before: "services:\n  api:\n    image: acme/api:1.0\n  db:\n    image: postgres:16\n",
      after: "services:\n  api:\n    image: acme/api:1.0\n    deploy:\n      resources:\n        limits:\n          memory: 512M\n          cpus: \"1.0\"\n  db:\n    image: postgres:16\n    deploy:\n      resources:\n        limits:\n          memory: 1G\n          cpus: \"1.0\"\n",
    },
    references: ['https://docs.docker.com/reference/compose-file/deploy/#resources', 'https://docs.docker.com/engine/containers/resource_constraints/'],
  },
  detect(ctx) {
    const out: FindingInput[] = [];
    const limited = servicesWithLimits(ctx);
    for (const file of composeFiles(ctx.ws)) {
      if (isDevCompose(file)) continue;
      const cf = compose(ctx.ws, file);
      if (!cf) continue;
      for (const svc of cf.services) {
        if (!svc.map || (!svc.image && !svc.build && !svc.get('extends'))) continue; // a partial override of another file's service
        if (limited.has(svc.name)) continue;
        const l = limitsFor(ctx, svc);
        out.push({
          file,
          start: svc.keyNode.range?.[0],
          end: svc.keyNode.range?.[1],
          message: `service "${svc.name}" has no memory or CPU limit: a leak or a burst of load in it can take the whole host's memory and get other containers (often the database) OOM-killed; fix: limit it to ${l.memory} and ${l.cpus} CPU`,
          anchor: `service:${svc.name}`,
          data: { file, service: svc.name },
        });
      }
    }
    return out;
  },
  fix(finding, ctx) {
    const { file, service } = finding.data as { file: string; service: string };
    const cf = compose(ctx.ws, file);
    const svc = cf?.service(service);
    if (!cf || !svc?.map) return null;
    try {
      return limitEdits(cf, svc, limitsFor(ctx, svc));
    } catch (e) {
      if (e instanceof YamlEditError) return null;
      throw e;
    }
  },
});

/** Names of services that some production compose file gives limits (mem_limit or deploy.resources.limits). */
function servicesWithLimits(ctx: RuleContext): Set<string> {
  const out = new Set<string>();
  for (const file of composeFiles(ctx.ws)) {
    if (isDevCompose(file)) continue;
    for (const svc of compose(ctx.ws, file)?.services ?? []) if (hasLimits(svc)) out.add(svc.name);
  }
  return out;
}

function hasLimits(svc: ComposeService): boolean {
  const v = svc.value as { mem_limit?: unknown; deploy?: { resources?: { limits?: unknown } } };
  if (v.mem_limit !== undefined && v.mem_limit !== null) return true;
  const limits = v.deploy?.resources?.limits;
  return limits !== undefined && limits !== null;
}

function limitsFor(ctx: RuleContext, svc: ComposeService): Limits {
  const o = ctx.options as { memory?: unknown; cpus?: unknown; byRole?: Record<string, { memory?: unknown; cpus?: unknown }> };
  const role = roleOf(svc.kind);
  const r = role ? o.byRole?.[role] : undefined;
  return { memory: String(r?.memory ?? o.memory ?? '512M'), cpus: String(r?.cpus ?? o.cpus ?? '1.0') };
}

function limitsValue(l: Limits): YamlValue {
  return { memory: l.memory, cpus: l.cpus };
}

/** Edits that give a service limits, merged into what it has. */
function limitEdits(cf: ComposeFile, svc: ComposeService, l: Limits): FileEdit[] {
  const t = cf.target;
  const deploy = svc.deploy;
  if (!deploy) return [insertPair(t, svc.map!, 'deploy', { resources: { limits: limitsValue(l) } })];
  const dnode = deploy.node as Node | null;
  if (!dnode || (isScalar(dnode) && dnode.value === null)) {
    // `deploy:` with nothing: give it a value.
    if (!deploy.pair || deploy.shared) return [];
    return replacePairValue(t, deploy.pair, { resources: { limits: limitsValue(l) } });
  }
  if (!isMap(dnode)) return [];
  const dmap = dnode as YAMLMap;
  const res = lookup(cf.model.doc, dmap, 'resources');
  if (!res) return [insertPair(t, dmap, 'resources', { limits: limitsValue(l) })];
  const rnode = res.node as Node | null;
  if (!rnode || (isScalar(rnode) && rnode.value === null)) {
    const p = findPair(dmap, 'resources');
    return p ? replacePairValue(t, p, { limits: limitsValue(l) }) : [];
  }
  if (!isMap(rnode)) return [];
  return [insertPair(t, rnode as YAMLMap, 'limits', limitsValue(l))];
}
