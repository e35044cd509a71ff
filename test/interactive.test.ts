// The interactive review (`shipshape fix <path>` in a terminal), driven in a real pseudo-terminal
// (util-linux `script`): the test reads what the CLI shows, types the answers the @inquirer/prompts
// `expand` prompt takes (a key, then Enter), and checks exactly what landed on disk.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  changedPaths,
  copyProject,
  describeRun,
  filesOf,
  hasBinary,
  PtySession,
  requireBuiltCli,
  runCli,
  snapshot,
  type Entry,
} from './helpers/cli.js';
import { gitApply, initRepo, writePatch } from './helpers/git.js';
import { tmpDir } from './helpers/tree.js';

const SLOW = 240_000;
const PROJECT = 'demo';

/** The prompt waiting for an answer: `? Apply this fix? (safe) (Ynasqh)`; the capital is the default. */
const PROMPT = /Apply this fix\? \((safe|review)\) \((Ynasqh|yNasqh)\)/;
/** The prompt once answered: inquirer prints the chosen option's name after the message. */
const ANSWERED =
  /Apply this fix\? \((?:safe|review)\) (Apply this fix|Skip this fix|Apply this and all remaining fixes|Skip every fix of \S+|Quit: write the fixes accepted so far)/;
/** How the session ends. */
const END = /(\d+) fix(?:es)? applied to (\d+) files?\.|No fixes accepted; nothing written\.|Aborted: nothing was written\./;

interface JsonFinding {
  id: string;
  rule: string;
  file: string;
  line: number;
  fixable: boolean;
  safety: 'safe' | 'review';
}

interface Step {
  /** Everything shown for this fix: header, why, patch. */
  block: string;
  /** The rule id from the header line `[i/n] Title  rule  severity  fix: safety`. */
  rule: string;
  index: number;
  total: number;
  safety: 'safe' | 'review';
  defaultKey: 'y' | 'n';
  /** The unified patch shown for this fix. */
  patch: string;
}

const sessions: PtySession[] = [];
afterEach(() => {
  for (const s of sessions.splice(0)) s.kill();
});

beforeAll(() => {
  requireBuiltCli();
  if (!hasBinary('script')) throw new Error('util-linux `script` is needed to run the CLI in a pseudo-terminal (apt-get install bsdutils)');
});

function start(dir: string, extra: string[] = [], env: Record<string, string | undefined> = { NO_COLOR: '1' }): PtySession {
  const s = new PtySession(['fix', ...extra, dir], { env });
  sessions.push(s);
  return s;
}

function parseStep(block: string, m: RegExpExecArray): Step {
  const header = /\[(\d+)\/(\d+)\] .*?\s{2}([a-z][a-z0-9]*\/[a-z0-9-]+)\s{2}(critical|high|medium|low)\s{2}fix: (safe|review)/.exec(block);
  if (!header) throw new Error(`no [i/n] header before the prompt:\n${block}`);
  const start = block.indexOf('diff --git ');
  if (start < 0) throw new Error(`no patch shown before the prompt:\n${block}`);
  // The patch ends where the prompt line begins (inquirer's "? " prefix).
  const promptAt = block.lastIndexOf('\n', block.length - m[0].length);
  const patch = block.slice(start, promptAt + 1).replace(/\n+$/, '\n');
  expect(header[5], 'header and prompt agree on the fix safety').toBe(m[1]);
  return {
    block,
    rule: header[3]!,
    index: Number(header[1]),
    total: Number(header[2]),
    safety: m[1] as 'safe' | 'review',
    defaultKey: m[2] === 'Ynasqh' ? 'y' : 'n',
    patch,
  };
}

/** Wait for the next prompt (or the end); returns the step, or null when the session ended. */
async function nextStep(s: PtySession): Promise<Step | null> {
  const block = await s.expect(new RegExp(`${PROMPT.source}|${END.source}`));
  const m = PROMPT.exec(block);
  if (!m) return null;
  // Take the last prompt render in the block (the block ends with the match).
  const all = [...block.matchAll(new RegExp(PROMPT.source, 'g'))];
  const last = all[all.length - 1]!;
  return parseStep(block, last as RegExpExecArray);
}

