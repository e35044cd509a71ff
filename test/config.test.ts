// Configuration (.shipshape.yml), inline suppressions, and SARIF output validated against the
// OASIS SARIF 2.1.0 schema.
import fs from 'node:fs';
import path from 'node:path';
import Ajv4 from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { planFixes, scan } from '../src/api.js';
import { ConfigError, loadConfig, parseConfig, ruleIgnoreFilter, starterConfig } from '../src/config.js';
import { renderSarif } from '../src/render/sarif.js';
import { Suppressions } from '../src/suppress.js';
import { Workspace } from '../src/workspace.js';
import { parseYaml } from '../src/parsers/yaml.js';
import { addLabel, execCmd } from './helpers/rules.js';
import { REPO, tmpDir, writeTree } from './helpers/tree.js';
import { defineRule } from '../src/rule.js';

const withOptions = defineRule({ ...execCmd, id: 'test/with-options', defaults: { user: 'app', uid: 10001, limits: { memory: '512M' } } });
const rules = [addLabel, execCmd, withOptions];

describe('config', () => {
  it('reads levels, severities, options and ignores', () => {
    const cfg = parseConfig(
      {
        ignore: ['legacy/**'],
        rules: {
          'test/add-label': 'off',
          'test/exec-cmd': 'critical',
          'test/with-options': { severity: 'low', user: 'svc', limits: { memory: '1G' }, ignore: ['tools/**'] },
        },
      },
      rules,
    );
    expect(cfg.disabled).toEqual(['test/add-label']);
    expect(cfg.severity).toEqual({ 'test/exec-cmd': 'critical', 'test/with-options': 'low' });
    expect(cfg.options).toEqual({ 'test/with-options': { user: 'svc', limits: { memory: '1G' } } });
    expect(cfg.ignore).toEqual(['legacy/**']);
    const keep = ruleIgnoreFilter(cfg)!;
    expect(keep({ rule: 'test/with-options', file: 'tools/Dockerfile' } as never)).toBe(false);
    expect(keep({ rule: 'test/with-options', file: 'Dockerfile' } as never)).toBe(true);
  });

  it.each([
    [{ rule: {} }, '.shipshape.yml: rule: unknown key (expected rules, ignore, maxFileSize)'],
    [{ rules: { 'test/nope': 'off' } }, '.shipshape.yml: rules.test/nope: unknown rule or area (see `shipshape rules`)'],
    [{ rules: { 'test/exec-cmd': 'loud' } }, '.shipshape.yml: rules.test/exec-cmd: expected off, on or a severity (critical, high, medium, low), not "loud"'],
    [{ rules: { 'test/with-options': { usr: 'x' } } }, '.shipshape.yml: rules.test/with-options.usr: unknown option for test/with-options (known: user, uid, limits)'],
    [{ rules: { 'test/with-options': { uid: 'x' } } }, '.shipshape.yml: rules.test/with-options.uid: expected a number, not "x"'],
    [{ rules: { 'test/with-options': { limits: { mem: '1G' } } } }, '.shipshape.yml: rules.test/with-options.limits.mem: unknown key (known: memory)'],
    [{ ignore: 'legacy' }, '.shipshape.yml: ignore: expected a list of glob strings'],
  ])('rejects %j', (raw, msg) => {
    expect(() => parseConfig(raw, rules)).toThrow(new ConfigError(msg));
  });

  it('area names set every rule of the area', () => {
    expect(parseConfig({ rules: { test: 'off' } }, rules).disabled).toEqual(['test/add-label', 'test/exec-cmd', 'test/with-options']);
  });

  it('loads .shipshape.yml from the root, and the starter file is valid and all commented', () => {
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, '.shipshape.yml'), starterConfig(rules));
    const cfg = loadConfig(dir, undefined, rules);
    expect(cfg.disabled).toEqual([]);
    expect(parseYaml(starterConfig(rules)).value).toEqual({ ignore: [], rules: null });
    expect(() => loadConfig(dir, path.join(dir, 'missing.yml'), rules)).toThrow('config file does not exist');
  });
});

describe('suppressions', () => {
  const text = 'FROM alpine\n# shipshape-ignore test/exec-cmd: the vendor entrypoint needs a shell\n# another comment\nCMD serve --port 80\n';

  it('a comment on the line before suppresses, and unused ones are listed', async () => {
    const ws = Workspace.fromFiles({ Dockerfile: text, 'b/Dockerfile': 'FROM alpine\n# shipshape-ignore test: nothing here\nCMD ["serve"]\n' });
    const sup = new Suppressions(ws);
    const r = await scan(ws, { rules: [execCmd, addLabel], filter: sup.filter });
    expect(r.report.findings.map((f) => `${f.rule} ${f.file}`)).toEqual(['test/add-label Dockerfile', 'test/add-label b/Dockerfile']);
    expect(sup.unused(ws.files()).map((s) => `${s.file}:${s.line} ${s.rules}`)).toEqual(['b/Dockerfile:2 test']);
    expect(sup.withoutReason(ws.files())).toEqual([]);
  });

  it('a suppressed finding is never fixed', async () => {
    const ws = Workspace.fromFiles({ Dockerfile: text });
    const sup = new Suppressions(ws);
    const plan = await planFixes(ws, { rules: [execCmd], all: true, filter: sup.filter });
    expect(plan.changes).toEqual([]);
  });
});

describe('sarif', () => {
  it('validates against the SARIF 2.1.0 schema and carries fixes', async () => {
    const schemaPath = path.join(REPO, '..', 'shared', 'schemas', 'sarif-schema-2.1.0.json');
    const schema = JSON.parse(fs.readFileSync(schemaPath, 'utf8'));
    const dir = tmpDir();
    writeTree(dir, { 'my app/Dockerfile': '# base\r\nFROM alpine:3.20\r\nCMD serve --port 80\r\n', 'bad/Dockerfile': 'FROMM x\n' });
    const ws = Workspace.open(dir);
    const r = await scan(ws, { rules: [addLabel, execCmd] });
    const sarif = JSON.parse(await renderSarif(r.report, r.rules, ws, { rules: [addLabel, execCmd] }));
    const ajv = new Ajv4({ allErrors: true, strict: false });
    addFormats(ajv);
    const validate = ajv.compile(schema);
    expect(validate(sarif), JSON.stringify(validate.errors, null, 1)).toBe(true);
    const run = sarif.runs[0];
    expect(run.tool.driver.rules.map((x: { id: string }) => x.id)).toEqual(['test/add-label', 'test/exec-cmd']);
    const exec = run.results.find((x: { ruleId: string }) => x.ruleId === 'test/exec-cmd');
    expect(exec.locations[0].physicalLocation.artifactLocation.uri).toBe('my%20app/Dockerfile');
    expect(exec.partialFingerprints['shipshape/v1']).toMatch(/^[0-9a-f]{16}$/);
    expect(exec.fixes[0].artifactChanges[0].replacements).toEqual([
      { deletedRegion: { startLine: 3, startColumn: 1, endLine: 3, endColumn: 20 }, insertedContent: { text: 'CMD ["serve","--port","80"]' } },
    ]);
    expect(run.invocations[0].toolExecutionNotifications[0].message.text).toBe('unknown instruction "FROMM"');
  });
});
