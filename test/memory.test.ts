// What the workspace lets go of when a fix changes a file (issue 9, peak memory): the parses of
// the old text (a Python tree's WebAssembly memory is freed at once) and the memos that read it.
import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { Node as TSNode } from 'web-tree-sitter';
import { openWorkspace, planFixes } from '../src/api.js';
import { python, pythonParser, type PythonModel } from '../src/parsers/python.js';
import { shareTrees } from '../src/parsers/typescript.js';
import { fileEnvReads } from '../src/project/node.js';
import { settingsImport, settingsPlans } from '../src/project/node-settings.js';
import { analyzeApp } from '../src/project/web.js';
import type { FileKind } from '../src/types.js';
import { FileError, Workspace, type AsyncParser, type Parser } from '../src/workspace.js';

const PROJECTS = path.join(__dirname, '..', 'fixtures', 'projects');

/** A parser that counts its parses and records what it is asked to dispose. */
function countingParser(key: string): Parser<{ text: string }> & { disposed: string[] } {
  const disposed: string[] = [];
  return { key, disposed, parse: (text) => ({ text }), dispose: (v) => void disposed.push(v.text) };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('parses of a changed text are disposed', () => {
  it('setText disposes the parses of the old text, once, and only when the text changes', async () => {
    const ws = Workspace.fromFiles({ 'a.txt': 'one', 'b.txt': 'bee' });
    const p = countingParser('count');
    const first = ws.parse('a.txt', p)!;
    ws.parse('b.txt', p);
    // The same text: nothing that read the parse is invalidated, so it is kept.
    ws.setText('a.txt', 'one');
    await settle();
    expect(p.disposed).toEqual([]);
    expect(ws.parse('a.txt', p)).toBe(first);
    ws.setText('a.txt', 'two');
    await settle();
    expect(p.disposed).toEqual(['one']);
    const second = ws.parse('a.txt', p)!;
    expect(second).not.toBe(first);
    expect(second.text).toBe('two');
    // A text never parsed since the change has nothing to dispose.
    ws.setText('a.txt', 'three');
    ws.setText('a.txt', 'four');
    await settle();
    expect(p.disposed).toEqual(['one', 'two']);
  });

  it('restore disposes the parses of the texts it rolls back, and of files it removes', async () => {
    const ws = Workspace.fromFiles({ 'a.txt': 'one' });
    const p = countingParser('count');
    ws.parse('a.txt', p);
    const snap = ws.snapshot();
    ws.setText('a.txt', 'two');
    ws.createFile('new.txt', 'created');
    ws.parse('a.txt', p);
    ws.parse('new.txt', p);
    ws.restore(snap);
    await settle();
    expect(p.disposed.sort()).toEqual(['created', 'one', 'two']);
    expect(ws.parse('a.txt', p)!.text).toBe('one');
    expect(ws.exists('new.txt')).toBe(false);
  });

  it('an async parse still pending when the text changes is disposed once it settles', async () => {
    const ws = Workspace.fromFiles({ 'a.txt': 'one' });
    const disposed: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const p: AsyncParser<{ text: string }> = {
      key: 'slow',
      parse: async (text) => {
        await gate;
        return { text };
      },
      dispose: (v) => void disposed.push(v.text),
    };
    const pending = ws.parseAsync('a.txt', p);
    ws.setText('a.txt', 'two');
    await settle();
    expect(disposed).toEqual([]);
    release();
    expect((await pending)!.text).toBe('one');
    await settle();
    expect(disposed).toEqual(['one']);
  });

  it("a Python file's old tree is deleted; its new text gets a tree of its own", async () => {
    const ws = Workspace.fromFiles({ 'app.py': 'import os\nA = os.getenv("A")\n' });
    const old = (await python(ws, 'app.py'))!;
    ws.setText('app.py', 'B = 1\n');
    await settle();
    expect((old.tree as unknown as Record<number, number>)[0]).toBe(0); // web-tree-sitter's handle of a deleted tree
    const m = (await python(ws, 'app.py'))!;
    expect(m.root.namedChildren.map((c) => c?.text)).toEqual(['B = 1']);
  });
});

describe('memos that read a changed file are dropped at once', () => {
  // The collector, to see what is still reachable (a memo's value is held by nothing else here).
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;

  it('a memo whose value is no longer reachable after a change of a file it read (and only then)', async () => {
    const ws = Workspace.fromFiles({ 'a.txt': 'alpha', 'b.txt': 'beta' });
    const refs = await (async () => {
      const ofA = await ws.memo('reads a', async () => ({ text: ws.text('a.txt') }));
      const ofB = ws.memoSync('reads b', () => ({ text: ws.text('b.txt') }));
      return { ofA: new WeakRef(ofA), ofB: new WeakRef(ofB) };
    })();
    ws.setText('a.txt', 'changed');
    // WeakRefs keep their targets alive until the current job ends.
    await settle();
    gc();
    expect(refs.ofA.deref()).toBeUndefined();
    expect(refs.ofB.deref()).toEqual({ text: 'beta' });
    // Both still answer as before: a hit for b, a new computation for a.
    expect(ws.memoSync('reads b', () => ({ text: 'recomputed' }))).toBe(refs.ofB.deref());
    expect(await ws.memo('reads a', async () => ({ text: ws.text('a.txt') }))).toEqual({ text: 'changed' });
  });

  it('a memo computed again since without reading the file is kept', async () => {
    const ws = Workspace.fromFiles({ 'a.txt': 'alpha', 'b.txt': 'beta', 'switch': 'a' });
    const compute = () => ({ text: ws.text(ws.text('switch') === 'a' ? 'a.txt' : 'b.txt') });
    expect(ws.memoSync('either', compute)).toEqual({ text: 'alpha' });
    ws.setText('switch', 'b');
    const now = ws.memoSync('either', compute);
    expect(now).toEqual({ text: 'beta' });
    // The earlier computation read a.txt; this one did not: a change of a.txt leaves it.
    ws.setText('a.txt', 'changed');
    expect(ws.memoSync('either', () => ({ text: 'recomputed' }))).toBe(now);
  });
});

describe('a fix run frees the trees of superseded Python texts and never reads them again', () => {
  // Every read of a node of a deleted tree throws (web-tree-sitter would read freed memory).
  const proto = TSNode.prototype as unknown as Record<string, unknown>;
  const originals = new Map<string, PropertyDescriptor>();
  const poison = () => {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === 'constructor') continue;
      const d = Object.getOwnPropertyDescriptor(proto, name)!;
      originals.set(name, d);
      const check = (self: { tree: Record<number, number> }) => {
        if (self.tree[0] === 0) throw new Error(`read of ${name} on a node of a freed tree`);
      };
      if (d.get) {
        const get = d.get;
        Object.defineProperty(proto, name, { ...d, get(this: { tree: Record<number, number> }) { check(this); return get.call(this); } });
      } else if (typeof d.value === 'function') {
        const fn = d.value as (...a: unknown[]) => unknown;
        Object.defineProperty(proto, name, { ...d, value(this: { tree: Record<number, number> }, ...a: unknown[]) { check(this); return fn.apply(this, a); } });
      }
    }
  };
  afterEach(() => {
    for (const [name, d] of originals) Object.defineProperty(proto, name, d);
    originals.clear();
  });

  // Projects whose fixes change Python files over several passes and rounds (re-parsed each time).
  for (const project of ['demo', 'kabul-sweets', 'rag-profile-agent']) {
    it(project, async () => {
      const dir = path.join(PROJECTS, project);
      expect(fs.existsSync(dir)).toBe(true);
      const run = async () => {
        const ws = openWorkspace(dir);
        const plan = await planFixes(ws, { all: true });
        return { changes: plan.changes.map((c) => [c.file, c.after]), outcomes: plan.outcomes.map((o) => [o.finding.id, o.status, o.reason]), failures: plan.session.failures, errors: ws.errors };
      };
      // Without freeing (the parser's dispose taken away), then with it and the poisoned nodes.
      const dispose = pythonParser.dispose!;
      let expected: Awaited<ReturnType<typeof run>>;
      try {
        delete pythonParser.dispose;
        expected = await run();
      } finally {
        pythonParser.dispose = dispose;
      }
      const freed: PythonModel[] = [];
      pythonParser.dispose = (m) => {
        freed.push(m);
        dispose(m);
      };
      poison();
      try {
        const got = await run();
        expect(got.failures).toEqual([]);
        expect(got).toEqual(expected);
      } finally {
        pythonParser.dispose = dispose;
      }
      expect(freed.length).toBeGreaterThan(0);
    });
  }
});

