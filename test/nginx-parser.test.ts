// The nginx tokenizer/parser (src/parsers/nginx.ts), its splice helpers (src/edit/nginx.ts), the
// configuration model (src/project/nginx.ts) and the route knowledge read from app code
// (src/project/web.ts).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { allDirectives, argText, parseNginx, tokenizeNginx } from '../src/parsers/nginx.js';
import { validateText } from '../src/parsers/validate.js';
import { FileError, Workspace } from '../src/workspace.js';
import { childIndent, indentUnit, insertLinesAfter, insertLinesAtBlockEnd, quoteArg } from '../src/edit/nginx.js';
import { applyEdits } from '../src/engine/edits.js';
import { inheritanceChain, inherited, locationMatch, nginxSets, proxyTarget, selectLocation } from '../src/project/nginx.js';
import { analyzeApp, codeDirForHost, joinUrl, parseSize } from '../src/project/web.js';

const SITE = `# site
upstream api {   # backend
    server backend:8000;
}

server {
    listen 80;
    server_name example.com www.example.com;
    include /etc/nginx/snippets/*.conf;

    location / {
        try_files $uri /index.html;
    }

    location ~* ^/ws/(?<id>[a-z]+)$ {
        proxy_pass http://api;
        proxy_set_header X-Quoted "a \\"b\\" c";
        set $v \${x}y;
    }
}
`;

function parseError(text: string): FileError {
  try {
    parseNginx(text, 'x.conf');
  } catch (e) {
    expect(e).toBeInstanceOf(FileError);
    return e as FileError;
  }
  throw new Error('expected a parse error');
}

describe('nginx tokenizer', () => {
  it('tokens cover the text exactly, comments and whitespace included', () => {
    const toks = tokenizeNginx(SITE);
    expect(toks.map((t) => SITE.slice(t.start, t.end)).join('')).toBe(SITE);
    expect(toks.filter((t) => t.type === 'comment').map((t) => t.value)).toEqual(['# site', '# backend']);
  });

  it('follows nginx: "${" stays in a word, "}" inside a word is a character, # mid-word is not a comment', () => {
    const t = tokenizeNginx('set $a ${b}c}; return 200 a#b;').filter((x) => x.type === 'word').map((x) => x.value);
    expect(t).toEqual(['set', '$a', '${b}c}', 'return', '200', 'a#b']);
  });

  it('unescapes quoted strings like nginx and keeps the raw text', () => {
    const cfg = parseNginx(`add_header X "a\\"b" always; return 200 'it\\'s';`);
    expect(cfg.directives[0]!.args.map((a) => a.value)).toEqual(['X', 'a"b', 'always']);
    expect(cfg.directives[0]!.args[1]!.raw).toBe('"a\\"b"');
    expect(cfg.directives[0]!.args[1]!.quote).toBe('"');
    expect(cfg.directives[1]!.args[1]!.value).toBe("it's");
  });

  it('every successfully tokenized text is covered exactly (property)', () => {
    const alphabet = fc.constantFrom('a', 'b', ' ', '\n', '\t', ';', '{', '}', '"', "'", '#', '\\', '$', '(', ')');
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 60 }), (chars) => {
        const text = chars.join('');
        let toks;
        try {
          toks = tokenizeNginx(text);
        } catch (e) {
          expect(e).toBeInstanceOf(FileError);
          return;
        }
        expect(toks.map((t) => text.slice(t.start, t.end)).join('')).toBe(text);
      }),
      { numRuns: 500 },
    );
  });
});