/** Type an answer and wait until the prompt shows it was taken. */
async function answer(s: PtySession, key: string): Promise<string> {
  s.answer(key);
  const done = await s.expect(ANSWERED);
  return ANSWERED.exec(done)![1]!;
}

function scanFindings(dir: string): JsonFinding[] {
  const r = runCli(['scan', '--format', 'json', dir]);
  expect([0, 1], describeRun(['scan', '--format', 'json', dir], r)).toContain(r.code);
  return (JSON.parse(r.stdout) as { findings: JsonFinding[] }).findings;
}

function expectTreeUnchanged(before: Map<string, Entry>, dir: string): void {
  const after = snapshot(dir);
  expect(changedPaths(before, after)).toEqual([]);
  for (const [p, e] of before) if (e.kind === 'file') expect(after.get(p)!.mtimeMs, `mtime of ${p}`).toBe(e.mtimeMs);
}

/** Apply a patch shown by the CLI to a fresh copy of the project; returns the resulting files. */
function applyShownPatch(patch: string): Record<string, string> {
  const copy = copyProject(PROJECT);
  initRepo(copy);
  const file = writePatch(fs.realpathSync(tmpDir('shipshape-pty-patch-')), 'shown.patch', patch);
  const r = gitApply(copy, file);
  expect(r.code, `git apply of the patch shown in the prompt: ${r.stderr}\n${patch}`).toBe(0);
  return filesOf(snapshot(copy));
}

