// Environment files: `.env.example` merging edits, and whether git ignores a path (with the `ignore`
// package over every .gitignore of the workspace, nested ones included).
//
// Edits to shared files (`.env.example`, `.gitignore`) replace the file's last character instead of
// inserting at its end: two fixes that would append to the same file in one pass then overlap, so
// the engine applies the second one in a later pass, recomputed on the new text — no duplicate
// lines when several findings add the same name.
import ignore, { type Ignore } from 'ignore';
import type { FileEdit } from '../types.js';
import type { Workspace } from '../workspace.js';
import { basename, dirname, joinPath } from '../classify.js';

// ---------------------------------------------------------------------------------------------
// .gitignore

const matchers = new WeakMap<Workspace, Map<string, { text: string; ig: Ignore }>>();

function matcherFor(ws: Workspace, file: string): Ignore | undefined {
  const text = ws.text(file);
  if (text === undefined) return undefined;
  let m = matchers.get(ws);
  if (!m) matchers.set(ws, (m = new Map()));
  const c = m.get(file);
  if (c && c.text === text) return c.ig;
  const ig = ignore().add(text);
  m.set(file, { text, ig });
  return ig;
}

/** .gitignore files of the workspace, shallowest first. */
export function gitignoreFiles(ws: Workspace): string[] {
  return [...ws.filesNamed('.gitignore')]
    .sort((a, b) => a.split('/').length - b.split('/').length || (a < b ? -1 : 1));
}

/** The workspace's .gitignore files as a set, per listing (the listing is kept until a file is created or removed). */
const gitignoreSets = new WeakMap<readonly string[], Set<string>>();

function gitignoreSet(ws: Workspace): Set<string> {
  const list = ws.filesNamed('.gitignore');
  let set = gitignoreSets.get(list);
  if (!set) gitignoreSets.set(list, (set = new Set(list)));
  return set;
}

/**
 * The .gitignore files whose rules apply to a path, shallowest first: those of its ancestor
 * directories (the same ones, in the same order, as gitignoreFiles filtered to ancestors; looked up
 * directly instead of scanning every .gitignore of the repository for each path).
 */
function gitignoresAbove(set: Set<string>, rel: string): string[] {
  const out: string[] = [];
  if (set.has('.gitignore')) out.push('.gitignore');
  for (let i = rel.indexOf('/'); i !== -1; i = rel.indexOf('/', i + 1)) {
    const gi = `${rel.slice(0, i)}/.gitignore`;
    if (set.has(gi)) out.push(gi);
  }
  return out;
}

function ignoredBy(ws: Workspace, rel: string, isDir: boolean, set: Set<string>): boolean {
  let ignored = false;
  for (const gi of gitignoresAbove(set, rel)) {
    const base = dirname(gi);
    const ig = matcherFor(ws, gi);
    if (!ig) continue;
    const sub = base ? rel.slice(base.length + 1) : rel;
    const r = ig.test(isDir ? sub + '/' : sub);
    if (r.ignored) ignored = true;
    else if (r.unignored) ignored = false;
  }
  return ignored;
}

/**
 * Whether git would ignore a path (existing or not), by the workspace's .gitignore files: a file
 * is ignored when one of its directories is, or when the last rule that matches it ignores it.
 */
export function isGitIgnored(ws: Workspace, file: string): boolean {
  const set = gitignoreSet(ws);
  const parts = file.split('/');
  for (let i = 1; i < parts.length; i++) {
    if (ignoredBy(ws, parts.slice(0, i).join('/'), true, set)) return true;
  }
  return ignoredBy(ws, file, false, set);
}

/** Local environment files that hold real values (`.env`, `.env.production`), not templates. */
export function isEnvFile(file: string): boolean {
  const b = basename(file);
  return /^\.env(?:\..+)?$/.test(b) && !isEnvTemplate(file);
}

/** Templates meant to be committed (`.env.example`, `.env.sample`, `.env.template`, `.env.dist`, `.env.defaults`). */
export function isEnvTemplate(file: string): boolean {
  return /^\.env\.(?:example|sample|template|dist|defaults|tmpl|tpl)$/.test(basename(file)) || /^env\.(?:example|sample|template)$/.test(basename(file));
}

/** Every base name isEnvTemplate accepts, the `.env.*` ones first (looked up by name instead of testing every path). */
export const DOT_ENV_TEMPLATES = ['example', 'sample', 'template', 'dist', 'defaults', 'tmpl', 'tpl'].map((x) => `.env.${x}`);
export const ENV_TEMPLATES = [...DOT_ENV_TEMPLATES, 'env.example', 'env.sample', 'env.template'];

