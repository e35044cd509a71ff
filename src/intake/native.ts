// Reading the tools' own JSON reports, as common as their SARIF:
//   Trivy    `trivy config -f json`   Results[].Misconfigurations[] (ID, AVDID, Title, Status, CauseMetadata.StartLine/EndLine)
//   Checkov  `checkov -o json`        one object per framework (or a list of them): results.failed_checks[]
//                                     (check_id, check_name, file_path "/Dockerfile" relative to the scanned
//                                     directory, file_abs_path, file_line_range [start, end])
//   KICS     `kics scan --report-formats json`  queries[] (query_id, query_name) with files[] (file_name, line), paths[]
//   Semgrep  `semgrep --json`         results[] (check_id, path, start.line, end.line, extra.is_ignored)
//   hadolint `hadolint -f json`       [ {file, line, code, level, message} ]
import { toolKey } from './mapping.js';
import { ReportError, type ExternalFinding } from './types.js';

type Json = Record<string, unknown>;

const obj = (v: unknown): Json | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined);

export type NativeFormat = 'trivy' | 'checkov' | 'kics' | 'semgrep' | 'hadolint';

export function detectNative(doc: unknown): NativeFormat | undefined {
  const d = obj(doc);
  // Trivy leaves Results out when it found nothing.
  if (d && ((Array.isArray(d.Results) && ('SchemaVersion' in d || 'ArtifactName' in d)) || ('SchemaVersion' in d && 'ArtifactName' in d))) return 'trivy';
  if (d && Array.isArray(d.queries) && ('kics_version' in d || 'queries_total' in d || 'files_scanned' in d)) return 'kics';
  if (d && Array.isArray(d.results) && d.results.every((r) => obj(r) && 'check_id' in obj(r)!)) return 'semgrep';
  // One framework's object, or — when nothing was found — only its summary.
  const checkov = (x: unknown) => {
    const o = obj(x);
    return Boolean(o && ((typeof o.check_type === 'string' && ('results' in o || 'summary' in o)) || 'checkov_version' in o));
  };
  if (checkov(doc) || (Array.isArray(doc) && doc.length > 0 && doc.every(checkov))) return 'checkov';
  if (Array.isArray(doc) && doc.every((x) => obj(x) && typeof obj(x)!.code === 'string' && 'file' in obj(x)!)) return 'hadolint';
  return undefined;
}

export function readNative(format: NativeFormat, doc: unknown): ExternalFinding[] {
  switch (format) {
    case 'trivy':
      return trivy(obj(doc)!);
    case 'checkov':
      return checkov(Array.isArray(doc) ? doc : [doc]);
    case 'kics':
      return kics(obj(doc)!);
    case 'semgrep':
      return semgrep(obj(doc)!);
    case 'hadolint':
      return hadolint(doc as unknown[]);
  }
  throw new ReportError(`unsupported report format ${format as string}`);
}

function trivy(d: Json): ExternalFinding[] {
  const out: ExternalFinding[] = [];
  const artifact = str(d.ArtifactName);
  // ArtifactName is the scanned directory as given on the command line: a root when absolute.
  const bases = artifact && /^(?:\/|[A-Za-z]:[\\/]|file:)/.test(artifact) ? [artifact] : [];
  for (const r of arr(d.Results)) {
    const res = obj(r);
    if (!res) continue;
    for (const m of arr(res.Misconfigurations)) {
      const mc = obj(m);
      if (!mc) continue;
      const status = str(mc.Status);
      if (status && status !== 'FAIL') continue;
      const cause = obj(mc.CauseMetadata);
      const line = num(cause?.StartLine);
      out.push({
        tool: 'trivy',
        toolName: 'Trivy',
        ruleId: str(mc.ID) ?? str(mc.AVDID) ?? 'unknown',
        title: str(mc.Title),
        message: str(mc.Message),
        uri: str(res.Target),
        isUri: false,
        bases,
        line,
        endLine: num(cause?.EndLine) ?? line,
        severity: str(mc.Severity),
      });
    }
  }
  return out;
}

function checkov(reports: unknown[]): ExternalFinding[] {
  const out: ExternalFinding[] = [];
  for (const r of reports) {
    for (const c of arr(obj(obj(r)?.results)?.failed_checks)) {
      const fc = obj(c);
      if (!fc) continue;
      // file_path is relative to the scanned directory with a leading "/"; file_abs_path is where that
      // was on the machine that ran Checkov: together they give the scan root.
      const rel = str(fc.repo_file_path) ?? str(fc.file_path);
      const abs = str(fc.file_abs_path);
      const bases: string[] = [];
      let uri = rel?.replace(/^[\\/]+/, '');
      if (abs && rel) {
        const a = abs.replace(/\\/g, '/');
        const tail = rel.replace(/\\/g, '/').replace(/^\/+/, '');
        if (a.endsWith('/' + tail)) bases.push(abs.slice(0, a.length - tail.length - 1));
      }
      if (!uri) uri = abs;
      const range = arr(fc.file_line_range);
      const line = num(range[0]);
      out.push({
        tool: 'checkov',
        toolName: 'Checkov',
        ruleId: str(fc.check_id) ?? 'unknown',
        title: str(fc.check_name),
        uri,
        isUri: false,
        bases,
        line,
        endLine: num(range[1]) ?? line,
        severity: str(fc.severity) ?? undefined,
      });
    }
  }
  return out;
}

function kics(d: Json): ExternalFinding[] {
  const out: ExternalFinding[] = [];
  const bases = arr(d.paths).map(str).filter((p): p is string => Boolean(p) && /^(?:\/|[A-Za-z]:[\\/]|file:)/.test(p!));
  for (const q of arr(d.queries)) {
    const query = obj(q);
    if (!query) continue;
    for (const f of arr(query.files)) {
      const file = obj(f);
      if (!file) continue;
      const line = num(file.line);
      out.push({
        tool: 'kics',
        toolName: 'KICS',
        ruleId: str(query.query_id) ?? 'unknown',
        title: str(query.query_name),
        message: str(file.actual_value),
        uri: str(file.file_name),
        isUri: false,
        bases,
        line,
        endLine: line,
        severity: str(query.severity),
      });
    }
  }
  return out;
}

function semgrep(d: Json): ExternalFinding[] {
  const out: ExternalFinding[] = [];
  for (const r of arr(d.results)) {
    const res = obj(r);
    if (!res) continue;
    const extra = obj(res.extra);
    if (extra?.is_ignored === true) continue;
    const line = num(obj(res.start)?.line);
    out.push({
      tool: 'semgrep',
      toolName: 'Semgrep',
      ruleId: str(res.check_id) ?? 'unknown',
      message: str(extra?.message),
      uri: str(res.path),
      isUri: false,
      bases: [],
      line,
      endLine: num(obj(res.end)?.line) ?? line,
      snippet: str(extra?.lines),
      severity: str(extra?.severity),
    });
  }
  return out;
}

function hadolint(list: unknown[]): ExternalFinding[] {
  const out: ExternalFinding[] = [];
  for (const x of list) {
    const h = obj(x);
    if (!h) continue;
    const line = num(h.line);
    out.push({
      tool: toolKey('hadolint')!,
      toolName: 'hadolint',
      ruleId: str(h.code) ?? 'unknown',
      message: str(h.message),
      uri: str(h.file),
      isUri: false,
      bases: [],
      line,
      endLine: line,
      severity: str(h.level),
    });
  }
  return out;
}
