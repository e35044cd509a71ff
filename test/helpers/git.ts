// Temporary git repositories for the end-to-end tests: init + commit a tree, apply patches with
// `git apply` and `patch -p1`, as a user of `shipshape fix --dry-run` would.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface ProcResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], cwd: string, input?: string): ProcResult {
  const r = spawnSync(cmd, args, {
    cwd,
    input,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_AUTHOR_NAME: 'shipshape tests',
      GIT_AUTHOR_EMAIL: 'tests@shipshape.invalid',
      GIT_COMMITTER_NAME: 'shipshape tests',
      GIT_COMMITTER_EMAIL: 'tests@shipshape.invalid',
    },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Run git in dir; throws with git's stderr when it fails. */
export function git(dir: string, ...args: string[]): string {
  const r = run('git', args, dir);
  if (r.code !== 0) throw new Error(`git ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** `git init` dir and commit everything in it (what .gitignore files ignore stays untracked). */
export function initRepo(dir: string): void {
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'config', 'commit.gpgsign', 'false');
  git(dir, 'config', 'core.autocrlf', 'false');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '--no-verify', '-m', 'initial');
}

/** `git apply [--check]` a patch file in dir. */
export function gitApply(dir: string, patchFile: string, check = false): ProcResult {
  return run('git', ['apply', '--whitespace=nowarn', ...(check ? ['--check'] : []), patchFile], dir);
}

/** `patch -p1 [--dry-run]` a patch file in dir (GNU patch; never prompts, never leaves .orig files). */
export function patchP1(dir: string, patchFile: string, dryRun = false): ProcResult {
  return run('patch', ['-p1', '--batch', '--forward', '--no-backup-if-mismatch', '-i', patchFile, ...(dryRun ? ['--dry-run'] : [])], dir);
}

/** Write a patch to a file outside the tree it applies to. */
export function writePatch(dir: string, name: string, patch: string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, patch);
  return p;
}
