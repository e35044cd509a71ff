import { describe, expect, it } from 'vitest';
import { Workspace } from '../src/workspace.js';
import {
  chainMigrations,
  createAllSkippedInProduction,
  hasMigrationRunner,
  effectiveCommand,
  execLast,
  isDevFile,
  migrationCommand,
  migrationRunners,
  migrationSetups,
  removeMigrations,
  shellScriptIndex,
  shellWrapped,
} from '../src/project/migrations.js';

const cmd = (s: string, scripts = {}) => migrationCommand(s.split(' '), scripts)?.tool;

describe('migrationCommand', () => {
  it('knows the common tools, through their launchers', () => {
    expect(cmd('alembic upgrade head')).toBe('alembic');
    expect(cmd('alembic -c netra_backend/alembic.ini upgrade head')).toBe('alembic');
    expect(cmd('python -m alembic upgrade head')).toBe('alembic');
    expect(cmd('poetry run alembic upgrade head')).toBe('alembic');
    expect(cmd('uv run --no-sync alembic upgrade head')).toBe('alembic');
    expect(cmd('/usr/local/bin/alembic upgrade head')).toBe('alembic');
    expect(cmd('flask db upgrade')).toBe('flask-migrate');
    expect(cmd('flask --app app db upgrade')).toBe('flask-migrate');
    expect(cmd('python manage.py migrate --noinput')).toBe('django');
    expect(cmd('python3 ./src/manage.py migrate')).toBe('django');
    expect(cmd('django-admin migrate')).toBe('django');
    expect(cmd('npx prisma migrate deploy')).toBe('prisma');
    expect(cmd('pnpm exec prisma migrate deploy')).toBe('prisma');
    expect(cmd('prisma db push')).toBe('prisma');
    expect(cmd('npx knex migrate:latest')).toBe('knex');
    expect(cmd('npx sequelize-cli db:migrate')).toBe('sequelize');
    expect(cmd('npx typeorm migration:run -d dist/data-source.js')).toBe('typeorm');
    expect(cmd('bundle exec rails db:migrate')).toBe('rails');
    expect(cmd('php artisan migrate --force')).toBe('artisan');
    expect(cmd('exec alembic upgrade head')).toBe('alembic');
    expect(cmd('env PYTHONPATH=. alembic upgrade head')).toBe('alembic');
  });

  it('ignores commands that do not apply migrations', () => {
    for (const s of ['alembic revision --autogenerate', 'alembic downgrade -1', 'flask run', 'python manage.py runserver', 'python manage.py makemigrations',
      'prisma generate', 'npx prisma migrate status', 'knex seed:run', 'gunicorn app:app', 'uvicorn app.main:app', 'python migrate_data.py', 'migrate']) {
      expect(cmd(s), s).toBeUndefined();
    }
  });

  it('sees through package.json scripts', () => {
    const scripts = { 'db:migrate': 'prisma migrate deploy', start: 'npm run db:migrate && node dist/server.js', dev: 'next dev' };
    expect(migrationCommand(['npm', 'run', 'db:migrate'], scripts)).toEqual({ tool: 'npm-script', script: 'db:migrate' });
    expect(migrationCommand(['npm', 'start'], scripts)).toEqual({ tool: 'npm-script', script: 'start' });
    expect(migrationCommand(['yarn', 'db:migrate'], scripts)?.script).toBe('db:migrate');
    expect(migrationCommand(['pnpm', 'run', 'dev'], scripts)).toBeUndefined();
    // Unknown script: its name tells.
    expect(migrationCommand(['npm', 'run', 'migrate'], {})?.tool).toBe('npm-script');
    expect(migrationCommand(['npm', 'run', 'build'], {})).toBeUndefined();
  });

  it('strips launchers', () => {
    expect(effectiveCommand(['exec', 'gosu', 'app', 'python', '-m', 'alembic', 'upgrade', 'head'])).toEqual(['alembic', 'upgrade', 'head']);
    expect(effectiveCommand(['npx', '--yes', 'prisma', 'migrate', 'deploy'])).toEqual(['prisma', 'migrate', 'deploy']);
  });
});

