// Unit tests of the Dockerfile helpers (src/edit/dockerfile.ts, src/project/docker.ts) and of the
// three core Dockerfile transforms working together: every combination of them, applied by the
// engine one after another on the same Dockerfile, must give exactly the expected file.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { openWorkspace, planFixes, scan } from '../src/api.js';
import { ruleById } from '../src/registry.js';
import { Workspace } from '../src/workspace.js';
import { applyEdits } from '../src/engine/edits.js';
import { parseDockerfile } from '../src/parsers/dockerfile.js';
import {
  blocksText,
  copyArgs,
  directivesEnd,
  leadingCommentStart,
  mergeEdits,
  removeBlock,
  runScript,
  scanShell,
  wordEdits,
} from '../src/edit/dockerfile.js';
import {
  BuildContext,
  buildContextOf,
  depInstall,
  installsOf,
  isRootUser,
  packageCommand,
  projectUserName,
  resolveContainerPath,
  resolveManifests,
  runtimeOf,
  stageUser,
  userNameFrom,
  workdirAt,
} from '../src/project/docker.js';
import { FIXTURES, tmpDir, writeTree } from './helpers/tree.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function project(files: Record<string, string>): string {
  const d = tmpDir('shipshape-dockerfile-');
  dirs.push(d);
  writeTree(d, files);
  return d;
}

const words = (s: string, from = 0) => scanShell(s, from, s.length).map((t) => t.value);

describe('RUN shell scanning', () => {
  it('joins continuations, drops comment lines inside them, unquotes words', () => {
    const t = `RUN apt-get update && \\\n    # a comment inside\n    apt-get install -y "gcc" 'g++' lib\\-x > /dev/null 2>&1; echo ok\n`;
    expect(words(t, 4)).toEqual(['apt-get', 'update', '&&', 'apt-get', 'install', '-y', 'gcc', 'g++', 'lib-x', '>', '/dev/null', '>&', ';', 'echo', 'ok']);
  });

  it('gives file offsets for every word', () => {
    const t = 'RUN apt-get install -y \\\n    curl\n';
    const toks = scanShell(t, 4, t.length);
    const curl = toks.find((x) => x.value === 'curl')!;
    expect(t.slice(curl.start, curl.end)).toBe('curl');
  });

  it('splits commands, leaving redirections and their targets out', () => {
    const m = parseDockerfile('FROM debian\nRUN set -eux; apt-get install -y gcc >/dev/null && rm -rf /var/lib/apt/lists/*\n');
    const s = runScript(m, m.instructions[1]!)!;
    expect(s.commands.map((c) => c.words.map((w) => w.value).join(' '))).toEqual(['set -eux', 'apt-get install -y gcc', 'rm -rf /var/lib/apt/lists/*']);
  });

  it('reads a RUN <<EOF heredoc body as a script, one command per line', () => {
    const m = parseDockerfile('FROM debian\nRUN <<EOF\nset -eux\napt-get install -y \\\n    gcc\nrm -rf /x\nEOF\nCMD ["x"]\n');
    const s = runScript(m, m.instructions[1]!)!;
    expect(s.heredoc).toBe(true);
    expect(s.commands.map((c) => c.words.map((w) => w.value).join(' '))).toEqual(['set -eux', 'apt-get install -y gcc', 'rm -rf /x']);
  });

  it('skips Docker flags and stops at other heredocs', () => {
    const m = parseDockerfile('FROM python\nRUN --mount=type=cache,target=/root/.cache pip install -r r.txt\nRUN python3 <<PY\nimport os\nPY\n');
    expect(runScript(m, m.instructions[1]!)!.flags.map((f) => f.value)).toEqual(['--mount=type=cache,target=/root/.cache']);
    expect(runScript(m, m.instructions[2]!)!.commands.map((c) => c.words.map((w) => w.value))).toEqual([['python3']]);
  });

  it('has no script for the exec form', () => {
    const m = parseDockerfile('FROM debian\nRUN ["apt-get", "install", "gcc"]\n');
    expect(runScript(m, m.instructions[1]!)).toBeUndefined();
  });
});

