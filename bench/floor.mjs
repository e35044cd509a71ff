#!/usr/bin/env node
// The floor (issue 9): what any tool must at least do on a repository. List the files the way
// shipshape does (nested .gitignore files and .git/info/exclude honoured with the `ignore` package,
// node_modules, virtualenvs and the like skipped), read every Dockerfile, compose file and nginx
// conf, and parse each with the parser shipshape uses (dockerfile-ast, yaml's parseDocument, our
// nginx parser). Nothing else: no rules, no Python or TypeScript parsing.
//
//   node bench/floor.mjs <dir> [--json] [--parse <trace>]
//
// --parse <trace> gives the parse floor: the floor, then the Python and TypeScript/JavaScript files a
// scan parsed, parsed once each with the same parsers (web-tree-sitter with tree-sitter-python's
// wasm grammar; the TypeScript compiler's createSourceFile, from the copy shipshape loads). The trace
// is the stderr of `SHIPSHAPE_TIMING=parses shipshape scan <dir>`: one line per parse. It is what
// the rules cannot do without, with none of their work: no tree walks, no rules, no report.
//
// shipshape's own classification and nginx parser come from src/ (bundled once with esbuild into
// bench/.work/floor-deps.mjs), so the floor picks exactly the files shipshape would parse.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ignore from 'ignore';
import { DockerfileParser } from 'dockerfile-ast';
import { parseDocument, LineCounter } from 'yaml';
import { createRequire } from 'node:module';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DEPS = path.join(HERE, '.work', 'floor-deps.mjs');

