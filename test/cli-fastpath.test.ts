// The `--version` fast path of dist/cli.js (src/bin.ts, src/cli/fastpath.ts). What the built CLI
// prints for each shape, and that commander is not loaded for the fast ones: test/e2e.test.ts.
import { describe, expect, it } from 'vitest';
import { isVersionOnly, writeVersion } from '../src/cli/fastpath.js';

describe('isVersionOnly', () => {
  it('takes exactly `--version` or `-V`, alone', () => {
    expect(isVersionOnly(['--version'])).toBe(true);
    expect(isVersionOnly(['-V'])).toBe(true);
  });

  it('leaves every other shape to commander', () => {
    const others = [
      [],
      ['--version', 'extra'],
      ['extra', '--version'],
      ['-V', '--no-color'],
      ['--no-color', '-V'],
      ['-V', '-V'],
      ['rules', '-V'],
      ['rules', '--help'],
      ['scan', '--version'],
      ['--version=1'],
      ['--VERSION'],
      ['-v'],
      ['--vers'],
      ['-Vh'],
      ['-hV'],
      ['--help'],
      [' --version'],
      ['--version '],
      [''],
    ];
    for (const args of others) expect(isVersionOnly(args), JSON.stringify(args)).toBe(false);
  });
});

describe('writeVersion', () => {
  it('writes the version and a newline at once', () => {
    const writes: string[] = [];
    const rest: string[] = [];
    const ok = writeVersion('1.2.3', (t) => (writes.push(t), t.length), (t) => rest.push(t));
    expect(ok).toBe(true);
    expect(writes).toEqual(['1.2.3\n']);
    expect(rest).toEqual([]);
  });

  it('hands what a short write left to `rest`', () => {
    const rest: string[] = [];
    expect(writeVersion('1.2.3', () => 2, (t) => rest.push(t))).toBe(true);
    expect(rest).toEqual(['2.3\n']);
  });

  it('reports a write that failed (EPIPE, EAGAIN…) so that commander answers instead; nothing else is written', () => {
    for (const code of ['EPIPE', 'EAGAIN', 'EBADF', 'ENOSPC']) {
      const rest: string[] = [];
      const ok = writeVersion(
        '1.2.3',
        () => {
          throw Object.assign(new Error(code), { code });
        },
        (t) => rest.push(t),
      );
      expect(ok, code).toBe(false);
      expect(rest, code).toEqual([]);
    }
  });
});
