// External findings and shipshape's own → one entry per problem. An external finding is the
// same problem as a shipshape finding when its id maps to that rule (mapping.ts) and it points at
// the same place: the same file for rules with one finding per file, else the same compose
// service or lines within NEAR_LINES. Healthcheck findings other tools report on a Dockerfile are
// looked for on the compose services that build it. Every item of the report ends up in an entry:
// matched ones list all their sources next to shipshape's; the others say why there is no fix.
import type { Finding, Rule } from '../types.js';
import type { Workspace } from '../workspace.js';
import { compose } from '../project/compose.js';
import { composeBuildsOf } from '../project/docker.js';
import { lookupExternal, NEAR_LINES, RELOCATE, RULE_SCOPE, toolKey, toolOfRuleId, type ToolKey } from './mapping.js';
import { resolveReported } from './paths.js';
import { matchAuditItem, type AuditDoc } from './audit.js';
import type { ExternalFinding, IntakeEntry, IntakeItem, IntakeSource } from './types.js';

/** Line span of the compose service a line belongs to (undefined outside services). */
function serviceAt(ws: Workspace, file: string, line: number): string | undefined {
  if (ws.kindOf(file) !== 'compose') return undefined;
  const cf = compose(ws, file);
  if (!cf) return undefined;
  let found: string | undefined;
  for (const s of [...cf.services].sort((a, b) => a.line - b.line)) if (s.line <= line) found = s.name;
  return found;
}

function distance(f: Finding, line: number): number {
  return line >= f.line && line <= f.endLine ? 0 : Math.min(Math.abs(line - f.line), Math.abs(line - f.endLine));
}

function closest(fs: Finding[], line: number): Finding[] {
  const best = Math.min(...fs.map((f) => distance(f, line)));
  return fs.filter((f) => distance(f, line) === best);
}

/** Findings of a rule in a file that are the problem another tool reports at [line, endLine]. */
export function sameProblem(ws: Workspace, rule: string, inFile: Finding[], line?: number, endLine?: number): Finding[] {
  if (!inFile.length) return [];
  if (line === undefined) return inFile;
  const end = Math.max(endLine ?? line, line);
  if ((RULE_SCOPE[rule] ?? 'line') === 'file') return closest(inFile, line);
  const file = inFile[0]!.file;
  const svc = serviceAt(ws, file, line);
  const hits = inFile.filter((f) => {
    if (svc !== undefined && serviceAt(ws, file, f.line) === svc) return true;
    return f.line - NEAR_LINES <= end && line <= f.endLine + NEAR_LINES;
  });
  if (hits.length <= 1 || end - line > 2 * NEAR_LINES) return hits;
  return closest(hits, line);
}

/** Compose healthcheck findings of the services that build a Dockerfile. */
function relocated(ws: Workspace, dockerfile: string, findings: Finding[]): { found: Finding[]; why: string } {
  const builds = composeBuildsOf(ws, dockerfile);
  if (!builds.length) return { found: [], why: `no compose service builds ${dockerfile}; shipshape adds healthchecks to compose services` };
  const found: Finding[] = [];
  for (const b of builds) {
    const line = compose(ws, b.file)?.service(b.service)?.line;
    found.push(...findings.filter((f) => f.file === b.file && f.line === line));
  }
  const names = builds.map((b) => `${b.service} (${b.file})`).join(', ');
  return { found, why: `found nothing on ${names}, the compose service${builds.length > 1 ? 's' : ''} building ${dockerfile}` };
}

/** The object without its undefined properties. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** A relative URI joined to the base it is relative to (SARIF uriBaseId). */
function withBase(uri: string, base: string | undefined): string {
  if (!base || /^(?:[a-z][a-z0-9+.-]*:|\/|\\)/i.test(uri)) return uri;
  return base.replace(/\/?$/, '/') + uri;
}

export interface MatchContext {
  ws: Workspace;
  findings: Finding[];
  /** Rule ids that ran (others cannot have findings). */
  active: Set<string>;
  /** Where the scanned files really are, when the workspace is a copy. */
  roots?: string[];
}

