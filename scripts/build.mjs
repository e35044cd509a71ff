// Bundles the CLI into dist/ with esbuild: one entry file plus lazily loaded chunks, so that
// `shipshape --version` loads only what it needs. Dependencies stay in node_modules.
import { build } from 'esbuild';
import fs from 'node:fs';

fs.rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: { cli: 'src/cli.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  chunkNames: 'chunks/[name]-[hash]',
  logLevel: 'warning',
});
fs.chmodSync('dist/cli.js', 0o755);
