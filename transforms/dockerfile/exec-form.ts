// dockerfile/exec-form: the server must be PID 1 (or exec'd by it) to receive SIGTERM. Shell-form
// CMD/ENTRYPOINT run it as a child of /bin/sh, which does not forward signals: `docker stop` waits
// its timeout and SIGKILLs the server mid-request. Fix: exec form, or `sh -c "… exec server"` when the
// command needs a shell, and `exec` on the last command of an entrypoint script.
import { defineRule } from '../../src/rule.js';
import type { FileEdit, FindingInput, RuleContext } from '../../src/types.js';
import { dockerfile, type DInstruction, type DStage, type DockerfileModel } from '../../src/parsers/dockerfile.js';
import { parseCommandList, plainWords, tokenize, SHELL_BUILTINS, type ShellToken, type ShellWord } from '../../src/project/shell.js';
import { execLast, shellScriptIndex } from '../../src/project/migrations.js';
import { blankContinuationComments, effectiveRun, lineage, scriptOf, sourceOfImagePath } from '../../src/project/entrypoint.js';
import { composeFiles, compose } from '../../src/project/compose.js';
import { lineStartAt } from '../../src/text.js';
import { jsonStringLiterals } from '../../src/edit/words.js';

type Data =
  | { kind: 'shell-form'; file: string; start: number }
  | { kind: 'sh-c'; file: string; start: number }
  | { kind: 'script'; file: string; at: number };

const NOT_PID1 = 'so the server is not PID 1 and never receives SIGTERM: `docker stop` waits, then kills it mid-request';

export default defineRule({
  id: 'dockerfile/exec-form',
  title: 'Server started through a shell that does not forward signals',
  fixTitle: 'Start the server in exec form so it receives SIGTERM',
  severity: 'medium',
  safety: 'review',
  kinds: ['dockerfile'],
  docs: {
    why:
      'A shell-form `CMD uvicorn app:app` runs as `/bin/sh -c "uvicorn app:app"`: the shell is PID 1 and the server its child. ' +
      'The shell does not pass SIGTERM on, so on `docker stop`, a rolling deploy or a scale-down the server never starts its graceful ' +
      'shutdown: after the stop timeout (10 s by default) it is killed, dropping in-flight requests and open connections. The same happens ' +
      'with `sh -c "a && server"` and with an entrypoint script whose last line starts the server without `exec`.',
    fix:
      'Rewrites a shell-form CMD/ENTRYPOINT in exec (JSON) form: `CMD ["uvicorn", "app:app"]`. When the command needs a shell ' +
      '(variables such as `$PORT`, `&&` chains, redirects, globs), it keeps the shell but makes the server replace it: ' +
      '`CMD ["sh", "-c", "exec uvicorn app:app --port ${PORT:-8000}"]`. In an entrypoint script the Dockerfile runs, the last command gets `exec`.',
    safetyNote:
      'Exec form runs the same program with the same arguments, without a shell in between. A shell-form ENTRYPOINT ignores CMD; ' +
      'in exec form CMD is passed to it as arguments, so that case is reported but not fixed. Commands built from pipelines, `||` ' +
      'or background jobs are reported with what to do instead. Scripts that set a `trap` are not changed (exec would skip it).',
    example: {
      before: "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nCMD uvicorn app.main:app --host 0.0.0.0 --port 8000\n",
      after: "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nCMD [\"uvicorn\", \"app.main:app\", \"--host\", \"0.0.0.0\", \"--port\", \"8000\"]\n",
    },
    references: [
      'https://docs.docker.com/reference/dockerfile/#shell-and-exec-form',
      'https://docs.docker.com/reference/dockerfile/#entrypoint',
      'https://github.com/hadolint/hadolint/wiki/DL3025',
    ],
  },
  detect(ctx) {
    const out: FindingInput[] = [];
    const scripts = new Set<string>();
    for (const file of ctx.ws.files('dockerfile')) {
      const m = dockerfile(ctx.ws, file);
      if (!m || m.escape !== '\\') continue;
      for (const stage of m.stages) {
        const own = stage.instructions;
        const cmd = lastOf(own, 'CMD');
        const ep = lastOf(own, 'ENTRYPOINT');
        const shell = shellOf(m, stage);
        if (!shell) continue; // a Windows SHELL: not a POSIX shell
        for (const ins of [ep, cmd]) {
          if (!ins) continue;
          if (!ins.json) {
            if (!execsAlready(ins)) out.push(shellFormFinding(file, stage, ins, ep, cmd, shell));
          }
          else {
            const f = shCFinding(file, ins);
            if (f) out.push(f);
          }
        }
        // Entrypoint scripts the stage runs.
        const run = effectiveRun(m, stage);
        for (const ins of [run.entrypoint, run.cmd]) {
          const words = ins?.json ?? (ins ? shellWordsOf(ins)?.map((w) => w.value) : undefined);
          if (!ins || !words) continue;
          const s = scriptOf(words[0] === 'exec' ? words.slice(1) : words);
          if (!s) continue;
          const src = sourceOfImagePath(ctx.ws, file, m, stage, s.path, contextsOf(ctx, file));
          if (!src || scripts.has(src)) continue;
          scripts.add(src);
          const f = scriptFinding(ctx, src, file);
          if (f) out.push(f);
        }
      }
    }
    return out;
  },
  fix(finding, ctx) {
    const d = finding.data as Data;
    const text = ctx.ws.text(d.file);
    if (text === undefined) return null;
    if (d.kind === 'script') return [{ file: d.file, start: d.at, end: d.at, text: 'exec ' }];
    const m = dockerfile(ctx.ws, d.file);
    const ins = m?.instructions.find((i) => i.start === d.start);
    if (!m || !ins) return null;
    const base = ins.end - ins.raw.length;
    if (d.kind === 'sh-c') {
      const idx = shellScriptIndex(ins.json!);
      const script = ins.json![idx]!;
      const next = execLast(script);
      const lit = jsonStringLiterals(ins.raw)[idx];
      if (!next || !lit) return null;
      return [{ file: d.file, start: base + lit.start, end: base + lit.end, text: JSON.stringify(next) }];
    }
    const stage = m.stages.find((s) => s.instructions.includes(ins))!;
    const conv = convert(ins, shellOf(m, stage)!);
    if ('reason' in conv) return null;
    return [{ file: d.file, start: base + conv.start, end: base + conv.end, text: conv.text }] satisfies FileEdit[];
  },
});

