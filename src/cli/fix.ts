import { newSession, planFixes, type RunOptions } from '../api.js';
import { ResultCache } from '../engine/cache.js';
import type { Outcome, Preview } from '../engine/session.js';
import { changedOnDisk, fileChanges, writeChanges, type WriteResult } from '../io/write.js';
import { ruleById } from '../registry.js';
import { c } from '../render/color.js';
import { colorPatch, diffStat, unifiedPatch } from '../render/diff.js';
import type { Finding } from '../types.js';
import type { Workspace } from '../workspace.js';
import type { LoadedReport } from '../intake/index.js';
import { guard, nothingScanned, open, printErrors, runOptions, setupColor, UsageError, writeOut, type CommonFlags } from './common.js';

export interface FixFlags extends CommonFlags {
  tls?: boolean;
  dryRun?: boolean;
  output?: string;
  yes?: boolean;
  from?: string[];
  /** false with --no-cache. */
  cache?: boolean;
}

const err = (s: string) => process.stderr.write(s + '\n');

export function runFix(path: string, flags: FixFlags): Promise<number> {
  return guard(async () => {
    if (flags.output && !flags.dryRun) throw new UsageError('--output goes with --dry-run');
    const interactive = !flags.dryRun && !flags.yes;
    if (interactive && !(process.stdin.isTTY && process.stdout.isTTY)) {
      throw new UsageError('fix is interactive and needs a terminal; use --dry-run to see the patch or --yes to apply without asking');
    }
    setupColor(flags, flags.dryRun ? process.stderr : process.stdout);
    const o = runOptions(flags, path);
    if (flags.tls) (o.ruleOptions ??= {})['compose/reverse-proxy'] = { ...(o.ruleOptions?.['compose/reverse-proxy'] ?? {}), tls: true };
    const from = flags.from?.length ? (await import('../intake/cli.js')).readReports(flags.from) : undefined;
    const { ws } = open(path, o);
    // The findings of the first scan may come from scan's result cache (src/engine/cache.ts).
    if (flags.cache !== false) o.resultCache = ResultCache.open(ws, o);
    if (interactive) return interactiveFix(ws, o, from, () => open(path, o).ws);
    // With --from, exactly the findings the report's items match are fixed; what they became goes to stderr.
    const fromPlan = from ? await (await import('../intake/index.js')).planFromReport(ws, o, from) : undefined;
    if (fromPlan) err((await import('../intake/render.js')).renderIntakeText(fromPlan.intake, fromPlan.session.rules).trimEnd());
    const plan = fromPlan ?? (await planFixes(ws, o));
    printErrors(ws, plan.session.failures);
    reportOutcomes(plan.outcomes);
    if (flags.dryRun) {
      const patch = unifiedPatch(plan.changes);
      writeOut(flags.output, patch);
      if (flags.output || !patch) err(summary(plan.outcomes, plan.findings, Boolean(flags.all)));
    } else {
      // All or nothing: when a file to write was edited on disk since it was read, write none.
      const stale = changedOnDisk(ws, { followSymlinks: o.followSymlinks });
      if (stale.length) {
        for (const s of stale) err(`shipshape: ${s.file}: ${s.reason}; not overwritten`);
        err('shipshape: nothing was written; run again to re-plan with the new contents.');
        return 1;
      }
      const res = writeChanges(ws, { followSymlinks: o.followSymlinks });
      reportWrite(res);
      err(summary(plan.outcomes, plan.findings, Boolean(flags.all)));
      if (res.error || res.skipped.length) return 1;
    }
    if (nothingScanned(ws)) return 2;
    return plan.outcomes.some((x) => x.status === 'conflict' || x.status === 'invalid') ? 1 : 0;
  });
}

function reportOutcomes(outcomes: Outcome[]): void {
  for (const o of outcomes) {
    if (o.status === 'conflict' || o.status === 'invalid' || o.status === 'declined') {
      err(`shipshape: ${o.finding.file}:${o.finding.line}: ${o.finding.rule} not applied (${o.status}): ${o.reason ?? ''}`);
    }
  }
}

function summary(outcomes: Outcome[], findings: Finding[], all: boolean): string {
  const applied = outcomes.filter((o) => o.status === 'applied').length;
  const review = findings.filter((f) => f.fixable && f.safety === 'review').length;
  let s = `${applied} fix${applied === 1 ? '' : 'es'} ${applied ? 'planned' : ''}`.trim();
  if (!all && review) s += `; ${review} fix${review === 1 ? '' : 'es'} marked review not included (add --all)`;
  const unfixable = findings.filter((f) => !f.fixable).length;
  if (unfixable) s += `; ${unfixable} finding${unfixable === 1 ? ' has' : 's have'} no automatic fix`;
  return s + '.';
}

function reportWrite(res: WriteResult): void {
  for (const s of res.skipped) err(`shipshape: ${s.file}: ${s.reason}`);
  if (res.error) err(`shipshape: writing failed: ${res.error}`);
  for (const f of res.written) err(`${c.green('wrote')} ${f}`);
}

type Answer = 'apply' | 'skip' | 'all' | 'skip-rule' | 'quit';

/**
 * The interactive review. `reopen` gives a fresh workspace (read from disk again): when a file the
 * accepted fixes change was edited on disk meanwhile, nothing is written and the user may re-plan,
 * i.e. review again against the new contents.
 */
const MAX_REVIEW_ROUNDS = 5;

