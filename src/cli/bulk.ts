// `shipshape bulk`: flags → bulk(), progress on stderr, the result table (or JSON) on stdout.
// Exit codes: 0 every branch is created, updated, unchanged or skipped as expected (a branch someone
// else edited is skipped and reported, not an error); 1 some branch or pull request failed, or a rule
// crashed; 2 usage or fatal errors (not a git repository, unknown base or remote, gh missing or
// logged out).
import nodePath from 'node:path';
import { bulk, BulkUsageError, type BranchResult, type BulkOptions, type BulkProgress, type BulkResult } from '../bulk/run.js';
import type { GroupBy } from '../bulk/group.js';
import { renderDiffstat } from '../bulk/message.js';
import { parseSelectors } from '../registry.js';
import { c } from '../render/color.js';
import { formatError } from '../render/report.js';
import { guard, open, runOptions, setupColor, UsageError, type CommonFlags } from './common.js';

export interface BulkFlags extends CommonFlags {
  groupBy?: GroupBy;
  base?: string;
  branchPrefix?: string;
  push?: string;
  pr?: boolean;
  dryRun?: boolean;
  json?: boolean;
  rebase?: boolean;
  tls?: boolean;
  from?: string[];
}

const err = (s: string) => process.stderr.write(s + '\n');

export function runBulk(path: string, flags: BulkFlags): Promise<number> {
  return guard(async () => {
    setupColor(flags.json ? { ...flags, color: false } : flags);
    // Reject unknown rule names before any git work.
    parseSelectors(flags.only);
    parseSelectors(flags.skip);
    // --from: read the reports first (exit 2 when one cannot be read), then keep what they match.
    const from = flags.from?.length ? (await import('../intake/cli.js')).readReports(flags.from) : undefined;
    const intake = from ? await import('../intake/index.js') : undefined;
    const progress = progressPrinter(process.stderr);
    const opts: BulkOptions = {
      groupBy: flags.groupBy,
      base: flags.base,
      branchPrefix: flags.branchPrefix,
      push: flags.push,
      pr: flags.pr,
      dryRun: flags.dryRun,
      rebase: flags.rebase,
      run: { all: Boolean(flags.all) },
      // Configuration (.shipshape.yml) and suppressions come from the base commit's tree.
      load: (root) => {
        const o = runOptions(flags, root);
        if (flags.tls) (o.ruleOptions ??= {})['compose/reverse-proxy'] = { ...(o.ruleOptions?.['compose/reverse-proxy'] ?? {}), tls: true };
        const { ws } = open(root, o);
        return { ws, o };
      },
      onProgress: progress.on,
      // The branches are built from a copy of the base tree: paths the reports give under the
      // working tree are relative to `path`.
      select: from && intake ? (ws, findings, rules) => intake.intake(ws, findings, rules, from, [nodePath.resolve(path)]).selected : undefined,
    };
    let result: BulkResult;
    try {
      result = await bulk(path, opts);
    } catch (e) {
      if (e instanceof BulkUsageError) throw new UsageError(e.message);
      throw e;
    } finally {
      progress.end();
    }
    for (const e of result.errors) err(`shipshape: ${formatError(e)}`);
    for (const f of result.failures) err(`shipshape: rule ${f.rule} failed: ${f.message.split('\n')[0]}`);
    for (const n of notes(result)) err(`shipshape: ${n}`);
    process.stdout.write(flags.json ? JSON.stringify({ version: 1, ...result }, null, 2) + '\n' : renderResult(result));
    const failed = result.branches.some((b) => b.status === 'failed' || b.pr?.status === 'failed');
    return failed || result.failures.length ? 1 : 0;
  });
}

function notes(r: BulkResult): string[] {
  const out: string[] = [];
  if (r.uncommitted) {
    out.push(
      `the working tree has ${r.uncommitted === 1 ? 'an uncommitted change; it is' : `${r.uncommitted} uncommitted changes; they are`} ` +
        `not part of any branch (branches are built from ${r.base.ref} ${r.base.commit.slice(0, 7)})`,
    );
  }
  if (r.findings.reviewNotIncluded) {
    const n = r.findings.reviewNotIncluded;
    out.push(`${n} fix${n === 1 ? '' : 'es'} marked review not included (add --all)`);
  }
  if (r.findings.unfixable) {
    const n = r.findings.unfixable;
    out.push(`${n} finding${n === 1 ? ' has' : 's have'} no automatic fix (see \`shipshape scan\`)`);
  }
  return out;
}

