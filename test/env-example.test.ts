// compose/hardcoded-secret documents each variable in the directory's env template: an existing
// template is merged (its bytes, line endings and variables kept), and a created file never
// replaces one that exists. Through the real engine and writer, on real directories.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openWorkspace, planFixes } from '../src/api.js';
import { changedOnDisk, writeChanges } from '../src/io/write.js';
import { ruleById } from '../src/registry.js';

const COMPOSE = 'services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: hunter2 # TODO rotate\n';
const FIXED = 'services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required} # TODO rotate\n';
const ENTRY = '# Required secret (db): set the real value in .env, never in git\nPOSTGRES_PASSWORD=\n';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function repo(files: Record<string, string | Buffer>): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-envex-')));
  dirs.push(dir);
  for (const [f, t] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), t);
  }
  return dir;
}

async function fix(dir: string, o: { followSymlinks?: boolean; between?: () => void } = {}) {
  const opts = { rules: [ruleById('compose/hardcoded-secret')!], all: true, followSymlinks: o.followSymlinks };
  const ws = openWorkspace(dir, opts);
  const plan = await planFixes(ws, opts);
  o.between?.();
  const stale = changedOnDisk(ws, { followSymlinks: o.followSymlinks });
  const written = writeChanges(ws, { followSymlinks: o.followSymlinks });
  return { plan, stale, written, outcomes: plan.outcomes.map((x) => (x.reason ? `${x.status}: ${x.reason}` : x.status)) };
}

const read = (dir: string, f: string) => fs.readFileSync(path.join(dir, f), 'utf8');

describe('.env.example merging', () => {
  it('appends to an existing template, keeping its bytes, CRLF and missing final newline', async () => {
    const dir = repo({ 'compose.yml': COMPOSE, '.env.example': '# App settings\r\nAPP_ENV=dev\r\nSECRET_KEY=', '.gitignore': '.env\n' });
    const r = await fix(dir);
    expect(r.outcomes).toEqual(['applied']);
    expect(r.written.written).toEqual(['.env.example', 'compose.yml']);
    expect(read(dir, '.env.example')).toBe(`# App settings\r\nAPP_ENV=dev\r\nSECRET_KEY=\r\n\r\n${ENTRY.replace(/\n/g, '\r\n')}`);
    expect(read(dir, 'compose.yml')).toBe(FIXED);
  });

  it('does not repeat a variable the template already defines', async () => {
    const dir = repo({ 'compose.yml': COMPOSE, '.env.example': 'export POSTGRES_PASSWORD=\n', '.gitignore': '.env\n' });
    const r = await fix(dir);
    expect(r.written.written).toEqual(['compose.yml']);
    expect(read(dir, '.env.example')).toBe('export POSTGRES_PASSWORD=\n');
  });

  it('merges into the template the directory has (.env.sample) instead of creating .env.example', async () => {
    const dir = repo({ 'compose.yml': COMPOSE, '.env.sample': 'APP_ENV=dev\n', '.gitignore': '.env\n' });
    const r = await fix(dir);
    expect(r.written.written).toEqual(['.env.sample', 'compose.yml']);
    expect(read(dir, '.env.sample')).toBe(`APP_ENV=dev\n\n${ENTRY}`);
    expect(fs.existsSync(path.join(dir, '.env.example'))).toBe(false);
  });

  it('creates the template when there is none', async () => {
    const dir = repo({ 'compose.yml': COMPOSE, '.gitignore': '.env\n' });
    const r = await fix(dir);
    expect(r.written.written).toEqual(['.env.example', 'compose.yml']);
    expect(read(dir, '.env.example')).toBe(`# Variables the compose files need. Copy to .env and fill in; .env stays out of git.\n\n${ENTRY}`);
  });
});

describe('created files never overwrite an existing file', () => {
  it('a template that exists but is ignored (not scanned) is not overwritten: the fix is refused at planning, nothing is written', async () => {
    const dir = repo({ 'compose.yml': COMPOSE, '.env.example': 'APP_ENV=dev\n', '.gitignore': '.env*\n' });
    const r = await fix(dir);
    expect(r.outcomes).toEqual(['conflict: would create .env.example, which exists on disk but was not scanned (ignored); not overwritten']);
    expect(r.plan.changes).toEqual([]);
    expect(read(dir, '.env.example')).toBe('APP_ENV=dev\n');
    expect(read(dir, 'compose.yml')).toBe(COMPOSE);
  });

  it('a template created on disk after planning is reported before writing and never replaced', async () => {
    const dir = repo({ 'compose.yml': COMPOSE, '.gitignore': '.env\n' });
    const r = await fix(dir, { between: () => fs.writeFileSync(path.join(dir, '.env.example'), 'MINE=1\n') });
    expect(r.stale).toEqual([{ file: '.env.example', reason: 'was created on disk since the scan' }]);
    expect(r.written.skipped).toEqual([{ file: '.env.example', reason: 'was created on disk since the scan; not overwritten' }]);
    expect(read(dir, '.env.example')).toBe('MINE=1\n');
  });

  it('a template that cannot be read (binary) makes the fix a conflict: nothing is written', async () => {
    const dir = repo({ 'compose.yml': COMPOSE, '.env.example': Buffer.from([0x41, 0x00, 0x42]), '.gitignore': '.env\n' });
    const r = await fix(dir);
    expect(r.outcomes).toEqual(['conflict: cannot edit .env.example: it could not be read']);
    expect(r.written.written).toEqual([]);
    expect(read(dir, 'compose.yml')).toBe(COMPOSE);
  });

  it('a symlinked template is edited at its target only with --follow-symlinks', async () => {
    const dir = repo({ 'compose.yml': COMPOSE, 'env/template': 'APP_ENV=dev\n', '.gitignore': '.env\n' });
    fs.symlinkSync('env/template', path.join(dir, '.env.example'));
    const r = await fix(dir);
    expect(r.outcomes).toEqual(['conflict: .env.example is a symbolic link; not edited (use --follow-symlinks to edit its target)']);
    expect(r.written.written).toEqual([]);
    expect(read(dir, 'compose.yml')).toBe(COMPOSE);

    const f = await fix(dir, { followSymlinks: true });
    expect(f.written.written).toEqual(['.env.example', 'compose.yml']);
    expect(read(dir, 'env/template')).toBe(`APP_ENV=dev\n\n${ENTRY}`);
    expect(fs.lstatSync(path.join(dir, '.env.example')).isSymbolicLink()).toBe(true);
  });
});
