// Commit messages (Conventional Commits) and pull-request bodies for bulk branches. The trailers
// at the end of each commit message mark it as shipshape's: a branch whose tip lacks them (or
// whose content no longer matches them) was edited by someone else and is left alone.
import { classify } from '../classify.js';
import { areaOf } from '../rule.js';
import type { Finding, Rule } from '../types.js';

export const TRAILER_BRANCH = 'Shipshape-Branch';
export const TRAILER_RULE = 'Shipshape-Rule';
export const TRAILER_TREE = 'Shipshape-Tree';

const AREA_SCOPE: Record<string, string> = {
  dockerfile: 'docker',
  compose: 'compose',
  nginx: 'nginx',
  repo: 'repo',
};

/**
 * The Conventional Commit scope of a rule's fix: from the rule's area, and for python/node rules
 * `deps` when the fix touches only dependency manifests, else `config`.
 */
export function commitScope(ruleId: string, files: string[]): string {
  const area = areaOf(ruleId);
  const mapped = AREA_SCOPE[area];
  if (mapped) return mapped;
  if (area === 'python' || area === 'node') {
    return files.length > 0 && files.every((f) => classify(f) === 'manifest') ? 'deps' : 'config';
  }
  return area;
}

/** "Run the container as root" → "run the container as root"; acronyms (CORS, HTTPS) keep their case. */
function lowerFirst(s: string): string {
  return /^[A-Z][a-z]/.test(s) ? s[0]!.toLowerCase() + s.slice(1) : s;
}

const MAX_TITLE = 72;

/** `fix(docker): run the container as a non-root user[ in apps/api/Dockerfile]`. */
export function commitTitle(rule: Rule, files: string[], about?: string): string {
  const base = `fix(${commitScope(rule.id, files)}): ${lowerFirst(rule.fixTitle.trim().replace(/\.$/, ''))}`;
  const where = about ?? (files.length === 1 ? files[0] : undefined);
  if (where && base.length + 4 + where.length <= MAX_TITLE) return `${base} in ${where}`;
  return base;
}

/** Word-wrap a paragraph at width (long words stay whole). */
export function wrap(text: string, width = 72): string {
  const out: string[] = [];
  for (const para of text.trim().split(/\n\s*\n/)) {
    const words = para.split(/\s+/).filter(Boolean);
    let line = '';
    const lines: string[] = [];
    for (const w of words) {
      if (line && line.length + 1 + w.length > width) {
        lines.push(line);
        line = w;
      } else line = line ? `${line} ${w}` : w;
    }
    if (line) lines.push(line);
    out.push(lines.join('\n'));
  }
  return out.join('\n\n');
}

export function findingLine(f: Finding): string {
  return `${f.id} ${f.file}:${f.line}: ${f.message}`;
}

export interface CommitMessageInput {
  title: string;
  rule: Rule;
  branch: string;
  tree: string;
  files: string[];
  findings: Finding[];
}

export function commitMessage(m: CommitMessageInput): string {
  return [
    m.title,
    '',
    wrap(`Why it matters: ${m.rule.docs.why}`),
    '',
    wrap(`What the fix does: ${m.rule.docs.fix}`),
    '',
    'Files touched:',
    ...m.files.map((f) => `- ${f}`),
    '',
    'Findings fixed:',
    ...m.findings.map((f) => `- ${findingLine(f)}`),
    '',
    `${TRAILER_RULE}: ${m.rule.id}`,
    `${TRAILER_BRANCH}: ${m.branch}`,
    `${TRAILER_TREE}: ${m.tree}`,
    '',
  ].join('\n');
}

/** The `Key: value` trailers of a message's last paragraph. */
export function parseTrailers(message: string): Map<string, string> {
  const paras = message.trimEnd().split(/\n\s*\n/);
  const last = paras[paras.length - 1] ?? '';
  const out = new Map<string, string>();
  for (const line of last.split('\n')) {
    const m = /^([A-Za-z0-9-]+): (.*)$/.exec(line);
    if (m) out.set(m[1]!, m[2]!.trim());
  }
  return out;
}

export interface FileStat {
  file: string;
  added: number;
  removed: number;
}

/** A diffstat in git's form: ` file | 3 ++-` lines and a summary line. */
export function renderDiffstat(stats: FileStat[], indent = ' '): string {
  if (stats.length === 0) return '';
  const width = Math.max(...stats.map((s) => s.file.length));
  const max = Math.max(...stats.map((s) => s.added + s.removed));
  const numWidth = String(max).length;
  const BAR = 40;
  const scale = max > BAR ? BAR / max : 1;
  const lines = stats.map((s) => {
    let plus = Math.round(s.added * scale);
    let minus = Math.round(s.removed * scale);
    if (s.added > 0 && plus === 0) plus = 1;
    if (s.removed > 0 && minus === 0) minus = 1;
    return `${indent}${s.file.padEnd(width)} | ${String(s.added + s.removed).padStart(numWidth)} ${'+'.repeat(plus)}${'-'.repeat(minus)}`.trimEnd();
  });
  const added = stats.reduce((n, s) => n + s.added, 0);
  const removed = stats.reduce((n, s) => n + s.removed, 0);
  const parts = [`${stats.length} file${stats.length === 1 ? '' : 's'} changed`];
  if (added) parts.push(`${added} insertion${added === 1 ? '' : 's'}(+)`);
  if (removed) parts.push(`${removed} deletion${removed === 1 ? '' : 's'}(-)`);
  lines.push(`${indent}${parts.join(', ')}`);
  return lines.join('\n');
}

export interface PrBodyInput {
  rule: Rule;
  branch: string;
  findings: Finding[];
  stats: FileStat[];
}

/** The pull request's body: the findings, why, what changed, safety and a diffstat. */
export function prBody(p: PrBodyInput): string {
  const r = p.rule;
  const safety = p.findings.some((f) => f.safety === 'review') ? 'review' : 'safe';
  const safetyText =
    safety === 'safe'
      ? 'This fix is marked **safe**: it cannot change how the application behaves at run time.'
      : 'This fix is marked **review**: it may change how the application behaves at run time, so check it before merging.';
  const lines = [
    `## ${r.title}`,
    '',
    `Rule \`${r.id}\` (severity ${r.severity}) found:`,
    '',
    ...p.findings.map((f) => `- \`${f.file}:${f.line}\`: ${f.message} (finding \`${f.id}\`)`),
    '',
    '### Why it matters',
    '',
    r.docs.why.trim(),
    '',
    '### What this changes',
    '',
    r.docs.fix.trim(),
    '',
    '### Safety',
    '',
    safetyText,
  ];
  if (r.docs.safetyNote?.trim()) lines.push('', r.docs.safetyNote.trim());
  lines.push('', '### Diffstat', '', '```', renderDiffstat(p.stats), '```');
  if (r.docs.references?.length) lines.push('', '### References', '', ...r.docs.references.map((x) => `- ${x}`));
  lines.push(
    '',
    '---',
    `Opened by \`shipshape bulk\` from branch \`${p.branch}\`. Re-running bulk updates this branch when the fix changes, unless someone else has committed to it; \`shipshape explain ${r.id}\` tells more.`,
    '',
  );
  return lines.join('\n');
}
