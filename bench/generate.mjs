#!/usr/bin/env node
// Deterministic synthetic monorepo for the benchmark (issue 9): N services, each with a Dockerfile
// (Python or Node, Debian or Alpine, single- or multi-stage, root or not), a compose file per 10
// services, nginx confs, Python settings modules and app code reading env vars, TypeScript sources
// reading process.env, 20,000 unrelated source files, git-ignored build output and node_modules
// trees that must be skipped. Findings of every rule occur in it.
//
//   node bench/generate.mjs [N] [--out DIR] [--force]
//
// Default DIR: bench/.work/mono-<N>. The same N always gives the same bytes; a stamp file records
// the generator's hash and N, so an up-to-date tree is not written again.
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const UNRELATED_FILES = 20_000;
const STAMP = '.bench-stamp';

/** Small deterministic PRNG (mulberry32). */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pad = (n, w = 4) => String(n).padStart(w, '0');
const WORDS = ['orders', 'billing', 'users', 'search', 'catalog', 'media', 'reports', 'notify', 'auth', 'inventory', 'pricing', 'shipping', 'reviews', 'ledger', 'audit', 'gateway'];

/** What a service looks like: every variant is a pure function of its index. */
export function serviceSpec(i) {
  const r = rng(1000 + i);
  const lang = i % 3 === 2 ? 'node' : 'python';
  const alpine = i % 4 === 1 || i % 4 === 2;
  return {
    i,
    name: `svc-${pad(i)}`,
    word: WORDS[i % WORDS.length],
    lang,
    alpine,
    multiStage: i % 7 === 3, // already a builder/runtime split
    nonRoot: i % 5 === 0, // already has USER
    toolchain: i % 2 === 0, // build-essential/libpq-dev (python) or python3/make/g++ (node) in the image
    copyAllFirst: i % 3 !== 1, // COPY . . before the dependency install
    shellCmd: i % 6 === 0, // CMD in shell form / sh -c chain
    migrateInCmd: lang === 'python' && i % 8 === 0, // alembic upgrade head && uvicorn in CMD
    devServer: i % 9 === 4, // uvicorn --reload / nodemon in the image
    cors: lang === 'python' && i % 4 === 0,
    weakSecret: lang === 'python' && i % 2 === 1,
    pydantic: lang === 'python' && i % 5 === 2, // has a Settings class; stray os.getenv reads remain
    undeclared: lang === 'python' && i % 6 === 1, // imports a package its requirements lack
    dotenv: i % 4 === 3, // a .env that no .gitignore covers
    dockerignore: i % 3 === 0,
    port: lang === 'python' ? 8000 : 3000,
    extraModules: 2 + Math.floor(r() * 4),
  };
}

// ---------------------------------------------------------------- services

function pythonDockerfile(s) {
  const base = s.alpine ? 'python:3.12-alpine' : 'python:3.12-slim';
  const L = [`# ${s.name}: ${s.word} API (Python)`, ''];
  const install = s.alpine
    ? 'RUN apk add --no-cache build-base postgresql-dev'
    : 'RUN apt-get update && apt-get install -y --no-install-recommends \\\n    build-essential \\\n    libpq-dev \\\n    && rm -rf /var/lib/apt/lists/*';
  let cmd;
  if (s.migrateInCmd) cmd = `CMD ["sh", "-c", "alembic upgrade head && uvicorn app.main:app --host 0.0.0.0 --port ${s.port}"]`;
  else if (s.devServer) cmd = `CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "${s.port}", "--reload"]`;
  else if (s.shellCmd) cmd = `CMD uvicorn app.main:app --host 0.0.0.0 --port ${s.port}`;
  else cmd = `CMD ["gunicorn", "-k", "uvicorn.workers.UvicornWorker", "-b", "0.0.0.0:${s.port}", "app.main:app"]`;
  if (s.multiStage) {
    L.push(`FROM ${base} AS builder`, 'WORKDIR /build', s.alpine ? 'RUN apk add --no-cache build-base postgresql-dev' : 'RUN apt-get update && apt-get install -y --no-install-recommends build-essential libpq-dev && rm -rf /var/lib/apt/lists/*');
    L.push('COPY requirements.txt .', 'RUN pip wheel --no-cache-dir --wheel-dir /wheels -r requirements.txt', '');
    L.push(`FROM ${base}`, 'ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1', 'WORKDIR /app');
    L.push('COPY --from=builder /wheels /wheels', 'RUN pip install --no-cache-dir /wheels/* && rm -rf /wheels');
    L.push('COPY . .');
  } else {
    L.push(`FROM ${base}`, '', '# No .pyc files; logs straight to stdout', 'ENV PYTHONDONTWRITEBYTECODE=1 \\\n    PYTHONUNBUFFERED=1', '');
    if (s.toolchain) L.push('# Compiler and headers for psycopg2', install, '');
    L.push('WORKDIR /app', '');
    if (s.copyAllFirst) L.push('# Everything, then the dependencies', 'COPY . .', 'RUN pip install --no-cache-dir -r requirements.txt');
    else L.push('COPY requirements.txt .', 'RUN pip install --no-cache-dir -r requirements.txt', 'COPY . .');
    L.push('');
  }
  if (s.nonRoot) {
    L.push(s.alpine ? 'RUN adduser -D -H app' : 'RUN useradd --create-home --uid 10001 app', 'USER app');
  }
  L.push(`EXPOSE ${s.port}`, cmd, '');
  return L.join('\n');
}

