// node/settings-validation and node/env-call-site beyond the fixtures: how reads are classified
// into fields, that every generated settings module type-checks with tsc, that rewritten call
// sites type-check against it, and that the modules really run: they reject a missing or invalid
// variable (non-zero exit, message naming each one) and accept a valid set.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import { Workspace } from '../src/workspace.js';
import { openWorkspace, planFixes } from '../src/api.js';
import { ruleById } from '../src/registry.js';
import { settingsPlans } from '../src/project/node-settings.js';
import { renderSettingsModule, type FieldSpec, type Flavour } from '../src/codegen/ts-settings.js';
import { validateText } from '../src/parsers/validate.js';
import { FIXTURES, REPO, readTree, tmpDir, writeTree } from './helpers/tree.js';

const TSC = path.join(REPO, 'node_modules', '.bin', 'tsc');
const rules = [ruleById('node/settings-validation')!, ruleById('node/env-call-site')!];

async function fieldsOf(files: Record<string, string>) {
  const plans = await settingsPlans(Workspace.fromFiles(files), { ignore: ['NODE_ENV'] });
  return plans;
}

describe('env reads → fields', () => {
  it('infers kinds, defaults, required and optional from how the code uses each variable', async () => {
    const [plan] = await fieldsOf({
      'package.json': '{"name":"x","dependencies":{"express":"4"}}',
      'src/a.ts': [
        "const port = Number(process.env.PORT ?? 3000);",
        "const pool = parseInt(process.env['POOL'] || '5', 10);",
        "const debug = process.env.DEBUG === 'true';",
        "const cache = process.env.CACHE !== 'false';",
        "const db = process.env.DATABASE_URL;",
        "if (process.env.SENTRY_DSN) console.log('sentry');",
        "const secret = process.env.JWT_SECRET || 'changeme';",
        "const env = process.env.NODE_ENV;",
        "process.env.TZ = 'UTC';",
        "const tz = process.env.TZ;",
        "const origins = process.env.ORIGINS?.split(',');",
        "export { port, pool, debug, cache, db, secret, env, tz, origins };",
      ].join('\n'),
      'src/a.test.ts': 'const t = process.env.TEST_ONLY;',
      'vite.config.ts': 'export default { base: process.env.BASE };',
    });
    const f = Object.fromEntries([...plan!.fields].map(([k, v]) => [k, { kind: v.kind, default: v.default, optional: v.optional, url: v.url, minLength: v.minLength }]));
    expect(f).toEqual({
      CACHE: { kind: 'boolean', default: true, optional: false, url: false, minLength: undefined },
      DATABASE_URL: { kind: 'string', default: undefined, optional: false, url: true, minLength: undefined },
      DEBUG: { kind: 'boolean', default: false, optional: false, url: false, minLength: undefined },
      JWT_SECRET: { kind: 'string', default: undefined, optional: false, url: false, minLength: 32 },
      ORIGINS: { kind: 'string', default: undefined, optional: true, url: false, minLength: undefined },
      POOL: { kind: 'integer', default: 5, optional: false, url: false, minLength: undefined },
      PORT: { kind: 'number', default: 3000, optional: false, url: false, minLength: undefined },
      SENTRY_DSN: { kind: 'string', default: undefined, optional: true, url: false, minLength: undefined },
    });
  });

  it('skips browser-only projects and, in Next.js, NEXT_PUBLIC_* and client-reachable code', async () => {
    expect(await fieldsOf({ 'package.json': '{"dependencies":{"vite":"5"}}', 'src/a.ts': 'export const a = process.env.A!;' })).toEqual([]);
    const [plan] = await fieldsOf({
      'package.json': '{"dependencies":{"next":"14"}}',
      'app/page.tsx': "import { x } from '../lib/x';\nexport default function P() { return process.env.SERVER_ONLY! + x + process.env.NEXT_PUBLIC_A; }",
      'components/C.tsx': "'use client';\nimport { y } from '@/lib/y';\nexport const C = () => process.env.NEXT_PUBLIC_B + y;",
      'lib/y.ts': 'export const y = process.env.SHARED_WITH_CLIENT;',
      'lib/x.ts': 'export const x = process.env.SERVER_X!;',
      'tsconfig.json': '{ "compilerOptions": { "paths": { "@/*": ["./*"] } } }',
    });
    expect([...plan!.fields.keys()]).toEqual(['SERVER_ONLY', 'SERVER_X']);
    expect(plan!.module.path).toBe('config/settings.ts');
  });

  it('one settings module per package.json project', async () => {
    const plans = await fieldsOf({
      'api/package.json': '{"type":"module","dependencies":{"express":"4"}}',
      'api/src/a.ts': 'export const a = process.env.A!;',
      'worker/package.json': '{}',
      'worker/index.js': "const b = process.env.B;\nmodule.exports = { b };",
    });
    expect(plans.map((p) => [p.module.path, p.module.flavour.language])).toEqual([
      ['api/src/config/settings.ts', 'ts'],
      ['worker/config/settings.js', 'cjs'],
    ]);
  });

  it('rejects a fix that leaves a TS/JS file unparsable', async () => {
    await expect(validateText('typescript', 'const x = ;\n', 'a.ts')).rejects.toThrow();
    await expect(validateText('typescript', 'const x = <div>{1}</div>;\n', 'a.tsx')).resolves.toBeUndefined();
  });
});

