// The engine's own behaviour, with small rules defined here: discovery, edit application,
// composition of fixes on one file, conflicts, fixes that would break a file, and stable ids.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { classify, joinPath } from '../src/classify.js';
import { applyEdits, overlaps } from '../src/engine/edits.js';
import { FixSession } from '../src/engine/session.js';
import { openWorkspace, planFixes, scan } from '../src/api.js';
import { dockerfile } from '../src/parsers/dockerfile.js';
import { defineRule } from '../src/rule.js';
import type { FileEdit, Rule } from '../src/types.js';
import { Workspace, decodeText, encodeText, normalize, toBytes } from '../src/workspace.js';
import { writeChanges } from '../src/io/write.js';
import { tmpDir, writeTree } from './helpers/tree.js';
import { addLabel, breaker, execCmd, upperCmd } from './helpers/rules.js';

describe('classify', () => {
  it.each([
    ['Dockerfile', 'dockerfile'],
    ['api/Dockerfile.prod', 'dockerfile'],
    ['build/app.Dockerfile', 'dockerfile'],
    ['Containerfile', 'dockerfile'],
    ['Dockerfile.dockerignore', 'other'],
    ['docker-compose.yml', 'compose'],
    ['docker-compose.prod.yaml', 'compose'],
    ['compose.yaml', 'compose'],
    ['compose.override.yml', 'compose'],
    ['config.yml', 'other'],
    ['nginx/nginx.conf', 'nginx'],
    ['deploy/nginx/default.conf', 'nginx'],
    ['etc/conf.d/site.conf', 'nginx'],
    ['app.conf', 'other'],
    ['app/main.py', 'python'],
    ['src/index.ts', 'typescript'],
    ['src/types.d.ts', 'other'],
    ['web/next.config.mjs', 'typescript'],
    ['requirements-dev.txt', 'manifest'],
    ['backend/pyproject.toml', 'manifest'],
    ['package.json', 'manifest'],
  ])('%s is %s', (file, kind) => {
    expect(classify(file)).toBe(kind);
  });
});

