// A small, real POSIX shell-word tokenizer for CMD/ENTRYPOINT strings, compose `command:` strings and
// entrypoint scripts. It knows quoting (single, double, backslash), line continuations, comments,
// expansions ($VAR, ${…}, $(…), `…`), globs and the control/redirect operators, and it records where
// every token sits in the source so callers can splice. It does not evaluate anything; compound
// commands (if/for/case/functions/subshells) are recognised only so callers can refuse to rewrite them.

export type ShellOp =
  | '&&'
  | '||'
  | ';'
  | ';;'
  | '|'
  | '&'
  | '\n'
  | '('
  | ')';

export interface ShellWord {
  type: 'word';
  /** The word after quote removal and escape processing; expansions are kept as written ($PORT). */
  value: string;
  /** The word as written in the source. */
  raw: string;
  start: number;
  end: number;
  /** Contains a parameter expansion, command substitution or arithmetic ($X, ${X}, $(…), `…`, $((…))) outside single quotes, or a leading ~. */
  expands: boolean;
  /** Contains an unquoted glob character (* ? [) or brace expansion ({a,b}). */
  glob: boolean;
  /** Any part of it was quoted or escaped. */
  quoted: boolean;
}

export interface ShellOperator {
  type: 'op';
  op: ShellOp;
  start: number;
  end: number;
}

export interface ShellRedirect {
  type: 'redirect';
  /** The operator as written, with its file descriptor prefix when there is one (2>, >>, <<, &>). */
  op: string;
  start: number;
  end: number;
}

export interface ShellComment {
  type: 'comment';
  text: string;
  start: number;
  end: number;
}

export type ShellToken = ShellWord | ShellOperator | ShellRedirect | ShellComment;

export class ShellSyntaxError extends Error {
  constructor(message: string, public offset: number) {
    super(message);
  }
}

const OPERATORS: ShellOp[] = ['&&', '||', ';;', ';', '|', '&', '(', ')'];
/** Longest first, so that `>>` wins over `>`. */
const REDIRECTS = ['&>>', '<<<', '<<-', '&>', '<<', '>>', '>|', '>&', '<&', '<>', '>', '<'];
const GLOB = new Set(['*', '?', '[']);
/** Characters that end an unquoted word. */
const BREAK = new Set([' ', '\t', '\n', ';', '&', '|', '(', ')', '<', '>']);

/** Split shell source into words, operators, redirects and comments. Throws ShellSyntaxError on an unterminated quote or substitution. */
export function tokenize(src: string): ShellToken[] {
  const out: ShellToken[] = [];
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '\\' && src[i + 1] === '\n') {
      i += 2; // line continuation between words
      continue;
    }
    if (c === '\n') {
      out.push({ type: 'op', op: '\n', start: i, end: i + 1 });
      i++;
      continue;
    }
    if (c === '#') {
      const e = src.indexOf('\n', i);
      const end = e === -1 ? n : e;
      out.push({ type: 'comment', text: src.slice(i, end), start: i, end });
      i = end;
      continue;
    }
    const op = operatorAt(src, i);
    if (op) {
      out.push(op);
      i = op.end;
      continue;
    }
    // A word.
    const w = readWord(src, i);
    // An all-digit unquoted word directly followed by a redirect is that redirect's descriptor (2>&1).
    if (/^\d+$/.test(w.raw) && (src[w.end] === '>' || src[w.end] === '<')) {
      const r = REDIRECTS.find((x) => src.startsWith(x, w.end) && !x.startsWith('&'))!;
      out.push({ type: 'redirect', op: w.raw + r, start: w.start, end: w.end + r.length });
      i = w.end + r.length;
      continue;
    }
    out.push(w);
    i = w.end;
  }
  return out;
}

/** The operator or redirect at src[i], if any (`&&` before `&>` before `&`). */
function operatorAt(src: string, i: number): ShellOperator | ShellRedirect | undefined {
  if (src.startsWith('&&', i)) return { type: 'op', op: '&&', start: i, end: i + 2 };
  const red = REDIRECTS.find((r) => src.startsWith(r, i));
  if (red) return { type: 'redirect', op: red, start: i, end: i + red.length };
  const op = OPERATORS.find((o) => src.startsWith(o, i));
  if (op) return { type: 'op', op, start: i, end: i + op.length };
  return undefined;
}

