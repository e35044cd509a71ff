// What an image runs: a stage's effective CMD/ENTRYPOINT, its working directory, and which file of
// the build context a path inside the image comes from (following WORKDIR and COPY/ADD), so rules can
// read the entrypoint script a Dockerfile runs.
import picomatch from 'picomatch';
import type { Workspace } from '../workspace.js';
import type { DInstruction, DStage, DockerfileModel } from '../parsers/dockerfile.js';
import { parentStage } from '../parsers/dockerfile.js';
import { basename, dirname, joinPath } from '../classify.js';
import { tokenize, type ShellWord } from './shell.js';

/** The instructions of a stage and of the stages it builds FROM, oldest first. */
export function lineage(m: DockerfileModel, stage: DStage): DInstruction[] {
  const chain: DStage[] = [];
  const seen = new Set<number>();
  for (let s: DStage | undefined = stage; s && !seen.has(s.index); s = parentStage(m, s)) {
    seen.add(s.index);
    chain.unshift(s);
  }
  return chain.flatMap((s) => s.instructions.slice(1));
}

/** The CMD and ENTRYPOINT in effect for a stage (the last of each, inherited from earlier stages it builds FROM). */
export function effectiveRun(m: DockerfileModel, stage: DStage): { cmd?: DInstruction; entrypoint?: DInstruction } {
  let cmd: DInstruction | undefined;
  let entrypoint: DInstruction | undefined;
  for (const ins of lineage(m, stage)) {
    if (ins.keyword === 'CMD') cmd = ins;
    else if (ins.keyword === 'ENTRYPOINT') {
      entrypoint = ins;
      cmd = undefined; // setting ENTRYPOINT resets an inherited CMD
    }
  }
  // An ENTRYPOINT after the CMD in the same stage resets it too; a CMD after it is kept.
  if (cmd && entrypoint && cmd.start < entrypoint.start) cmd = undefined;
  return { cmd, entrypoint };
}

/** The working directory (absolute) in effect before an instruction (or at the end of the stage). */
export function workdirAt(m: DockerfileModel, stage: DStage, before?: DInstruction): string | undefined {
  let wd = '/';
  for (const ins of lineage(m, stage)) {
    if (before && ins === before) break;
    if (ins.keyword !== 'WORKDIR') continue;
    const arg = ins.json?.[0] ?? ins.args.trim();
    if (arg.includes('$')) return undefined;
    wd = arg.startsWith('/') ? '/' + joinPath(arg) : '/' + joinPath(wd, arg);
  }
  return wd;
}