describe('workspace', () => {
  it('honours .gitignore (nested, negated), skips vendored trees and virtualenvs', () => {
    const dir = tmpDir();
    writeTree(dir, {
      '.gitignore': 'build/\n*.log\n!keep.log\n',
      'Dockerfile': 'FROM alpine\n',
      'app.log': 'x',
      'keep.log': 'x',
      'build/Dockerfile': 'FROM alpine\n',
      'sub/.gitignore': 'secret.yml\n',
      'sub/secret.yml': 'a: 1\n',
      'sub/compose.yml': 'services: {}\n',
      'node_modules/pkg/Dockerfile': 'FROM alpine\n',
      'myenv/pyvenv.cfg': 'home = /usr\n',
      'myenv/lib/x.py': 'x = 1\n',
      '.venv/lib/y.py': 'y = 1\n',
    });
    const ws = openWorkspace(dir);
    expect(ws.files()).toEqual(['.gitignore', 'Dockerfile', 'keep.log', 'sub/.gitignore', 'sub/compose.yml']);
    expect(ws.files('compose')).toEqual(['sub/compose.yml']);
  });

  it('reports unreadable input per file and goes on', () => {
    const dir = tmpDir();
    writeTree(dir, {
      'Dockerfile': 'FROM alpine\n',
      'bin/Dockerfile': Buffer.from([0x46, 0x52, 0x00, 0x4d]),
      'latin/Dockerfile': Buffer.from('FROM alpine\n# caf\xe9\n', 'latin1'),
      'big/Dockerfile': 'FROM alpine\n' + '#'.repeat(200) + '\n',
    });
    fs.symlinkSync('/etc/hostname', path.join(dir, 'outside.yml'));
    const ws = Workspace.open(dir, { maxFileBytes: 100 });
    expect(ws.text('Dockerfile')).toBe('FROM alpine\n');
    expect(ws.text('bin/Dockerfile')).toBeUndefined();
    expect(ws.text('latin/Dockerfile')).toBe('FROM alpine\n# caf\udce9\n');
    expect(ws.text('big/Dockerfile')).toBeUndefined();
    expect(ws.text('outside.yml')).toBeUndefined();
    expect(ws.errors.map((e) => `${e.file}: ${e.message}`)).toEqual([
      'big/Dockerfile: file is 213 bytes, over the 100-byte size limit; skipped',
      'bin/Dockerfile: binary file (contains NUL bytes); skipped',
      'outside.yml: symbolic link to a file outside the scanned root; not read',
    ]);
  });

  it('a missing path is a clear error', () => {
    expect(() => openWorkspace('/nonexistent/shipshape')).toThrow('path does not exist');
  });

  it('normalises CRLF and BOM losslessly', () => {
    for (const raw of ['a\r\nb\r\n', '\ufeffa\nb', 'a\r\nb\nc', 'x\ry\r\n', '']) {
      const buf = Buffer.from(raw, 'utf8');
      const d = decodeText(buf, 'f');
      expect(d.text.includes('\r\n')).toBe(raw === 'a\r\nb\nc');
      expect(encodeText(d.text, { bom: d.bom, crlf: d.crlf, mode: 0o644 }).equals(buf)).toBe(true);
    }
  });

  it('round-trips bytes that are not UTF-8 (stray bytes, truncated and overlong sequences)', () => {
    for (const bytes of [[0x61, 0xe9, 0x0a], [0xc3], [0xe2, 0x82], [0xc0, 0xaf, 0x0d, 0x0a], [0xed, 0xa0, 0x80], [0xf0, 0x9f, 0x98, 0x80, 0xff], [0xef, 0xbb, 0xbf, 0x80]]) {
      const buf = Buffer.from(bytes);
      const d = decodeText(buf, 'f');
      expect(encodeText(d.text, { bom: d.bom, crlf: d.crlf, mode: 0o644 }).equals(buf)).toBe(true);
    }
  });

  it('records a Dockerfile parse error with its line', () => {
    const ws = Workspace.fromFiles({ Dockerfile: 'FROM alpine\nRUNN echo hi\n' });
    expect(dockerfile(ws, 'Dockerfile')).toBeUndefined();
    expect(ws.errors).toEqual([{ file: 'Dockerfile', line: 2, message: 'unknown instruction "RUNN"' }]);
  });

  it('tells whether files created since a mark affect what a computation read, however many were created', async () => {
    const base: Record<string, string> = {
      'Dockerfile': 'FROM a\n', 'app/main.py': 'x = 1\n', 'app/sub/util.py': 'y = 1\n', 'deploy/compose.yml': 'services: {}\n',
      'web/src/index.ts': 'export {}\n', 'README.md': '#\n',
    };
    // What each computation reads: one kind of read each, then a mix.
    const readers: [string, (ws: Workspace) => void][] = [
      ['kind', (ws) => void ws.files('python')],
      ['dir', (ws) => void ws.filesIn('app')],
      ['root dir', (ws) => void ws.filesIn('')],
      ['under', (ws) => void ws.filesUnder('app')],
      ['under kind', (ws) => void ws.filesUnder('web', 'typescript')],
      ['under root', (ws) => void ws.filesUnder('', 'compose')],
      ['under root, any kind', (ws) => void ws.filesUnder('')],
      ['path', (ws) => void ws.exists('app/new.py')],
      ['text', (ws) => void ws.text('lib/new.txt')],
      ['named', (ws) => void ws.filesNamed('.dockerignore')],
      ['text only', (ws) => void ws.text('app/main.py')],
      ['mix', (ws) => { ws.filesIn('deploy'); ws.exists('x/y.md'); ws.filesUnder('lib', 'python'); ws.text('README.md'); }],
    ];
    const created = [
      'app/new.py', 'app/sub/deeper/z.py', 'lib/new.txt', 'lib/pkg/mod.py', 'web/src/a.ts', 'web/b.ts', 'web/src/c.css',
      'deploy/compose.override.yml', 'other/compose.yml', 'svc/.dockerignore', '.dockerignore', 'x/y.md', 'top.txt', 'appx/q.py',
    ];
    const dirOf = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
    for (const [name, read] of readers) {
      // One created file at a time (each alone: fewer changes than reads), three at a time, then all
      // at once (more changes than reads: the look-ups instead of a test per change).
      const triples = created.map((_, i) => [0, 1, 2].map((k) => created[(i + k) % created.length]!));
      for (const batch of [...created.map((c) => [c]), ...triples, created]) {
        const ws = Workspace.fromFiles(base);
        const { reads } = await ws.track(async () => read(ws));
        const mark = ws.changeMark;
        for (const f of batch) ws.createFile(f, '\n');
        const expected = batch.some(
          (p) =>
            reads.paths.has(p) || reads.texts.has(p) || reads.kinds.has(classify(p)) || reads.dirs.has(dirOf(p)) ||
            [...reads.prefixes].some((k) => {
              const [kind, d] = k.split('\0') as [string, string];
              return (d === '' || p.startsWith(d + '/')) && (kind === '' || classify(p) === kind);
            }) ||
            reads.preds.some((pred) => pred(p)),
        );
        expect(ws.changedSince(reads, mark), `${name} after creating ${batch.join(', ')}`).toBe(expected);
      }
    }
    // Roll-backs of created files are path changes too.
    const ws = Workspace.fromFiles(base);
    const snap = ws.snapshot();
    for (const f of created) ws.createFile(f, '\n');
    const { reads } = await ws.track(async () => void ws.filesUnder('lib'));
    const mark = ws.changeMark;
    ws.restore(snap);
    expect(ws.changedSince(reads, mark)).toBe(true);
  });

  it('parses each file once', () => {
    const ws = Workspace.fromFiles({ Dockerfile: 'FROM alpine\n' });
    expect(dockerfile(ws, 'Dockerfile')).toBe(dockerfile(ws, 'Dockerfile'));
  });
});

