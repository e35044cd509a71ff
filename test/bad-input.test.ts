// Bad input through the BUILT CLI (dist/cli.js, built by `npm run build`, which `npm test` runs
// first): every problem file gets exactly one clear line (file, line where known, what is wrong),
// the good files of the same run are still scanned, and exit code 2 means nothing could be scanned.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from './helpers/tree.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], opts: { asUser?: string[] } = {}): Run {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} does not exist: run \`npm run build\` first (\`npm test\` does it)`);
  const env = { ...process.env };
  delete env.FORCE_COLOR;
  delete env.SHIPSHAPE_FAULT;
  const argv = [...(opts.asUser ?? []), process.execPath, CLI, ...args];
  const r = spawnSync(argv[0]!, argv.slice(1), { env, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function show(r: Run): string {
  return `exit ${r.code}\n--- stdout ---\n${r.stdout.slice(0, 3000)}\n--- stderr ---\n${r.stderr.slice(0, 3000)}`;
}

interface Report {
  findings: { rule: string; file: string; line: number }[];
  errors: { file: string; line?: number; message: string }[];
}

function writeTree(dir: string, files: Record<string, string | Buffer>): void {
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
  }
}

/** A temporary directory every user can read (the unreadable-file test runs the CLI as nobody). */
function worldReadableTmp(prefix: string): string {
  const d = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  fs.chmodSync(d, 0o755);
  return d;
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) {
    spawnSync('chmod', ['-R', 'u+rwX', d]);
    fs.rmSync(d, { recursive: true, force: true });
  }
});

// A PNG's first bytes: the signature, then the IHDR chunk (its length field holds NUL bytes).
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');

const BILLION_LAUGHS = [
  'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
  'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]',
  'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]',
  'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]',
  'e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]',
  'f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]',
  'g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]',
  'h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]',
  'i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]',
  '',
].join('\n');

const BAD: Record<string, string | Buffer> = {
  'malformed/compose.yml': 'services:\n  web:\n    image: nginx\n    ports: [80\n',
  'dup/compose.yml': 'services:\n  web:\n    image: nginx\n  web:\n    image: redis\n',
  'unknown/Dockerfile': 'FROM python:3.12-slim\nRUNN pip install flask\n',
  'heredoc/Dockerfile': 'FROM python:3.12-slim\nRUN <<EOF\npip install flask\n',
  'nginx/conf.d/open.conf': 'server {\n    listen 80;\n    location / {\n        proxy_pass http://app:8000;\n}\n',
  'nginx/conf.d/close.conf': 'server {\n    listen 80;\n}\n}\n',
  // Python files a rule reads (they read the environment); see UNREAD for one no rule needs.
  'py/call.py': 'import os\n\n\ndef main(:\n    print(os.environ["HOME"])\n',
  'py/indent.py': 'import os\n\nx = os.getenv("X")\n    y = 2\n',
  'bin/Dockerfile': Buffer.concat([Buffer.from('FROM alpine\n'), Buffer.alloc(16), Buffer.from('\n')]),
  'png/compose.yml': PNG,
  'big/Dockerfile': 'FROM alpine\n' + '# padding\n'.repeat(220_000),
  'deep/compose.yml': 'services:\n  web:\n    labels: ' + '['.repeat(100) + 'x' + ']'.repeat(100) + '\n',
  // A million nested brackets fit under the size limit; the yaml library alone runs out of memory.
  'deeper/compose.yml': 'x: ' + '['.repeat(1_000_000) + ']'.repeat(1_000_000) + '\n',
  'deep-block/compose.yml': Array.from({ length: 100 }, (_, i) => `${'  '.repeat(i)}k${i}:`).join('\n') + ' 1\n',
  'bomb/compose.yml': BILLION_LAUGHS,
};

