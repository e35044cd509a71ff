// The text prefilters that keep TS/JS files which cannot matter from being parsed (issue 9): each
// edge below is a file a prefilter must NOT skip — one record or read per file, with no other needle
// in its text — and the analysis must still find what it holds.
import { describe, expect, it } from 'vitest';
import { Workspace } from '../src/workspace.js';
import { analyzeApp, scriptMayMatter } from '../src/project/web.js';
import { envMayMatter, fileEnvReads } from '../src/project/node.js';
import { mayHideText, validatorParsesDirectly } from '../src/parsers/typescript.js';
import { validateText } from '../src/parsers/validate.js';

/** Analyse one file as the only code of app `a`. */
async function analyzeOne(code: string, name = 'a/src/x.ts', pkg = '{"dependencies":{"express":"4"}}') {
  return analyzeApp(Workspace.fromFiles({ 'a/package.json': pkg, [name]: code }), 'a');
}

describe('analyzeScript prefilter', () => {
  it('skips files that cannot hold a route, endpoint, call or limit', () => {
    expect(scriptMayMatter("import { a } from './a.js';\nexport function f(x: number) {\n  return `item-${x}` + a;\n}\n")).toBe(false);
    expect(scriptMayMatter('// see https/docs\nexport const n = 1 / 2;\n')).toBe(false);
    expect(scriptMayMatter("const re = /\\d+/;\n")).toBe(true); // a backslash that may hide a character: parsed
  });

  it('route paths in single, double and template quotes', async () => {
    for (const q of ["'", '"', '`']) {
      const code = `app.get(${q}/items${q}, h);\n`;
      expect(scriptMayMatter(code)).toBe(true);
      const app = await analyzeOne(code);
      expect(app.httpRoutes.map((r) => [r.path, r.line])).toEqual([['/items', 1]]);
    }
  });

  it('a template route whose head starts with "/"', async () => {
    const app = await analyzeOne('app.use(`/v${1}`, h);\n');
    // The placeholder stays in the route path as \0 (the analysis' current behaviour, unchanged here).
    expect(app.httpRoutes.map((r) => [r.path, r.prefix])).toEqual([['/v\0', true]]);
  });

  it('express-ws routes', async () => {
    const app = await analyzeOne("app.ws('/live', h);\n");
    expect(app.wsEndpoints.map((e) => [e.path, e.kind])).toEqual([['/live', 'express-ws']]);
  });

  it('a path hidden by escapes or a line continuation is still found', async () => {
    for (const lit of ["'\\/items'", "'\\x2fitems'", "'\\u002fitems'", "'\\u{2f}items'", "'\\\n/items'"]) {
      const code = `app.get(${lit}, h);\n`;
      expect(mayHideText(code)).toBe(true);
      const app = await analyzeOne(code);
      expect(app.httpRoutes.map((r) => r.path)).toEqual(['/items']);
    }
  });

  it('frontend calls through a URL with a scheme (only "://" in the text)', async () => {
    const code = 'fetch("http://api:8000" + p);\nconst s = new WebSocket(`${proto}://${location.host}` + "x");\nfetch(`${a}://h:1/ws2`);\n';
    expect(code.includes("'/") || code.includes('"/') || code.includes('`/')).toBe(false);
    const app = await analyzeOne(code, 'a/src/x.ts', '{"dependencies":{"react":"19"}}');
    expect(app.calls).toEqual([{ path: '/ws2', ws: false, file: 'a/src/x.ts' }]);
    const app2 = await analyzeOne('fetch("http://api:8000/api/items");\n', 'a/src/x.ts', '{"dependencies":{"react":"19"}}');
    expect(app2.calls).toEqual([{ path: '/api/items', ws: false, file: 'a/src/x.ts' }]);
  });

  it('socket.io without a path, a ws server without a path', async () => {
    const io = await analyzeOne("const { Server } = require('socket.io');\nnew Server(http);\n");
    expect(io.wsEndpoints.map((e) => [e.path, e.kind, e.prefix])).toEqual([['/socket.io', 'socketio', true]]);
    const io2 = await analyzeOne("import sio from 'socket.io';\nconst s = sio(http);\n");
    expect(io2.wsEndpoints.map((e) => [e.path, e.kind])).toEqual([['/socket.io', 'socketio']]);
    const wss = await analyzeOne("import WebSocket from 'ws';\nnew WebSocket.Server({ port: 1 });\n");
    expect(wss.wsEndpoints.map((e) => [e.path, e.kind, e.prefix])).toEqual([['/', 'ws', true]]);
  });

  it('body and upload limits', async () => {
    expect((await analyzeOne("app.use(express.json({ limit: '5mb' }));\n")).uploadLimit).toMatchObject({ bytes: 5 * 1024 * 1024, name: 'express.json limit' });
    expect((await analyzeOne('const u = multer({ limits: { fileSize: 10 * 1024 * 1024 } });\n')).uploadLimit).toMatchObject({ bytes: 10 * 1024 * 1024, name: 'fileSize' });
    for (const key of ['bodyLimit', 'sizeLimit', 'bodySizeLimit']) {
      expect((await analyzeOne(`const o = { ${key}: 2048 };\n`)).uploadLimit).toMatchObject({ bytes: 2048, name: key });
    }
  });
});

