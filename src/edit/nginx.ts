// Splice helpers for nginx configuration files: insert directives into a block at the
// indentation its children use, replace one argument, all as minimal edits (offsets into the
// text the parser saw). The file's own style decides the indentation unit (tabs or N spaces).
import type { ModifyEdit } from '../types.js';
import type { NginxArg, NginxConfig, NginxDirective } from '../parsers/nginx.js';
import { indentAt, lineEndAfter, lineStartAt } from '../text.js';

/** The file's indentation unit: "\t" when blocks are indented with tabs, else the smallest space step (default 4). */
export function indentUnit(cfg: NginxConfig): string {
  let tabs = 0;
  let spaces = 0;
  let step = 0;
  const visit = (list: NginxDirective[], parentIndent: string | undefined) => {
    for (const d of list) {
      const own = ownLine(cfg.text, d.start) ? indentAt(cfg.text, d.start) : undefined;
      if (own !== undefined && parentIndent !== undefined && own.length > parentIndent.length && own.startsWith(parentIndent)) {
        const extra = own.slice(parentIndent.length);
        if (/^\t+$/.test(extra)) tabs++;
        else if (/^ +$/.test(extra)) {
          spaces++;
          if (step === 0 || extra.length < step) step = extra.length;
        }
      }
      if (d.block) visit(d.block.children, own);
    }
  };
  visit(cfg.directives, '');
  if (tabs > spaces) return '\t';
  return ' '.repeat(step || 4);
}

/** True when nothing but indentation precedes offset on its line. */
export function ownLine(text: string, offset: number): boolean {
  return /^[ \t]*$/.test(text.slice(lineStartAt(text, offset), offset));
}

/** The indentation of a directive's line. */
export function indentOf(cfg: NginxConfig, d: NginxDirective): string {
  return indentAt(cfg.text, d.start);
}

/** The indentation children of a block directive use (from an existing child on its own line, else parent + unit). */
export function childIndent(cfg: NginxConfig, parent: NginxDirective | undefined): string {
  const children = parent ? (parent.block?.children ?? []) : cfg.directives;
  for (const c of children) if (ownLine(cfg.text, c.start)) return indentAt(cfg.text, c.start);
  if (!parent) return '';
  return indentOf(cfg, parent) + indentUnit(cfg);
}

/**
 * Where text placed "after" a directive goes: past the end of its line when only a comment or
 * whitespace follows it there (so a trailing comment stays with its directive), else right after it.
 */
export function afterDirective(cfg: NginxConfig, d: NginxDirective): { offset: number; ownLine: boolean } {
  const text = cfg.text;
  const eol = lineEndAfter(text, d.end);
  const rest = text.slice(d.end, eol).replace(/\n$/, '');
  if (/^[ \t]*(#.*)?$/.test(rest) && text.slice(0, eol).endsWith('\n')) return { offset: eol, ownLine: true };
  return { offset: d.end, ownLine: false };
}

/** Insert whole lines (without indentation or newline) after a directive, at the given indentation. */
export function insertLinesAfter(file: string, cfg: NginxConfig, d: NginxDirective, lines: string[], indent: string): ModifyEdit {
  const at = afterDirective(cfg, d);
  const body = lines.map((l) => (l ? indent + l : '')).join('\n');
  if (at.ownLine) return { file, start: at.offset, end: at.offset, text: body + '\n' };
  return { file, start: at.offset, end: at.offset, text: '\n' + body };
}

/** Insert lines as the last children of a block (just before its closing brace). */
export function insertLinesAtBlockEnd(file: string, cfg: NginxConfig, d: NginxDirective, lines: string[], indent: string): ModifyEdit {
  const text = cfg.text;
  const close = d.block!.close;
  const body = lines.map((l) => (l ? indent + l : '')).join('\n');
  if (ownLine(text, close)) {
    const ls = lineStartAt(text, close);
    return { file, start: ls, end: ls, text: body + '\n' };
  }
  return { file, start: close, end: close, text: '\n' + body + '\n' + indentOf(cfg, d) };
}

/** Replace one argument's text (quotes included). */
export function replaceArg(file: string, arg: NginxArg, text: string): ModifyEdit {
  return { file, start: arg.start, end: arg.end, text };
}

/** Quote an argument value for nginx when it needs it. */
export function quoteArg(v: string): string {
  if (v !== '' && !/[\s;{}"'#\\]/.test(v)) return v;
  return '"' + v.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
}