describe('package and install commands', () => {
  const cmd = (line: string) => {
    const m = parseDockerfile(`FROM debian\nRUN ${line}\n`);
    return runScript(m, m.instructions[1]!)!.commands;
  };

  it('reads apt-get and apk package lists without options and versions', () => {
    const [c] = cmd('apt-get -o Dpkg::Options::=--force-confold install -y --no-install-recommends gcc=4:12.2 libpq-dev');
    expect(packageCommand(c!)!.packages.map((p) => p.name)).toEqual(['gcc', 'libpq-dev']);
    const [a] = cmd('apk add --no-cache --virtual .build-deps build-base postgresql-dev');
    const pc = packageCommand(a!)!;
    expect([pc.action, pc.virtual, pc.packages.map((p) => p.name)]).toEqual(['install', '.build-deps', ['build-base', 'postgresql-dev']]);
  });

  it('classifies dependency installs', () => {
    const d = (l: string) => depInstall(cmd(l)[0]!)!;
    expect(d('pip install --no-cache-dir -r requirements.txt -c constraints.txt').manifests).toEqual(['requirements.txt', 'constraints.txt']);
    expect(d('python3 -m pip install --requirement=req/prod.txt').manifests).toEqual(['req/prod.txt']);
    expect(d('pip install --upgrade pip setuptools').packagesOnly).toBe(true);
    expect(d('pip install .').needsSources).toBe('`pip install .` installs from files of the build, not from a manifest');
    expect(d('pip install --user -r r.txt').elsewhere).toBe('--user');
    expect(d('poetry install --no-root').needsSources).toBeUndefined();
    expect(d('poetry install').needsSources).toMatch(/also installs the project itself/);
    expect(d('uv sync --frozen --no-install-project').optional).toEqual(['uv.lock']);
    expect(d('npm ci --omit=dev').omitsDev).toBe(true);
    expect(d('npm install -g pm2').packagesOnly).toBe(true);
    expect(d('yarn --frozen-lockfile').manifests).toEqual(['package.json']);
    expect(d('pnpm install --prod').omitsDev).toBe(true);
    expect(depInstall(cmd('npm run build')[0]!)).toBeUndefined();
  });

  it('maps -dev packages to their runtime libraries', () => {
    expect(runtimeOf('libpq-dev', 'debian', '3.12-slim')).toBe('libpq5');
    expect(runtimeOf('libffi-dev', 'debian', '3.11-slim-bullseye')).toBe('libffi7');
    expect(runtimeOf('libssl-dev', 'debian', '3.13-slim-trixie')).toBe('libssl3t64');
    expect(runtimeOf('postgresql-dev', 'alpine', '3.12-alpine')).toBe('libpq');
    expect(runtimeOf('build-essential', 'debian', '')).toBeNull();
    expect(runtimeOf('libgeos-dev', 'debian', '')).toBeUndefined();
  });
});

describe('word edits in RUN instructions', () => {
  const edit = (text: string, remove: string[], replace: Record<string, string> = {}, dropComments = false) => {
    const m = parseDockerfile(text);
    const ins = m.instructions.find((i) => i.keyword === 'RUN')!;
    const s = runScript(m, ins)!;
    const changes = s.tokens
      .filter((t) => t.kind === 'word' && (remove.includes(t.value) || t.value in replace))
      .map((t) => ({ token: t, text: replace[t.value] }));
    return applyEdits(text, wordEdits(m, ins, s.tokens, changes, 'Dockerfile', s.heredoc ? '\\' : m.escape, dropComments));
  };

  it('removes a package on its own continued line with the line', () => {
    expect(edit('FROM d\nRUN apt-get install -y \\\n    gcc \\\n    curl \\\n    && rm -rf /x\nCMD x\n', ['gcc'])).toBe(
      'FROM d\nRUN apt-get install -y \\\n    curl \\\n    && rm -rf /x\nCMD x\n',
    );
  });

  it('removes the continuation above a removed last line', () => {
    expect(edit('FROM d\nRUN apt-get install -y \\\n    curl \\\n    gcc \\\n    make\nCMD x\n', ['gcc', 'make'])).toBe('FROM d\nRUN apt-get install -y \\\n    curl\nCMD x\n');
  });

  it('skips comment lines (kept) when looking for the continuation above', () => {
    expect(edit('FROM d\nRUN apt-get install -y \\\n    curl \\\n    # compiler\n    gcc\nCMD x\n', ['gcc'])).toBe('FROM d\nRUN apt-get install -y \\\n    curl\n    # compiler\nCMD x\n');
  });

  it('drops the comment lines of a removed line when asked (a copy keeps them)', () => {
    expect(edit('FROM d\nRUN apt-get install -y \\\n    # compiler\n    gcc \\\n    curl\n', ['gcc'], {}, true)).toBe('FROM d\nRUN apt-get install -y \\\n    curl\n');
  });

  it('removes words inside a line with one separating space', () => {
    expect(edit('FROM d\nRUN apt-get update && apt-get install -y gcc make curl && rm -rf /x\n', ['gcc', 'make'])).toBe(
      'FROM d\nRUN apt-get update && apt-get install -y curl && rm -rf /x\n',
    );
    expect(edit('FROM d\nRUN apt-get install -y \\\n    gcc make curl \\\n    && rm -rf /x\n', ['gcc', 'make'])).toBe('FROM d\nRUN apt-get install -y \\\n    curl \\\n    && rm -rf /x\n');
  });

  it('replaces words in place', () => {
    expect(edit('FROM d\nRUN apk add --no-cache build-base postgresql-dev curl\n', ['build-base'], { 'postgresql-dev': 'libpq' })).toBe('FROM d\nRUN apk add --no-cache libpq curl\n');
  });

  it('edits heredoc scripts', () => {
    expect(edit('FROM d\nRUN <<EOF\napt-get install -y \\\n    gcc \\\n    curl\nEOF\n', ['curl'])).toBe('FROM d\nRUN <<EOF\napt-get install -y \\\n    gcc\nEOF\n');
  });
});

