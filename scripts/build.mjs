// Bundles the CLI into dist/ with esbuild (issue 9, start-up):
// - dist/cli.js, the executable (src/bin.ts): a few KB of CommonJS (dist/package.json), so that Node
//   starts it without its ES module loader; it answers `--version` itself and loads the rest;
// - dist/commands/cli-<hash>.cjs, the command line (src/cli.ts: commander, the program, rules and
//   explain), and dist/commands/{scan,fix,bulk,init}-<hash>.cjs, one file per command, each loaded only
//   when needed and compiled with a V8 code cache (src/codecache.ts; the hash of its content is the
//   cache's key).
// The small dependencies (commander, yaml, dockerfile-ast, ignore, …) are bundled too: resolving and
// compiling hundreds of small module files was most of the start-up time. ts-morph (TypeScript) and
// web-tree-sitter stay in node_modules: they are large, loaded only when a repository has such files,
// and tree-sitter loads its wasm grammar from its package.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

// SHIPSHAPE_DIST=<dir> builds somewhere else (engineers measuring a change while others build dist/).
const outdir = process.env.SHIPSHAPE_DIST || 'dist';
fs.rmSync(outdir, { recursive: true, force: true });

// commander requires node:child_process at load time, for executable subcommands, which shipshape does
// not use; loading child_process (and net, which it loads) is a fair part of `--version`. Inside
// commander it is replaced by an object that loads the module the first time spawn is called.
const lazyChildProcess = {
  name: 'lazy-child-process-in-commander',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer) ? { path: 'lazy-child-process', namespace: 'shipshape-lazy' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'shipshape-lazy' }, () => ({
      contents: "module.exports = { spawn: (...args) => require('node:child_process').spawn(...args) };",
      loader: 'js',
    }));
  },
};

// scan, fix, bulk and init: one CommonJS file each, loaded by src/cli/load.ts with a V8 code cache
// (Node 20 has no compile cache for ES modules). The file name holds a hash of its content (the cache's key).
// Dynamic imports become require() (web-tree-sitter and ts-morph have CommonJS builds) and
// import.meta.url a parameter of the loader's wrapper.
const commonJsBundle = {
  outdir: `${outdir}/commands`,
  entryNames: '[name]-[hash]',
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: ['ts-morph', 'web-tree-sitter', 'tree-sitter-python'],
  supported: { 'dynamic-import': false },
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
};
// What identifies this build's rules for scan's result cache (src/engine/cache.ts): a hash of the
// sources and of the dependency versions. The same in every command bundle (scan and fix share the
// cache), different as soon as any source or locked dependency changes.
function buildId() {
  const h = createHash('sha256');
  const add = (file) => h.update(`${file}\0`).update(fs.readFileSync(file)).update('\0');
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else add(p);
    }
  };
  walk('src');
  walk('transforms');
  for (const f of ['package.json', 'package-lock.json']) if (fs.existsSync(f)) add(f);
  return h.digest('hex').slice(0, 24);
}

const commands = await build({
  ...commonJsBundle,
  entryPoints: { scan: 'src/cli/scan.ts', fix: 'src/cli/fix.ts', bulk: 'src/cli/bulk.ts', init: 'src/cli/init.ts' },
  define: { 'import.meta.url': '__shipshape_import_meta_url', SHIPSHAPE_BUILD_ID: JSON.stringify(buildId()) },
});
const bundles = {};
for (const [out, meta] of Object.entries(commands.metafile.outputs)) {
  if (meta.entryPoint) bundles[path.basename(meta.entryPoint, '.ts')] = `./${path.basename(out)}`;
}

// src/cli.ts imports ./cli/{scan,fix,bulk,init}.js only when running from the sources, and src/bin.ts
// imports ./cli.js only then.
const fromSourcesOnly = {
  name: 'from-sources-only',
  setup(b) {
    b.onResolve({ filter: /^\.\/cli\/(scan|fix|bulk|init)\.js$/ }, (args) => (args.importer.endsWith(`${path.sep}cli.ts`) ? { path: args.path, external: true } : undefined));
    b.onResolve({ filter: /^\.\/cli\.js$/ }, (args) => (args.importer.endsWith(`${path.sep}bin.ts`) ? { path: args.path, external: true } : undefined));
  },
};

// The command line (src/cli.ts: commander, the program, rules and explain): one CommonJS file beside
// the commands', loaded by src/bin.ts with a V8 code cache as they are.
const cli = await build({
  ...commonJsBundle,
  entryPoints: { cli: 'src/cli.ts' },
  define: { 'import.meta.url': '__shipshape_import_meta_url', SHIPSHAPE_COMMAND_BUNDLES: JSON.stringify(bundles) },
  plugins: [lazyChildProcess, fromSourcesOnly],
});
const cliBundle = `./${path.relative(outdir, Object.keys(cli.metafile.outputs).find((out) => out.endsWith('.cjs')))}`;

// dist/cli.js, the executable: src/bin.ts, CommonJS (dist/package.json), so that Node starts it
// without its ES module loader.
await build({
  entryPoints: { cli: 'src/bin.ts' },
  outdir,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  define: { SHIPSHAPE_CLI_BUNDLE: JSON.stringify(cliBundle) },
  plugins: [fromSourcesOnly],
  logLevel: 'warning',
});
fs.writeFileSync(`${outdir}/package.json`, '{\n  "type": "commonjs"\n}\n');
fs.chmodSync(`${outdir}/cli.js`, 0o755);