/** Arguments of a COPY/ADD without its flags: sources and destination, or undefined for --from copies and URLs. */
export function copyArgs(ins: DInstruction): { sources: string[]; dest: string } | undefined {
  let parts: string[];
  if (ins.json) parts = [...ins.json];
  else {
    let args = ins.args;
    const flags: string[] = [];
    for (;;) {
      const m = /^--[a-z-]+(?:=\S*)?\s+/.exec(args);
      if (!m) break;
      flags.push(m[0].trim());
      args = args.slice(m[0].length);
    }
    if (flags.some((f) => f.startsWith('--from'))) return undefined;
    if (args.trim().startsWith('[')) {
      try {
        parts = JSON.parse(args.trim()) as string[];
      } catch {
        return undefined;
      }
    } else parts = args.trim().split(/\s+/);
  }
  if (parts.length < 2) return undefined;
  const dest = parts[parts.length - 1]!;
  const sources = parts.slice(0, -1);
  if (sources.some((s) => /^https?:\/\//.test(s) || s.includes('$'))) return undefined;
  return { sources, dest };
}

/**
 * The workspace file that a path inside the image (absolute, or relative to the stage's working
 * directory) comes from, looking at the stage's COPY/ADD instructions from the last one back and
 * at the given build contexts (default: the Dockerfile's directory).
 */
export function sourceOfImagePath(
  ws: Workspace,
  dockerfile: string,
  m: DockerfileModel,
  stage: DStage,
  imagePath: string,
  contexts: string[] = [dirname(dockerfile)],
): string | undefined {
  const wd = workdirAt(m, stage);
  if (wd === undefined && !imagePath.startsWith('/')) return undefined;
  const target = imagePath.startsWith('/') ? '/' + joinPath(imagePath) : '/' + joinPath(wd ?? '/', imagePath);
  const ins = lineage(m, stage).filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD');
  for (let k = ins.length - 1; k >= 0; k--) {
    const c = copyArgs(ins[k]!);
    if (!c) continue;
    const cwd = workdirAt(m, stage, ins[k]);
    if (cwd === undefined && !c.dest.startsWith('/')) continue;
    const destAbs = c.dest.startsWith('/') ? '/' + joinPath(c.dest) : '/' + joinPath(cwd!, c.dest);
    const destIsDir = c.dest.endsWith('/') || c.dest === '.' || c.sources.length > 1;
    for (const ctx of contexts) {
      for (const src of c.sources) {
        const srcPath = joinPath(ctx, src);
        const isGlob = /[*?[]/.test(src);
        const srcIsDir = !isGlob && !ws.exists(srcPath);
        let candidate: string | undefined;
        if (srcIsDir) {
          // COPY dir/ /dest: the directory's contents land in /dest.
          const rel = relativeTo(destAbs, target);
          if (rel !== undefined) candidate = joinPath(srcPath, rel);
        } else if (destIsDir || isGlob) {
          if (dirOf(target) === destAbs) {
            const name = basename(target);
            if (isGlob ? picomatch.isMatch(name, basename(src), { dot: true }) && ws.exists(joinPath(ctx, dirname(src), name)) : basename(src) === name) {
              candidate = isGlob ? joinPath(ctx, dirname(src), name) : srcPath;
            }
          }
        } else if (destAbs === target) {
          candidate = srcPath;
        }
        if (candidate !== undefined && ws.exists(candidate)) return candidate;
      }
    }
  }
  return undefined;
}

function dirOf(abs: string): string {
  const i = abs.lastIndexOf('/');
  return i <= 0 ? '/' : abs.slice(0, i);
}

/** `target` relative to directory `dir` (both absolute), or undefined when it is not inside it. */
function relativeTo(dir: string, target: string): string | undefined {
  if (dir === '/') return target.slice(1);
  if (target === dir) return '';
  if (target.startsWith(dir + '/')) return target.slice(dir.length + 1);
  return undefined;
}

/** The script a command runs (`./entrypoint.sh`, `/docker-entrypoint.sh`, `sh start.sh`, `bash -e run.sh`), with its word index. */
export function scriptOf(words: readonly string[]): { path: string; index: number } | undefined {
  if (!words.length) return undefined;
  const looksLikeScript = (w: string) => /\.(?:sh|bash)$/.test(w) || /(?:^|\/)(?:docker-)?entrypoint$/.test(w) || /^\.\/[^/]+$/.test(w);
  const first = words[0]!;
  const prog = basename(first);
  if (['sh', 'bash', 'ash', 'dash'].includes(prog)) {
    let i = 1;
    while (i < words.length && /^-[a-z]+$/.test(words[i]!)) {
      if (words[i]!.includes('c')) return undefined;
      i++;
    }
    return i < words.length ? { path: words[i]!, index: i } : undefined;
  }
  if (['tini', 'dumb-init'].includes(prog)) {
    let i = 1;
    while (i < words.length && (words[i]!.startsWith('-'))) i++;
    const rest = scriptOf(words.slice(i));
    return rest ? { path: rest.path, index: rest.index + i } : undefined;
  }
  return looksLikeScript(first) ? { path: first, index: 0 } : undefined;
}

/** Words of a shell-form instruction's source (continuations and comment lines inside it skipped). */
export function shellFormWords(raw: string): ShellWord[] | undefined {
  try {
    return tokenize(blankContinuationComments(raw)).filter((t): t is ShellWord => t.type === 'word');
  } catch {
    return undefined;
  }
}

/**
 * Blank out comment lines inside an instruction's continuation (Docker drops them), newline included,
 * keeping every offset, so the shell tokenizer reads what Docker runs.
 */
export function blankContinuationComments(raw: string): string {
  let out = '';
  let continuing = false;
  const lines = raw.split('\n');
  lines.forEach((line, i) => {
    const nl = i < lines.length - 1 ? '\n' : '';
    if (continuing && /^\s*#/.test(line)) {
      out += ' '.repeat(line.length + nl.length);
      return;
    }
    out += line + nl;
    continuing = line.trimEnd().endsWith('\\');
  });
  return out;
}