describe('COPY arguments, blocks and merged edits', () => {
  it('reads flags, sources and destination in shell, JSON and heredoc forms', () => {
    const m = parseDockerfile('FROM x\nCOPY --from=b --chown=app:app ["a b", "c/"]\nCOPY --link *.py ./\nCOPY <<EOF /etc/x\nhi\nEOF\n');
    const [a, b, c] = m.instructions.slice(1).map((i) => copyArgs(m, i)!);
    expect([a!.flags.map((f) => [f.name, f.value]), a!.sources, a!.dest, a!.json]).toEqual([[['from', 'b'], ['chown', 'app:app']], ['a b'], 'c/', true]);
    expect([b!.sources, b!.dest, m.text.slice(b!.argsStart, b!.argsStart + 4)]).toEqual([['*.py'], './', '*.py']);
    expect([c!.sources, c!.dest]).toEqual([['<<EOF'], '/etc/x']);
  });

  it('finds the comment block of an instruction, never a parser directive', () => {
    const t = '# syntax=docker/dockerfile:1\n# about the image\nFROM x\n\n# copy\n# everything\nCOPY . .\n';
    const m = parseDockerfile(t);
    expect(directivesEnd(t)).toBe(t.indexOf('# about'));
    expect(leadingCommentStart(m, m.instructions[0]!)).toBe(t.indexOf('# about'));
    expect(leadingCommentStart(m, m.instructions[1]!)).toBe(t.indexOf('# copy'));
    expect(blocksText(m, [m.instructions[1]!])).toBe('# copy\n# everything\nCOPY . .\n');
  });

  it('removes a block and one of the blank lines around it', () => {
    const t = 'FROM x\n\n# a\nCOPY a .\n\nRUN y\n';
    const m = parseDockerfile(t);
    expect(applyEdits(t, [removeBlock(m, m.instructions[1]!, 'Dockerfile')])).toBe('FROM x\n\nRUN y\n');
  });

  it('merges edits into one splice with the same result', () => {
    const t = 'abcdef';
    const es = [
      { file: 'f', start: 1, end: 2, text: 'B' },
      { file: 'f', start: 4, end: 4, text: '+' },
    ];
    const merged = mergeEdits(t, es, 'f');
    expect(merged).toEqual([{ file: 'f', start: 1, end: 4, text: 'Bcd+' }]);
    expect(applyEdits(t, merged)).toBe(applyEdits(t, es));
  });
});

describe('project knowledge', () => {
  it('resolves the build context from compose files', () => {
    const ws = Workspace.fromFiles({
      'compose.yaml': 'services:\n  api:\n    build:\n      context: ./backend\n      dockerfile: ../docker/api.Dockerfile\n  web:\n    build: ./web\n',
      'docker/api.Dockerfile': 'FROM python\n',
      'web/Dockerfile': 'FROM node\n',
      'other/Dockerfile': 'FROM node\n',
    });
    expect(buildContextOf(ws, 'docker/api.Dockerfile')).toBe('backend');
    expect(buildContextOf(ws, 'web/Dockerfile')).toBe('web');
    expect(buildContextOf(ws, 'other/Dockerfile')).toBe('other');
  });

  it('honours .dockerignore (and <Dockerfile>.dockerignore first)', () => {
    const ws = Workspace.fromFiles({ Dockerfile: 'FROM x\n', '.dockerignore': '*.lock\n!poetry.lock\n', 'yarn.lock': '', 'poetry.lock': '', 'a.txt': '' });
    const ctx = BuildContext.of(ws, 'Dockerfile');
    expect([ctx.has('yarn.lock'), ctx.has('poetry.lock'), ctx.has('a.txt'), ctx.has('missing')]).toEqual([false, true, true, false]);
    const ws2 = Workspace.fromFiles({ 'Dockerfile': 'FROM x\n', 'Dockerfile.dockerignore': 'a.txt\n', '.dockerignore': '', 'a.txt': '' });
    expect(BuildContext.of(ws2, 'Dockerfile').has('a.txt')).toBe(false);
  });

  it('names the user after the project', () => {
    expect(userNameFrom('@acme/Orders API')).toBe('orders-api');
    expect(userNameFrom('123-tool')).toBe('tool');
    expect(userNameFrom('backend')).toBeUndefined();
    expect(userNameFrom('postgres')).toBeUndefined();
    expect(userNameFrom('x'.repeat(40))).toBe('x'.repeat(32));
    const ws = Workspace.fromFiles({
      'svc/Dockerfile': 'FROM python\n',
      'svc/pyproject.toml': '[tool.poetry]\nname = "Ledger_Core"\n',
      'api/Dockerfile': 'FROM python\n',
      'fly.toml': "app = 'nuzantara'\n",
      'docker-compose.yml': 'services:\n  payments:\n    build: ./pay\n',
      'pay/Dockerfile': 'FROM python\n',
      'backend/Dockerfile': 'FROM python\n',
    });
    expect(projectUserName(ws, 'svc/Dockerfile')).toBe('ledger_core');
    expect(projectUserName(ws, 'api/Dockerfile')).toBe('nuzantara');
    const bare = Workspace.fromFiles({ 'pay/Dockerfile': 'FROM x\n', 'docker-compose.yml': 'services:\n  payments:\n    build: ./pay\n', 'backend/Dockerfile': 'FROM x\n', 'reports-worker/Dockerfile': 'FROM x\n' });
    expect(projectUserName(bare, 'pay/Dockerfile')).toBe('payments');
    expect(projectUserName(bare, 'backend/Dockerfile')).toBe('app');
    expect(projectUserName(bare, 'reports-worker/Dockerfile')).toBe('reports-worker');
    const shared = Workspace.fromFiles({ 'Dockerfile.app': 'FROM x\n', 'docker-compose.yml': 'services:\n  web:\n    build: {context: ., dockerfile: Dockerfile.app}\n  celery_worker:\n    build: {context: ., dockerfile: Dockerfile.app}\n' });
    expect(projectUserName(shared, 'Dockerfile.app')).toBe('app');
  });

  it('follows WORKDIR and USER through FROM <stage>', () => {
    const m = parseDockerfile('FROM python AS base\nWORKDIR /app\nUSER app\nWORKDIR src\n\nFROM base\nUSER 0:0\n\nFROM base AS final\nCOPY . .\n');
    expect(resolveContainerPath('/app', '../etc/./x')).toBe('/etc/x');
    expect(workdirAt(m, m.stages[2]!)).toBe('/app/src');
    expect(stageUser(m, m.stages[2]!)).toMatchObject({ user: 'app', from: 'parent' });
    expect(isRootUser(stageUser(m, m.stages[1]!).user)).toBe(true);
    expect(isRootUser('${APP_USER}')).toBe(false);
    expect(stageUser(parseDockerfile('FROM gcr.io/distroless/static-debian12:nonroot\n'), parseDockerfile('FROM gcr.io/distroless/static-debian12:nonroot\n').stages[0]!).user).toBe('nonroot');
  });

  it('traces manifests to the COPY and context file that provide them', () => {
    const ws = Workspace.fromFiles({
      Dockerfile: 'FROM python\nWORKDIR /srv\nCOPY deploy/ ./\nRUN pip install -r requirements/prod.txt\n',
      'deploy/requirements/prod.txt': '-r base.txt\nflask\n',
      'deploy/requirements/base.txt': 'requests\n',
    });
    const m = parseDockerfile(ws.text('Dockerfile')!);
    const run = m.instructions[3]!;
    const installs = runScript(m, run)!.commands.map(depInstall).filter((d) => d !== undefined);
    const res = resolveManifests(m, m.stages[0]!, run, installs, BuildContext.of(ws, 'Dockerfile'));
    expect(res.problem).toBeUndefined();
    expect(res.sources.map((s) => [s.container, s.rel, s.copy.line])).toEqual([
      ['/srv/requirements/prod.txt', 'deploy/requirements/prod.txt', 3],
      ['/srv/requirements/base.txt', 'deploy/requirements/base.txt', 3],
    ]);
    const missing = Workspace.fromFiles({ Dockerfile: 'FROM python\nCOPY . .\nRUN pip install -r requirements.txt\n' });
    const mm = parseDockerfile(missing.text('Dockerfile')!);
    const r2 = mm.instructions[2]!;
    expect(resolveManifests(mm, mm.stages[0]!, r2, runScript(mm, r2)!.commands.map(depInstall).filter((d) => d !== undefined), BuildContext.of(missing, 'Dockerfile')).problem).toBe(
      'requirements.txt (read by the install as /requirements.txt) is not found in the build context',
    );
  });
});