/** Exactly what each bad file must produce: file, line where known, what is wrong. */
const EXPECTED_ERRORS = [
  { file: 'big/Dockerfile', message: 'file is 2200012 bytes, over the 2097152-byte size limit; skipped' },
  { file: 'bin/Dockerfile', message: 'binary file (contains NUL bytes); skipped' },
  { file: 'bomb/compose.yml', line: 2, message: 'YAML aliases expand to too many nodes (an alias bomb, "billion laughs"); not read' },
  { file: 'deep-block/compose.yml', line: 65, message: 'YAML nested more than 64 levels deep' },
  { file: 'deep/compose.yml', line: 3, message: 'YAML nested more than 64 levels deep' },
  { file: 'deeper/compose.yml', line: 1, message: 'YAML nested more than 64 levels deep' },
  { file: 'dup/compose.yml', line: 4, message: 'duplicate key "web" (first defined on line 2)' },
  { file: 'heredoc/Dockerfile', line: 2, message: 'unterminated heredoc <<EOF' },
  {
    file: 'malformed/compose.yml',
    line: 4,
    message: 'invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
  },
  { file: 'nginx/conf.d/close.conf', line: 4, message: 'unexpected "}" (no block is open here)' },
  {
    file: 'nginx/conf.d/open.conf',
    line: 6,
    message: 'unexpected end of file: the "server" block opened on line 1 is never closed with "}"',
  },
  { file: 'png/compose.yml', message: 'binary file (contains NUL bytes); skipped' },
  { file: 'py/call.py', line: 4, message: 'Python syntax error: missing ")"' },
  { file: 'py/indent.py', line: 4, message: 'Python syntax error: unexpected indent' },
  { file: 'unknown/Dockerfile', line: 2, message: 'unknown instruction "RUNN"' },
];

const GOOD: Record<string, string> = {
  'good/Dockerfile': 'FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nCMD python app.py\n',
  'good/.dockerignore': '.git\n',
  'good/compose.yml': 'services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: hunter2\n',
  'good/app.py': 'import os\n\nprint(os.getcwd())\n',
};

/**
 * A broken file that no rule needs: shipshape is not a Python linter, and a Python file that cannot
 * hold anything a rule looks for (no environment read, no settings class, not part of an app or of
 * a project with a manifest) is not parsed, so its syntax error is not reported.
 */
const UNREAD: Record<string, string> = {
  'libs/broken.py': 'import json\n\n\ndef dump(:\n    return json.dumps({})\n',
};

function errorLine(e: { file: string; line?: number; message: string }): string {
  return `shipshape: ${e.file}${e.line ? ':' + e.line : ''}: ${e.message}`;
}

describe('bad input (built CLI)', () => {
  let root: string;
  let run: Run;
  let report: Report;

  beforeAll(() => {
    root = worldReadableTmp('shipshape-bad-');
    dirs.push(root);
    writeTree(root, { ...BAD, ...GOOD, ...UNREAD });
    run = cli(['scan', '--format', 'json', root]);
    report = JSON.parse(run.stdout) as Report;
  });

  it('runs in a directory that is not a git repository', () => {
    expect(fs.existsSync(path.join(root, '.git'))).toBe(false);
    expect(spawnSync('git', ['-C', root, 'rev-parse', '--git-dir']).status, 'the temp dir is inside a git work tree').not.toBe(0);
    expect(run.code, show(run)).toBe(1);
  });

  it('gives exactly one clear error per problem file, in the JSON report', () => {
    expect(report.errors).toEqual(EXPECTED_ERRORS);
  });

  it('does not parse a Python file no rule needs (its syntax error is not reported)', () => {
    expect(Object.keys(UNREAD).filter((f) => fs.existsSync(path.join(root, f)))).toEqual(Object.keys(UNREAD));
    expect(report.errors.filter((e) => e.file in UNREAD)).toEqual([]);
    expect(run.stderr).not.toContain('libs/broken.py');
  });

  it('prints the same errors, one line each, on stderr and nothing else', () => {
    expect(run.stderr.split('\n').filter(Boolean)).toEqual(EXPECTED_ERRORS.map(errorLine));
  });

  it('still scans the good files of the same run', () => {
    const good = report.findings.filter((f) => f.file.startsWith('good/')).map((f) => `${f.file} ${f.rule}`);
    expect(good).toContain('good/Dockerfile dockerfile/non-root-user');
    expect(good).toContain('good/Dockerfile dockerfile/exec-form');
    expect(good).toContain('good/compose.yml compose/hardcoded-secret');
  });

  it('reports no finding that needs the content of a file it could not read or parse', () => {
    // repo/dockerignore is about the build context (the directory), not the Dockerfile's content.
    const bad = new Set(EXPECTED_ERRORS.map((e) => e.file));
    const onBad = report.findings.filter((f) => bad.has(f.file) && f.rule !== 'repo/dockerignore');
    expect(onBad).toEqual([]);
  });

  it('fix --dry-run goes on past the bad files too', () => {
    const r = cli(['fix', '--dry-run', '--all', '--only', 'dockerfile/non-root-user', root]);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toContain('+++ b/good/Dockerfile');
    // Only the files the selected rule reads are read; each problem among them gets its line.
    const printed = r.stderr.split('\n').filter((l) => l.startsWith('shipshape: '));
    expect(printed.filter((l) => !EXPECTED_ERRORS.map(errorLine).includes(l))).toEqual([]);
    expect(printed).toEqual(expect.arrayContaining(EXPECTED_ERRORS.filter((e) => e.file.endsWith('Dockerfile')).map(errorLine)));
  });
});

