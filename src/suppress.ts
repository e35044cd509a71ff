// Inline suppressions, as linters do: a comment on the line before a finding,
//   # shipshape-ignore <rule-id or area>[, …]: <reason>        (Dockerfile, compose, nginx, Python, …)
//   // shipshape-ignore <rule-id or area>[, …]: <reason>       (TypeScript / JavaScript)
// suppresses that finding. Other comment lines may stand between the suppression and the finding.
// Suppressions that match nothing can be listed (--report-unused-suppressions).
import type { Finding } from './types.js';
import type { Workspace } from './workspace.js';
import { areaOf } from './rule.js';

export interface Suppression {
  file: string;
  line: number; // 1-based line of the comment
  rules: string[];
  reason: string;
  used: boolean;
}

const MARK = /^\s*(?:#|\/\/)\s*shipshape-ignore\s+([A-Za-z0-9/_,\s-]+?)\s*(?::\s*(.*))?$/;
const COMMENT = /^\s*(?:#|\/\/)/;

export class Suppressions {
  private byFile = new Map<string, { text: string | undefined; list: Suppression[] }>();

  constructor(private ws: Workspace) {}

  /** The suppressions of a file (parsed once per text). */
  of(file: string): Suppression[] {
    const text = this.ws.text(file);
    const cached = this.byFile.get(file);
    if (cached && cached.text === text) return cached.list;
    const list: Suppression[] = [];
    if (text !== undefined && text.includes('shipshape-ignore')) {
      const lines = text.split('\n');
      lines.forEach((l, i) => {
        const m = MARK.exec(l);
        if (m) {
          const rules = m[1]!.split(',').map((s) => s.trim()).filter(Boolean);
          list.push({ file, line: i + 1, rules, reason: (m[2] ?? '').trim(), used: false });
        }
      });
    }
    this.byFile.set(file, { text, list });
    return list;
  }

  /** False when the finding is suppressed (and marks the suppression used). */
  readonly filter = (f: Finding): boolean => {
    const list = this.of(f.file);
    if (!list.length) return true;
    const text = this.ws.text(f.file) ?? '';
    const lines = text.split('\n');
    // Walk up from the line before the finding through the comment block right above it.
    for (let l = f.line - 1; l >= 1; l--) {
      const s = list.find((x) => x.line === l);
      if (s && s.rules.some((r) => r === f.rule || r === areaOf(f.rule) || r === 'all')) {
        s.used = true;
        return false;
      }
      if (!COMMENT.test(lines[l - 1] ?? '')) break;
    }
    return true;
  };

  /** Suppressions in the given files that matched no finding. */
  unused(files: string[]): Suppression[] {
    return files.flatMap((f) => this.of(f)).filter((s) => !s.used);
  }

  /** Suppressions without a reason (reported as warnings: a suppression should say why). */
  withoutReason(files: string[]): Suppression[] {
    return files.flatMap((f) => this.of(f)).filter((s) => !s.reason);
  }
}
