// Running rules over a workspace and completing what they report into Findings with stable ids.
import { createHash } from 'node:crypto';
import type { Finding, FindingInput, Rule, RuleOptions } from '../types.js';
import type { Workspace } from '../workspace.js';
import { lineOf, lineStarts } from '../text.js';
import type { ResultCache } from './cache.js';

export interface RuleRunOptions {
  /** Per-rule options (merged over the rule's defaults). */
  options?: Record<string, RuleOptions>;
  /** Per-rule severity overrides (from config). */
  severity?: Record<string, Finding['severity']>;
  /** Called with the findings a rule reported, before they are returned (suppressions). */
  filter?: (f: Finding, ws: Workspace) => boolean;
  /** Reuse and keep each rule's findings of the files as they are on disk (see ./cache.ts). */
  cache?: ResultCache;
}

export interface RuleFailure {
  rule: string;
  message: string;
}

/** SHIPSHAPE_TIMING=1: each rule's detect time on stderr (what `npm run bench` profiles first). */
const TIMING = Boolean(process.env.SHIPSHAPE_TIMING);

export function timing(label: string, ms: number): void {
  if (TIMING) process.stderr.write(`shipshape timing: ${label}: ${ms.toFixed(1)} ms\n`);
}

/** SHIPSHAPE_TIMING=1: a line of progress information (fix passes) on stderr. */
export function trace(message: string | (() => string)): void {
  if (TIMING) process.stderr.write(`shipshape timing: ${typeof message === 'string' ? message : message()}\n`);
}

export function findingId(rule: string, file: string, anchor: string, occurrence = 0): string {
  const h = createHash('sha256').update(`${rule}\0${file}\0${anchor}\0${occurrence}`).digest('hex');
  return h.slice(0, 16);
}

export function optionsFor(rule: Rule, run: RuleRunOptions): RuleOptions {
  return { ...(rule.defaults ?? {}), ...(run.options?.[rule.id] ?? {}) };
}

export function complete(rule: Rule, inputs: FindingInput[], ws: Workspace, run: RuleRunOptions): Finding[] {
  const seen = new Map<string, number>();
  const starts = new Map<string, number[]>();
  const out: Finding[] = [];
  for (const f of inputs) {
    let line = f.line ?? 1;
    let endLine = f.endLine ?? line;
    if (f.start !== undefined) {
      const text = ws.text(f.file) ?? '';
      let ls = starts.get(f.file);
      if (!ls) starts.set(f.file, (ls = lineStarts(text)));
      line = lineOf(text, f.start, ls);
      endLine = f.end !== undefined ? lineOf(text, Math.max(f.start, f.end - 1), ls) : line;
    }
    const key = `${f.file}\0${f.anchor}`;
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    const fixable = f.fixable ?? Boolean(rule.fix);
    const finding: Finding = {
      id: findingId(rule.id, f.file, f.anchor, n),
      rule: rule.id,
      severity: f.severity ?? run.severity?.[rule.id] ?? rule.severity,
      message: f.message,
      file: f.file,
      line,
      endLine,
      fixable: fixable && Boolean(rule.fix),
      safety: f.safety ?? rule.safety,
    };
    if (f.notFixableReason) finding.notFixableReason = f.notFixableReason;
    if (f.data !== undefined) finding.data = f.data;
    if (!run.filter || run.filter(finding, ws)) out.push(finding);
  }
  return out;
}

/** Run the rules; a rule that throws is reported as a failure and the others go on. */
export async function runRules(
  ws: Workspace,
  rules: Rule[],
  run: RuleRunOptions = {},
): Promise<{ findings: Finding[]; failures: RuleFailure[] }> {
  const findings: Finding[] = [];
  const failures: RuleFailure[] = [];
  for (const rule of rules) {
    if (!rule.kinds.some((k) => ws.has(k))) continue;
    const t0 = TIMING ? performance.now() : 0;
    try {
      const options = optionsFor(rule, run);
      const inputs = run.cache ? (await run.cache.detect(ws, rule, options)).inputs : await rule.detect({ ws, options });
      findings.push(...complete(rule, inputs, ws, run));
    } catch (e) {
      failures.push({ rule: rule.id, message: (e as Error).stack ?? String(e) });
    }
    if (TIMING) timing(`detect ${rule.id}`, performance.now() - t0);
  }
  if (TIMING) {
    const loaded: Record<string, number> = {};
    for (const f of ws.files()) if (ws.record(f)?.loaded) loaded[ws.kindOf(f) ?? '?'] = (loaded[ws.kindOf(f) ?? '?'] ?? 0) + 1;
    process.stderr.write(`shipshape timing: files read by kind: ${JSON.stringify(loaded)}\n`);
    if (run.cache) process.stderr.write(`shipshape timing: result cache: ${run.cache.hits} rules reused, ${run.cache.misses} run\n`);
  }
  return { findings: sortFindings(findings, rules), failures };
}

export function sortFindings(findings: Finding[], rules: Rule[]): Finding[] {
  const order = new Map(rules.map((r, i) => [r.id, i]));
  return findings.sort(
    (a, b) =>
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
      a.line - b.line ||
      (order.get(a.rule) ?? 0) - (order.get(b.rule) ?? 0) ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}
