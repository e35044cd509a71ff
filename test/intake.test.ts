// --from: other tools' reports (SARIF and native JSON of hadolint, Trivy, Checkov, KICS, Semgrep)
// and written audit reports, tied to shipshape findings. Real report shapes live in
// test/fixtures-intake/reports (see its README for where each shape comes from); the repository
// they describe is test/fixtures-intake/webapp. The five seed reports are matched against the seed
// projects in fixtures/projects.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openWorkspace, scan } from '../src/api.js';
import { allRules } from '../src/generated/rules.js';
import { intake, loadReport, ReportError, type IntakeResult } from '../src/intake/index.js';
import { AUDIT_PHRASES, EXTERNAL_RULES, lookupExternal, toolKey, toolOfRuleId } from '../src/intake/mapping.js';
import { parseReported, resolveReported } from '../src/intake/paths.js';
import { findQuote, parseAudit, repairMojibake } from '../src/intake/audit.js';
import { runScan } from '../src/cli/scan.js';
import { runFix } from '../src/cli/fix.js';
import { runBulk } from '../src/cli/bulk.js';
import { initRepo } from './helpers/git.js';
import { Workspace } from '../src/workspace.js';
import { copyTree, FIXTURES, REPO, tmpDir } from './helpers/tree.js';

const HERE = path.join(REPO, 'test', 'fixtures-intake');
const WEBAPP = path.join(HERE, 'webapp');
const REPORTS = path.join(HERE, 'reports');
const report = (name: string) => path.join(REPORTS, name);

async function run(root: string, ...reports: string[]): Promise<IntakeResult> {
  const ws = openWorkspace(root);
  const r = await scan(ws);
  return intake(ws, r.report.findings, r.rules, reports.map(loadReport));
}

/** `index status tool ruleId → rule file:line, …` for every item. */
function itemLines(r: IntakeResult): string[] {
  return r.items.map((it) => {
    const head = `${it.index} ${it.status} ${it.source.tool} ${it.source.ruleId}`;
    return it.matches.length ? `${head} → ${it.matches.map((f) => `${f.rule} ${f.file}:${f.line}`).join(', ')}` : head;
  });
}

describe('mapping', () => {
  it('maps every spelling of the real ids', () => {
    const rule = (tool: Parameters<typeof lookupExternal>[0], id: string) => lookupExternal(tool, id)?.rule;
    expect(rule('hadolint', 'DL3002')).toBe('dockerfile/non-root-user');
    expect(rule('hadolint', 'DL3025')).toBe('dockerfile/exec-form');
    expect(rule('hadolint', 'DL3057')).toBe('compose/healthcheck');
    for (const id of ['DS002', 'DS-0002', 'AVD-DS-0002', 'ds002', 'least-privilege-user']) expect(rule('trivy', id), id).toBe('dockerfile/non-root-user');
    for (const id of ['DS026', 'DS-0026', 'AVD-DS-0026']) expect(rule('trivy', id), id).toBe('compose/healthcheck');
    expect(rule('checkov', 'CKV_DOCKER_2')).toBe('compose/healthcheck');
    expect(rule('checkov', 'CKV_DOCKER_3')).toBe('dockerfile/non-root-user');
    expect(rule('checkov', 'CKV_DOCKER_8')).toBe('dockerfile/non-root-user');
    expect(rule('kics', 'FD54F200-402C-4333-A5A4-36EF6709AF2F')).toBe('dockerfile/non-root-user');
    expect(rule('kics', '67fd0c4a-68cf-46d7-8c41-bc9fba7e40ae')).toBe('dockerfile/non-root-user');
    expect(rule('kics', 'b03a748a-542d-44f4-bb86-9199ab4fd2d5')).toBe('compose/healthcheck');
    // Semgrep ids with registry/local prefixes, and the rule's own id.
    expect(rule('semgrep', 'dockerfile.security.missing-user.missing-user')).toBe('dockerfile/non-root-user');
    expect(rule('semgrep', 'semgrep-rules.dockerfile.security.missing-user.missing-user')).toBe('dockerfile/non-root-user');
    expect(rule('semgrep', 'rules.missing-user')).toBe('dockerfile/non-root-user');
    expect(rule('semgrep', 'r.python.fastapi.security.wildcard-cors.wildcard-cors')).toBe('python/cors-wildcard');
    // An unfamiliar tool name: the id alone decides.
    expect(toolOfRuleId('CKV_DOCKER_3')).toBe('checkov');
    expect(toolOfRuleId('DL3002')).toBe('hadolint');
    expect(toolOfRuleId('AVD-DS-0002')).toBe('trivy');
    expect(lookupExternal(undefined, 'CKV_DOCKER_8')?.rule).toBe('dockerfile/non-root-user');
    // Known ids without a rule, and unknown ids.
    expect(lookupExternal('trivy', 'DS031')?.rule).toBeNull();
    expect(lookupExternal('hadolint', 'DL3008')).toBeUndefined();
    expect(lookupExternal('checkov', 'CKV_DOCKER_7')).toBeUndefined();
    expect(lookupExternal('trivy', 'DS0021')?.rule).toBeUndefined();
  });

  it('the README lists every mapped id', () => {
    const doc = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
    for (const e of EXTERNAL_RULES) if (e.rule) expect(doc, `${e.tool} ${e.ids[0]}`).toContain(e.ids[0]);
  });

  it('knows the tools by the names their reports give', () => {
    expect(['Hadolint', 'Trivy', 'Checkov', 'Prisma Cloud', 'KICS', 'Semgrep OSS', 'CodeQL'].map(toolKey)).toEqual([
      'hadolint', 'trivy', 'checkov', 'checkov', 'kics', 'semgrep', undefined,
    ]);
  });

  it('names only rules that exist, each id once', () => {
    const ids = new Set(allRules.map((r) => r.id));
    for (const e of EXTERNAL_RULES) if (e.rule) expect(ids.has(e.rule), `${e.tool} ${e.ids[0]} → ${e.rule}`).toBe(true);
    for (const r of Object.keys(AUDIT_PHRASES)) expect(ids.has(r), r).toBe(true);
    const seen = new Set<string>();
    for (const e of EXTERNAL_RULES) {
      for (const id of e.ids) {
        const key = `${e.tool}:${id.toLowerCase()}`;
        expect(seen.has(key), key).toBe(false);
        seen.add(key);
      }
    }
  });
});

