// SHIPSHAPE_TIMING=parses: the built CLI traces every parse a scan makes, one JSON line on stderr.
// The benchmark's parse floor (bench/floor.mjs --parse) parses exactly the traced Python and
// TypeScript files, so the trace must name real files, each once per parser: a scan parses each
// text once, whichever rules read it.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectNames, runCli, PROJECTS_DIR } from './helpers/cli.js';
// @ts-expect-error: a plain ES module of the benchmark, without type declarations
import { parseSources, tracedSources } from '../bench/floor.mjs';

interface Parse {
  parser: string;
  file: string;
}

function parsesOf(stderr: string): Parse[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('shipshape timing: parse '))
    .map((l) => JSON.parse(l.slice('shipshape timing: parse '.length)) as Parse);
}

describe('the parse trace of a scan', () => {
  for (const name of projectNames()) {
    it(`${name}: names each parsed file once per parser, and leaves the report unchanged`, async () => {
      const dir = path.join(PROJECTS_DIR, name);
      const env = { SHIPSHAPE_CACHE_DIR: 'off' };
      const plain = runCli(['scan', '--no-cache', '--format', 'json', dir], { env });
      const traced = runCli(['scan', '--no-cache', '--format', 'json', dir], { env: { ...env, SHIPSHAPE_TIMING: 'parses' } });
      expect(traced.code).toBe(plain.code);
      expect(traced.stdout).toBe(plain.stdout);
      const parses = parsesOf(traced.stderr);
      expect(parses.length).toBeGreaterThan(0);
      const keys = parses.map((p) => `${p.parser}\0${p.file}`);
      expect(new Set(keys).size).toBe(keys.length);
      for (const p of parses) expect(fs.statSync(path.join(dir, p.file)).isFile()).toBe(true);

      const sources = tracedSources(traced.stderr) as { python: string[]; typescript: string[] };
      expect(sources.python).toEqual(parses.filter((p) => p.parser === 'python').map((p) => p.file));
      expect(sources.typescript).toEqual(parses.filter((p) => p.parser.startsWith('typescript')).map((p) => p.file));
      for (const f of sources.python) expect(f).toMatch(/\.pyi?$/);
      for (const f of sources.typescript) expect(f).toMatch(/\.[cm]?[jt]sx?$/);
      // The parse floor parses them all with the same parsers.
      const r = (await parseSources(dir, sources)) as { python: number; typescript: number; parseErrors: number };
      expect(r).toMatchObject({ python: sources.python.length, typescript: sources.typescript.length, parseErrors: 0 });
    });
  }

  it('is not written without SHIPSHAPE_TIMING=parses', () => {
    const r = runCli(['scan', '--no-cache', '--format', 'json', path.join(PROJECTS_DIR, 'demo')], { env: { SHIPSHAPE_CACHE_DIR: 'off', SHIPSHAPE_TIMING: '1' } });
    expect(r.stderr).toContain('shipshape timing: detect ');
    expect(parsesOf(r.stderr)).toEqual([]);
  });
});
