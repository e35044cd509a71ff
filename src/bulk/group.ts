// Grouping findings into branches, and the branches' names. Names are a pure function of the rule
// id and the group's scope (a file path, a finding id), so re-running finds the same branches:
// `<prefix><rule-id-with-slashes-as-dashes>[-<scope>]`.
import { createHash } from 'node:crypto';
import type { Finding, Rule } from '../types.js';

export type GroupBy = 'finding' | 'rule' | 'file';
export const GROUP_BY: readonly GroupBy[] = ['finding', 'rule', 'file'];

export interface Group {
  /** Identifies the group whatever its branch name: rule, rule + file, or rule + finding id. */
  key: string;
  branch: string;
  rule: Rule;
  /** The file the group is about (group-by file or finding). */
  file?: string;
  findings: Finding[];
}

const MAX_SCOPE = 60;

/** Lower-case words of a path or text joined by dashes: `apps/api/Dockerfile` → `apps-api-dockerfile`. */
export function slug(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

function shortHash(s: string, n = 6): string {
  return createHash('sha256').update(s).digest('hex').slice(0, n);
}

/** A scope slug short enough for a branch name; long ones keep their start and gain a hash of the whole. */
function scopeSlug(s: string): string {
  const full = slug(s) || shortHash(s);
  if (full.length <= MAX_SCOPE) return full;
  return `${full.slice(0, MAX_SCOPE - 7).replace(/-+$/, '')}-${shortHash(s)}`;
}

export function branchName(prefix: string, ruleId: string, scope?: string): string {
  return `${prefix}${ruleId.replace(/\//g, '-')}${scope ? `-${scope}` : ''}`;
}

/**
 * One group per rule, per rule and file, or per finding, sorted by branch name. Two groups whose
 * names would collide (paths that slug alike, such as `a/b` and `a-b`) both gain a short hash of
 * their key, so neither name depends on the other's existence order.
 */
export function groupFindings(findings: Finding[], rules: Rule[], by: GroupBy, prefix: string): Group[] {
  const byId = new Map(rules.map((r) => [r.id, r]));
  const groups = new Map<string, Group>();
  for (const f of findings) {
    const rule = byId.get(f.rule);
    if (!rule) continue;
    let key: string;
    let scope: string | undefined;
    let file: string | undefined;
    if (by === 'rule') {
      key = f.rule;
    } else if (by === 'file') {
      key = `${f.rule}\0${f.file}`;
      scope = scopeSlug(f.file);
      file = f.file;
    } else {
      key = `${f.rule}\0${f.id}`;
      scope = `${scopeSlug(f.file)}-${f.id.slice(0, 8)}`;
      file = f.file;
    }
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { key, branch: branchName(prefix, f.rule, scope), rule, file, findings: [] }));
    g.findings.push(f);
  }
  const list = [...groups.values()];
  const count = new Map<string, number>();
  for (const g of list) count.set(g.branch, (count.get(g.branch) ?? 0) + 1);
  for (const g of list) if (count.get(g.branch)! > 1) g.branch = `${g.branch}-${shortHash(g.key)}`;
  return list.sort((a, b) => (a.branch < b.branch ? -1 : a.branch > b.branch ? 1 : 0));
}