describe('edits', () => {
  it('applies replacements and ordered insertions, keeping untouched text', () => {
    const t = '0123456789';
    expect(
      applyEdits(t, [
        { file: 'f', start: 5, end: 5, text: '[A]' },
        { file: 'f', start: 3, end: 5, text: 'xx' },
        { file: 'f', start: 3, end: 3, text: '[B]' },
        { file: 'f', start: 5, end: 5, text: '[C]' },
        { file: 'f', start: 10, end: 10, text: '!' },
        { file: 'f', start: 0, end: 1, text: '' },
      ]),
    ).toBe('12[B]xx[A][C]56789!');
  });
  it('rejects overlapping and out-of-range edits', () => {
    expect(() => applyEdits('abc', [{ file: 'f', start: 0, end: 2, text: 'x' }, { file: 'f', start: 1, end: 3, text: 'y' }])).toThrow('overlapping');
    expect(() => applyEdits('abc', [{ file: 'f', start: 2, end: 9, text: 'x' }])).toThrow('outside');
    expect(overlaps({ start: 2, end: 2 }, { start: 2, end: 4 })).toBe(false);
    expect(overlaps({ start: 3, end: 3 }, { start: 2, end: 4 })).toBe(true);
  });
});

describe('fix session', () => {
  const dockerText = '# base\nFROM alpine:3.20\n# run it\nCMD serve --port 80\n';

  it('composes fixes on the same file, recomputing overlapping ones', async () => {
    const ws = Workspace.fromFiles({ Dockerfile: dockerText });
    const plan = await planFixes(ws, { rules: [addLabel, execCmd, upperCmd], all: true });
    expect(plan.outcomes.map((o) => [o.finding.rule, o.status])).toEqual([
      ['test/add-label', 'applied'],
      ['test/exec-cmd', 'applied'],
      ['test/upper-cmd', 'applied'],
    ]);
    expect(ws.text('Dockerfile')).toBe('# base\nFROM alpine:3.20\nLABEL a=b\n# run it\nCMD ["SERVE","--port","80"]\n');
  });

  it('detects again between passes only the rules with findings still to fix', async () => {
    // A rule that reads the Dockerfile too but has nothing to fix: the passes that apply execCmd and
    // then upperCmd (which waits for execCmd's overlapping edit) change what it read, yet only the
    // scans before and after the passes need its findings.
    let calls = 0;
    const watcher: Rule = defineRule({
      ...addLabel,
      id: 'test/watcher',
      detect(ctx) {
        calls++;
        return addLabel.detect(ctx);
      },
      fix: undefined,
    });
    const ws = Workspace.fromFiles({ Dockerfile: dockerText });
    const plan = await planFixes(ws, { rules: [execCmd, upperCmd, watcher], all: true });
    expect(plan.outcomes.map((o) => [o.finding.rule, o.status])).toEqual([
      ['test/exec-cmd', 'applied'],
      ['test/upper-cmd', 'applied'],
    ]);
    expect(ws.text('Dockerfile')).toBe('# base\nFROM alpine:3.20\n# run it\nCMD ["SERVE","--port","80"]\n');
    expect(plan.findings.filter((f) => f.rule === 'test/watcher').map((f) => f.fixable)).toEqual([false]);
    expect(calls).toBe(2);
  });

  it('applies a replacement that fixes of one rule share once, in one pass, with the same result as pass by pass', async () => {
    // Each RUN is upper-cased; each fix also adds a LABEL after FROM unless there is one (the same
    // replacement of the FROM line in every fix, as a call-site fix adds the same import).
    const text = 'FROM alpine\nRUN a\nRUN b\nRUN c\n';
    const upperRuns = (shared: boolean): { rule: Rule; detects: () => number } => {
      let n = 0;
      const rule = defineRule({
        ...addLabel,
        id: shared ? 'test/upper-runs-shared' : 'test/upper-runs',
        detect({ ws }) {
          n++;
          const m = dockerfile(ws, 'Dockerfile')!;
          return m.instructions
            .filter((i) => i.keyword === 'RUN' && i.args !== i.args.toUpperCase())
            .map((i) => ({ file: 'Dockerfile', start: i.start, end: i.end, message: 'lower', anchor: i.args, data: i.args }));
        },
        fix(finding, { ws }) {
          const m = dockerfile(ws, 'Dockerfile')!;
          const own = m.instructions.find((i) => i.keyword === 'RUN' && i.args === finding.data)!;
          const edits: FileEdit[] = [{ file: 'Dockerfile', start: own.start, end: own.end, text: m.text.slice(own.start, own.end).replace(own.args, own.args.toUpperCase()) }];
          const from = m.stages[0]!.from;
          if (!m.instructions.some((i) => i.keyword === 'LABEL')) edits.push({ file: 'Dockerfile', start: from.start, end: from.end, text: `${m.text.slice(from.start, from.end)}\nLABEL x=y`, shared });
          return edits;
        },
      });
      return { rule, detects: () => n };
    };
    const results: string[] = [];
    for (const shared of [true, false]) {
      const { rule, detects } = upperRuns(shared);
      const ws = Workspace.fromFiles({ Dockerfile: text });
      const plan = await planFixes(ws, { rules: [rule], all: true });
      expect(plan.outcomes.map((o) => o.status)).toEqual(['applied', 'applied', 'applied']);
      results.push(ws.text('Dockerfile')!);
      // Shared: the three fixes go in the first pass. Not shared: two wait for the second (recomputed
      // without the LABEL, which is there by then). Then the scan after the passes finds nothing new.
      expect(detects()).toBe(shared ? 2 : 3);
    }
    expect(results).toEqual(['FROM alpine\nLABEL x=y\nRUN A\nRUN B\nRUN C\n', 'FROM alpine\nLABEL x=y\nRUN A\nRUN B\nRUN C\n']);
  });

  it('asks the disk about a file to create once per path in a batch, and every time in a review', async () => {
    // Two findings whose fixes create the same file: the second waits a pass, then conflicts.
    const creator: Rule = defineRule({
      ...addLabel,
      id: 'test/creator',
      detect: ({ ws }) => ws.files('dockerfile').map((f) => ({ file: f, line: 1, message: 'm', anchor: f })),
      fix: () => [{ file: 'NOTES.txt', create: 'x\n' }],
    });
    const asked = (ws: Workspace) => {
      const paths: string[] = [];
      const real = ws.existsOnDisk.bind(ws);
      ws.existsOnDisk = (f: string) => (paths.push(f), real(f));
      return paths;
    };
    const ws = Workspace.fromFiles({ 'a/Dockerfile': dockerText, 'b/Dockerfile': dockerText });
    const paths = asked(ws);
    const plan = await planFixes(ws, { rules: [creator], all: true });
    expect(plan.outcomes.map((o) => [o.finding.file, o.status])).toEqual([['a/Dockerfile', 'applied'], ['b/Dockerfile', 'conflict']]);
    expect(paths).toEqual(['NOTES.txt']);
    const review = Workspace.fromFiles({ 'a/Dockerfile': dockerText, 'b/Dockerfile': dockerText });
    const reviewed = asked(review);
    const session = new FixSession(review, [creator]);
    const [first] = await session.scan();
    await session.preview(first!);
    expect((await session.applyOne(first!)).status).toBe('applied');
    expect(reviewed).toEqual(['NOTES.txt', 'NOTES.txt']);
  });

  it('reports a fix that no longer applies as resolved or conflict, never garbled', async () => {
    const ws = Workspace.fromFiles({ Dockerfile: dockerText });
    const session = new FixSession(ws, [execCmd, upperCmd]);
    const findings = await session.scan();
    const [exec, upper] = [findings.find((f) => f.rule === 'test/exec-cmd')!, findings.find((f) => f.rule === 'test/upper-cmd')!];
    expect((await session.applyOne(upper)).status).toBe('applied');
    // exec's finding is still present (anchor changed → new id): the old id is resolved.
    const o = await session.applyOne(exec);
    expect(o.status).toBe('resolved');
    expect(ws.text('Dockerfile')).toBe('# base\nFROM alpine:3.20\n# run it\nCMD SERVE --port 80\n');
  });

  it('rejects a fix that leaves a file unparsable', async () => {
    const ws = Workspace.fromFiles({ Dockerfile: dockerText });
    const plan = await planFixes(ws, { rules: [breaker], all: true });
    expect(plan.outcomes[0]!.status).toBe('invalid');
    expect(plan.outcomes[0]!.reason).toContain('unparsable');
    expect(plan.changes).toEqual([]);
  });

  it('keeps bytes that are not UTF-8, and refuses an edit that lands next to them', async () => {
    const dir = tmpDir();
    const latin = (t: string) => Buffer.from(t, 'latin1');
    writeTree(dir, {
      'a/Dockerfile': latin('# caf\xe9 au lait\nFROM alpine:3.20\nCMD serve --port 80\n'),
      'b/Dockerfile': latin('FROM alpine:3.20\nCMD serve --caf\xe9\n'),
    });
    const ws = openWorkspace(dir);
    const plan = await planFixes(ws, { rules: [execCmd], all: true });
    expect(plan.outcomes.map((o) => [o.finding.file, o.status, o.reason])).toEqual([
      ['a/Dockerfile', 'applied', undefined],
      ['b/Dockerfile', 'conflict', 'b/Dockerfile is not valid UTF-8 at line 2, where the fix would edit; skipped'],
    ]);
    expect(writeChanges(ws).written).toEqual(['a/Dockerfile']);
    expect(fs.readFileSync(path.join(dir, 'a/Dockerfile'))).toEqual(latin('# caf\xe9 au lait\nFROM alpine:3.20\nCMD ["serve","--port","80"]\n'));
    expect(fs.readFileSync(path.join(dir, 'b/Dockerfile'))).toEqual(latin('FROM alpine:3.20\nCMD serve --caf\xe9\n'));
    expect(toBytes(plan.changes[0]!.before!)).toEqual(latin('# caf\xe9 au lait\nFROM alpine:3.20\nCMD serve --port 80\n'));
  });

  it('safe fixes only unless --all', async () => {
    const ws = Workspace.fromFiles({ Dockerfile: dockerText });
    const plan = await planFixes(ws, { rules: [addLabel, execCmd] });
    expect(plan.outcomes.map((o) => o.finding.rule)).toEqual(['test/add-label']);
  });

  it('finding ids are stable across line shifts and distinct per occurrence', async () => {
    const a = await scan(Workspace.fromFiles({ Dockerfile: dockerText }), { rules: [execCmd] });
    const b = await scan(Workspace.fromFiles({ Dockerfile: '# more\n# lines\n' + dockerText }), { rules: [execCmd] });
    expect(a.report.findings[0]!.id).toBe(b.report.findings[0]!.id);
    expect(a.report.findings[0]!.line).toBe(4);
    expect(b.report.findings[0]!.line).toBe(6);
  });

  it('a rule that throws is reported and the others go on', async () => {
    const boom: Rule = defineRule({ ...addLabel, id: 'test/boom', detect: () => { throw new Error('kaput'); } });
    const r = await scan(Workspace.fromFiles({ Dockerfile: dockerText }), { rules: [boom, execCmd] });
    expect(r.failures.map((f) => f.rule)).toEqual(['test/boom']);
    expect(r.report.findings.map((f) => f.rule)).toEqual(['test/exec-cmd']);
  });
});