describe('chains', () => {
  const seed003 = 'alembic -c netra_backend/alembic.ini upgrade head && gunicorn netra_backend.app.main:app -k uvicorn.workers.UvicornWorker -b 0.0.0.0:8000';

  it('finds the migration step and what is left', () => {
    const m = chainMigrations(seed003);
    expect(m.map((x) => [x.match.tool, x.words])).toEqual([['alembic', ['alembic', '-c', 'netra_backend/alembic.ini', 'upgrade', 'head']]]);
    const rest = removeMigrations(seed003, m)!;
    expect(rest.text).toBe('gunicorn netra_backend.app.main:app -k uvicorn.workers.UvicornWorker -b 0.0.0.0:8000');
    expect(rest.words).toEqual(['gunicorn', 'netra_backend.app.main:app', '-k', 'uvicorn.workers.UvicornWorker', '-b', '0.0.0.0:8000']);
    expect(rest.empty).toBe(false);
  });

  it('keeps shell features of the rest and flags them', () => {
    const src = 'python manage.py migrate --noinput && python manage.py collectstatic --noinput && gunicorn app.wsgi -b 0.0.0.0:$PORT';
    const rest = removeMigrations(src, chainMigrations(src))!;
    expect(rest.text).toBe('python manage.py collectstatic --noinput && gunicorn app.wsgi -b 0.0.0.0:$PORT');
    expect(rest.words).toBeUndefined();
    expect(execLast(rest.text)).toBe('python manage.py collectstatic --noinput && exec gunicorn app.wsgi -b 0.0.0.0:$PORT');
  });

  it('removes a step from a script, with its line', () => {
    const src = 'set -e\nalembic upgrade head\nexec "$@"';
    const m = chainMigrations(src);
    expect(m.length).toBe(1);
    expect(removeMigrations(src, m)!.text).toBe('set -e\nexec "$@"');
    const semi = 'set -e; alembic upgrade head; exec "$@"';
    expect(removeMigrations(semi, chainMigrations(semi))!.text).toBe('set -e; exec "$@"');
  });

  it('takes an `|| true` fallback with the step', () => {
    const src = 'flask db upgrade || true; exec gunicorn app:app';
    const m = chainMigrations(src);
    expect(m[0]!.fallback.length).toBe(1);
    expect(removeMigrations(src, m)!.words).toEqual(['exec', 'gunicorn', 'app:app']);
  });

  it('an only-migration string leaves nothing', () => {
    const rest = removeMigrations('alembic upgrade head', chainMigrations('alembic upgrade head'))!;
    expect(rest).toEqual({ text: '', words: undefined, empty: true });
  });

  it('refuses pipelines and compound syntax', () => {
    const p = 'alembic upgrade head | tee log && gunicorn app';
    expect(removeMigrations(p, chainMigrations(p))).toBeUndefined();
    const c = 'if true; then alembic upgrade head; fi; gunicorn app';
    expect(removeMigrations(c, chainMigrations(c))).toBeUndefined();
  });

  it('unwraps sh -c', () => {
    expect(shellWrapped(['sh', '-c', 'a && b'])).toBe('a && b');
    expect(shellWrapped(['/bin/bash', '-ec', 'x'])).toBe('x');
    expect(shellWrapped(['bash', '-l', '-c', 'x', 'arg0'])).toBe('x');
    expect(shellWrapped(['gunicorn', '-c', 'x'])).toBeUndefined();
    expect(shellScriptIndex(['sh', '-c', 'x'])).toBe(2);
    expect(shellScriptIndex(['sh', 'x.sh'])).toBe(-1);
  });

  it('execLast is careful', () => {
    expect(execLast('gunicorn app')).toBe('exec gunicorn app');
    expect(execLast('exec gunicorn app')).toBe('exec gunicorn app');
    expect(execLast('PORT=1 node x')).toBe('PORT=1 exec node x');
    expect(execLast('a | b')).toBeUndefined();
    expect(execLast('a || b')).toBeUndefined();
    expect(execLast('a &')).toBeUndefined();
    expect(execLast('a; wait')).toBeUndefined();
  });
});

