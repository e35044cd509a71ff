// `shipshape bulk`: one branch (and optionally one pull request) per group of fixes, built from a
// base commit with git plumbing. The user's working tree, index, HEAD, current branch and stash
// are never touched: the base commit's tree is written into a temporary directory and scanned
// there, each group is planned on a fresh workspace of that tree, its changed files become blobs,
// a temporary index (GIT_INDEX_FILE) gives the tree, commit-tree the commit, and update-ref moves
// the branch only from the value it was seen at. The branches themselves are the state:
//  - a branch whose commit already holds exactly this fix is left as it is (no new commit);
//  - a branch whose fix changed gets a new commit on the base;
//  - a branch whose tip shipshape did not make (no trailers, or its content edited since) is
//    left alone and reported, as Renovate does.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { newSession, openWorkspace, selectForFix, type RunOptions } from '../api.js';
import type { RuleFailure } from '../engine/scan.js';
import { fileChanges } from '../io/write.js';
import { diffStat } from '../render/diff.js';
import type { Finding, ParseError, Rule } from '../types.js';
import type { Workspace } from '../workspace.js';
import { DEFAULT_MAX_FILE_BYTES, toBytes } from '../workspace.js';
import { Git, parseIdent, type CommitInfo, type IndexEntry } from '../git/git.js';
import { materialiseTree, type MaterialisedTree } from '../git/materialise.js';
import { GitHubCli } from './github.js';
import { groupFindings, slug, type Group, type GroupBy } from './group.js';
import { commitMessage, commitTitle, parseTrailers, prBody, TRAILER_BRANCH, TRAILER_TREE, type FileStat } from './message.js';

/** A problem with how bulk was asked to run (exit 2): bad flags, no repository, gh missing. */
export class BulkUsageError extends Error {}

export type BranchStatus = 'created' | 'updated' | 'unchanged' | 'skipped' | 'failed' | 'would-create' | 'would-update';

export interface PrResult {
  status: 'created' | 'exists' | 'failed';
  number?: number;
  url?: string;
  reason?: string;
}

export interface BranchResult {
  branch: string;
  rule: string;
  title: string;
  status: BranchStatus;
  /** Why a branch was skipped or failed. */
  reason?: string;
  /** The branch's commit after the run (null when there is none). */
  commit: string | null;
  /** The branch's commit before the run (the remote's when pushing). */
  previous: string | null;
  /** Repository paths the group's fix touches. */
  files: string[];
  stats: FileStat[];
  findings: string[];
  pushed?: boolean;
  pr?: PrResult;
}

export interface BulkResult {
  /** The repository's top level. */
  repository: string;
  /** The scanned directory relative to the top level ('' for the whole repository). */
  path: string;
  base: { ref: string; commit: string };
  groupBy: GroupBy;
  branchPrefix: string;
  dryRun: boolean;
  remote?: string;
  /** `git status --porcelain` entries of the working tree: not part of any branch. */
  uncommitted: number;
  branches: BranchResult[];
  /** Findings found, and those left out (review fixes without --all, no automatic fix). */
  findings: { total: number; selected: number; reviewNotIncluded: number; unfixable: number };
  errors: ParseError[];
  failures: RuleFailure[];
}

export type BulkProgress =
  | { type: 'plan'; total: number }
  | { type: 'start'; index: number; total: number; branch: string; step: string }
  | { type: 'done'; index: number; total: number; result: BranchResult };

