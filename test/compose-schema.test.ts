// Every compose file in every fixture after/ tree (whatever rule produced it) must be a valid
// compose file: it validates against the Compose Specification schema, and — when the Debian
// `docker-compose` binary is installed (CI installs it) — `docker-compose config -q` accepts it.
// For docker-compose the tree is copied to a temporary directory where the variables the file
// interpolates are set, and missing build contexts / env_files are created empty, so that only the
// file itself is judged.
import fs from 'node:fs';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { classify, dirname, joinPath } from '../src/classify.js';
import { REPO, copyTree, fixtureCases, readTree, tmpDir } from './helpers/tree.js';

const SCHEMA = path.join(REPO, '..', 'shared', 'schemas', 'compose-spec.json');

interface ComposeCase {
  label: string;
  root: string;
  file: string;
  text: string;
}

function composeCases(): ComposeCase[] {
  const out: ComposeCase[] = [];
  for (const fc of fixtureCases()) {
    const after = path.join(fc.dir, 'after');
    if (!fs.existsSync(after)) continue;
    for (const [file, bytes] of readTree(after)) {
      if (classify(file) !== 'compose') continue;
      out.push({ label: `${fc.rule} › ${fc.name} › ${file}`, root: after, file, text: bytes.toString('utf8') });
    }
  }
  return out;
}

function loadSchema(): object {
  const schema = JSON.parse(fs.readFileSync(SCHEMA, 'utf8')) as Record<string, unknown>;
  // Its "$schema" URI has no trailing '#', which ajv does not know: the draft-07 meta-schema is ajv's default.
  delete schema.$schema;
  return schema;
}

function findDockerCompose(): string | undefined {
  const r = spawnSync('docker-compose', ['version', '--short'], { encoding: 'utf8' });
  return r.status === 0 ? 'docker-compose' : undefined;
}

/** Compose Specification features docker-compose 1.29 (the Debian package) rejects, if the file uses one. */
function v1Unsupported(text: string): string | undefined {
  const value = (parse(text, { merge: true, maxAliasCount: 100 }) ?? {}) as { services?: Record<string, Record<string, unknown>>; include?: unknown };
  if (value.include !== undefined) return 'top-level `include`';
  for (const svc of Object.values(value.services ?? {})) {
    if (!svc || typeof svc !== 'object') continue;
    const ports = Array.isArray(svc.ports) ? svc.ports : [];
    if (ports.some((p) => p && typeof p === 'object' && 'host_ip' in p)) return '`host_ip` in long port syntax';
    const deps = svc.depends_on;
    if (deps && typeof deps === 'object' && !Array.isArray(deps)) {
      for (const d of Object.values(deps)) if (d && typeof d === 'object' && ('restart' in d || 'required' in d)) return '`depends_on` `restart`/`required`';
    }
    const hc = svc.healthcheck as Record<string, unknown> | undefined;
    if (hc && typeof hc === 'object' && 'start_interval' in hc) return '`healthcheck.start_interval`';
    if ('develop' in svc) return '`develop`';
  }
  return undefined;
}

function run(cmd: string, args: string[], cwd: string, env: Record<string, string>): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    p.on('error', (e) => resolve({ status: null, stderr: e.message }));
    p.on('close', (status) => resolve({ status, stderr }));
  });
}

const cases = composeCases();

describe('compose files produced by fixes', () => {
  it('exist', () => {
    expect(fs.existsSync(SCHEMA), `schema at ${SCHEMA}`).toBe(true);
    expect(cases.length).toBeGreaterThan(0);
  });

  const ajv = new Ajv({ strict: false, allErrors: true });
  const validate = fs.existsSync(SCHEMA) ? ajv.compile(loadSchema()) : undefined;
  it('the schema rejects what compose rejects', () => {
    expect(validate!(parse('services:\n  db:\n    image: postgres\n    healthcheck:\n      test: pg_isready\n      retriez: 5\n'))).toBe(false);
    expect(validate!(parse('services:\n  db:\n    image: postgres\n    depends_on:\n      redis:\n        condition: healthy\n'))).toBe(false);
    expect(validate!(parse('services:\n  db:\n    image: postgres\n    healthcheck:\n      test: ["CMD", "pg_isready"]\n      interval: 10s\n'))).toBe(true);
  });

  for (const c of cases) {
    it(`schema: ${c.label}`, () => {
      const value = parse(c.text, { merge: true, maxAliasCount: 100 }) as unknown;
      const ok = validate!(value);
      expect(ok ? [] : (validate!.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`)).toEqual([]);
    });
  }

  const bin = findDockerCompose();
  if (!bin) {
    it.skip('docker-compose config -q: skipped — the docker-compose binary is not installed (apt-get install docker-compose)', () => {});
    console.warn('compose-schema.test: docker-compose is not installed; `docker-compose config -q` checks skipped (CI installs it).');
    return;
  }
  for (const c of cases) {
    const newer = v1Unsupported(c.text);
    if (newer) {
      it.skip(`docker-compose config: ${c.label} — skipped: uses ${newer}, which the Compose Specification has and docker-compose 1.29 (Debian) does not`, () => {});
      console.warn(`compose-schema.test: ${c.label}: docker-compose 1.29 does not know ${newer}; checked against the schema only.`);
      continue;
    }
    it.concurrent(`docker-compose config: ${c.label}`, async () => {
      const dir = tmpDir('shipshape-compose-');
      try {
        copyTree(c.root, dir);
        const value = (parse(c.text, { merge: true, maxAliasCount: 100 }) ?? {}) as { services?: Record<string, Record<string, unknown>> };
        const base = dirname(c.file);
        // Build contexts and env files the fixture does not carry.
        for (const svc of Object.values(value.services ?? {})) {
          const b = svc?.build;
          const ctx = typeof b === 'string' ? b : b && typeof b === 'object' ? ((b as { context?: string }).context ?? '.') : undefined;
          if (ctx !== undefined && !/^[a-z]+:\/\//i.test(ctx)) fs.mkdirSync(path.join(dir, joinPath(base, ctx)), { recursive: true });
          const envFiles = svc?.env_file === undefined ? [] : Array.isArray(svc.env_file) ? svc.env_file : [svc.env_file];
          for (const ef of envFiles) {
            const p = typeof ef === 'string' ? ef : (ef as { path?: string }).path;
            if (p && !fs.existsSync(path.join(dir, joinPath(base, p)))) fs.writeFileSync(path.join(dir, joinPath(base, p)), '');
          }
        }
        // Every interpolated variable gets a value (required ones would otherwise fail by design).
        const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir };
        for (const m of c.text.matchAll(/(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)/g)) env[m[1]!] = 'x';
        for (const m of c.text.matchAll(/(?<!\$)\$([A-Za-z_][A-Za-z0-9_]*)/g)) env[m[1]!] = 'x';
        const files = [c.file];
        const name = path.basename(c.file);
        if (/override/.test(name)) {
          const baseFile = ['docker-compose.yml', 'docker-compose.yaml', 'compose.yaml', 'compose.yml'].map((f) => joinPath(base, f)).find((f) => fs.existsSync(path.join(dir, f)));
          if (baseFile) files.unshift(baseFile);
        }
        const args = [...files.flatMap((f) => ['-f', f]), '--project-directory', path.join(dir, base || '.'), 'config', '-q'];
        const r = await run(bin, args, dir, env);
        expect(`${r.status} ${r.stderr}`.trim()).toBe('0');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }, 120_000);
  }
});