export function matchExternal(ctx: MatchContext, ext: ExternalFinding[]): IntakeItem[] {
  const { ws, findings, active } = ctx;
  return ext.map((x, i): IntakeItem => {
    const source = defined<IntakeSource>({ tool: x.tool, ruleId: x.ruleId, uri: x.uri, line: x.line, title: x.title, severity: x.severity, item: i + 1 });
    const tool = toolKey(x.tool) ?? (x.tool as ToolKey | undefined);
    const known = lookupExternal((['hadolint', 'trivy', 'checkov', 'kics', 'semgrep'] as string[]).includes(tool ?? '') ? tool : toolOfRuleId(x.ruleId), x.ruleId);
    const item: IntakeItem = { index: i + 1, source, rules: known?.rule ? [known.rule] : [], matches: [], status: 'no-rule' };
    const where = x.uri ? resolveReported(ws, withBase(x.uri, x.uriBase), { uri: x.isUri, bases: [...x.bases, ...(ctx.roots ?? [])] }) : undefined;
    if (where?.ok) item.file = where.file;
    if (where && !where.ok && (where.problem === 'outside' || where.problem === 'invalid')) {
      return { ...item, status: 'rejected', reason: where.message };
    }
    if (!known?.rule) {
      return { ...item, reason: known?.note ? `no shipshape rule: ${known.note}` : `shipshape has no rule for ${x.tool} ${x.ruleId}` };
    }
    const rule = known.rule;
    if (!where) return { ...item, status: 'no-finding', reason: 'the report gives no location' };
    if (!where.ok) return { ...item, status: 'not-in-repo', reason: where.message };
    if (!active.has(rule)) return { ...item, status: 'no-finding', reason: `${rule} is not selected (--only/--skip or configuration)` };
    const ofRule = findings.filter((f) => f.rule === rule);
    const at = x.line ? `${where.file}:${x.line}` : where.file;
    let matches: Finding[];
    let why: string;
    if (RELOCATE[rule] && ws.kindOf(where.file) === 'dockerfile') {
      const r = relocated(ws, where.file, ofRule);
      matches = r.found;
      why = `${rule} ${r.why}`;
    } else {
      matches = sameProblem(ws, rule, ofRule.filter((f) => f.file === where.file), x.line, x.endLine);
      why = `${rule} found nothing at ${at}${known.note ? ` (${known.note})` : ''}`;
    }
    if (!matches.length) return { ...item, status: 'no-finding', reason: why };
    return { ...item, status: 'matched', matches };
  });
}

export function matchAudit(ctx: MatchContext, doc: AuditDoc): IntakeItem[] {
  return doc.items.map((it): IntakeItem => {
    const m = matchAuditItem(it, ctx.ws, ctx.findings, [...ctx.active]);
    const ref = it.refs.find((r) => r.strong) ?? it.refs[0];
    return {
      index: it.index,
      source: defined<IntakeSource>({
        tool: 'audit',
        ruleId: it.title,
        title: it.section ? `${it.section} › ${it.title}` : undefined,
        uri: ref?.path,
        line: ref?.lines[0],
        severity: it.severity,
        item: it.index,
      }),
      rules: m.rules,
      file: m.file,
      matches: m.matches,
      status: m.status,
      reason: m.reason,
    };
  });
}

/** One entry per problem: matched findings with all their sources, then the items without a fix. */
export function mergeItems(items: IntakeItem[], rules: Rule[]): IntakeEntry[] {
  const byId = new Map(rules.map((r) => [r.id, r]));
  const entries: { first: number; entry: IntakeEntry }[] = [];
  const forFinding = new Map<string, IntakeEntry>();
  for (const it of items) {
    if (it.status === 'matched') {
      for (const f of it.matches) {
        let e = forFinding.get(f.id);
        if (!e) {
          e = {
            rule: f.rule,
            finding: f.id,
            file: f.file,
            line: f.line,
            status: f.fixable ? 'fixable' : 'not-fixable',
            sources: [],
          };
          if (f.fixable) {
            e.safety = f.safety;
            e.fix = byId.get(f.rule)?.fixTitle;
          } else e.reason = f.notFixableReason ?? 'shipshape reports it but has no automatic fix for this case';
          forFinding.set(f.id, e);
          entries.push({ first: it.index, entry: e });
        }
        e.sources.push(it.source);
      }
      continue;
    }
    const rule = it.rules[0] ?? null;
    const file = it.file ?? null;
    const line = it.source.line ?? null;
    // The same unfixable problem reported twice (two tools, or two ids of one tool) is one entry.
    const same =
      it.source.tool === 'audit'
        ? undefined
        : entries.find(
            ({ entry: e }) =>
              e.finding === null &&
              e.status === it.status &&
              e.sources.every((s) => s.tool !== 'audit') &&
              (rule ? e.rule === rule : e.rule === null && e.sources.some((s) => s.tool === it.source.tool && s.ruleId === it.source.ruleId)) &&
              (e.file ?? e.sources[0]?.uri) === (file ?? it.source.uri) &&
              (e.line === null || line === null || Math.abs(e.line - line) <= NEAR_LINES),
          )?.entry;
    if (same) {
      same.sources.push(it.source);
      continue;
    }
    entries.push({
      first: it.index,
      entry: { rule, finding: null, file, line: file ? line : null, status: it.status as IntakeEntry['status'], reason: it.reason, sources: [it.source] },
    });
  }
  for (const e of forFinding.values()) {
    e.sources.push({ tool: 'shipshape', ruleId: e.rule!, uri: e.file!, line: e.line! });
  }
  return entries.sort((a, b) => a.first - b.first).map((x) => x.entry);
}