export interface BulkOptions {
  /** Rule selection and options (--only, --skip, --all; `rules` in tests). */
  run?: RunOptions;
  /**
   * Open the scan workspace on the base tree's directory, with options read there (the CLI reads
   * .shipshape.yml from the base commit and installs suppressions). Default: openWorkspace(root, run).
   */
  load?: (root: string) => { ws: Workspace; o: RunOptions };
  groupBy?: GroupBy;
  /** The commit branches start from (default HEAD). */
  base?: string;
  /** Default `shipshape/`; `shipshape/<dir>/` when a subdirectory of the repository is scanned. */
  branchPrefix?: string;
  /** Remote to push created/updated branches to, with lease. */
  push?: string;
  /** Open a pull request per branch through `gh` (needs push). */
  pr?: boolean;
  dryRun?: boolean;
  /** Also rebuild branches whose fix is unchanged but which are not based on the base commit. */
  rebase?: boolean;
  /** Environment for git and gh (PATH, identities); default process.env. */
  env?: NodeJS.ProcessEnv;
  onProgress?: (p: BulkProgress) => void;
  /** Narrow the scan's findings before selection (`--from`: those another report's items match). */
  select?: (ws: Workspace, findings: Finding[], rules: Rule[]) => Finding[];
}

const FALLBACK_IDENT = { name: 'shipshape', email: 'shipshape@localhost' };

export async function bulk(dir: string, opts: BulkOptions = {}): Promise<BulkResult> {
  const env = opts.env ?? process.env;
  const groupBy = opts.groupBy ?? 'rule';
  const dryRun = Boolean(opts.dryRun);
  let git: Git;
  try {
    git = await Git.open(dir, env);
  } catch (e) {
    throw new BulkUsageError((e as Error).message);
  }
  const branchPrefix = opts.branchPrefix ?? (git.prefix ? `shipshape/${slug(git.prefix)}/` : 'shipshape/');
  if (branchPrefix.startsWith('-') || !(await git.validRef(`refs/heads/${branchPrefix}x`))) {
    throw new BulkUsageError(`--branch-prefix "${branchPrefix}" does not make valid branch names`);
  }
  const baseRef = opts.base ?? 'HEAD';
  const baseCommit = baseRef.startsWith('-') ? null : await git.resolveCommit(baseRef);
  if (!baseCommit) {
    throw new BulkUsageError(
      opts.base === undefined ? 'the repository has no commits yet: bulk builds branches from a commit' : `--base ${baseRef}: no such commit`,
    );
  }
  if (opts.pr && !opts.push) throw new BulkUsageError('--pr needs --push <remote>: a pull request needs the branch on the remote');
  if (opts.push && !(await git.remotes()).includes(opts.push)) {
    throw new BulkUsageError(`--push ${opts.push}: no such remote (see \`git remote -v\`)`);
  }
  let prBase: string | undefined;
  let gh: GitHubCli | undefined;
  if (opts.pr && !dryRun) {
    prBase = await baseBranchName(git, baseRef, opts.push!);
    gh = new GitHubCli(git.top, env);
    try {
      await gh.check();
    } catch (e) {
      throw new BulkUsageError((e as Error).message);
    }
  }

  const uncommitted = (await git.status()).length;
  const checkedOut = await git.checkedOutBranches();
  const identity = dryRun ? FALLBACK_IDENT : await commitIdentity(git);
  const identEnv = {
    GIT_AUTHOR_NAME: identity.name,
    GIT_AUTHOR_EMAIL: identity.email,
    GIT_COMMITTER_NAME: identity.name,
    GIT_COMMITTER_EMAIL: identity.email,
  };
  if (opts.push) await git.fetchBranches(opts.push, branchPrefix);

  // Everything temporary lives in one directory, removed at the end, on error and on Ctrl-C: the
  // base tree (work/tree), temporary index files and pull-request bodies.
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-bulk-'));
  const removeWork = () => fs.rmSync(work, { recursive: true, force: true });
  const onSignal = (sig: NodeJS.Signals) => {
    removeWork();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.kill(process.pid, sig); // then die of it as we would have
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    // Files over the size limit are written as sparse placeholders; the limit may be raised by
    // the base commit's configuration, which is only read once the tree is out, hence the margin.
    const sparseOver = Math.max(opts.run?.maxFileBytes ?? 0, DEFAULT_MAX_FILE_BYTES, 64 * 1024 * 1024);
    const tree = await materialiseTree(git, baseCommit, git.prefix, sparseOver, path.join(work, 'tree'));
    const { ws, o } = opts.load ? opts.load(tree.root) : { ws: openWorkspace(tree.root, opts.run ?? {}), o: opts.run ?? {} };
    const session = newSession(ws, o);
    const scanned = await session.scan();
    const findings = opts.select ? opts.select(ws, scanned, session.rules) : scanned;
    const selected = selectForFix(findings, Boolean(o.all));
    const groups = groupFindings(selected, session.rules, groupBy, branchPrefix);
    const ctx: GroupContext = {
      git, tree, work, o, base: ws, baseCommit, dryRun, identEnv, checkedOut,
      remote: opts.push, rebase: Boolean(opts.rebase), failures: [...session.failures],
    };
    opts.onProgress?.({ type: 'plan', total: groups.length });
    const branches: BranchResult[] = [];
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      const step = (s: string) => opts.onProgress?.({ type: 'start', index: i, total: groups.length, branch: g.branch, step: s });
      let r: BranchResult;
      try {
        r = await processGroup(g, ctx, step);
      } catch (e) {
        r = { ...emptyResult(g), status: 'failed', reason: (e as Error).message };
      }
      if (gh && prBase && (r.status === 'created' || r.status === 'updated' || r.status === 'unchanged')) {
        step('pull request');
        r.pr = await pullRequest(gh, r, g, prBase, work);
      }
      branches.push(r);
      opts.onProgress?.({ type: 'done', index: i, total: groups.length, result: r });
    }
    return {
      repository: git.top,
      path: git.prefix.replace(/\/$/, ''),
      base: { ref: baseRef, commit: baseCommit },
      groupBy,
      branchPrefix,
      dryRun,
      remote: opts.push,
      uncommitted,
      branches,
      findings: {
        total: findings.length,
        selected: selected.length,
        reviewNotIncluded: o.all ? 0 : findings.filter((f) => f.fixable && f.safety === 'review').length,
        unfixable: findings.filter((f) => !f.fixable).length,
      },
      errors: ws.errors,
      failures: dedupeFailures(ctx.failures),
    };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    removeWork();
  }
}

