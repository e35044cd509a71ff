import { describe, expect, it } from 'vitest';
import { parseCommandList, plainWords, shellFeatures, shellJoin, shellQuote, tokenize, ShellSyntaxError, type ShellWord } from '../src/project/shell.js';

const words = (src: string) => tokenize(src).filter((t): t is ShellWord => t.type === 'word').map((w) => w.value);
const kinds = (src: string) => tokenize(src).map((t) => (t.type === 'word' ? `w:${t.value}` : t.type === 'op' ? `op:${t.op === '\n' ? '\\n' : t.op}` : t.type === 'redirect' ? `r:${t.op}` : `#`));

describe('tokenize', () => {
  it('splits plain words and keeps offsets', () => {
    const src = 'uvicorn app.main:app  --host 0.0.0.0';
    const toks = tokenize(src);
    expect(toks.map((t) => (t as ShellWord).value)).toEqual(['uvicorn', 'app.main:app', '--host', '0.0.0.0']);
    for (const t of toks) expect(src.slice(t.start, t.end)).toBe((t as ShellWord).raw);
  });

  it('removes quotes and processes escapes', () => {
    expect(words(`echo 'a b' "c d" e\\ f "x\\"y" 'it'\\''s' "\\q"`)).toEqual(['echo', 'a b', 'c d', 'e f', 'x"y', "it's", '\\q']);
  });

  it('marks quoted words and keeps raw text', () => {
    const [w] = tokenize(`"--bind=0.0.0.0:8000"`) as ShellWord[];
    expect(w!.quoted).toBe(true);
    expect(w!.raw).toBe(`"--bind=0.0.0.0:8000"`);
    expect(w!.value).toBe('--bind=0.0.0.0:8000');
  });

  it('recognises expansions outside single quotes only', () => {
    const t = tokenize(`a $PORT "\${PORT:-8000}" '$HOME' $(date) \`id\` ~/x $1 "$@" $ 5$`) as ShellWord[];
    expect(t.map((w) => [w.value, w.expands])).toEqual([
      ['a', false],
      ['$PORT', true],
      ['${PORT:-8000}', true],
      ['$HOME', false],
      ['$(date)', true],
      ['`id`', true],
      ['~/x', true],
      ['$1', true],
      ['$@', true],
      ['$', false],
      ['5$', false],
    ]);
  });

  it('keeps nested substitutions in one word', () => {
    expect(words('echo "$(cat "$f" | tr a b)" x')).toEqual(['echo', '$(cat "$f" | tr a b)', 'x']);
    expect(words('echo ${A:-${B}}-z')).toEqual(['echo', '${A:-${B}}-z']);
  });

  it('recognises globs only unquoted', () => {
    const t = tokenize(`ls *.py "*.txt" a?b [ab] {x,y} {} '[z]'`) as ShellWord[];
    expect(t.map((w) => w.glob)).toEqual([false, true, false, true, true, true, false, false]);
  });

  it('recognises operators and redirects', () => {
    expect(kinds('a && b || c; d | e & f')).toEqual(['w:a', 'op:&&', 'w:b', 'op:||', 'w:c', 'op:;', 'w:d', 'op:|', 'w:e', 'op:&', 'w:f']);
    expect(kinds('a >out 2>&1 <in >>log &>all')).toEqual(['w:a', 'r:>', 'w:out', 'r:2>&', 'w:1', 'r:<', 'w:in', 'r:>>', 'w:log', 'r:&>', 'w:all']);
    expect(kinds('a&&b')).toEqual(['w:a', 'op:&&', 'w:b']);
    expect(kinds('x=1;y')).toEqual(['w:x=1', 'op:;', 'w:y']);
  });

  it('treats # as a comment only at a word start', () => {
    expect(kinds('a#b # c d\ne')).toEqual(['w:a#b', '#', 'op:\\n', 'w:e']);
  });

  it('joins line continuations', () => {
    expect(words('gunicorn \\\n  app:app \\\n  -w 4')).toEqual(['gunicorn', 'app:app', '-w', '4']);
    expect(words('ab\\\ncd')).toEqual(['abcd']);
  });

  it('throws on unterminated quotes', () => {
    expect(() => tokenize(`echo "abc`)).toThrow(ShellSyntaxError);
    expect(() => tokenize(`echo 'abc`)).toThrow(ShellSyntaxError);
    expect(() => tokenize('echo $(abc')).toThrow(ShellSyntaxError);
  });
});

