// nginx configuration files: a comment-preserving tokenizer and parser of our own, following the
// lexer of nginx itself (src/core/ngx_conf_file.c, ngx_conf_read_token): words end at whitespace,
// ";" or "{" (so "}" can be part of a word, and "${var}" is one word), quoted strings must be
// followed by whitespace, ";", "{" or ")", "#" starts a comment only where a token may start.
// Every token keeps its [start, end) offsets, so transforms can splice text at exact places and
// leave every other byte (comments, blank lines, indentation) as it was.
import type { Parser, Workspace } from '../workspace.js';
import { FileError } from '../workspace.js';
import { lineOf, lineStarts } from '../text.js';
import { registerValidator } from './validate.js';

export type NginxTokenType = 'word' | 'string' | 'open' | 'close' | 'semi' | 'comment' | 'space';

export interface NginxToken {
  type: NginxTokenType;
  start: number;
  end: number;
  /** Words and strings: the value with nginx's escapes applied (\" \' \\ \t \r \n) and quotes removed. */
  value: string;
}

export interface NginxArg {
  /** The value nginx sees (quotes removed, escapes applied). */
  value: string;
  /** The text as written, quotes included. */
  raw: string;
  start: number;
  end: number;
  quote?: '"' | "'";
}

export interface NginxBlock {
  /** Offset of the "{". */
  open: number;
  /** Offset of the "}". */
  close: number;
  children: NginxDirective[];
}

export interface NginxDirective {
  name: string;
  args: NginxArg[];
  /** Offset of the directive's name. */
  start: number;
  nameEnd: number;
  /** Offset just past its ";" (simple directive) or its block's "}" (block directive). */
  end: number;
  /** Offset of the ";" or of the block's "{". */
  terminator: number;
  line: number;
  endLine: number;
  block?: NginxBlock;
  /** The enclosing block directive (undefined at the top level of the file). */
  parent?: NginxDirective;
}

export interface NginxConfig {
  file: string;
  text: string;
  tokens: NginxToken[];
  /** Top-level directives. */
  directives: NginxDirective[];
  comments: NginxToken[];
  /** Every `include` directive, in source order. */
  includes: NginxDirective[];
}

/** Directive names that, found as the first word of a line inside another directive's arguments, mean a ";" is missing. */
const COMMON_DIRECTIVES = new Set([
  'add_header', 'client_max_body_size', 'error_page', 'gzip', 'include', 'index', 'listen', 'location',
  'proxy_buffering', 'proxy_connect_timeout', 'proxy_http_version', 'proxy_pass', 'proxy_read_timeout',
  'proxy_send_timeout', 'proxy_set_header', 'return', 'rewrite', 'root', 'server', 'server_name',
  'try_files', 'upstream', 'access_log', 'error_log', 'alias', 'expires', 'limit_req', 'limit_conn',
  'ssl_certificate', 'ssl_certificate_key', 'keepalive_timeout', 'sendfile',
]);

const SPACE = new Set([' ', '\t', '\r', '\n']);

function unescape(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (ch === '\\' && i + 1 < raw.length) {
      const nx = raw[i + 1]!;
      if (nx === '"' || nx === "'" || nx === '\\') {
        out += nx;
        i++;
        continue;
      }
      if (nx === 't' || nx === 'r' || nx === 'n') {
        out += nx === 't' ? '\t' : nx === 'r' ? '\r' : '\n';
        i++;
        continue;
      }
    }
    out += ch;
  }
  return out;
}

/** Split text into tokens; throws FileError (with a line) on an unterminated string or a bad character after one. */
export function tokenizeNginx(text: string, file = 'nginx.conf'): NginxToken[] {
  const tokens: NginxToken[] = [];
  const starts = lineStarts(text);
  const fail = (msg: string, at: number): never => {
    throw new FileError(file, msg, lineOf(text, at, starts));
  };
  let i = 0;
  let needSpace = false;
  const n = text.length;
  while (i < n) {
    const ch = text[i]!;
    if (SPACE.has(ch)) {
      const s = i;
      while (i < n && SPACE.has(text[i]!)) i++;
      tokens.push({ type: 'space', start: s, end: i, value: text.slice(s, i) });
      needSpace = false;
      continue;
    }
    if (ch === ';' || ch === '{') {
      tokens.push({ type: ch === ';' ? 'semi' : 'open', start: i, end: i + 1, value: ch });
      i++;
      needSpace = false;
      continue;
    }
    if (needSpace) {
      if (ch === ')') {
        // nginx accepts `if ($a = "b")`: the ")" then starts a new word.
        needSpace = false;
      } else {
        fail(`unexpected "${ch}" after a quoted string (a space, ";" or "{" must follow it)`, i);
      }
    }
    if (ch === '}') {
      tokens.push({ type: 'close', start: i, end: i + 1, value: '}' });
      i++;
      continue;
    }
    if (ch === '#') {
      const s = i;
      while (i < n && text[i] !== '\n') i++;
      tokens.push({ type: 'comment', start: s, end: i, value: text.slice(s, i) });
      continue;
    }
    if (ch === '"' || ch === "'") {
      const s = i;
      i++;
      while (i < n && text[i] !== ch) {
        if (text[i] === '\\') i++;
        i++;
      }
      if (i >= n) fail(`unterminated quoted string (the ${ch} opened here is never closed)`, s);
      i++;
      tokens.push({ type: 'string', start: s, end: i, value: unescape(text.slice(s + 1, i - 1)) });
      needSpace = true;
      continue;
    }
    // A word: runs to whitespace, ";" or "{" ("${" inside a word belongs to a variable).
    const s = i;
    let variable = false;
    while (i < n) {
      const c = text[i]!;
      if (c === '{' && variable) {
        variable = false;
        i++;
        continue;
      }
      variable = false;
      if (c === '\\') {
        i += 2;
        continue;
      }
      if (c === '$') {
        variable = true;
        i++;
        continue;
      }
      if (SPACE.has(c) || c === ';' || c === '{') break;
      i++;
    }
    if (i > n) i = n;
    tokens.push({ type: 'word', start: s, end: i, value: unescape(text.slice(s, i)) });
  }
  return tokens;
}

