// The programmatic API the CLI (and the tests) use: open a workspace, scan, plan fixes.
import type { Finding, Rule, RuleOptions, Severity } from './types.js';
import { Workspace } from './workspace.js';
import { selectRules } from './registry.js';
import { runRules, type RuleFailure, type RuleRunOptions } from './engine/scan.js';
import { FixSession, type Outcome } from './engine/session.js';
import { fileChanges } from './io/write.js';
import type { FileChange } from './render/diff.js';
import type { ScanReport } from './render/report.js';
import type { ResultCache } from './engine/cache.js';

export interface RunOptions {
  only?: string[];
  skip?: string[];
  /** Include `review` fixes (not only `safe` ones). */
  all?: boolean;
  ruleOptions?: Record<string, RuleOptions>;
  severity?: Record<string, Severity>;
  disabled?: string[];
  followSymlinks?: boolean;
  maxFileBytes?: number;
  ignore?: string[];
  /** Findings to drop (suppressions); return false to drop. */
  filter?: RuleRunOptions['filter'];
  /** Restrict to these rules instead of the registry (tests). */
  rules?: Rule[];
  /**
   * Reuse and keep each rule's findings of the files as they are on disk (src/engine/cache.ts):
   * scan, and the first scan of a fix session. Saved when that scan ends.
   */
  resultCache?: ResultCache;
}

export function openWorkspace(root: string, o: RunOptions = {}): Workspace {
  return Workspace.open(root, { followSymlinks: o.followSymlinks, maxFileBytes: o.maxFileBytes, ignore: o.ignore });
}

export function chosenRules(o: RunOptions): Rule[] {
  const base = selectRules(o.only, o.skip, o.rules);
  return o.disabled ? base.filter((r) => !o.disabled!.includes(r.id)) : base;
}

function runOptions(o: RunOptions): RuleRunOptions {
  return { options: o.ruleOptions, severity: o.severity, filter: o.filter, cache: o.resultCache };
}

export interface ScanResult {
  ws: Workspace;
  report: ScanReport;
  failures: RuleFailure[];
  rules: Rule[];
}

export async function scan(ws: Workspace, o: RunOptions = {}): Promise<ScanResult> {
  const rules = chosenRules(o);
  const { findings, failures } = await runRules(ws, rules, runOptions(o));
  o.resultCache?.save();
  return { ws, rules, failures, report: { root: ws.root, findings, errors: ws.errors } };
}

/** Which findings a non-interactive fix applies: fixable ones, `review` ones only with --all. */
export function selectForFix(findings: Finding[], all: boolean): Finding[] {
  return findings.filter((f) => f.fixable && (all || f.safety === 'safe'));
}

export interface PlanResult {
  session: FixSession;
  findings: Finding[];
  outcomes: Outcome[];
  changes: FileChange[];
}

export function newSession(ws: Workspace, o: RunOptions = {}): FixSession {
  return new FixSession(ws, chosenRules(o), runOptions(o));
}

/** Rounds of re-scanning after the first: fixes can reveal findings of other rules. */
const MAX_ROUNDS = 5;

/**
 * Scan, then apply every selected fix in memory. Nothing is written. Like ESLint, it scans again
 * after applying: a fix can reveal new findings (the settings module one rule creates gives another
 * rule call sites to rewrite), which are fixed in further rounds, so that fixing the result again
 * proposes nothing. Findings seen in an earlier round are not retried; `findings` are those of the
 * first scan, `outcomes` cover every round.
 */
export async function planFixes(ws: Workspace, o: RunOptions = {}): Promise<PlanResult> {
  const session = newSession(ws, o);
  const findings = await session.scan();
  const outcomes = await session.applyMany(selectForFix(findings, Boolean(o.all)));
  const seen = new Set(findings.map((f) => f.id));
  for (let round = 0; round < MAX_ROUNDS && outcomes.some((x) => x.status === 'applied'); round++) {
    const fresh = (await session.scan()).filter((f) => !seen.has(f.id));
    for (const f of fresh) seen.add(f.id);
    const fixable = selectForFix(fresh, Boolean(o.all));
    if (fixable.length === 0) break;
    outcomes.push(...(await session.applyMany(fixable)));
  }
  // A rule that fails fails in every round: report it once.
  const failures = new Map(session.failures.map((f) => [`${f.rule}\0${f.message}`, f]));
  session.failures.splice(0, session.failures.length, ...failures.values());
  return { session, findings, outcomes, changes: fileChanges(ws) };
}
