// Dockerfile edit helpers: a small shell scanner for RUN instructions (words and operators with
// their file offsets, so a transform can remove or replace one package name), COPY/ADD argument
// parsing, the comment block that belongs to an instruction, line insertion, and merging a rule's
// edits into one splice so that fixes of different rules compose (overlapping fixes are deferred by
// the engine and recomputed on the new text instead of being interleaved).
import type { ModifyEdit } from '../types.js';
import type { DInstruction, DockerfileModel, DStage } from '../parsers/dockerfile.js';
import { applyEdits } from '../engine/edits.js';
import { lineEndAfter, lineStartAt } from '../text.js';

// ---------------------------------------------------------------------------------------------
// RUN: shell tokens and commands

export interface ShToken {
  kind: 'word' | 'op';
  /** Words: the value with quotes and escapes removed. Ops: `&&`, `||`, `|`, `;`, `&`, `(`, `)`,
   *  `\n` (a newline that ends a command in a heredoc script), `>` (a redirection to the next word),
   *  `>&` (a redirection to a file descriptor, `2>&1`, complete in itself), `<<` (heredoc). */
  value: string;
  /** File offsets of the token as written. */
  start: number;
  end: number;
}

export interface ShCommand {
  /** Words of one simple command, redirections and their targets left out. */
  words: ShToken[];
  start: number;
  end: number;
}

export interface RunScript {
  tokens: ShToken[];
  commands: ShCommand[];
  /** The script is a heredoc body (`RUN <<EOF`). */
  heredoc: boolean;
  /** Docker flags before the command (`--mount=…`, `--network=…`). */
  flags: ShToken[];
}

const OPS = ['&&', '||', ';;', '|', ';', '&', '(', ')'];

/**
 * Tokenise [from, to) of text as the shell (POSIX sh) would, after Docker's own processing of
 * line continuations (`escape` + newline) and comment lines inside them. With newlineSeparates,
 * newlines end commands (heredoc scripts); otherwise a heredoc operator stops the scan at the end
 * of its line (what follows is the heredoc body, not shell).
 */