function lastOf(list: DInstruction[], keyword: string): DInstruction | undefined {
  for (let i = list.length - 1; i >= 0; i--) if (list[i]!.keyword === keyword) return list[i];
  return undefined;
}

/** The shell a shell-form instruction runs under (default `sh -c`); undefined for non-POSIX shells. */
function shellOf(m: DockerfileModel, stage: DStage): string[] | undefined {
  const sh = lastOf(lineage(m, stage), 'SHELL');
  if (!sh?.json) return ['sh', '-c'];
  const prog = sh.json[0]!.split(/[\\/]/).pop()!.toLowerCase();
  if (!['sh', 'bash', 'ash', 'dash', 'zsh'].includes(prog)) return undefined;
  return sh.json;
}

function shellTokens(ins: DInstruction): ShellToken[] | undefined {
  try {
    return tokenize(blankContinuationComments(ins.raw));
  } catch {
    return undefined;
  }
}

function shellWordsOf(ins: DInstruction): ShellWord[] | undefined {
  return shellTokens(ins)?.filter((t): t is ShellWord => t.type === 'word');
}

function shellFormFinding(file: string, stage: DStage, ins: DInstruction, ep: DInstruction | undefined, cmd: DInstruction | undefined, shell: string[]): FindingInput {
  const what = ins.keyword === 'CMD' ? 'CMD' : 'ENTRYPOINT';
  const base: FindingInput = {
    file,
    start: ins.start,
    end: ins.end,
    message: `${what} uses the shell form: /bin/sh -c runs \`${short(ins.args)}\` as its child, ${NOT_PID1}`,
    anchor: `${stage.name ?? stage.index}:${what}:${ins.args}`,
    data: { kind: 'shell-form', file, start: ins.start } satisfies Data,
  };
  if (what === 'ENTRYPOINT' && cmd && cmd.start > ins.start) {
    return {
      ...base,
      fixable: false,
      notFixableReason:
        'a shell-form ENTRYPOINT ignores CMD, but in exec form CMD would be passed to it as arguments: write the ENTRYPOINT in exec form and check what the CMD should become',
    };
  }
  const conv = convert(ins, shell);
  if ('reason' in conv) return { ...base, fixable: false, notFixableReason: conv.reason };
  return base;
}

/** A shell-form command that already execs its server (`exec node server.js`, `cd x && exec y`) is fine. */
function execsAlready(ins: DInstruction): boolean {
  const toks = shellTokens(ins);
  const joined = toks && joinTokens(ins.raw, toks);
  return joined !== undefined && execLast(joined) === joined;
}

/** `["sh", "-c", "a && server"]`: the server is a child of the shell unless the script execs it. */
function shCFinding(file: string, ins: DInstruction): FindingInput | undefined {
  const words = ins.json!;
  const idx = shellScriptIndex(words);
  if (idx < 0) return undefined;
  const script = words[idx]!;
  let list;
  try {
    list = parseCommandList(script);
  } catch {
    return undefined;
  }
  // Even one simple command needs exec: dash (Debian's sh) runs it as a child.
  if (!list.items.length) return undefined;
  const next = execLast(script);
  if (next === script) return undefined;
  const last = list.items[list.items.length - 1]!.pipeline[0]!.words[0]?.value;
  if (!last || (SHELL_BUILTINS.has(last) && last !== 'exec')) return undefined;
  return {
    file,
    start: ins.start,
    end: ins.end,
    message: `${ins.keyword} runs \`${short(script)}\` under sh -c without exec: ${last} stays a child of the shell, ${NOT_PID1}`,
    anchor: `${ins.keyword}:sh-c:${script}`,
    fixable: next !== undefined,
    notFixableReason: next === undefined ? 'the script ends in a pipeline, `||` or a background job: move it into an entrypoint script that ends with `exec`' : undefined,
    data: { kind: 'sh-c', file, start: ins.start } satisfies Data,
  };
}

