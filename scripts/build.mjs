// Bundles the CLI into dist/ with esbuild: one entry file plus lazily loaded chunks, so that
// `shipshape --version` loads only what it needs. The small dependencies (commander, yaml,
// dockerfile-ast, ignore, …) are bundled too: resolving and compiling hundreds of small module
// files was most of the start-up time. ts-morph (TypeScript) and web-tree-sitter stay in
// node_modules: they are large, loaded only when a repository has such files, and tree-sitter
// loads its wasm grammar from its package.
import { build } from 'esbuild';
import fs from 'node:fs';

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
  sourcemap: true,
  chunkNames: 'chunks/[name]-[hash]',
  plugins: [lazyChildProcess],
  logLevel: 'warning',
});
fs.chmodSync(`${outdir}/cli.js`, 0o755);
