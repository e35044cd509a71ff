// Shapes shared by the intake readers (SARIF, native JSON, audit reports) and the merge.
import type { ToolKey } from './mapping.js';

/** One finding of another tool, as it reported it. */
export interface ExternalFinding {
  /** The tool, when recognised; otherwise the name it gives itself, lower-cased. */
  tool: ToolKey | string;
  /** The tool's name as the report spells it ("Hadolint", "Semgrep OSS"). */
  toolName: string;
  ruleId: string;
  title?: string;
  message?: string;
  /** The location as reported (a URI for SARIF, a path for native JSON). */
  uri?: string;
  /** The reported location is a URI (%-escapes decoded when resolving). */
  isUri: boolean;
  /** What a relative `uri` is relative to (a SARIF uriBaseId, resolved), when the report says. */
  uriBase?: string;
  /** Roots the report declares for its paths (see paths.ts). */
  bases: string[];
  line?: number;
  endLine?: number;
  snippet?: string;
  severity?: string;
}

export class ReportError extends Error {}

/** Where a problem was reported: one entry of `sources` in the intake output. */
export interface IntakeSource {
  /** hadolint, trivy, checkov, kics, semgrep (or the tool's own name), audit, shipshape. */
  tool: string;
  /** The tool's rule id; for an audit report, the item's heading. */
  ruleId: string;
  uri?: string;
  line?: number;
  title?: string;
  severity?: string;
  /** 1-based position of the item in the report (numbered across reports when several are given). */
  item?: number;
  /** The report file, when several are given. */
  report?: string;
}

export type ItemStatus =
  | 'matched' // a shipshape finding is the same problem
  | 'no-rule' // shipshape has no rule for it
  | 'no-finding' // the rule found nothing at that place
  | 'not-in-repo' // the file it names is not among the scanned files
  | 'rejected' // its path leads outside the scanned root
  | 'not-a-problem'; // an audit report lists it as done well

/** One item of the report (an external finding, or an audit report's item) and what it became. */
export interface IntakeItem {
  index: number;
  source: IntakeSource;
  /** Shipshape rules it maps to. */
  rules: string[];
  /** The repository file it was resolved to. */
  file?: string;
  /** Shipshape findings that are the same problem. */
  matches: import('../types.js').Finding[];
  status: ItemStatus;
  /** Why there is no fix (or what was not matched). */
  reason?: string;
}

/** One problem: a shipshape finding with every report item that is the same problem, or an item with no fix. */
export interface IntakeEntry {
  rule: string | null;
  /** The shipshape finding id, when there is one. */
  finding: string | null;
  file: string | null;
  line: number | null;
  status: 'fixable' | 'not-fixable' | Exclude<ItemStatus, 'matched'>;
  /** With a fix: safe or review. */
  safety?: 'safe' | 'review';
  /** With a fix: what it does (the rule's fix title). */
  fix?: string;
  /** Without a fix: why. */
  reason?: string;
  sources: IntakeSource[];
}
