#!/usr/bin/env node
// The executable (dist/cli.js; issue 9, cold start). It is small and CommonJS (dist/package.json
// says so), so that Node starts it without its ES module loader, and it loads nothing but what it
// needs: `--version` is answered here; anything else runs the command line (src/cli.ts: commander,
// the program, `rules` and `explain`), which scripts/build.mjs bundles as one CommonJS file, compiled
// here with a V8 code cache as the bundles of scan/fix/bulk/init are (src/codecache.ts).
import fs from 'node:fs';
import path from 'node:path';
import { isVersionOnly, writeVersion } from './cli/fastpath.js';
import { VERSION } from './generated/version.js';

/** Set by scripts/build.mjs: the bundle of the command line, relative to dist/cli.js. */
declare const SHIPSHAPE_CLI_BUNDLE: string | undefined;

if (!(isVersionOnly(process.argv.slice(2)) && writeVersion(VERSION, (text) => fs.writeSync(1, text)))) {
  if (typeof SHIPSHAPE_CLI_BUNDLE === 'undefined') void import('./cli.js');
  // Imported here, not above: `--version` does not load node:vm and the rest of what it needs.
  else void import('./codecache.js').then(({ runBundle }) => runBundle(path.join(__dirname, SHIPSHAPE_CLI_BUNDLE)));
}