describe('size limit', () => {
  it('--max-file-size lowers the limit; files under it are scanned', () => {
    const root = worldReadableTmp('shipshape-size-');
    dirs.push(root);
    writeTree(root, {
      'small/Dockerfile': 'FROM python:3.12-slim\nCMD ["python", "app.py"]\n',
      'large/Dockerfile': 'FROM python:3.12-slim\n' + '# a comment line\n'.repeat(20) + 'CMD ["python", "app.py"]\n',
    });
    const r = cli(['scan', '--format', 'json', '--max-file-size', '200', root]);
    const rep = JSON.parse(r.stdout) as Report;
    expect(rep.errors).toEqual([{ file: 'large/Dockerfile', message: 'file is 387 bytes, over the 200-byte size limit; skipped' }]);
    expect(rep.findings.filter((f) => f.rule === 'dockerfile/non-root-user').map((f) => f.file)).toEqual(['small/Dockerfile']);
    expect(r.code, show(r)).toBe(1);

    const bad = cli(['scan', '--max-file-size', 'lots', root]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('shipshape: --max-file-size must be a positive number of bytes, not "lots"\n');
  });
});

describe('unreadable files', () => {
  // We run as root, for whom permissions do not stop reads: the CLI runs as an unprivileged user.
  function asNobody(): { argv: string[] } | { skip: string } {
    const probes: string[][] = [
      ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'],
      ['runuser', '-u', 'nobody', '--'],
    ];
    const reasons: string[] = [];
    for (const p of probes) {
      const r = spawnSync(p[0]!, [...p.slice(1), 'id', '-u'], { encoding: 'utf8' });
      if (r.status === 0 && r.stdout.trim() !== '0') return { argv: p };
      reasons.push(`${p[0]}: ${r.error?.message ?? (r.stderr.trim() || `exit ${r.status}, uid ${r.stdout.trim()}`)}`);
    }
    return { skip: reasons.join('; ') };
  }

  it('reports an unreadable file and directory, one line each, and scans the rest', (ctx) => {
    const how = asNobody();
    if ('skip' in how) {
      console.log(`unreadable-file test skipped: cannot run as an unprivileged user (${how.skip})`);
      ctx.skip();
      return;
    }
    const root = worldReadableTmp('shipshape-perm-');
    dirs.push(root);
    writeTree(root, {
      'Dockerfile': 'FROM python:3.12-slim\nCMD ["python", "app.py"]\n',
      'compose.yml': 'services:\n  web:\n    image: nginx\n',
      'private/compose.yml': 'services:\n  web:\n    image: nginx\n',
    });
    fs.chmodSync(path.join(root, 'compose.yml'), 0o000);
    fs.chmodSync(path.join(root, 'private'), 0o000);
    const r = cli(['scan', '--format', 'json', root], { asUser: how.argv });
    expect(r.stderr.split('\n').filter(Boolean), show(r)).toEqual([
      'shipshape: compose.yml: cannot read file: permission denied (EACCES); skipped',
      'shipshape: private: cannot read directory: permission denied (EACCES); skipped',
    ]);
    const rep = JSON.parse(r.stdout) as Report;
    expect(rep.findings.map((f) => `${f.file} ${f.rule}`)).toContain('Dockerfile dockerfile/non-root-user');
    expect(r.code).toBe(1);
  });
});

describe('nothing to scan', () => {
  it('a path that does not exist: exit 2 and a clear message', () => {
    const missing = path.join(os.tmpdir(), 'shipshape-no-such-dir-' + process.pid);
    const r = cli(['scan', '--format', 'json', missing]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`shipshape: ${missing}: path does not exist\n`);
  });

  it('a file instead of a directory: exit 2 and a clear message', () => {
    const root = worldReadableTmp('shipshape-file-');
    dirs.push(root);
    const file = path.join(root, 'Dockerfile');
    fs.writeFileSync(file, 'FROM alpine\n');
    const r = cli(['scan', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`shipshape: ${file}: not a directory\n`);
  });

  it('a directory where every file is bad: every error listed, exit 2', () => {
    const root = worldReadableTmp('shipshape-allbad-');
    dirs.push(root);
    const only = ['unknown/Dockerfile', 'dup/compose.yml', 'py/call.py', 'nginx/conf.d/open.conf', 'png/compose.yml', 'bomb/compose.yml'];
    writeTree(root, Object.fromEntries(only.map((f) => [f, BAD[f]!])));
    const r = cli(['scan', '--format', 'json', root]);
    expect(r.code, show(r)).toBe(2);
    const rep = JSON.parse(r.stdout) as Report;
    expect(rep.errors).toEqual(EXPECTED_ERRORS.filter((e) => only.includes(e.file)));
  });

  it('an empty directory is not an error', () => {
    const root = worldReadableTmp('shipshape-empty-');
    dirs.push(root);
    const r = cli(['scan', '--format', 'json', root]);
    expect(r.code, show(r)).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ findings: [], errors: [] });
  });

  it('a directory of files no rule reads is not an error', () => {
    const root = worldReadableTmp('shipshape-docs-');
    dirs.push(root);
    writeTree(root, { 'README.md': '# hello\n', 'logo.png': PNG });
    const r = cli(['scan', '--format', 'json', root]);
    expect(r.code, show(r)).toBe(0);
  });
});