interface GroupContext {
  git: Git;
  tree: MaterialisedTree;
  work: string;
  o: RunOptions;
  /** The workspace the findings were scanned on; each group plans on a fork of it. */
  base: Workspace;
  baseCommit: string;
  dryRun: boolean;
  identEnv: NodeJS.ProcessEnv;
  checkedOut: Set<string>;
  remote?: string;
  rebase: boolean;
  failures: RuleFailure[];
}

function emptyResult(g: Group): BranchResult {
  return {
    branch: g.branch,
    rule: g.rule.id,
    title: '',
    status: 'skipped',
    commit: null,
    previous: null,
    files: [],
    stats: [],
    findings: g.findings.map((f) => f.id),
  };
}

/** Plan the group's fixes on a fresh workspace of the base tree, then create/update/leave its branch. */
async function processGroup(g: Group, ctx: GroupContext, step: (s: string) => void): Promise<BranchResult> {
  const { git, tree } = ctx;
  const result = emptyResult(g);
  step('planning');
  // A fresh workspace per group, so a branch holds its group's fixes and nothing else. Findings
  // are taken by id: suppressions were applied by the scan that chose them.
  const o: RunOptions = { ...ctx.o, only: [g.rule.id], skip: undefined, filter: undefined };
  const ws = ctx.base.fork(); // the scan's workspace, as read from the base tree (it is never edited)
  const session = newSession(ws, o);
  const outcomes = await session.applyMany(g.findings);
  ctx.failures.push(...session.failures);
  const changes = fileChanges(ws);
  if (changes.length === 0) {
    const broken = outcomes.filter((x) => x.status === 'conflict' || x.status === 'invalid');
    const why = outcomes.map((x) => `${x.status}${x.reason ? `: ${x.reason}` : ''}`);
    result.status = broken.length ? 'failed' : 'skipped';
    result.reason = `no change to commit (${[...new Set(why)].join('; ')})`;
    return result;
  }
  const entries: IndexEntry[] = [];
  const realDir = fs.realpathSync(tree.dir);
  for (const ch of changes) {
    const rec = ws.record(ch.file)!;
    let repoPath = git.prefix + ch.file;
    if (rec.symlink) {
      if (!o.followSymlinks) throw new Error(`the fix edits ${repoPath}, a symbolic link (use --follow-symlinks to edit its target)`);
      const rel = path.relative(realDir, fs.realpathSync(rec.abs!));
      if (rel.startsWith('..') || path.isAbsolute(rel)) throw new Error(`the fix edits ${repoPath}, a link to a file outside the repository`);
      repoPath = rel.split(path.sep).join('/');
    }
    const mode = rec.created ? (((ch.mode ?? 0o644) & 0o111) !== 0 ? '100755' : '100644') : (tree.entries.get(repoPath)?.mode ?? '100644');
    const oid = await git.hashObject(toBytes(ch.after), !ctx.dryRun);
    entries.push({ mode, oid, path: repoPath });
  }
  entries.sort((a, b) => (a.path < b.path ? -1 : 1));
  result.files = entries.map((e) => e.path);
  result.stats = diffStat(changes).map((s) => ({ ...s, file: git.prefix + s.file }));
  const applied = new Set(outcomes.filter((x) => x.status === 'applied' || x.status === 'resolved').map((x) => x.finding.id));
  const fixed: Finding[] = g.findings.filter((f) => applied.has(f.id));
  result.findings = fixed.map((f) => f.id);
  result.title = commitTitle(g.rule, result.files, g.file !== undefined ? git.prefix + g.file : undefined);

  step('comparing');
  const ref = `refs/heads/${g.branch}`;
  const local = await git.refOid(ref);
  const remoteRef = ctx.remote ? `refs/remotes/${ctx.remote}/${g.branch}` : undefined;
  const remote = remoteRef ? await git.refOid(remoteRef) : null;
  const current = ctx.remote ? remote : local;
  result.previous = current;
  result.commit = current;
  const infos = new Map<string, CommitInfo>();
  for (const oid of [local, remote]) {
    if (!oid || infos.has(oid)) continue;
    const info = await git.readCommit(oid);
    infos.set(oid, info);
    if (!isOurs(info, g.branch)) {
      result.status = 'skipped';
      result.reason = `edited by someone else (${oid === remote && oid !== local ? `${ctx.remote}/` : ''}${g.branch} is at ${oid.slice(0, 7)} by ${info.committer.name} <${info.committer.email}>)`;
      return result;
    }
  }
  if (current && (await holdsFix(git, infos.get(current)!, entries, ctx.baseCommit, ctx.rebase))) {
    result.status = 'unchanged';
    return result;
  }
  if (ctx.checkedOut.has(ref)) {
    result.status = 'skipped';
    result.reason = `${g.branch} is checked out in a worktree; bulk never moves a checked-out branch`;
    return result;
  }
  if (ctx.dryRun) {
    result.status = current ? 'would-update' : 'would-create';
    return result;
  }

  step('committing');
  let commit: string;
  if (ctx.remote && local && local !== current && (await holdsFix(git, infos.get(local)!, entries, ctx.baseCommit, ctx.rebase))) {
    commit = local; // made by an earlier run without --push: push that commit rather than a new one
  } else {
    const treeOid = await git.writeTree(ctx.baseCommit, entries, ctx.work);
    const message = commitMessage({ title: result.title, rule: g.rule, branch: g.branch, tree: treeOid, files: result.files, findings: fixed });
    commit = await git.commitTree(treeOid, [ctx.baseCommit], message, ctx.identEnv);
  }
  if (commit !== local && !(await git.updateRef(ref, commit, local, `shipshape bulk: ${result.title}`))) {
    result.status = 'failed';
    result.reason = `${g.branch} moved while bulk was running; run again`;
    return result;
  }
  result.commit = commit;
  result.status = current ? 'updated' : 'created';
  if (ctx.remote) {
    step('pushing');
    const res = await git.push(ctx.remote, commit, ref, current);
    if (res.code !== 0) {
      result.status = 'failed';
      result.reason = `push to ${ctx.remote} rejected: ${res.stderr.trim().split('\n').slice(-2).join(' ')}`;
      result.pushed = false;
      return result;
    }
    result.pushed = true;
  }
  return result;
}

