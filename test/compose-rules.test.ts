// Properties of the compose/repo rules beyond their fixtures' exact bytes.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openWorkspace, planFixes } from '../src/api.js';
import { ruleById } from '../src/registry.js';
import { compose, composeFiles } from '../src/project/compose.js';
import { occurrences } from '../transforms/compose/hardcoded-secret.js';
import { Workspace } from '../src/workspace.js';
import ignore from 'ignore';
import { envTemplates, gitignoreFiles, isEnvTemplate, isGitIgnored } from '../src/project/env.js';
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

describe('git-ignore lookups (src/project/env.ts)', () => {
  // The definition: every .gitignore of the workspace, shallowest first, applied to each directory of
  // the path and then the path, when its directory is above the path.
  function reference(ws: Workspace, file: string): boolean {
    const files = gitignoreFiles(ws);
    const by = (rel: string, isDir: boolean) => {
      let ignored = false;
      for (const gi of files) {
        const base = gi.includes('/') ? gi.slice(0, gi.lastIndexOf('/')) : '';
        if (base && !rel.startsWith(base + '/')) continue;
        const r = ignore().add(ws.text(gi) ?? '').test(isDir ? (base ? rel.slice(base.length + 1) : rel) + '/' : base ? rel.slice(base.length + 1) : rel);
        if (r.ignored) ignored = true;
        else if (r.unignored) ignored = false;
      }
      return ignored;
    };
    const parts = file.split('/');
    for (let i = 1; i < parts.length; i++) if (by(parts.slice(0, i).join('/'), true)) return true;
    return by(file, false);
  }

  it('isGitIgnored applies the .gitignore files above a path, shallowest first, as the definition does', () => {
    const ws = Workspace.fromFiles({
      '.gitignore': '.env\nbuild/\n!keep/.env\n',
      'a/.gitignore': '!.env\n*.local\n',
      'a/b/.gitignore': '.env\n',
      'ab/.gitignore': '!.env\n',
      'a/bc/.gitignore': 'x\n',
      'keep/.gitignore': '!.env\n',
      'c/d/.gitignore': '/e/\n',
    });
    const paths = [
      '.env', 'a/.env', 'a/b/.env', 'a/bc/.env', 'ab/.env', 'abc/.env', 'a/b/c/.env', 'a/x.local', 'a/b/x.local', 'build/.env', 'a/build/y',
      'keep/.env', 'c/d/e/.env', 'c/d/f/e/.env', 'c/e/.env', 'a/bc/x', 'a/b/x', 'x',
    ];
    for (const p of paths) expect(isGitIgnored(ws, p), p).toBe(reference(ws, p));
    expect(paths.filter((p) => isGitIgnored(ws, p))).toEqual(['.env', 'a/b/.env', 'abc/.env', 'a/b/c/.env', 'a/x.local', 'a/b/x.local', 'build/.env', 'a/build/y', 'c/d/e/.env', 'c/d/f/e/.env', 'c/e/.env', 'a/bc/x']);
  });

  it('lists env templates by name, sorted, as a test of every path would', () => {
    const files: Record<string, string> = {};
    for (const f of ['.env.example', 'a/.env.sample', 'a/env.template', 'b/.env.tpl', 'b/.env.local', 'b/env.local', 'c/.env.examples', 'c/x.env.example', 'A/.env.dist', 'a/b/.env.defaults', 'z/env.example', '.env.tmpl', 'env.sample']) files[f] = '';
    const ws = Workspace.fromFiles(files);
    expect(envTemplates(ws)).toEqual(ws.find(isEnvTemplate));
    expect(envTemplates(ws)).toEqual(['.env.example', '.env.tmpl', 'A/.env.dist', 'a/.env.sample', 'a/b/.env.defaults', 'a/env.template', 'b/.env.tpl', 'env.sample', 'z/env.example']);
  });
});
