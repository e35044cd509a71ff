// `shipshape bulk` against real git: a temporary repository with a local bare repository as its
// remote. Two small rules defined here (a Dockerfile one and a compose one, so each group's fix is
// known exactly) drive the API; the CLI is run from dist/ for flags, exit codes and output, with
// whatever rules the registry has, compared against fixes computed independently with planFixes.
// The GitHub CLI is not reachable here: `--pr` is tested up to the exact `gh` invocation through a
// fake `gh` on PATH that records its arguments.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openWorkspace, planFixes } from '../src/api.js';
import { bulk, BulkUsageError, type BulkOptions, type BulkResult } from '../src/bulk/run.js';
import { branchName, groupFindings, slug } from '../src/bulk/group.js';
import { commitScope, commitTitle, parseTrailers, renderDiffstat } from '../src/bulk/message.js';
import { diffStat } from '../src/render/diff.js';
import { rules as registryRules } from '../src/registry.js';
import { defineRule } from '../src/rule.js';
import type { Finding, Rule } from '../src/types.js';
import YAML from 'yaml';
import { CLI, copyTree, FIXTURES, REPO, tmpDir, writeTree } from './helpers/tree.js';
import { open, runOptions } from '../src/cli/common.js';

// ---------------------------------------------------------------------------------------------
// Two rules with fixes that are easy to predict.

/** Dockerfiles without PYTHONUNBUFFERED: insert `ENV PYTHONUNBUFFERED=1` after the first FROM. */
const envRule = defineRule({
  id: 'dockerfile/bulk-test-env',
  title: 'Python output is buffered',
  fixTitle: 'Set PYTHONUNBUFFERED so logs appear at once',
  severity: 'low',
  safety: 'safe',
  docs: { why: 'Buffered output reaches the logs late or never when the container is killed.', fix: 'Adds ENV PYTHONUNBUFFERED=1 after FROM.' },
  kinds: ['dockerfile'],
  detect({ ws }) {
    return ws.files('dockerfile').flatMap((file) => {
      const text = ws.text(file) ?? '';
      const from = /^FROM .*\n/m.exec(text);
      if (!from || text.includes('PYTHONUNBUFFERED')) return [];
      return [{ file, start: from.index, end: from.index + from[0].length - 1, message: 'PYTHONUNBUFFERED is not set', anchor: 'unbuffered' }];
    });
  },
  fix(finding, { ws }) {
    const text = ws.text(finding.file)!;
    const from = /^FROM .*\n/m.exec(text)!;
    const at = from.index + from[0].length;
    return [{ file: finding.file, start: at, end: at, text: 'ENV PYTHONUNBUFFERED=1\n' }];
  },
});

/** Compose services (two-space indented) without `restart:`: insert `restart: unless-stopped`. */
const restartRule = defineRule({
  id: 'compose/bulk-test-restart',
  title: 'Service has no restart policy',
  fixTitle: 'Add a restart policy',
  severity: 'medium',
  safety: 'review',
  docs: { why: 'A crashed service stays down until someone restarts it by hand.', fix: 'Adds restart: unless-stopped to the service.', safetyNote: 'A crash loop now restarts.' },
  kinds: ['compose'],
  detect({ ws }) {
    return ws.files('compose').flatMap((file) => services(ws.text(file) ?? '').filter((s) => !s.hasRestart).map((s) => ({
      file, start: s.start, end: s.end, message: `service ${s.name} has no restart policy`, anchor: s.name, data: s.name,
    })));
  },
  fix(finding, { ws }) {
    const s = services(ws.text(finding.file)!).find((x) => x.name === finding.data);
    if (!s) return null;
    return [{ file: finding.file, start: s.end + 1, end: s.end + 1, text: '    restart: unless-stopped\n' }];
  },
});

function services(text: string): { name: string; start: number; end: number; hasRestart: boolean }[] {
  const out: { name: string; start: number; end: number; hasRestart: boolean }[] = [];
  const re = /^ {2}([a-z][a-z0-9_-]*):[ \t]*\n((?: {4}.*\n|[ \t]*\n)*)/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const start = m.index;
    out.push({ name: m[1]!, start: start + 2, end: start + m[0].indexOf('\n'), hasRestart: /^ {4}restart:/m.test(m[2]!) });
  }
  return out;
}

const TEST_RULES: Rule[] = [envRule, restartRule];
const ENV_BRANCH = 'shipshape/dockerfile-bulk-test-env';
const RESTART_BRANCH = 'shipshape/compose-bulk-test-restart';

const PROJECT = {
  'Dockerfile': 'FROM python:3.12-slim\nWORKDIR /app\n# the app and its requirements\nCOPY . .\nCMD ["python", "app.py"]\n',
  'docker-compose.yml': '# local stack\nservices:\n  api:\n    build: .\n    ports:\n      - "8000:8000"\n  db:\n    image: postgres:16 # pinned\n',
  'app.py': 'print("hello")\n',
  'README.md': '# demo\n',
  'scripts/run.sh': '#!/bin/sh\nexec python app.py\n',
};

// ---------------------------------------------------------------------------------------------
// A hermetic git: no system or global config, a fixed identity in each repository.

let home: string;
let ENV: NodeJS.ProcessEnv;
/** Temporary repositories made by the current test, removed after it. */
const made: string[] = [];

function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GIT_')) env[k] = v;
  return { ...env, HOME: home, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: path.join(home, 'gitconfig'), ...extra };
}

function git(cwd: string, args: string[], env: NodeJS.ProcessEnv = ENV): string {
  return execFileSync('git', args, { cwd, env, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] }).replace(/\n$/, '');
}

/** A repository with the project committed on main, and a bare repository as origin. */
function makeRepo(files: Record<string, string> = PROJECT): { repo: string; remote: string } {
  const dir = tmpDir('shipshape-bulk-test-');
  made.push(dir);
  const repo = path.join(dir, 'repo');
  const remote = path.join(dir, 'remote.git');
  fs.mkdirSync(repo);
  git(dir, ['init', '--quiet', '--bare', '-b', 'main', remote]);
  git(repo, ['init', '--quiet', '-b', 'main']);
  git(repo, ['config', 'user.name', 'Bulk Tester']);
  git(repo, ['config', 'user.email', 'tester@example.com']);
  writeTree(repo, files);
  if (files['scripts/run.sh']) fs.chmodSync(path.join(repo, 'scripts/run.sh'), 0o755);
  git(repo, ['add', '-A']);
  git(repo, ['commit', '--quiet', '--allow-empty', '-m', 'initial']);
  git(repo, ['remote', 'add', 'origin', remote]);
  git(repo, ['push', '--quiet', 'origin', 'main']);
  return { repo, remote };
}