describe('findings that are not fixable say why', () => {
  const reasons = async (rule: string, name: string) => {
    const r = ruleById(rule)!;
    const { report } = await scan(openWorkspace(path.join(FIXTURES, rule, name, 'before')), { rules: [r] });
    return report.findings.map((f) => [f.fixable, f.message, f.notFixableReason]);
  };

  it('non-root-user: scratch and images that drop privileges themselves', async () => {
    expect(await reasons('dockerfile/non-root-user', 'scratch')).toEqual([
      [
        false,
        'final stage runs as root: no USER instruction',
        'the final stage is FROM scratch: it has no /etc/passwd and no shell to create a user with; pick a numeric UID (e.g. `USER 65532:65532`), give it the files the program writes (`COPY --chown=65532:65532`), and add the USER by hand',
      ],
    ]);
    expect((await reasons('dockerfile/non-root-user', 'nginx'))[0]![2]).toMatch(/^the nginx image starts its master process as root/);
  });

  it('multi-stage-build: a RUN that installs the compiler and the dependencies at once', async () => {
    expect(await reasons('dockerfile/multi-stage-build', 'mixed-run')).toEqual([
      [
        false,
        'final stage installs build tools (gcc, libpq-dev) on line 4: they ship in the runtime image',
        'the RUN on line 4 installs the build tools and also runs `pip install --no-cache-dir -r requirements.txt`; split it so the build can move to a builder stage',
      ],
    ]);
  });

  it('dependency-cache-order: installs that need the sources, and moves that would change meaning', async () => {
    expect((await reasons('dockerfile/dependency-cache-order', 'pip-install-dot'))[0]).toEqual([
      false,
      '`COPY . .` (line 3) copies sources before the dependency install `pip install --no-cache-dir .` (line 4): every source change re-runs the install',
      '`pip install .` installs from files of the build, not from a manifest; copy only the dependency manifests first and install the project after copying the sources',
    ]);
    expect((await reasons('dockerfile/dependency-cache-order', 'workdir-between'))[0]![2]).toBe(
      'a WORKDIR (line 4) between `COPY . .` and the install changes where its relative destination points',
    );
    expect((await reasons('dockerfile/dependency-cache-order', 'run-between'))[0]![2]).toBe(
      '`RUN python scripts/generate_requirements.py > req…` (line 4) runs between the COPY and the install and may need the copied files',
    );
    expect((await reasons('dockerfile/dependency-cache-order', 'postinstall'))[0]![2]).toBe(
      'package.json has a "postinstall" script, which runs during the install and may need the sources',
    );
  });
});

// ---------------------------------------------------------------------------------------------
// The three rules together

const SEED = `# syntax=docker/dockerfile:1
# Backend RAG service
FROM python:3.11-slim

WORKDIR /app

# Install system dependencies
RUN apt-get update && apt-get install -y \\
    build-essential \\
    curl \\
    && rm -rf /var/lib/apt/lists/*

# Copy root scripts
COPY *.py ./
# Copy requirements and install
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

# Copy application code
COPY backend/ ./backend/

ENV PYTHONPATH=/app:/app/backend
WORKDIR /app/backend/app

EXPOSE 8080
CMD ["uvicorn", "main_cloud:app", "--host", "0.0.0.0", "--port", "8080"]
`;

