// The cheap paths of the Python analysis (issue 9): text prefilters that skip the extraction of
// files that cannot hold what a rule looks for, and the searches done in wasm instead of walking
// every node from JS. Each test is an edge a prefilter or shortcut must NOT get wrong: a file it
// must still read, a node it must still see, in the order the full walk met it.
import { describe, expect, it } from 'vitest';
import { Workspace } from '../src/workspace.js';
import { parsePython, python } from '../src/parsers/python.js';
import { validateText } from '../src/parsers/validate.js';
import { envReadsIn, importRoot, importsOf, mayDefineSettings, mayReadEnv, settingsClassesIn } from '../src/project/python.js';
import { projectImportRoot, projectSettings } from '../src/project/python-settings.js';
import { analyzeApp } from '../src/project/web.js';

const lines = (...ls: string[]) => ls.join('\n') + '\n';

describe('env-read prefilter (mayReadEnv)', () => {
  it('keeps reads through aliases of os, environ and getenv', async () => {
    const src = lines(
      'import os as o',
      'from os import environ as E, getenv as g',
      'A = o.environ["A"]',
      'B = E.get("B", "b")',
      'C = g("C")',
      'D = o.getenv("D", "4")',
    );
    expect(mayReadEnv(src)).toBe(true);
    const reads = envReadsIn('a.py', await parsePython(src));
    expect(reads.map((r) => [r.name, src.slice(r.start, r.end)])).toEqual([
      ['A', 'o.environ["A"]'],
      ['B', 'E.get("B", "b")'],
      ['C', 'g("C")'],
      ['D', 'o.getenv("D", "4")'],
    ]);
  });

  it('a read spelled with the name in a comment only is still no read, and a file without the names has none', async () => {
    const none = lines('import os', 'x = os.getcwd()', 'y = os.path.join("a", "b")');
    expect(mayReadEnv(none)).toBe(false);
    expect(envReadsIn('b.py', await parsePython(none))).toEqual([]);
    // The prefilter lets it through (the comment names getenv); the analysis still finds nothing.
    const commented = lines('import os', '# os.getenv("X") used to be read here', 'x = os.getcwd()');
    expect(mayReadEnv(commented)).toBe(true);
    expect(envReadsIn('c.py', await parsePython(commented))).toEqual([]);
  });
});

describe('settings-class prefilter (mayDefineSettings)', () => {
  it('keeps a class whose base is an alias or a module attribute', async () => {
    const aliased = lines('from pydantic_settings import BaseSettings as Base', '', 'class S(Base):', '    port: int = 8000');
    expect(mayDefineSettings(aliased)).toBe(true);
    expect(settingsClassesIn('s.py', await parsePython(aliased)).map((c) => [c.name, c.major, c.fields.map((f) => f.name)])).toEqual([
      ['S', 2, ['port']],
    ]);
    const attr = lines('import pydantic as p', '', 'class Conf(p.BaseSettings):', '    debug: bool = False');
    expect(mayDefineSettings(attr)).toBe(true);
    expect(settingsClassesIn('t.py', await parsePython(attr)).map((c) => [c.name, c.major, c.baseModule])).toEqual([['Conf', 1, 'pydantic']]);
  });

  it('a file without "BaseSettings" defines none', async () => {
    const src = lines('from pydantic import BaseModel', '', 'class S(BaseModel):', '    port: int = 8000');
    expect(mayDefineSettings(src)).toBe(false);
    expect(settingsClassesIn('u.py', await parsePython(src))).toEqual([]);
  });
});

describe('project settings: files that can hold neither a settings class nor an env read', () => {
  const util = lines('def helper(:', '    pass'); // broken, and names neither
  const main = lines('import os', 'from app.util import helper', '', 'DEBUG = os.getenv("DEBUG")');

  it('are not parsed; without a settings class the import root is found only when asked', async () => {
    const ws = Workspace.fromFiles({ 'svc/requirements.txt': 'fastapi\n', 'svc/app/main.py': main, 'svc/app/util.py': util, 'svc/app/__init__.py': '' });
    const ps = await projectSettings(ws, 'svc');
    expect(ps.target).toBeUndefined();
    expect(ps.reads.map((r) => `${r.file} ${r.name}`)).toEqual(['svc/app/main.py DEBUG']);
    expect(ws.errors).toEqual([]);
    // Finding the import root reads every module's imports: now util.py is parsed.
    expect(await projectImportRoot(ws, ps)).toBe(await importRoot(ws, 'svc', 'svc/app/main.py'));
    expect(await projectImportRoot(ws, ps)).toBe('svc');
    expect(ws.errors).toEqual([{ file: 'svc/app/util.py', line: 1, message: 'Python syntax error: missing ")"' }]);
  });

  it('with a settings class the target carries the import root its module path is relative to', async () => {
    const config = lines('from pydantic_settings import BaseSettings', '', '', 'class Settings(BaseSettings):', '    port: int = 8000', '', '', 'settings = Settings()');
    const ws = Workspace.fromFiles({ 'svc/requirements.txt': 'pydantic-settings\n', 'svc/app/config.py': config, 'svc/app/main.py': main, 'svc/app/__init__.py': '' });
    const ps = await projectSettings(ws, 'svc');
    expect(ps.target?.sc.name).toBe('Settings');
    expect(ps.target?.root).toBe('svc');
    expect(ps.target?.module).toBe('app.config');
    expect(await projectImportRoot(ws, ps)).toBe('svc');
  });
});