/**
 * Whether a commit was made by shipshape for this branch and not edited since: its trailers name
 * the branch and its own tree, it has one parent, and its author is its committer (an amend or
 * rebase by someone else changes the committer; an amend by the same person changes the tree).
 */
export function isOurs(info: CommitInfo, branch: string): boolean {
  const t = parseTrailers(info.message);
  return (
    t.get(TRAILER_BRANCH) === branch &&
    t.get(TRAILER_TREE) === info.tree &&
    info.parents.length === 1 &&
    info.author.name === info.committer.name &&
    info.author.email === info.committer.email
  );
}

/**
 * Whether a branch commit already holds exactly this fix: its change (against its parent) is the
 * fix's, on the same file contents as the base has, and its parent is in the base's history — so
 * merging it gives the same result as a new commit would. With rebase, it must also sit on the base
 * commit's content (its tree is base + fix).
 */
async function holdsFix(git: Git, info: CommitInfo, entries: IndexEntry[], base: string, rebase: boolean): Promise<boolean> {
  const parent = info.parents[0];
  if (!parent || info.parents.length !== 1) return false;
  const from = rebase ? base : parent;
  const diff = await git.diffTree(from, info.tree);
  if (diff.length !== entries.length) return false;
  const want = new Map(entries.map((e) => [e.path, e]));
  for (const d of diff) {
    const w = want.get(d.path);
    if (!w || d.status === 'D' || d.newOid !== w.oid || d.newMode !== w.mode) return false;
  }
  if (rebase || parent === base) return true;
  if ((await git.tryRun(['merge-base', '--is-ancestor', parent, base])).code !== 0) return false;
  return (await git.diffTree(parent, base, [...want.keys()])).length === 0;
}

