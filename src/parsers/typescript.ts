// TypeScript and JavaScript: ts-morph, loaded only when a rule first asks for it. One in-memory
// project per workspace; source files are created from the workspace's text, never read from disk.
import type { Workspace } from '../workspace.js';
import { FileError } from '../workspace.js';
import { registerValidator } from './validate.js';
import type { Project, SourceFile } from 'ts-morph';

const projects = new WeakMap<Workspace, Promise<Project>>();

async function projectFor(ws: Workspace): Promise<Project> {
  let p = projects.get(ws);
  if (!p) {
    p = (async () => {
      const { Project, ts } = await import('ts-morph');
      return new Project({
        useInMemoryFileSystem: true,
        skipAddingFilesFromTsConfig: true,
        compilerOptions: { allowJs: true, jsx: ts.JsxEmit.Preserve, target: ts.ScriptTarget.ES2022 },
      });
    })();
    projects.set(ws, p);
  }
  return p;
}

/**
 * Can a literal's value or an identifier's name in this text differ from the characters written?
 * A backslash does that: escapes (`\x2f`, `\u002f`, `\u{2f}`, octal `\57`, `\/`, `\.` — any
 * character after a backslash stands for itself), identifier escapes (`\u0065nv`) and line
 * continuations (a backslash before a line break). Only the escapes that stand for control
 * characters or quotes (`\n \r \t \b \f \v \' \" \` \\ \$`) are left out: no prefilter needle
 * contains those. Substring prefilters (a text without X cannot hold a read of X, so it is not
 * parsed) must give up — parse the file — when this is true.
 */
export function mayHideText(text: string): boolean {
  return /\\[^nrtbfv'"`\\$]/.test(text);
}

/** The ts-morph SourceFile for a file's current text (recreated when the text changed). */
export async function typescript(ws: Workspace, file: string): Promise<SourceFile | undefined> {
  const text = ws.text(file);
  if (text === undefined) return undefined;
  const project = await projectFor(ws);
  const path = '/' + file;
  const existing = project.getSourceFile(path);
  if (existing && existing.getFullText() === text) return existing;
  if (existing) project.removeSourceFile(existing);
  return project.createSourceFile(path, text, { overwrite: true });
}

// After a fix, a changed TS/JS file must still parse: syntax errors only (no type checking).
registerValidator('typescript', async (text, file) => {
  const { ts } = await import('ts-morph');
  const out = ts.transpileModule(text, {
    fileName: file,
    reportDiagnostics: true,
    compilerOptions: { allowJs: true, jsx: ts.JsxEmit.Preserve, noEmit: true },
  });
  const err = out.diagnostics?.find((d) => d.category === ts.DiagnosticCategory.Error && d.start !== undefined);
  if (err) {
    const line = err.file ? err.file.getLineAndCharacterOfPosition(err.start!).line + 1 : undefined;
    throw new FileError(file, ts.flattenDiagnosticMessageText(err.messageText, '\n'), line);
  }
});