describe('env reads prefilter', () => {
  const reads = async (code: string) => {
    const ws = Workspace.fromFiles({ 'package.json': '{}', 'src/x.ts': code });
    const r = await fileEnvReads(ws, 'src/x.ts');
    return r && { names: r.sites.map((s) => s.name), written: [...r.written], envModule: r.envModule };
  };

  it('skips files without process.env', () => {
    expect(envMayMatter('process.exit(1);\n')).toBe(false);
    expect(envMayMatter('export const env = 1;\n')).toBe(false);
  });

  it('reads and writes spelled with spaces, comments, optional chaining or escapes', async () => {
    expect(await reads('const a = process . env . A;\nconst b = process/* c */.env["B"];\nconst c = process?.env.C;\n')).toEqual({ names: ['A', 'B', 'C'], written: [], envModule: false });
    expect(await reads('const a = process.\\u0065nv.A;\n')).toEqual({ names: ['A'], written: [], envModule: false });
    expect(await reads('process.env.TZ = "UTC";\n')).toEqual({ names: [], written: ['TZ'], envModule: false });
  });

  it('a znv settings module that mentions process', async () => {
    const code = "import { parseEnv } from 'znv';\nexport const s = parseEnv(process[k], {});\n";
    expect(envMayMatter(code)).toBe(true);
    expect(await reads(code)).toEqual({ names: [], written: [], envModule: true });
  });
});

describe('TS/JS validator without transpileModule', () => {
  // What the validator reported when it ran ts.transpileModule on every file (its contract).
  const viaTranspile = async (text: string, file: string) => {
    const { ts } = await import('ts-morph');
    let out: import('ts-morph').ts.TranspileOutput;
    try {
      out = ts.transpileModule(text, {
        fileName: file,
        reportDiagnostics: true,
        compilerOptions: { allowJs: true, jsx: ts.JsxEmit.Preserve, noEmit: true },
      });
    } catch (e) {
      return { message: (e as Error).message, line: undefined }; // e.g. no output for a .d.ts
    }
    const err = out.diagnostics?.find((d) => d.category === ts.DiagnosticCategory.Error && d.start !== undefined);
    return err ? { message: ts.flattenDiagnosticMessageText(err.messageText, '\n'), line: err.file!.getLineAndCharacterOfPosition(err.start!).line + 1 } : undefined;
  };
  const viaValidator = async (text: string, file: string) => {
    try {
      await validateText('typescript', text, file);
      return undefined;
    } catch (e) {
      return { message: (e as Error).message, line: (e as { line?: number }).line };
    }
  };
  const cases: [string, string][] = [
    ['src/a.ts', 'const x = 1;\nexport const y = x + 1;\n'],
    ['src/a.ts', 'const x = ;\n'],
    ['src/a.ts', 'import { settings } from "./config/settings.js";\nconst port = settings.PORT\n  ?? 3000);\n'],
    ['src/a.ts', 'function f( {\n  return 1;\n}\n'],
    ['src/a.ts', 'const s = `unterminated ${x}\n'],
    ['src/a.ts', 'const a = "x\n'],
    ['src/a.ts', 'await fetch("/x");\n'],
    ['src/a.mts', 'await fetch("/x");\nconst = 2;\n'],
    ['src/a.cts', 'export = 1;\nlet let = 2;\n'],
    ['src/a.tsx', 'const e = <div>{x}</div>;\nconst f = <span>;\n'],
    ['src/a.ts', 'const e = <div>{x}</div>;\n'],
    ['src/a.ts', 'const ℘x = 1; const ゛y = 2;\nlet z = ;\n'],
    ['src/a.ts', 'enum E { A = 1, }\nclass C { private x!: number; constructor(public y: string) {} }\nlet v = <number>w;\n'],
    ['src/a.ts', 'with (o) { x; }\n'],
    ['src/a.ts', '"use strict";\nconst o = { a: 1, a: 2 };\ndelete x;\nlet arguments = 1;\n'],
    ['src/a.ts', '/** @type {import("x").Y} */\nconst a = 1 +;\n'],
    ['src/a.js', 'const x: number = 1;\nconst y = ;\n'],
    ['src/a.js', 'const a = 1;\nexport default a;\n'],
    ['src/a.jsx', 'const e = <div>{x}</div>;\nconst = 1;\n'],
    ['src/a.mjs', 'interface I {}\n'],
    ['src/a.d.ts', 'declare const x: number;\nexport {};\n'],
  ];
  it('parses TypeScript files itself (no transpileModule) with this compiler', async () => {
    expect(await validatorParsesDirectly()).toBe(true);
  });
  it.each(cases)('%s: %j — same first error and line as transpileModule', async (file, text) => {
    expect(await viaValidator(text, file)).toEqual(await viaTranspile(text, file));
  });
  it('a syntax error: message and line', async () => {
    expect(await viaValidator('const x = ;\n', 'src/a.ts')).toEqual({ message: 'Expression expected.', line: 1 });
  });
});