function readWord(src: string, start: number): ShellWord {
  let i = start;
  let value = '';
  let expands = false;
  let glob = false;
  let quoted = false;
  const n = src.length;
  if (src[i] === '~') expands = true;
  while (i < n) {
    const c = src[i]!;
    if (BREAK.has(c)) break;
    if (c === '\\') {
      if (src[i + 1] === '\n') {
        i += 2;
        continue;
      }
      if (i + 1 >= n) {
        value += '\\';
        i++;
        continue;
      }
      quoted = true;
      value += src[i + 1];
      i += 2;
      continue;
    }
    if (c === "'") {
      const e = src.indexOf("'", i + 1);
      if (e === -1) throw new ShellSyntaxError('unterminated single quote', i);
      quoted = true;
      value += src.slice(i + 1, e);
      i = e + 1;
      continue;
    }
    if (c === '"') {
      quoted = true;
      i++;
      for (;;) {
        if (i >= n) throw new ShellSyntaxError('unterminated double quote', start);
        const d = src[i]!;
        if (d === '"') {
          i++;
          break;
        }
        if (d === '\\') {
          const nx = src[i + 1];
          if (nx === '\n') {
            i += 2;
          } else if (nx !== undefined && '$`"\\'.includes(nx)) {
            value += nx;
            i += 2;
          } else {
            value += '\\';
            i++;
          }
          continue;
        }
        if (d === '$' || d === '`') {
          const e = expansionEnd(src, i);
          if (e > i + 1 || d === '`') {
            expands = true;
            value += src.slice(i, e);
            i = e;
            continue;
          }
        }
        value += d;
        i++;
      }
      continue;
    }
    if (c === '$' || c === '`') {
      const e = expansionEnd(src, i);
      if (e > i + 1 || c === '`') {
        expands = true;
        value += src.slice(i, e);
        i = e;
        continue;
      }
    }
    if (GLOB.has(c)) glob = true;
    if (c === '{') {
      const close = src.indexOf('}', i);
      const inner = close === -1 ? '' : src.slice(i + 1, close);
      if (inner.includes(',') || inner.includes('..')) glob = true;
    }
    value += c;
    i++;
  }
  return { type: 'word', value, raw: src.slice(start, i), start, end: i, expands, glob, quoted };
}