/** The env templates of the workspace, sorted (as ws.find(isEnvTemplate) lists them). */
export function envTemplates(ws: Workspace): string[] {
  return ENV_TEMPLATES.flatMap((n) => ws.filesNamed(n)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The block shipshape writes to .gitignore for environment files. */
export const ENV_IGNORE_COMMENT = '# Local environment files hold secrets: keep them out of git';

/**
 * Edits that make git ignore `.env` and `.env.*` (keeping `.env.example` and the other templates
 * tracked) when one of `paths` is not ignored — only the lines still missing — in the .gitignore closest to them (its rules
 * win over the ones above it), or the root .gitignore, created when missing. Empty when every path
 * is already ignored.
 */
export function gitignoreEnvEdits(ws: Workspace, paths: string[]): FileEdit[] {
  const lines: string[] = [];
  if (!paths.some((p) => !isGitIgnored(ws, p))) return [];
  // The block covers every env file of the directories concerned, not only the one at hand.
  const needDot = paths.some((p) => !isGitIgnored(ws, joinPath(dirname(p), '.env')));
  const needStar = paths.some((p) => !isGitIgnored(ws, joinPath(dirname(p), '.env.local')));
  const target = closestGitignore(ws, paths[0]!);
  const existing = ws.exists(target) ? (ws.text(target) ?? '') : undefined;
  // Lines count as present only after the last negation that could re-include env files.
  const all = (existing ?? '').split('\n').map((l) => l.trim());
  let from = 0;
  all.forEach((l, i) => {
    if (l.startsWith('!') && !isEnvTemplate(l.slice(1))) from = i + 1;
  });
  const have = new Set(all.slice(from));
  if (needDot && !have.has('.env')) lines.push('.env');
  if (needStar && !have.has('.env.*')) lines.push('.env.*');
  if (needStar) {
    // Templates next to env files stay tracked (they carry no secrets).
    const templates = new Set(['.env.example']);
    for (const name of DOT_ENV_TEMPLATES) if (ws.filesNamed(name).length) templates.add(name);
    for (const t of [...templates].sort()) if (!have.has(`!${t}`)) lines.push(`!${t}`);
  }
  if (lines.length === 0) return [];
  const block = `${ENV_IGNORE_COMMENT}\n${lines.join('\n')}\n`;
  if (existing === undefined) return [{ file: target, create: block }];
  return [appendEdit(target, existing, block)];
}

/** The .gitignore in the closest directory above a path (its rules take precedence), else the root one. */
export function closestGitignore(ws: Workspace, file: string): string {
  let dir = dirname(file);
  for (;;) {
    const gi = joinPath(dir, '.gitignore');
    if (ws.exists(gi)) return gi;
    if (dir === '') return '.gitignore';
    dir = dirname(dir);
  }
}

/**
 * Append a block to a file as a replacement of its last character (see the note at the top), with
 * a blank line before it when the file has content.
 */
export function appendEdit(file: string, text: string, block: string): FileEdit {
  if (text.length === 0) return { file, start: 0, end: 0, text: block };
  const last = text[text.length - 1]!;
  const sep = last === '\n' ? (text.endsWith('\n\n') ? '' : '\n') : '\n\n';
  return { file, start: text.length - 1, end: text.length, text: last + sep + block };
}

// ---------------------------------------------------------------------------------------------
// .env.example

/** Names defined in an env file's text (`NAME=…`, `export NAME=…`; commented lines ignored). */
export function envNames(text: string): Set<string> {
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=/.exec(line);
    if (m) out.add(m[1]!);
  }
  return out;
}

/** The env template of a directory: an existing `.env.example` / `.env.sample` / `.env.template`, else `.env.example`. */
export function envExamplePath(ws: Workspace, dir: string): string {
  for (const name of ['.env.example', '.env.sample', '.env.template', '.env.dist']) {
    const p = joinPath(dir, name);
    if (ws.exists(p)) return p;
  }
  return joinPath(dir, '.env.example');
}

export interface EnvExampleEntry {
  name: string;
  /** One line of explanation, written as a comment above `NAME=`. Never a value. */
  comment: string;
}

/**
 * Edits that add `NAME=` (empty: the template never carries a value) with a comment line for each
 * entry whose name the directory's env template does not define yet; the template is created
 * when missing. Entries with the same name are written once.
 */
export function envExampleEdits(ws: Workspace, dir: string, entries: EnvExampleEntry[], header?: string): FileEdit[] {
  const file = envExamplePath(ws, dir);
  const existing = ws.exists(file) ? (ws.text(file) ?? '') : undefined;
  const have = envNames(existing ?? '');
  const seen = new Set<string>();
  const blocks: string[] = [];
  for (const e of entries) {
    if (have.has(e.name) || seen.has(e.name)) continue;
    seen.add(e.name);
    blocks.push(`# ${e.comment.replace(/\s*\n\s*/g, ' ')}\n${e.name}=\n`);
  }
  if (blocks.length === 0) return [];
  if (existing === undefined) {
    const head = header ? header.split('\n').map((l) => `# ${l}`.trimEnd()).join('\n') + '\n\n' : '';
    return [{ file, create: head + blocks.join('\n') }];
  }
  return [appendEdit(file, existing, blocks.join('\n'))];
}
