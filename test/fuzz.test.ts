// Fuzzing every transform with generated, realistic repositories (test/helpers/fuzz.ts): Dockerfiles,
// compose files and nginx configurations with random comments, blank lines, continuations, quoting
// and CRLF. For each case, every rule that reads its files is run alone, then all rules together
// (review fixes included), on a real directory (so CRLF is normalised and written back as it is in
// the CLI), and we check:
//   - no exception escapes and no rule fails (a rule failure counts as a failure);
//   - the generated input parses (no file errors) and every fix leaves its files parsable (no
//     'invalid' outcome: the engine validates each fixed file);
//   - every comment of the input is still in the output;
//   - fixing the output again proposes nothing.
// SHIPSHAPE_FUZZ_SEED=<n> reproduces a run (the seed is printed), SHIPSHAPE_FUZZ_RUNS=<n> sets the
// number of cases per generator.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { openWorkspace, planFixes } from '../src/api.js';
import { rules } from '../src/registry.js';
import { defineRule } from '../src/rule.js';
import type { Rule } from '../src/types.js';
import { commentsOf, composeCase, dockerCase, nginxCase, type Repo } from './helpers/fuzz.js';

const SEED = process.env.SHIPSHAPE_FUZZ_SEED ? Number(process.env.SHIPSHAPE_FUZZ_SEED) : Date.now() % 2 ** 31;
// Tuned for about a minute on a 2-core machine: a compose case runs ~13 rule sets over a small
// project (the compose rules read the app code too), an nginx case runs two.
const RUNS: Record<string, number> = {
  dockerfile: Number(process.env.SHIPSHAPE_FUZZ_RUNS ?? 50),
  compose: Number(process.env.SHIPSHAPE_FUZZ_RUNS ?? 30),
  nginx: Number(process.env.SHIPSHAPE_FUZZ_RUNS ?? 120),
};
/** Generated cases that ran (shrinking runs not included). */
const counted: Record<string, number> = { dockerfile: 0, compose: 0, nginx: 0 };
const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-fuzz-')));

console.log(`fuzz: seed ${SEED} (reproduce with SHIPSHAPE_FUZZ_SEED=${SEED})`);

/** Fixes applied per rule (rules run alone), to see that the generators reach every transform. */
const applied = new Map<string, number>();

afterAll(() => {
  const total = Object.values(counted).reduce((a, b) => a + b, 0);
  console.log(`fuzz: ${total} cases (dockerfile ${counted.dockerfile}, compose ${counted.compose}, nginx ${counted.nginx}), seed ${SEED}`);
  const per = [...applied].sort(([a], [b]) => (a < b ? -1 : 1)).map(([r, n]) => `${r} ${n}`);
  if (per.length) console.log(`fuzz: fixes applied (rules alone): ${per.join(', ')}`);
  fs.rmSync(base, { recursive: true, force: true });
});

