// The writer: all-or-nothing across files, format preserved, nothing written over a file that
// changed on disk, and fault injection at every step leaves each file wholly old or wholly new
// with no temporary file behind.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { buildSync } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { openWorkspace } from '../src/api.js';
import { writeChanges } from '../src/io/write.js';
import { readTree, REPO, tmpDir, treeAsText, writeTree } from './helpers/tree.js';

function setup() {
  const dir = tmpDir();
  writeTree(dir, {
    'a.txt': 'alpha\r\nbeta\r\n',
    'b.txt': '\ufeffbom\n',
    'c.txt': 'no final newline',
  });
  fs.chmodSync(path.join(dir, 'a.txt'), 0o755);
  const ws = openWorkspace(dir);
  for (const f of ['a.txt', 'b.txt', 'c.txt']) ws.text(f);
  ws.setText('a.txt', 'alpha\nBETA\n');
  ws.setText('b.txt', 'BOM\n');
  ws.setText('c.txt', 'still no final newline');
  ws.createFile('new/dir/d.txt', 'created\n');
  return { dir, ws };
}

describe('writer', () => {
  it('writes every change, keeping CRLF, BOM, mode and a missing final newline', () => {
    const { dir, ws } = setup();
    const r = writeChanges(ws);
    expect(r.error).toBeUndefined();
    expect(r.written).toEqual(['a.txt', 'b.txt', 'c.txt', 'new/dir/d.txt']);
    expect(treeAsText(readTree(dir))).toEqual({
      'a.txt': 'alpha\r\nBETA\r\n',
      'b.txt': '\ufeffBOM\n',
      'c.txt': 'still no final newline',
      'new/dir/d.txt': 'created\n',
    });
    expect(fs.statSync(path.join(dir, 'a.txt')).mode & 0o777).toBe(0o755);
    expect(fs.readdirSync(dir).filter((f) => f.includes('shipshape'))).toEqual([]);
  });

  it('does not overwrite a file that changed on disk since it was read', () => {
    const { dir, ws } = setup();
    fs.writeFileSync(path.join(dir, 'b.txt'), 'edited meanwhile\n');
    const r = writeChanges(ws);
    expect(r.skipped).toEqual([{ file: 'b.txt', reason: 'changed on disk since it was read; not overwritten (run again to re-plan)' }]);
    expect(fs.readFileSync(path.join(dir, 'b.txt'), 'utf8')).toBe('edited meanwhile\n');
    expect(fs.readFileSync(path.join(dir, 'a.txt'), 'utf8')).toBe('alpha\r\nBETA\r\n');
  });

  it('never replaces a file created on disk since the scan', () => {
    const { dir, ws } = setup();
    writeTree(dir, { 'new/dir/d.txt': 'mine\n' });
    const r = writeChanges(ws);
    expect(r.skipped.map((s) => s.file)).toEqual(['new/dir/d.txt']);
    expect(fs.readFileSync(path.join(dir, 'new/dir/d.txt'), 'utf8')).toBe('mine\n');
  });

  it('does not write through a symbolic link unless asked', () => {
    const dir = tmpDir();
    writeTree(dir, { 'real.txt': 'x\n' });
    fs.symlinkSync('real.txt', path.join(dir, 'link.txt'));
    const ws = openWorkspace(dir);
    ws.text('link.txt');
    ws.setText('link.txt', 'y\n');
    expect(writeChanges(ws).skipped[0]!.reason).toContain('symbolic link');
    expect(fs.readFileSync(path.join(dir, 'real.txt'), 'utf8')).toBe('x\n');
    const ws2 = openWorkspace(dir, { followSymlinks: true });
    ws2.text('link.txt');
    ws2.setText('link.txt', 'y\n');
    expect(writeChanges(ws2, { followSymlinks: true }).written).toEqual(['link.txt']);
    expect(fs.readFileSync(path.join(dir, 'real.txt'), 'utf8')).toBe('y\n');
    expect(fs.lstatSync(path.join(dir, 'link.txt')).isSymbolicLink()).toBe(true);
  });

  for (let n = 0; n <= 3; n++) {
    it(`a failure after ${n} renames rolls every file back`, () => {
      const { dir, ws } = setup();
      const before = readTree(dir);
      process.env.SHIPSHAPE_FAULT = `fail-after-renames:${n}`;
      try {
        const r = writeChanges(ws);
        expect(r.error).toContain('injected fault');
        expect(r.written).toEqual([]);
      } finally {
        delete process.env.SHIPSHAPE_FAULT;
      }
      expect(readTree(dir)).toEqual(before);
      expect(fs.existsSync(path.join(dir, 'new'))).toBe(false);
    });
  }

  it('a failure while staging leaves everything untouched', () => {
    const { dir, ws } = setup();
    const before = readTree(dir);
    process.env.SHIPSHAPE_FAULT = 'fail-staging:2';
    try {
      expect(writeChanges(ws).error).toContain('injected fault');
    } finally {
      delete process.env.SHIPSHAPE_FAULT;
    }
    expect(readTree(dir)).toEqual(before);
  });

  // A process that dies mid-apply: each file wholly old or wholly new, no temporary file left.
  for (let n = 0; n <= 4; n++) {
    it(`a process exiting after ${n} renames leaves whole files and no temporary files`, () => {
      const { dir } = setup();
      const script = `
        import { openWorkspace } from ${JSON.stringify(path.join(REPO, 'src/api.ts'))};
        import { writeChanges } from ${JSON.stringify(path.join(REPO, 'src/io/write.ts'))};
        const ws = openWorkspace(${JSON.stringify(dir)});
        for (const f of ['a.txt', 'b.txt', 'c.txt']) ws.text(f);
        ws.setText('a.txt', 'alpha\\nBETA\\n');
        ws.setText('b.txt', 'BOM\\n');
        ws.setText('c.txt', 'still no final newline');
        ws.createFile('new/dir/d.txt', 'created\\n');
        writeChanges(ws);
      `;
      const cache = path.join(REPO, 'node_modules', '.cache', 'shipshape-test');
      fs.mkdirSync(cache, { recursive: true });
      const out = path.join(cache, `child-${process.pid}-${n}.mjs`);
      buildSync({ stdin: { contents: script, resolveDir: REPO, loader: 'ts' }, bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile: out, logLevel: 'silent' });
      const r = spawnSync(process.execPath, [out], {
        env: { ...process.env, SHIPSHAPE_FAULT: `exit-after-renames:${n}` },
        encoding: 'utf8',
      });
      expect(r.status).toBe(n === 4 ? 0 : 99);
      fs.rmSync(out);
      const tree = treeAsText(readTree(dir));
      const oldNew: Record<string, [string | undefined, string]> = {
        'a.txt': ['alpha\r\nbeta\r\n', 'alpha\r\nBETA\r\n'],
        'b.txt': ['\ufeffbom\n', '\ufeffBOM\n'],
        'c.txt': ['no final newline', 'still no final newline'],
        'new/dir/d.txt': [undefined, 'created\n'],
      };
      const renamed = Object.keys(oldNew).slice(0, n);
      for (const [f, [o, nw]] of Object.entries(oldNew)) expect(tree[f]).toBe(renamed.includes(f) ? nw : o);
      expect(Object.keys(tree).filter((f) => f.includes('.shipshape-'))).toEqual([]);
      expect(fs.existsSync(path.join(dir, 'new'))).toBe(n === 4);
    });
  }
});