describe('defineRule', () => {
  it('rejects malformed rules when loaded', () => {
    expect(() => defineRule({ ...addLabel, id: 'Bad Id' })).toThrow('not of the form');
    expect(() => defineRule({ ...addLabel, docs: { why: '', fix: 'x' } })).toThrow('docs.why is empty');
    expect(() => defineRule({ ...addLabel, severity: 'huge' as never })).toThrow('severity');
  });
});

describe('joinPath', () => {
  // The segment-by-segment definition; joinPath has a fast path for parts that are already normal.
  const bySegments = (...parts: string[]): string => {
    const out: string[] = [];
    for (const part of parts) {
      for (const seg of part.split('/')) {
        if (!seg || seg === '.') continue;
        if (seg === '..') out.pop();
        else out.push(seg);
      }
    }
    return out.join('/');
  };
  it('equals the segment-by-segment join for every combination of awkward parts', () => {
    const parts = ['', '.', '..', '...', 'a', 'b.', '.b', 'a.b', '..c', 'c..', '/', '//', 'x/', '/y', './z', 'w/.', 'q/..', 'app/main.py', 'a/../b'];
    let n = 0;
    for (const a of parts) for (const b of parts) for (const c of parts) {
      expect(joinPath(a, b, c), JSON.stringify([a, b, c])).toBe(bySegments(a, b, c));
      n++;
    }
    expect(n).toBe(parts.length ** 3);
    expect(joinPath('services/api', 'app/main.py')).toBe('services/api/app/main.py');
    expect(joinPath('services/api', '../web/x.ts')).toBe('services/web/x.ts');
  });
});

describe('normalize (workspace paths)', () => {
  it('equals the two replacements it shortcuts, on every combination of awkward parts', () => {
    const reference = (f: string) => f.replace(/\\/g, '/').replace(/^\.\//, '');
    const parts = ['', '.', './', '.\\', '\\', '/', 'a', 'a/b', 'a\\b', '../', '..\\', './/', '.\\/', 'x./'];
    for (const a of parts) for (const b of parts) for (const c of parts) expect(normalize(a + b + c)).toBe(reference(a + b + c));
  });
});