function nodeDockerfile(s) {
  const base = s.alpine ? 'node:20-alpine' : 'node:20-bookworm-slim';
  const L = [`# ${s.name}: ${s.word} service (Node)`];
  let cmd;
  if (s.devServer) cmd = 'CMD ["npx", "nodemon", "dist/server.js"]';
  else if (s.shellCmd) cmd = 'CMD npm start';
  else cmd = 'CMD ["node", "dist/server.js"]';
  if (s.multiStage) {
    L.push(`FROM ${base} AS build`, 'WORKDIR /app', 'COPY package.json package-lock.json ./', 'RUN npm ci', 'COPY . .', 'RUN npm run build', '');
    L.push(`FROM ${base}`, 'ENV NODE_ENV=production', 'WORKDIR /app', 'COPY package.json package-lock.json ./', 'RUN npm ci --omit=dev');
    L.push('COPY --from=build /app/dist ./dist');
  } else {
    L.push(`FROM ${base}`, 'ENV NODE_ENV=production');
    if (s.toolchain) L.push(s.alpine ? 'RUN apk add --no-cache python3 make g++' : 'RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*');
    L.push('WORKDIR /app');
    if (s.copyAllFirst) L.push('COPY . .', 'RUN npm ci', 'RUN npm run build');
    else L.push('COPY package.json package-lock.json ./', 'RUN npm ci', 'COPY . .', 'RUN npm run build');
  }
  if (s.nonRoot) L.push('USER node');
  L.push(`EXPOSE ${s.port}`, cmd, '');
  return L.join('\n');
}

