// The programmatic API the CLI (and the tests) use: open a workspace, scan, plan fixes.
import type { Finding, Rule, RuleOptions, Severity } from './types.js';
import { Workspace } from './workspace.js';
import { selectRules } from './registry.js';
import { runRules, type RuleFailure, type RuleRunOptions } from './engine/scan.js';
import { FixSession, type Outcome } from './engine/session.js';
import { fileChanges } from './io/write.js';
import type { FileChange } from './render/diff.js';
import type { ScanReport } from './render/report.js';

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
}

export function openWorkspace(root: string, o: RunOptions = {}): Workspace {
  return Workspace.open(root, { followSymlinks: o.followSymlinks, maxFileBytes: o.maxFileBytes, ignore: o.ignore });
}

export function chosenRules(o: RunOptions): Rule[] {
  const base = selectRules(o.only, o.skip, o.rules);
  return o.disabled ? base.filter((r) => !o.disabled!.includes(r.id)) : base;
}

function runOptions(o: RunOptions): RuleRunOptions {
  return { options: o.ruleOptions, severity: o.severity, filter: o.filter };
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

/** Scan, then apply every selected fix in memory. Nothing is written. */
export async function planFixes(ws: Workspace, o: RunOptions = {}): Promise<PlanResult> {
  const session = newSession(ws, o);
  const findings = await session.scan();
  const outcomes = await session.applyMany(selectForFix(findings, Boolean(o.all)));
  return { session, findings, outcomes, changes: fileChanges(ws) };
}