describe('nginx parser', () => {
  it('builds nested directives with spans, args and parents', () => {
    const cfg = parseNginx(SITE, 'site.conf');
    expect(cfg.directives.map((d) => d.name)).toEqual(['upstream', 'server']);
    const server = cfg.directives[1]!;
    expect(SITE.slice(server.start, server.end)).toMatch(/^server \{[\s\S]*\n\}$/);
    expect(SITE[server.block!.open]).toBe('{');
    expect(SITE[server.block!.close]).toBe('}');
    const loc = server.block!.children.filter((d) => d.name === 'location')[1]!;
    expect(argText(loc)).toBe('~* ^/ws/(?<id>[a-z]+)$');
    expect(loc.parent).toBe(server);
    expect(loc.line).toBe(15);
    expect(loc.endLine).toBe(19);
    const pp = loc.block!.children[0]!;
    expect(SITE.slice(pp.start, pp.end)).toBe('proxy_pass http://api;');
    expect(SITE[pp.terminator]).toBe(';');
    expect(cfg.includes.map((d) => d.args[0]!.value)).toEqual(['/etc/nginx/snippets/*.conf']);
    expect(allDirectives(cfg).map((d) => d.name)).toEqual([
      'upstream', 'server', 'server', 'listen', 'server_name', 'include', 'location', 'try_files', 'location', 'proxy_pass', 'proxy_set_header', 'set',
    ]);
  });

  it('parses map blocks with quoted keys', () => {
    const cfg = parseNginx("map $http_upgrade $connection_upgrade {\n    default upgrade;\n    ''      close;\n}\n");
    const map = cfg.directives[0]!;
    expect(map.block!.children.map((d) => [d.name, argText(d)])).toEqual([['default', 'upgrade'], ['', 'close']]);
  });

  it('reports malformed input with the line', () => {
    expect(parseError('server {\n  listen 80;\n').message).toMatch(/"server" block opened on line 1 is never closed/);
    expect(parseError('server {\n  listen 80;\n}\n}\n').line).toBe(4);
    const unterminated = parseError('server {\n  return 200 "oops;\n}\n');
    expect(unterminated.message).toMatch(/unterminated quoted string/);
    expect(unterminated.line).toBe(2);
    const missing = parseError('server {\n  location / {\n    proxy_pass http://a\n  }\n}\n');
    expect(missing.message).toMatch(/missing ";" after "proxy_pass" \(line 3\)/);
    expect(missing.line).toBe(4);
    const nextLine = parseError('server {\n  proxy_pass http://a\n  proxy_set_header Host $host;\n}\n');
    expect(nextLine.message).toMatch(/missing ";" after "proxy_pass"/);
    expect(nextLine.line).toBe(2);
    expect(parseError('listen 80').message).toMatch(/unexpected end of file/);
    expect(parseError('{ }').message).toMatch(/unexpected "\{"/);
    expect(parseError('return 200 "a"b;').message).toMatch(/unexpected "b" after a quoted string/);
  });

  it('accepts arguments split over lines and `if ($a = "b")`', () => {
    const cfg = parseNginx('log_format main \'$remote_addr \'\n    \'$status\';\nif ($a = "b") { return 403; }\n');
    expect(cfg.directives[0]!.args).toHaveLength(3);
    expect(cfg.directives[1]!.args.map((a) => a.value)).toEqual(['($a', '=', 'b', ')']);
  });

  it('is registered as the validator of nginx files', async () => {
    await expect(validateText('nginx', 'server {', 'x.conf')).rejects.toThrow(/never closed/);
    await expect(validateText('nginx', 'server { listen 80; }\n', 'x.conf')).resolves.toBeUndefined();
  });
});

describe('nginx edit helpers', () => {
  it('detects the indentation unit: tabs, 2 and 4 spaces', () => {
    expect(indentUnit(parseNginx('http {\n\tserver {\n\t\tlisten 80;\n\t}\n}\n'))).toBe('\t');
    expect(indentUnit(parseNginx('server {\n  listen 80;\n  location / {\n    root /x;\n  }\n}\n'))).toBe('  ');
    expect(indentUnit(parseNginx(SITE))).toBe('    ');
  });

  it('inserts lines after a directive, past its trailing comment, at the children indentation', () => {
    const text = 'server {\n    location / {\n        proxy_pass http://a;  # keep\n        # note\n    }\n}\n';
    const cfg = parseNginx(text);
    const loc = cfg.directives[0]!.block!.children[0]!;
    const e = insertLinesAfter('f', cfg, loc.block!.children[0]!, ['proxy_http_version 1.1;'], childIndent(cfg, loc));
    expect(applyEdits(text, [e])).toBe('server {\n    location / {\n        proxy_pass http://a;  # keep\n        proxy_http_version 1.1;\n        # note\n    }\n}\n');
  });

  it('inserts at the end of a block, also of a one-line block', () => {
    const text = 'server {\n  listen 80;\n}\n';
    const cfg = parseNginx(text);
    expect(applyEdits(text, [insertLinesAtBlockEnd('f', cfg, cfg.directives[0]!, ['gzip on;'], '  ')])).toBe('server {\n  listen 80;\n  gzip on;\n}\n');
    const one = 'server { listen 80; }\n';
    const c1 = parseNginx(one);
    expect(applyEdits(one, [insertLinesAtBlockEnd('f', c1, c1.directives[0]!, ['gzip on;'], '    ')])).toBe('server { listen 80; \n    gzip on;\n}\n');
  });

  it('quotes arguments only when needed', () => {
    expect(quoteArg('$http_upgrade')).toBe('$http_upgrade');
    expect(quoteArg('max-age=1; x')).toBe('"max-age=1; x"');
    expect(quoteArg('')).toBe('""');
  });
});

