// `init`: the starter .shipshape.yml, written from the rules' metadata generated at build time (no rule
// module is loaded). Its own bundle in a build (src/cli/load.ts): the configuration code and its YAML
// library are not loaded by the other commands of the command line's bundle.
import fs from 'node:fs';
import path from 'node:path';
import { CONFIG_FILE, starterConfig } from '../config.js';
import { ruleMeta } from '../generated/meta.js';

export async function runInit(root: string): Promise<number> {
  const file = path.join(root, CONFIG_FILE);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) {
    process.stderr.write(`shipshape: ${root}: not a directory\n`);
    return 2;
  }
  if (fs.existsSync(file)) {
    process.stderr.write(`shipshape: ${file} exists; not overwritten\n`);
    return 2;
  }
  fs.writeFileSync(file, starterConfig(ruleMeta), { flag: 'wx' });
  process.stdout.write(`wrote ${file}\n`);
  return 0;
}
