// `rules` and `explain` read the rules' metadata generated at build time (src/generated/meta.ts): they
// load no rule module, parser or YAML library, so they start about as fast as `--version` (issue 9).
import { ruleMeta } from '../generated/meta.js';
import { c, colorWantedIf, setColor } from '../render/color.js';
import { stdoutIsTTY, writeStdout } from './stdout.js';

/** `color`: the global --no-color flag (false), as scan/fix/bulk take it. */
export function runRulesList(opts: { json?: boolean; color?: boolean }): number {
  const list = ruleMeta;
  if (opts.json) {
    writeStdout(JSON.stringify(list.map((r) => ({ id: r.id, severity: r.severity, safety: r.safety, title: r.title })), null, 2) + '\n');
    return 0;
  }
  setColor(colorWantedIf(stdoutIsTTY, opts.color));
  const w = Math.max(...list.map((r) => r.id.length), 2);
  let out = `${c.bold('ID'.padEnd(w))}  ${c.bold('SEVERITY')}  ${c.bold('SAFETY')}  ${c.bold('TITLE')}\n`;
  for (const r of list) out += `${r.id.padEnd(w)}  ${r.severity.padEnd(8)}  ${r.safety.padEnd(6)}  ${r.title}\n`;
  writeStdout(out);
  return 0;
}

export function runExplain(id: string, opts: { color?: boolean } = {}): number {
  const r = ruleMeta.find((m) => m.id === id);
  if (!r) {
    process.stderr.write(`shipshape: unknown rule "${id}" (see \`shipshape rules\`)\n`);
    return 2;
  }
  setColor(colorWantedIf(stdoutIsTTY, opts.color));
  const out = [
    `${c.bold(r.id)} — ${r.title}`,
    `severity: ${r.severity}    fix: ${r.hasFix ? r.fixTitle + ` (${r.safety})` : 'none'}`,
    '',
    c.bold('Why it matters'),
    r.docs.why,
    '',
    c.bold('What the fix does'),
    r.docs.fix,
  ];
  if (r.docs.safetyNote) out.push('', c.bold('Fix safety'), r.docs.safetyNote);
  if (r.docs.example) out.push('', c.bold('Example'), 'Before:', r.docs.example.before, 'After:', r.docs.example.after);
  if (r.docs.references?.length) out.push('', c.bold('References'), ...r.docs.references.map((x) => `- ${x}`));
  if (r.defaults && Object.keys(r.defaults).length) {
    out.push('', c.bold('Options (.shipshape.yml)'), ...Object.entries(r.defaults).map(([k, v]) => `- ${k}: ${JSON.stringify(v)}`));
  }
  writeStdout(out.join('\n') + '\n');
  return 0;
}