/** End offset of the expansion that starts at src[i] ('$' or '`'); i + 1 when a lone '$'. */
function expansionEnd(src: string, i: number): number {
  const n = src.length;
  if (src[i] === '`') {
    for (let j = i + 1; j < n; j++) {
      if (src[j] === '\\') {
        j++;
        continue;
      }
      if (src[j] === '`') return j + 1;
    }
    throw new ShellSyntaxError('unterminated backquote', i);
  }
  const nx = src[i + 1];
  if (nx === '{') return balanced(src, i + 1, '{', '}');
  if (nx === '(') return balanced(src, i + 1, '(', ')');
  if (nx !== undefined && /[A-Za-z_]/.test(nx)) {
    let j = i + 1;
    while (j < n && /[A-Za-z0-9_]/.test(src[j]!)) j++;
    return j;
  }
  if (nx !== undefined && /[0-9@*#?$!-]/.test(nx)) return i + 2;
  return i + 1;
}

/** End of a bracketed construct starting at src[open], skipping quoted text inside. */
function balanced(src: string, open: number, o: string, c: string): number {
  let depth = 0;
  for (let j = open; j < src.length; j++) {
    const ch = src[j]!;
    if (ch === '\\') {
      j++;
      continue;
    }
    if (ch === "'" && o === '(') {
      const e = src.indexOf("'", j + 1);
      if (e === -1) break;
      j = e;
      continue;
    }
    if (ch === o) depth++;
    else if (ch === c) {
      depth--;
      if (depth === 0) return j + 1;
    }
  }
  throw new ShellSyntaxError(`unterminated ${o}`, open);
}

// ---- commands ----

export interface SimpleCommand {
  /** Leading NAME=value words. */
  assignments: ShellWord[];
  /** The command words (name and arguments). */
  words: ShellWord[];
  redirects: { op: ShellRedirect; target?: ShellWord }[];
  start: number;
  end: number;
}

export interface CommandListItem {
  /** One simple command; `pipeline` has more than one when commands are joined with `|`. */
  pipeline: SimpleCommand[];
  /** The separator that follows it (undefined for the last). */
  sep?: '&&' | '||' | ';' | '&' | '\n';
  start: number;
  end: number;
}

export interface CommandList {
  items: CommandListItem[];
  comments: ShellComment[];
  /** Compound syntax the list uses (if/for/while/case, functions, subshells, { …; }): callers should not rewrite it. */
  compound: boolean;
}

const RESERVED = new Set(['if', 'then', 'else', 'elif', 'fi', 'for', 'while', 'until', 'do', 'done', 'case', 'esac', 'in', 'function', '{', '}', '!', '[[', ']]', 'select']);
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/** Parse shell source into a flat list of (pipelines of) simple commands with their separators. */
export function parseCommandList(src: string): CommandList {
  const tokens = tokenize(src);
  const items: CommandListItem[] = [];
  const comments: ShellComment[] = [];
  let compound = false;
  let pipeline: SimpleCommand[] = [];
  let cur: SimpleCommand | undefined;
  const closeCommand = () => {
    if (cur) pipeline.push(cur);
    cur = undefined;
  };
  const closeItem = (sep?: CommandListItem['sep']) => {
    closeCommand();
    if (pipeline.length) {
      items.push({ pipeline, sep, start: pipeline[0]!.start, end: pipeline[pipeline.length - 1]!.end });
    } else if (sep && sep !== '\n' && items.length && !items[items.length - 1]!.sep) {
      items[items.length - 1]!.sep = sep;
    }
    pipeline = [];
  };
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (t.type === 'comment') {
      comments.push(t);
      continue;
    }
    if (t.type === 'op') {
      if (t.op === '|') {
        closeCommand();
        continue;
      }
      if (t.op === '(' || t.op === ')' || t.op === ';;') {
        compound = true;
        closeItem(';');
        continue;
      }
      // A newline right after && / || / | continues the list.
      if (t.op === '\n' && !cur && pipeline.length === 0 && items.length && (items[items.length - 1]!.sep === '&&' || items[items.length - 1]!.sep === '||')) continue;
      if (t.op === '\n' && !cur && pipeline.length > 0) continue; // `a |\n b`
      closeItem(t.op);
      continue;
    }
    if (t.type === 'redirect') {
      cur ??= { assignments: [], words: [], redirects: [], start: t.start, end: t.end };
      const next = tokens[k + 1];
      const target = next && next.type === 'word' ? next : undefined;
      if (target) k++;
      cur.redirects.push({ op: t, target });
      cur.end = (target ?? t).end;
      if (t.op.includes('<<') && t.op !== '<<<') compound = true; // heredocs: body handling is beyond this tokenizer
      continue;
    }
    // word
    if (!cur) {
      cur = { assignments: [], words: [], redirects: [], start: t.start, end: t.end };
      if (RESERVED.has(t.value) && !t.quoted) compound = true;
    }
    if (cur.words.length === 0 && ASSIGNMENT.test(t.raw)) cur.assignments.push(t);
    else {
      if (cur.words.length === 0 && RESERVED.has(t.value) && !t.quoted) compound = true;
      cur.words.push(t);
    }
    cur.end = t.end;
  }
  closeItem();
  return { items, comments, compound };
}

export type ShellFeature = 'expansion' | 'glob' | 'operator' | 'pipe' | 'redirect' | 'background' | 'compound' | 'assignment' | 'comment';

/** Which shell features a command string uses: none means it can run without a shell (exec form). */
export function shellFeatures(src: string): Set<ShellFeature> {
  const f = new Set<ShellFeature>();
  const list = parseCommandList(src);
  if (list.compound) f.add('compound');
  if (list.comments.length) f.add('comment');
  for (const it of list.items) {
    if (it.sep === '&') f.add('background');
    else if (it.sep && it.sep !== '\n') f.add('operator');
    else if (it.sep === '\n' && it !== list.items[list.items.length - 1]) f.add('operator');
    if (it.pipeline.length > 1) f.add('pipe');
    for (const c of it.pipeline) {
      if (c.assignments.length) f.add('assignment');
      if (c.redirects.length) f.add('redirect');
      for (const w of [...c.assignments, ...c.words]) {
        if (w.expands) f.add('expansion');
        if (w.glob) f.add('glob');
      }
    }
  }
  return f;
}

/** The words of a command string that needs no shell, or undefined when it uses shell features (or does not parse). */
export function plainWords(src: string): string[] | undefined {
  let list: CommandList;
  try {
    list = parseCommandList(src);
  } catch {
    return undefined;
  }
  if (list.compound || list.items.length !== 1 || list.comments.length) return undefined;
  const it = list.items[0]!;
  if (it.sep && it.sep !== '\n') return undefined;
  if (it.pipeline.length !== 1) return undefined;
  const c = it.pipeline[0]!;
  if (c.assignments.length || c.redirects.length) return undefined;
  if (c.words.some((w) => w.expands || w.glob)) return undefined;
  return c.words.map((w) => w.value);
}

/** Quote a word for a POSIX shell, only when it needs it (single quotes; ' as '\''). */
export function shellQuote(word: string): string {
  if (word === '') return "''";
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return "'" + word.replace(/'/g, `'\\''`) + "'";
}

/** Join words into a shell command line. */
export function shellJoin(words: readonly string[]): string {
  return words.map(shellQuote).join(' ');
}

/** Shell builtins and keywords that do not start a long-running program. */
export const SHELL_BUILTINS = new Set([
  ':', '.', 'source', 'true', 'false', 'echo', 'printf', 'set', 'unset', 'export', 'readonly', 'cd', 'pwd',
  'exit', 'return', 'trap', 'wait', 'shift', 'test', '[', 'read', 'umask', 'ulimit', 'alias', 'eval',
  'exec', 'local', 'declare', 'typeset', 'sleep', 'mkdir', 'chown', 'chmod', 'rm', 'cp', 'mv', 'ln', 'touch',
]);