/** Who commits: git's committer identity (author made the same), or shipshape when git has none. */
async function commitIdentity(git: Git): Promise<{ name: string; email: string }> {
  const res = await git.tryRun(['var', 'GIT_COMMITTER_IDENT']);
  if (res.code !== 0) return FALLBACK_IDENT;
  const id = parseIdent(res.stdout.toString('utf8').trim());
  return id.email ? id : FALLBACK_IDENT;
}

/** The branch name pull requests target: the base's branch (refs/heads/x or <remote>/x). */
async function baseBranchName(git: Git, baseRef: string, remote: string): Promise<string> {
  const full = await git.fullRefName(baseRef);
  if (full?.startsWith('refs/heads/')) return full.slice('refs/heads/'.length);
  const remotePrefix = `refs/remotes/${remote}/`;
  if (full?.startsWith(remotePrefix)) return full.slice(remotePrefix.length);
  throw new BulkUsageError(
    `--pr needs a base branch for the pull requests, and ${baseRef === 'HEAD' ? 'HEAD is detached' : `--base ${baseRef} is not a branch`}; pass --base <branch>`,
  );
}

async function pullRequest(gh: GitHubCli, r: BranchResult, g: Group, base: string, work: string): Promise<PrResult> {
  try {
    const open = await gh.openPr(r.branch);
    if (open !== null) return { status: 'exists', number: open };
    const bodyFile = path.join(work, `pr-body-${slug(r.branch)}.md`);
    const findings = g.findings.filter((f) => r.findings.includes(f.id));
    fs.writeFileSync(bodyFile, prBody({ rule: g.rule, branch: r.branch, findings, stats: r.stats }));
    const url = await gh.createPr(r.branch, base, r.title, bodyFile);
    const m = /\/pull\/(\d+)/.exec(url);
    return { status: 'created', url, number: m ? Number(m[1]) : undefined };
  } catch (e) {
    return { status: 'failed', reason: (e as Error).message };
  }
}

function dedupeFailures(list: RuleFailure[]): RuleFailure[] {
  const seen = new Set<string>();
  return list.filter((f) => {
    const k = `${f.rule}\0${f.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