function pythonFiles(s) {
  const f = {};
  const reqs = ['# Web framework', 'fastapi==0.115.6', 'uvicorn[standard]==0.34.0', 'gunicorn==23.0.0', '# Database', 'sqlalchemy==2.0.36', 'psycopg2==2.9.10', 'alembic==1.14.0'];
  if (s.pydantic) reqs.push('pydantic==2.10.4', 'pydantic-settings==2.7.0');
  f['requirements.txt'] = reqs.join('\n') + '\n';
  f['app/__init__.py'] = `"""${s.word} service."""\n`;
  const secret = s.weakSecret ? '"changeme"' : '""';
  if (s.pydantic) {
    f['app/core/__init__.py'] = '';
    f['app/core/config.py'] = [
      '"""Settings: every variable the service reads, validated at startup."""',
      'from pydantic import SecretStr',
      'from pydantic_settings import BaseSettings, SettingsConfigDict',
      '',
      '',
      'class Settings(BaseSettings):',
      '    model_config = SettingsConfigDict(extra="ignore")',
      '',
      '    DATABASE_URL: str',
      '    SECRET_KEY: SecretStr',
      '    PAGE_SIZE: int = 50',
      '    SMTP_HOST: str = "localhost"',
      '',
      '',
      'settings = Settings()',
      '',
    ].join('\n');
    f['app/config.py'] = [
      `"""${s.word}: settings re-exported for older modules."""`,
      'import os',
      '',
      'from app.core.config import settings',
      '',
      'DATABASE_URL = settings.DATABASE_URL',
      '# read straight from the environment although Settings declares it',
      'PAGE_SIZE = int(os.getenv("PAGE_SIZE", "50"))',
      'SMTP_HOST = os.environ.get("SMTP_HOST", "localhost")',
      '',
    ].join('\n');
  } else {
    f['app/config.py'] = [
      `"""${s.word} configuration, read from the environment."""`,
      'import os',
      '',
      '# Database connection string (SQLAlchemy URL)',
      `DATABASE_URL = os.getenv("DATABASE_URL", "postgresql://app:app@localhost:5432/${s.word}")`,
      '# Signing key for session tokens',
      `SECRET_KEY = os.getenv("SECRET_KEY", ${secret})`,
      '# "1" or "true" turns debug mode on',
      'DEBUG = os.getenv("DEBUG", "false").lower() in ("1", "true")',
      '# Page size for list endpoints',
      'PAGE_SIZE = int(os.getenv("PAGE_SIZE", "50"))  # items per page',
      '',
    ].join('\n');
  }
  const main = [
    `"""${s.word} API."""`,
    ...(s.undeclared ? ['import requests', 'import yaml', ''] : []),
    'from fastapi import FastAPI',
    ...(s.cors ? ['from fastapi.middleware.cors import CORSMiddleware'] : []),
    '',
    'from app.config import DATABASE_URL, PAGE_SIZE',
    '',
    `app = FastAPI(title="${s.name}")`,
    '',
  ];
  if (s.cors) {
    main.push('# Let the browser app call us from anywhere (for now)', 'app.add_middleware(', '    CORSMiddleware,', '    allow_origins=["*"],  # TODO: restrict', '    allow_methods=["*"],', '    allow_headers=["*"],', ')', '', '');
  }
  main.push('@app.get("/health")', 'def health() -> dict:', '    return {"status": "ok"}', '', '');
  main.push(`@app.get("/${s.word}")`, `def list_${s.word}() -> dict:`, '    return {"page_size": PAGE_SIZE, "db": DATABASE_URL.split("@")[-1]}', '');
  if (s.undeclared) main.push('', 'def fetch(url: str) -> dict:', '    return yaml.safe_load(requests.get(url, timeout=5).text)', '');
  f['app/main.py'] = main.join('\n');
  for (let m = 0; m < s.extraModules; m++) {
    f[`app/${s.word}_${m}.py`] = [
      `"""${s.word}: helpers part ${m}."""`,
      'from dataclasses import dataclass',
      '',
      '',
      '@dataclass',
      `class Record${m}:`,
      '    id: int',
      '    name: str',
      '',
      '    def label(self) -> str:',
      `        return f"${s.word}-{self.id}: {self.name}"`,
      '',
      '',
      `def total_${m}(items: list[Record${m}]) -> int:`,
      '    return sum(item.id for item in items)',
      '',
    ].join('\n');
  }
  if (s.migrateInCmd) {
    f['alembic.ini'] = '[alembic]\nscript_location = alembic\n';
    f['alembic/env.py'] = '"""Alembic environment."""\nfrom alembic import context\n\ncontext.configure(url=None)\n';
    f['alembic/versions/0001_init.py'] = `"""init ${s.word}"""\nrevision = "0001"\ndown_revision = None\n\n\ndef upgrade() -> None:\n    pass\n\n\ndef downgrade() -> None:\n    pass\n`;
  }
  f['tests/test_health.py'] = 'from fastapi.testclient import TestClient\n\nfrom app.main import app\n\n\ndef test_health() -> None:\n    assert TestClient(app).get("/health").json() == {"status": "ok"}\n';
  return f;
}