/** Parse an nginx configuration file; throws FileError with a line number for malformed input. */
export function parseNginx(text: string, file = 'nginx.conf'): NginxConfig {
  const tokens = tokenizeNginx(text, file);
  const starts = lineStarts(text);
  const line = (off: number) => lineOf(text, off, starts);
  const fail = (msg: string, at: number): never => {
    throw new FileError(file, msg, line(at));
  };
  const top: NginxDirective[] = [];
  const comments: NginxToken[] = [];
  const includes: NginxDirective[] = [];
  const stack: NginxDirective[] = [];
  let cur: NginxDirective | undefined;
  const siblings = () => (stack.length ? stack[stack.length - 1]!.block!.children : top);

  for (const t of tokens) {
    switch (t.type) {
      case 'space':
        break;
      case 'comment':
        comments.push(t);
        break;
      case 'word':
      case 'string': {
        if (!cur) {
          cur = {
            name: t.value,
            args: [],
            start: t.start,
            nameEnd: t.end,
            end: t.end,
            terminator: -1,
            line: line(t.start),
            endLine: line(t.start),
            parent: stack[stack.length - 1],
          };
        } else {
          if (t.type === 'word' && COMMON_DIRECTIVES.has(t.value) && startsLine(text, t.start)) {
            const prev = cur.args.length ? cur.args[cur.args.length - 1]! : undefined;
            if (!prev || line(prev.end) < line(t.start)) {
              fail(`missing ";" after "${cur.name}" (line ${cur.line}): "${t.value}" starts a new directive`, cur.start);
            }
          }
          const raw = text.slice(t.start, t.end);
          const arg: NginxArg = { value: t.value, raw, start: t.start, end: t.end };
          if (t.type === 'string') arg.quote = raw[0] as '"' | "'";
          cur.args.push(arg);
        }
        break;
      }
      case 'semi': {
        if (!cur) fail('unexpected ";"', t.start);
        cur!.terminator = t.start;
        cur!.end = t.end;
        cur!.endLine = line(t.start);
        siblings().push(cur!);
        if (cur!.name === 'include') includes.push(cur!);
        cur = undefined;
        break;
      }
      case 'open': {
        if (!cur) fail('unexpected "{" (a block needs a directive name before it)', t.start);
        cur!.terminator = t.start;
        cur!.block = { open: t.start, close: -1, children: [] };
        siblings().push(cur!);
        stack.push(cur!);
        cur = undefined;
        break;
      }
      case 'close': {
        if (cur) fail(`unexpected "}": missing ";" after "${cur.name}" (line ${cur.line})`, t.start);
        const d = stack.pop();
        if (!d) fail('unexpected "}" (no block is open here)', t.start);
        d!.block!.close = t.start;
        d!.end = t.end;
        d!.endLine = line(t.start);
        break;
      }
    }
  }
  if (cur) fail(`unexpected end of file: missing ";" after "${cur.name}" (line ${cur.line})`, text.length);
  if (stack.length) {
    const d = stack[stack.length - 1]!;
    fail(`unexpected end of file: the "${d.name}" block opened on line ${d.line} is never closed with "}"`, text.length);
  }
  return { file, text, tokens, directives: top, comments, includes };
}

function startsLine(text: string, at: number): boolean {
  for (let i = at - 1; i >= 0; i--) {
    const c = text[i]!;
    if (c === '\n') return true;
    if (c !== ' ' && c !== '\t' && c !== '\r') return false;
  }
  return true;
}

export const nginxParser: Parser<NginxConfig> = {
  key: 'nginx',
  parse(text, file) {
    return parseNginx(text, file);
  },
};

/** The parsed configuration of a workspace file (cached per text version), or undefined when it does not parse. */
export function nginx(ws: Workspace, file: string): NginxConfig | undefined {
  return ws.parse(file, nginxParser);
}

registerValidator('nginx', (text, file) => {
  parseNginx(text, file);
});

// ---- navigation helpers ----

/** Every directive of the file, depth first in source order. */
export function allDirectives(cfg: NginxConfig | NginxDirective[]): NginxDirective[] {
  const out: NginxDirective[] = [];
  const visit = (list: NginxDirective[]) => {
    for (const d of list) {
      out.push(d);
      if (d.block) visit(d.block.children);
    }
  };
  visit(Array.isArray(cfg) ? cfg : cfg.directives);
  return out;
}

/** Direct children of a block directive (or top-level directives) with a name. */
export function childrenNamed(parent: NginxDirective | NginxConfig, name: string): NginxDirective[] {
  const list = 'block' in parent || 'name' in parent ? ((parent as NginxDirective).block?.children ?? []) : (parent as NginxConfig).directives;
  return list.filter((d) => d.name === name);
}

/** The enclosing block directives, innermost first. */
export function ancestors(d: NginxDirective): NginxDirective[] {
  const out: NginxDirective[] = [];
  for (let p = d.parent; p; p = p.parent) out.push(p);
  return out;
}

/** The arguments as nginx sees them, joined by single spaces (e.g. "~* ^/ws/"). */
export function argText(d: NginxDirective): string {
  return d.args.map((a) => a.value).join(' ');
}

/** The siblings list a directive belongs to. */
export function siblingsOf(cfg: NginxConfig, d: NginxDirective): NginxDirective[] {
  return d.parent ? d.parent.block!.children : cfg.directives;
}
