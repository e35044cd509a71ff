// The contract between the engine and the transforms. A transform reads only what the
// workspace gives it and returns edits; the engine owns ordering, composition, diffs and writing.

export type Severity = 'critical' | 'high' | 'medium' | 'low';
export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low'];

/** `safe`: cannot change how the app behaves at run time. `review`: may, so a person should look. */
export type Safety = 'safe' | 'review';

export type FileKind =
  | 'dockerfile'
  | 'compose'
  | 'nginx'
  | 'python'
  | 'typescript' // .ts .tsx .mts .cts .js .jsx .mjs .cjs
  | 'manifest' // requirements*.txt, pyproject.toml, package.json
  | 'other';

export interface RuleDocs {
  /** Why it matters, in a user's words. */
  why: string;
  /** What the fix does. */
  fix: string;
  /** Why the fix is safe, or what a reviewer should check. */
  safetyNote?: string;
  example?: { before: string; after: string };
  references?: string[];
}

/** What a rule reports; the engine completes it into a Finding. */
export interface FindingInput {
  file: string;
  /** Offsets into the file's text (as the workspace gives it) of the offending span. */
  start?: number;
  end?: number;
  /** Lines (1-based) when offsets are not natural. */
  line?: number;
  endLine?: number;
  message: string;
  /** Text that anchors the finding: with rule and file it makes the stable id. */
  anchor: string;
  severity?: Severity;
  safety?: Safety;
  fixable?: boolean;
  /** Why there is no automatic fix, and what to do instead. */
  notFixableReason?: string;
  /** Rule-private data handed back to fix(). */
  data?: unknown;
}

export interface Finding {
  id: string;
  rule: string;
  severity: Severity;
  message: string;
  file: string;
  line: number;
  endLine: number;
  fixable: boolean;
  safety: Safety;
  notFixableReason?: string;
  data?: unknown;
  /** Inline or config suppressions that matched (not reported as findings). */
}

/** Replace [start, end) of an existing file (offsets into the workspace text) with text. */
export interface ModifyEdit {
  file: string;
  start: number;
  end: number;
  text: string;
  /**
   * A replacement that other fixes of the same rule make identically in this file (the import each
   * call-site fix adds): fixes applied together in one pass make it once, instead of all but one
   * waiting for the next pass. A rule sets it only where a fix computed after another one applied
   * the edit would make exactly its other edits, so the result is the same either way.
   */
  shared?: boolean;
}
/** Create a file that does not exist yet. */
export interface CreateEdit {
  file: string;
  create: string;
}
export type FileEdit = ModifyEdit | CreateEdit;

export function isCreate(e: FileEdit): e is CreateEdit {
  return (e as CreateEdit).create !== undefined;
}

export interface ParseError {
  file: string;
  line?: number;
  message: string;
}

/** Rule options come from .shipshape.yml (rules.<id>.<option>) merged over the rule's defaults. */
export type RuleOptions = Record<string, unknown>;

export interface RuleContext {
  ws: import('./workspace.js').Workspace;
  options: RuleOptions;
}

export interface Rule {
  id: string;
  /** The problem, e.g. "Container runs as root". */
  title: string;
  /** Imperative, e.g. "Run the container as a non-root user". */
  fixTitle: string;
  severity: Severity;
  safety: Safety;
  docs: RuleDocs;
  /** File kinds the rule reads; the engine skips the rule when the workspace has none. */
  kinds: FileKind[];
  /** Default option values (their keys are the only accepted options). */
  defaults?: RuleOptions;
  detect(ctx: RuleContext): FindingInput[] | Promise<FindingInput[]>;
  /** Edits that fix the finding, or null to decline (the finding then stays unfixed). */
  fix?(finding: Finding, ctx: RuleContext): FileEdit[] | null | Promise<FileEdit[] | null>;
}