describe('projects', () => {
  it('finds migration setups', () => {
    const ws = Workspace.fromFiles({
      'backend/alembic.ini': '[alembic]\n',
      'backend/alembic/env.py': '',
      'web/manage.py': '',
      'web/shop/migrations/0001_initial.py': '',
      'api/prisma/schema.prisma': '',
      'api/prisma/migrations/20240101_init/migration.sql': '',
      'other/prisma/schema.prisma': '',
      'flaskapp/migrations/alembic.ini': '',
      'flaskapp/migrations/env.py': '',
      'flaskapp/requirements.txt': 'Flask-Migrate==4.0\n',
      'plain/manage.py': '',
    });
    expect(migrationSetups(ws).map((s) => [s.tool, s.marker, s.dir, s.command.join(' ')])).toEqual([
      ['prisma', 'api/prisma/schema.prisma', 'api', 'npx prisma migrate deploy'],
      ['alembic', 'backend/alembic.ini', 'backend', 'alembic upgrade head'],
      ['flask-migrate', 'flaskapp/migrations/alembic.ini', 'flaskapp', 'flask db upgrade'],
      ['django', 'web/manage.py', 'web', 'python manage.py migrate --noinput'],
    ]);
  });

  it('finds what runs migrations', () => {
    const ws = Workspace.fromFiles({
      'Procfile': 'release: alembic upgrade head\nweb: gunicorn app:app\n',
      'fly.toml': '[deploy]\n  release_command = "python manage.py migrate"\n',
      '.github/workflows/deploy.yml': 'jobs:\n  deploy:\n    steps:\n      - run: npx prisma migrate deploy\n',
      'k8s/job.yaml': 'kind: Job\nspec:\n  template:\n    spec:\n      containers:\n        - command: ["alembic", "upgrade", "head"]\n',
      'docker-compose.dev.yml': 'services:\n  app:\n    command: sh -c "alembic upgrade head && uvicorn x"\n',
      'scripts/start.sh': '#!/bin/sh\nset -e\nflask db upgrade\nexec gunicorn app:app\n',
      'app/db.py': 'from alembic import command\ncommand.upgrade(cfg, "head")\n',
      'README.md': 'Run `alembic upgrade head`.\n',
      'Makefile': 'migrate:\n\talembic upgrade head\n',
    });
    expect(migrationRunners(ws).map((r) => r.file)).toEqual(['.github/workflows/deploy.yml', 'Procfile', 'app/db.py', 'fly.toml', 'k8s/job.yaml', 'scripts/start.sh']);
  });

  it('migration setups and the create_all guard follow created files and changed texts', () => {
    const ws = Workspace.fromFiles({ 'app/main.py': 'x = 1\n' });
    expect(migrationSetups(ws)).toEqual([]);
    expect(createAllSkippedInProduction(ws)).toBeUndefined();
    ws.createFile('app/alembic.ini', '[alembic]\n');
    expect(migrationSetups(ws).map((s) => s.marker)).toEqual(['app/alembic.ini']);
    ws.createFile('web/manage.py', 'import django\n');
    expect(migrationSetups(ws).map((s) => s.marker)).toEqual(['app/alembic.ini']); // no migrations yet
    ws.createFile('web/shop/migrations/0001_initial.py', 'from django.db import migrations\n');
    ws.createFile('api/prisma/schema.prisma', 'datasource db {}\n');
    expect(migrationSetups(ws).map((s) => s.tool)).toEqual(['alembic', 'django']);
    ws.createFile('api/prisma/migrations/migration_lock.toml', '');
    expect(migrationSetups(ws).map((s) => s.marker)).toEqual(['api/prisma/schema.prisma', 'app/alembic.ini', 'web/manage.py']);
    ws.setText('app/main.py', 'if not PRODUCTION:\n    Base.metadata.create_all(engine)\n');
    expect(createAllSkippedInProduction(ws)).toEqual({ file: 'app/main.py', line: 2 });
  });

  it('hasMigrationRunner answers like migrationRunners, stops at the first runner (compose files first) and follows changes', async () => {
    const files: Record<string, string> = {
      'Procfile': 'release: alembic upgrade head\nweb: gunicorn app:app\n',
      'app/db.py': 'from alembic import command\ncommand.upgrade(cfg, "head")\n',
      'package.json': '{"scripts": {"start": "prisma migrate deploy && node server.js"}}\n',
      'docker-compose.dev.yml': 'services:\n  app:\n    command: sh -c "alembic upgrade head && uvicorn x"\n',
      'compose.yaml': 'services:\n  api:\n    image: acme/api\n    command: gunicorn app:app\n',
      'README.md': 'Run `alembic upgrade head`.\n',
    };
    // Each runner alone, and none (a development compose file and a README do not count).
    for (const f of ['Procfile', 'app/db.py', 'package.json', 'docker-compose.dev.yml', 'README.md']) {
      const ws = Workspace.fromFiles({ 'compose.yaml': files['compose.yaml']!, [f]: files[f]! });
      expect(hasMigrationRunner(ws)).toBe(migrationRunners(ws).length > 0);
      expect(hasMigrationRunner(ws)).toBe(!['docker-compose.dev.yml', 'README.md'].includes(f));
    }
    const ws = Workspace.fromFiles(files);
    ws.setText('compose.yaml', files['compose.yaml']!.replace('gunicorn app:app', '["alembic", "upgrade", "head"]'));
    const { value, reads } = await ws.track(async () => hasMigrationRunner(ws));
    expect(value).toBe(true);
    expect([...reads.texts]).toEqual(['compose.yaml']); // the Procfile, package.json and Python files are not read
    // The compose file stops migrating: the other runners are found.
    ws.setText('compose.yaml', files['compose.yaml']!);
    expect(hasMigrationRunner(ws)).toBe(true);
    ws.setText('Procfile', 'web: gunicorn app:app\n');
    ws.setText('app/db.py', 'x = 1\n');
    ws.setText('package.json', '{"scripts": {"start": "node server.js"}}\n');
    expect(hasMigrationRunner(ws)).toBe(false);
    ws.setText('app/db.py', 'from alembic import command\ncommand.upgrade(cfg, "head")\n');
    expect(hasMigrationRunner(ws)).toBe(true);
  });

  it('reads compose commands from the workspace\'s parse, and parses texts it refuses (several documents, duplicate keys) itself', () => {
    const ws = Workspace.fromFiles({
      'a/compose.yaml': 'x-app: &app\n  image: acme/api\nservices:\n  api:\n    <<: *app\n    command: ["alembic", "upgrade", "head"]\n',
      'b/compose.yaml': 'services:\n  api:\n    image: acme/api\n    command: sh -c "python manage.py migrate && gunicorn app:app"\n',
      'c/compose.yaml': 'services:\n  api:\n    image: acme/api\n    command: gunicorn app:app\n    environment:\n      DEPLOY: "1"\n',
      'd/compose.yaml': 'services:\n  api:\n    image: x\n    image: acme/api\n    command: npx prisma migrate deploy\n',
      'e/compose.yaml': 'services:\n  web:\n    image: nginx\n---\nservices:\n  api:\n    command: flask db upgrade\n',
      'f/compose.yaml': 'services:\n  api:\n    image: acme/api\n    command: |\n      echo start\n      ---\n      knex migrate:latest\n',
    });
    // d/ has a duplicate key and e/ two documents: the workspace refuses them, they are read as before.
    expect(migrationRunners(ws).map((r) => r.file)).toEqual(['a/compose.yaml', 'b/compose.yaml', 'd/compose.yaml', 'e/compose.yaml', 'f/compose.yaml']);
  });

  it('knows development files', () => {
    for (const f of ['docker-compose.dev.yml', 'compose.local.yaml', 'docker-compose.override.yml', 'docker-compose-dev.yml', 'docker-compose.debug.yml', '.devcontainer/docker-compose.yml']) {
      expect(isDevFile(f), f).toBe(true);
    }
    for (const f of ['docker-compose.yml', 'compose.prod.yaml', 'docker-compose.production.yml', 'deploy/compose.yaml']) expect(isDevFile(f), f).toBe(false);
  });

  it('sees create_all skipped in production (seed 002)', () => {
    const ws = Workspace.fromFiles({
      'backend/app/main.py': [
        'from fastapi import FastAPI',
        'app = FastAPI()',
        '',
        '@app.on_event("startup")',
        'async def startup():',
        '    if settings.APP_ENV != "production":',
        '        async with engine.begin() as conn:',
        '            await conn.run_sync(Base.metadata.create_all)',
        '',
      ].join('\n'),
      'other.py': 'Base.metadata.create_all(engine)\n',
    });
    expect(createAllSkippedInProduction(ws)).toEqual({ file: 'backend/app/main.py', line: 8 });
    const ws2 = Workspace.fromFiles({
      'main.py': 'if os.getenv("ENV") == "production":\n    log.info("skipping")\nelse:\n    Base.metadata.create_all(engine)\n',
    });
    expect(createAllSkippedInProduction(ws2)).toEqual({ file: 'main.py', line: 4 });
    expect(createAllSkippedInProduction(Workspace.fromFiles({ 'x.py': 'def f():\n    Base.metadata.create_all(e)\n' }))).toBeUndefined();
  });
});