/**
 * The exec-form text for a shell-form instruction: the region of its arguments to replace and the
 * JSON array, keeping its line layout (continuations and comment lines between arguments stay).
 */
function convert(ins: DInstruction, shell: string[]): { start: number; end: number; text: string } | { reason: string } {
  const toks = shellTokens(ins);
  if (!toks) return { reason: 'the command does not parse as shell (an unterminated quote?)' };
  const words = toks.filter((t): t is ShellWord => t.type === 'word');
  if (!words.length) return { reason: 'the instruction has no command' };
  const joined = joinTokens(ins.raw, toks);
  const plain = joined !== undefined ? plainWords(joined) : undefined;
  if (plain) {
    const kept = words[0]!.value === 'exec' && words.length > 1 ? words.slice(1) : words;
    let text = '[';
    kept.forEach((w, k) => {
      if (k > 0) {
        const between = ins.raw.slice(kept[k - 1]!.end, w.start);
        text += between.includes('\n') ? ',' + between : ', ';
      }
      text += JSON.stringify(w.value);
    });
    text += ']';
    return { start: words[0]!.start, end: words[words.length - 1]!.end, text };
  }
  if (joined === undefined || blankContinuationComments(ins.raw) !== ins.raw) {
    return { reason: 'the command needs a shell and has comments inside it, which `sh -c "…"` cannot keep: rewrite it as `["sh", "-c", "… exec <server>"]` by hand' };
  }
  const script = execLast(joined);
  if (!script) {
    return {
      reason:
        'the command uses a pipeline, `||`, a background job or compound shell syntax, so the server cannot simply replace the shell: move it into an entrypoint script whose last line starts the server with `exec`',
    };
  }
  const last = toks[toks.length - 1]!;
  return { start: toks[0]!.start, end: last.end, text: '[' + [...shell, script].map((s) => JSON.stringify(s)).join(', ') + ']' };
}

/** The instruction's shell source on one line (continuations joined); undefined when it has comments. */
function joinTokens(raw: string, toks: ShellToken[]): string | undefined {
  let out = '';
  let prevEnd = -1;
  for (const t of toks) {
    if (t.type === 'comment') return undefined;
    const text = t.type === 'word' ? t.raw.replace(/\\\n/g, '') : raw.slice(t.start, t.end);
    out += (prevEnd === -1 || t.start === prevEnd ? '' : ' ') + text;
    prevEnd = t.end;
  }
  return out;
}

/** Build contexts of a Dockerfile: its directory, and compose `build.context`s that use it. */
function contextsOf(ctx: RuleContext, dockerfilePath: string): string[] {
  const dir = dockerfilePath.includes('/') ? dockerfilePath.slice(0, dockerfilePath.lastIndexOf('/')) : '';
  const out = [dir];
  for (const f of composeFiles(ctx.ws)) {
    for (const s of compose(ctx.ws, f)?.services ?? []) {
      if (s.build?.dockerfile === dockerfilePath && s.build.context !== undefined && !out.includes(s.build.context)) out.push(s.build.context);
    }
  }
  return out;
}

function scriptFinding(ctx: RuleContext, file: string, dockerfilePath: string): FindingInput | undefined {
  const text = ctx.ws.text(file);
  if (text === undefined) return undefined;
  let list;
  try {
    list = parseCommandList(text);
  } catch {
    return undefined;
  }
  const items = list.items;
  const last = items[items.length - 1];
  if (!last || last.pipeline.length !== 1 || last.sep === '&') return undefined;
  const prev = items[items.length - 2];
  if (prev && prev.sep === '||') return undefined;
  const cmd = last.pipeline[0]!;
  const first = cmd.words[0];
  if (!first || first.value === 'exec' || first.quoted === false && SHELL_BUILTINS.has(first.value)) return undefined;
  if (['fi', 'done', 'esac', '}', ')', 'then', 'else'].includes(first.value)) return undefined;
  // Only a top-level command (not indented inside an if/function body).
  if (text.slice(lineStartAt(text, last.start), last.start).length !== 0 && !(prev && prev.sep === '&&')) return undefined;
  const name = first.value;
  const hasTrap = items.some((it) => it.pipeline.some((c) => c.words[0]?.value === 'trap'));
  return {
    file,
    start: last.start,
    end: last.end,
    message: `${file} (run by ${dockerfilePath}) ends by starting \`${name}\` without exec: it stays a child of the shell, ${NOT_PID1}`,
    anchor: `script-last:${name}`,
    fixable: !hasTrap,
    notFixableReason: hasTrap ? 'the script sets a trap, which exec would skip: forward the signal in the trap, or drop the trap and exec the server' : undefined,
    data: { kind: 'script', file, at: first.start } satisfies Data,
  };
}

function short(s: string): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > 80 ? one.slice(0, 77) + '…' : one;
}