// ---- type checking ------------------------------------------------------------------------------

function tsc(dir: string, config: object): { status: number | null; out: string } {
  fs.writeFileSync(path.join(dir, 'tsconfig.check.json'), JSON.stringify(config, null, 2));
  const r = spawnSync(TSC, ['-p', 'tsconfig.check.json'], { cwd: dir, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

function withNodeModules(dir: string): void {
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
}

/** zod 3 projects: check against the zod 3 API that zod 4 ships as `zod/v3`. */
function zodFor(text: string, major: number | undefined): string {
  return major !== undefined && major < 4 ? text.replace(/from 'zod'/, "from 'zod/v3'") : text;
}

const generated = ['settings-validation', 'env-call-site'].flatMap((rule) =>
  fs.readdirSync(path.join(FIXTURES, 'node', rule)).map((c) => path.join(FIXTURES, 'node', rule, c, 'after')),
).filter((d) => fs.existsSync(d)).flatMap((d) => [...readTree(d).keys()].filter((f) => /(^|\/)config\/settings\.ts$/.test(f)).map((f) => ({ dir: d, file: f })));

describe('generated TypeScript type-checks (tsc --noEmit)', () => {
  it('finds generated modules in the fixtures', () => {
    expect(generated.length).toBeGreaterThanOrEqual(6);
  });
  for (const { dir, file } of generated) {
    it(`${path.relative(FIXTURES, dir)}/${file}`, () => {
      const tmp = tmpDir('shipshape-tsc-');
      const tree = readTree(dir);
      const pkg = JSON.parse(tree.get('package.json')!.toString('utf8')) as { dependencies?: Record<string, string> };
      const zod = pkg.dependencies?.zod ? Number(/\d+/.exec(pkg.dependencies.zod)![0]) : undefined;
      writeTree(tmp, { [file]: zodFor(tree.get(file)!.toString('utf8'), zod) });
      if (tree.has('tsconfig.json')) writeTree(tmp, { 'tsconfig.json': tree.get('tsconfig.json')! });
      if (tree.has('package.json')) writeTree(tmp, { 'package.json': tree.get('package.json')! });
      withNodeModules(tmp);
      const r = tsc(tmp, {
        ...(tree.has('tsconfig.json') ? { extends: './tsconfig.json' } : {}),
        compilerOptions: { noEmit: true, incremental: false, skipLibCheck: true, types: ['node'], plugins: [], strict: true, noUncheckedIndexedAccess: true, noUnusedLocals: true },
        files: [file],
        include: [],
      });
      expect(r.out).toBe('');
      expect(r.status).toBe(0);
    });
  }
});

// ---- a whole project: fix, type-check everything, run ------------------------------------------

const APP = {
  'package.json': JSON.stringify({ name: 'app', type: 'module', private: true }, null, 2) + '\n',
  'tsconfig.json': JSON.stringify({
    compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noUncheckedIndexedAccess: true, noUnusedLocals: true, rootDir: 'src', outDir: 'dist', types: ['node'] },
    include: ['src'],
  }, null, 2) + '\n',
  'src/limits.ts': [
    "export const maxUpload = parseInt(process.env.MAX_UPLOAD_MB || '10', 10) * 1024 * 1024;",
    "export const ratio: number = Number(process.env.SAMPLE_RATIO ?? 0.5);",
    '',
  ].join('\n'),
  'src/main.ts': [
    "import { maxUpload, ratio } from './limits.js';",
    '',
    "const { APP_NAME = 'demo', REGION } = process.env;",
    'const port: number = Number(process.env.PORT ?? 3000);',
    "const verbose: boolean = process.env.VERBOSE === 'true';",
    'const database: string = process.env.DATABASE_URL!;',
    'const secret: string = process.env.SESSION_SECRET as string;',
    'const dsn: string | undefined = process.env.SENTRY_DSN ? process.env.SENTRY_DSN : undefined;',
    '',
    'console.log(JSON.stringify({ APP_NAME, REGION, port, verbose, database, secret, dsn, maxUpload, ratio }));',
    '',
  ].join('\n'),
};

const VALID = {
  DATABASE_URL: 'postgres://app:pw@db:5432/app',
  SESSION_SECRET: 'x'.repeat(40),
  REGION: 'eu-west-1',
  PORT: '8080',
  VERBOSE: 'yes',
};

function run(file: string, env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [file], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('a TypeScript app fixed by both rules', () => {
  it('type-checks, and at run time rejects missing or invalid variables and accepts a valid set', async () => {
    const dir = tmpDir('shipshape-app-');
    writeTree(dir, APP);
    const ws = openWorkspace(dir);
    const plan = await planFixes(ws, { rules, all: true });
    expect(plan.session.failures).toEqual([]);
    expect(plan.outcomes.filter((o) => o.status !== 'applied' && o.status !== 'resolved')).toEqual([]);
    for (const c of plan.changes) writeTree(dir, { [c.file]: c.after });
    const main = fs.readFileSync(path.join(dir, 'src/main.ts'), 'utf8');
    expect(main).not.toContain('process.env');
    expect(main).toContain("import { settings } from './config/settings.js';");
    expect(fs.readFileSync(path.join(dir, 'src/limits.ts'), 'utf8')).toContain('settings.MAX_UPLOAD_MB * 1024 * 1024');

    // Fixing again changes nothing.
    const again = await planFixes(openWorkspace(dir), { rules, all: true });
    expect(again.changes.map((c) => c.file)).toEqual([]);

    withNodeModules(dir);
    const r = tsc(dir, { extends: './tsconfig.json', compilerOptions: { noEmit: true } });
    expect(r.out).toBe('');
    expect(r.status).toBe(0);

    const out = path.join(dir, 'out', 'main.mjs');
    await build({ entryPoints: [path.join(dir, 'src/main.ts')], bundle: true, platform: 'node', format: 'esm', outfile: out, logLevel: 'silent' });

    const missing = run(out, {});
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toContain('Invalid environment configuration');
    for (const name of ['DATABASE_URL', 'SESSION_SECRET', 'REGION']) expect(missing.stderr).toContain(`${name} is required but not set`);
    expect(missing.stderr).not.toMatch(/PORT|VERBOSE|APP_NAME|SENTRY_DSN/);

    const invalid = run(out, { ...VALID, PORT: 'eighty', SESSION_SECRET: 'short', DATABASE_URL: 'db:5432', VERBOSE: 'maybe', MAX_UPLOAD_MB: '2.5' });
    expect(invalid.status).not.toBe(0);
    for (const line of [
      'PORT must be a number, got "eighty"',
      'SESSION_SECRET must be at least 32 characters long',
      'DATABASE_URL must be an absolute URL',
      'VERBOSE must be true or false',
      'MAX_UPLOAD_MB must be an integer, got "2.5"',
    ]) expect(invalid.stderr).toContain(line);
    expect(invalid.stderr).not.toContain('short'.padStart(6, '"')); // secrets are never echoed

    const ok = run(out, VALID);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({
      APP_NAME: 'demo', REGION: 'eu-west-1', port: 8080, verbose: true, database: VALID.DATABASE_URL,
      secret: VALID.SESSION_SECRET, maxUpload: 10 * 1024 * 1024, ratio: 0.5,
    });
  }, 60_000);
});

// ---- every flavour of the generator runs -------------------------------------------------------

const FIELDS: FieldSpec[] = [
  { name: 'DATABASE_URL', kind: 'string', optional: false, url: true, mixed: false, keepSiteDefaults: false, secret: false, files: [] },
  { name: 'JWT_SECRET', kind: 'string', optional: false, url: false, minLength: 32, mixed: false, keepSiteDefaults: false, secret: true, files: [] },
  { name: 'PORT', kind: 'integer', default: 3000, optional: false, url: false, mixed: false, keepSiteDefaults: false, secret: false, files: [] },
  { name: 'RATIO', kind: 'number', optional: true, url: false, mixed: false, keepSiteDefaults: false, secret: false, files: [] },
  { name: 'DEBUG', kind: 'boolean', default: false, optional: false, url: false, mixed: false, keepSiteDefaults: false, secret: false, files: [] },
  { name: 'REGION', kind: 'string', default: 'eu', optional: false, url: false, mixed: false, keepSiteDefaults: false, secret: false, files: [] },
];

const FLAVOURS: { name: string; flavour: Flavour; ext: string }[] = [
  { name: 'TypeScript', flavour: { language: 'ts' }, ext: 'ts' },
  { name: 'JavaScript ES module', flavour: { language: 'esm' }, ext: 'mjs' },
  { name: 'JavaScript CommonJS', flavour: { language: 'cjs', quote: '"' }, ext: 'cjs' },
  { name: 'TypeScript with zod 4', flavour: { language: 'ts', zod: 4 }, ext: 'ts' },
  { name: 'TypeScript with zod 3', flavour: { language: 'ts', zod: 3 }, ext: 'ts' },
  { name: 'CommonJS with zod 4', flavour: { language: 'cjs', zod: 4 }, ext: 'cjs' },
];

describe('generated settings modules run', () => {
  for (const { name, flavour, ext } of FLAVOURS) {
    it(name, async () => {
      const dir = tmpDir('shipshape-flavour-');
      withNodeModules(dir);
      const text = zodFor(renderSettingsModule(flavour, FIELDS), flavour.zod);
      writeTree(dir, { [`settings.${ext}`]: text });
      if (flavour.language === 'ts') {
        const r = tsc(dir, {
          compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, noUncheckedIndexedAccess: true, noUnusedLocals: true, exactOptionalPropertyTypes: true, types: ['node'], skipLibCheck: true },
          files: ['settings.ts'],
        });
        expect(r.out).toBe('');
      }
      const cjs = flavour.language === 'cjs';
      const main = cjs
        ? "const { settings } = require('./settings.cjs');\nconsole.log(JSON.stringify(settings));\n"
        : `import { settings } from './settings.${ext === 'ts' ? 'js' : ext}';\nconsole.log(JSON.stringify(settings));\n`;
      writeTree(dir, { [`main.${cjs ? 'cjs' : ext === 'ts' ? 'ts' : 'mjs'}`]: main });
      let entry = path.join(dir, `main.${cjs ? 'cjs' : ext === 'ts' ? 'ts' : 'mjs'}`);
      if (ext === 'ts') {
        const out = path.join(dir, 'out', 'main.mjs');
        await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', outfile: out, logLevel: 'silent', packages: 'external' });
        entry = out;
      }
      const missing = run(entry, {});
      expect(missing.status).not.toBe(0);
      expect(missing.stderr).toContain('Invalid environment configuration');
      expect(missing.stderr).toContain('DATABASE_URL');
      expect(missing.stderr).toContain('JWT_SECRET');
      expect(missing.stderr).not.toMatch(/\bPORT\b|RATIO|DEBUG|REGION/);

      const bad = run(entry, { DATABASE_URL: 'nope', JWT_SECRET: 'short', PORT: '1.5', RATIO: 'x', DEBUG: 'perhaps' });
      expect(bad.status).not.toBe(0);
      for (const v of ['DATABASE_URL', 'JWT_SECRET', 'PORT', 'RATIO', 'DEBUG']) expect(bad.stderr).toContain(v);

      const ok = run(entry, { DATABASE_URL: 'https://db.example.com/x', JWT_SECRET: 's'.repeat(32), PORT: '', DEBUG: 'ON', RATIO: '0.25' });
      expect(ok.stderr).toBe('');
      expect(ok.status).toBe(0);
      expect(JSON.parse(ok.stdout)).toEqual({
        DATABASE_URL: 'https://db.example.com/x', JWT_SECRET: 's'.repeat(32), PORT: 3000, RATIO: 0.25, DEBUG: true, REGION: 'eu',
      });
    }, 60_000);
  }
});

describe('projects that validate their environment already', () => {
  it('reports reads elsewhere without a fix, pointing at the existing module', async () => {
    for (const env of [
      "import { z } from 'zod';\nexport const env = z.object({ A: z.string() }).parse(process.env);\n",
      "import { createEnv } from '@t3-oss/env-core';\nexport const env = createEnv({ runtimeEnv: { A: process.env.A } });\n",
    ]) {
      const ws = Workspace.fromFiles({
        'package.json': '{"dependencies":{"express":"4","zod":"3"}}',
        'src/env.ts': env,
        'src/b.ts': 'export const b = process.env.B!;\n',
      });
      const plan = await planFixes(ws, { rules, all: true });
      expect(plan.findings.map((f) => [f.rule, f.file, f.fixable, f.notFixableReason])).toEqual([
        ['node/settings-validation', 'package.json', false, 'src/env.ts already validates the environment as a whole; declare the variables there and read them from it'],
        ['node/env-call-site', 'src/b.ts', false, 'src/env.ts already validates the environment as a whole; declare the variables there and read them from it'],
      ]);
      expect(plan.changes).toEqual([]);
    }
  });

  it('declines a settings file it did not generate', async () => {
    const ws = Workspace.fromFiles({
      'package.json': '{"dependencies":{"express":"4"}}',
      'src/config/settings.ts': 'export const settings = { a: 1 };\n',
      'src/b.ts': 'export const b = process.env.B!;\n',
    });
    const plan = await planFixes(ws, { rules, all: true });
    expect(plan.findings.map((f) => f.notFixableReason)).toEqual([
      'src/config/settings.ts exists but has no `load({ … })` or `z.object({ … })` settings schema to extend',
      'src/config/settings.ts exists but has no `load({ … })` or `z.object({ … })` settings schema to extend',
    ]);
  });
});

describe('imports follow the project', () => {
  async function fixed(files: Record<string, string>): Promise<Record<string, string>> {
    const ws = Workspace.fromFiles(files);
    const plan = await planFixes(ws, { rules, all: true });
    expect(plan.outcomes.filter((o) => o.status !== 'applied' && o.status !== 'resolved')).toEqual([]);
    return Object.fromEntries(plan.changes.map((c) => [c.file, c.after]));
  }

  it('ESM JavaScript under "type": "module" imports with the .js suffix Node requires', async () => {
    const out = await fixed({
      'package.json': '{"type":"module","dependencies":{"express":"4"}}',
      'server.js': "'use strict';\n\nconst port = Number(process.env.PORT ?? 3000);\nexport default port;\n",
      'lib/db.mjs': 'export const url = process.env.DATABASE_URL;\n',
    });
    expect(out['server.js']).toBe("'use strict';\n\nimport { settings } from './config/settings.js';\n\nconst port = settings.PORT;\nexport default port;\n");
    expect(out['lib/db.mjs']).toBe("import { settings } from '../config/settings.js';\n\nexport const url = settings.DATABASE_URL;\n");
    expect(out['config/settings.js']).toContain('export const settings = load({\n  DATABASE_URL: url(),\n  PORT: number({ default: 3000 }),\n});\n');
  });

  it('CommonJS files require the module, after their last require, in their quote style', async () => {
    const out = await fixed({
      'package.json': '{"dependencies":{"express":"4"}}',
      'src/app.js': 'const express = require("express");\nconst settings = { x: 1 };\n\nmodule.exports = express().listen(process.env.PORT || 3000, () => settings);\n',
    });
    expect(out['src/app.js']).toBe(
      'const express = require("express");\nconst { settings: appSettings } = require("./config/settings");\nconst settings = { x: 1 };\n\nmodule.exports = express().listen(appSettings.PORT || 3000, () => settings);\n',
    );
    expect(out['src/config/settings.js']).toContain('module.exports = { settings };');
  });
});
