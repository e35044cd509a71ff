// repo/dockerignore: a build context (a Dockerfile's directory, or a compose `build.context`) with
// no .dockerignore, so `COPY . .` sends .git, .env files, virtualenvs, node_modules and caches to
// the builder — slow builds, huge images, secrets baked into layers. The fix writes one suited to
// the stack, never excluding what the Dockerfile copies by name.
import ignore from 'ignore';
import { defineRule } from '../../src/rule.js';
import type { FindingInput } from '../../src/types.js';
import type { Workspace } from '../../src/workspace.js';
import { basename, dirname, joinPath } from '../../src/classify.js';
import { dockerfile, type DockerfileModel } from '../../src/parsers/dockerfile.js';
import { composeBuildsOf } from '../../src/project/docker.js';
import { copyArgs } from '../../src/edit/dockerfile.js';
import { compose, composeFiles } from '../../src/project/compose.js';

interface Context {
  dir: string;
  /** Dockerfiles built with this context (existing ones). */
  dockerfiles: string[];
  /** Where the context is declared (for the finding): a Dockerfile or a compose file. */
  file: string;
}

function under(dir: string, f: string): boolean {
  return dir === '' || f.startsWith(dir + '/');
}

/** The build contexts on the current state, computed once per state (detect and every fix ask). */
function contexts(ws: Workspace): Context[] {
  return ws.memoSync('repo/dockerignore/contexts', () => findContexts(ws));
}

function findContexts(ws: Workspace): Context[] {
  const byDir = new Map<string, Context>();
  const add = (dir: string, df: string | undefined, file: string) => {
    let c = byDir.get(dir);
    if (!c) byDir.set(dir, (c = { dir, dockerfiles: [], file }));
    if (df && !c.dockerfiles.includes(df)) c.dockerfiles.push(df);
  };
  for (const df of ws.files('dockerfile')) {
    const builds = composeBuildsOf(ws, df);
    if (builds.length === 0) add(dirname(df), df, df);
    for (const b of builds) add(b.context, df, df);
  }
  for (const f of composeFiles(ws)) {
    for (const svc of compose(ws, f)?.services ?? []) {
      const b = svc.build;
      if (!b || b.context === undefined) continue;
      if (!ws.filesUnder(b.context).length) continue; // the context is not in the workspace
      add(b.context, b.dockerfile && ws.exists(b.dockerfile) ? b.dockerfile : undefined, f);
    }
  }
  return [...byDir.values()].filter((c) => {
    if (ws.exists(joinPath(c.dir, '.dockerignore'))) return false;
    // BuildKit also reads <Dockerfile>.dockerignore next to each Dockerfile.
    return !(c.dockerfiles.length > 0 && c.dockerfiles.every((df) => ws.exists(`${df}.dockerignore`)));
  });
}

