// fast-check generators of small, realistic repositories for the fuzz suite (test/fuzz.test.ts):
// Dockerfiles, compose files and nginx configurations assembled from pieces seen in real projects,
// with random comments (full-line and trailing, where the format allows them), blank lines, line
// continuations, quoting styles, indentation and CRLF line endings.
//
// Every comment a generator writes carries a unique marker (`# zc<N> …`), so the suite can check
// that each comment of the input is still somewhere in the output.
import fc from 'fast-check';

export interface Repo {
  /** Path → content (with the line endings the file will have on disk). */
  files: Record<string, string>;
  /** The file the case is about (the others are supporting files). */
  main: string;
}

/** `# zc<N> text` comment markers (zg… in .gitignore, ze… in .env) in a text, each to the end of its line. */
export function commentsOf(text: string): string[] {
  return text.match(/#\s?z[a-z]\d+\b[^\r\n]*/g) ?? [];
}

// ---------------------------------------------------------------------------------------------
// Shared pieces

/** Comment texts that look like code of the file kinds, to catch transforms that read comments as code. */
const COMMENT_TEXTS = [
  'TODO tighten this',
  'see the runbook',
  "don't touch: pinned on purpose",
  'was 512M before the incident',
  'USER root',
  'CMD ["python", "app.py"]',
  'RUN pip install -r requirements.txt',
  'ports: "80:80"',
  'POSTGRES_PASSWORD: secret',
  '- DEBUG=1',
  'proxy_pass http://old-backend:9000;',
  'location /ws/ { }',
  '${SECRET_KEY:-changeme}',
  'unicode: éàü → ✓',
  '"double" and \'single\' quotes',
  'a && b || c',
  '',
];

interface Noise {
  /** Comment lines before the element. */
  before: number;
  blank: boolean;
  trailing: boolean;
  texts: string[];
}

const noise: fc.Arbitrary<Noise> = fc.record({
  before: fc.constantFrom(0, 0, 0, 1, 2),
  blank: fc.constantFrom(false, false, false, true),
  trailing: fc.constantFrom(false, false, true),
  texts: fc.array(fc.constantFrom(...COMMENT_TEXTS), { minLength: 3, maxLength: 3 }),
});

/** Builds a text line by line and numbers comments. */
class Out {
  private lines: string[] = [];
  private n = 0;

  constructor(private readonly marker = 'zc') {}

  comment(text: string): string {
    this.n++;
    return `# ${this.marker}${this.n}${text ? ' ' + text : ''}`;
  }

  line(s: string): void {
    this.lines.push(s);
  }

  /** Blank line and full-line comments (at an indentation) that go before an element. */
  lead(nz: Noise | undefined, indent = ''): void {
    if (!nz) return;
    if (nz.blank) this.lines.push('');
    for (let i = 0; i < nz.before; i++) this.lines.push(indent + this.comment(nz.texts[i] ?? ''));
  }

  /** A trailing comment for a line, when the noise asks for one. */
  tail(nz: Noise | undefined, sep = '  '): string {
    return nz?.trailing ? sep + this.comment(nz.texts[2] ?? '') : '';
  }

  text(crlf: boolean, finalNewline = true): string {
    const t = this.lines.join('\n') + (finalNewline ? '\n' : '');
    return crlf ? t.replace(/\n/g, '\r\n') : t;
  }
}

const lineEndings = fc.constantFrom(false, false, false, true); // CRLF one time in four

// ---------------------------------------------------------------------------------------------
// Dockerfiles

interface RunCmd {
  parts: string[];
  /** Split over lines with `\` continuations. */
  split: boolean;
  /** With split: a comment line inside the continuation (Docker allows it). */
  innerComment: boolean;
}

const aptRun: fc.Arbitrary<RunCmd> = fc.record({
  parts: fc.constantFrom(
    ['apt-get update', 'apt-get install -y --no-install-recommends build-essential curl', 'rm -rf /var/lib/apt/lists/*'],
    ['apt-get update', 'apt-get install -y gcc libpq-dev'],
    ['apt-get update', 'apt-get install -y --no-install-recommends curl', 'rm -rf /var/lib/apt/lists/*'],
  ),
  split: fc.boolean(),
  innerComment: fc.boolean(),
});

const pipRun: fc.Arbitrary<RunCmd> = fc.record({
  parts: fc.constantFrom(
    ['pip install --no-cache-dir -r requirements.txt'],
    ['pip install --upgrade pip', 'pip install --no-cache-dir -r requirements.txt'],
    ['pip install -r requirements.txt'],
  ),
  split: fc.boolean(),
  innerComment: fc.boolean(),
});

const npmRun: fc.Arbitrary<RunCmd> = fc.record({
  parts: fc.constantFrom(['npm ci'], ['npm ci', 'npm run build'], ['npm install']),
  split: fc.boolean(),
  innerComment: fc.boolean(),
});

interface DockerSpec {
  app: 'python' | 'node';
  argVersion: boolean;
  image: string;
  stageName: boolean;
  env: { form: 'eq' | 'quoted' | 'single' | 'legacy'; on: boolean };
  apt: RunCmd | null;
  workdir: boolean;
  copyOrder: 'manifest-first' | 'all-first' | 'all-only';
  install: RunCmd;
  expose: boolean;
  user: 'none' | 'useradd' | 'numeric';
  healthcheck: boolean;
  cmd: { form: 'exec' | 'shell'; server: number; reload: boolean };
  /** Instruction keywords in lower case (Docker accepts any case). */
  lowercase: boolean;
  /** node: a build stage whose output the final stage copies. */
  builder: boolean;
  /** python: pip's cache as a BuildKit cache mount. */
  cacheMount: boolean;
  /** The apt step as a heredoc (RUN <<EOF). */
  heredoc: boolean;
  /** An entrypoint script that ends with exec "$@". */
  entrypoint: boolean;
  /** Trailing blanks after some instructions. */
  trailingBlanks: boolean;
  /** Migrations at container start: chained before the server in CMD, or in the entrypoint script. */
  migrate: 'none' | 'cmd' | 'script';
  noise: Noise[];
  crlf: boolean;
  finalNewline: boolean;
}

const dockerSpec: fc.Arbitrary<DockerSpec> = fc.constantFrom<'python' | 'node'>('python', 'python', 'node').chain((app) =>
  fc.record({
    app: fc.constant(app),
    argVersion: fc.constantFrom(false, false, true),
    image:
      app === 'python'
        ? fc.constantFrom('python:3.12-slim', 'python:3.11-slim-bookworm', 'python:3.12', 'python:3.12-alpine')
        : fc.constantFrom('node:20-alpine', 'node:20-slim', 'node:22'),
    stageName: fc.boolean(),
    env: fc.record({ form: fc.constantFrom<'eq' | 'quoted' | 'single' | 'legacy'>('eq', 'quoted', 'single', 'legacy'), on: fc.boolean() }),
    apt: fc.option(aptRun, { freq: 2 }),
    workdir: fc.constantFrom(true, true, true, false),
    copyOrder: fc.constantFrom<'manifest-first' | 'all-first' | 'all-only'>('manifest-first', 'all-first', 'all-only'),
    install: app === 'python' ? pipRun : npmRun,
    expose: fc.boolean(),
    user: fc.constantFrom<'none' | 'useradd' | 'numeric'>('none', 'none', 'useradd', 'numeric'),
    healthcheck: fc.constantFrom(false, false, true),
    cmd: fc.record({ form: fc.constantFrom<'exec' | 'shell'>('exec', 'shell'), server: fc.nat({ max: 2 }), reload: fc.constantFrom(false, false, true) }),
    lowercase: fc.constantFrom(false, false, false, false, true),
    builder: app === 'node' ? fc.boolean() : fc.constant(false),
    cacheMount: app === 'python' ? fc.constantFrom(false, false, true) : fc.constant(false),
    heredoc: fc.constantFrom(false, false, false, true),
    entrypoint: fc.constantFrom(false, false, false, true),
    trailingBlanks: fc.constantFrom(false, false, true),
    migrate: fc.constantFrom<'none' | 'cmd' | 'script'>('none', 'none', 'cmd', 'script'),
    noise: fc.array(noise, { minLength: 16, maxLength: 16 }),
    crlf: lineEndings,
    finalNewline: fc.constantFrom(true, true, true, false),
  }),
);

function renderRun(o: Out, cmd: RunCmd, nz: Noise): void {
  if (!cmd.split || cmd.parts.length === 1) {
    o.line(`RUN ${cmd.parts.join(' && ')}`);
    return;
  }
  o.line(`RUN ${cmd.parts[0]} \\`);
  for (let i = 1; i < cmd.parts.length; i++) {
    if (cmd.innerComment && i === 1) o.line(`    ${o.comment(nz.texts[1] ?? '')}`);
    o.line(`    && ${cmd.parts[i]}${i < cmd.parts.length - 1 ? ' \\' : ''}`);
  }
}

function renderDockerfile(s: DockerSpec): string {
  const o = new Out();
  let k = 0;
  const nz = () => s.noise[k++ % s.noise.length]!;
  const py = s.app === 'python';
  const blank = s.trailingBlanks ? '  ' : '';
  let image = s.image;
  if (s.builder) {
    o.lead(nz());
    o.line(`FROM ${s.image.replace(/-alpine$|-slim$/, '')} AS build`);
    o.line(`WORKDIR /src${blank}`);
    o.line('COPY package*.json ./');
    o.line('RUN npm ci');
    o.line('COPY . .');
    o.lead(nz());
    o.line('RUN npm run build');
    o.line('');
  }
  if (s.argVersion) {
    const [name, tag] = image.split(':') as [string, string];
    const version = /^[\d.]+/.exec(tag)![0];
    o.lead(nz());
    o.line(`ARG ${py ? 'PYTHON' : 'NODE'}_VERSION=${version}`);
    image = `${name}:\${${py ? 'PYTHON' : 'NODE'}_VERSION}${tag.slice(version.length)}`;
  }
  o.lead(nz());
  o.line(`FROM ${image}${s.stageName ? ' AS app' : ''}`);
  if (s.env.on) {
    o.lead(nz());
    const [a, b] = py ? ['PYTHONDONTWRITEBYTECODE', 'PYTHONUNBUFFERED'] : ['NODE_ENV', 'PORT'];
    const [va, vb] = py ? ['1', '1'] : ['production', '3000'];
    if (s.env.form === 'legacy') o.line(`ENV ${a} ${va}`);
    else if (s.env.form === 'quoted') o.line(`ENV ${a}="${va}" ${b}="${vb}"`);
    else if (s.env.form === 'single') o.line(`ENV ${a}='${va}' \\\n    ${b}='${vb}'`);
    else o.line(`ENV ${a}=${va} ${b}=${vb}`);
  }
  if (s.apt && py) {
    const n = nz();
    o.lead(n);
    if (s.heredoc) {
      o.line('RUN <<EOF');
      o.line('set -e');
      for (const part of s.apt.parts) o.line(part);
      o.line('EOF');
    } else renderRun(o, s.apt, n);
  }
  if (s.workdir) {
    o.lead(nz());
    o.line(`WORKDIR /app${blank}`);
  }
  const manifest = py ? 'requirements.txt' : 'package*.json';
  const install = () => {
    const n = nz();
    o.lead(n);
    if (s.cacheMount) o.line(`RUN --mount=type=cache,target=/root/.cache/pip \\\n    ${s.install.parts.join(' \\\n    && ')}`);
    else renderRun(o, s.install, n);
  };
  const dest = s.workdir ? '.' : '/app/';
  if (s.copyOrder === 'manifest-first') {
    o.lead(nz());
    o.line(`COPY ${manifest} ${s.workdir ? './' : '/app/'}`);
    install();
    o.lead(nz());
    o.line(`COPY . ${dest}`);
  } else if (s.copyOrder === 'all-first') {
    o.lead(nz());
    o.line(`COPY . ${dest}`);
    install();
  } else {
    o.lead(nz());
    o.line(`COPY . ${dest}`);
    if (!s.workdir) o.line('WORKDIR /app');
    install();
  }
  if (s.builder) {
    o.lead(nz());
    o.line('COPY --from=build /src/dist ./dist');
  }
  if (s.expose) {
    o.lead(nz());
    o.line(`EXPOSE ${py ? 8000 : 3000}${blank}`);
  }
  if (s.entrypoint || s.migrate === 'script') {
    o.lead(nz());
    o.line('COPY docker-entrypoint.sh /usr/local/bin/');
    o.line('ENTRYPOINT ["docker-entrypoint.sh"]');
  }
  if (s.user === 'useradd') {
    o.lead(nz());
    o.line(s.image.includes('alpine') ? 'RUN addgroup -S app && adduser -S app -G app' : 'RUN useradd --create-home app');
    o.line('USER app');
  } else if (s.user === 'numeric') {
    o.lead(nz());
    o.line('USER 1000:1000');
  }
  if (s.healthcheck) {
    o.lead(nz());
    const port = py ? 8000 : 3000;
    o.line(`HEALTHCHECK --interval=30s --timeout=3s \\\n  CMD ${py ? `python -c "import urllib.request; urllib.request.urlopen('http://localhost:${port}/health')"` : `wget -qO- http://localhost:${port}/health || exit 1`}`);
  }
  o.lead(nz());
  const servers: string[][] = py
    ? [
        ['uvicorn', 'main:app', '--host', '0.0.0.0', '--port', '8000'],
        ['gunicorn', '-k', 'uvicorn.workers.UvicornWorker', '-b', '0.0.0.0:8000', 'main:app'],
        ['python', 'main.py'],
      ]
    : [['node', 'server.js'], ['npm', 'start'], ['npm', 'run', 'dev']];
  const argv = [...servers[s.cmd.server]!];
  if (s.cmd.reload && argv[0] === 'uvicorn') argv.push('--reload');
  if (s.migrate === 'cmd') {
    const chain = `${py ? 'alembic upgrade head' : 'npx prisma migrate deploy'} && ${argv.join(' ')}`;
    if (s.cmd.form === 'exec') o.line(`CMD ["sh", "-c", ${JSON.stringify(chain)}]`);
    else o.line(`CMD ${chain}`);
  } else if (s.cmd.form === 'exec') o.line(`CMD [${argv.map((a) => JSON.stringify(a)).join(', ')}]`);
  else o.line(`CMD ${argv.join(' ')}`);
  const text = o.text(false, s.finalNewline);
  const out = s.lowercase ? lowerKeywords(text) : text;
  return s.crlf ? out.replace(/\n/g, '\r\n') : out;
}

const KEYWORD = /^(FROM|RUN|COPY|WORKDIR|ENV|ARG|EXPOSE|USER|CMD|ENTRYPOINT|HEALTHCHECK)\b/;

/** Lower-case the keyword of every instruction (not of continuation, heredoc or comment lines). */
function lowerKeywords(text: string): string {
  let continued = false;
  let heredoc: string | undefined;
  return text
    .split('\n')
    .map((line) => {
      if (heredoc !== undefined) {
        if (line === heredoc) heredoc = undefined;
        return line;
      }
      const isComment = /^\s*#/.test(line);
      const out = !continued && !isComment ? line.replace(KEYWORD, (k) => k.toLowerCase()) : line;
      const h = /<<-?"?(\w+)"?\s*$/.exec(line);
      if (h && !isComment) heredoc = h[1];
      if (!isComment) continued = /\\\s*$/.test(line);
      return out;
    })
    .join('\n');
}

const PY_MAIN = [
  'import os',
  '',
  'from fastapi import FastAPI',
  '',
  'app = FastAPI()',
  '',
  '',
  '@app.get("/health")',
  'def health():',
  '    return {"status": "ok", "env": os.getenv("APP_ENV", "dev")}',
  '',
].join('\n');

const NODE_PACKAGE = JSON.stringify(
  { name: 'web', version: '1.0.0', private: true, scripts: { start: 'node server.js', dev: 'node --watch server.js', build: 'echo build' }, dependencies: {} },
  null,
  2,
) + '\n';

const ENTRYPOINT_SCRIPT = '#!/bin/sh\nset -e\n# wait for nothing, then run the command\nexec "$@"\n';
const MIGRATE_SCRIPT = (py: boolean) =>
  `#!/bin/sh\nset -e\n\n# Apply database migrations before starting.\n${py ? 'alembic upgrade head' : 'npx prisma migrate deploy'}\n\nexec "$@"\n`;
const ALEMBIC_INI = '[alembic]\nscript_location = alembic\n';

export const dockerRepo: fc.Arbitrary<Repo> = dockerSpec.map((s) => {
  const files: Record<string, string> = { Dockerfile: renderDockerfile(s) };
  if (s.migrate === 'script') files['docker-entrypoint.sh'] = MIGRATE_SCRIPT(s.app === 'python');
  else if (s.entrypoint) files['docker-entrypoint.sh'] = ENTRYPOINT_SCRIPT;
  if (s.migrate !== 'none' && s.app === 'python') {
    files['alembic.ini'] = ALEMBIC_INI;
    files['alembic/env.py'] = 'from alembic import context\n\nconfig = context.config\n';
  }
  if (s.migrate !== 'none' && s.app === 'node') files['prisma/schema.prisma'] = 'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n';
  if (s.app === 'python') {
    files['requirements.txt'] = `fastapi==0.111.0\nuvicorn[standard]==0.30.1\n${s.migrate !== 'none' ? 'alembic==1.13.1\n' : ''}`;
    files['main.py'] = PY_MAIN;
  } else {
    // No server.js: the TypeScript rules (ts-morph) would dominate the run time, and they have
    // their own tests; the Dockerfile's CMD may name a file that is not there.
    files['package.json'] = NODE_PACKAGE;
  }
  return { files, main: 'Dockerfile' };
});

// ---------------------------------------------------------------------------------------------
// Compose files

type Quote = 'plain' | 'double' | 'single';
const quoteArb = fc.constantFrom<Quote>('plain', 'double', 'single');

function q(v: string, style: Quote): string {
  if (style === 'double') return JSON.stringify(v);
  if (style === 'single') return `'${v.replace(/'/g, "''")}'`;
  return v;
}

interface ComposeSpec {
  indent: number;
  version: boolean;
  anchor: boolean;
  db: null | { image: string; envForm: 'map' | 'list'; password: string; quote: Quote; ports: 'none' | 'block' | 'flow' | 'long'; healthcheck: boolean };
  redis: null | { ports: boolean; command: boolean };
  app: {
    name: string;
    build: 'short' | 'long';
    command: 'none' | 'uvicorn' | 'gunicorn' | 'folded' | 'migrate';
    envFile: 'none' | 'present' | 'missing';
    reload: boolean;
    envForm: 'map' | 'list' | 'flow' | 'anchor';
    secret: boolean;
    quote: Quote;
    bindMount: boolean;
    dependsOn: 'none' | 'list' | 'map';
    limits: boolean;
  };
  /** A `---` document start marker. */
  docStart: boolean;
  /** A .gitignore (with comments) that does or does not ignore .env. */
  gitignore: 'none' | 'plain' | 'ignores-env';
  envNoise: Noise[];
  worker: boolean;
  proxy: boolean;
  volumes: 'none' | 'map' | 'null';
  noise: Noise[];
  crlf: boolean;
}

const composeSpec: fc.Arbitrary<ComposeSpec> = fc.record({
  indent: fc.constantFrom(2, 2, 4),
  version: fc.boolean(),
  anchor: fc.constantFrom(false, false, true),
  db: fc.option(
    fc.record({
      image: fc.constantFrom('postgres:16', 'postgres:16-alpine', 'postgres:15'),
      envForm: fc.constantFrom<'map' | 'list'>('map', 'list'),
      password: fc.constantFrom('postgres', 'changeme', 's3cr3t!', 'pa$$w0rd'),
      quote: quoteArb,
      ports: fc.constantFrom<'none' | 'block' | 'flow' | 'long'>('none', 'block', 'flow', 'long'),
      healthcheck: fc.boolean(),
    }),
    { freq: 4 },
  ),
  redis: fc.option(fc.record({ ports: fc.boolean(), command: fc.boolean() }), { freq: 2 }),
  app: fc.record({
    name: fc.constantFrom('app', 'api', 'backend', 'web'),
    build: fc.constantFrom<'short' | 'long'>('short', 'long'),
    command: fc.constantFrom<'none' | 'uvicorn' | 'gunicorn' | 'folded' | 'migrate'>('none', 'uvicorn', 'gunicorn', 'folded', 'migrate'),
    envFile: fc.constantFrom<'none' | 'present' | 'missing'>('none', 'none', 'present', 'missing'),
    reload: fc.boolean(),
    envForm: fc.constantFrom<'map' | 'list' | 'flow' | 'anchor'>('map', 'list', 'map', 'list', 'flow', 'anchor'),
    secret: fc.boolean(),
    quote: quoteArb,
    bindMount: fc.boolean(),
    dependsOn: fc.constantFrom<'none' | 'list' | 'map'>('none', 'list', 'map'),
    limits: fc.constantFrom(false, false, true),
  }),
  docStart: fc.constantFrom(false, false, false, true),
  gitignore: fc.constantFrom<'none' | 'plain' | 'ignores-env'>('none', 'plain', 'ignores-env'),
  envNoise: fc.array(noise, { minLength: 6, maxLength: 6 }),
  worker: fc.constantFrom(false, false, true),
  proxy: fc.constantFrom(false, false, true),
  volumes: fc.constantFrom<'none' | 'map' | 'null'>('none', 'map', 'null'),
  noise: fc.array(noise, { minLength: 40, maxLength: 40 }),
  crlf: lineEndings,
});

function renderCompose(s: ComposeSpec): string {
  const o = new Out();
  let k = 0;
  const nz = () => s.noise[k++ % s.noise.length]!;
  const I = (n: number) => ' '.repeat(s.indent * n);
  /** A `key: value` line (value already quoted), with leading comments and a trailing one. */
  const kvAt = (indent: string, key: string, value?: string) => {
    const n = nz();
    o.lead(n, indent);
    o.line(`${indent}${key}:${value !== undefined ? ' ' + value : ''}${o.tail(n)}`);
  };
  const kv = (level: number, key: string, value?: string) => kvAt(I(level), key, value);
  /** A `- item` line. */
  const item = (level: number, value: string) => {
    const n = nz();
    o.lead(n, I(level));
    o.line(`${I(level)}- ${value}${o.tail(n)}`);
  };
  if (s.docStart) o.line('---');
  if (s.version) kv(0, 'version', q('3.8', 'double'));
  if (s.anchor) {
    kv(0, 'x-common', '&common');
    kv(1, 'restart', 'unless-stopped');
    kv(1, 'logging');
    kv(2, 'driver', q('json-file', 'double'));
  }
  const dbUrl = s.db ? `postgresql://postgres:${s.db.password}@db:5432/app` : 'sqlite:///./app.db';
  if (s.app.envForm === 'anchor') {
    kv(0, 'x-app-env', '&app-env');
    kv(1, 'APP_ENV', q('production', s.app.quote));
    kv(1, 'DATABASE_URL', q(dbUrl, s.app.quote));
  }
  kv(0, 'services');
  if (s.db) {
    const d = s.db;
    kv(1, 'db');
    if (s.anchor) kv(2, '<<', '*common');
    kv(2, 'image', d.image);
    kv(2, 'environment');
    const env: [string, string][] = [
      ['POSTGRES_USER', 'postgres'],
      ['POSTGRES_PASSWORD', d.password],
      ['POSTGRES_DB', 'app'],
    ];
    for (const [n, v] of env) {
      if (d.envForm === 'map') kv(3, n, q(v, d.quote));
      else item(3, q(`${n}=${v}`, d.quote));
    }
    if (d.ports === 'block') {
      kv(2, 'ports');
      item(3, q('5432:5432', 'double'));
    } else if (d.ports === 'flow') kv(2, 'ports', '["5432:5432"]');
    else if (d.ports === 'long') {
      kv(2, 'ports');
      item(3, 'target: 5432');
      kvAt(I(3) + '  ', 'published', '5432');
    }
    kv(2, 'volumes');
    item(3, 'pgdata:/var/lib/postgresql/data');
    if (d.healthcheck) {
      kv(2, 'healthcheck');
      kv(3, 'test', '["CMD-SHELL", "pg_isready -U postgres"]');
      kv(3, 'interval', '5s');
    }
  }
  if (s.redis) {
    kv(1, 'redis');
    kv(2, 'image', 'redis:7-alpine');
    if (s.redis.command) kv(2, 'command', 'redis-server --appendonly yes');
    if (s.redis.ports) {
      kv(2, 'ports');
      item(3, q('6379:6379', 'double'));
    }
  }
  const a = s.app;
  kv(1, a.name);
  if (s.anchor) kv(2, '<<', '*common');
  if (a.build === 'short') kv(2, 'build', '.');
  else {
    kv(2, 'build');
    kv(3, 'context', '.');
    kv(3, 'dockerfile', 'Dockerfile');
  }
  if (a.command === 'uvicorn') kv(2, 'command', `uvicorn main:app --host 0.0.0.0 --port 8000${a.reload ? ' --reload' : ''}`);
  else if (a.command === 'gunicorn') kv(2, 'command', q('gunicorn -k uvicorn.workers.UvicornWorker -b 0.0.0.0:8000 main:app', 'double'));
  else if (a.command === 'migrate') kv(2, 'command', `sh -c "alembic upgrade head && uvicorn main:app --host 0.0.0.0 --port 8000${a.reload ? ' --reload' : ''}"`);
  else if (a.command === 'folded') {
    kv(2, 'command', '>-');
    o.line(`${I(3)}uvicorn main:app${a.reload ? ' --reload' : ''}`);
    o.line(`${I(3)}--host 0.0.0.0 --port 8000`);
  }
  kv(2, 'ports');
  item(3, q('8000:8000', 'double'));
  if (a.envFile !== 'none') kv(2, 'env_file', '.env');
  const env: [string, string][] = a.envForm === 'anchor' ? [] : [['DATABASE_URL', dbUrl], ['APP_ENV', 'production']];
  if (a.secret) env.push(['SECRET_KEY', 'dev-secret-key-123']);
  if (a.reload) env.push(['DEBUG', '1']);
  if (a.envForm === 'flow') kv(2, 'environment', `{ ${env.map(([n, v]) => `${n}: ${q(v, a.quote === 'plain' ? 'double' : a.quote)}`).join(', ')} }`);
  else {
    kv(2, 'environment');
    if (a.envForm === 'anchor') kv(3, '<<', '*app-env');
    for (const [n, v] of env) {
      if (a.envForm === 'list') item(3, q(`${n}=${v}`, a.quote));
      else kv(3, n, q(v, a.quote));
    }
  }
  if (a.bindMount) {
    kv(2, 'volumes');
    item(3, './app:/app/app');
  }
  const deps = [s.db ? 'db' : '', s.redis ? 'redis' : ''].filter(Boolean);
  if (deps.length && a.dependsOn === 'list') {
    kv(2, 'depends_on');
    for (const d of deps) item(3, d);
  } else if (deps.length && a.dependsOn === 'map') {
    kv(2, 'depends_on');
    for (const d of deps) {
      kv(3, d);
      kv(4, 'condition', 'service_started');
    }
  }
  if (a.limits) {
    kv(2, 'deploy');
    kv(3, 'resources');
    kv(4, 'limits');
    kv(5, 'memory', '512M');
  }
  if (s.worker) {
    kv(1, 'worker');
    kv(2, 'build', '.');
    kv(2, 'command', 'celery -A main worker --loglevel=info');
    if (a.envForm === 'anchor') kv(2, 'environment', '*app-env');
    else {
      kv(2, 'environment');
      if (a.envForm === 'list') item(3, q(`DATABASE_URL=${dbUrl}`, a.quote));
      else kv(3, 'DATABASE_URL', q(dbUrl, a.quote));
    }
  }
  if (s.proxy) {
    kv(1, 'nginx');
    kv(2, 'image', 'nginx:1.27-alpine');
    kv(2, 'ports');
    item(3, q('80:80', 'double'));
    kv(2, 'depends_on');
    item(3, a.name);
  }
  if (s.db && s.volumes !== 'none') {
    kv(0, 'volumes');
    kv(1, 'pgdata', s.volumes === 'map' ? '{}' : undefined);
  }
  return o.text(s.crlf);
}

function supportFile(marker: string, lines: string[], nzs: Noise[], crlf: boolean): string {
  const o = new Out(marker);
  lines.forEach((l, i) => {
    const n = nzs[i % nzs.length]!;
    o.lead(n);
    o.line(l);
  });
  return o.text(crlf);
}

export const composeRepo: fc.Arbitrary<Repo> = composeSpec.map((s) => {
  const files: Record<string, string> = {
    'docker-compose.yml': renderCompose(s),
    Dockerfile: 'FROM python:3.12-slim\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\nUSER 1000\nCMD ["uvicorn", "main:app", "--host", "0.0.0.0", "--port", "8000"]\n',
    'requirements.txt': `fastapi==0.111.0\nuvicorn[standard]==0.30.1\n${s.app.command === 'migrate' ? 'alembic==1.13.1\n' : ''}`,
    'main.py': PY_MAIN,
  };
  if (s.app.command === 'migrate') files['alembic.ini'] = ALEMBIC_INI;
  if (s.app.envFile === 'present') files['.env'] = supportFile('ze', ['APP_ENV=development', 'SECRET_KEY=local-dev-only'], s.envNoise, s.crlf);
  if (s.gitignore !== 'none') {
    const lines = ['__pycache__/', '*.pyc', ...(s.gitignore === 'ignores-env' ? ['.env'] : []), 'node_modules/'];
    files['.gitignore'] = supportFile('zg', lines, s.envNoise.slice().reverse(), false);
  }
  return { files, main: 'docker-compose.yml' };
});

// ---------------------------------------------------------------------------------------------
// nginx configurations

interface NginxSpec {
  full: boolean;
  indent: string;
  upstream: boolean;
  map: boolean;
  serverName: boolean;
  bodySize: boolean;
  wsPath: string;
  wsHeaders: { version: boolean; upgrade: boolean; connection: 'none' | 'double' | 'single' | 'plain' | 'map'; timeout: boolean };
  api: boolean;
  static: boolean;
  trailingSlash: boolean;
  /** Trailing comments right after ";" (nginx needs no space before "#"). */
  tight: boolean;
  health: boolean;
  cors: boolean;
  tls: boolean;
  include: boolean;
  noise: Noise[];
  crlf: boolean;
  backend: boolean;
}

const nginxSpec: fc.Arbitrary<NginxSpec> = fc.record({
  full: fc.boolean(),
  indent: fc.constantFrom('    ', '  ', '\t'),
  upstream: fc.boolean(),
  map: fc.constantFrom(false, false, true),
  serverName: fc.boolean(),
  bodySize: fc.boolean(),
  wsPath: fc.constantFrom('/ws/', '/ws', '/socket.io/', '/api/ws/', '/websocket', '~ ^/ws/', '^~ /ws/', '~* /socket\\.io/'),
  wsHeaders: fc.record({
    version: fc.boolean(),
    upgrade: fc.boolean(),
    connection: fc.constantFrom<'none' | 'double' | 'single' | 'plain' | 'map'>('none', 'double', 'single', 'plain', 'map'),
    timeout: fc.boolean(),
  }),
  api: fc.boolean(),
  static: fc.boolean(),
  trailingSlash: fc.boolean(),
  tight: fc.constantFrom(false, false, true),
  health: fc.boolean(),
  cors: fc.constantFrom(false, false, true),
  tls: fc.constantFrom(false, false, true),
  include: fc.boolean(),
  noise: fc.array(noise, { minLength: 30, maxLength: 30 }),
  crlf: lineEndings,
  backend: fc.constantFrom(false, false, true),
});

function renderNginx(s: NginxSpec): string {
  const o = new Out();
  let k = 0;
  const nz = () => s.noise[k++ % s.noise.length]!;
  let depth = 0;
  const I = () => s.indent.repeat(depth);
  const d = (text: string) => {
    const n = nz();
    o.lead(n, I());
    o.line(`${I()}${text};${o.tail(n, s.tight ? '' : '  ')}`);
  };
  const open = (text: string) => {
    const n = nz();
    o.lead(n, I());
    o.line(`${I()}${text} {${o.tail(n, ' ')}`);
    depth++;
  };
  const close = () => {
    depth--;
    const n = nz();
    o.line(`${I()}}${o.tail(n)}`);
  };
  if (s.full) {
    d('user  nginx');
    d('worker_processes  auto');
    open('events');
    d('worker_connections  1024');
    close();
    open('http');
    d('include       /etc/nginx/mime.types');
    d('sendfile        on');
  }
  const useMap = s.map || s.wsHeaders.connection === 'map';
  if (useMap) {
    open('map $http_upgrade $connection_upgrade');
    d('default upgrade');
    d("''      close");
    close();
  }
  const target = s.upstream ? 'http://backend_upstream' : 'http://backend:8000';
  if (s.upstream) {
    open('upstream backend_upstream');
    d('server backend:8000');
    close();
  }
  open('server');
  d('listen 80');
  if (s.tls) {
    d('listen 443 ssl');
    d('ssl_certificate     /etc/nginx/certs/fullchain.pem');
    d('ssl_certificate_key /etc/nginx/certs/privkey.pem');
  }
  if (s.serverName) d('server_name example.com www.example.com');
  if (s.bodySize) d('client_max_body_size 10m');
  if (s.health) {
    open('location = /health');
    d('access_log off');
    d('return 200 "ok\\n"');
    close();
  }
  if (s.static) {
    open('location /');
    d('root /usr/share/nginx/html');
    d('try_files $uri $uri/ /index.html');
    close();
  } else {
    open('location /');
    d(`proxy_pass ${target}`);
    d('proxy_set_header Host $host');
    close();
  }
  if (s.api) {
    open('location /api/');
    d(`proxy_pass ${target}${s.trailingSlash ? '/' : ''}`);
    d('proxy_set_header Host $host');
    d('proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for');
    if (s.include) d('include /etc/nginx/proxy_params');
    if (s.cors) {
      open('if ($request_method = OPTIONS)');
      d("add_header Access-Control-Allow-Origin '*'");
      d('return 204');
      close();
    }
    close();
  }
  open(`location ${s.wsPath}`);
  d(`proxy_pass ${target}`);
  const h = s.wsHeaders;
  if (h.version) d('proxy_http_version 1.1');
  if (h.upgrade) d('proxy_set_header Upgrade $http_upgrade');
  if (h.connection === 'double') d('proxy_set_header Connection "upgrade"');
  else if (h.connection === 'single') d("proxy_set_header Connection 'upgrade'");
  else if (h.connection === 'plain') d('proxy_set_header Connection upgrade');
  else if (h.connection === 'map') d('proxy_set_header Connection $connection_upgrade');
  if (h.timeout) d('proxy_read_timeout 3600s');
  close();
  close();
  if (s.full) close();
  return o.text(s.crlf);
}

const WS_BACKEND = [
  'from fastapi import FastAPI, WebSocket',
  '',
  'app = FastAPI()',
  '',
  '',
  '@app.websocket("/ws/progress")',
  'async def progress(ws: WebSocket):',
  '    await ws.accept()',
  '    await ws.send_text("hello")',
  '',
].join('\n');

export const nginxRepo: fc.Arbitrary<Repo> = nginxSpec.map((s) => {
  const main = s.full ? 'nginx/nginx.conf' : 'nginx/conf.d/default.conf';
  const files: Record<string, string> = { [main]: renderNginx(s) };
  if (s.backend) {
    files['backend/main.py'] = WS_BACKEND;
    files['backend/requirements.txt'] = 'fastapi==0.111.0\n';
    files['docker-compose.yml'] =
      'services:\n  backend:\n    build: ./backend\n  nginx:\n    image: nginx:1.27-alpine\n    ports:\n      - "80:80"\n    volumes:\n      - ./nginx/conf.d:/etc/nginx/conf.d:ro\n';
  }
  return { files, main };
});

// ---------------------------------------------------------------------------------------------
// Bytes around the text: a UTF-8 BOM, or a file whose line endings are mixed (a few CRLF lines in
// an LF file, as editors on different systems leave them). Applied to the main file, rarely.

const envelope = fc.record({
  bom: fc.constantFrom(false, false, false, false, false, false, false, true),
  mixed: fc.constantFrom(false, false, false, false, false, false, true),
});

function wrap(arb: fc.Arbitrary<Repo>): fc.Arbitrary<Repo> {
  return fc.tuple(arb, envelope).map(([repo, env]) => {
    let text = repo.files[repo.main]!;
    if (env.mixed && !text.includes('\r\n')) {
      let i = 0;
      text = text.replace(/\n/g, () => (i++ % 3 === 1 ? '\r\n' : '\n'));
    }
    if (env.bom) text = '\ufeff' + text;
    return { ...repo, files: { ...repo.files, [repo.main]: text } };
  });
}

export const dockerCase = wrap(dockerRepo);
export const composeCase = wrap(composeRepo);
export const nginxCase = wrap(nginxRepo);