describe('broken code a parser accepts without a syntax error', () => {
  it('`import x from y` in a script: every rule that reads it still runs, and sees the rest of the file', () => {
    // The TypeScript parser takes a module specifier that is not a string without a diagnostic
    // (the compiler's checker reports it). Rules read the file as usual and skip that import; it
    // made three rules fail before, one of them a compose rule reading the app's routes.
    const root = worldReadableTmp('shipshape-badts-');
    dirs.push(root);
    writeTree(root, {
      'compose.yaml': 'services:\n  web:\n    build: ./web\n',
      'web/package.json': '{ "name": "web", "dependencies": { "express": "4" } }\n',
      'web/Dockerfile': 'FROM node:20\nCOPY . .\nCMD ["node", "dist/server.js"]\n',
      'web/src/server.ts': [
        "import express from 'express';",
        'import x from y;',
        'const app = express();',
        "app.get('/health', (_req, res) => res.send('ok'));",
        'app.listen(Number(process.env.PORT ?? 3000));',
        '',
      ].join('\n'),
    });
    const r = cli(['scan', '--format', 'json', root]);
    expect(r.code, show(r)).toBe(1);
    expect(r.stderr).toBe('');
    const report = JSON.parse(r.stdout) as Report;
    expect(report.errors).toEqual([]);
    expect(report.findings.map((f) => `${f.file}:${f.line} ${f.rule}`).sort()).toEqual([
      'compose.yaml:2 compose/healthcheck',
      'compose.yaml:2 compose/resource-limits',
      'web/Dockerfile:1 dockerfile/non-root-user',
      'web/Dockerfile:1 repo/dockerignore',
      'web/package.json:1 node/settings-validation',
      'web/src/server.ts:5 node/env-call-site',
    ]);
    const fix = cli(['fix', '--dry-run', '--all', '--only', 'node', root]);
    expect(fix.code, show(fix)).toBe(0);
    expect(fix.stdout).toContain(" import x from y;\n+import { settings } from './config/settings';\n");
    expect(fix.stdout).toContain('+app.listen(settings.PORT);');
  });
});