/** Sources (relative to the context) the Dockerfiles copy from the context by name (no globs, not `.`). */
function explicitSources(ws: Workspace, dfs: string[]): string[] {
  const out: string[] = [];
  for (const df of dfs) {
    const m = dockerfile(ws, df);
    if (!m) continue;
    for (const ins of m.instructions) {
      const a = copyArgs(m, ins);
      if (!a || a.flags.some((f) => f.name === 'from')) continue;
      for (const s of a.sources) {
        if (/^[a-z]+:\/\//i.test(s) || s.startsWith('<<') || /[*?[\]$]/.test(s)) continue;
        const rel = joinPath(s);
        if (rel !== '') out.push(rel);
      }
    }
  }
  return out;
}

function buildsInImage(m: DockerfileModel | undefined): boolean {
  return Boolean(m?.instructions.some((i) => i.keyword === 'RUN' && /\b(?:(?:npm|pnpm|bun) run build|yarn (?:run )?build|next build|vite build|tsc\b|nest build|ng build|turbo (?:run )?build)/.test(i.args)));
}

/** .dockerignore lines for a context, by stack; each section is [comment, ...patterns]. */
export function dockerignoreFor(ws: Workspace, ctx: Context): string {
  const files = ws.filesUnder(ctx.dir);
  const python = files.some((f) => f.endsWith('.py') || /(?:^|\/)(?:requirements[^/]*\.txt|pyproject\.toml|Pipfile|setup\.py)$/.test(f));
  const node = files.some((f) => basename(f) === 'package.json');
  const builds = ctx.dockerfiles.some((df) => buildsInImage(dockerfile(ws, df)));
  const sections: [string, string[]][] = [
    ['Version control and local environment files (secrets stay out of the image)', ['.git', '**/.env', '**/.env.*', '!**/.env.example']],
    ['Editors, OS files and logs', ['.vscode', '.idea', '**/.DS_Store', '**/*.log']],
  ];
  if (python) {
    sections.push(['Python caches, virtualenvs and test output', ['**/__pycache__', '**/*.py[cod]', '.venv', 'venv', '.pytest_cache', '.mypy_cache', '.ruff_cache', '.tox', '.coverage', 'htmlcov', '**/*.egg-info']]);
  }
  if (node) {
    const out = ['**/node_modules', 'coverage', '.npm'];
    // Build output is rebuilt in the image only when the Dockerfile builds; otherwise it may be what runs.
    if (builds) out.push('dist', 'build', '.next', '.turbo');
    sections.push([builds ? 'Node dependencies and build output (installed and built in the image)' : 'Node dependencies (installed in the image)', out]);
  }
  // Never exclude what a Dockerfile copies by name: drop the pattern, or re-include an env file.
  const sources = explicitSources(ws, ctx.dockerfiles);
  const keep: string[] = [];
  const lines: string[] = ['# Keep the build context small and free of secrets: these never reach the image.'];
  for (const [comment, patterns] of sections) {
    const kept: string[] = [];
    for (const p of patterns) {
      if (p.startsWith('!')) {
        kept.push(p);
        continue;
      }
      const ig = ignore().add(p);
      const hit = sources.filter((s) => ig.ignores(s) || ig.ignores(s + '/'));
      if (hit.length === 0) kept.push(p);
      else if (/\.env/.test(p)) {
        kept.push(p);
        for (const s of hit) if (!keep.includes(s)) keep.push(s);
      }
    }
    if (kept.length) lines.push('', `# ${comment}`, ...kept);
  }
  if (keep.length) lines.push('', '# Copied by name in the Dockerfile', ...keep.map((s) => `!${s}`));
  return lines.join('\n') + '\n';
}

interface Data {
  dir: string;
}

export default defineRule({
  id: 'repo/dockerignore',
  title: 'Build context has no .dockerignore',
  fixTitle: 'Add a .dockerignore suited to the stack',
  severity: 'medium',
  safety: 'safe',
  docs: {
    why:
      'Without a .dockerignore, every file of the build context is sent to the builder and `COPY . .` puts it in the image: the .git history, `.env` files with real secrets, local virtualenvs and node_modules built for another OS, caches and logs. Images get large and slow to build, and secrets end up in layers anyone who pulls the image can read.',
    fix:
      'Creates `.dockerignore` in the build context (a Dockerfile\'s directory or a compose `build.context`) excluding .git, `.env` files (templates kept), editor and OS files, logs, and per stack Python caches and virtualenvs or node_modules — plus build output when the Dockerfile builds it. Files the Dockerfile copies by name are never excluded.',
    safetyNote:
      'Only files the Dockerfile does not copy by name are left out of the context. If the image relied on a `.env` copied in by `COPY . .`, pass those settings at run time instead (environment, env_file, secrets).',
    references: ['https://docs.docker.com/build/concepts/context/#dockerignore-files'],
  },
  kinds: ['dockerfile', 'compose'],
  detect(ctx) {
    const out: FindingInput[] = [];
    for (const c of contexts(ctx.ws)) {
      const where = c.dir === '' ? 'the repository root' : c.dir;
      out.push({
        file: c.file,
        line: 1,
        message: `Build context ${where} has no .dockerignore: .git, .env files and local caches are sent to the builder and can end up in the image`,
        anchor: c.dir === '' ? '.' : c.dir,
        data: { dir: c.dir } satisfies Data,
      });
    }
    return out;
  },
  fix(finding, ctx) {
    const { dir } = finding.data as Data;
    const c = contexts(ctx.ws).find((x) => x.dir === dir);
    if (!c) return null;
    return [{ file: joinPath(dir, '.dockerignore'), create: dockerignoreFor(ctx.ws, c) }];
  },
});