describe('parseCommandList', () => {
  it('splits a chain into commands with separators', () => {
    const l = parseCommandList('alembic upgrade head && gunicorn app:app -b 0.0.0.0:8000');
    expect(l.items.map((i) => [i.pipeline[0]!.words.map((w) => w.value), i.sep])).toEqual([
      [['alembic', 'upgrade', 'head'], '&&'],
      [['gunicorn', 'app:app', '-b', '0.0.0.0:8000'], undefined],
    ]);
    expect(l.compound).toBe(false);
  });

  it('reads scripts line by line, with comments and continuations', () => {
    const src = '#!/bin/sh\nset -e\n\n# migrate first\nalembic upgrade head\nexec "$@"\n';
    const l = parseCommandList(src);
    expect(l.items.map((i) => i.pipeline[0]!.words.map((w) => w.value).join(' '))).toEqual(['set -e', 'alembic upgrade head', 'exec $@']);
    expect(l.comments.map((c) => c.text)).toEqual(['#!/bin/sh', '# migrate first']);
    const last = l.items[2]!;
    expect(src.slice(last.start, last.end)).toBe('exec "$@"');
  });

  it('continues a list after a trailing && or |', () => {
    const l = parseCommandList('a &&\n  b |\n  c');
    expect(l.items.length).toBe(2);
    expect(l.items[1]!.pipeline.length).toBe(2);
  });

  it('separates assignments and redirects from words', () => {
    const l = parseCommandList('FOO=1 BAR="a b" node server.js > /tmp/log 2>&1');
    const c = l.items[0]!.pipeline[0]!;
    expect(c.assignments.map((w) => w.value)).toEqual(['FOO=1', 'BAR=a b']);
    expect(c.words.map((w) => w.value)).toEqual(['node', 'server.js']);
    expect(c.redirects.map((r) => [r.op.op, r.target?.value])).toEqual([['>', '/tmp/log'], ['2>&', '1']]);
  });

  it('flags compound commands', () => {
    expect(parseCommandList('if [ -f x ]; then a; fi').compound).toBe(true);
    expect(parseCommandList('(cd x && y)').compound).toBe(true);
    expect(parseCommandList('for i in 1 2; do echo $i; done').compound).toBe(true);
    expect(parseCommandList('cat <<EOF\nx\nEOF').compound).toBe(true);
    expect(parseCommandList('echo if').compound).toBe(false);
    expect(parseCommandList('echo "if"; "fi"').compound).toBe(false);
  });
});

describe('shellFeatures / plainWords', () => {
  it('plain commands need no shell', () => {
    expect([...shellFeatures('uvicorn app.main:app --host 0.0.0.0')]).toEqual([]);
    expect(plainWords('uvicorn app.main:app --host "0.0.0.0"')).toEqual(['uvicorn', 'app.main:app', '--host', '0.0.0.0']);
    expect(plainWords('exec node server.js')).toEqual(['exec', 'node', 'server.js']);
  });

  it('reports each feature', () => {
    expect([...shellFeatures('uvicorn x --port $PORT')]).toEqual(['expansion']);
    expect([...shellFeatures('a && b')]).toEqual(['operator']);
    expect([...shellFeatures('a | b')]).toEqual(['pipe']);
    expect([...shellFeatures('a > f')]).toEqual(['redirect']);
    expect([...shellFeatures('a &')]).toEqual(['background']);
    expect([...shellFeatures('rm *.pid')]).toEqual(['glob']);
    expect([...shellFeatures('X=1 a')]).toEqual(['assignment']);
    expect([...shellFeatures('a # note')]).toEqual(['comment']);
    expect([...shellFeatures('a\nb')]).toEqual(['operator']);
    expect([...shellFeatures('a\n')]).toEqual([]);
    for (const s of ['a $X', 'a && b', 'a | b', 'a > f', 'a &', 'rm *.pid', 'X=1 a', 'a # c', 'a\nb', '(a)', 'echo "x']) {
      expect(plainWords(s), s).toBeUndefined();
    }
  });
});

describe('quoting', () => {
  it('quotes only when needed and round-trips', () => {
    expect(shellQuote('app.main:app')).toBe('app.main:app');
    expect(shellQuote('--bind=0.0.0.0:80')).toBe('--bind=0.0.0.0:80');
    expect(shellQuote('a b')).toBe(`'a b'`);
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote('')).toBe(`''`);
    const ws = ['a b', "it's", '$HOME', '*', 'x"y', ''];
    expect(plainWords('cmd ' + shellJoin(ws))).toEqual(['cmd', ...ws]);
  });
});