async function interactiveFix(ws: Workspace, o: RunOptions, from: LoadedReport[] | undefined, reopen: () => Workspace): Promise<number> {
  const { expand, confirm } = await import('@inquirer/prompts');
  const session = newSession(ws, o);
  let scanned = await session.scan();
  if (from) {
    const { intake } = await import('../intake/index.js');
    const { renderIntakeText } = await import('../intake/render.js');
    const matched = intake(ws, scanned, session.rules, from);
    process.stdout.write(renderIntakeText(matched, session.rules));
    scanned = matched.selected;
  }
  const findings = scanned.filter((f) => f.fixable);
  printErrors(ws, session.failures);
  if (findings.length === 0) {
    process.stdout.write('Nothing to fix.\n');
    return nothingScanned(ws) ? 2 : 0;
  }
  const skippedRules = new Set<string>();
  const outcomes: Outcome[] = [];
  let applyRest = false;
  // Fixes can make new findings (python/getenv-call-site once python/settings-validation made the
  // Settings class): when the list is done, rescan and offer the new ones, as planFixes does.
  const seen = new Set(scanned.map((f) => f.id));
  let rounds = 0;
  for (let i = 0; ; i++) {
    if (i === findings.length) {
      if (from || rounds++ >= MAX_REVIEW_ROUNDS || !outcomes.some((x) => x.status === 'applied')) break;
      const fresh = (await session.scan()).filter((x) => x.fixable && !seen.has(x.id));
      for (const x of fresh) seen.add(x.id);
      if (fresh.length === 0) break;
      findings.push(...fresh);
    }
    const f = findings[i]!;
    if (skippedRules.has(f.rule)) continue;
    if (applyRest) {
      outcomes.push(await session.applyOne(f));
      continue;
    }
    const p = await session.preview(f);
    if (p.status !== 'ok') {
      process.stdout.write(c.dim(`[${i + 1}/${findings.length}] ${f.rule} at ${f.file}:${f.line}: ${p.status} — ${p.reason ?? ''}\n`));
      continue;
    }
    process.stdout.write(describe(p, i, findings.length));
    const defaultApply = f.safety === 'safe' || Boolean(o.all);
    let answer: Answer;
    try {
      answer = (await expand<Answer>({
        message: `Apply this fix? (${f.safety})`,
        default: defaultApply ? 'y' : 'n',
        choices: [
          { key: 'y', name: 'Apply this fix', value: 'apply' },
          { key: 'n', name: 'Skip this fix', value: 'skip' },
          { key: 'a', name: 'Apply this and all remaining fixes', value: 'all' },
          { key: 's', name: `Skip every fix of ${f.rule}`, value: 'skip-rule' },
          { key: 'q', name: 'Quit: write the fixes accepted so far', value: 'quit' },
        ],
      })) as Answer;
    } catch {
      process.stdout.write('\nAborted: nothing was written.\n');
      return 130;
    }
    if (answer === 'quit') break;
    if (answer === 'skip') continue;
    if (answer === 'skip-rule') {
      skippedRules.add(f.rule);
      continue;
    }
    session.commit(p);
    outcomes.push({ finding: p.finding, status: 'applied', files: p.files!.map((x) => x.file) });
    if (answer === 'all') applyRest = true;
  }
  const changes = fileChanges(ws);
  if (changes.length === 0) {
    process.stdout.write('No fixes accepted; nothing written.\n');
    return 0;
  }
  const stale = changedOnDisk(ws, { followSymlinks: o.followSymlinks });
  if (stale.length) {
    for (const s of stale) process.stdout.write(`${c.yellow('changed on disk')} ${s.file}: ${s.reason}; not overwritten\n`);
    let replan: boolean;
    try {
      replan = await confirm({ message: 'Re-plan with the new contents?', default: true });
    } catch {
      process.stdout.write('\nAborted: nothing was written.\n');
      return 130;
    }
    if (!replan) {
      process.stdout.write('Nothing was written.\n');
      return 1;
    }
    process.stdout.write('Re-planning with the new contents.\n');
    return interactiveFix(reopen(), o, from, reopen);
  }
  const res = writeChanges(ws, { followSymlinks: o.followSymlinks });
  for (const s of res.skipped) process.stdout.write(`${c.yellow('not written')} ${s.file}: ${s.reason}\n`);
  if (res.error) process.stdout.write(`${c.red('writing failed')}: ${res.error}\n`);
  const stats = diffStat(changes);
  for (const s of stats) if (res.written.includes(s.file)) process.stdout.write(`${c.green('wrote')} ${s.file} (+${s.added} -${s.removed})\n`);
  const applied = outcomes.filter((x) => x.status === 'applied').length;
  process.stdout.write(`${applied} fix${applied === 1 ? '' : 'es'} applied to ${res.written.length} file${res.written.length === 1 ? '' : 's'}.\n`);
  return res.error || res.skipped.length ? 1 : 0;
}

function describe(p: Preview, i: number, n: number): string {
  const f = p.finding;
  const rule = ruleById(f.rule);
  const lines = [
    '',
    c.bold(`[${i + 1}/${n}] ${rule?.title ?? f.rule}`) + c.dim(`  ${f.rule}  ${f.severity}  fix: ${f.safety}`),
    `${c.magenta(f.file)}:${f.line}  ${f.message}`,
  ];
  if (rule) lines.push('', c.bold('Why it matters: ') + rule.docs.why, c.bold('The fix: ') + rule.docs.fix);
  lines.push('', colorPatch(unifiedPatch((p.files ?? []).map((x) => ({ file: x.file, before: x.before, after: x.after })))));
  return lines.join('\n') + '\n';
}
