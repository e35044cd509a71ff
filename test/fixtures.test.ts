// One suite walks every fixture case: fixtures/<area>/<name>/<case>/{before,after}.
// Fixing before/ with that rule must give exactly after/ (byte for byte); fixing after/ again must
// propose nothing; with no after/, nothing may change. Every file the fix touched must re-parse
// (the engine rejects fixes that break a file, so a rejected fix shows up as a missing change).
// SHIPSHAPE_UPDATE_FIXTURES=1 rewrites after/ trees for review in git.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openWorkspace, planFixes } from '../src/api.js';
import { ruleById } from '../src/registry.js';
import { toBytes } from '../src/workspace.js';
import { fixtureCases, readTree } from './helpers/tree.js';

const UPDATE = process.env.SHIPSHAPE_UPDATE_FIXTURES === '1';

interface CaseExpect {
  /** Number of findings the rule reports on before/ (default: at least one when after/ exists, none otherwise). */
  findings?: number;
  /** Rule options for this case. */
  options?: Record<string, unknown>;
  /** Expected outcome statuses that are not 'applied' (e.g. ["not-fixable"]). */
  outcomes?: string[];
}

function loadExpect(dir: string): CaseExpect {
  const p = path.join(dir, 'case.json');
  return fs.existsSync(p) ? (JSON.parse(fs.readFileSync(p, 'utf8')) as CaseExpect) : {};
}

const cases = fixtureCases();

describe('fixtures', () => {
  it('exist', () => {
    expect(cases.length).toBeGreaterThan(0);
  });
  for (const fc of cases) {
    it(`${fc.rule} › ${fc.name}`, async () => {
      const rule = ruleById(fc.rule);
      expect(rule, `no rule ${fc.rule} for fixture ${fc.dir}`).toBeDefined();
      const exp = loadExpect(fc.dir);
      const before = path.join(fc.dir, 'before');
      const afterDir = path.join(fc.dir, 'after');
      const hasAfter = fs.existsSync(afterDir);
      const opts = { rules: [rule!], all: true, ruleOptions: exp.options ? { [fc.rule]: exp.options } : undefined };

      const ws = openWorkspace(before, opts);
      const plan = await planFixes(ws, opts);
      expect(ws.errors, 'file errors').toEqual([]);
      expect(plan.session.failures, 'rule failures').toEqual([]);
      if (exp.findings !== undefined) expect(plan.findings.length).toBe(exp.findings);
      else if (hasAfter || UPDATE) expect(plan.findings.length).toBeGreaterThan(0);
      else expect(plan.findings.map((f) => `${f.file}:${f.line} ${f.message}`)).toEqual([]);
      const notApplied = plan.outcomes.filter((o) => o.status !== 'applied' && o.status !== 'resolved');
      expect(notApplied.map((o) => o.status).sort()).toEqual([...(exp.outcomes ?? [])].sort());

      const result = readTree(before);
      for (const ch of plan.changes) result.set(ch.file, toBytes(ch.after));
      const sorted = new Map([...result].sort(([a], [b]) => (a < b ? -1 : 1)));

      if (UPDATE && plan.changes.length) {
        fs.rmSync(afterDir, { recursive: true, force: true });
        for (const [f, b] of sorted) {
          fs.mkdirSync(path.dirname(path.join(afterDir, f)), { recursive: true });
          fs.writeFileSync(path.join(afterDir, f), b);
        }
      }
      if (!hasAfter && !UPDATE) {
        expect(plan.changes.map((c) => c.file)).toEqual([]);
        return;
      }
      const expected = readTree(afterDir);
      expect([...sorted.keys()]).toEqual([...expected.keys()]);
      for (const [f, b] of expected) {
        expect(sorted.get(f)!.toString('utf8'), `${fc.rule} › ${fc.name}: ${f}`).toBe(b.toString('utf8'));
        expect(sorted.get(f)!.equals(b), `${f} bytes`).toBe(true);
      }

      // Idempotency: fixing after/ proposes nothing.
      const ws2 = openWorkspace(afterDir, opts);
      const again = await planFixes(ws2, opts);
      expect(ws2.errors).toEqual([]);
      expect(again.changes.map((c) => c.file), 'fixing after/ again changes nothing').toEqual([]);
    });
  }
});
