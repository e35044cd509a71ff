// Unit tests of the helpers behind dockerfile/exec-form, dockerfile/dev-reload, compose/dev-reload and
// compose/migrate-service: dev-server knowledge, word-level splices and image-path → context-file mapping.
import { describe, expect, it } from 'vitest';
import { applyWordOps, devCommandIssues, devEnvIssue, isDevDockerfile, scriptIssues } from '../src/project/dev-server.js';
import { applySplices, jsonArraySplices, jsonStringLiterals, shellWordSplices } from '../src/edit/words.js';
import { tokenize, type ShellWord } from '../src/project/shell.js';
import { blankContinuationComments, effectiveRun, scriptOf, sourceOfImagePath, workdirAt } from '../src/project/entrypoint.js';
import { parseDockerfile } from '../src/parsers/dockerfile.js';
import { removeScriptSteps, chainMigrations } from '../src/project/migrations.js';
import { Workspace } from '../src/workspace.js';
import { planFixes } from '../src/api.js';
import { ruleById } from '../src/registry.js';

const fix = (cmd: string, ctx = {}) => {
  const words = cmd.split(' ');
  return devCommandIssues(words, ctx).map((i) => [i.what, i.ops ? applyWordOps(words, i.ops).join(' ') : `not fixable: ${i.notFixableReason}`]);
};

describe('devCommandIssues', () => {
  it('drops reload flags with their options', () => {
    expect(fix('uvicorn app.main:app --reload --reload-dir app --host 0.0.0.0')).toEqual([['--reload', 'uvicorn app.main:app --host 0.0.0.0']]);
    expect(fix('gunicorn --reload --reload-engine=inotify app:app')).toEqual([['--reload', 'gunicorn app:app']]);
    expect(fix('poetry run python -m uvicorn x:app --reload')).toEqual([['--reload', 'poetry run python -m uvicorn x:app']]);
    expect(fix('uvicorn app:app --reload-dir app')).toEqual([]); // no --reload: the option is inert
    expect(fix('node --watch server.js')).toEqual([['node --watch', 'node server.js']]);
  });

  it('flask: --debug is fixable, flask run is reported', () => {
    const r = fix('flask --debug run --host 0.0.0.0');
    expect(r[0]).toEqual(['--debug', 'flask run --host 0.0.0.0']);
    expect(r[1]![0]).toBe('flask run');
    expect(r[1]![1]).toMatch(/^not fixable: serve the app with a WSGI server/);
  });

  it('npm run dev → npm start only with a production start script', () => {
    const scripts = { dev: 'next dev', build: 'next build', start: 'next start' };
    expect(fix('npm run dev', { scripts, hasBuild: true })).toEqual([['npm run dev', 'npm start']]);
    expect(fix('yarn dev', { scripts, hasBuild: true })).toEqual([['yarn dev', 'yarn start']]);
    expect(fix('pnpm run dev', { scripts, hasBuild: true })).toEqual([['pnpm run dev', 'pnpm run start']]);
    expect(fix('npm run dev', { scripts, hasBuild: false })[0]![1]).toMatch(/no production build/);
    expect(fix('npm run dev', { scripts: { dev: 'vite' } })[0]![1]).toMatch(/no "start" script/);
    expect(fix('npm run dev', { scripts: { dev: 'vite', start: 'vite' } })[0]![1]).toMatch(/development server too/);
    expect(fix('npm run build', { scripts })).toEqual([]);
  });

  it('next dev, nodemon, vite', () => {
    expect(fix('npx next dev -p 3000 --turbo', { hasBuild: true })).toEqual([['next dev', 'npx next start -p 3000']]);
    expect(fix('nodemon --watch src -e js,json src/server.js')).toEqual([['nodemon', 'node src/server.js']]);
    expect(fix('nodemon --exec ts-node src/server.ts')[0]![1]).toMatch(/^not fixable/);
    expect(fix('vite --host')[0]![1]).toMatch(/^not fixable/);
    expect(fix('vite build')).toEqual([]);
  });

  it('reads every command of a script', () => {
    expect(scriptIssues('alembic upgrade head && uvicorn app:app --reload').map((i) => i.what)).toEqual(['--reload']);
  });
});

