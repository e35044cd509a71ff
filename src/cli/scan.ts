import { scan } from '../api.js';
import { renderJson, renderText } from '../render/report.js';
import { guard, nothingScanned, open, printErrors, runOptions, setupColor, writeOut, type CommonFlags } from './common.js';

export interface ScanFlags extends CommonFlags {
  format: 'text' | 'json';
  output?: string;
}

export function runScan(path: string, flags: ScanFlags): Promise<number> {
  return guard(async () => {
    setupColor(flags.output || flags.format !== 'text' ? { ...flags, color: false } : flags);
    const o = runOptions(flags);
    const ws = open(path, o);
    const { report, failures, rules } = await scan(ws, o);
    printErrors(ws, failures);
    writeOut(flags.output, flags.format === 'json' ? renderJson(report) : renderText(report, rules));
    if (nothingScanned(ws) || failures.length) return 2;
    return report.findings.length ? 1 : 0;
  });
}