function nodeFiles(s) {
  const f = {};
  f['package.json'] = JSON.stringify(
    {
      name: `@mono/${s.name}`,
      version: '1.0.0',
      private: true,
      type: 'module',
      scripts: { build: 'tsc', start: 'node dist/server.js', dev: 'nodemon src/server.ts' },
      dependencies: { express: '^4.19.2', pg: '^8.11.5' },
      devDependencies: { '@types/express': '^4.17.21', '@types/node': '^20.12.7', nodemon: '^3.1.0', typescript: '^5.4.5' },
    },
    null,
    2,
  ) + '\n';
  f['package-lock.json'] = JSON.stringify({ name: `@mono/${s.name}`, version: '1.0.0', lockfileVersion: 3, requires: true, packages: {} }, null, 2) + '\n';
  f['tsconfig.json'] = JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', rootDir: 'src', outDir: 'dist', strict: true } }, null, 2) + '\n';
  f['src/db.ts'] = [
    "import pg from 'pg';",
    '',
    'export const pool = new pg.Pool({',
    '  connectionString: process.env.DATABASE_URL,',
    "  max: parseInt(process.env.DB_POOL_SIZE || '10', 10),",
    '});',
    '',
  ].join('\n');
  f['src/server.ts'] = [
    "import express from 'express';",
    "import { pool } from './db.js';",
    '',
    'const app = express();',
    'app.use(express.json());',
    '',
    "app.get('/health', (_req, res) => {",
    '  res.json({ ok: true });',
    '});',
    '',
    `app.get('/${s.word}', async (_req, res) => {`,
    `  const { rows } = await pool.query('select id, name from ${s.word} limit 50');`,
    '  res.json(rows);',
    '});',
    '',
    `const port = Number(process.env.PORT ?? ${s.port});`,
    'app.listen(port, () => {',
    `  console.log(\`${s.name} listening on \${port}\`);`,
    '});',
    '',
  ].join('\n');
  f['src/auth.ts'] = [
    "import type { NextFunction, Request, Response } from 'express';",
    '',
    "const token = process.env.API_TOKEN || 'dev-token';",
    '',
    'export function requireToken(req: Request, res: Response, next: NextFunction) {',
    "  if (req.headers.authorization !== `Bearer ${token}`) return res.status(401).end();",
    '  next();',
    '}',
    '',
  ].join('\n');
  for (let m = 0; m < s.extraModules; m++) {
    f[`src/${s.word}-${m}.ts`] = [
      `export interface Item${m} {`,
      '  id: number;',
      '  name: string;',
      '}',
      '',
      `export function label${m}(item: Item${m}): string {`,
      `  return \`${s.word}-\${item.id}: \${item.name}\`;`,
      '}',
      '',
    ].join('\n');
  }
  // Build output and dependencies: git-ignored / skipped, and full of things rules would flag.
  f['dist/server.js'] = "const port = Number(process.env.PORT ?? 3000);\nconsole.log(process.env.SECRET);\n";
  for (let m = 0; m < 20; m++) {
    f[`node_modules/dep-${m}/package.json`] = JSON.stringify({ name: `dep-${m}`, version: '1.0.0', main: 'index.js' }) + '\n';
    f[`node_modules/dep-${m}/index.js`] = `module.exports = process.env.DEP_${m} || 'x';\n`;
  }
  return f;
}

function serviceFiles(s) {
  const f = s.lang === 'python' ? pythonFiles(s) : nodeFiles(s);
  f['Dockerfile'] = s.lang === 'python' ? pythonDockerfile(s) : nodeDockerfile(s);
  f['README.md'] = `# ${s.name}\n\nThe ${s.word} service.\n`;
  if (s.dotenv) f['.env'] = `# local settings\nSECRET_KEY=dev-only-${s.i}\nDATABASE_URL=postgresql://app:app@localhost:5432/${s.word}\n`;
  if (s.dockerignore) f['.dockerignore'] = s.lang === 'python' ? '.git\n__pycache__/\n*.pyc\n.env\n' : '.git\nnode_modules\ndist\n.env\n';
  if (s.lang === 'python') f['__pycache__/stale.cpython-312.pyc.txt'] = 'ignored by .gitignore\n';
  return f;
}

// ---------------------------------------------------------------- compose stacks and nginx