describe('devEnvIssue', () => {
  it('keeps the spelling style of the value', () => {
    expect(devEnvIssue('FLASK_DEBUG', '1')?.value).toBe('0');
    expect(devEnvIssue('DEBUG', 'True')?.value).toBe('False');
    expect(devEnvIssue('DEBUG', 'true')?.value).toBe('false');
    expect(devEnvIssue('DJANGO_DEBUG', 'yes')?.value).toBe('no');
    expect(devEnvIssue('FLASK_ENV', 'development')?.value).toBe('production');
    expect(devEnvIssue('NODE_ENV', 'dev')?.value).toBe('production');
    for (const [n, v] of [['DEBUG', 'false'], ['DEBUG', '0'], ['DEBUG', null], ['NODE_ENV', 'production'], ['DEBUG_LEVEL', '1'], ['APP_ENV', 'development']] as const) {
      expect(devEnvIssue(n, v), `${n}=${v}`).toBeUndefined();
    }
  });
});

describe('isDevDockerfile', () => {
  it('knows development Dockerfile names', () => {
    for (const f of ['Dockerfile.dev', 'dev.Dockerfile', 'Dockerfile-local', 'docker/Dockerfile.development', '.devcontainer/Dockerfile', 'Dockerfile.test']) expect(isDevDockerfile(f), f).toBe(true);
    for (const f of ['Dockerfile', 'Dockerfile.prod', 'Dockerfile.app', 'backend/Dockerfile', 'Dockerfile.devops']) expect(isDevDockerfile(f), f).toBe(false);
  });
});

describe('word splices', () => {
  const words = (s: string) => tokenize(s).filter((t): t is ShellWord => t.type === 'word');

  it('remove a word with the space before it, keeping everything else', () => {
    const s = 'uvicorn app:app  --reload --port 80';
    expect(applySplices(s, shellWordSplices(s, words(s), [{ index: 2, remove: true }])!)).toBe('uvicorn app:app --port 80');
  });

  it('remove a word alone on a continuation line, or the last one', () => {
    const s = 'gunicorn app:app \\\n    --reload \\\n    -b 0.0.0.0:80';
    expect(applySplices(s, shellWordSplices(s, words(s), [{ index: 2, remove: true }])!)).toBe('gunicorn app:app \\\n    -b 0.0.0.0:80');
    const t = 'gunicorn app:app \\\n    --reload';
    expect(applySplices(t, shellWordSplices(t, words(t), [{ index: 2, remove: true }])!)).toBe('gunicorn app:app');
  });

  it('adjacent removals merge; replacements quote when needed', () => {
    const s = 'uvicorn x --reload-dir src --reload';
    expect(applySplices(s, shellWordSplices(s, words(s), [2, 3, 4].map((index) => ({ index, remove: true })))!)).toBe('uvicorn x');
    const n = 'npm run dev';
    expect(applySplices(n, shellWordSplices(n, words(n), [{ index: 1, replace: 'start' }, { index: 2, remove: true }])!)).toBe('npm start');
  });

  it('JSON arrays: elements with their comma, comment lines skipped', () => {
    const raw = ' ["uvicorn", "a:b", "--reload", "--port", "80"]';
    expect(applySplices(raw, jsonArraySplices(raw, [{ index: 2, remove: true }])!)).toBe(' ["uvicorn", "a:b", "--port", "80"]');
    expect(applySplices(raw, jsonArraySplices(raw, [{ index: 0, replace: 'gunicorn' }])!)).toBe(' ["gunicorn", "a:b", "--reload", "--port", "80"]');
    expect(jsonStringLiterals(' ["a", \\\n# "no"\n  "b\\"c"]').length).toBe(2);
  });
});

