// Dockerfiles: dockerfile-ast for the syntax, plus an offset model (stages, instructions with
// their exact [start, end) spans) so transforms can splice text without touching anything else.
import { DockerfileParser, type Dockerfile as AstDockerfile, type Instruction as AstInstruction } from 'dockerfile-ast';
import type { Parser, Workspace } from '../workspace.js';
import { FileError } from '../workspace.js';
import { newestByPath } from './newest.js';
import { lineStarts } from '../text.js';

export const KNOWN_INSTRUCTIONS = new Set([
  'ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL',
  'MAINTAINER', 'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR',
]);

export interface DInstruction {
  keyword: string;
  /** Offset of the keyword. */
  start: number;
  /** Offset just past the instruction's last character (continuations and heredocs included). */
  end: number;
  line: number; // 1-based
  endLine: number;
  /** Arguments text as written (continuations included), from after the keyword to end. */
  raw: string;
  /** Arguments with line continuations and comments joined away, whitespace collapsed. */
  args: string;
  /** JSON (exec) form, parsed; undefined for shell form. */
  json?: string[];
  ast: AstInstruction;
}

export interface DStage {
  index: number;
  from: DInstruction;
  /** FROM image reference as written (e.g. python:3.12-slim), variables unexpanded. */
  image: string;
  /** Image name without registry/tag (python, node, alpine, gcr.io/distroless/python3 → distroless/python3). */
  imageName: string;
  tag: string;
  name?: string;
  instructions: DInstruction[]; // including FROM
  start: number;
  end: number;
}

export interface DockerfileModel {
  text: string;
  ast: AstDockerfile;
  /** ARG instructions before the first FROM. */
  initialArgs: DInstruction[];
  stages: DStage[];
  instructions: DInstruction[];
  escape: string;
}

export const dockerfileParser: Parser<DockerfileModel> = {
  key: 'dockerfile',
  parse(text, file) {
    return parseDockerfile(text, file);
  },
};

export function dockerfile(ws: Workspace, file: string): DockerfileModel | undefined {
  return ws.parse(file, dockerfileParser);
}

const newestDockerfileModel = newestByPath(2048, parseDockerfileText);

/** Parse (the newest parse of this path is reused while its text is the same: see ./newest.ts). */
export function parseDockerfile(text: string, file = 'Dockerfile'): DockerfileModel {
  return newestDockerfileModel(text, file);
}

function parseDockerfileText(text: string, file: string): DockerfileModel {
  const ast = DockerfileParser.parse(text);
  const starts = lineStarts(text);
  const off = (p: { line: number; character: number }) => (starts[p.line] ?? text.length) + p.character;
  const escape = ast.getEscapeCharacter();
  const instructions: DInstruction[] = [];
  for (const ins of ast.getInstructions()) {
    const keyword = ins.getKeyword().toUpperCase();
    const r = ins.getRange();
    const kr = ins.getInstructionRange();
    const start = off(kr.start);
    const end = off(r.end);
    if (!KNOWN_INSTRUCTIONS.has(keyword)) {
      throw new FileError(file, `unknown instruction "${ins.getKeyword()}"`, r.start.line + 1);
    }
    const raw = text.slice(off(kr.end), end);
    const args = joinContinuations(raw, escape);
    let json: string[] | undefined;
    if ((keyword === 'CMD' || keyword === 'ENTRYPOINT' || keyword === 'RUN' || keyword === 'SHELL') && args.startsWith('[')) {
      try {
        const v = JSON.parse(args);
        if (Array.isArray(v) && v.every((x) => typeof x === 'string')) json = v;
      } catch {
        /* shell form that happens to start with [ */
      }
    }
    // A heredoc starts with an argument `<<NAME`: an instruction without a `<` in its text has none
    // (asking dockerfile-ast for heredocs scans the instruction's arguments).
    if (raw.includes('<')) checkHeredocs(ins, file, text);
    instructions.push({ keyword, start, end, line: r.start.line + 1, endLine: r.end.line + 1, raw, args, json, ast: ins });
  }
  const stages: DStage[] = [];
  const initialArgs: DInstruction[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const from = ins.ast as unknown as { getImage(): string | null; getImageName(): string | null; getImageTag(): string | null; getBuildStage(): string | null; getRegistry(): string | null };
      const image = from.getImage() ?? '';
      const registry = from.getRegistry();
      let imageName = from.getImageName() ?? image;
      if (registry && imageName.startsWith('library/')) imageName = imageName.slice(8);
      stages.push({
        index: stages.length,
        from: ins,
        image,
        imageName,
        tag: from.getImageTag() ?? '',
        name: from.getBuildStage() ?? undefined,
        instructions: [ins],
        start: ins.start,
        end: ins.end,
      });
    } else if (stages.length === 0) {
      if (ins.keyword === 'ARG') initialArgs.push(ins);
      else throw new FileError(file, `${ins.keyword} before the first FROM`, ins.line);
    } else {
      const st = stages[stages.length - 1]!;
      st.instructions.push(ins);
      st.end = ins.end;
    }
  }
  if (stages.length === 0) throw new FileError(file, 'no FROM instruction');
  return { text, ast, initialArgs, stages, instructions, escape };
}