function seedProject(dockerfile = SEED): string {
  return project({
    'apps/backend-rag/Dockerfile': dockerfile,
    'apps/backend-rag/requirements.txt': 'fastapi==0.104.1\npydantic==2.5.0\nasyncpg==0.29.0\n',
    'apps/backend-rag/fly.toml': "app = 'nuzantara'\nprimary_region = 'sin'\n",
    'apps/backend-rag/ingest.py': 'print("ingest")\n',
    'apps/backend-rag/backend/app/main_cloud.py': 'app = None\n',
  });
}

const RULES = ['dockerfile/dependency-cache-order', 'dockerfile/multi-stage-build', 'dockerfile/non-root-user'];

async function fixWith(dir: string, ids: string[] | 'area'): Promise<{ text: string; statuses: string[] }> {
  const opts = ids === 'area' ? { all: true, only: ['dockerfile'] } : { all: true, rules: ids.map((i) => ruleById(i)!) };
  const ws = openWorkspace(dir);
  const plan = await planFixes(ws, opts);
  expect(plan.session.failures).toEqual([]);
  const ch = plan.changes.find((c) => c.file.endsWith('Dockerfile'))!;
  // A fixed point: the same rules find nothing more to fix in the result.
  for (const c of plan.changes) fs.writeFileSync(path.join(dir, c.file), c.after);
  const second = await planFixes(openWorkspace(dir), opts);
  expect(second.changes.map((c) => c.file)).toEqual([]);
  return { text: ch.after, statuses: plan.outcomes.map((o) => `${o.finding.rule}: ${o.status}`).sort() };
}

const BUILDER = `# syntax=docker/dockerfile:1
FROM python:3.11-slim AS builder
RUN apt-get update && apt-get install -y \\
    build-essential \\
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Copy requirements and install
COPY requirements.txt .
RUN python -m venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH"
RUN pip install --no-cache-dir -r requirements.txt

# Backend RAG service
FROM python:3.11-slim

WORKDIR /app

# Install system dependencies
RUN apt-get update && apt-get install -y \\
    curl \\
    && rm -rf /var/lib/apt/lists/*
`;

describe('the three Dockerfile rules together', () => {
  it('fix a seed-000-like Dockerfile (all of them, as `--only dockerfile --all` runs them)', async () => {
    const { text, statuses } = await fixWith(seedProject(), 'area');
    expect(statuses).toEqual([
      'dockerfile/dependency-cache-order: resolved',
      'dockerfile/multi-stage-build: applied',
      'dockerfile/non-root-user: applied',
    ]);
    expect(text).toBe(
      BUILDER +
        `
RUN groupadd --system --gid 10001 nuzantara \\
    && useradd --system --uid 10001 --gid nuzantara --no-create-home nuzantara \\
    && chown nuzantara:nuzantara /app

COPY --from=builder /opt/venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH"

# Copy root scripts
COPY --chown=nuzantara:nuzantara *.py ./

# Copy application code
COPY --chown=nuzantara:nuzantara backend/ ./backend/

ENV PYTHONPATH=/app:/app/backend
WORKDIR /app/backend/app

EXPOSE 8080
USER nuzantara
CMD ["uvicorn", "main_cloud:app", "--host", "0.0.0.0", "--port", "8080"]
`,
    );
  });

  it('cache order + multi-stage: the install moves to the builder and its result comes before the sources', async () => {
    const { text, statuses } = await fixWith(seedProject(), [RULES[0]!, RULES[1]!]);
    expect(statuses).toEqual(['dockerfile/dependency-cache-order: resolved', 'dockerfile/multi-stage-build: applied']);
    expect(text).toBe(
      BUILDER +
        `
COPY --from=builder /opt/venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH"

# Copy root scripts
COPY *.py ./

# Copy application code
COPY backend/ ./backend/

ENV PYTHONPATH=/app:/app/backend
WORKDIR /app/backend/app

EXPOSE 8080
CMD ["uvicorn", "main_cloud:app", "--host", "0.0.0.0", "--port", "8080"]
`,
    );
  });

  it('cache order + non-root user: the moved COPY keeps the --chown the other fix added', async () => {
    const { text, statuses } = await fixWith(seedProject(), [RULES[0]!, RULES[2]!]);
    expect(statuses).toEqual(['dockerfile/dependency-cache-order: applied', 'dockerfile/non-root-user: applied']);
    expect(text).toBe(`# syntax=docker/dockerfile:1
# Backend RAG service
FROM python:3.11-slim

WORKDIR /app

# Install system dependencies
RUN apt-get update && apt-get install -y \\
    build-essential \\
    curl \\
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 nuzantara \\
    && useradd --system --uid 10001 --gid nuzantara --no-create-home nuzantara \\
    && chown nuzantara:nuzantara /app

# Copy requirements and install
COPY --chown=nuzantara:nuzantara requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

# Copy root scripts
COPY --chown=nuzantara:nuzantara *.py ./

# Copy application code
COPY --chown=nuzantara:nuzantara backend/ ./backend/

ENV PYTHONPATH=/app:/app/backend
WORKDIR /app/backend/app

EXPOSE 8080
USER nuzantara
CMD ["uvicorn", "main_cloud:app", "--host", "0.0.0.0", "--port", "8080"]
`);
  });

  it('multi-stage + non-root user', async () => {
    const all = await fixWith(seedProject(), 'area');
    const { text, statuses } = await fixWith(seedProject(), [RULES[1]!, RULES[2]!]);
    expect(statuses).toEqual(['dockerfile/multi-stage-build: applied', 'dockerfile/non-root-user: applied']);
    expect(text).toBe(all.text);
  });

  it('fix a Node image with COPY . . before npm ci, a toolchain and no USER', async () => {
    const dir = project({
      Dockerfile: `ARG NODE_VERSION=20
FROM node:\${NODE_VERSION}-bookworm-slim
WORKDIR /usr/src/app
RUN apt-get update \\
    && apt-get install -y --no-install-recommends python3 make g++ \\
    && rm -rf /var/lib/apt/lists/*
COPY . .
RUN npm ci
EXPOSE 3000
CMD ["node", "server.js"]
`,
      'package.json': '{\n  "name": "auth",\n  "dependencies": {\n    "bcrypt": "^5.1.1"\n  }\n}\n',
      'package-lock.json': '{\n  "lockfileVersion": 3\n}\n',
      'server.js': 'require("bcrypt");\n',
    });
    const { text, statuses } = await fixWith(dir, 'area');
    expect(statuses).toEqual([
      'dockerfile/dependency-cache-order: resolved',
      'dockerfile/multi-stage-build: applied',
      'dockerfile/non-root-user: applied',
    ]);
    expect(text).toBe(`ARG NODE_VERSION=20
FROM node:\${NODE_VERSION}-bookworm-slim AS builder
RUN apt-get update \\
    && apt-get install -y --no-install-recommends python3 make g++ \\
    && rm -rf /var/lib/apt/lists/*
WORKDIR /usr/src/app
COPY package.json package-lock.json ./
RUN npm ci
RUN npm prune --omit=dev

FROM node:\${NODE_VERSION}-bookworm-slim
WORKDIR /usr/src/app
RUN chown node:node /usr/src/app
COPY --chown=node:node . .
USER node
COPY --chown=node:node --from=builder /usr/src/app/node_modules /usr/src/app/node_modules
EXPOSE 3000
CMD ["node", "server.js"]
`);
  });

  it('fix a Python image without a toolchain: cache order and user compose', async () => {
    const dir = project({
      'Dockerfile': 'FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN pip install --no-cache-dir -r requirements.txt\nCMD ["python", "main.py"]\n',
      'requirements.txt': 'requests\n',
      'main.py': 'print(1)\n',
    });
    const { text } = await fixWith(dir, 'area');
    expect(text).toBe(
      'FROM python:3.12-slim\nWORKDIR /app\nRUN groupadd --system --gid 10001 app \\\n    && useradd --system --uid 10001 --gid app --no-create-home app \\\n    && chown app:app /app\nCOPY --chown=app:app requirements.txt ./\nRUN pip install --no-cache-dir -r requirements.txt\nCOPY --chown=app:app . .\nUSER app\nCMD ["python", "main.py"]\n',
    );
  });
});

