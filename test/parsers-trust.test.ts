// The parsers on hostile and on ordinary input: clear errors with lines for the first, and no
// false alarms for the second (brackets in strings and scalars, real Python code).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePython } from '../src/parsers/python.js';
import { parseYaml } from '../src/parsers/yaml.js';
import { FileError } from '../src/workspace.js';

function yamlError(text: string): { line?: number; message: string } | undefined {
  try {
    parseYaml(text, 'compose.yml');
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(FileError);
    return { line: (e as FileError).line, message: (e as Error).message };
  }
}

async function pyError(text: string): Promise<{ line?: number; message: string } | undefined> {
  try {
    await parsePython(text, 'app.py');
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(FileError);
    return { line: (e as FileError).line, message: (e as Error).message };
  }
}

describe('YAML errors', () => {
  it('duplicate keys name the key and both lines, in block and flow maps', () => {
    expect(yamlError('services:\n  web:\n    image: a\n  web:\n    image: b\n')).toEqual({ line: 4, message: 'duplicate key "web" (first defined on line 2)' });
    expect(yamlError('x: {a: 1, b: 2, a: 3}\n')).toEqual({ line: 1, message: 'duplicate key "a" (first defined on line 1)' });
    expect(yamlError('"a": 1\na: 2\n')).toEqual({ line: 2, message: 'duplicate key "a" (first defined on line 1)' });
  });

  it('syntax errors carry a line, also at the end of the file', () => {
    expect(yamlError('a: 1\nb: "open\n')).toEqual({ line: 2, message: 'invalid YAML: Missing closing "quote' });
    expect(yamlError('a: 1\n---\nb: 2\n')).toEqual({ line: 2, message: 'several YAML documents (---) in one file; expected one' });
  });

  it('refuses deep nesting and alias bombs with one clear line, quickly', () => {
    const t = Date.now();
    expect(yamlError('x: ' + '['.repeat(500_000) + ']'.repeat(500_000) + '\n')).toEqual({ line: 1, message: 'YAML nested more than 64 levels deep' });
    expect(yamlError('a:\n  b: ' + '{k: '.repeat(80) + '1' + '}'.repeat(80) + '\n')).toEqual({ line: 2, message: 'YAML nested more than 64 levels deep' });
    const lol = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++) lol.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill('*' + String.fromCharCode(96 + i)).join(', ')}]`);
    expect(yamlError(lol.join('\n') + '\n')).toEqual({ line: 2, message: 'YAML aliases expand to too many nodes (an alias bomb, "billion laughs"); not read' });
    expect(Date.now() - t).toBeLessThan(10_000);
  });

  it('brackets in plain and quoted scalars, block scalars and comments are not nesting', () => {
    const many = '['.repeat(100);
    const ok = [
      `command: echo ${many}\n`,
      `command: "${many}"\n`,
      `command: '${many}'\n`,
      `# ${many}\nx: 1\n`,
      `script: |\n  echo "${many}"\n`,
      `list: ["${many}", '${many}']\n`,
      `x: ${'['.repeat(60)}1${']'.repeat(60)}\n`,
    ];
    for (const t of ok) expect(yamlError(t), t).toBeUndefined();
  });
});

describe('Python errors', () => {
  it('say what is wrong, with the line', async () => {
    expect(await pyError('import os\n\ndef main(:\n    pass\n')).toEqual({ line: 3, message: 'Python syntax error: missing ")"' });
    expect(await pyError('x = 1\nif x\n    pass\n')).toEqual({ line: 2, message: 'Python syntax error: invalid syntax near "if x"' });
    expect(await pyError('a = "open\n')).toEqual({ line: 1, message: 'Python syntax error: unterminated string' });
  });

  it('catch the indentation errors tree-sitter recovers from silently', async () => {
    expect(await pyError('x = 1\n    y = 2\n')).toEqual({ line: 2, message: 'Python syntax error: unexpected indent' });
    expect(await pyError('def f():\nreturn 1\n')).toEqual({ line: 1, message: 'Python syntax error: expected an indented block' });
    expect(await pyError('def f():\n    # nothing yet\n')).toEqual({ line: 1, message: 'Python syntax error: expected an indented block' });
    expect(await pyError('if x:\n        a = 1\n    b = 2\n')).toEqual({ line: 3, message: 'Python syntax error: unexpected indent' });
  });

  it('accept valid code: one-line bodies, semicolons, comments at any column, continuation lines', async () => {
    const ok = [
      'if x: y = 1\nz = 2\n',
      'a = 1; b = 2\n',
      'def f():\n# a comment at column 0\n    return 1\n',
      'x = [\n  1,\n      2,\n]\ny = (1 +\n     2)\n',
      'class A:\n    """Doc."""\n\n    @property\n    def f(self): return 1\n',
      'def f():\n\tif x:\n\t\treturn 1\n\treturn 2\n',
    ];
    for (const t of ok) expect(await pyError(t), t).toBeUndefined();
  });

  it('accept the Python standard library (no false alarms on real code)', async (ctx) => {
    const lib = ['/usr/lib/python3.13', '/usr/lib/python3.12', '/usr/lib/python3.11'].find((d) => fs.existsSync(d));
    if (!lib) {
      console.log('stdlib corpus check skipped: no /usr/lib/python3.1x here (apt-get install python3)');
      ctx.skip();
      return;
    }
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        if (files.length >= 300) return;
        const p = path.join(d, e.name);
        if (e.isDirectory() && !['test', 'tests', 'lib2to3', 'site-packages', 'dist-packages'].includes(e.name)) walk(p);
        else if (e.isFile() && e.name.endsWith('.py')) files.push(p);
      }
    };
    walk(lib);
    const bad: string[] = [];
    for (const f of files) {
      const e = await pyError(fs.readFileSync(f, 'utf8'));
      if (e) bad.push(`${f}:${e.line}: ${e.message}`);
    }
    expect(files.length).toBeGreaterThan(100);
    expect(bad).toEqual([]);
  });
});