describe('interactive fix in a pseudo-terminal', () => {
  it('without fixable findings: "Nothing to fix." and exit 0', async () => {
    const dir = fs.realpathSync(tmpDir());
    fs.writeFileSync(path.join(dir, 'README.md'), '# nothing here\n');
    const s = start(dir);
    await s.expect('Nothing to fix.');
    expect((await s.wait()).code).toBe(0);
  });

  it('shows each fix with its patch; y to the first and n to the rest writes exactly the first patch', async () => {
    const dir = copyProject(PROJECT);
    const before = snapshot(dir);
    const fixable = scanFindings(dir).filter((f) => f.fixable);
    expect(fixable.length, 'the demo project has several fixable findings').toBeGreaterThan(2);
    const s = start(dir);
    const first = await nextStep(s);
    expect(first, 'a first prompt').not.toBeNull();
    expect(first!.index).toBe(1);
    expect(first!.total).toBe(fixable.length);
    expect(first!.block).toContain('Why it matters: ');
    expect(first!.block).toContain('The fix: ');
    expect(first!.defaultKey, 'safe fixes default to yes, review fixes to no').toBe(first!.safety === 'safe' ? 'y' : 'n');
    expect(await answer(s, 'y')).toBe('Apply this fix');
    let prompts = 1;
    for (let step = await nextStep(s); step; step = await nextStep(s)) {
      prompts++;
      expect(step.index).toBeGreaterThan(1);
      expect(await answer(s, 'n')).toBe('Skip this fix');
    }
    expect(s.text).toMatch(/1 fix applied to \d+ files?\./);
    expect((await s.wait()).code).toBe(0);
    expect(prompts).toBeGreaterThan(1);

    const after = snapshot(dir);
    const changed = changedPaths(before, after).filter((p) => after.get(p)?.kind !== 'dir');
    const shown = [...first!.patch.matchAll(/^diff --git a\/(.+) b\/\1$/gm)].map((m) => m[1]!).sort();
    expect(changed, 'only the files of the first fix changed').toEqual(shown);
    expect(filesOf(after), 'what landed is exactly the patch that was shown').toEqual(applyShownPatch(first!.patch));
    const wrote = [...s.text.matchAll(/^wrote (\S+) \(\+\d+ -\d+\)$/gm)].map((m) => m[1]!).sort();
    expect(wrote).toEqual(changed);
  }, SLOW);

  it('q writes the fixes accepted so far', async () => {
    const dir = copyProject(PROJECT);
    const before = snapshot(dir);
    const s = start(dir);
    const first = await nextStep(s);
    expect(await answer(s, 'y')).toBe('Apply this fix');
    const second = await nextStep(s);
    expect(second, 'a second prompt').not.toBeNull();
    expect(await answer(s, 'q')).toBe('Quit: write the fixes accepted so far');
    await s.expect(END);
    expect(s.text).toMatch(/1 fix applied to \d+ files?\./);
    expect((await s.wait()).code).toBe(0);
    const after = snapshot(dir);
    expect(changedPaths(before, after).length).toBeGreaterThan(0);
    expect(filesOf(after)).toEqual(applyShownPatch(first!.patch));
  }, SLOW);

  it('q at the first prompt writes nothing', async () => {
    const dir = copyProject(PROJECT);
    const before = snapshot(dir);
    const s = start(dir);
    expect(await nextStep(s)).not.toBeNull();
    expect(await answer(s, 'q')).toBe('Quit: write the fixes accepted so far');
    await s.expect('No fixes accepted; nothing written.');
    expect((await s.wait()).code).toBe(0);
    expectTreeUnchanged(before, dir);
  }, SLOW);

  it('Ctrl-C after accepting a fix writes nothing and exits 130', async () => {
    const dir = copyProject(PROJECT);
    const before = snapshot(dir);
    const s = start(dir);
    expect(await nextStep(s)).not.toBeNull();
    expect(await answer(s, 'y')).toBe('Apply this fix');
    expect(await nextStep(s)).not.toBeNull();
    s.type('\x03');
    await s.expect('Aborted: nothing was written.');
    expect((await s.wait()).code).toBe(130);
    expectTreeUnchanged(before, dir);
    // No temporary files left behind either.
    expect([...snapshot(dir).keys()].filter((p) => p.includes('.shipshape-'))).toEqual([]);
  }, SLOW);

  it('n to everything writes nothing', async () => {
    const dir = copyProject(PROJECT);
    const before = snapshot(dir);
    const s = start(dir);
    let prompts = 0;
    for (let step = await nextStep(s); step; step = await nextStep(s)) {
      prompts++;
      expect(await answer(s, 'n')).toBe('Skip this fix');
    }
    expect(prompts).toBeGreaterThan(0);
    expect(s.text).toContain('No fixes accepted; nothing written.');
    expect((await s.wait()).code).toBe(0);
    expectTreeUnchanged(before, dir);
  }, SLOW);

  it('s skips every fix of that rule', async () => {
    const dir = copyProject(PROJECT);
    const before = snapshot(dir);
    const fixable = scanFindings(dir).filter((f) => f.fixable);
    const count = new Map<string, number>();
    for (const f of fixable) count.set(f.rule, (count.get(f.rule) ?? 0) + 1);
    const repeated = [...count].filter(([, n]) => n > 1).map(([r]) => r);
    expect(repeated.length, `a rule with several findings in ${PROJECT} (${JSON.stringify([...count])})`).toBeGreaterThan(0);
    const s = start(dir);
    let skipped: string | undefined;
    const seenAfter: string[] = [];
    for (let step = await nextStep(s); step; step = await nextStep(s)) {
      if (skipped) seenAfter.push(step.rule);
      if (!skipped && repeated.includes(step.rule)) {
        skipped = step.rule;
        expect(await answer(s, 's')).toBe(`Skip every fix of ${step.rule}`);
      } else expect(await answer(s, 'n')).toBe('Skip this fix');
    }
    expect(skipped, 'a prompt for a rule with several findings').toBeDefined();
    expect(seenAfter, `no more prompts for ${skipped}`).not.toContain(skipped);
    expect(s.text).toContain('No fixes accepted; nothing written.');
    expect((await s.wait()).code).toBe(0);
    expectTreeUnchanged(before, dir);
  }, SLOW);

  it('a at the first prompt applies every fix, like fix --yes --all', async () => {
    const dir = copyProject(PROJECT);
    const before = snapshot(dir);
    const fixable = scanFindings(dir).filter((f) => f.fixable);
    const s = start(dir);
    expect(await nextStep(s)).not.toBeNull();
    expect(await answer(s, 'a')).toBe('Apply this and all remaining fixes');
    const end = await s.expect(END);
    expect(PROMPT.test(end), 'no prompt after a').toBe(false);
    expect((await s.wait()).code).toBe(0);
    const m = /(\d+) fix(?:es)? applied to (\d+) files?\./.exec(end);
    expect(m, s.text).not.toBeNull();
    const after = snapshot(dir);
    const changed = changedPaths(before, after).filter((p) => after.get(p)?.kind !== 'dir');
    expect(Number(m![2])).toBe(changed.length);
    // At least every original fixable finding (fixes can make new ones, which are offered too).
    expect(Number(m![1])).toBeGreaterThanOrEqual(fixable.length);
    // Every original fixable finding is gone.
    const left = scanFindings(dir).filter((f) => fixable.some((o) => o.id === f.id));
    expect(left.map((f) => `${f.rule} ${f.file}:${f.line}`)).toEqual([]);
    // The same files as the non-interactive run, and nothing left for it to do.
    const yes = copyProject(PROJECT);
    const ybefore = snapshot(yes);
    const r = runCli(['fix', '--yes', '--all', yes]);
    expect(r.code, describeRun(['fix', '--yes', '--all', yes], r)).toBe(0);
    expect(changed).toEqual(changedPaths(ybefore, snapshot(yes)).filter((p) => !fs.statSync(path.join(yes, p)).isDirectory()));
    // (Not byte-identical: one by one, fixes land in another order, e.g. a service's `networks:` and
    // `deploy:` keys swap places. Both orders are valid; the files and what is fixed are the same.)
    const rest = runCli(['fix', '--dry-run', '--all', dir]);
    expect(rest.stdout, 'fix --all after "a" has nothing left to do').toBe('');
  }, SLOW);

  it('Enter takes the default: safe fixes applied, review fixes skipped — the same as fix --yes', async () => {
    const dir = copyProject(PROJECT);
    const s = start(dir);
    const kinds = new Set<string>();
    for (let step = await nextStep(s); step; step = await nextStep(s)) {
      kinds.add(step.safety);
      expect(step.defaultKey).toBe(step.safety === 'safe' ? 'y' : 'n');
      expect(await answer(s, '')).toBe(step.safety === 'safe' ? 'Apply this fix' : 'Skip this fix');
    }
    expect([...kinds].sort(), 'the demo project has safe and review fixes').toEqual(['review', 'safe']);
    expect((await s.wait()).code).toBe(0);
    const yes = copyProject(PROJECT);
    const r = runCli(['fix', '--yes', yes]);
    expect(r.code, describeRun(['fix', '--yes', yes], r)).toBe(0);
    expect(filesOf(snapshot(dir))).toEqual(filesOf(snapshot(yes)));
  }, SLOW);

  it('--all makes review fixes default to yes', async () => {
    const dir = copyProject(PROJECT);
    const before = snapshot(dir);
    const s = start(dir, ['--all']);
    const step = await nextStep(s);
    expect(step).not.toBeNull();
    expect(step!.defaultKey).toBe('y');
    expect(await answer(s, 'q')).toBe('Quit: write the fixes accepted so far');
    expect((await s.wait()).code).toBe(0);
    expectTreeUnchanged(before, dir);
  }, SLOW);

  it('colours the review in a terminal, and not with NO_COLOR', async () => {
    const sgr = /\x1b\[[0-9;]*m/; // eslint-disable-line no-control-regex
    for (const [env, coloured] of [
      [{}, true],
      [{ NO_COLOR: '1' }, false],
    ] as const) {
      const dir = copyProject(PROJECT);
      const s = start(dir, [], env);
      const block = await s.expect(PROMPT);
      // shipshape's own text (header, file, patch) comes before the prompt line, which inquirer draws.
      const raw = s.rawOutput;
      const ours = raw.slice(0, raw.lastIndexOf('\n', raw.indexOf('Apply this fix?')));
      expect(sgr.test(ours), `${JSON.stringify(env)}: escape codes in\n${JSON.stringify(ours.slice(0, 400))}`).toBe(coloured);
      expect(block).toContain('[1/');
      s.answer('q');
      await s.expect(END);
      expect((await s.wait()).code).toBe(0);
    }
  }, SLOW);
});