let serial = 0;
function writeRepo(files: Record<string, string>): string {
  const dir = path.join(base, String(++serial));
  for (const [rel, text] of Object.entries(files)) {
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
  }
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

function listing(files: Record<string, string>): string {
  return Object.entries(files)
    .map(([f, t]) => `--- ${f}${t.includes('\r\n') ? ' (CRLF)' : ''}\n${t.replace(/\r\n/g, '\n')}`)
    .join('\n');
}

/** Fix the repository with a set of rules; returns the files after fixing. Throws on any violation. */
async function fixAndCheck(repo: Repo, set: Rule[], label: string): Promise<Record<string, string>> {
  const dir = writeRepo(repo.files);
  const opts = { rules: set, all: true };
  const ws = openWorkspace(dir, opts);
  const plan = await planFixes(ws, opts);
  const where = `${label}\n${listing(repo.files)}`;
  expect(ws.errors, `file errors on generated input: ${where}`).toEqual([]);
  expect(plan.session.failures.map((f) => `${f.rule}: ${f.message}`), `rule failures: ${where}`).toEqual([]);
  const invalid = plan.outcomes.filter((o) => o.status === 'invalid').map((o) => `${o.finding.rule} ${o.finding.file}:${o.finding.line}: ${o.reason}`);
  expect(invalid, `fixes that broke a file or threw: ${where}`).toEqual([]);

  if (set.length === 1 && rules().includes(set[0]!)) {
    const n = plan.outcomes.filter((o) => o.status === 'applied').length;
    applied.set(set[0]!.id, (applied.get(set[0]!.id) ?? 0) + n);
  }
  const after: Record<string, string> = { ...repo.files };
  for (const ch of plan.changes) after[ch.file] = ch.after;
  // Each comment must still be there as a whole line end ("# zc1" must not match "# zc12 …").
  const out = Object.values(after).join('\n').replace(/\r\n/g, '\n') + '\n';
  const lost = Object.values(repo.files).flatMap(commentsOf).filter((c) => !out.includes(c + '\n'));
  expect(lost, `comments lost: ${where}\n=== after ===\n${listing(after)}`).toEqual([]);

  // Fixing the output again proposes nothing (nothing to check when nothing changed).
  if (plan.changes.length === 0) {
    fs.rmSync(dir, { recursive: true, force: true });
    return after;
  }
  const dir2 = writeRepo(after);
  const ws2 = openWorkspace(dir2, opts);
  const again = await planFixes(ws2, opts);
  expect(ws2.errors, `file errors after fixing: ${where}\n=== after ===\n${listing(after)}`).toEqual([]);
  expect(again.session.failures.map((f) => `${f.rule}: ${f.message}`), `rule failures on the output: ${where}`).toEqual([]);
  const changedAgain = again.changes.map((c) => `${c.file}:\n${c.after}`);
  expect(changedAgain, `fixing the output again changes it: ${where}\n=== after ===\n${listing(after)}`).toEqual([]);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(dir2, { recursive: true, force: true });
  return after;
}

async function property(repo: Repo, kind: Kind): Promise<void> {
  // Alone: every rule that reads the generated file's kind. Together: all rules, whatever they read.
  const alone = rules().filter((r) => r.kinds.includes(kind));
  for (const r of alone) await fixAndCheck(repo, [r], `rule ${r.id} alone`);
  await fixAndCheck(repo, rules(), 'all rules together');
}

type Kind = 'dockerfile' | 'compose' | 'nginx';

function fuzz(kind: Kind, arb: fc.Arbitrary<Repo>, seedOffset: number) {
  it(`${kind}: every transform keeps comments, leaves parsable files and is idempotent`, async () => {
    const details = await fc.check(
      fc.asyncProperty(arb, (repo) => property(repo, kind)),
      { numRuns: RUNS[kind], seed: SEED + seedOffset },
    );
    counted[kind] = details.numRuns;
    if (details.failed) throw new Error(fc.defaultReportMessage(details) ?? 'property failed');
  }, 600_000);
}

describe('fuzz checks', () => {
  // The checks themselves must catch a transform that misbehaves.
  const repo: Repo = {
    main: 'Dockerfile',
    files: { Dockerfile: 'FROM python:3.12-slim\n# zc1 keep me\nCMD ["python", "main.py"]\n' },
  };
  const fake = (id: string, fix: (text: string) => { start: number; end: number; text: string }): Rule =>
    defineRule({
      id,
      title: 'Fake problem',
      fixTitle: 'Fake fix',
      severity: 'low',
      safety: 'safe',
      docs: { why: 'test', fix: 'test' },
      kinds: ['dockerfile'],
      detect: (ctx) => [{ file: 'Dockerfile', line: 1, message: 'fake', anchor: ctx.ws.text('Dockerfile')!.length > 200 ? 'long' : 'x' }],
      fix: (_f, ctx) => [{ file: 'Dockerfile', ...fix(ctx.ws.text('Dockerfile')!) }],
    });
  it('a fix that drops a comment fails', async () => {
    const rule = fake('test/drop-comment', (t) => ({ start: t.indexOf('# zc1'), end: t.indexOf('CMD'), text: '' }));
    await expect(fixAndCheck(repo, [rule], 'fake')).rejects.toThrow(/comments lost/);
  });
  it('a fix that breaks the file fails', async () => {
    const rule = fake('test/break-file', () => ({ start: 0, end: 4, text: 'FROMM' }));
    await expect(fixAndCheck(repo, [rule], 'fake')).rejects.toThrow(/fixes that broke a file/);
  });
  it('a fix that is not idempotent fails', async () => {
    const rule = fake('test/grow', (t) => ({ start: t.length, end: t.length, text: '# more\n' }));
    await expect(fixAndCheck(repo, [rule], 'fake')).rejects.toThrow(/fixing the output again changes it/);
  });
  it('a rule that throws fails', async () => {
    const rule = fake('test/throw', () => {
      throw new Error('boom');
    });
    await expect(fixAndCheck(repo, [rule], 'fake')).rejects.toThrow(/fixes that broke a file or threw/);
  });
});

describe('fuzz', () => {
  fuzz('dockerfile', dockerCase, 0);
  fuzz('compose', composeCase, 1);
  fuzz('nginx', nginxCase, 2);
});