describe('path indexes follow created and removed files', () => {
  const kinds: FileKind[] = ['python', 'dockerfile', 'compose', 'typescript', 'other'];
  /** Every index answer, compared with a workspace opened on the same paths. */
  const answers = (ws: Workspace) => {
    const all = ws.files();
    const dirs = [...new Set(['', 'a', 'a/b', 'c', 'z', ...all.map((f) => f.slice(0, Math.max(0, f.lastIndexOf('/'))))])];
    const names = ['.gitignore', 'Dockerfile', 'app.py', 'x.py', 'compose.yaml', 'missing'];
    return {
      all,
      byKind: kinds.map((k) => ws.files(k)),
      has: kinds.map((k) => ws.has(k)),
      filesIn: dirs.map((d) => [...ws.filesIn(d)]),
      filesUnder: dirs.flatMap((d) => [[...ws.filesUnder(d)], ...kinds.map((k) => [...ws.filesUnder(d, k)])]),
      filesNamed: names.map((n) => [...ws.filesNamed(n)]),
    };
  };
  const fresh = (ws: Workspace) => Workspace.fromFiles(Object.fromEntries(ws.files().map((f) => [f, ws.text(f) ?? ''])));

  it('answers as a workspace opened on the same files, after each creation and roll-back', () => {
    const ws = Workspace.fromFiles({ 'a/app.py': 'x = 1\n', 'a/b/Dockerfile': 'FROM alpine\n', 'c/.gitignore': '.env\n', 'compose.yaml': 'services: {}\n' });
    // Asked for before the changes, so that they are updated rather than built afresh.
    answers(ws);
    const heldNamed = ws.filesNamed('x.py');
    const heldDir = ws.filesIn('a');
    const heldAll = ws.filesUnder('');
    const steps: (() => void)[] = [
      () => ws.createFile('a/x.py', 'y = 2\n'),
      () => ws.createFile('z/x.py', ''),
      () => ws.createFile('a/b/c/Dockerfile', 'FROM alpine\n'),
      () => ws.createFile('.gitignore', 'node_modules\n'),
    ];
    let snap = ws.snapshot();
    for (const [i, step] of steps.entries()) {
      if (i === 2) snap = ws.snapshot();
      step();
      expect(answers(ws)).toEqual(answers(fresh(ws)));
    }
    ws.restore(snap);
    expect(ws.files()).toEqual(['a/app.py', 'a/b/Dockerfile', 'a/x.py', 'c/.gitignore', 'compose.yaml', 'z/x.py']);
    expect(answers(ws)).toEqual(answers(fresh(ws)));
    // Lists handed out before are never changed under their holder.
    expect(heldNamed).toEqual([]);
    expect(heldDir).toEqual(['a/app.py']);
    expect(heldAll).toEqual(['a/app.py', 'a/b/Dockerfile', 'c/.gitignore', 'compose.yaml']);
  });
});

