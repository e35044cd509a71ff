// `--from <report>`: read another tool's findings (SARIF 2.1.0, Trivy/Checkov/KICS/Semgrep/hadolint
// JSON) or a written audit report (Markdown), tie each item to shipshape findings, and select
// exactly those findings for scan and fix.
import fs from 'node:fs';
import type { Finding, Rule } from '../types.js';
import type { Workspace } from '../workspace.js';
import type { RunOptions } from '../api.js';
import { newSession, selectForFix } from '../api.js';
import type { Outcome } from '../engine/session.js';
import type { FixSession } from '../engine/session.js';
import { fileChanges } from '../io/write.js';
import type { FileChange } from '../render/diff.js';
import { isSarif, readSarif } from './sarif.js';
import { detectNative, readNative, type NativeFormat } from './native.js';
import { parseAudit, type AuditDoc } from './audit.js';
import { matchAudit, matchExternal, mergeItems } from './merge.js';
import { ReportError, type ExternalFinding, type IntakeEntry, type IntakeItem } from './types.js';

export { ReportError } from './types.js';
export type { IntakeEntry, IntakeItem, IntakeSource } from './types.js';

export const MAX_REPORT_BYTES = 64 * 1024 * 1024;

export interface LoadedReport {
  /** The report file as given. */
  path: string;
  format: 'sarif' | NativeFormat | 'audit';
  /** Tools named in the report (SARIF drivers), or the native format's tool. */
  tools: string[];
  external?: ExternalFinding[];
  audit?: AuditDoc;
}

const NATIVE_NAMES: Record<NativeFormat, string> = { trivy: 'Trivy', checkov: 'Checkov', kics: 'KICS', semgrep: 'Semgrep', hadolint: 'hadolint' };

/** Read and recognise a report. Throws ReportError with a user-facing message. */
export function loadReport(file: string): LoadedReport {
  let buf: Buffer;
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) throw new ReportError(`--from ${file}: not a file`);
    if (st.size > MAX_REPORT_BYTES) throw new ReportError(`--from ${file}: ${st.size} bytes, over the ${MAX_REPORT_BYTES}-byte limit`);
    buf = fs.readFileSync(file);
  } catch (e) {
    if (e instanceof ReportError) throw e;
    throw new ReportError(`--from ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  const text = buf.toString('utf8').replace(/^\ufeff/, '');
  const looksJson = /^\s*[[{]/.test(text) || /\.(?:json|sarif)$/i.test(file);
  if (looksJson) {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new ReportError(`--from ${file}: not valid JSON (${(e as Error).message})`);
    }
    if (isSarif(doc)) {
      const { findings, tools } = readSarif(doc);
      return { path: file, format: 'sarif', tools, external: findings };
    }
    const native = detectNative(doc);
    if (native) return { path: file, format: native, tools: [NATIVE_NAMES[native]], external: readNative(native, doc) };
    throw new ReportError(
      `--from ${file}: unrecognised JSON report; expected SARIF 2.1.0 or the JSON of Trivy, Checkov, KICS, Semgrep or hadolint`,
    );
  }
  return { path: file, format: 'audit', tools: ['audit report'], audit: parseAudit(text) };
}

export interface IntakeResult {
  reports: LoadedReport[];
  items: IntakeItem[];
  entries: IntakeEntry[];
  /** The shipshape findings the report's items match, in scan order. */
  selected: Finding[];
}

/**
 * Tie the items of one or more reports to the findings of a scan (items numbered across reports).
 * `roots`: where the scanned files really are when the workspace is a copy (bulk scans a copy of
 * the base commit): absolute paths under them are read as paths of the workspace.
 */
export function intake(ws: Workspace, findings: Finding[], rules: Rule[], reports: LoadedReport[], roots: string[] = []): IntakeResult {
  const ctx = { ws, findings, active: new Set(rules.map((r) => r.id)), roots };
  const items: IntakeItem[] = [];
  for (const report of reports) {
    const own = report.audit ? matchAudit(ctx, report.audit) : matchExternal(ctx, report.external ?? []);
    const offset = items.length;
    for (const it of own) {
      it.index += offset;
      it.source.item = it.index;
      if (reports.length > 1) it.source.report = report.path;
      items.push(it);
    }
  }
  const ids = new Set(items.flatMap((i) => i.matches.map((f) => f.id)));
  return { reports, items, entries: mergeItems(items, rules), selected: findings.filter((f) => ids.has(f.id)) };
}

export interface IntakePlan {
  session: FixSession;
  findings: Finding[];
  outcomes: Outcome[];
  changes: FileChange[];
  intake: IntakeResult;
}

/** Scan, match the report, and apply in memory the fixes of the findings it matched. Nothing is written. */
export async function planFromReport(ws: Workspace, o: RunOptions, reports: LoadedReport[]): Promise<IntakePlan> {
  const session = newSession(ws, o);
  const all = await session.scan();
  const result = intake(ws, all, session.rules, reports);
  const outcomes = await session.applyMany(selectForFix(result.selected, Boolean(o.all)));
  return { session, findings: result.selected, outcomes, changes: fileChanges(ws), intake: result };
}
