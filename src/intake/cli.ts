// CLI glue for --from: a report that cannot be read is a usage error (exit 2), before any scan.
import { UsageError } from '../cli/common.js';
import { loadReport, ReportError, type LoadedReport } from './index.js';

export function readReports(files: string[]): LoadedReport[] {
  try {
    return files.map(loadReport);
  } catch (e) {
    if (e instanceof ReportError) throw new UsageError(e.message);
    throw e;
  }
}