describe('nginx configurations', () => {
  it('groups a main nginx.conf with the conf.d files it includes, in http context', () => {
    const ws = Workspace.fromFiles({
      'deploy/nginx/nginx.conf': 'events {}\nhttp {\n    proxy_read_timeout 90s;\n    include /etc/nginx/conf.d/*.conf;\n}\n',
      'deploy/nginx/conf.d/a.conf': 'server { listen 80; location / { proxy_pass http://a:1; } }\n',
      'deploy/nginx/conf.d/b.conf': 'server { listen 81; }\n',
      'other/nginx/conf.d/c.conf': 'server { listen 82; }\n',
    });
    const sets = nginxSets(ws);
    expect(sets.map((s) => [s.main, s.files.map((f) => `${f.file}:${f.context}`)])).toEqual([
      ['deploy/nginx/nginx.conf', ['deploy/nginx/nginx.conf:main', 'deploy/nginx/conf.d/a.conf:http', 'deploy/nginx/conf.d/b.conf:http']],
      [undefined, ['other/nginx/conf.d/c.conf:http']],
    ]);
    // A conf.d location inherits from the main file's http block.
    const a = sets[0]!.files[1]!;
    const loc = allDirectives(a.cfg).find((d) => d.name === 'location')!;
    expect(inherited(inheritanceChain(sets[0]!, a, loc), 'proxy_read_timeout')?.directives[0]!.args[0]!.value).toBe('90s');
  });

  it('resolves proxy_pass through upstream blocks', () => {
    const ws = Workspace.fromFiles({ 'nginx/conf.d/x.conf': 'upstream be { server backend:8000; server backend2:8000 backup; }\nserver { location / { proxy_pass http://be/; } location /x { proxy_pass http://$h; } }\n' });
    const set = nginxSets(ws)[0]!;
    const pps = allDirectives(set.files[0]!.cfg).filter((d) => d.name === 'proxy_pass');
    expect(proxyTarget(set, pps[0]!)).toEqual({ hosts: ['backend', 'backend2'], uri: '/', dynamic: false });
    expect(proxyTarget(set, pps[1]!)?.dynamic).toBe(true);
  });

  it('selects locations as nginx does: exact, ^~, regex before plain prefix, longest prefix', () => {
    const cfg = parseNginx(
      'server {\n location / {}\n location /api/ {}\n location ^~ /static/ {}\n location = /healthz {}\n location ~ \\.php$ {}\n location /ws/ { location ~ ^/ws/admin {} }\n}\n',
    );
    const locs = cfg.directives[0]!.block!.children;
    const pick = (u: string) => argText(selectLocation(locs, u)!);
    expect(pick('/healthz')).toBe('= /healthz');
    expect(pick('/api/x')).toBe('/api/');
    expect(pick('/api/x.php')).toBe('~ \\.php$');
    expect(pick('/static/x.php')).toBe('^~ /static/');
    expect(pick('/ws/progress/1')).toBe('/ws/');
    expect(pick('/ws/admin/1')).toBe('~ ^/ws/admin');
    expect(pick('/other')).toBe('/');
    expect(locationMatch(locs[3]!)).toEqual({ modifier: '=', pattern: '/healthz' });
  });
});

