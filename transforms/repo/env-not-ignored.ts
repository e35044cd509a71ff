// repo/env-not-ignored: `.env` / `.env.*` files (templates such as .env.example aside) that git
// would not ignore — present in the tree, or expected by the project (a template, an `env_file:`)
// with no .gitignore rule to keep them out. The fix adds the rules; it never deletes a file.
import { defineRule } from '../../src/rule.js';
import type { FindingInput } from '../../src/types.js';
import type { Workspace } from '../../src/workspace.js';
import { basename, dirname, joinPath } from '../../src/classify.js';
import { envTemplates, gitignoreEnvEdits, isEnvFile, isGitIgnored } from '../../src/project/env.js';
import { compose, composeFiles } from '../../src/project/compose.js';

interface Problem {
  /** The env file (existing or expected) git would not ignore. */
  path: string;
  exists: boolean;
  /** Where to report it: the file itself, or what expects it. */
  file: string;
  why: string;
}

function problems(ws: Workspace): Problem[] {
  const out: Problem[] = [];
  const seen = new Set<string>();
  for (const f of ws.find(isEnvFile)) {
    if (isGitIgnored(ws, f)) continue;
    seen.add(f);
    out.push({ path: f, exists: true, file: f, why: 'it is in the tree' });
  }
  // A `.env` the project expects: next to an env template, or named by a compose `env_file:`.
  const expect = (p: string, file: string, why: string) => {
    if (seen.has(p) || !isEnvFile(p) || isGitIgnored(ws, p)) return;
    seen.add(p);
    out.push({ path: p, exists: false, file, why });
  };
  for (const t of envTemplates(ws)) expect(joinPath(dirname(t), '.env'), t, `${basename(t)} is its template`);
  for (const f of composeFiles(ws)) {
    const cf = compose(ws, f);
    for (const svc of cf?.services ?? []) {
      const ef = svc.value.env_file;
      for (const e of Array.isArray(ef) ? ef : ef === undefined ? [] : [ef]) {
        const p = typeof e === 'string' ? e : typeof e === 'object' && e && typeof (e as { path?: unknown }).path === 'string' ? (e as { path: string }).path : undefined;
        if (p && !p.includes('$')) expect(joinPath(cf!.dir, p), f, `service ${svc.name} reads it (env_file)`);
      }
    }
  }
  return out;
}

interface Data {
  path: string;
}

export default defineRule({
  id: 'repo/env-not-ignored',
  title: 'Environment file not ignored by git',
  fixTitle: 'Ignore .env files in .gitignore',
  severity: 'high',
  safety: 'safe',
  docs: {
    why:
      'A `.env` file holds the real secrets — database passwords, API keys, signing keys. When .gitignore does not cover it, one `git add .` commits them, and from then on everyone with access to the repository (and every fork and CI log) has them, for good: they stay in the history after the file is deleted.',
    fix:
      'Adds `.env` and, when other env files exist, `.env.*` with `!.env.example` (templates stay tracked) to the root .gitignore, creating it when missing. Files are never deleted. If a file was already committed, untrack it with `git rm --cached <file>` and rotate the secrets it held.',
    safetyNote: 'Only .gitignore changes: the files stay on disk and nothing the app reads moves.',
    references: ['https://git-scm.com/docs/gitignore', 'https://12factor.net/config'],
  },
  kinds: ['other', 'compose'],
  detect(ctx) {
    const out: FindingInput[] = [];
    for (const p of problems(ctx.ws)) {
      const untrack = p.exists ? ` If it is already committed, run \`git rm --cached ${p.path}\` and rotate its secrets.` : '';
      out.push({
        file: p.file,
        line: 1,
        message: `${p.path} is not ignored by git (${p.why}): its secrets would be committed.${untrack}`,
        anchor: p.path,
        data: { path: p.path } satisfies Data,
      });
    }
    return out;
  },
  fix(finding, ctx) {
    const { path } = finding.data as Data;
    const edits = gitignoreEnvEdits(ctx.ws, [path]);
    return edits.length ? edits : null;
  },
});
