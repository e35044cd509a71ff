import { scan } from '../api.js';
import { ResultCache } from '../engine/cache.js';
import { renderJson, renderText } from '../render/report.js';
import { SEVERITIES, type Severity } from '../types.js';
import { guard, nothingScanned, open, printErrors, runOptions, setupColor, UsageError, writeOut, type CommonFlags } from './common.js';

export interface ScanFlags extends CommonFlags {
  format: 'text' | 'json' | 'sarif';
  output?: string;
  failOn?: string;
  reportUnusedSuppressions?: boolean;
  from?: string[];
  /** false with --no-cache. */
  cache?: boolean;
}

export function runScan(path: string, flags: ScanFlags): Promise<number> {
  return guard(async () => {
    setupColor(flags.output || flags.format !== 'text' ? { ...flags, color: false } : flags);
    const failOn = flags.failOn as Severity | undefined;
    if (failOn !== undefined && !SEVERITIES.includes(failOn)) {
      throw new UsageError(`--fail-on must be one of ${SEVERITIES.join(', ')}, not "${flags.failOn}"`);
    }
    const o = runOptions(flags, path);
    const from = flags.from?.length ? (await import('../intake/cli.js')).readReports(flags.from) : undefined;
    const { ws, suppressions } = open(path, o);
    const resultCache = flags.cache === false ? undefined : ResultCache.open(ws, o);
    const scanned = await scan(ws, { ...o, resultCache });
    const { failures, rules } = scanned;
    const matched = from ? (await import('../intake/index.js')).intake(ws, scanned.report.findings, rules, from) : undefined;
    // With --from, the findings are those the report's items match.
    const report = matched ? { ...scanned.report, findings: matched.selected } : scanned.report;
    printErrors(ws, failures);
    const files = ws.files().filter((f) => ws.kindOf(f) !== 'other');
    for (const s of suppressions.withoutReason(files)) {
      process.stderr.write(`shipshape: ${s.file}:${s.line}: suppression of ${s.rules.join(', ')} gives no reason (add ": why")\n`);
    }
    if (flags.reportUnusedSuppressions) {
      for (const s of suppressions.unused(files)) {
        process.stderr.write(`shipshape: ${s.file}:${s.line}: unused suppression of ${s.rules.join(', ')}\n`);
      }
    }
    let out: string;
    if (matched && flags.format !== 'sarif') {
      const { renderIntakeJson, renderIntakeText } = await import('../intake/render.js');
      out = flags.format === 'json' ? renderIntakeJson(report, matched) : renderIntakeText(matched, rules);
    } else if (flags.format === 'json') out = renderJson(report);
    else if (flags.format === 'sarif') {
      const { renderSarif } = await import('../render/sarif.js');
      out = await renderSarif(report, rules, ws, o);
    } else out = renderText(report, rules);
    writeOut(flags.output, out);
    if (nothingScanned(ws) || failures.length) return 2;
    const threshold = failOn ? SEVERITIES.indexOf(failOn) : SEVERITIES.length - 1;
    const failing = report.findings.filter((f) => SEVERITIES.indexOf(f.severity) <= threshold);
    if (flags.reportUnusedSuppressions && suppressions.unused(files).length) return 1;
    return failing.length ? 1 : 0;
  });
}