describe('imports: the module-level shortcut', () => {
  it('tells top-level, guarded and TYPE_CHECKING imports apart as before', async () => {
    const src = lines(
      'import os',
      'from typing import TYPE_CHECKING',
      'try:',
      '    import ujson as json',
      'except ImportError:',
      '    import json',
      'if TYPE_CHECKING:',
      '    from app.models import User',
      'def f():',
      '    import yaml',
      'class C:',
      '    import toml',
      'from . import sibling',
    );
    const got = importsOf(await parsePython(src)).map((i) => [i.module, i.level, i.local, i.topLevel, i.guarded, i.typeChecking]);
    expect(got).toEqual([
      ['os', 0, 'os', true, false, false],
      ['typing', 0, 'TYPE_CHECKING', true, false, false],
      ['ujson', 0, 'json', true, true, false],
      ['json', 0, 'json', true, true, false],
      ['app.models', 0, 'User', true, true, true],
      ['yaml', 0, 'yaml', false, false, false],
      ['toml', 0, 'toml', false, false, false],
      ['', 1, 'sibling', true, false, false],
    ]);
  });
});

describe('indentation check', () => {
  async function pyError(text: string): Promise<string | undefined> {
    try {
      await parsePython(text, 'app.py');
      return undefined;
    } catch (e) {
      return `${(e as { line?: number }).line}: ${(e as Error).message}`;
    }
  }

  it('ignores comments at any column, sees a "#" in a string as no comment', async () => {
    expect(await pyError(lines('def f():', '# at column 0', '    x = 1', '        # deeper', '    return x'))).toBeUndefined();
    expect(await pyError(lines('s = "# not a comment"', '    t = 1'))).toBe('2: Python syntax error: unexpected indent');
    expect(await pyError(lines('def f():', '    # only a comment', 'x = 1'))).toBe('1: Python syntax error: expected an indented block');
    expect(await pyError(lines('if x:', '        a = 1', '    b = 2'))).toBe('3: Python syntax error: unexpected indent');
  });
});

