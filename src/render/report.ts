// Scan output: text grouped by file, and the versioned JSON contract documented in the README.
import type { Finding, ParseError, Rule } from '../types.js';
import { c } from './color.js';

export interface ScanReport {
  root: string;
  findings: Finding[];
  errors: ParseError[];
}

const SEV_COLOR: Record<Finding['severity'], (s: string) => string> = {
  critical: (s) => c.bold(c.red(s)),
  high: c.red,
  medium: c.yellow,
  low: c.blue,
};

export function fixLabel(f: Finding): string {
  if (!f.fixable) return 'no fix';
  return f.safety === 'safe' ? 'fix: safe' : 'fix: review';
}

export function renderText(r: ScanReport, rules: Rule[]): string {
  const byId = new Map(rules.map((x) => [x.id, x]));
  const lines: string[] = [];
  let current = '';
  for (const f of r.findings) {
    if (f.file !== current) {
      if (current) lines.push('');
      lines.push(c.bold(c.magenta(f.file)));
      current = f.file;
    }
    const title = byId.get(f.rule)?.title ?? f.rule;
    lines.push(
      `  ${c.dim(String(f.line).padStart(4))}  ${SEV_COLOR[f.severity](f.severity.padEnd(8))}  ${title}  ${c.dim(f.rule)}  ${c.dim('[' + fixLabel(f) + ']')}`,
    );
    lines.push(`        ${f.message}`);
    if (!f.fixable && f.notFixableReason) lines.push(`        ${c.dim('→ ' + f.notFixableReason)}`);
  }
  if (r.findings.length) lines.push('');
  lines.push(summaryLine(r));
  return lines.join('\n') + '\n';
}

export function summaryLine(r: ScanReport): string {
  const n = r.findings.length;
  const files = new Set(r.findings.map((f) => f.file)).size;
  const fixable = r.findings.filter((f) => f.fixable);
  const safe = fixable.filter((f) => f.safety === 'safe').length;
  const parts = [
    n === 0 ? 'No problems found' : `${n} problem${n === 1 ? '' : 's'} in ${files} file${files === 1 ? '' : 's'}`,
  ];
  if (n) parts.push(`${fixable.length} fixable (${safe} safe, ${fixable.length - safe} to review)`);
  if (r.errors.length) parts.push(`${r.errors.length} file error${r.errors.length === 1 ? '' : 's'}`);
  return parts.join('; ') + '.';
}

export function renderJson(r: ScanReport): string {
  return (
    JSON.stringify(
      {
        version: 1,
        root: r.root,
        findings: r.findings.map((f) => ({
          id: f.id,
          rule: f.rule,
          severity: f.severity,
          message: f.message,
          file: f.file,
          line: f.line,
          endLine: f.endLine,
          fixable: f.fixable,
          safety: f.safety,
        })),
        errors: r.errors.map((e) => ({ file: e.file, ...(e.line ? { line: e.line } : {}), message: e.message })),
      },
      null,
      2,
    ) + '\n'
  );
}

export function formatError(e: ParseError): string {
  return `${e.file}${e.line ? ':' + e.line : ''}: ${e.message}`;
}
