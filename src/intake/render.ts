// Output of `--from`: for every item of the report, the shipshape finding(s) it matched and their
// fix, or why there is none; and the `intake` entries of the JSON report (README: "Fixing what other tools found").
import type { Rule } from '../types.js';
import { c } from '../render/color.js';
import { renderJson, type ScanReport } from '../render/report.js';
import type { IntakeResult } from './index.js';
import type { IntakeItem } from './types.js';

const FORMAT_NAMES: Record<string, string> = {
  sarif: 'SARIF',
  trivy: 'Trivy JSON',
  checkov: 'Checkov JSON',
  kics: 'KICS JSON',
  semgrep: 'Semgrep JSON',
  hadolint: 'hadolint JSON',
  audit: 'audit report',
};

function where(file: string | undefined, line: number | undefined): string {
  return file ? c.magenta(file) + (line ? `:${line}` : '') : '';
}

function itemHead(it: IntakeItem): string {
  const s = it.source;
  const parts = [c.dim(String(it.index).padStart(3) + '.')];
  if (s.tool === 'audit') {
    parts.push(c.bold(s.title ?? s.ruleId));
    if (s.severity) parts.push(c.dim(s.severity));
  } else {
    parts.push(c.bold(`${s.tool} ${s.ruleId}`));
    if (s.title) parts.push(s.title);
  }
  const place = s.uri ? `${s.uri}${s.line ? ':' + s.line : ''}` : '';
  if (place) parts.push(c.dim(place));
  return parts.join('  ');
}

const NO_FIX: Record<string, string> = {
  'no-rule': 'no fix',
  'no-finding': 'no fix',
  'not-in-repo': 'not in the repository',
  rejected: 'path rejected',
  'not-a-problem': 'nothing to fix',
};

export function renderIntakeText(r: IntakeResult, rules: Rule[]): string {
  const byId = new Map(rules.map((x) => [x.id, x]));
  const lines: string[] = [];
  for (const rep of r.reports) {
    const fmt = FORMAT_NAMES[rep.format] ?? rep.format;
    const tools = rep.format === 'sarif' && rep.tools.length ? `: ${rep.tools.join(', ')}` : '';
    const n = rep.audit ? rep.audit.items.length : (rep.external ?? []).length;
    lines.push(`${c.bold('From')} ${rep.path} (${fmt}${tools}), ${n} item${n === 1 ? '' : 's'}`);
  }
  lines.push('');
  for (const it of r.items) {
    lines.push(itemHead(it));
    if (it.status === 'matched') {
      for (const f of it.matches) {
        const rule = byId.get(f.rule);
        const fix = f.fixable ? c.green(`[fix: ${f.safety}]`) + ' ' + (rule?.fixTitle ?? '') : c.yellow('[no automatic fix]') + (f.notFixableReason ? ' ' + f.notFixableReason : '');
        lines.push(`       → ${f.rule}  ${where(f.file, f.line)}  ${fix}`);
        lines.push(c.dim(`         ${f.message.length > 110 ? f.message.slice(0, 109) + '…' : f.message}`));
      }
    } else {
      lines.push(`       → ${c.yellow(NO_FIX[it.status] ?? it.status)}: ${it.reason ?? ''}`);
    }
  }
  lines.push('', summary(r));
  return lines.join('\n') + '\n';
}

export function summary(r: IntakeResult): string {
  const count = (s: IntakeItem['status']) => r.items.filter((i) => i.status === s).length;
  const matched = count('matched');
  const fixable = r.selected.filter((f) => f.fixable);
  const safe = fixable.filter((f) => f.safety === 'safe').length;
  const parts = [
    `${r.items.length} item${r.items.length === 1 ? '' : 's'}: ${matched} matched ${r.selected.length} shipshape finding${r.selected.length === 1 ? '' : 's'}` +
      (r.selected.length ? ` (${fixable.length} fixable: ${safe} safe, ${fixable.length - safe} to review)` : ''),
  ];
  const add = (n: number, text: string) => n && parts.push(`${n} ${text}`);
  add(count('no-finding'), `with a rule that found nothing there`);
  add(count('no-rule'), 'with no shipshape rule');
  add(count('not-in-repo'), 'naming files not in the repository');
  add(count('rejected'), 'with paths outside the scanned root');
  add(count('not-a-problem'), 'reported as fine');
  return parts.join('; ') + '.';
}

/** The JSON scan report (findings = the matched ones) with its `intake` entries. */
export function renderIntakeJson(report: ScanReport, r: IntakeResult): string {
  const base = JSON.parse(renderJson(report)) as Record<string, unknown>;
  base.intake = r.entries.map((e) => ({
    rule: e.rule,
    finding: e.finding,
    file: e.file,
    line: e.line,
    status: e.status,
    ...(e.safety ? { safety: e.safety } : {}),
    ...(e.fix ? { fix: e.fix } : {}),
    ...(e.reason ? { reason: e.reason } : {}),
    sources: e.sources.map((s) => ({
      tool: s.tool,
      ruleId: s.ruleId,
      uri: s.uri ?? null,
      line: s.line ?? null,
      ...(s.title ? { title: s.title } : {}),
      ...(s.severity ? { severity: s.severity } : {}),
      ...(s.item ? { item: s.item } : {}),
      ...(s.report ? { report: s.report } : {}),
    })),
  }));
  return JSON.stringify(base, null, 2) + '\n';
}
