// SARIF 2.1.0 for GitHub code scanning and review tools: every rule in tool.driver with its help
// text and helpUri, results with locations and partialFingerprints, and each fixable result's fix
// as SARIF `fixes` (artifactChanges with replacements), computed on its own against the scanned text.
import { FixSession } from '../engine/session.js';
import type { RunOptions } from '../api.js';
import { chosenRules } from '../api.js';
import type { Finding, Rule, Severity } from '../types.js';
import { isCreate } from '../types.js';
import type { Workspace } from '../workspace.js';
import { lineStarts, lineOf } from '../text.js';
import { VERSION } from '../generated/version.js';
import type { ScanReport } from './report.js';

export const DOCS_BASE = 'https://github.com/shipshape-dev/shipshape/blob/main/docs/rules/';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { critical: 'error', high: 'error', medium: 'warning', low: 'note' };
const SECURITY_SEVERITY: Record<Severity, string> = { critical: '9.5', high: '8.0', medium: '5.5', low: '3.0' };

export function ruleHelpUri(id: string): string {
  return `${DOCS_BASE}${id}.md`;
}

function pascal(id: string): string {
  return id.split(/[/-]/).map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}

export function ruleMarkdown(r: Rule): string {
  const parts = [`## ${r.title}`, '', `**${r.id}** · severity ${r.severity} · fix: ${r.fixTitle} (${r.safety})`, '', '### Why it matters', r.docs.why, '', '### What the fix does', r.docs.fix];
  if (r.docs.safetyNote) parts.push('', '### Fix safety', r.docs.safetyNote);
  if (r.docs.example) parts.push('', '### Example', 'Before:', '```', r.docs.example.before, '```', 'After:', '```', r.docs.example.after, '```');
  if (r.docs.references?.length) parts.push('', '### References', ...r.docs.references.map((x) => `- ${x}`));
  return parts.join('\n') + '\n';
}

function region(text: string, start: number, end: number, starts: number[]) {
  const sl = lineOf(text, start, starts);
  const el = lineOf(text, end, starts);
  return { startLine: sl, startColumn: start - starts[sl - 1]! + 1, endLine: el, endColumn: end - starts[el - 1]! + 1 };
}

export async function renderSarif(report: ScanReport, rules: Rule[], ws: Workspace, o: RunOptions): Promise<string> {
  const allRules = rules.length ? rules : chosenRules(o);
  const index = new Map(allRules.map((r, i) => [r.id, i]));
  // Each fix is computed on its own against the scanned text, as a reviewer would apply it alone.
  const session = new FixSession(ws, allRules, { options: o.ruleOptions, severity: o.severity, filter: o.filter });
  const results = [];
  for (const f of report.findings) results.push(await result(f, session, ws, index));
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'shipshape',
            semanticVersion: VERSION,
            version: VERSION,
            informationUri: 'https://github.com/shipshape-dev/shipshape',
            rules: allRules.map((r) => ({
              id: r.id,
              name: pascal(r.id),
              shortDescription: { text: r.title },
              fullDescription: { text: r.docs.why },
              help: { text: `${r.docs.why}\n\nFix: ${r.docs.fix}`, markdown: ruleMarkdown(r) },
              helpUri: ruleHelpUri(r.id),
              defaultConfiguration: { level: LEVEL[r.severity] },
              properties: {
                tags: ['production-readiness', r.id.split('/')[0]!, ...(r.severity === 'critical' || r.severity === 'high' ? ['security'] : [])],
                precision: 'high',
                'security-severity': SECURITY_SEVERITY[r.severity],
                fixSafety: r.safety,
              },
            })),
          },
        },
        originalUriBaseIds: { '%SRCROOT%': { uri: `file://${ws.root.endsWith('/') ? ws.root : ws.root + '/'}` } },
        columnKind: 'utf16CodeUnits',
        results,
        invocations: [
          {
            executionSuccessful: true,
            toolExecutionNotifications: report.errors.map((e) => ({
              level: 'error',
              message: { text: e.message },
              locations: [{ physicalLocation: { artifactLocation: { uri: encodeUri(e.file), uriBaseId: '%SRCROOT%' }, ...(e.line ? { region: { startLine: e.line } } : {}) } }],
            })),
          },
        ],
      },
    ],
  };
  return JSON.stringify(sarif, null, 2) + '\n';
}

export function encodeUri(file: string): string {
  return file.split('/').map(encodeURIComponent).join('/');
}

async function result(f: Finding, session: FixSession, ws: Workspace, index: Map<string, number>) {
  const r: Record<string, unknown> = {
    ruleId: f.rule,
    ruleIndex: index.get(f.rule),
    level: LEVEL[f.severity],
    message: { text: f.message + (!f.fixable && f.notFixableReason ? ` (${f.notFixableReason})` : '') },
    locations: [{ physicalLocation: { artifactLocation: { uri: encodeUri(f.file), uriBaseId: '%SRCROOT%' }, region: { startLine: f.line, endLine: f.endLine } } }],
    partialFingerprints: { 'shipshape/v1': f.id },
    properties: { severity: f.severity, fixable: f.fixable, fixSafety: f.safety },
  };
  if (f.fixable) {
    const p = await session.preview(f);
    if (p.status === 'ok' && p.edits) {
      const byFile = new Map<string, { deletedRegion: object; insertedContent: { text: string } }[]>();
      for (const e of p.edits) {
        const list = byFile.get(e.file) ?? [];
        if (isCreate(e)) {
          list.push({ deletedRegion: { startLine: 1, startColumn: 1, endLine: 1, endColumn: 1 }, insertedContent: { text: e.create } });
        } else {
          const text = ws.text(e.file) ?? '';
          list.push({ deletedRegion: region(text, e.start, e.end, lineStarts(text)), insertedContent: { text: e.text } });
        }
        byFile.set(e.file, list);
      }
      const rule = session.rules.find((x) => x.id === f.rule);
      r.fixes = [
        {
          description: { text: `${rule?.fixTitle ?? 'Fix'} (${f.safety === 'safe' ? 'safe' : 'review before merging'})` },
          artifactChanges: [...byFile].map(([file, replacements]) => ({
            artifactLocation: { uri: encodeUri(file), uriBaseId: '%SRCROOT%' },
            replacements,
          })),
        },
      ];
    }
  }
  return r;
}