export function scanShell(
  text: string,
  from: number,
  to: number,
  opts: { escape?: string; newlineSeparates?: boolean } = {},
): ShToken[] {
  const esc = opts.escape ?? '\\';
  const nlSep = Boolean(opts.newlineSeparates);
  const tokens: ShToken[] = [];
  let i = from;
  let word: { start: number; value: string } | null = null;
  let stopAtEol = false;
  const endWord = (end: number) => {
    if (word) tokens.push({ kind: 'word', value: word.value, start: word.start, end });
    word = null;
  };
  /** At a line continuation (escape, optional blanks, newline): the offset after it, else -1. */
  const continuation = (p: number): number => {
    if (text[p] !== esc) return -1;
    let q = p + 1;
    while (q < to && (text[q] === ' ' || text[q] === '\t')) q++;
    if (q < to && text[q] === '\n') return q + 1;
    if (q >= to && q === text.length) return q;
    return -1;
  };
  /** Skip the comment and empty lines Docker drops inside a continued instruction. */
  const skipContinuedComments = (p: number): number => {
    if (nlSep) return p;
    for (;;) {
      const m = /^[ \t]*(#[^\n]*)?\n/.exec(text.slice(p, Math.min(to, p + 10000)));
      if (!m || p + m[0].length > to) return p;
      if (!m[1] && !/^[ \t]*\n/.test(m[0])) return p;
      p += m[0].length;
    }
  };
  while (i < to) {
    const c = text[i]!;
    const cont = continuation(i);
    if (cont !== -1) {
      i = skipContinuedComments(cont);
      // A continuation joins lines: a word goes on only when nothing separated it.
      continue;
    }
    if (c === '\n') {
      endWord(i);
      if (stopAtEol) break;
      if (nlSep) tokens.push({ kind: 'op', value: '\n', start: i, end: i + 1 });
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      endWord(i);
      i++;
      continue;
    }
    if (c === '#' && !word) {
      while (i < to && text[i] !== '\n') i++;
      continue;
    }
    if (c === "'" || c === '"') {
      if (!word) word = { start: i, value: '' };
      const q = c;
      i++;
      while (i < to && text[i] !== q) {
        const cc = continuation(i);
        if (cc !== -1) {
          i = cc;
          continue;
        }
        if (q === '"' && text[i] === '\\' && i + 1 < to && '"\\$`'.includes(text[i + 1]!)) {
          word.value += text[i + 1];
          i += 2;
          continue;
        }
        word.value += text[i];
        i++;
      }
      i++; // closing quote
      continue;
    }
    if (c === '\\' && esc === '\\' && i + 1 < to) {
      if (!word) word = { start: i, value: '' };
      word.value += text[i + 1];
      i += 2;
      continue;
    }
    if (c === '<' && text[i + 1] === '<' && text[i + 2] !== '<') {
      endWord(i);
      let j = i + 2;
      if (text[j] === '-') j++;
      const m = /^(['"]?)([A-Za-z0-9_.-]+)\1/.exec(text.slice(j, to));
      const e = m ? j + m[0].length : j;
      tokens.push({ kind: 'op', value: '<<', start: i, end: e });
      i = e;
      if (!nlSep) stopAtEol = true;
      continue;
    }
    if (c === '>' || c === '<') {
      // A redirection; a word of digits right before it (2>) is its file descriptor.
      let start = i;
      const w = word as { start: number; value: string } | null;
      if (w && /^\d+$/.test(w.value) && w.start + w.value.length === i) {
        start = w.start;
        word = null;
      } else endWord(i);
      let j = i + 1;
      if (text[j] === '>') j++;
      // `>&1`, `<&-`: the target file descriptor is part of the operator.
      const dup = text[j] === '&' && /[0-9-]/.test(text[j + 1] ?? '');
      if (dup) {
        j++;
        while (j < to && /[0-9-]/.test(text[j]!)) j++;
      } else if (text[j] === '&') j++;
      tokens.push({ kind: 'op', value: dup ? '>&' : '>', start, end: j });
      i = j;
      continue;
    }
    const op = OPS.find((o) => text.startsWith(o, i));
    if (op && !(op === '&' && text[i + 1] === '>')) {
      endWord(i);
      tokens.push({ kind: 'op', value: op, start: i, end: i + op.length });
      i += op.length;
      continue;
    }
    if (!word) word = { start: i, value: '' };
    word.value += c;
    i++;
  }
  endWord(Math.min(i, to));
  return tokens;
}

/** Split tokens into simple commands (redirections and their targets dropped). */
export function commandsOf(tokens: ShToken[]): ShCommand[] {
  const out: ShCommand[] = [];
  let cur: ShToken[] = [];
  let skipNext = false;
  const flush = () => {
    if (cur.length) out.push({ words: cur, start: cur[0]!.start, end: cur[cur.length - 1]!.end });
    cur = [];
  };
  for (const t of tokens) {
    if (t.kind === 'op') {
      if (t.value === '>' || t.value === '>&' || t.value === '<<') {
        skipNext = t.value === '>';
        continue;
      }
      flush();
      continue;
    }
    if (skipNext) {
      skipNext = false;
      continue;
    }
    cur.push(t);
  }
  flush();
  return out;
}

/** Offset just past an instruction's keyword. */
export function argsStart(ins: DInstruction): number {
  return ins.start + ins.keyword.length;
}

/**
 * The shell script of a RUN instruction, or undefined for the exec (JSON) form. `RUN <<EOF` runs
 * the heredoc body as a script; for other heredocs only the command line itself is scanned.
 */
/** runScript's answers per instruction of a model (every Dockerfile rule reads the RUNs, some several times). */
const scripts = new WeakMap<DInstruction, { m: DockerfileModel; s: RunScript | undefined }>();

export function runScript(m: DockerfileModel, ins: DInstruction): RunScript | undefined {
  if (ins.keyword !== 'RUN' || ins.json) return undefined;
  const hit = scripts.get(ins);
  if (hit && hit.m === m) return hit.s;
  const s = scanRun(m, ins);
  scripts.set(ins, { m, s });
  return s;
}

function scanRun(m: DockerfileModel, ins: DInstruction): RunScript | undefined {
  const text = m.text;
  const first = scanShell(text, argsStart(ins), ins.end, { escape: m.escape });
  const flags: ShToken[] = [];
  let k = 0;
  while (k < first.length && first[k]!.kind === 'word' && first[k]!.value.startsWith('--')) flags.push(first[k++]!);
  const rest = first.slice(k);
  const h = rest[0];
  if (h && h.kind === 'op' && h.value === '<<' && rest.length === 1) {
    // RUN <<EOF: the body, up to the delimiter line, is the script.
    const bodyStart = lineEndAfter(text, h.end);
    const delim = /^<<-?(['"]?)([A-Za-z0-9_.-]+)\1/.exec(text.slice(h.start, h.end))?.[2] ?? '';
    let bodyEnd = ins.end;
    for (let p = bodyStart; p < ins.end; p = lineEndAfter(text, p)) {
      const le = text.indexOf('\n', p);
      const line = text.slice(p, le === -1 || le > ins.end ? ins.end : le);
      if (line.trim() === delim) {
        bodyEnd = p;
        break;
      }
    }
    const tokens = scanShell(text, bodyStart, bodyEnd, { escape: '\\', newlineSeparates: true });
    return { tokens, commands: commandsOf(tokens), heredoc: true, flags };
  }
  return { tokens: rest, commands: commandsOf(rest), heredoc: false, flags };
}

/** Index of the command word: after `VAR=value` assignments and `sudo`/`env`. */
export function commandIndex(words: ShToken[]): number {
  let i = 0;
  while (i < words.length) {
    const v = words[i]!.value;
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(v) || v === 'sudo' || v === 'env' || v === 'exec' || v === 'command') i++;
    else break;
  }
  return i;
}

// ---------------------------------------------------------------------------------------------
// COPY / ADD

export interface CopyFlag {
  name: string;
  value: string | null;
  start: number;
  end: number;
}

export interface CopyArgs {
  flags: CopyFlag[];
  /** Sources as written (JSON form unquoted); heredoc sources are `<<NAME`. */
  sources: string[];
  dest: string;
  /** Offset where the first non-flag argument starts (where new flags go). */
  argsStart: number;
  json: boolean;
  /** Offsets of the destination as written (shell form). */
  destStart: number;
  destEnd: number;
}

/** Flags, sources and destination of a COPY or ADD instruction. */
export function copyArgs(m: DockerfileModel, ins: DInstruction): CopyArgs | undefined {
  if (ins.keyword !== 'COPY' && ins.keyword !== 'ADD') return undefined;
  // Only the first line matters for heredoc sources; the bodies follow.
  const tokens = scanShell(m.text, argsStart(ins), ins.end, { escape: m.escape }).filter(
    (t) => t.kind === 'word' || t.value === '<<',
  );
  const flags: CopyFlag[] = [];
  let k = 0;
  while (k < tokens.length && tokens[k]!.kind === 'word' && tokens[k]!.value.startsWith('--')) {
    const t = tokens[k++]!;
    const eq = t.value.indexOf('=');
    flags.push({ name: eq === -1 ? t.value.slice(2) : t.value.slice(2, eq), value: eq === -1 ? null : t.value.slice(eq + 1), start: t.start, end: t.end });
  }
  const rest = tokens.slice(k);
  if (rest.length === 0) return undefined;
  const start = rest[0]!.start;
  const after = m.text.slice(start, ins.end);
  if (after.startsWith('[')) {
    try {
      const v = JSON.parse(after.split('\n')[0]!.trim()) as unknown;
      if (Array.isArray(v) && v.length >= 2 && v.every((x) => typeof x === 'string')) {
        const arr = v as string[];
        return { flags, sources: arr.slice(0, -1), dest: arr[arr.length - 1]!, argsStart: start, json: true, destStart: -1, destEnd: -1 };
      }
    } catch {
      /* not JSON after all */
    }
  }
  const words = rest.map((t) => (t.kind === 'op' ? { ...t, value: `<<${m.text.slice(t.start + 2, t.end).replace(/^-/, '').replace(/['"]/g, '')}` } : t));
  if (words.length < 2) return undefined;
  const d = words[words.length - 1]!;
  return { flags, sources: words.slice(0, -1).map((w) => w.value), dest: d.value, argsStart: start, json: false, destStart: d.start, destEnd: d.end };
}

export function flagOf(c: CopyArgs, name: string): CopyFlag | undefined {
  return c.flags.find((f) => f.name === name);
}

// ---------------------------------------------------------------------------------------------
// Lines, comments, insertion

/** Offset of the start of the instruction's line. */
export function lineStartOf(m: DockerfileModel, ins: DInstruction): number {
  return lineStartAt(m.text, ins.start);
}

/** Offset just past the instruction's last line (after its newline, or the end of the text). */
export function lineEndOf(m: DockerfileModel, ins: DInstruction): number {
  return lineEndAfter(m.text, ins.end);
}

/** Parser directives (`# syntax=`, `# escape=`, `# check=`) at the top of the file: the offset after them. */
export function directivesEnd(text: string): number {
  let p = 0;
  for (;;) {
    const m = /^#[ \t]*([A-Za-z]+)[ \t]*=[^\n]*(?:\n|$)/.exec(text.slice(p));
    if (!m || !['syntax', 'escape', 'check'].includes(m[1]!.toLowerCase())) return p;
    p += m[0].length;
  }
}

/**
 * Start of the comment lines directly above an instruction (no blank line between), which belong
 * to it and travel with it. Parser directives never belong to an instruction.
 */
export function leadingCommentStart(m: DockerfileModel, ins: DInstruction): number {
  const text = m.text;
  const prev = m.instructions.filter((x) => x.end <= ins.start).pop();
  const floor = Math.max(directivesEnd(text), prev ? lineEndAfter(text, prev.end) : 0);
  let s = lineStartOf(m, ins);
  while (s > floor) {
    const prevStart = lineStartAt(text, s - 1);
    if (prevStart < floor || !/^[ \t]*#/.test(text.slice(prevStart, s - 1))) break;
    s = prevStart;
  }
  return s;
}

/** The whole block of an instruction: its leading comment lines through the end of its last line. */
export function blockOf(m: DockerfileModel, ins: DInstruction): { start: number; end: number } {
  return { start: leadingCommentStart(m, ins), end: lineEndOf(m, ins) };
}

/** Whether the line starting at offset is blank (or the text ends there). */
export function blankLineAt(text: string, offset: number): boolean {
  if (offset >= text.length) return false;
  const e = text.indexOf('\n', offset);
  return text.slice(offset, e === -1 ? text.length : e).trim() === '';
}

/** Text to insert at a line start so that `lines` come out as whole lines. */
export function asLines(lines: string[]): string {
  return lines.map((l) => l + '\n').join('');
}

/** Insert whole lines after an instruction (after its last line; a missing final newline is added). */
export function insertAfter(m: DockerfileModel, ins: DInstruction, lines: string[], file: string): ModifyEdit {
  const end = lineEndOf(m, ins);
  const needNl = end === m.text.length && !m.text.endsWith('\n');
  return { file, start: end, end, text: (needNl ? '\n' : '') + asLines(lines) };
}

/** Insert whole lines before an instruction (and before the comment lines that belong to it). */
export function insertBefore(m: DockerfileModel, ins: DInstruction, lines: string[], file: string, withComments = true): ModifyEdit {
  const at = withComments ? leadingCommentStart(m, ins) : lineStartOf(m, ins);
  return { file, start: at, end: at, text: asLines(lines) };
}

/** The keyword as the file writes it (upper or lower case), for generated instructions. */
export function keywordStyle(m: DockerfileModel): (kw: string) => string {
  let lower = 0;
  let upper = 0;
  for (const ins of m.instructions) {
    const w = m.text.slice(ins.start, ins.start + ins.keyword.length);
    if (w === w.toLowerCase()) lower++;
    else if (w === w.toUpperCase()) upper++;
  }
  return lower > upper ? (kw) => kw.toLowerCase() : (kw) => kw.toUpperCase();
}

/** The continuation indentation the file uses inside RUN instructions (default four spaces). */
export function continuationIndent(m: DockerfileModel): string {
  for (const ins of m.instructions) {
    if (ins.endLine === ins.line) continue;
    const second = m.text.slice(lineEndAfter(m.text, ins.start), ins.end);
    const ind = /^[ \t]+/.exec(second);
    if (ind && !/^\s*#/.test(second)) return ind[0];
  }
  return '    ';
}

// ---------------------------------------------------------------------------------------------
// Removing and replacing words (package names) in place

export interface WordChange {
  token: ShToken;
  /** Replacement text; undefined removes the word. */
  text?: string;
}

/**
 * Edits that remove or replace words of a RUN instruction. A word alone on a continued line goes
 * with its line; when that line was the last of a continued list, the continuation of the line
 * above is removed too. Other words go with the whitespace that separated them from a kept word.
 */
export function wordEdits(
  m: DockerfileModel,
  ins: DInstruction,
  all: ShToken[],
  changes: WordChange[],
  file: string,
  escape = m.escape,
  /** Remove the comment lines directly above a removed line too (when a copy elsewhere keeps them). */
  dropComments = false,
): ModifyEdit[] {
  const text = m.text;
  const edits: ModifyEdit[] = [];
  const byToken = new Map(changes.map((c) => [c.token.start, c]));
  const contRe = new RegExp(`[ \\t]*${escapeRe(escape)}[ \\t]*$`);
  // Group the instruction's tokens by physical line.
  const lines = new Map<number, ShToken[]>();
  for (const t of all) {
    if (t.start < ins.start || t.end > ins.end || t.value === '\n') continue;
    const ls = lineStartAt(text, t.start);
    const list = lines.get(ls) ?? [];
    list.push(t);
    lines.set(ls, list);
  }
  const codeLines = [...lines.keys()].sort((a, b) => a - b);
  for (const ls of codeLines) {
    const toks = lines.get(ls)!;
    const isRemoved = (t: ShToken) => byToken.has(t.start) && byToken.get(t.start)!.text === undefined;
    for (const t of toks) {
      const c = byToken.get(t.start);
      if (c && c.text !== undefined) edits.push({ file, start: t.start, end: t.end, text: c.text });
    }
    const removed = toks.filter(isRemoved);
    if (removed.length === 0) continue;
    const le = text.indexOf('\n', ls);
    const lineEnd = le === -1 ? text.length : le;
    const continued = contRe.test(text.slice(ls, lineEnd));
    if (removed.length === toks.length && ls > ins.start) {
      // The whole line goes. When it ended a continued command, the code line above (comment
      // lines are skipped, and kept) loses its continuation instead.
      let from = ls;
      while (dropComments && from > ins.start) {
        const ps = lineStartAt(text, from - 1);
        if (ps <= ins.start || !/^[ \t]*#/.test(text.slice(ps, from - 1))) break;
        from = ps;
      }
      edits.push({ file, start: from, end: le === -1 ? text.length : le + 1, text: '' });
      if (!continued) {
        const prevLs = codeLines.filter((x) => x < ls && !lines.get(x)!.every(isRemoved)).pop();
        if (prevLs !== undefined) {
          const pe = text.indexOf('\n', prevLs);
          const mm = contRe.exec(text.slice(prevLs, pe));
          if (mm) edits.push({ file, start: prevLs + mm.index, end: pe, text: '' });
        }
      }
      continue;
    }
    // Remove runs of words, each with the whitespace before it (or after it when first on the line).
    let i = 0;
    while (i < toks.length) {
      if (!isRemoved(toks[i]!)) {
        i++;
        continue;
      }
      let j = i;
      while (j + 1 < toks.length && isRemoved(toks[j + 1]!)) j++;
      if (i > 0) edits.push({ file, start: toks[i - 1]!.end, end: toks[j]!.end, text: '' });
      else if (j + 1 < toks.length) edits.push({ file, start: toks[i]!.start, end: toks[j + 1]!.start, text: '' });
      else {
        const ws = /[ \t]*$/.exec(text.slice(ls, toks[i]!.start))![0].length;
        edits.push({ file, start: toks[i]!.start - ws, end: toks[j]!.end, text: '' });
      }
      i = j + 1;
    }
  }
  return edits;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Merge a rule's edits to one file into a single replacement of the span they cover, with the
 * same result. The engine then sees one span per fix: a fix of another rule that touches the same
 * region is deferred and recomputed on the new text instead of being interleaved with this one.
 */
export function mergeEdits(text: string, edits: ModifyEdit[], file: string): ModifyEdit[] {
  if (edits.length <= 1) return edits;
  const start = Math.min(...edits.map((e) => e.start));
  const end = Math.max(...edits.map((e) => e.end));
  const inner = applyEdits(
    text.slice(start, end),
    edits.map((e) => ({ ...e, start: e.start - start, end: e.end - start })),
    file,
  );
  return [{ file, start, end, text: inner }];
}

/** Apply edits to a text (for building new text from a copy of existing instructions). */
export function applyTo(text: string, edits: ModifyEdit[]): string {
  return applyEdits(text, edits);
}

// ---------------------------------------------------------------------------------------------
// Stages

/** The instructions of a stage after its FROM. */
export function body(stage: DStage): DInstruction[] {
  return stage.instructions.slice(1);
}

/** A stage name not used by any stage yet (builder, builder-2, …). */
export function freeStageName(m: DockerfileModel, wanted: string): string {
  const used = new Set(m.stages.map((s) => s.name?.toLowerCase()).filter(Boolean));
  if (!used.has(wanted)) return wanted;
  for (let n = 2; ; n++) if (!used.has(`${wanted}-${n}`)) return `${wanted}-${n}`;
}

/**
 * Remove an instruction with its comment block. When a blank line is on both sides, one of them
 * goes too, so the paragraphs around stay separated by a single blank line.
 */
export function removeBlock(m: DockerfileModel, ins: DInstruction, file: string): ModifyEdit {
  const text = m.text;
  const b = blockOf(m, ins);
  let end = b.end;
  const blankBefore = b.start > 0 && blankLineAt(text, lineStartAt(text, b.start - 1));
  if (blankBefore && blankLineAt(text, end)) end = lineEndAfter(text, end);
  else if (end === text.length && blankBefore) return { file, start: lineStartAt(text, b.start - 1), end, text: '' };
  return { file, start: b.start, end, text: '' };
}

/**
 * Remove several instructions with their comment blocks. Blocks that touch are removed as one span,
 * and each span is removed as removeBlock removes one block (one of two surrounding blank lines goes).
 */
export function removeBlocks(m: DockerfileModel, list: DInstruction[], file: string): ModifyEdit[] {
  const text = m.text;
  const spans = list.map((ins) => blockOf(m, ins)).sort((a, b) => a.start - b.start);
  const merged: { start: number; end: number }[] = [];
  for (const s of spans) {
    const last = merged[merged.length - 1];
    if (last && s.start <= last.end) last.end = Math.max(last.end, s.end);
    else merged.push({ ...s });
  }
  return merged.map((b) => {
    let end = b.end;
    const blankBefore = b.start > 0 && blankLineAt(text, lineStartAt(text, b.start - 1));
    if (blankBefore && blankLineAt(text, end)) end = lineEndAfter(text, end);
    else if (end === text.length && blankBefore) return { file, start: lineStartAt(text, b.start - 1), end, text: '' };
    return { file, start: b.start, end, text: '' };
  });
}

/** Text of instructions with their comment blocks, one after the other (a blank line kept between blocks that had one). */
export function blocksText(m: DockerfileModel, list: DInstruction[]): string {
  let out = '';
  list.forEach((ins, i) => {
    const b = blockOf(m, ins);
    let t = m.text.slice(b.start, b.end);
    if (!t.endsWith('\n')) t += '\n';
    const blankBefore = b.start > 0 && blankLineAt(m.text, lineStartAt(m.text, b.start - 1));
    out += (i > 0 && blankBefore ? '\n' : '') + t;
  });
  return out;
}

/**
 * Insert text (whole lines) after an instruction. When a blank line follows the instruction, the
 * text goes after a blank line of its own, so it forms its own paragraph.
 */
export function insertParagraphAfter(m: DockerfileModel, ins: DInstruction, text: string, file: string): ModifyEdit {
  const end = lineEndOf(m, ins);
  const needNl = end === m.text.length && !m.text.endsWith('\n');
  const blankAfter = blankLineAt(m.text, end);
  return { file, start: end, end, text: (needNl ? '\n' : '') + (blankAfter ? '\n' : '') + text };
}

/** Shorten an instruction's text for a message: `COPY . .`, `RUN pip install -r requirements.txt …`. */
export function shortText(ins: DInstruction, max = 60): string {
  const t = `${ins.keyword} ${ins.args}`;
  return t.length > max ? t.slice(0, max - 1).trimEnd() + '…' : t;
}

/**
 * Insert whole lines before an instruction and its comments. When the instruction starts a
 * paragraph (a blank line above it), the new lines form a paragraph of their own.
 */
export function insertParagraphBefore(m: DockerfileModel, ins: DInstruction, lines: string[], file: string): ModifyEdit {
  const at = leadingCommentStart(m, ins);
  const blankBefore = at > 0 && blankLineAt(m.text, lineStartAt(m.text, at - 1));
  return { file, start: at, end: at, text: asLines(lines) + (blankBefore ? '\n' : '') };
}