function stackFiles(k, specs) {
  const f = {};
  const withProxy = k % 2 === 0;
  const L = [`# stack ${pad(k, 3)}: ${specs.length} services, their database and cache`, 'services:'];
  specs.forEach((s, j) => {
    const host = 8000 + j;
    L.push(`  # ${s.word} (${s.lang})`, `  ${s.name}:`, `    build: ../../services/${s.name}  # context: the service directory`);
    if (j === 0 && s.lang === 'python') L.push(`    command: uvicorn app.main:app --host 0.0.0.0 --port ${s.port} --reload`);
    L.push('    environment:');
    L.push(`      DATABASE_URL: postgresql://app:stack-${k}-password@db:5432/${s.word}`);
    if (j === 1) L.push(`      SECRET_KEY: hardcoded-secret-${k}`);
    L.push(`      PORT: "${s.port}"`);
    if (j === 0 && s.lang === 'python') L.push('    volumes:', `      - ../../services/${s.name}/app:/app/app  # live code`);
    L.push('    depends_on:', '      - db', '      - cache');
    if (!withProxy || j === 0) L.push('    ports:', `      - "${host}:${s.port}"`);
    L.push('');
  });
  L.push('  # PostgreSQL', '  db:', '    image: postgres:16', '    environment:', '      POSTGRES_USER: app', `      POSTGRES_PASSWORD: stack-${k}-password`, '    volumes:', '      - db-data:/var/lib/postgresql/data', '    ports:', '      - "5432:5432"', '');
  L.push('  cache:', '    image: redis:7-alpine', '    ports:', '      - "6379:6379"', '');
  if (withProxy) {
    L.push('  proxy:', '    image: nginx:1.27-alpine', '    ports:', '      - "80:80"', '    volumes:', '      - ./nginx/default.conf:/etc/nginx/conf.d/default.conf:ro', '    depends_on:');
    for (const s of specs) L.push(`      - ${s.name}`);
    L.push('');
  }
  L.push('volumes:', '  db-data: {}', '');
  f['docker-compose.yml'] = L.join('\n');
  if (withProxy) {
    const N = ['# stack ' + pad(k, 3) + ': nginx in front of the services', ''];
    for (const s of specs) N.push(`upstream ${s.name} {`, `    server ${s.name}:${s.port};`, '}', '');
    N.push('server {', '    listen 80;', '    server_name _;', '');
    for (const s of specs) {
      N.push(`    location /${s.name}/ {`, `        proxy_pass http://${s.name}/;`, '        proxy_set_header Host $host;', '        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;', '    }', '');
    }
    N.push('    # live updates (WebSocket)', '    location /ws/ {', `        proxy_pass http://${specs[0].name};`, '        proxy_set_header Host $host;', '    }', '}', '');
    f['nginx/default.conf'] = N.join('\n');
  }
  return f;
}

// ---------------------------------------------------------------- unrelated files

const OTHER = [
  ['go', (n, w) => `package ${w}\n\n// Sum${n} adds.\nfunc Sum${n}(a, b int) int {\n\treturn a + b\n}\n`],
  ['java', (n, w) => `package com.mono.${w};\n\npublic final class Util${n} {\n    public static int twice(int x) { return 2 * x; }\n}\n`],
  ['rb', (n, w) => `module ${w[0].toUpperCase() + w.slice(1)}\n  def self.util_${n}(x)\n    x * 2\n  end\nend\n`],
  ['rs', (n) => `pub fn util_${n}(x: i64) -> i64 {\n    x * 2\n}\n`],
  ['md', (n, w) => `# ${w} note ${n}\n\nSome documentation about ${w}.\n\n- one\n- two\n`],
  ['css', (n) => `.c${n} {\n  color: #333;\n  margin: 0 auto;\n}\n`],
  ['html', (n, w) => `<!doctype html>\n<title>${w} ${n}</title>\n<p>${w}</p>\n`],
  ['sql', (n, w) => `-- ${w} ${n}\nSELECT id, name FROM ${w} WHERE id = ${n};\n`],
  ['sh', (n) => `#!/bin/sh\nset -eu\necho "task ${n}"\n`],
  ['txt', (n, w) => `${w} ${n}\n`],
  ['json', (n, w) => JSON.stringify({ id: n, name: w, tags: ['a', 'b'] }) + '\n'],
  ['yaml', (n, w) => `# ${w} config ${n}\nname: ${w}\nreplicas: 2\n`],
  // Source in the languages the rules read, with no env reads: still listed (and prefiltered).
  ['py', (n, w) => `"""${w} utilities ${n}."""\nimport json\n\n\ndef dump_${n}(value: dict) -> str:\n    return json.dumps(value, sort_keys=True)\n`],
  ['ts', (n, w) => `export function ${w}Util${n}(x: number): number {\n  return x * ${n % 7 + 2};\n}\n`],
  ['js', (n, w) => `export const ${w}${n} = (x) => x + ${n};\n`],
];