describe('TypeScript trees are not kept: readers keep what they read per text', () => {
  const dir = path.join(__dirname, '..', 'fixtures', 'node', 'env-call-site', 'express-ts', 'before');
  const files = () => {
    const out: Record<string, string> = {};
    const walk = (d: string, rel: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const r = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) walk(path.join(d, e.name), r);
        else out[r] = fs.readFileSync(path.join(d, e.name), 'utf8');
      }
    };
    walk(dir, '');
    return out;
  };

  it('parses each text once across the readers, again only when it changed, with the same answers', async () => {
    // Every tree handed to a reader, by file: no tree is kept by the workspace here, so each
    // distinct tree is a parse.
    const trees = new Set<unknown>();
    const parsed: string[] = [];
    let counting = true;
    shareTrees((_ts, sf, file) => {
      if (counting && !trees.has(sf)) {
        trees.add(sf);
        parsed.push(file);
      }
    });
    const read = async (ws: Workspace, envFirst: boolean) => {
      const sources = ws.files('typescript');
      const env = async () => Promise.all(sources.map((f) => fileEnvReads(ws, f)));
      const reads = envFirst ? await env() : undefined;
      const app = await analyzeApp(ws, '');
      const plans = await settingsPlans(ws, { ignore: [] });
      // The import of settings each file would get (node/env-call-site asks this of every file it rewrites).
      const imports = [];
      for (const plan of plans) for (const f of sources) imports.push(await settingsImport(ws, plan, f));
      return { app, reads: reads ?? (await env()), plans, imports };
    };
    try {
      const ws = Workspace.fromFiles(files());
      const first = await read(ws, false);
      expect(parsed.length).toBeGreaterThan(0);
      expect(first.plans.length).toBe(1);
      expect(first.imports.some((i) => 'edit' in i)).toBe(true);
      expect(new Set(parsed).size).toBe(parsed.length);
      // Asked again: nothing is parsed.
      parsed.length = 0;
      expect(await read(ws, false)).toEqual(first);
      expect(parsed).toEqual([]);
      // A changed file is parsed once more, for every reader.
      ws.setText('src/server.ts', ws.text('src/server.ts')!.replace("'/health'", "'/healthz'").replace('process.env.PORT', 'process.env.HTTP_PORT'));
      const second = await read(ws, false);
      expect(parsed).toEqual(['src/server.ts']);
      expect(second.app.httpRoutes.map((r) => r.path)).toContain('/healthz');
      // The same answers as a workspace whose readers came in another order.
      parsed.length = 0;
      const fresh = Workspace.fromFiles({ ...files(), 'src/server.ts': ws.text('src/server.ts')! });
      expect(await read(fresh, true)).toEqual(second);
    } finally {
      counting = false;
    }
  });

  it('Workspace.parseOnce gives the kept parse when there is one, else a parse it does not keep', async () => {
    const ws = Workspace.fromFiles({ 'a.txt': 'one', 'bad.txt': 'bad' });
    let n = 0;
    const p: AsyncParser<{ text: string; n: number }> = {
      key: 'once',
      parse: async (text, file) => {
        if (text === 'bad') throw new FileError(file, 'cannot read this', 1);
        return { text, n: ++n };
      },
    };
    const { value: a, reads } = await ws.track(() => ws.parseOnce('a.txt', p));
    expect(a).toEqual({ text: 'one', n: 1 });
    expect([...reads.texts]).toEqual(['a.txt']);
    expect(await ws.parseOnce('a.txt', p)).toEqual({ text: 'one', n: 2 });
    const kept = await ws.parseAsync('a.txt', p);
    expect(await ws.parseOnce('a.txt', p)).toBe(kept);
    expect(await ws.parseOnce('bad.txt', p)).toBeUndefined();
    expect(await ws.parseOnce('missing.txt', p)).toBeUndefined();
    expect(ws.errors).toEqual([{ file: 'bad.txt', line: 1, message: 'cannot read this' }]);
  });
});