describe('documentation examples', () => {
  for (const id of RULES) {
    it(`${id}: the example's "after" is what the fix produces`, async () => {
      const r = ruleById(id)!;
      const ex = r.docs.example!;
      const dir = project({ Dockerfile: ex.before, 'requirements.txt': 'psycopg2==2.9.9\n', 'main.py': 'print(1)\n' });
      const plan = await planFixes(openWorkspace(dir), { all: true, rules: [r] });
      expect(plan.changes.map((c) => c.after)).toEqual([ex.after]);
    });
  }
});

describe('generated Dockerfiles', () => {
  const BASES = ['python:3.12-slim', 'python:3.11-alpine', 'node:20-bookworm-slim', 'node:20-alpine', 'debian:bookworm-slim', 'gcr.io/distroless/python3-debian12', 'scratch', 'ubuntu:24.04', 'nginx:1.27'];
  const STEPS = [
    'WORKDIR /app',
    'WORKDIR src',
    'RUN apt-get update && apt-get install -y --no-install-recommends \\\n    # compilers\n    build-essential \\\n    libpq-dev \\\n    curl \\\n    && rm -rf /var/lib/apt/lists/*',
    'RUN apt-get update && apt-get install -y gcc g++ make && rm -rf /var/lib/apt/lists/*',
    'RUN apk add --no-cache build-base postgresql-dev tzdata',
    'RUN <<EOF\napt-get update\napt-get install -y \\\n    gcc \\\n    libffi-dev\nEOF',
    'COPY requirements.txt .',
    'COPY . .',
    'COPY *.py ./',
    'COPY --chown=1000:1000 . /app/',
    'RUN pip install --no-cache-dir -r requirements.txt',
    'RUN pip install --upgrade pip && pip install -r requirements.txt',
    'COPY package.json package-lock.json ./',
    'RUN npm ci',
    'RUN npm run build',
    'ENV PYTHONUNBUFFERED=1',
    'RUN mkdir -p /app/data',
    'USER root',
    'USER app',
    'EXPOSE 8000',
    'CMD ["python", "main.py"]',
    'ENTRYPOINT ["node", "server.js"]',
    'RUN useradd --system app',
    'RUN apk add --no-cache --virtual .build-deps gcc musl-dev \\\n    && pip install -r requirements.txt \\\n    && apk del .build-deps',
    'RUN yarn install --frozen-lockfile',
    'COPY --from=stage0 /app/dist ./dist',
    'run pip install -r requirements.txt',
    'copy . .',
    'HEALTHCHECK CMD curl -f http://localhost:8000/ || exit 1',
  ];
  const line = fc.record({ step: fc.constantFrom(...STEPS), comment: fc.option(fc.constantFrom('# a note', '# Copy things\n# over two lines'), { nil: undefined }), blank: fc.boolean() });
  const dockerfileArb = fc.record({
    syntax: fc.boolean(),
    arg: fc.boolean(),
    stages: fc.array(fc.record({ base: fc.constantFrom(...BASES), steps: fc.array(line, { maxLength: 9 }) }), { minLength: 1, maxLength: 2 }),
    crlf: fc.boolean(),
    rules: fc.subarray(RULES, { minLength: 1 }),
  });
  type Gen = { syntax: boolean; arg: boolean; stages: { base: string; steps: { step: string; comment?: string; blank: boolean }[] }[] };
  const render = (d: Gen) => {
    let t = (d.syntax ? '# syntax=docker/dockerfile:1\n' : '') + (d.arg ? 'ARG V=1\n' : '');
    d.stages.forEach((s, i) => {
      t += `${i ? '\n' : ''}FROM ${s.base}${i < d.stages.length - 1 ? ` AS stage${i}` : ''}\n`;
      for (const l of s.steps) t += (l.blank ? '\n' : '') + (l.comment ? l.comment + '\n' : '') + l.step + '\n';
    });
    return t;
  };
  const comments = (t: string) => t.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('#'));

  it('the three rules, alone or together, never fail, keep every comment, and are idempotent', async () => {
    await fc.assert(
      fc.asyncProperty(dockerfileArb, async (d) => {
        const text = render(d);
        const dir = project({
          Dockerfile: d.crlf ? text.replace(/\n/g, '\r\n') : text,
          'requirements.txt': 'psycopg2==2.9.9\n',
          'package.json': '{\n  "name": "gen"\n}\n',
          'package-lock.json': '{}\n',
          'main.py': 'print(1)\n',
        });
        const opts = { all: true, rules: d.rules.map((i) => ruleById(i)!) };
        const ws = openWorkspace(dir);
        const plan = await planFixes(ws, opts);
        expect(plan.session.failures).toEqual([]);
        expect(ws.errors).toEqual([]);
        const bad = plan.outcomes.filter((o) => o.status === 'invalid' || o.status === 'conflict');
        expect(bad.map((o) => `${o.finding.rule}: ${o.reason}`)).toEqual([]);
        const after = plan.changes.find((c) => c.file === 'Dockerfile')?.after ?? (d.crlf ? text.replace(/\n/g, '\r\n') : text);
        const have = comments(after);
        for (const c of comments(text)) {
          const i = have.indexOf(c);
          expect(i, `comment "${c}" kept in:\n${after}`).toBeGreaterThan(-1);
          have.splice(i, 1);
        }
        parseDockerfile(after.replace(/\r\n/g, '\n'));
        expect(after.includes('\r\n')).toBe(d.crlf && after.includes('\n'));
        fs.writeFileSync(path.join(dir, 'Dockerfile'), after);
        const again = await planFixes(openWorkspace(dir), opts);
        expect(again.changes.map((c) => `${c.file}:\n${text}\n--- first fix:\n${after}\n--- second:\n${c.after}`)).toEqual([]);
      }),
      { numRuns: Number(process.env.SHIPSHAPE_FC_RUNS ?? 60), seed: Number(process.env.SHIPSHAPE_FC_SEED ?? 20240611) },
    );
  });
});