/** Bundle classify() and parseNginx() from src/ (skipped when the bundle is newer than its sources). */
export async function buildFloorDeps() {
  const srcs = ['src/classify.ts', 'src/parsers/nginx.ts', 'src/text.ts', 'src/workspace.ts'].map((f) => path.join(HERE, '..', f));
  const newest = Math.max(...srcs.map((f) => fs.statSync(f).mtimeMs));
  if (fs.existsSync(DEPS) && fs.statSync(DEPS).mtimeMs > newest) return DEPS;
  const { build } = await import('esbuild');
  fs.mkdirSync(path.dirname(DEPS), { recursive: true });
  await build({
    stdin: {
      contents: "export { classify } from './src/classify.ts';\nexport { parseNginx } from './src/parsers/nginx.ts';\n",
      resolveDir: path.join(HERE, '..'),
      loader: 'ts',
    },
    outfile: DEPS,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
  return DEPS;
}

// The same directories shipshape never enters (src/workspace.ts SKIP_DIRS).
const SKIP_DIRS = new Set([
  '.git', '.hg', '.svn', 'node_modules', 'bower_components', 'jspm_packages', '.venv', 'venv',
  '.tox', '.nox', '__pycache__', '.mypy_cache', '.pytest_cache', '.ruff_cache', 'site-packages',
  'vendor', 'third_party', '.terraform', '.next', '.nuxt', '.svelte-kit', '.yarn', '.pnpm-store',
]);

function readOr(p) {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}

/** Relative POSIX paths of the files shipshape would list, in directory order. */
export function listFiles(root) {
  const out = [];
  const rootIg = ignore();
  const exclude = path.join(root, '.git', 'info', 'exclude');
  if (fs.existsSync(exclude)) rootIg.add(readOr(exclude));
  const visit = (rel, scopes) => {
    const abs = rel ? path.join(root, rel) : root;
    let entries;
    try {
      entries = fs.readdirSync(abs, { withFileTypes: true });
    } catch {
      return;
    }
    if (entries.some((e) => e.name === '.gitignore' && e.isFile())) {
      scopes = [...scopes, { base: rel, ig: ignore().add(readOr(path.join(abs, '.gitignore'))) }];
    }
    for (const e of entries) {
      const isDir = e.isDirectory();
      if (isDir && SKIP_DIRS.has(e.name)) continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      let ignored = false;
      for (const s of scopes) {
        const t = s.ig.test((s.base ? r.slice(s.base.length + 1) : r) + (isDir ? '/' : ''));
        if (t.ignored) ignored = true;
        else if (t.unignored) ignored = false;
      }
      if (ignored) continue;
      if (isDir) {
        if (fs.existsSync(path.join(abs, e.name, 'pyvenv.cfg'))) continue;
        visit(r, scopes);
      } else if (e.isFile() || e.isSymbolicLink()) out.push(r);
    }
  };
  visit('', [{ base: '', ig: rootIg }]);
  return out;
}

export async function floor(root) {
  const { classify, parseNginx } = await import(pathToFileURL(await buildFloorDeps()).href);
  const t0 = performance.now();
  const files = listFiles(root);
  const t1 = performance.now();
  const counts = { files: files.length, dockerfile: 0, compose: 0, nginx: 0, errors: 0 };
  for (const f of files) {
    const kind = classify(f);
    if (kind !== 'dockerfile' && kind !== 'compose' && kind !== 'nginx') continue;
    const text = readOr(path.join(root, f));
    try {
      if (kind === 'dockerfile') DockerfileParser.parse(text);
      else if (kind === 'compose') {
        const doc = parseDocument(text, { lineCounter: new LineCounter(), merge: true, uniqueKeys: true, prettyErrors: false, keepSourceTokens: true });
        if (doc.errors.length) throw doc.errors[0];
        doc.toJS({ maxAliasCount: 100 });
      } else parseNginx(text, f);
      counts[kind]++;
    } catch {
      counts.errors++;
    }
  }
  const t2 = performance.now();
  return { ...counts, listMs: Math.round(t1 - t0), parseMs: Math.round(t2 - t1) };
}

/** The files of a parse trace (see above) by parser: { python: [...], typescript: [...] }. */
export function tracedSources(traceText) {
  const out = { python: [], typescript: [] };
  const seen = new Set();
  for (const line of traceText.split('\n')) {
    const m = /^shipshape timing: parse (\{.*\})$/.exec(line);
    if (!m) continue;
    const { parser, file } = JSON.parse(m[1]);
    const kind = parser === 'python' ? 'python' : parser.startsWith('typescript') ? 'typescript' : undefined;
    if (!kind || seen.has(`${kind}\0${file}`)) continue;
    seen.add(`${kind}\0${file}`);
    out[kind].push(file);
  }
  return out;
}

/** Parse the traced sources once each (loading each parser is counted, as a scan loads it too). */
export async function parseSources(root, sources) {
  const require = createRequire(import.meta.url);
  const t0 = performance.now();
  let errors = 0;
  if (sources.python.length) {
    const { Parser, Language } = require('web-tree-sitter');
    await Parser.init();
    const parser = new Parser();
    parser.setLanguage(await Language.load(require.resolve('tree-sitter-python/tree-sitter-python.wasm')));
    for (const f of sources.python) {
      const tree = parser.parse(readOr(path.join(root, f)));
      if (!tree) errors++;
      else tree.delete();
    }
  }
  const t1 = performance.now();
  if (sources.typescript.length) {
    // The compiler file inside @ts-morph/common, as src/parsers/typescript.ts loads it.
    const fromTsMorph = createRequire(require.resolve('ts-morph'));
    const ts = require(path.join(path.dirname(fromTsMorph.resolve('@ts-morph/common')), 'typescript.js'));
    for (const f of sources.typescript) ts.createSourceFile('/' + f, readOr(path.join(root, f)), ts.ScriptTarget.ES2022, true);
  }
  const t2 = performance.now();
  return { python: sources.python.length, typescript: sources.typescript.length, parseErrors: errors, pythonMs: Math.round(t1 - t0), typescriptMs: Math.round(t2 - t1) };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write('usage: node bench/floor.mjs <dir> [--json] [--parse <trace>]\n');
    process.exit(2);
  }
  const i = process.argv.indexOf('--parse');
  const trace = i >= 0 ? process.argv[i + 1] : undefined;
  if (i >= 0 && !trace) {
    process.stderr.write('floor.mjs: --parse needs the file of a parse trace\n');
    process.exit(2);
  }
  const root = path.resolve(dir);
  const r = await floor(root);
  if (trace) Object.assign(r, await parseSources(root, tracedSources(fs.readFileSync(trace, 'utf8'))));
  if (process.argv.includes('--json')) process.stdout.write(JSON.stringify(r) + '\n');
  else {
    process.stdout.write(`${r.files} files; parsed ${r.dockerfile} Dockerfiles, ${r.compose} compose files, ${r.nginx} nginx confs (${r.errors} errors); list ${r.listMs} ms, parse ${r.parseMs} ms\n`);
    if (trace) process.stdout.write(`then ${r.python} Python files in ${r.pythonMs} ms and ${r.typescript} TypeScript/JavaScript files in ${r.typescriptMs} ms\n`);
  }
}