function checkHeredocs(ins: AstInstruction, file: string, text: string): void {
  const h = (ins as unknown as { getHeredocs?: () => { getName(): string; getDelimiterRange(): unknown }[] }).getHeredocs;
  if (typeof h !== 'function') return;
  for (const doc of h.call(ins)) {
    if (!doc.getDelimiterRange()) {
      throw new FileError(file, `unterminated heredoc <<${doc.getName()}`, ins.getRange().start.line + 1);
    }
  }
  void text;
}

/** Join an instruction's argument text: drop escaped newlines and comment lines inside continuations. */
export function joinContinuations(raw: string, escape = '\\'): string {
  const lines = raw.split('\n');
  const out: string[] = [];
  for (const line of lines) {
    if (/^\s*#/.test(line) && out.length > 0) continue;
    let l = line;
    if (l.trimEnd().endsWith(escape)) l = l.trimEnd().slice(0, -escape.length);
    out.push(l);
  }
  return out.join(' ').replace(/\s+/g, ' ').trim();
}

/** The final stage (the image that runs). */
export function finalStage(m: DockerfileModel): DStage {
  return m.stages[m.stages.length - 1]!;
}

export type ImageFamily = 'debian' | 'alpine' | 'distroless' | 'scratch' | 'unknown';

/** Base image family from the FROM reference (following FROM <stage> to its base). */
export function imageFamily(m: DockerfileModel, stage: DStage): ImageFamily {
  let s: DStage | undefined = stage;
  const seen = new Set<number>();
  while (s && !seen.has(s.index)) {
    seen.add(s.index);
    const parent = m.stages.find((x) => x.name && x.name === s!.imageName && x.index < s!.index);
    if (!parent) break;
    s = parent;
  }
  const name = s!.imageName.toLowerCase();
  const tag = s!.tag.toLowerCase();
  if (name === 'scratch') return 'scratch';
  if (name.includes('distroless') || name.includes('chainguard')) return 'distroless';
  if (name === 'alpine' || name.endsWith('/alpine') || tag.includes('alpine')) return 'alpine';
  if (['debian', 'ubuntu'].includes(name) || /(slim|bookworm|bullseye|buster|trixie|jammy|focal|noble)/.test(tag)) return 'debian';
  if (['python', 'node', 'ruby', 'golang', 'openjdk', 'eclipse-temurin', 'php', 'rust', 'nginx'].some((n) => name === n || name.endsWith('/' + n))) {
    return 'debian'; // the official images' default variants are Debian-based
  }
  return 'unknown';
}

/** The stage a stage builds FROM, when it names an earlier stage. */
export function parentStage(m: DockerfileModel, stage: DStage): DStage | undefined {
  return m.stages.find((x) => x.name && x.name === stage.imageName && x.index < stage.index);
}

/** The first stage of a chain of FROM <stage> (the one that names a base image). */
export function rootStage(m: DockerfileModel, stage: DStage): DStage {
  let s = stage;
  const seen = new Set<number>();
  for (let p = parentStage(m, s); p && !seen.has(p.index); p = parentStage(m, s)) {
    seen.add(s.index);
    s = p;
  }
  return s;
}
