// Small rules for engine tests: they edit Dockerfiles in ways that compose, overlap or break.
import { dockerfile, finalStage } from '../../src/parsers/dockerfile.js';
import { defineRule } from '../../src/rule.js';

// Two rules that edit the same Dockerfile: one adds a LABEL after FROM, one replaces the CMD.
export const addLabel = defineRule({
  id: 'test/add-label',
  title: 'No label',
  fixTitle: 'Add a label',
  severity: 'low',
  safety: 'safe',
  docs: { why: 'w', fix: 'f' },
  kinds: ['dockerfile'],
  detect({ ws }) {
    return ws.files('dockerfile').flatMap((f) => {
      const m = dockerfile(ws, f);
      if (!m || m.instructions.some((i) => i.keyword === 'LABEL')) return [];
      return [{ file: f, start: m.stages[0]!.from.start, end: m.stages[0]!.from.end, message: 'no LABEL', anchor: 'label' }];
    });
  },
  fix(finding, { ws }) {
    const m = dockerfile(ws, finding.file)!;
    return [{ file: finding.file, start: m.stages[0]!.from.end, end: m.stages[0]!.from.end, text: '\nLABEL a=b' }];
  },
});
export const execCmd = defineRule({
  id: 'test/exec-cmd',
  title: 'Shell CMD',
  fixTitle: 'Use exec form',
  severity: 'medium',
  safety: 'review',
  docs: { why: 'w', fix: 'f' },
  kinds: ['dockerfile'],
  detect({ ws }) {
    return ws.files('dockerfile').flatMap((f) => {
      const m = dockerfile(ws, f);
      const cmd = m && finalStage(m).instructions.find((i) => i.keyword === 'CMD' && !i.json);
      return cmd ? [{ file: f, start: cmd.start, end: cmd.end, message: 'shell form', anchor: cmd.args }] : [];
    });
  },
  fix(finding, { ws }) {
    const m = dockerfile(ws, finding.file)!;
    const cmd = finalStage(m).instructions.find((i) => i.keyword === 'CMD')!;
    return [{ file: finding.file, start: cmd.start, end: cmd.end, text: `CMD ${JSON.stringify(cmd.args.split(' '))}` }];
  },
});
// A rule whose fix overlaps execCmd's edit (it rewrites the whole CMD too) → the second is recomputed.
export const upperCmd = defineRule({
  ...execCmd,
  id: 'test/upper-cmd',
  detect({ ws }) {
    return ws.files('dockerfile').flatMap((f) => {
      const m = dockerfile(ws, f);
      const cmd = m && finalStage(m).instructions.find((i) => i.keyword === 'CMD' && i.raw.includes('serve'));
      return cmd ? [{ file: f, start: cmd.start, end: cmd.end, message: 'serve', anchor: 'serve' }] : [];
    });
  },
  fix(finding, { ws }) {
    const m = dockerfile(ws, finding.file)!;
    const cmd = finalStage(m).instructions.find((i) => i.keyword === 'CMD')!;
    return [{ file: finding.file, start: cmd.start, end: cmd.end, text: m.text.slice(cmd.start, cmd.end).replace('serve', 'SERVE') }];
  },
});
export const breaker = defineRule({
  ...addLabel,
  id: 'test/breaker',
  fix(finding) {
    return [{ file: finding.file, start: 0, end: 0, text: 'BOGUS instruction\n' }];
  },
});

