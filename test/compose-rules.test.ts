// Properties of the compose/repo rules beyond their fixtures' exact bytes.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openWorkspace, planFixes } from '../src/api.js';
import { ruleById } from '../src/registry.js';
import { compose, composeFiles } from '../src/project/compose.js';
import { occurrences } from '../transforms/compose/hardcoded-secret.js';
import { Workspace } from '../src/workspace.js';
import { fixtureCases } from './helpers/tree.js';

describe('compose/hardcoded-secret never repeats a secret', () => {
  const rule = ruleById('compose/hardcoded-secret')!;
  for (const fc of fixtureCases().filter((c) => c.rule === rule.id)) {
    it(fc.name, async () => {
      const ws = openWorkspace(path.join(fc.dir, 'before'));
      const secrets = new Set<string>();
      for (const f of composeFiles(ws)) for (const o of occurrences(compose(ws, f)!)) secrets.add(o.secret);
      const opts = { rules: [rule], all: true };
      const plan = await planFixes(ws, opts);
      for (const s of secrets) {
        for (const f of plan.findings) expect(f.message.includes(s), `message of ${f.file} names a secret`).toBe(false);
        for (const ch of plan.changes) {
          if (ch.file.endsWith('.yml') || ch.file.endsWith('.yaml')) continue;
          expect(ch.after.includes(s), `${ch.file} holds a secret`).toBe(false);
        }
      }
      // In the fixed compose files no environment value holds a literal secret any more.
      const fixed = Workspace.fromFiles(Object.fromEntries(plan.changes.map((c) => [c.file, c.after])));
      for (const f of composeFiles(fixed)) {
        const cf = compose(fixed, f)!;
        expect(occurrences(cf)).toEqual([]);
        for (const svc of cf.services) for (const e of svc.environment) {
          const literal = (e.value ?? '').replace(/\$\{[^}]*\}/g, '').replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
          for (const s of secrets) expect(literal).not.toContain(s);
        }
      }
    });
  }
});