describe('app analysis: one search instead of a walk', () => {
  it('finds routes, routers and limits nested anywhere, in source order, across modules', async () => {
    const ws = Workspace.fromFiles({
      'api/app/main.py': lines(
        'from fastapi import FastAPI',
        'from app.routers import items',
        'MAX_UPLOAD_SIZE = 20 * 1024 * 1024',
        'app = FastAPI()',
        'app.include_router(items.router, prefix="/api")',
        'def build():',
        '    @app.get("/nested")',
        '    def nested():',
        '        return {}',
        '    return nested',
        '@app.websocket("/ws/{room}")',
        'async def ws(socket):',
        '    pass',
      ),
      'api/app/routers/__init__.py': '',
      'api/app/routers/items.py': lines(
        'from fastapi import APIRouter',
        'router = APIRouter(prefix="/items")',
        'if True:',
        '    @router.get("/{id}")',
        '    def one(id: int):',
        '        return {"limits": {"MAX_BODY_BYTES": 1}}',
        '@router.post("")',
        'def create():',
        '    return {}',
      ),
    });
    const a = await analyzeApp(ws, 'api');
    expect(a.httpRoutes.map((r) => `${r.path} ${r.file}:${r.line}`)).toEqual([
      '/nested api/app/main.py:7',
      '/api/items/{id} api/app/routers/items.py:4',
      '/api/items api/app/routers/items.py:7',
    ]);
    expect(a.wsEndpoints.map((r) => `${r.path} ${r.kind}`)).toEqual(['/ws/{room} fastapi']);
    expect(a.uploadLimit).toEqual({ bytes: 20 * 1024 * 1024, name: 'MAX_UPLOAD_SIZE', file: 'api/app/main.py', line: 3 });
    expect(a.apiPrefix).toBeUndefined();
  });

  it('reads each call that registers a route or a mount, in a module that names no other such method', async () => {
    // One app per method: the module's text names that method and no other one the prefilter knows.
    const fastapi = (...body: string[]) => lines('from fastapi import FastAPI', 'app = FastAPI()', 'app.add_middleware(object)', ...body);
    const flask = (...body: string[]) => lines('from flask import Flask, Blueprint', 'app = Flask(__name__)', 'bp = Blueprint("bp", __name__)', ...body);
    const apps: Record<string, [string, string[], string[]]> = {
      include_router: [fastapi('from fastapi import APIRouter', 'r = APIRouter()', '@r.get("/x")', 'def x():', '    pass', 'app.include_router(r, prefix="/inc")'), ['/inc/x'], []],
      mount: [fastapi('sub = FastAPI()', '@sub.get("/s")', 'def s():', '    pass', 'app.mount("/rt", sub)'), ['/rt/s'], []],
      add_api_route: [fastapi('def ping():', '    pass', 'app.add_api_route("/ping", ping)'), ['/ping'], []],
      add_api_websocket_route: [fastapi('async def live(ws):', '    pass', 'app.add_api_websocket_route("/live", live)'), [], ['/live']],
      add_websocket_route: [fastapi('async def feed(ws):', '    pass', 'app.add_websocket_route("/feed", feed)'), [], ['/feed']],
      register_blueprint: [flask('@bp.route("/r")', 'def r():', '    pass', 'app.register_blueprint(bp, url_prefix="/v1")'), ['/v1/r'], []],
      add_url_rule: [flask('app.add_url_rule("/rule", view_func=print)'), ['/rule'], []],
    };
    const ws = Workspace.fromFiles(Object.fromEntries(Object.entries(apps).map(([name, [src]]) => [`${name}/main.py`, src])));
    for (const [name, [, http, wsPaths]] of Object.entries(apps)) {
      const a = await analyzeApp(ws, name);
      expect({ name, http: a.httpRoutes.map((r) => r.path), ws: a.wsEndpoints.map((r) => r.path) }).toEqual({ name, http, ws: wsPaths });
    }
    // Calls to other methods (add_middleware, print) register nothing, with or without the search for calls.
    const plain = Workspace.fromFiles({ 'p/main.py': fastapi('print(len([1]))', '@app.get("/d")', 'def d():', '    pass') });
    expect((await analyzeApp(plain, 'p')).httpRoutes.map((r) => `${r.path}:${r.line}`)).toEqual(['/d:5']);
  });
});

describe('validated parses taken over by the workspace', () => {
  it('a tree handed to a workspace is never freed by a later validation of the same file', async () => {
    const v1 = lines('import os', 'A = os.getenv("A")');
    const v2 = lines('import os', 'A = os.getenv("A", "x")');
    await validateText('python', v1, 'svc/handoff.py');
    const ws = Workspace.fromFiles({ 'svc/handoff.py': v1 });
    const m = await python(ws, 'svc/handoff.py');
    // The next text of the same file is validated (the previous one was already taken over).
    await validateText('python', v2, 'svc/handoff.py');
    await validateText('python', lines('x = 1'), 'svc/handoff.py');
    expect(m!.root.type).toBe('module');
    expect(envReadsIn('svc/handoff.py', m!).map((r) => [r.name, m!.text.slice(r.start, r.end)])).toEqual([['A', 'os.getenv("A")']]);
    // A workspace whose text differs from the validated one parses its own.
    const ws2 = Workspace.fromFiles({ 'svc/handoff.py': v2 });
    const m2 = await python(ws2, 'svc/handoff.py');
    expect(envReadsIn('svc/handoff.py', m2!).map((r) => r.default?.value)).toEqual(['x']);
  });

  it('a text that fails validation is reported by the workspace as before', async () => {
    const bad = lines('def f(:', '    pass');
    await expect(validateText('python', bad, 'svc/bad.py')).rejects.toThrow('Python syntax error');
    const ws = Workspace.fromFiles({ 'svc/bad.py': bad });
    expect(await python(ws, 'svc/bad.py')).toBeUndefined();
    expect(ws.errors).toEqual([{ file: 'svc/bad.py', line: 1, message: 'Python syntax error: missing ")"' }]);
  });
});