describe('per-Dockerfile plans kept across compose edits', () => {
  const files = {
    'svc/Dockerfile': 'FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN apt-get update && apt-get install -y gcc\nRUN pip install -r requirements.txt\nCMD ["python", "app.py"]\n',
    'svc/requirements.txt': 'flask\n',
    'svc/app.py': 'print(1)\n',
    'compose.yaml': 'services:\n  api:\n    build: ./svc\n',
  };
  const rules = ['dockerfile/dependency-cache-order', 'dockerfile/multi-stage-build'];
  /** Each rule's findings: fixable or why not. */
  const outcome = async (ws: Workspace) => {
    const out: string[] = [];
    for (const id of rules) for (const f of await ruleById(id)!.detect({ ws, options: {} })) out.push(`${id} ${f.fixable === false ? f.notFixableReason : 'fixable'}`);
    return out;
  };

  it('are recomputed when a compose edit changes the build context or a file they read, and kept otherwise', async () => {
    const ws = Workspace.fromFiles(files);
    const inSvc = await outcome(ws);
    expect(inSvc).toEqual(['dockerfile/dependency-cache-order fixable', 'dockerfile/multi-stage-build fixable']);
    // An edit of the compose file that keeps the context: the same plans.
    ws.setText('compose.yaml', files['compose.yaml'] + '    healthcheck:\n      test: ["CMD", "true"]\n');
    expect(await outcome(ws)).toEqual(inSvc);
    // The repository root as the context: requirements.txt is not where the COPY takes it from.
    ws.setText('compose.yaml', 'services:\n  api:\n    build:\n      context: .\n      dockerfile: svc/Dockerfile\n');
    const atRoot = await outcome(ws);
    expect(atRoot).not.toEqual(inSvc);
    expect(atRoot).toEqual(await outcome(Workspace.fromFiles({ ...files, 'compose.yaml': ws.text('compose.yaml')! })));
    // A file the plan reads appears (requirements.txt at the root of the context): recomputed too.
    ws.createFile('requirements.txt', 'flask\n');
    const withReq = await outcome(ws);
    expect(withReq).not.toEqual(atRoot);
    expect(withReq).toEqual(await outcome(Workspace.fromFiles({ ...files, 'compose.yaml': ws.text('compose.yaml')!, 'requirements.txt': 'flask\n' })));
  });
});