function commitFile(repo: string, file: string, content: string, message = `change ${file}`): string {
  writeTree(repo, { [file]: content });
  git(repo, ['add', file]);
  git(repo, ['commit', '--quiet', '-m', message]);
  return git(repo, ['rev-parse', 'HEAD']);
}

function run(repo: string, o: Partial<BulkOptions> = {}): Promise<BulkResult> {
  return bulk(repo, { run: { rules: TEST_RULES, all: true }, env: ENV, ...o });
}

const ref = (repo: string, r: string) => spawnSync('git', ['rev-parse', '--verify', '--quiet', r], { cwd: repo, env: ENV, encoding: 'utf8' }).stdout.trim() || null;

/** What the branch should hold: the base commit's files with this rule's fixes, computed on their own. */
async function expectedChanges(repo: string, base: string, rule: Rule, filter?: (f: Finding) => boolean) {
  const dir = tmpDir('shipshape-bulk-expect-');
  try {
    execFileSync('sh', ['-c', `git archive ${base} | tar -x -C "${dir}"`], { cwd: repo, env: ENV });
    const o = { rules: [rule], all: true, filter: filter ? (f: Finding) => filter(f) : undefined };
    const plan = await planFixes(openWorkspace(dir, o), o);
    return new Map(plan.changes.map((c) => [c.file, c.after]));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Assert: the branch is one commit on parent whose tree is parent's tree plus exactly `changes`. */
function expectBranchHolds(repo: string, branch: string, parent: string, changes: Map<string, string>): void {
  const tip = git(repo, ['rev-parse', `refs/heads/${branch}`]);
  expect(git(repo, ['rev-list', '--parents', '-n', '1', tip]).split(' ').slice(1)).toEqual([parent]);
  const changed = git(repo, ['diff-tree', '-r', '--no-renames', '--name-status', parent, tip]).split('\n').filter(Boolean);
  expect(changed).toEqual([...changes.keys()].sort().map((f) => `M\t${f}`));
  for (const [file, after] of changes) expect(git(repo, ['cat-file', 'blob', `${tip}:${file}`]) + '\n').toBe(after);
}

/** Everything of the user's that bulk must not touch. */
function snapshot(repo: string) {
  const mtimes: Record<string, number> = {};
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(repo, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (r === '.git') continue;
      mtimes[r] = fs.lstatSync(path.join(repo, r)).mtimeMs;
      if (e.isDirectory()) walk(r);
    }
  };
  walk('');
  return {
    status: git(repo, ['status', '--porcelain']),
    head: git(repo, ['rev-parse', 'HEAD']),
    headFile: fs.readFileSync(path.join(repo, '.git', 'HEAD'), 'utf8'),
    index: fs.readFileSync(path.join(repo, '.git', 'index')).toString('base64'),
    stash: git(repo, ['stash', 'list']),
    mtimes,
    contents: Object.fromEntries(Object.keys(mtimes).filter((f) => fs.statSync(path.join(repo, f)).isFile()).map((f) => [f, fs.readFileSync(path.join(repo, f), 'utf8')])),
  };
}

beforeEach(() => {
  home = tmpDir('shipshape-bulk-home-');
  fs.writeFileSync(path.join(home, 'gitconfig'), '');
  ENV = cleanEnv();
});
afterEach(() => {
  fs.rmSync(home, { recursive: true, force: true });
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------

describe('bulk: naming, grouping and messages', () => {
  const f = (rule: string, file: string, id: string): Finding => ({
    id, rule, severity: 'low', message: 'm', file, line: 1, endLine: 1, fixable: true, safety: 'safe',
  });

  it('names branches <prefix><rule-id-with-dashes>[-<scope>] and groups by rule, file or finding', () => {
    expect(branchName('shipshape/', 'dockerfile/non-root-user')).toBe('shipshape/dockerfile-non-root-user');
    expect(branchName('bots/ss-', 'compose/healthcheck', 'docker-compose-yml')).toBe('bots/ss-compose-healthcheck-docker-compose-yml');
    expect(slug('apps/backend-rag/Dockerfile')).toBe('apps-backend-rag-dockerfile');
    const findings = [f(envRule.id, 'a/Dockerfile', '1111111111111111'), f(envRule.id, 'b/Dockerfile', '2222222222222222'), f(restartRule.id, 'compose.yml', '3333333333333333')];
    expect(groupFindings(findings, TEST_RULES, 'rule', 'shipshape/').map((g) => [g.branch, g.findings.length])).toEqual([
      ['shipshape/compose-bulk-test-restart', 1],
      ['shipshape/dockerfile-bulk-test-env', 2],
    ]);
    expect(groupFindings(findings, TEST_RULES, 'file', 'shipshape/').map((g) => g.branch)).toEqual([
      'shipshape/compose-bulk-test-restart-compose-yml',
      'shipshape/dockerfile-bulk-test-env-a-dockerfile',
      'shipshape/dockerfile-bulk-test-env-b-dockerfile',
    ]);
    expect(groupFindings(findings, TEST_RULES, 'finding', 'shipshape/').map((g) => g.branch)).toEqual([
      'shipshape/compose-bulk-test-restart-compose-yml-33333333',
      'shipshape/dockerfile-bulk-test-env-a-dockerfile-11111111',
      'shipshape/dockerfile-bulk-test-env-b-dockerfile-22222222',
    ]);
    // Paths that slug alike get distinct, stable names.
    const clash = groupFindings([f(envRule.id, 'a/b/Dockerfile', '1'), f(envRule.id, 'a-b/Dockerfile', '2')], TEST_RULES, 'file', 'p/');
    expect(new Set(clash.map((g) => g.branch)).size).toBe(2);
    expect(clash.every((g) => /^p\/dockerfile-bulk-test-env-a-b-dockerfile-[0-9a-f]{6}$/.test(g.branch))).toBe(true);
  });

  it('renders Conventional Commit titles with a scope from the rule area', () => {
    expect(commitScope('dockerfile/non-root-user', ['Dockerfile'])).toBe('docker');
    expect(commitScope('compose/healthcheck', ['docker-compose.yml'])).toBe('compose');
    expect(commitScope('nginx/gzip', ['nginx.conf'])).toBe('nginx');
    expect(commitScope('repo/dockerignore', ['.dockerignore'])).toBe('repo');
    expect(commitScope('python/pin-deps', ['requirements.txt', 'backend/pyproject.toml'])).toBe('deps');
    expect(commitScope('python/settings', ['app/config.py', 'requirements.txt'])).toBe('config');
    expect(commitScope('node/env-validation', ['src/env.ts'])).toBe('config');
    expect(commitTitle(envRule, ['Dockerfile'])).toBe('fix(docker): set PYTHONUNBUFFERED so logs appear at once in Dockerfile');
    expect(commitTitle(envRule, ['a/Dockerfile', 'b/Dockerfile'])).toBe('fix(docker): set PYTHONUNBUFFERED so logs appear at once');
    expect(commitTitle({ ...envRule, fixTitle: 'CORS: allow only the configured origins.' }, [])).toBe('fix(docker): CORS: allow only the configured origins');
    expect(parseTrailers('t\n\nbody\n\nShipshape-Branch: x/y\nShipshape-Tree: abc\n')).toEqual(new Map([['Shipshape-Branch', 'x/y'], ['Shipshape-Tree', 'abc']]));
    expect(renderDiffstat([{ file: 'Dockerfile', added: 1, removed: 0 }, { file: 'docker-compose.yml', added: 2, removed: 1 }])).toBe(
      [' Dockerfile         | 1 +', ' docker-compose.yml | 3 ++-', ' 2 files changed, 3 insertions(+), 1 deletion(-)'].join('\n'),
    );
  });
});

describe('bulk against real git', () => {
  it('creates one branch per rule from HEAD, each holding exactly its group\'s fix, with the specified commit', async () => {
    const { repo } = makeRepo();
    const base = git(repo, ['rev-parse', 'HEAD']);
    const res = await run(repo);
    expect(res.base).toEqual({ ref: 'HEAD', commit: base });
    expect(res.uncommitted).toBe(0);
    expect(res.branches.map((b) => [b.branch, b.status, b.files])).toEqual([
      [RESTART_BRANCH, 'created', ['docker-compose.yml']],
      [ENV_BRANCH, 'created', ['Dockerfile']],
    ]);
    for (const rule of TEST_RULES) {
      const b = res.branches.find((x) => x.rule === rule.id)!;
      expect(b.commit).toBe(git(repo, ['rev-parse', `refs/heads/${b.branch}`]));
      expectBranchHolds(repo, b.branch, base, await expectedChanges(repo, base, rule));
    }
    // Exactly the fix: the compose branch adds one line per service and changes nothing else.
    expect(git(repo, ['show', `${RESTART_BRANCH}:docker-compose.yml`]) + '\n').toBe(
      '# local stack\nservices:\n  api:\n    restart: unless-stopped\n    build: .\n    ports:\n      - "8000:8000"\n  db:\n    restart: unless-stopped\n    image: postgres:16 # pinned\n',
    );
    // Modes are kept: the executable script is still executable on the branch.
    expect(git(repo, ['ls-tree', ENV_BRANCH, 'scripts/run.sh']).split(' ')[0]).toBe('100755');

    const tip = git(repo, ['rev-parse', RESTART_BRANCH]);
    const tree = git(repo, ['rev-parse', `${tip}^{tree}`]);
    const ids = res.branches.find((b) => b.branch === RESTART_BRANCH)!.findings;
    expect(ids).toHaveLength(2);
    const raw = git(repo, ['cat-file', 'commit', tip]) + '\n';
    expect(raw.slice(raw.indexOf('\n\n') + 2)).toBe(
      [
        'fix(compose): add a restart policy in docker-compose.yml',
        '',
        'Why it matters: A crashed service stays down until someone restarts it',
        'by hand.',
        '',
        'What the fix does: Adds restart: unless-stopped to the service.',
        '',
        'Files touched:',
        '- docker-compose.yml',
        '',
        'Findings fixed:',
        `- ${ids[0]} docker-compose.yml:3: service api has no restart policy`,
        `- ${ids[1]} docker-compose.yml:7: service db has no restart policy`,
        '',
        'Shipshape-Rule: compose/bulk-test-restart',
        `Shipshape-Branch: ${RESTART_BRANCH}`,
        `Shipshape-Tree: ${tree}`,
        '',
      ].join('\n'),
    );
    expect(git(repo, ['log', '-1', '--format=%an <%ae>|%cn <%ce>', tip])).toBe('Bulk Tester <tester@example.com>|Bulk Tester <tester@example.com>');
    expect(git(repo, ['log', '-1', '--format=%s', ENV_BRANCH])).toBe('fix(docker): set PYTHONUNBUFFERED so logs appear at once in Dockerfile');
  });

  it('never touches the working tree, index, HEAD, current branch, stash or file mtimes; uncommitted changes stay out of the branches', async () => {
    const { repo } = makeRepo();
    // A stash entry, a staged change, an unstaged change and an untracked file.
    writeTree(repo, { 'README.md': '# stashed\n' });
    git(repo, ['stash', '--quiet']);
    writeTree(repo, { 'app.py': 'print("staged")\n' });
    git(repo, ['add', 'app.py']);
    writeTree(repo, { 'Dockerfile': 'FROM python:3.12-slim\nENV PYTHONUNBUFFERED=1\nCMD ["python", "app.py"]\n', 'notes.txt': 'untracked\n' });
    const base = git(repo, ['rev-parse', 'HEAD']);
    const before = snapshot(repo);
    await new Promise((r) => setTimeout(r, 20)); // any rewrite would show in the mtimes
    const res = await run(repo, { push: 'origin' });
    expect(snapshot(repo)).toEqual(before);
    expect(res.uncommitted).toBe(3);
    // The Dockerfile branch is built from the committed Dockerfile, not the edited one on disk.
    expect(res.branches.find((b) => b.branch === ENV_BRANCH)!.status).toBe('created');
    expectBranchHolds(repo, ENV_BRANCH, base, await expectedChanges(repo, base, envRule));
    expect(git(repo, ['show', 'HEAD:app.py'])).toBe('print("hello")');
  });

  it('re-running is a no-op: same commits, status unchanged, no new objects in the refs', async () => {
    const { repo } = makeRepo();
    const first = await run(repo);
    const reflog = git(repo, ['reflog', 'show', '--format=%H', `refs/heads/${ENV_BRANCH}`]);
    const second = await run(repo);
    expect(second.branches.map((b) => [b.branch, b.status, b.commit])).toEqual(first.branches.map((b) => [b.branch, 'unchanged', b.commit]));
    expect(git(repo, ['reflog', 'show', '--format=%H', `refs/heads/${ENV_BRANCH}`])).toBe(reflog);
  });

  it('a changed fix updates only its branch, with a new commit on the new base', async () => {
    const { repo } = makeRepo();
    const first = await run(repo);
    const envCommit = first.branches.find((b) => b.branch === ENV_BRANCH)!.commit;
    // A new service in compose changes the compose fix; the Dockerfile fix stays the same.
    const newBase = commitFile(repo, 'docker-compose.yml', PROJECT['docker-compose.yml'] + '  cache:\n    image: redis:7\n');
    const second = await run(repo);
    expect(second.branches.map((b) => [b.branch, b.status])).toEqual([
      [RESTART_BRANCH, 'updated'],
      [ENV_BRANCH, 'unchanged'],
    ]);
    expect(ref(repo, `refs/heads/${ENV_BRANCH}`)).toBe(envCommit);
    const upd = second.branches[0]!;
    expect(upd.previous).toBe(first.branches[0]!.commit);
    expectBranchHolds(repo, RESTART_BRANCH, newBase, await expectedChanges(repo, newBase, restartRule));
    expect(git(repo, ['log', '--format=%s', `${newBase}..${RESTART_BRANCH}`])).toBe('fix(compose): add a restart policy in docker-compose.yml');
    // --rebase also moves branches whose fix is the same onto the new base.
    const third = await run(repo, { rebase: true });
    expect(third.branches.map((b) => [b.branch, b.status])).toEqual([
      [RESTART_BRANCH, 'unchanged'],
      [ENV_BRANCH, 'updated'],
    ]);
    expectBranchHolds(repo, ENV_BRANCH, newBase, await expectedChanges(repo, newBase, envRule));
  });

  it('a branch fix made obsolete by a change to its own file is rebuilt; one whose file changed under it is too', async () => {
    const { repo } = makeRepo();
    await run(repo);
    // The Dockerfile changes on the base: the same fix, but on different content.
    const newBase = commitFile(repo, 'Dockerfile', PROJECT['Dockerfile'].replace('WORKDIR /app', 'WORKDIR /srv'));
    const res = await run(repo);
    expect(res.branches.map((b) => [b.branch, b.status])).toEqual([
      [RESTART_BRANCH, 'unchanged'],
      [ENV_BRANCH, 'updated'],
    ]);
    expectBranchHolds(repo, ENV_BRANCH, newBase, await expectedChanges(repo, newBase, envRule));
  });

  it('leaves a branch someone else committed to alone, and reports it', async () => {
    const { repo } = makeRepo();
    const first = await run(repo);
    const envCommit = first.branches.find((b) => b.branch === ENV_BRANCH)!.commit!;
    const restartCommit = first.branches.find((b) => b.branch === RESTART_BRANCH)!.commit!;
    const other = cleanEnv({ GIT_AUTHOR_NAME: 'Someone Else', GIT_AUTHOR_EMAIL: 'else@example.com', GIT_COMMITTER_NAME: 'Someone Else', GIT_COMMITTER_EMAIL: 'else@example.com' });
    // A commit on top of the Dockerfile branch.
    const foreign = git(repo, ['commit-tree', `${envCommit}^{tree}`, '-p', envCommit, '-m', 'tweak the fix'], other);
    git(repo, ['update-ref', `refs/heads/${ENV_BRANCH}`, foreign]);
    // The compose branch amended by its own author: same trailers, other content.
    const msg = git(repo, ['log', '-1', '--format=%B', restartCommit]);
    const amendedTree = git(repo, ['rev-parse', `${git(repo, ['rev-parse', 'HEAD'])}^{tree}`]);
    const amended = execFileSync('git', ['commit-tree', amendedTree, '-p', git(repo, ['rev-parse', 'HEAD']), '-F', '-'], { cwd: repo, env: ENV, input: msg, encoding: 'utf8' }).trim();
    git(repo, ['update-ref', `refs/heads/${RESTART_BRANCH}`, amended]);
    // Both fixes change: the base gains a service and another Dockerfile line.
    commitFile(repo, 'docker-compose.yml', PROJECT['docker-compose.yml'] + '  cache:\n    image: redis:7\n');
    commitFile(repo, 'Dockerfile', PROJECT['Dockerfile'].replace('WORKDIR /app', 'WORKDIR /srv'));
    const res = await run(repo);
    expect(res.branches.map((b) => [b.branch, b.status])).toEqual([
      [RESTART_BRANCH, 'skipped'],
      [ENV_BRANCH, 'skipped'],
    ]);
    expect(res.branches[1]!.reason).toBe(`edited by someone else (${ENV_BRANCH} is at ${foreign.slice(0, 7)} by Someone Else <else@example.com>)`);
    expect(res.branches[0]!.reason).toMatch(/^edited by someone else/);
    expect(ref(repo, `refs/heads/${ENV_BRANCH}`)).toBe(foreign);
    expect(ref(repo, `refs/heads/${RESTART_BRANCH}`)).toBe(amended);
  });

  it('pushes created and updated branches to the remote, and leaves a remote branch edited there alone', async () => {
    const { repo, remote } = makeRepo();
    const first = await run(repo, { push: 'origin' });
    expect(first.branches.map((b) => [b.branch, b.status, b.pushed])).toEqual([
      [RESTART_BRANCH, 'created', true],
      [ENV_BRANCH, 'created', true],
    ]);
    const remoteRefs = () => git(remote, ['for-each-ref', '--format=%(refname) %(objectname)', 'refs/heads/']);
    expect(remoteRefs()).toBe(
      [`refs/heads/main ${git(repo, ['rev-parse', 'main'])}`, ...first.branches.map((b) => `refs/heads/${b.branch} ${b.commit}`)].join('\n'),
    );
    // Re-running with push changes nothing on either side.
    const again = await run(repo, { push: 'origin' });
    expect(again.branches.map((b) => [b.status, b.commit, b.pushed])).toEqual(first.branches.map((b) => ['unchanged', b.commit, undefined]));
    const refsBefore = remoteRefs();
    // A clone (as in CI: no local shipshape branches) sees the same branches as unchanged.
    const clone = path.join(path.dirname(repo), 'clone');
    git(path.dirname(repo), ['clone', '--quiet', remote, clone]);
    git(clone, ['config', 'user.name', 'CI Bot']);
    git(clone, ['config', 'user.email', 'ci@example.com']);
    const fromClone = await run(clone, { push: 'origin' });
    expect(fromClone.branches.map((b) => [b.status, b.commit])).toEqual(first.branches.map((b) => ['unchanged', b.commit]));
    expect(remoteRefs()).toBe(refsBefore);
    // Someone pushes a commit onto the compose branch; a changed fix then leaves it alone on the
    // remote while the Dockerfile branch is updated and pushed (from the clone, another identity).
    const restartCommit = first.branches[0]!.commit!;
    const foreign = git(clone, ['commit-tree', `${restartCommit}^{tree}`, '-p', restartCommit, '-m', 'review tweak'], cleanEnv({ GIT_AUTHOR_NAME: 'Reviewer', GIT_AUTHOR_EMAIL: 'r@example.com', GIT_COMMITTER_NAME: 'Reviewer', GIT_COMMITTER_EMAIL: 'r@example.com' }));
    git(clone, ['push', '--quiet', 'origin', `${foreign}:refs/heads/${RESTART_BRANCH}`]);
    commitFile(clone, 'docker-compose.yml', PROJECT['docker-compose.yml'] + '  cache:\n    image: redis:7\n');
    const newBase = commitFile(clone, 'Dockerfile', PROJECT['Dockerfile'].replace('WORKDIR /app', 'WORKDIR /srv'));
    const third = await run(clone, { push: 'origin' });
    expect(third.branches.map((b) => [b.branch, b.status])).toEqual([
      [RESTART_BRANCH, 'skipped'],
      [ENV_BRANCH, 'updated'],
    ]);
    expect(third.branches[0]!.reason).toBe(`edited by someone else (origin/${RESTART_BRANCH} is at ${foreign.slice(0, 7)} by Reviewer <r@example.com>)`);
    expect(git(remote, ['rev-parse', `refs/heads/${RESTART_BRANCH}`])).toBe(foreign);
    const envTip = git(remote, ['rev-parse', `refs/heads/${ENV_BRANCH}`]);
    expect(envTip).toBe(third.branches[1]!.commit);
    expect(git(clone, ['rev-list', '--parents', '-n', '1', envTip]).split(' ')[1]).toBe(newBase);
    expect(git(clone, ['log', '-1', '--format=%an|%cn', envTip])).toBe('CI Bot|CI Bot');
  });

  it('groups by file and by finding: each branch holds only its own finding\'s fix', async () => {
    const { repo } = makeRepo();
    const base = git(repo, ['rev-parse', 'HEAD']);
    const byFile = await run(repo, { groupBy: 'file', run: { rules: [restartRule], all: true } });
    expect(byFile.branches.map((b) => [b.branch, b.files])).toEqual([['shipshape/compose-bulk-test-restart-docker-compose-yml', ['docker-compose.yml']]]);
    const byFinding = await run(repo, { groupBy: 'finding', run: { rules: [restartRule], all: true } });
    expect(byFinding.branches).toHaveLength(2);
    for (const b of byFinding.branches) {
      expect(b.branch).toMatch(/^shipshape\/compose-bulk-test-restart-docker-compose-yml-[0-9a-f]{8}$/);
      expect(b.findings).toHaveLength(1);
      const id = b.findings[0]!;
      expect(b.branch.endsWith(id.slice(0, 8))).toBe(true);
      expectBranchHolds(repo, b.branch, base, await expectedChanges(repo, base, restartRule, (f) => f.id === id));
    }
  });

  it('takes the selection: review fixes only with all, --only/--skip by rule or area', async () => {
    const { repo } = makeRepo();
    const safeOnly = await run(repo, { dryRun: true, run: { rules: TEST_RULES } });
    expect(safeOnly.branches.map((b) => b.branch)).toEqual([ENV_BRANCH]);
    expect(safeOnly.findings).toEqual({ total: 3, selected: 1, reviewNotIncluded: 2, unfixable: 0 });
    const onlyCompose = await run(repo, { dryRun: true, run: { rules: TEST_RULES, all: true, only: ['compose'] } });
    expect(onlyCompose.branches.map((b) => b.branch)).toEqual([RESTART_BRANCH]);
    const skipCompose = await run(repo, { dryRun: true, run: { rules: TEST_RULES, all: true, skip: [restartRule.id] } });
    expect(skipCompose.branches.map((b) => b.branch)).toEqual([ENV_BRANCH]);
  });

  it('--dry-run reports branches, titles and diffstats and creates nothing (not even objects)', async () => {
    const { repo } = makeRepo();
    const objects = () => git(repo, ['count-objects', '-v']);
    const refs = () => git(repo, ['for-each-ref']);
    const before = [objects(), refs()];
    const res = await run(repo, { dryRun: true });
    expect([objects(), refs()]).toEqual(before);
    expect(res.branches.map((b) => [b.branch, b.status, b.title, b.stats])).toEqual([
      [RESTART_BRANCH, 'would-create', 'fix(compose): add a restart policy in docker-compose.yml', [{ file: 'docker-compose.yml', added: 2, removed: 0 }]],
      [ENV_BRANCH, 'would-create', 'fix(docker): set PYTHONUNBUFFERED so logs appear at once in Dockerfile', [{ file: 'Dockerfile', added: 1, removed: 0 }]],
    ]);
    await run(repo);
    commitFile(repo, 'docker-compose.yml', PROJECT['docker-compose.yml'] + '  cache:\n    image: redis:7\n');
    const dry = await run(repo, { dryRun: true });
    expect(dry.branches.map((b) => b.status)).toEqual(['would-update', 'unchanged']);
  });

  it('scans a subdirectory of the repository with branch names of their own', async () => {
    const { repo } = makeRepo({ 'services/api/Dockerfile': PROJECT['Dockerfile'], 'services/web/Dockerfile': PROJECT['Dockerfile'], 'README.md': '#\n' });
    const base = git(repo, ['rev-parse', 'HEAD']);
    const res = await run(path.join(repo, 'services', 'api'));
    expect(res.path).toBe('services/api');
    expect(res.branches.map((b) => [b.branch, b.files, b.title])).toEqual([
      ['shipshape/services-api/dockerfile-bulk-test-env', ['services/api/Dockerfile'], 'fix(docker): set PYTHONUNBUFFERED so logs appear at once'],
    ]);
    const tip = git(repo, ['rev-parse', 'shipshape/services-api/dockerfile-bulk-test-env']);
    expect(git(repo, ['diff-tree', '-r', '--name-only', base, tip])).toBe('services/api/Dockerfile');
  });

  it('removes its temporary files, also when it fails', async () => {
    const { repo } = makeRepo();
    const tmp = tmpDir('shipshape-bulk-tmpdir-');
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    try {
      await run(repo, { push: 'origin' });
      expect(fs.readdirSync(tmp)).toEqual([]);
      const crashing = defineRule({ ...envRule, id: 'dockerfile/bulk-test-crash', fix() { throw new Error('boom'); } });
      const res = await run(repo, { run: { rules: [crashing], all: true } });
      expect(res.branches.map((b) => [b.status, b.reason])).toEqual([['failed', 'no change to commit (invalid: the fix failed: boom)']]);
      expect(fs.readdirSync(tmp)).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('does not move a branch that is checked out', async () => {
    const { repo } = makeRepo();
    await run(repo);
    commitFile(repo, 'Dockerfile', PROJECT['Dockerfile'].replace('WORKDIR /app', 'WORKDIR /srv'));
    const wt = path.join(path.dirname(repo), 'wt');
    git(repo, ['worktree', 'add', '--quiet', wt, ENV_BRANCH]);
    const tip = ref(repo, `refs/heads/${ENV_BRANCH}`);
    const res = await run(repo);
    expect(res.branches.find((b) => b.branch === ENV_BRANCH)).toMatchObject({ status: 'skipped', reason: `${ENV_BRANCH} is checked out in a worktree; bulk never moves a checked-out branch` });
    expect(ref(repo, `refs/heads/${ENV_BRANCH}`)).toBe(tip);
  });

  it('fails clearly outside a repository, on an unknown base or remote, and on --pr without --push', async () => {
    const dir = tmpDir('shipshape-bulk-norepo-');
    try {
      await expect(bulk(dir, { env: ENV })).rejects.toThrow(/not a git repository/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const { repo } = makeRepo();
    await expect(run(repo, { base: 'no-such-branch' })).rejects.toThrow('--base no-such-branch: no such commit');
    await expect(run(repo, { push: 'upstream' })).rejects.toThrow('--push upstream: no such remote');
    await expect(run(repo, { pr: true })).rejects.toThrow(BulkUsageError);
    await expect(run(repo, { branchPrefix: 'bad..prefix/' })).rejects.toThrow(/does not make valid branch names/);
  });
});

// ---------------------------------------------------------------------------------------------
// Pull requests through a fake gh on PATH.

/** A bin directory holding git (linked) and, unless told otherwise, a fake gh that logs its argv. */
function fakeBin(opts: { gh?: boolean; authFails?: boolean; openPrFor?: string[] } = {}): { bin: string; log: string } {
  const bin = tmpDir('shipshape-fake-bin-');
  const log = path.join(bin, 'gh.log');
  const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
  fs.symlinkSync(realGit, path.join(bin, 'git'));
  if (opts.gh !== false) {
    const script = `#!${process.execPath}
const fs = require('fs');
const args = process.argv.slice(2);
const entry = { args };
const i = args.indexOf('--body-file');
if (i !== -1) entry.body = fs.readFileSync(args[i + 1], 'utf8');
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify(entry) + '\\n');
const open = ${JSON.stringify(opts.openPrFor ?? [])};
if (args[0] === 'auth') {
  if (${Boolean(opts.authFails)}) { process.stderr.write('You are not logged into any GitHub hosts. To log in, run: gh auth login\\n'); process.exit(1); }
  process.stdout.write('github.com\\n  Logged in to github.com\\n');
} else if (args[0] === 'pr' && args[1] === 'list') {
  const head = args[args.indexOf('--head') + 1];
  process.stdout.write(JSON.stringify(open.includes(head) ? [{ number: 7 }] : []) + '\\n');
} else if (args[0] === 'pr' && args[1] === 'create') {
  process.stdout.write('https://github.com/acme/app/pull/12\\n');
} else process.exit(2);
`;
    fs.writeFileSync(path.join(bin, 'gh'), script, { mode: 0o755 });
  }
  return { bin, log };
}

const calls = (log: string): { args: string[]; body?: string }[] =>
  fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { args: string[]; body?: string }) : [];

describe('bulk --pr through a fake gh', () => {
  it('opens one pull request per pushed branch with the exact gh invocation, skipping branches with an open one', async () => {
    const { repo } = makeRepo();
    const { bin, log } = fakeBin({ openPrFor: [ENV_BRANCH] });
    try {
      const res = await run(repo, { push: 'origin', pr: true, env: cleanEnv({ PATH: bin }) });
      expect(res.branches.map((b) => [b.branch, b.status, b.pr])).toEqual([
        [RESTART_BRANCH, 'created', { status: 'created', url: 'https://github.com/acme/app/pull/12', number: 12 }],
        [ENV_BRANCH, 'created', { status: 'exists', number: 7 }],
      ]);
      const c = calls(log);
      expect(c.map((x) => x.args.map((a) => (a.endsWith('.md') && a.includes('pr-body-') ? '<body-file>' : a)))).toEqual([
        ['auth', 'status'],
        ['pr', 'list', '--head', RESTART_BRANCH, '--state', 'open', '--json', 'number'],
        ['pr', 'create', '--head', RESTART_BRANCH, '--base', 'main', '--title', 'fix(compose): add a restart policy in docker-compose.yml', '--body-file', '<body-file>'],
        ['pr', 'list', '--head', ENV_BRANCH, '--state', 'open', '--json', 'number'],
      ]);
      const ids = res.branches[0]!.findings;
      expect(c[2]!.body).toBe(
        [
          '## Service has no restart policy',
          '',
          'Rule `compose/bulk-test-restart` (severity medium) found:',
          '',
          `- \`docker-compose.yml:3\`: service api has no restart policy (finding \`${ids[0]}\`)`,
          `- \`docker-compose.yml:7\`: service db has no restart policy (finding \`${ids[1]}\`)`,
          '',
          '### Why it matters',
          '',
          'A crashed service stays down until someone restarts it by hand.',
          '',
          '### What this changes',
          '',
          'Adds restart: unless-stopped to the service.',
          '',
          '### Safety',
          '',
          'This fix is marked **review**: it may change how the application behaves at run time, so check it before merging.',
          '',
          'A crash loop now restarts.',
          '',
          '### Diffstat',
          '',
          '```',
          ' docker-compose.yml | 2 ++',
          ' 1 file changed, 2 insertions(+)',
          '```',
          '',
          '---',
          `Opened by \`shipshape bulk\` from branch \`${RESTART_BRANCH}\`. Re-running bulk updates this branch when the fix changes, unless someone else has committed to it; \`shipshape explain compose/bulk-test-restart\` tells more.`,
          '',
        ].join('\n'),
      );
      // The body file was temporary.
      expect(fs.existsSync(c[2]!.args[c[2]!.args.length - 1]!)).toBe(false);
    } finally {
      fs.rmSync(bin, { recursive: true, force: true });
    }
  });

  it('--base names the pull requests\' base branch; a detached HEAD needs one', async () => {
    const { repo } = makeRepo();
    git(repo, ['branch', 'develop']);
    git(repo, ['checkout', '--quiet', '--detach']);
    const { bin, log } = fakeBin();
    try {
      const env = cleanEnv({ PATH: bin });
      await expect(run(repo, { push: 'origin', pr: true, env })).rejects.toThrow('--pr needs a base branch for the pull requests, and HEAD is detached; pass --base <branch>');
      expect(calls(log)).toEqual([]);
      await run(repo, { push: 'origin', pr: true, env, base: 'develop', run: { rules: [envRule] } });
      const c = calls(log).map((x) => x.args);
      expect(c.slice(0, 2)).toEqual([
        ['auth', 'status'],
        ['pr', 'list', '--head', ENV_BRANCH, '--state', 'open', '--json', 'number'],
      ]);
      expect(c[2]!.slice(0, 6)).toEqual(['pr', 'create', '--head', ENV_BRANCH, '--base', 'develop']);
      expect(c).toHaveLength(3);
    } finally {
      fs.rmSync(bin, { recursive: true, force: true });
    }
  });

  it('fails before creating anything when gh is missing or not logged in', async () => {
    const { repo } = makeRepo();
    const refs = () => git(repo, ['for-each-ref']);
    const before = refs();
    const missing = fakeBin({ gh: false });
    const loggedOut = fakeBin({ authFails: true });
    try {
      await expect(run(repo, { push: 'origin', pr: true, env: cleanEnv({ PATH: missing.bin }) })).rejects.toThrow(
        '--pr needs the GitHub CLI, and `gh` is not installed or not on PATH (see https://cli.github.com)',
      );
      await expect(run(repo, { push: 'origin', pr: true, env: cleanEnv({ PATH: loggedOut.bin }) })).rejects.toThrow(
        '--pr needs the GitHub CLI logged in, and `gh auth status` failed: You are not logged into any GitHub hosts. To log in, run: gh auth login (run `gh auth login`, or set GH_TOKEN in CI)',
      );
      expect(calls(loggedOut.log).map((x) => x.args)).toEqual([['auth', 'status']]);
      expect(refs()).toBe(before);
    } finally {
      fs.rmSync(missing.bin, { recursive: true, force: true });
      fs.rmSync(loggedOut.bin, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The command line (dist/cli.js), with the registry's rules.

function cli(args: string[], cwd: string, env: NodeJS.ProcessEnv = ENV) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, env: { ...env, NO_COLOR: '1' }, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('shipshape bulk (CLI)', () => {
  it('exits 2 with a clear message outside a git repository, and on --pr without --push', () => {
    const dir = tmpDir('shipshape-bulk-cli-');
    try {
      const r = cli(['bulk', '--dry-run'], dir);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`shipshape: .: not a git repository (bulk builds branches with git; run it inside a clone)\n`);
      const { repo } = makeRepo();
      const pr = cli(['bulk', '--pr'], repo);
      expect(pr.code).toBe(2);
      expect(pr.stderr).toBe('shipshape: --pr needs --push <remote>: a pull request needs the branch on the remote\n');
      const bad = cli(['bulk', '--group-by', 'team'], repo);
      expect(bad.code).toBe(2);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('ships an example workflow that runs bulk with flags the CLI accepts', () => {
    const wf = YAML.parse(fs.readFileSync(path.join(REPO, 'examples', 'github-actions', 'shipshape-bulk.yml'), 'utf8')) as {
      on: Record<string, unknown>;
      jobs: { bulk: { strategy: { matrix: { repository: string[] } }; steps: { run?: string; with?: Record<string, unknown> }[] } };
    };
    expect(Object.keys(wf.on)).toEqual(['schedule', 'workflow_dispatch']);
    expect(wf.jobs.bulk.strategy.matrix.repository.length).toBeGreaterThan(1);
    expect(wf.jobs.bulk.steps.find((st) => st.with?.['fetch-depth'] !== undefined)?.with?.['fetch-depth']).toBe(0);
    const commands = wf.jobs.bulk.steps.flatMap((st) => (st.run ?? '').split('\n')).map((l) => l.trim()).filter((l) => l.startsWith('shipshape bulk'));
    expect(commands).toEqual(['shipshape bulk --all --dry-run', 'shipshape bulk --all --push origin --pr --json > bulk.json || status=$?']);
    // Outside a repository the flags parse and the run stops at the repository check (exit 2).
    const dir = tmpDir('shipshape-bulk-cli-');
    try {
      for (const cmd of commands) {
        const args = cmd.replace(/ >.*$/, '').split(' ').slice(1);
        const r = cli(args, dir);
        expect([r.code, r.stderr]).toEqual([2, 'shipshape: .: not a git repository (bulk builds branches with git; run it inside a clone)\n']);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  /**
   * `bulk --dry-run --all` on a repository lists one branch per rule whose fix changes something,
   * with that rule's commit title and the diffstat of its fix computed on its own, as `fix` would
   * (same configuration and suppressions), and creates nothing.
   */
  async function expectDryRunMatchesFixes(repo: string): Promise<number> {
    const base = git(repo, ['rev-parse', 'HEAD']);
    const refsBefore = git(repo, ['for-each-ref']);
    const expected: { branch: string; stats: string }[] = [];
    for (const rule of registryRules()) {
      const o = runOptions({ only: rule.id, all: true }, repo);
      const { ws } = open(repo, o);
      const plan = await planFixes(ws, o);
      if (plan.changes.length === 0) continue;
      expected.push({ branch: branchName('shipshape/', rule.id), stats: renderDiffstat(diffStat(plan.changes), '   ') });
    }
    expected.sort((a, b) => (a.branch < b.branch ? -1 : 1));
    const r = cli(['bulk', '--dry-run', '--all'], repo);
    expect(r.stderr).not.toMatch(/failed/);
    expect(r.code).toBe(0);
    expect(git(repo, ['for-each-ref'])).toBe(refsBefore);
    if (expected.length === 0) {
      expect(r.stdout).toBe(`Nothing to fix: no branch to create from HEAD (${base.slice(0, 7)}).\n`);
      return 0;
    }
    const blocks = r.stdout.split('\n\n').slice(0, expected.length);
    expect(blocks.map((b) => b.split('\n')[0])).toEqual(expected.map((e) => `${e.branch}  would create`));
    for (let i = 0; i < expected.length; i++) {
      const lines = blocks[i]!.split('\n');
      expect(lines[1]).toMatch(/^ {2}fix\((docker|compose|repo|nginx|config|deps)\): \S/);
      expect(lines.slice(2).join('\n')).toBe(expected[i]!.stats);
    }
    expect(r.stdout).toContain(`${expected.length} branch${expected.length === 1 ? '' : 'es'} from HEAD (${base.slice(0, 7)}): ${expected.length} would create; nothing was created (dry run).`);
    return expected.length;
  }

  it('--dry-run lists one branch per rule with the diffstat of that rule\'s fix, creating nothing; --json says the same', async () => {
    // A small project with problems for the Dockerfile and compose rules.
    const files = {
      'Dockerfile': 'FROM python:3.12-slim\nRUN apt-get update && apt-get install -y build-essential libpq-dev\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\nCMD python -m uvicorn main:app --host 0.0.0.0 --port 8000\n',
      'docker-compose.yml': 'services:\n  app:\n    build: .\n    command: uvicorn main:app --host 0.0.0.0 --reload\n    volumes:\n      - ./:/app\n    ports:\n      - "8000:8000"\n    environment:\n      DATABASE_URL: postgresql://postgres:postgres@db:5432/app\n    depends_on:\n      - db\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: postgres\n    ports:\n      - "5432:5432"\n',
      'requirements.txt': 'fastapi\nuvicorn\npsycopg2-binary\n',
      'main.py': 'from fastapi import FastAPI\napp = FastAPI()\n',
    };
    const { repo } = makeRepo(files);
    const n = await expectDryRunMatchesFixes(repo);
    const j = cli(['bulk', '--dry-run', '--all', '--json'], repo);
    expect(j.code).toBe(0);
    const parsed = JSON.parse(j.stdout) as { version: number; dryRun: boolean; branches: { branch: string; status: string; stats: unknown[] }[] };
    expect(parsed.version).toBe(1);
    expect(parsed.dryRun).toBe(true);
    expect(parsed.branches).toHaveLength(n);
    expect(parsed.branches.every((b) => b.status === 'would-create' && b.stats.length > 0)).toBe(true);
  });

  // Three of the seed projects (all six take over a minute on a small machine): the demo, and the
  // two whose audits name the most Dockerfile and compose problems.
  const seeds = ['demo', 'nuzantara-backend-rag', 'rag-profile-agent'].filter((p) => fs.existsSync(path.join(FIXTURES, 'projects', p)));
  it.each(seeds)('--dry-run on the seed project %s: one branch per rule, with correct diffstats', async (name) => {
    const { repo } = makeRepo({});
    copyTree(path.join(FIXTURES, 'projects', name), repo);
    git(repo, ['add', '-A', '-f']);
    git(repo, ['commit', '--quiet', '-m', `seed ${name}`]);
    expect(await expectDryRunMatchesFixes(repo)).toBeGreaterThan(0);
  });

  it('creates, then reports unchanged, in a table; says when the working tree has uncommitted changes', () => {
    const { repo } = makeRepo({ ...PROJECT, 'Dockerfile': 'FROM python:3.12-slim\nCMD python app.py\n' });
    writeTree(repo, { 'README.md': '# edited\n' });
    const first = cli(['bulk', '--all'], repo);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain('shipshape: the working tree has an uncommitted change; it is not part of any branch (branches are built from HEAD ');
    const second = cli(['bulk', '--all'], repo);
    expect(second.code).toBe(0);
    const created = first.stdout.split('\n').filter((l) => /^shipshape\//.test(l));
    const unchanged = second.stdout.split('\n').filter((l) => /^shipshape\//.test(l));
    if (created.length === 0) {
      expect(first.stdout).toMatch(/^Nothing to fix/); // no registry rule applies to this project (yet)
      return;
    }
    expect(created.every((l) => / created {2}/.test(l))).toBe(true);
    expect(unchanged).toEqual(created.map((l) => l.replace('created', 'unchanged')));
    expect(first.stdout.split('\n')[0]).toMatch(/^BRANCH +STATUS +FILES$/);
  });
});
