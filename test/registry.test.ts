// The registry matches the transforms/ directory, every rule has docs and fixtures (a fixing case,
// an already-fine case, a comments case), and the README's rule table and docs/rules/ pages are
// generated from the rules. SHIPSHAPE_UPDATE_DOCS=1 rewrites the README table and the pages.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ruleMeta } from '../src/generated/meta.js';
import { ruleFiles, ruleMetaOf, rules } from '../src/registry.js';
import { ruleMarkdown } from '../src/render/sarif.js';
import { FIXTURES, REPO, fixtureCases } from './helpers/tree.js';

const UPDATE = process.env.SHIPSHAPE_UPDATE_DOCS === '1';
const START = '<!-- rules:start (generated from the rules: SHIPSHAPE_UPDATE_DOCS=1 npx vitest run test/registry.test.ts) -->';
const END = '<!-- rules:end -->';

function ruleTable(): string {
  const rows = rules().map((r) => `| [\`${r.id}\`](docs/rules/${r.id}.md) | ${r.title} | ${r.severity} | ${r.fix ? r.safety : 'no fix'} | ${r.fixTitle} |`);
  return ['| Rule | Problem | Severity | Fix safety | Fix |', '| --- | --- | --- | --- | --- |', ...rows].join('\n');
}

describe('registry', () => {
  it('has one rule per transforms/<area>/<name>.ts, with matching id', () => {
    const list = rules();
    expect(list.length).toBe(ruleFiles.length);
    list.forEach((r, i) => expect(r.id).toBe(ruleFiles[i]));
    expect(new Set(list.map((r) => r.id)).size).toBe(list.length);
  });

  it('the generated metadata (rules, explain, init read it) is what the rules say', () => {
    // Against the objects themselves: an option default that JSON cannot hold (the file is JSON) fails here.
    expect(ruleMeta).toEqual(rules().map(ruleMetaOf));
    expect(ruleMeta.map((m) => m.id)).toEqual(ruleFiles);
  });

  for (const r of rules()) {
    it(`${r.id} has docs and fixtures (fixing, already fine, comments)`, () => {
      expect(r.docs.why.length).toBeGreaterThan(40);
      expect(r.docs.fix.length).toBeGreaterThan(20);
      const cases = fixtureCases().filter((c) => c.rule === r.id);
      expect(cases.length, `fixtures/${r.id}/ has cases`).toBeGreaterThan(0);
      const fixing = cases.filter((c) => fs.existsSync(path.join(c.dir, 'after')));
      const clean = cases.filter((c) => !fs.existsSync(path.join(c.dir, 'after')));
      if (r.fix) expect(fixing.length, `fixtures/${r.id}: a case with after/`).toBeGreaterThan(0);
      expect(clean.length, `fixtures/${r.id}: an already-fine case (no after/)`).toBeGreaterThan(0);
      expect(cases.some((c) => /comment/.test(c.name)), `fixtures/${r.id}: a case named *comment*`).toBe(true);
    });
  }

  it('every fixture directory belongs to a rule', () => {
    const ids = new Set(rules().map((r) => r.id));
    const orphans = fixtureCases().filter((c) => !ids.has(c.rule)).map((c) => c.rule);
    expect([...new Set(orphans)]).toEqual([]);
    expect(fs.existsSync(FIXTURES)).toBe(true);
  });

  it('README rule table and docs/rules pages are up to date', () => {
    const readmePath = path.join(REPO, 'README.md');
    const readme = fs.readFileSync(readmePath, 'utf8');
    const a = readme.indexOf(START);
    const b = readme.indexOf(END);
    expect(a, 'README has the rules markers').toBeGreaterThan(-1);
    const want = `${START}\n${ruleTable()}\n${END}`;
    const have = readme.slice(a, b + END.length);
    const pages = rules().map((r) => ({ file: path.join(REPO, 'docs', 'rules', `${r.id}.md`), text: `# ${r.id}\n\n${ruleMarkdown(r)}` }));
    if (UPDATE) {
      fs.writeFileSync(readmePath, readme.slice(0, a) + want + readme.slice(b + END.length));
      fs.rmSync(path.join(REPO, 'docs', 'rules'), { recursive: true, force: true });
      for (const p of pages) {
        fs.mkdirSync(path.dirname(p.file), { recursive: true });
        fs.writeFileSync(p.file, p.text);
      }
      return;
    }
    expect(have).toBe(want);
    for (const p of pages) expect(fs.existsSync(p.file) ? fs.readFileSync(p.file, 'utf8') : '(missing)', p.file).toBe(p.text);
  });
});