describe('dockerfile/non-root-user plans kept across compose edits', () => {
  it('names the user after the service that builds the image, also after a compose edit renames it', async () => {
    const rule = ruleById('dockerfile/non-root-user')!;
    const ws = Workspace.fromFiles({
      'svc/Dockerfile': 'FROM python:3.12-slim\nWORKDIR /srv\nCOPY . .\nCMD ["python", "app.py"]\n',
      'svc/app.py': 'print(1)\n',
      'compose.yaml': 'services:\n  billing:\n    build: ./svc\n',
    });
    const fixText = async () => {
      const [f] = await rule.detect({ ws, options: {} });
      const edits = (await rule.fix!({ ...f!, id: 'x', rule: rule.id, severity: 'high', safety: 'review', line: 1, column: 1 } as never, { ws, options: {} })) ?? [];
      return edits.map((e) => ('text' in e ? e.text : '')).join('');
    };
    expect(await fixText()).toContain('useradd --system --gid billing --no-create-home billing');
    ws.setText('compose.yaml', 'services:\n  billing:\n    build: ./svc\n    restart: always\n');
    expect(await fixText()).toContain('useradd --system --gid billing --no-create-home billing');
    ws.setText('compose.yaml', 'services:\n  invoices:\n    build: ./svc\n');
    expect(await fixText()).toContain('useradd --system --gid invoices --no-create-home invoices');
  });
});

describe('shared per-text and per-instruction answers', () => {
  it('contexts with the same .dockerignore text share its matcher and still answer for their own files', () => {
    const ws = Workspace.fromFiles({
      'a/Dockerfile': 'FROM scratch\n', 'a/.dockerignore': '*.log\n!keep.log\n', 'a/x.log': '', 'a/keep.log': '', 'a/app.py': '',
      'b/Dockerfile': 'FROM scratch\n', 'b/.dockerignore': '*.log\n!keep.log\n', 'b/y.log': '', 'b/keep.log': '',
      'c/Dockerfile': 'FROM scratch\n', 'c/.dockerignore': 'app.py\n', 'c/app.py': '', 'c/x.log': '',
    });
    const a = new BuildContext(ws, 'a', 'a/Dockerfile');
    const b = new BuildContext(ws, 'b', 'b/Dockerfile');
    const c = new BuildContext(ws, 'c', 'c/Dockerfile');
    expect(['x.log', 'keep.log', 'app.py'].map((f) => a.has(f))).toEqual([false, true, true]);
    expect(['y.log', 'keep.log', 'x.log'].map((f) => b.has(f))).toEqual([false, true, false]);
    expect(['app.py', 'x.log'].map((f) => c.has(f))).toEqual([false, true]);
    expect(a.filesUnder('')).toEqual(['.dockerignore', 'Dockerfile', 'app.py', 'keep.log']);
  });

  it('scans a RUN once per instruction of a model; another model of the same text is scanned for itself', () => {
    const text = 'FROM python:3.12\nRUN pip install -r requirements.txt && pip install gunicorn\n';
    const m = parseDockerfile(text, 'shared/a/Dockerfile');
    const run = m.instructions[1]!;
    expect(runScript(m, run)).toBe(runScript(m, run));
    const other = parseDockerfile(text, 'shared/b/Dockerfile');
    expect(other).not.toBe(m);
    expect(runScript(other, other.instructions[1]!)).not.toBe(runScript(m, run));
    expect(runScript(other, other.instructions[1]!)!.commands.map((c) => c.words.map((w) => w.value))).toEqual(runScript(m, run)!.commands.map((c) => c.words.map((w) => w.value)));
    // Callers get their own list of installs.
    const first = installsOf(m, run);
    first.pop();
    expect(installsOf(m, run).map((i) => i.manifests)).toEqual([['requirements.txt']]);
  });
});

describe('heredoc check', () => {
  it('refuses an unterminated heredoc, also one whose << is split by a line continuation', () => {
    expect(() => parseDockerfile('FROM alpine\nRUN <<EOF\necho hi\n', 'heredoc-check/a')).toThrow('unterminated heredoc <<EOF');
    expect(() => parseDockerfile('FROM alpine\nRUN cat <<EOF > /x\nhi\n', 'heredoc-check/b')).toThrow('unterminated heredoc <<EOF');
    // `<\` + newline + `<EOF` is `<<EOF` to Docker: the check looks at any instruction with a `<`, not only `<<`.
    expect(() => parseDockerfile('FROM alpine\nRUN <\\\n<EOF\necho hi\n', 'heredoc-check/e')).toThrow('unterminated heredoc <<EOF');
    expect(parseDockerfile('FROM alpine\nRUN <<EOF\necho hi\nEOF\nCMD ["sh"]\n', 'heredoc-check/c').instructions.map((i) => i.keyword)).toEqual(['FROM', 'RUN', 'CMD']);
    // Instructions with no `<` have no heredoc to check.
    expect(parseDockerfile('FROM alpine\nRUN echo a \\\n  && echo b\n', 'heredoc-check/d').instructions[1]!.args).toBe('echo a && echo b');
  });
});