function unrelatedFile(n) {
  const [ext, make] = OTHER[n % OTHER.length];
  const w = WORDS[Math.floor(n / OTHER.length) % WORDS.length];
  const pkg = Math.floor(n / 50);
  return [`libs/${ext}/pkg-${pad(pkg, 3)}/${w}_${pad(n, 5)}.${ext}`, make(n, w)];
}

function rootNodeModules() {
  const f = {};
  for (let p = 0; p < 250; p++) {
    const d = `node_modules/pkg-${pad(p, 3)}`;
    f[`${d}/package.json`] = JSON.stringify({ name: `pkg-${p}`, version: '1.0.0' }) + '\n';
    f[`${d}/index.js`] = `module.exports = () => process.env.PKG_${p};\n`;
    f[`${d}/lib/util.ts`] = `export const x${p} = process.env.X;\n`;
    f[`${d}/README.md`] = `# pkg-${p}\n`;
    if (p % 25 === 0) {
      f[`${d}/Dockerfile`] = 'FROM node:20\nCOPY . .\nRUN npm install\nCMD npm start\n';
      f[`${d}/docker-compose.yml`] = 'services:\n  db:\n    image: postgres\n    ports:\n      - "5432:5432"\n';
    }
  }
  return f;
}

// ---------------------------------------------------------------- the tree

export function* monorepoFiles(n) {
  yield ['README.md', `# mono\n\nA synthetic monorepo of ${n} services (shipshape benchmark).\n`];
  yield ['.gitignore', '# build output and caches\ndist/\n__pycache__/\n*.log\n/tmp/\ncoverage/\n'];
  const specs = [];
  for (let i = 0; i < n; i++) {
    const s = serviceSpec(i);
    specs.push(s);
    for (const [p, t] of Object.entries(serviceFiles(s))) yield [`services/${s.name}/${p}`, t];
  }
  for (let k = 0; k * 10 < n; k++) {
    for (const [p, t] of Object.entries(stackFiles(k, specs.slice(k * 10, k * 10 + 10)))) yield [`deploy/stack-${pad(k, 3)}/${p}`, t];
  }
  for (let u = 0; u < UNRELATED_FILES; u++) yield unrelatedFile(u);
  for (const [p, t] of Object.entries(rootNodeModules())) yield [p, t];
  // Ignored by the root .gitignore: logs and scratch files that must not be listed.
  for (let t = 0; t < 200; t++) yield [`tmp/scratch-${pad(t, 3)}/Dockerfile`, 'FROM ubuntu\nRUN apt-get install -y gcc\n'];
  yield ['logs/build.log', 'ok\n'];
}

function generatorHash() {
  return createHash('sha256').update(fs.readFileSync(fileURLToPath(import.meta.url))).digest('hex').slice(0, 16);
}

export function defaultDir(n) {
  return path.join(HERE, '.work', `mono-${n}`);
}

/** Write the monorepo of n services into dir (replacing it unless it is up to date). */
export function generate(n, dir = defaultDir(n), { force = false } = {}) {
  const stamp = `${generatorHash()} ${n}\n`;
  const stampFile = path.join(dir, STAMP);
  if (!force && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp) return { dir, written: false, files: countFiles(n) };
  fs.rmSync(dir, { recursive: true, force: true });
  const made = new Set();
  let files = 0;
  for (const [rel, text] of monorepoFiles(n)) {
    const abs = path.join(dir, rel);
    const d = path.dirname(abs);
    if (!made.has(d)) {
      fs.mkdirSync(d, { recursive: true });
      made.add(d);
    }
    fs.writeFileSync(abs, text);
    files++;
  }
  fs.writeFileSync(stampFile, stamp);
  return { dir, written: true, files };
}

function countFiles(n) {
  let c = 0;
  for (const _ of monorepoFiles(n)) c++;
  return c;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const n = Number(args.find((a) => /^\d+$/.test(a)) ?? 500);
  const oi = args.indexOf('--out');
  const dir = oi >= 0 ? path.resolve(args[oi + 1]) : defaultDir(n);
  const t = Date.now();
  const r = generate(n, dir, { force: args.includes('--force') });
  process.stdout.write(`${r.written ? 'wrote' : 'up to date:'} ${r.files} files in ${path.relative(process.cwd(), dir) || dir}${r.written ? ` (${Date.now() - t} ms)` : ''}\n`);
}
