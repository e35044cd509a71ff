// Bundles the CLI into dist/ with esbuild: one entry file plus lazily loaded chunks, so that
// `shipshape --version` loads only what it needs. The small dependencies (commander, yaml,
// dockerfile-ast, ignore, …) are bundled too: resolving and compiling hundreds of small module
// files was most of the start-up time. ts-morph (TypeScript) and web-tree-sitter stay in
// node_modules: they are large, loaded only when a repository has such files, and tree-sitter
// loads its wasm grammar from its package.
import { build } from 'esbuild';
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

// scan, fix and bulk: one CommonJS file each, loaded by src/cli/load.ts with a V8 code cache (Node 20
// has no compile cache for ES modules). The file name holds a hash of its content (the cache's key).
// Dynamic imports become require() (web-tree-sitter and ts-morph have CommonJS builds) and
// import.meta.url a parameter of the loader's wrapper.
const commands = await build({
  entryPoints: { scan: 'src/cli/scan.ts', fix: 'src/cli/fix.ts', bulk: 'src/cli/bulk.ts' },
  outdir: `${outdir}/commands`,
  entryNames: '[name]-[hash]',
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: ['ts-morph', 'web-tree-sitter', 'tree-sitter-python'],
  supported: { 'dynamic-import': false },
  define: { 'import.meta.url': '__shipshape_import_meta_url' },
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
});
const bundles = {};
for (const [out, meta] of Object.entries(commands.metafile.outputs)) {
  if (meta.entryPoint) bundles[path.basename(meta.entryPoint, '.ts')] = `./${path.relative(outdir, out)}`;
}

// src/cli.ts imports ./cli/{scan,fix,bulk}.js only when running from the sources.
const commandsFromSources = {
  name: 'commands-from-sources',
  setup(b) {
    b.onResolve({ filter: /^\.\/cli\/(scan|fix|bulk)\.js$/ }, (args) => (args.importer.endsWith(`${path.sep}cli.ts`) ? { path: args.path, external: true } : undefined));
  },
};

await build({
  entryPoints: { cli: 'src/cli.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['ts-morph', 'web-tree-sitter', 'tree-sitter-python'],
  // Bundled CommonJS dependencies call require() for Node's built-ins.
  banner: { js: "import { createRequire as __shipshapeCreateRequire } from 'node:module';\nconst require = __shipshapeCreateRequire(import.meta.url);" },
  define: { SHIPSHAPE_COMMAND_BUNDLES: JSON.stringify(bundles) },
  sourcemap: true,
  chunkNames: 'chunks/[name]-[hash]',
  plugins: [lazyChildProcess, commandsFromSources],
  logLevel: 'warning',
});
fs.chmodSync(`${outdir}/cli.js`, 0o755);