describe('image paths', () => {
  const ws = Workspace.fromFiles({
    'Dockerfile': '',
    'docker/entrypoint.sh': '#!/bin/sh\n',
    'scripts/start.sh': '#!/bin/sh\n',
    'app/main.py': '',
  });
  const m = parseDockerfile(
    'FROM python:3.12-slim AS base\nWORKDIR /srv\nCOPY . .\nCOPY docker/entrypoint.sh /usr/local/bin/\n\nFROM base\nWORKDIR app\nCOPY --chmod=755 scripts/*.sh /opt/\nENTRYPOINT ["entrypoint.sh"]\nCMD ["gunicorn"]\n',
  );
  const stage = m.stages[1]!;

  it('follows WORKDIR and COPY through the stage lineage', () => {
    expect(workdirAt(m, stage)).toBe('/srv/app');
    expect(sourceOfImagePath(ws, 'Dockerfile', m, stage, '/usr/local/bin/entrypoint.sh')).toBe('docker/entrypoint.sh');
    expect(sourceOfImagePath(ws, 'Dockerfile', m, stage, '/opt/start.sh')).toBe('scripts/start.sh');
    expect(sourceOfImagePath(ws, 'Dockerfile', m, stage, '/srv/app/main.py')).toBe('app/main.py');
    expect(sourceOfImagePath(ws, 'Dockerfile', m, stage, 'main.py')).toBe('app/main.py');
    expect(sourceOfImagePath(ws, 'Dockerfile', m, stage, '/etc/passwd')).toBeUndefined();
  });

  it('knows which CMD/ENTRYPOINT are in effect and what script they run', () => {
    const r = effectiveRun(m, stage);
    expect(r.entrypoint?.json).toEqual(['entrypoint.sh']);
    expect(r.cmd?.json).toEqual(['gunicorn']);
    expect(scriptOf(['./entrypoint.sh', 'web'])).toEqual({ path: './entrypoint.sh', index: 0 });
    expect(scriptOf(['sh', '-e', '/start.sh'])).toEqual({ path: '/start.sh', index: 2 });
    expect(scriptOf(['tini', '--', '/docker-entrypoint.sh'])).toEqual({ path: '/docker-entrypoint.sh', index: 2 });
    expect(scriptOf(['sh', '-c', 'x'])).toBeUndefined();
    expect(scriptOf(['gunicorn', 'app:app'])).toBeUndefined();
  });

  it('blanks comment lines inside continuations, keeping offsets', () => {
    const raw = ' node \\\n  # heap\n  --max-old-space-size=384 \\\n  server.js';
    const b = blankContinuationComments(raw);
    expect(b.length).toBe(raw.length);
    expect(tokenize(b).filter((t) => t.type === 'word').map((t) => (t as ShellWord).value)).toEqual(['node', '--max-old-space-size=384', 'server.js']);
  });
});

describe('removeScriptSteps', () => {
  it('drops a migration line with the comment that describes it', () => {
    const s = '#!/bin/sh\nset -e\n\n# Run database migrations\nalembic upgrade head\n\nexec "$@"\n';
    expect(applySplices(s, removeScriptSteps(s, chainMigrations(s))!)).toBe('#!/bin/sh\nset -e\n\nexec "$@"\n');
  });
  it('keeps unrelated comments and handles shared lines', () => {
    const s = '# start\nset -e; flask db upgrade; exec gunicorn app:app\n';
    expect(applySplices(s, removeScriptSteps(s, chainMigrations(s))!)).toBe('# start\nset -e; exec gunicorn app:app\n');
  });
  it('refuses steps inside blocks', () => {
    const s = 'if [ "$MIGRATE" = 1 ]; then\n  alembic upgrade head\nfi\nexec "$@"\n';
    expect(removeScriptSteps(s, chainMigrations(s))).toBeUndefined();
  });
});

describe('documentation examples', () => {
  const FILES: Record<string, string> = {
    'dockerfile/exec-form': 'Dockerfile',
    'dockerfile/dev-reload': 'Dockerfile',
    'compose/dev-reload': 'docker-compose.yml',
    'compose/resource-limits': 'docker-compose.yml',
    'compose/network-segmentation': 'docker-compose.yml',
    'compose/migrate-service': 'docker-compose.yml',
  };
  for (const [id, file] of Object.entries(FILES)) {
    it(`${id}: the example's "after" is what the fix produces`, async () => {
      const r = ruleById(id)!;
      const ex = r.docs.example!;
      const plan = await planFixes(Workspace.fromFiles({ [file]: ex.before }), { all: true, rules: [r] });
      expect(plan.changes.map((c) => c.after)).toEqual([ex.after]);
    });
  }
});
