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
  logLevel: 'warning',
});
fs.chmodSync(`${outdir}/cli.js`, 0o755);