const STATUS_TEXT: Record<BranchResult['status'], string> = {
  created: 'created',
  updated: 'updated',
  unchanged: 'unchanged',
  skipped: 'skipped',
  failed: 'failed',
  'would-create': 'would create',
  'would-update': 'would update',
};

function colorStatus(s: BranchResult['status'], text: string): string {
  if (s === 'created' || s === 'updated' || s === 'would-create' || s === 'would-update') return c.green(text);
  if (s === 'failed') return c.red(text);
  if (s === 'skipped') return c.yellow(text);
  return c.dim(text);
}

function prText(b: BranchResult): string {
  if (!b.pr) return '';
  if (b.pr.status === 'failed') return `pull request failed: ${b.pr.reason ?? ''}`;
  const id = b.pr.number !== undefined ? `#${b.pr.number}` : (b.pr.url ?? '');
  return b.pr.status === 'exists' ? `pull request ${id} already open` : `pull request ${b.pr.url ?? id} opened`;
}

export function renderResult(r: BulkResult): string {
  const lines: string[] = [];
  if (r.branches.length === 0) {
    return `Nothing to fix: no branch to ${r.dryRun ? 'create' : 'create or update'} from ${r.base.ref} (${r.base.commit.slice(0, 7)}).\n`;
  }
  if (r.dryRun) {
    for (const b of r.branches) {
      lines.push(`${c.bold(b.branch)}  ${colorStatus(b.status, STATUS_TEXT[b.status])}`);
      if (b.title) lines.push(`  ${b.title}`);
      if (b.stats.length) lines.push(renderDiffstat(b.stats, '   '));
      if (b.reason) lines.push(`  ${b.reason}`);
      lines.push('');
    }
  }
  const w = Math.max('BRANCH'.length, ...r.branches.map((b) => b.branch.length));
  const sw = Math.max('STATUS'.length, ...r.branches.map((b) => STATUS_TEXT[b.status].length));
  lines.push(`${c.bold('BRANCH'.padEnd(w))}  ${c.bold('STATUS'.padEnd(sw))}  ${c.bold('FILES')}`);
  for (const b of r.branches) {
    lines.push(`${b.branch.padEnd(w)}  ${colorStatus(b.status, STATUS_TEXT[b.status].padEnd(sw))}  ${b.files.join(', ')}`.trimEnd());
    if (b.reason && !r.dryRun) lines.push(`${' '.repeat(w + 2)}${c.dim(b.reason)}`);
    const pr = prText(b);
    if (pr) lines.push(`${' '.repeat(w + 2)}${b.pr?.status === 'failed' ? c.red(pr) : pr}`);
  }
  const counts = new Map<string, number>();
  for (const b of r.branches) counts.set(STATUS_TEXT[b.status], (counts.get(STATUS_TEXT[b.status]) ?? 0) + 1);
  const n = r.branches.length;
  const where = r.remote && !r.dryRun ? `, pushed to ${r.remote}` : '';
  lines.push(
    '',
    `${n} branch${n === 1 ? '' : 'es'} from ${r.base.ref} (${r.base.commit.slice(0, 7)}): ${[...counts].map(([k, v]) => `${v} ${k}`).join(', ')}${where}${r.dryRun ? '; nothing was created (dry run)' : ''}.`,
  );
  return lines.join('\n') + '\n';
}

/** Plain lines when stderr is not a terminal; one line rewritten in place when it is. */
function progressPrinter(stream: NodeJS.WriteStream): { on: (p: BulkProgress) => void; end: () => void } {
  const tty = Boolean(stream.isTTY);
  let shown = false;
  const on = (p: BulkProgress) => {
    if (p.type === 'plan') {
      if (!tty && p.total > 0) stream.write(`shipshape: ${p.total} branch${p.total === 1 ? '' : 'es'} to build\n`);
      return;
    }
    const pos = `[${p.index + 1}/${p.total}]`;
    if (tty) {
      const text = p.type === 'start' ? `${pos} ${p.branch}: ${p.step}…` : `${pos} ${p.result.branch}: ${STATUS_TEXT[p.result.status]}`;
      const width = (stream.columns || 80) - 1;
      stream.write(`\r\x1b[K${text.length > width ? text.slice(0, width - 1) + '…' : text}`);
      shown = true;
    } else if (p.type === 'done') {
      const b = p.result;
      stream.write(`shipshape: ${pos} ${b.branch}: ${STATUS_TEXT[b.status]}${b.reason ? ` (${b.reason})` : ''}\n`);
    }
  };
  const end = () => {
    if (tty && shown) stream.write('\r\x1b[K');
    shown = false;
  };
  return { on, end };
}