describe('route knowledge from app code', () => {
  const files = {
    'docker-compose.yml': 'services:\n  api:\n    build:\n      context: ./backend\n    container_name: docproc-api\n  web:\n    build: ./frontend\n  db:\n    image: postgres:16\n',
    'backend/app/__init__.py': '',
    'backend/app/main.py': [
      'import os',
      'from fastapi import FastAPI',
      'from app.api import documents',
      'from .api.chat import router as chat_router',
      '',
      'MAX_UPLOAD_MB = int(os.getenv("MAX_UPLOAD_MB", "80"))',
      'app = FastAPI()',
      'app.include_router(documents.router, prefix="/api")',
      'app.include_router(chat_router, prefix="/api")',
      '',
      '@app.get("/health")',
      'def health():',
      '    return {"ok": True}',
      '',
      '@app.websocket("/ws/progress/{job_id}")',
      'async def progress(ws, job_id: str):',
      '    await ws.accept()',
      '',
    ].join('\n'),
    'backend/app/api/__init__.py': '',
    'backend/app/api/documents.py': 'from fastapi import APIRouter\n\nrouter = APIRouter(prefix="/documents")\n\n@router.post("/upload")\nasync def upload():\n    return {}\n',
    'backend/app/api/chat.py': 'from fastapi import APIRouter\n\nrouter = APIRouter(prefix="/chat")\n\n@router.websocket("/stream")\nasync def stream(ws):\n    pass\n',
    'frontend/package.json': '{"dependencies":{"react":"^19.0.0"},"devDependencies":{"vite":"^7.0.0"}}',
    'frontend/vite.config.ts': "import { defineConfig } from 'vite';\nexport default defineConfig({ base: '/app/', server: { proxy: { '/api': 'http://localhost:8000', '/ws': { target: 'ws://localhost:8000', ws: true } } } });\n",
    'frontend/src/api.ts': "export const API_BASE = import.meta.env.VITE_API_URL ?? '/api';\nexport function progress(id: string) {\n  return new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/progress/${id}`);\n}\n",
    'node/server.ts': "import express from 'express';\nimport { createServer } from 'node:http';\nimport { Server } from 'socket.io';\nimport { WebSocketServer } from 'ws';\nimport multer from 'multer';\nconst app = express();\napp.use(express.json({ limit: '5mb' }));\nconst upload = multer({ limits: { fileSize: 25 * 1024 * 1024 } });\napp.use('/api', router);\napp.get('/api/items', (req, res) => res.json([]));\nconst server = createServer(app);\nnew Server(server);\nnew WebSocketServer({ server, path: '/live' });\n",
  };

  it('FastAPI: websocket paths with APIRouter and include_router prefixes across modules, /api prefix, upload limit', async () => {
    const ws = Workspace.fromFiles(files);
    const app = await analyzeApp(ws, 'backend');
    expect(app.wsEndpoints.map((e) => e.path).sort()).toEqual(['/api/chat/stream', '/ws/progress/{job_id}']);
    expect(app.httpRoutes.map((e) => e.path).sort()).toEqual(['/api/documents/upload', '/health']);
    expect(app.apiPrefix).toBe('/api');
    expect(app.uploadLimit).toMatchObject({ bytes: 80 * 1024 * 1024, name: 'MAX_UPLOAD_MB', file: 'backend/app/main.py', line: 6 });
    expect(app.frontend).toBe(false);
  });

  it('a React/Vite frontend: the paths it calls, its dev proxy and its base path', async () => {
    const app = await analyzeApp(Workspace.fromFiles(files), 'frontend');
    expect(app.frontend).toBe(true);
    expect(app.frameworks).toEqual(['react', 'vite']);
    expect(app.basePath).toBe('/app');
    expect(app.calls).toEqual([
      { path: '/api', ws: false, file: 'frontend/src/api.ts' },
      { path: '/ws/progress/', ws: true, file: 'frontend/src/api.ts' },
      { path: '/api', ws: false, file: 'frontend/vite.config.ts' },
      { path: '/ws', ws: true, file: 'frontend/vite.config.ts' },
    ]);
  });

  it('Node: socket.io, ws with a path, Express prefixes and body limits', async () => {
    const app = await analyzeApp(Workspace.fromFiles(files), 'node');
    expect(app.wsEndpoints.map((e) => [e.path, e.kind, e.prefix])).toEqual([
      ['/socket.io', 'socketio', true],
      ['/live', 'ws', false],
    ]);
    expect(app.apiPrefix).toBe('/api');
    expect(app.uploadLimit).toMatchObject({ bytes: 25 * 1024 * 1024, name: 'fileSize' });
  });

  it('maps host names to the code they run through compose', () => {
    const ws = Workspace.fromFiles(files);
    expect(codeDirForHost(ws, 'api')).toBe('backend');
    expect(codeDirForHost(ws, 'docproc-api')).toBe('backend');
    expect(codeDirForHost(ws, 'db')).toBeUndefined();
  });

  it('helpers', () => {
    expect(joinUrl('/api', '/v1/', '/x')).toBe('/api/v1/x');
    expect(joinUrl('', 'ws')).toBe('/ws');
    expect(parseSize('10mb')).toBe(10 * 1024 * 1024);
    expect(parseSize('1.5k')).toBe(1536);
    expect(parseSize('huge')).toBeUndefined();
  });
});