describe('reports of other tools', () => {
  it('hadolint SARIF (Windows paths) and JSON', async () => {
    expect(itemLines(await run(WEBAPP, report('hadolint.sarif')))).toEqual([
      '1 no-rule hadolint DL3008',
      '2 matched hadolint DL3025 → dockerfile/exec-form Dockerfile:9',
      '3 matched hadolint DL3057 → compose/healthcheck docker-compose.yml:2',
      '4 matched hadolint DL3002 → dockerfile/non-root-user services/my worker/Dockerfile:4',
      '5 no-finding hadolint DL3057',
    ]);
    expect(itemLines(await run(WEBAPP, report('hadolint.json')))).toEqual([
      '1 no-rule hadolint DL3008',
      '2 matched hadolint DL3025 → dockerfile/exec-form Dockerfile:9',
      '3 matched hadolint DL3002 → dockerfile/non-root-user services/my worker/Dockerfile:4',
    ]);
  });

  it('Trivy SARIF (ROOTPATH base, %20) and JSON (DS-00xx ids, PASS results left out)', async () => {
    const sarif = await run(WEBAPP, report('trivy.sarif'));
    expect(itemLines(sarif)).toEqual([
      '1 matched trivy DS002 → dockerfile/non-root-user Dockerfile:1',
      '2 matched trivy DS026 → compose/healthcheck docker-compose.yml:2',
      '3 matched trivy DS002 → dockerfile/non-root-user services/my worker/Dockerfile:4',
      '4 no-finding trivy DS026',
    ]);
    expect(sarif.items[3]!.reason).toBe(
      'compose/healthcheck found nothing on worker (docker-compose.yml), the compose service building services/my worker/Dockerfile',
    );
    expect(itemLines(await run(WEBAPP, report('trivy.json')))).toEqual([
      '1 matched trivy DS-0002 → dockerfile/non-root-user Dockerfile:1',
      '2 matched trivy DS-0026 → compose/healthcheck docker-compose.yml:2',
      '3 matched trivy DS-0002 → dockerfile/non-root-user services/my worker/Dockerfile:4',
    ]);
  });

  it('Checkov JSON (file_path under the scan root) and SARIF', async () => {
    const expected = [
      '1 matched checkov CKV_DOCKER_2 → compose/healthcheck docker-compose.yml:2',
      '2 matched checkov CKV_DOCKER_3 → dockerfile/non-root-user Dockerfile:1',
      '3 no-finding checkov CKV_DOCKER_2',
      '4 matched checkov CKV_DOCKER_8 → dockerfile/non-root-user services/my worker/Dockerfile:4',
    ];
    expect(itemLines(await run(WEBAPP, report('checkov.json')))).toEqual(expected);
    expect(itemLines(await run(WEBAPP, report('checkov.sarif')))).toEqual(expected);
  });

  it('KICS JSON from Windows (declared scan path) and SARIF', async () => {
    const json = await run(WEBAPP, report('kics.json'));
    expect(itemLines(json)).toEqual([
      '1 matched kics fd54f200-402c-4333-a5a4-36ef6709af2f → dockerfile/non-root-user Dockerfile:1',
      '2 matched kics bb9ac4f7-e13b-423d-a010-c74a1bfbe492 → compose/resource-limits docker-compose.yml:2',
      '3 matched kics bb9ac4f7-e13b-423d-a010-c74a1bfbe492 → compose/resource-limits docker-compose.yml:11',
      '4 matched kics bb9ac4f7-e13b-423d-a010-c74a1bfbe492 → compose/resource-limits docker-compose.yml:16',
      '5 no-finding kics 451d79dc-0588-476a-ad03-3c7f0320abb3',
      '6 matched kics 451d79dc-0588-476a-ad03-3c7f0320abb3 → compose/db-port-exposed docker-compose.yml:22',
      '7 matched kics 698ed579-b239-4f8f-a388-baa4bcb13ef8 → compose/healthcheck docker-compose.yml:2',
      '8 no-finding kics 698ed579-b239-4f8f-a388-baa4bcb13ef8',
      '9 matched kics 698ed579-b239-4f8f-a388-baa4bcb13ef8 → compose/healthcheck docker-compose.yml:16',
      '10 matched kics ce14a68b-1668-41a0-ab7d-facd9f784742 → compose/network-segmentation docker-compose.yml:1',
      '11 matched kics ce14a68b-1668-41a0-ab7d-facd9f784742 → compose/network-segmentation docker-compose.yml:1',
      '12 matched kics ce14a68b-1668-41a0-ab7d-facd9f784742 → compose/network-segmentation docker-compose.yml:1',
      '13 no-rule kics 965a08d7-ef86-4f14-8792-4a3b2098937e',
    ]);
    // The app's port 8000 is not a database port: the narrower rule says so.
    expect(json.items[4]!.reason).toBe('compose/db-port-exposed found nothing at docker-compose.yml:4 (shipshape binds database and cache ports only)');
    expect(itemLines(await run(WEBAPP, report('kics.sarif')))).toEqual([
      '1 matched kics b03a748a-542d-44f4-bb86-9199ab4fd2d5 → compose/healthcheck docker-compose.yml:2',
      '2 matched kics b86987e1-6397-4619-81d5-8807f2387c79 → dockerfile/exec-form Dockerfile:9',
    ]);
  });

  it('Semgrep SARIF (suppressed results left out) and JSON (prefixed ids, ignored results left out)', async () => {
    expect(itemLines(await run(WEBAPP, report('semgrep.sarif')))).toEqual([
      '1 matched semgrep dockerfile.security.missing-user.missing-user → dockerfile/non-root-user Dockerfile:1',
      '2 matched semgrep dockerfile.best-practice.prefer-json-notation.prefer-json-notation → dockerfile/exec-form Dockerfile:9',
      '3 matched semgrep python.fastapi.security.wildcard-cors.wildcard-cors → python/cors-wildcard app/main.py:8',
      '4 no-rule semgrep yaml.docker-compose.security.no-new-privileges.no-new-privileges',
    ]);
    expect(itemLines(await run(WEBAPP, report('semgrep.json')))).toEqual([
      '1 matched semgrep semgrep-rules.dockerfile.security.missing-user.missing-user → dockerfile/non-root-user Dockerfile:1',
      '2 matched semgrep semgrep-rules.python.fastapi.security.wildcard-cors.wildcard-cors → python/cors-wildcard app/main.py:8',
    ]);
  });

  it('the SARIF fixtures are valid SARIF 2.1.0, except where the tool itself writes invalid URIs', async () => {
    const { default: Ajv4 } = await import('ajv-draft-04');
    const { default: addFormats } = await import('ajv-formats');
    const schema = JSON.parse(fs.readFileSync(path.join(REPO, '..', 'shared', 'schemas', 'sarif-schema-2.1.0.json'), 'utf8'));
    const ajv = new Ajv4({ allErrors: true, strict: false });
    addFormats(ajv);
    const validate = ajv.compile(schema);
    for (const f of fs.readdirSync(REPORTS).filter((x) => x.endsWith('.sarif'))) {
      const ok = validate(JSON.parse(fs.readFileSync(report(f), 'utf8')));
      // hadolint puts the path as given on its command line into `uri`: on Windows, backslashes and
      // spaces, which are not a URI reference. Reading it anyway is the point of the fixture.
      const errors = (ok ? [] : validate.errors!).map((e) => `${e.instancePath} ${e.message}`);
      expect(errors, f).toEqual(
        f === 'hadolint.sarif'
          ? ['/runs/0/results/3/locations/0/physicalLocation/artifactLocation/uri must match format "uri-reference"', '/runs/0/results/4/locations/0/physicalLocation/artifactLocation/uri must match format "uri-reference"']
          : [],
      );
    }
  });

  it('refuses what it cannot read, with the reason', () => {
    const dir = tmpDir();
    const write = (name: string, text: string) => (fs.writeFileSync(path.join(dir, name), text), path.join(dir, name));
    expect(() => loadReport(path.join(dir, 'missing.sarif'))).toThrow(/no such file/);
    expect(() => loadReport(write('broken.sarif', '{"runs": ['))).toThrow(/not valid JSON/);
    expect(() => loadReport(write('other.json', '{"hello": 1}'))).toThrow(/unrecognised JSON report/);
    expect(() => loadReport(write('old.sarif', '{"version": "1.0.0", "runs": []}'))).toThrow(ReportError);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('path safety', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  /** A copy of the webapp in <tmp>/webapp, with a secret outside it and links leading there. */
  function sandbox() {
    const base = tmpDir();
    dirs.push(base);
    const root = path.join(base, 'webapp');
    copyTree(WEBAPP, root);
    fs.mkdirSync(path.join(base, 'outside'));
    fs.writeFileSync(path.join(base, 'outside', 'secret.txt'), 'not yours\n');
    fs.symlinkSync(path.join(base, 'outside'), path.join(root, 'link-out'));
    fs.symlinkSync(path.join(base, 'outside', 'secret.txt'), path.join(root, 'escape.txt'));
    return { base, root, ws: openWorkspace(root) };
  }

  it('rejects absolute paths, ../ escapes, file:// URIs and symbolic links that lead outside the root', () => {
    const { base, ws } = sandbox();
    const problem = (p: string, uri = false) => {
      const r = resolveReported(ws, p, { uri });
      return r.ok ? `ok ${r.file}` : `${r.problem}: ${r.message}`;
    };
    expect(problem('/etc/passwd')).toBe(`outside: /etc/passwd: absolute path outside the scanned root ${ws.root}; not used`);
    expect(problem(`${base}/outside/secret.txt`)).toMatch(/^outside: .*absolute path outside the scanned root/);
    expect(problem('../outside/secret.txt')).toBe('outside: ../outside/secret.txt: climbs out of the scanned root with "../"; not used');
    expect(problem('app/../../outside/secret.txt')).toMatch(/^outside: .*climbs out of the scanned root/);
    expect(problem('..\\outside\\secret.txt')).toMatch(/^outside: .*climbs out of the scanned root/);
    expect(problem('%2E%2E/outside/secret.txt', true)).toMatch(/^outside: .*climbs out of the scanned root/);
    expect(problem('file:///etc/hosts', true)).toBe(`outside: file:///etc/hosts: absolute path outside the scanned root ${ws.root}; not used`);
    expect(problem(`file://${base}/outside/secret.txt`, true)).toMatch(/^outside: /);
    expect(problem('link-out/secret.txt')).toBe('outside: link-out/secret.txt: a symbolic link leads outside the scanned root; not used');
    expect(problem(`${ws.root}/link-out/secret.txt`)).toMatch(/^outside: .*symbolic link/);
    expect(problem('escape.txt')).toBe('outside: escape.txt: a symbolic link leads outside the scanned root; not used');
    expect(problem('C:\\Windows\\System32\\drivers\\etc\\hosts')).toMatch(/^outside: .*Windows path outside the scanned root \(no "webapp" folder in it/);
    expect(problem('https://example.com/Dockerfile', true)).toBe('invalid: https://example.com/Dockerfile: a URL, not a file path');
  });

  it('accepts paths inside the root in every spelling', () => {
    const { ws } = sandbox();
    const ok = (p: string, opts: Parameters<typeof resolveReported>[2] = {}) => {
      const r = resolveReported(ws, p, opts);
      return r.ok ? `${r.file} (${r.how})` : `${r.problem}: ${r.message}`;
    };
    expect(ok('Dockerfile')).toBe('Dockerfile (exact)');
    expect(ok('./Dockerfile')).toBe('Dockerfile (exact)');
    expect(ok(`${ws.root}/app/main.py`)).toBe('app/main.py (exact)');
    expect(ok(`file://${ws.root}/app/main.py`, { uri: true })).toBe('app/main.py (exact)');
    expect(ok('services/my%20worker/Dockerfile', { uri: true })).toBe('services/my worker/Dockerfile (exact)');
    expect(ok('.\\services\\my worker\\Dockerfile')).toBe('services/my worker/Dockerfile (exact)');
    expect(ok('C:\\Users\\dev\\src\\webapp\\services\\my worker\\Dockerfile')).toBe('services/my worker/Dockerfile (exact)');
    expect(ok('file:///C:/Users/dev/src/webapp/app/main.py', { uri: true })).toBe('app/main.py (exact)');
    // Relative to a root the report declares (the scanner ran elsewhere).
    expect(ok('/home/runner/work/webapp/webapp/app/main.py', { bases: ['/home/runner/work/webapp/webapp'] })).toBe('app/main.py (exact)');
    expect(ok('/home/runner/work/webapp/webapp/app/main.py')).toMatch(/^outside: /);
    expect(ok('D:\\ci\\checkout\\app\\main.py', { bases: ['D:\\ci\\checkout'] })).toBe('app/main.py (exact)');
    // Matched by suffix when the scanner's root was a subdirectory.
    expect(ok('my worker/Dockerfile')).toBe('services/my worker/Dockerfile (suffix)');
    expect(ok('main.py')).toBe('app/main.py (suffix)');
    expect(ok('nope.txt')).toBe('not-in-repo: nope.txt: no such file in the repository');
  });

  it('says when a name matches several files, and picks by the declared root when it can', () => {
    const ws = Workspace.fromFiles({ 'api/Dockerfile': 'FROM x\n', 'web/Dockerfile': 'FROM y\n' }, '/virtual/repo');
    const r = resolveReported(ws, 'Dockerfile');
    expect(r).toEqual({ ok: false, problem: 'ambiguous', message: 'Dockerfile: matches 2 files (api/Dockerfile, web/Dockerfile)' });
    expect(resolveReported(ws, '/ci/checkout/web/Dockerfile', { bases: ['/ci/checkout/web'] })).toEqual({ ok: true, file: 'web/Dockerfile', how: 'suffix' });
  });

  it('parses URIs and Windows paths', () => {
    expect(parseReported('file:///C:/a%20b/c', true)).toEqual({ kind: 'windows', path: 'C:/a b/c' });
    expect(parseReported('file://server/share/x', true)).toEqual({ kind: 'windows', path: '//server/share/x' });
    expect(parseReported('a\\b\\c')).toEqual({ kind: 'relative', path: 'a/b/c' });
    expect(parseReported('a%20b', false)).toEqual({ kind: 'relative', path: 'a%20b' });
  });

  it('lists rejected items with their message instead of dropping them', async () => {
    const { base, root } = sandbox();
    const sarif = {
      version: '2.1.0',
      runs: [
        {
          tool: { driver: { name: 'Hadolint' } },
          results: ['/etc/passwd', '../outside/secret.txt', 'link-out/secret.txt', 'Dockerfile'].map((uri) => ({
            ruleId: 'DL3002',
            message: { text: 'Last USER should not be root' },
            locations: [{ physicalLocation: { artifactLocation: { uri }, region: { startLine: 1 } } }],
          })),
        },
      ],
    };
    fs.writeFileSync(path.join(base, 'evil.sarif'), JSON.stringify(sarif));
    const r = await run(root, path.join(base, 'evil.sarif'));
    expect(r.items.map((i) => `${i.status}: ${i.reason ?? ''}`)).toEqual([
      `rejected: /etc/passwd: absolute path outside the scanned root ${fs.realpathSync(root)}; not used`,
      'rejected: ../outside/secret.txt: climbs out of the scanned root with "../"; not used',
      'rejected: link-out/secret.txt: a symbolic link leads outside the scanned root; not used',
      'matched: ',
    ]);
    expect(r.entries.filter((e) => e.status === 'rejected')).toHaveLength(3);
  });
});

describe('merging', () => {
  it('one problem reported by three scanners and shipshape is one entry with four sources', async () => {
    const r = await run(WEBAPP, report('combined.sarif'));
    const root = r.entries.filter((e) => e.rule === 'dockerfile/non-root-user' && e.file === 'Dockerfile');
    expect(root).toHaveLength(1);
    expect(root[0]).toMatchObject({ status: 'fixable', safety: 'review', fix: 'Run the container as a non-root user', line: 1 });
    expect(root[0]!.sources).toEqual([
      { tool: 'trivy', ruleId: 'DS002', uri: 'Dockerfile', line: 1, title: "Image user should not be 'root'", severity: 'error', item: 1 },
      { tool: 'checkov', ruleId: 'CKV_DOCKER_3', uri: 'Dockerfile', line: 1, title: 'Ensure that a user for the container has been created', severity: 'error', item: 6 },
      { tool: 'semgrep', ruleId: 'dockerfile.security.missing-user.missing-user', uri: 'Dockerfile', line: 9, item: 9 },
      { tool: 'shipshape', ruleId: 'dockerfile/non-root-user', uri: 'Dockerfile', line: 1 },
    ]);
  });

  it('merges across report files, keeps unknown rules as "no fix" entries, and joins the same unfixable problem', async () => {
    const r = await run(WEBAPP, report('trivy.json'), report('checkov.json'), report('semgrep.sarif'), report('hadolint.sarif'));
    const summary = r.entries.map((e) => `${e.status} ${e.rule ?? '-'} ${e.file ?? '-'}: ${e.sources.map((s) => `${s.tool}:${s.ruleId}`).join(' + ')}`);
    expect(summary).toEqual([
      'fixable dockerfile/non-root-user Dockerfile: trivy:DS-0002 + checkov:CKV_DOCKER_3 + semgrep:dockerfile.security.missing-user.missing-user + shipshape:dockerfile/non-root-user',
      'fixable compose/healthcheck docker-compose.yml: trivy:DS-0026 + checkov:CKV_DOCKER_2 + hadolint:DL3057 + shipshape:compose/healthcheck',
      'fixable dockerfile/non-root-user services/my worker/Dockerfile: trivy:DS-0002 + checkov:CKV_DOCKER_8 + hadolint:DL3002 + shipshape:dockerfile/non-root-user',
      'no-finding compose/healthcheck services/my worker/Dockerfile: checkov:CKV_DOCKER_2 + hadolint:DL3057',
      'fixable dockerfile/exec-form Dockerfile: semgrep:dockerfile.best-practice.prefer-json-notation.prefer-json-notation + hadolint:DL3025 + shipshape:dockerfile/exec-form',
      'fixable python/cors-wildcard app/main.py: semgrep:python.fastapi.security.wildcard-cors.wildcard-cors + shipshape:python/cors-wildcard',
      'no-rule - docker-compose.yml: semgrep:yaml.docker-compose.security.no-new-privileges.no-new-privileges',
      'no-rule - Dockerfile: hadolint:DL3008',
    ]);
    const noRule = r.entries.find((e) => e.sources[0]!.ruleId === 'DL3008')!;
    expect(noRule).toMatchObject({ rule: null, finding: null, line: 2, reason: 'shipshape has no rule for hadolint DL3008' });
    expect(noRule.sources).toEqual([{ tool: 'hadolint', ruleId: 'DL3008', uri: 'Dockerfile', line: 2, severity: 'warning', item: 12, report: report('hadolint.sarif') }]);
    // The selection is exactly the findings some item matched.
    expect(r.selected.map((f) => `${f.rule} ${f.file}:${f.line}`)).toEqual([
      'dockerfile/non-root-user Dockerfile:1',
      'dockerfile/exec-form Dockerfile:9',
      'python/cors-wildcard app/main.py:8',
      'compose/healthcheck docker-compose.yml:2',
      'dockerfile/non-root-user services/my worker/Dockerfile:4',
    ]);
  });
});

describe('audit reports', () => {
  it('repairs text pasted through Mac Roman and finds quoted lines', () => {
    expect(repairMojibake('## \uf8ffüî¥ CRITICAL ‚ö†Ô∏è ‚úÖ café')).toBe('## 🔴 CRITICAL ⚠️ ✅ café');
    expect(findQuote('a\nCMD ["sh", "-c", "alembic -c x.ini upgrade head && gunicorn app"]\n', 'CMD ["sh", "-c", "alembic ... upgrade head && gunicorn ..."]')).toEqual([2]);
    expect(findQuote('x:   1\n', 'x: 1')).toEqual([1]);
  });

  it('splits items: tagged bullets, numbered sections; skips summaries, keeps good practices as fine', () => {
    const doc = parseAudit(
      [
        '# Audit',
        '## Executive Summary',
        '- 🔴 **Security** (CORS)',
        '## 🔴 CRITICAL ISSUES',
        '### 1. CORS Configuration',
        '**Location:** `app/main.py:15`',
        '**Issue:**',
        '```python',
        'allow_origins=["*"],',
        '```',
        '**Fix:**',
        '```python',
        'allow_origins=settings.ORIGINS,',
        '```',
        '### Dockerfile (`api/Dockerfile`)',
        '- **[CRITICAL] Root Execution:** The container runs as `root`.',
        '  - *Fix:* Create a non-root user.',
        '- **[OK]** Cold starts are off.',
        '## 🟢 GOOD PRACTICES OBSERVED',
        '### 1. Non-Root User',
        '✅ Backend runs as non-root user',
        '## 📋 Checklist',
        '- [ ] Configure production CORS',
      ].join('\n'),
    );
    expect(doc.skipped).toEqual(['Executive Summary', '📋 Checklist']);
    expect(doc.items.map((i) => [i.title, i.severity ?? null, i.positive, i.refs.map((r) => `${r.strong ? 'S' : 'w'} ${r.path}:${r.lines.join(',')}`), i.quotes])).toEqual([
      ['1. CORS Configuration', 'critical', false, ['S app/main.py:15'], ['allow_origins=["*"],']],
      ['Root Execution', 'critical', false, ['w api/Dockerfile:', 'w Dockerfile:'], []],
      ['Cold starts are off.', null, true, ['w api/Dockerfile:', 'w Dockerfile:'], []],
      ['1. Non-Root User', 'low', true, [], []],
    ]);
    expect(doc.items[1]!.segments.map((s) => [s.plain, s.fix])).toEqual([
      ['Root Execution', false],
      ['The container runs as root.', false],
      ['Create a non-root user.', true],
    ]);
  });

  it('reads the plain "Finding N / Severity / File" style too', async () => {
    const dir = tmpDir();
    fs.writeFileSync(
      path.join(dir, 'report.md'),
      [
        '# Security review',
        '## Finding 1: Container runs as root',
        'Severity: High',
        'File: services/my worker/Dockerfile (line 4)',
        '',
        'The worker switches back to root before starting.',
        '## Finding 2: CORS',
        'Severity: Medium',
        'Affected files: app/main.py',
        '```',
        '    allow_origins=["*"],',
        '```',
      ].join('\n'),
    );
    const r = await run(WEBAPP, path.join(dir, 'report.md'));
    expect(itemLines(r)).toEqual([
      '1 matched audit Finding 1: Container runs as root → dockerfile/non-root-user services/my worker/Dockerfile:4',
      '2 matched audit Finding 2: CORS → python/cors-wildcard app/main.py:8',
    ]);
    expect(r.items.map((i) => i.source.severity)).toEqual(['high', 'medium']);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // Every item the seed projects' transforms cover, matched to the right rule and place.
  const SEEDS: Record<string, { matched: Record<string, string[]>; fine?: string[] }> = {
    'nuzantara-backend-rag': {
      matched: {
        'Root Execution': ['dockerfile/non-root-user apps/backend-rag/Dockerfile:2'],
        'Layer Caching Inefficiency': ['dockerfile/dependency-cache-order apps/backend-rag/Dockerfile:13'],
        '`curl` in Production': ['dockerfile/multi-stage-build apps/backend-rag/Dockerfile:5'],
      },
      fine: ["`auto_stop_machines = 'off'` prevents cold starts, which is good for stability."],
    },
    'rag-profile-agent': {
      matched: {
        '1.1 CORS Configuration': ['python/cors-wildcard app/main.py:24'],
        '1.3 Hardcoded Secrets in docker-compose.yml': ['compose/hardcoded-secret docker-compose.yml:9'],
        '1.4 SECRET_KEY Empty/Weak': ['python/weak-secret-default app/core/config.py:75'],
        '1.5 .env File Not in .gitignore': ['repo/env-not-ignored .env:1'],
        '9. Configuration Management': ['python/settings-validation app/core/config.py:11', 'python/settings-validation app/core/config.py:11'],
        '10. Docker Production Configuration': [
          'compose/dev-reload docker-compose.yml:33',
          'compose/resource-limits docker-compose.yml:4',
          'compose/resource-limits docker-compose.yml:17',
          'compose/resource-limits docker-compose.yml:28',
          'compose/resource-limits docker-compose.yml:54',
          'compose/resource-limits docker-compose.yml:76',
          'compose/resource-limits docker-compose.yml:90',
          'dockerfile/multi-stage-build Dockerfile.app:6',
          'dockerfile/non-root-user Dockerfile.app:1',
        ],
        '13. Database Migrations': ['compose/migrate-service alembic.ini:1'],
      },
    },
    'kabul-sweets': {
      matched: {
        '1. Missing Dependencies': ['python/undeclared-dependency backend/app/core/monitoring.py:4'],
        '2. Inconsistent Configuration': ['python/settings-validation backend/app/core/config.py:5', 'python/settings-validation backend/app/core/config.py:5'],
        '4. Database Migrations in Production': ['compose/migrate-service backend/alembic.ini:1'],
        '5. No Reverse Proxy (SSL/HTTPS)': ['compose/reverse-proxy docker-compose.yml:25'],
      },
    },
    'netra-backend': {
      matched: {
        '1. Secrets Management': [
          'compose/hardcoded-secret docker-compose.yml:21',
          'compose/hardcoded-secret docker-compose.yml:71',
          'compose/hardcoded-secret docker-compose.yml:120',
          'compose/hardcoded-secret docker-compose.yml:121',
          'compose/hardcoded-secret docker-compose.yml:122',
        ],
        // The check runs curl, which python:3.11-slim lacks (compose/healthcheck flags broken checks).
        '2. Health Check Configuration': ['compose/healthcheck docker-compose.yml:136'],
        '3. Database Migration in CMD': ['compose/migrate-service Dockerfile:65'],
        '3. Network Security': [
          'compose/db-port-exposed docker-compose.yml:24',
          'compose/db-port-exposed docker-compose.yml:47',
          'compose/db-port-exposed docker-compose.yml:74',
          'compose/db-port-exposed docker-compose.yml:75',
          'compose/network-segmentation docker-compose.yml:11',
        ],
      },
      fine: ['1. Resource Limits', '2. Non-Root User', '3. Multi-Stage Build', '4. Health Checks'],
    },
    'docproc-ws': {
      matched: {
        'A) Missing Resource Limits': ['compose/resource-limits docker-compose.yml:2', 'compose/resource-limits docker-compose.yml:16', 'compose/resource-limits docker-compose.yml:20'],
        'C) Container Health Checks': ['compose/healthcheck docker-compose.yml:2'],
        'D) Non-Root User': ['dockerfile/non-root-user backend/Dockerfile:1', 'dockerfile/non-root-user frontend/Dockerfile:9'],
        'B) WebSocket Proxy Configuration': ['nginx/websocket-upgrade nginx/conf.d/default.conf:30'],
        'C) Graceful Shutdown': ['dockerfile/exec-form backend/Dockerfile:21'],
        'B) Configuration Drift': ['python/settings-validation backend/app/config.py:5'],
      },
    },
  };

  for (const [project, want] of Object.entries(SEEDS)) {
    it(`seed ${project}: its AUDIT.md items map to the right rules and places`, async () => {
      const root = path.join(FIXTURES, 'projects', project);
      const r = await run(root, path.join(root, 'AUDIT.md'));
      const matched = Object.fromEntries(
        r.items.filter((i) => i.status === 'matched').map((i) => [i.source.ruleId, i.matches.map((f) => `${f.rule} ${f.file}:${f.line}`)]),
      );
      expect(matched).toEqual(want.matched);
      expect(r.items.filter((i) => i.status === 'not-a-problem').map((i) => i.source.ruleId)).toEqual(want.fine ?? []);
      // Every other item says why it has no fix.
      for (const i of r.items) if (i.status !== 'matched') expect(i.reason, `${i.source.ruleId}`).toBeTruthy();
    });
  }

  it('an item whose Location is outside the repository matches nothing', async () => {
    const dir = tmpDir();
    const audit = (loc: string) =>
      ['# Audit', '## 🔴 CRITICAL', '### 1. Root user', `**Location:** \`${loc}\``, '**Issue:** The container runs as root.'].join('\n');
    fs.writeFileSync(path.join(dir, 'outside.md'), audit('../../etc/app.conf:1'));
    fs.writeFileSync(path.join(dir, 'missing.md'), audit('deploy/Dockerfile.prod:3'));
    fs.writeFileSync(path.join(dir, 'here.md'), audit('services/my worker/Dockerfile:4'));
    const item = async (f: string) => (await run(WEBAPP, path.join(dir, f))).items[0]!;
    expect(await item('outside.md')).toMatchObject({ status: 'rejected', matches: [], reason: '../../etc/app.conf: climbs out of the scanned root with "../"; not used' });
    expect(await item('missing.md')).toMatchObject({ status: 'not-in-repo', matches: [], reason: 'deploy/Dockerfile.prod: not among the scanned files' });
    expect((await item('here.md')).matches.map((f) => `${f.rule} ${f.file}:${f.line}`)).toEqual(['dockerfile/non-root-user services/my worker/Dockerfile:4']);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('an item naming its place finds nothing elsewhere: a health endpoint is not a compose healthcheck', async () => {
    const root = path.join(FIXTURES, 'projects', 'rag-profile-agent');
    const r = await run(root, path.join(root, 'AUDIT.md'));
    const health = r.items.find((i) => i.source.ruleId === '5. Incomplete Health Checks')!;
    expect(health).toMatchObject({ status: 'no-finding', file: 'app/api/v1/health.py', reason: 'compose/healthcheck found nothing in app/api/v1/health.py' });
  });
});

describe('CLI --from', () => {
  const dirs: string[] = [];
  afterEach(() => {
    vi.restoreAllMocks();
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  function capture() {
    const out: string[] = [];
    const err: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (err.push(String(s)), true));
    return { out: () => out.join(''), err: () => err.join('') };
  }

  it('scan --format json lists the matched findings and the intake entries', async () => {
    const io = capture();
    const code = await runScan(WEBAPP, { format: 'json', from: [report('kics.sarif'), report('hadolint.json')], color: false });
    const json = JSON.parse(io.out()) as { findings: { rule: string; file: string }[]; intake: { status: string; rule: string | null; sources: { tool: string }[] }[] };
    expect(code).toBe(1);
    expect(json.findings.map((f) => `${f.rule} ${f.file}`)).toEqual([
      'dockerfile/exec-form Dockerfile',
      'compose/healthcheck docker-compose.yml',
      'dockerfile/non-root-user services/my worker/Dockerfile',
    ]);
    expect(json.intake.map((e) => `${e.status} ${e.rule} ${e.sources.map((s) => s.tool).join('+')}`)).toEqual([
      'fixable compose/healthcheck kics+shipshape',
      'fixable dockerfile/exec-form kics+hadolint+shipshape',
      'no-rule null hadolint',
      'fixable dockerfile/non-root-user hadolint+shipshape',
    ]);
  });

  it('scan text output says, for every item, the fix or why there is none', async () => {
    const io = capture();
    await runScan(WEBAPP, { format: 'text', from: [report('kics.json')], color: false });
    const text = io.out();
    expect(text).toContain(`From ${report('kics.json')} (KICS JSON), 13 items`);
    expect(text).toContain('  5.  kics 451d79dc-0588-476a-ad03-3c7f0320abb3  Container Traffic Not Bound To Host Interface  C:\\Users\\dev\\src\\webapp\\docker-compose.yml:4\n       → no fix: compose/db-port-exposed found nothing at docker-compose.yml:4 (shipshape binds database and cache ports only)');
    expect(text).toContain(
      '  6.  kics 451d79dc-0588-476a-ad03-3c7f0320abb3  Container Traffic Not Bound To Host Interface  C:\\Users\\dev\\src\\webapp\\docker-compose.yml:21\n' +
        '       → compose/db-port-exposed  docker-compose.yml:22  [fix: review] Bind the port to 127.0.0.1\n',
    );
    expect(text.trimEnd().split('\n').at(-1)).toBe(
      '13 items: 10 matched 8 shipshape findings (8 fixable: 2 safe, 6 to review); 2 with a rule that found nothing there; 1 with no shipshape rule.',
    );
  });

  it('fix applies exactly the findings the report matched', async () => {
    const dir = tmpDir();
    dirs.push(dir);
    const root = path.join(dir, 'webapp');
    copyTree(WEBAPP, root);
    const io = capture();
    const code = await runFix(root, { dryRun: true, all: true, from: [report('semgrep.json')], color: false });
    expect(code).toBe(0);
    const patch = io.out();
    // The CORS fix reads the origins from a settings module it creates (and declares its dependency).
    expect([...patch.matchAll(/^diff --git a\/(\S+)/gm)].map((m) => m[1])).toEqual(['Dockerfile', 'app/config.py', 'app/main.py', 'requirements.txt']);
    expect(patch).toContain('+USER ');
    expect(patch).toContain('allow_origins');
    expect(io.err()).toContain('2 items: 2 matched 2 shipshape findings');
  });

  it('bulk makes branches only for what the report matched, with paths under the working tree', async () => {
    const dir = tmpDir();
    dirs.push(dir);
    const root = path.join(dir, 'webapp');
    copyTree(WEBAPP, root);
    initRepo(root);
    // Absolute paths of the real checkout: bulk scans a copy of the base commit, not this directory.
    const sarif = {
      version: '2.1.0',
      runs: [
        {
          tool: { driver: { name: 'Hadolint' } },
          results: [
            { ruleId: 'DL3025', message: { text: 'Use arguments JSON notation' }, locations: [{ physicalLocation: { artifactLocation: { uri: `${root}/Dockerfile` }, region: { startLine: 9 } } }] },
          ],
        },
      ],
    };
    fs.writeFileSync(path.join(dir, 'hadolint.sarif'), JSON.stringify(sarif));
    const io = capture();
    const code = await runBulk(root, { dryRun: true, json: true, all: true, from: [path.join(dir, 'hadolint.sarif')], color: false });
    expect(code).toBe(0);
    const result = JSON.parse(io.out()) as { branches: { branch: string; status: string }[]; findings: { total: number; selected: number } };
    expect(result.branches.map((b) => `${b.branch} ${b.status}`)).toEqual(['shipshape/dockerfile-exec-form would-create']);
    expect(result.findings).toMatchObject({ total: 1, selected: 1 });
  });

  it('a report that cannot be read is a usage error', async () => {
    const io = capture();
    expect(await runScan(WEBAPP, { format: 'text', from: [report('nope.sarif')] })).toBe(2);
    expect(io.err()).toBe(`shipshape: --from ${report('nope.sarif')}: no such file\n`);
  });
});

describe('untrusted input', () => {
  it('malformed reports never throw anything but a ReportError, and every item is accounted for', async () => {
    const fc = await import('fast-check');
    const { readSarif } = await import('../src/intake/sarif.js');
    const { detectNative, readNative } = await import('../src/intake/native.js');
    const ws = openWorkspace(WEBAPP);
    const r = await scan(ws);
    const ctx = { ws, findings: r.report.findings, active: new Set(r.rules.map((x) => x.id)) };
    const { matchExternal, matchAudit } = await import('../src/intake/merge.js');
    const sarifLike = fc.record({
      version: fc.constantFrom('2.1.0', undefined),
      runs: fc.array(
        fc.oneof(
          fc.jsonValue(),
          fc.record({
            tool: fc.oneof(fc.jsonValue(), fc.record({ driver: fc.record({ name: fc.oneof(fc.string(), fc.constantFrom('Trivy', 'KICS')), rules: fc.array(fc.jsonValue()) }) })),
            originalUriBaseIds: fc.oneof(fc.jsonValue(), fc.dictionary(fc.string(), fc.record({ uri: fc.string(), uriBaseId: fc.string() }))),
            results: fc.array(
              fc.oneof(
                fc.jsonValue(),
                fc.record({
                  ruleId: fc.oneof(fc.string(), fc.constantFrom('DL3002', 'DS-0002', 'CKV_DOCKER_2')),
                  ruleIndex: fc.integer({ min: -2, max: 5 }),
                  suppressions: fc.array(fc.jsonValue(), { maxLength: 1 }),
                  locations: fc.array(
                    fc.record({
                      physicalLocation: fc.record({
                        artifactLocation: fc.record({ uri: fc.oneof(fc.string(), fc.constantFrom('../x', '/etc/passwd', 'Dockerfile', 'C:\\a', 'file:///%', '%E0%A4%A')), uriBaseId: fc.string(), index: fc.integer() }),
                        region: fc.record({ startLine: fc.oneof(fc.integer(), fc.double()), endLine: fc.jsonValue() }),
                      }),
                    }),
                  ),
                }),
              ),
            ),
          }),
        ),
      ),
    });
    fc.assert(
      fc.property(sarifLike, (doc) => {
        try {
          const { findings } = readSarif(doc);
          const items = matchExternal(ctx, findings);
          expect(items).toHaveLength(findings.length);
        } catch (e) {
          if (!(e instanceof ReportError)) throw e;
        }
      }),
      { numRuns: 100 },
    );
    fc.assert(
      fc.property(fc.jsonValue(), (doc) => {
        const format = detectNative(doc);
        if (format) matchExternal(ctx, readNative(format, doc));
      }),
      { numRuns: 150 },
    );
    const markdown = fc.array(
      fc.oneof(
        fc.string(),
        fc.constantFrom('## 🔴 CRITICAL', '### 1. Root user', '- **[HIGH] Secrets:** hardcoded password in `docker-compose.yml:3`', '```', '**Fix:**', '**Location:** `../../etc/passwd:1`', 'üî¥', '#### 1.1 CORS', '- **[OK]**'),
      ),
      { maxLength: 30 },
    );
    fc.assert(
      fc.property(markdown, (lines) => {
        const doc = parseAudit(lines.join('\n'));
        expect(matchAudit(ctx, doc)).toHaveLength(doc.items.length);
      }),
      { numRuns: 100 },
    );
  });
});
