// Reading SARIF 2.1.0 from other tools: every run (a merged file may hold several tools), each
// result's rule id (ruleId, rule.id, or ruleIndex into the driver's or an extension's rules), its
// first physical location (artifactLocation.uri with uriBaseId resolved through the run's
// originalUriBaseIds, or an index into run.artifacts) and region lines. Results that are
// suppressed (suppressions not rejected), passing or not applicable, or absent from the
// baseline are not findings and are left out.
import { toolKey, toolOfRuleId } from './mapping.js';
import { ReportError, type ExternalFinding } from './types.js';

type Json = Record<string, unknown>;

const obj = (v: unknown): Json | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined);

export function isSarif(doc: unknown): boolean {
  const d = obj(doc);
  return Boolean(d && Array.isArray(d.runs) && (d.version === '2.1.0' || typeof d.$schema === 'string' || d.runs.length > 0));
}

/** An artifactLocation's base: uriBaseId through originalUriBaseIds (which may chain). */
function baseOf(run: Json, id: string | undefined, depth = 0): string | undefined {
  if (!id || depth > 5) return undefined;
  const entry = obj(obj(run.originalUriBaseIds)?.[id]);
  const uri = str(entry?.uri);
  if (!entry || uri === undefined) return undefined;
  const parent = baseOf(run, str(entry.uriBaseId), depth + 1);
  if (!parent) return uri;
  return parent.replace(/\/?$/, '/') + uri;
}

function ruleIdOf(run: Json, result: Json): { id?: string; title?: string } {
  const driver = obj(obj(run.tool)?.driver);
  const ref = obj(result.rule);
  let rules = arr(driver?.rules);
  const comp = obj(ref?.toolComponent);
  if (comp && num(comp.index) !== undefined) rules = arr(obj(arr(obj(run.tool)?.extensions)[comp.index as number])?.rules);
  const index = typeof result.ruleIndex === 'number' ? result.ruleIndex : typeof ref?.index === 'number' ? ref.index : undefined;
  const byIndex = index !== undefined && index >= 0 ? obj(rules[index]) : undefined;
  const id = str(result.ruleId) ?? str(ref?.id) ?? str(byIndex?.id);
  const desc = byIndex ?? (id ? (rules.map(obj).find((r) => r?.id === id) as Json | undefined) : undefined);
  let title = str(obj(desc?.shortDescription)?.text) ?? str(desc?.name);
  // Trivy HTML-escapes its titles; Semgrep's only repeats the id ("Semgrep Finding: <id>").
  if (title) title = unescapeHtml(title);
  if (title && id && (title === id || title.endsWith(': ' + id))) title = undefined;
  return { id, title };
}

function unescapeHtml(s: string): string {
  return s.replace(/&(#\d+|#x[0-9a-f]+|quot|amp|lt|gt|apos);/gi, (m, e: string) => {
    const named: Record<string, string> = { quot: '"', amp: '&', lt: '<', gt: '>', apos: "'" };
    if (e[0] !== '#') return named[e.toLowerCase()] ?? m;
    const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
    return Number.isFinite(code) && code > 0 && code < 0x110000 ? String.fromCodePoint(code) : m;
  });
}

function isFinding(result: Json): boolean {
  const kind = str(result.kind) ?? 'fail';
  if (kind === 'pass' || kind === 'notApplicable') return false;
  if (result.baselineState === 'absent') return false;
  const sup = arr(result.suppressions).map(obj);
  if (sup.some((s) => s && s.status !== 'rejected')) return false;
  return true;
}

export function readSarif(doc: unknown): { findings: ExternalFinding[]; tools: string[] } {
  const d = obj(doc);
  if (!d || !Array.isArray(d.runs)) throw new ReportError('not a SARIF log: no "runs" array');
  if (d.version !== undefined && d.version !== '2.1.0') throw new ReportError(`SARIF version ${String(d.version)} is not supported (2.1.0 is)`);
  const findings: ExternalFinding[] = [];
  const tools: string[] = [];
  for (const r of d.runs) {
    const run = obj(r);
    if (!run) continue;
    const driver = obj(obj(run.tool)?.driver);
    const toolName = str(driver?.name) ?? 'unknown tool';
    tools.push(toolName);
    const known = toolKey(toolName);
    const artifacts = arr(run.artifacts);
    const declared = Object.keys(obj(run.originalUriBaseIds) ?? {})
      .map((k) => baseOf(run, k))
      .filter((b): b is string => Boolean(b) && /^(?:file:|\/|[A-Za-z]:[\\/])/i.test(b!));
    for (const x of arr(run.results)) {
      const result = obj(x);
      if (!result || !isFinding(result)) continue;
      const { id, title } = ruleIdOf(run, result);
      if (!id) continue;
      const phys = obj(obj(arr(result.locations)[0])?.physicalLocation);
      let art = obj(phys?.artifactLocation);
      if (art && str(art.uri) === undefined && typeof art.index === 'number') {
        art = obj(obj(artifacts[art.index])?.location) ?? art;
      }
      const region = obj(phys?.region);
      const uri = str(art?.uri);
      const base = baseOf(run, str(art?.uriBaseId));
      const line = num(region?.startLine);
      findings.push({
        tool: known ?? toolOfRuleId(id) ?? toolName.toLowerCase(),
        toolName,
        ruleId: id,
        title,
        message: str(obj(result.message)?.text),
        uri,
        isUri: true,
        uriBase: base,
        bases: declared,
        line,
        endLine: num(region?.endLine) ?? line,
        snippet: str(obj(region?.snippet)?.text),
        severity: str(result.level),
      });
    }
  }
  return { findings, tools };
}
