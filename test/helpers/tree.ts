// Test helpers: read whole trees as bytes, copy trees, make temporary directories.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIXTURES = path.join(REPO, 'fixtures');
export const CLI = path.join(REPO, 'dist', 'cli.js');

/** Every file under dir (relative POSIX path → bytes), symlinks and .git excluded. */
export function readTree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.name === '.git') continue;
      if (e.isDirectory()) walk(r);
      else if (e.isFile()) out.set(r, fs.readFileSync(path.join(dir, r)));
    }
  };
  if (fs.existsSync(dir)) walk('');
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)));
}

export function treeAsText(tree: Map<string, Buffer>): Record<string, string> {
  return Object.fromEntries([...tree].map(([k, v]) => [k, v.toString('utf8')]));
}

export function tmpDir(prefix = 'shipshape-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function copyTree(from: string, to: string): void {
  fs.cpSync(from, to, { recursive: true, verbatimSymlinks: true });
}

export function writeTree(dir: string, files: Record<string, string | Buffer>): void {
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
  }
}

/** Fixture cases: fixtures/<area>/<name>/<case>/ with before/ and optional after/. */
export function fixtureCases(): { rule: string; name: string; dir: string }[] {
  const cases: { rule: string; name: string; dir: string }[] = [];
  for (const area of fs.readdirSync(FIXTURES, { withFileTypes: true })) {
    if (!area.isDirectory() || area.name === 'projects' || area.name.startsWith('_')) continue;
    for (const rule of fs.readdirSync(path.join(FIXTURES, area.name), { withFileTypes: true })) {
      if (!rule.isDirectory()) continue;
      for (const c of fs.readdirSync(path.join(FIXTURES, area.name, rule.name), { withFileTypes: true })) {
        if (!c.isDirectory()) continue;
        cases.push({ rule: `${area.name}/${rule.name}`, name: c.name, dir: path.join(FIXTURES, area.name, rule.name, c.name) });
      }
    }
  }
  return cases.sort((a, b) => (a.rule + a.name < b.rule + b.name ? -1 : 1));
}
