// The start-up shortcuts of the command line: the `--version` fast path of dist/cli.js (src/bin.ts,
// src/cli/fastpath.ts) and the direct writes of `rules`/`explain` to file descriptor 1
// (src/cli/stdout.ts). What the built CLI prints for each shape, that commander is not loaded for the
// fast ones, a reader that goes away and a terminal: test/e2e.test.ts.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isVersionOnly, writeVersion } from '../src/cli/fastpath.js';
import { directWriter, stdoutIsTTY } from '../src/cli/stdout.js';

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

describe('directWriter', () => {
  const setup = (write: (b: Uint8Array, off: number, len: number) => number) => {
    const chunks: Buffer[] = [];
    const streamed: string[] = [];
    const out = directWriter(
      (b, off, len) => {
        const n = write(b, off, len);
        chunks.push(Buffer.from(b.subarray(off, off + n)));
        return n;
      },
      () => ({ write: (b: Uint8Array) => streamed.push(Buffer.from(b).toString('utf8')) }),
    );
    // Each chunk is what one direct write wrote (decoded alone: only for ASCII); `all` their bytes.
    return { out, direct: () => chunks.map(String), all: () => Buffer.concat(chunks).toString('utf8'), count: () => chunks.length, streamed };
  };

  it('writes every byte directly, over as many writes as it takes (UTF-8 split anywhere)', () => {
    const { out, all, count, streamed } = setup((_b, _off, len) => Math.min(len, 3));
    out('a — b\n');
    out('c\n');
    expect(all()).toBe('a — b\nc\n');
    expect(count()).toBe(4); // 8 bytes in 3 writes (the dash is 3 bytes), then 2 bytes
    expect(streamed).toEqual([]);
  });

  it('after a failed write, what is left and everything after it go to the stream, in order', () => {
    for (const code of ['EAGAIN', 'EPIPE', 'EBADF']) {
      let calls = 0;
      const { out, direct, streamed } = setup((_b, _off, len) => {
        if (++calls === 2) throw Object.assign(new Error(code), { code });
        return Math.min(len, 4);
      });
      out('ID  TITLE\n');
      out('next\n');
      expect(direct(), code).toEqual(['ID  ']);
      expect(streamed, code).toEqual(['TITLE\n', 'next\n']);
      expect(calls, code).toBe(2);
    }
  });

  it('a write that writes nothing hands the rest to the stream instead of looping', () => {
    const { out, direct, streamed } = setup(() => 0);
    out('x\n');
    expect(direct()).toEqual(['']);
    expect(streamed).toEqual(['x\n']);
  });
});

describe('stdoutIsTTY', () => {
  const stats = (file: string) => () => fs.statSync(file);

  it('is false for a file, a pipe or a closed descriptor, without asking further', () => {
    expect(stdoutIsTTY(stats(import.meta.filename))).toBe(false);
    expect(stdoutIsTTY(stats('/tmp'))).toBe(false);
    expect(
      stdoutIsTTY(() => {
        throw Object.assign(new Error('EBADF'), { code: 'EBADF' });
      }),
    ).toBe(false);
  });
});
