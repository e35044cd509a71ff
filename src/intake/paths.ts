// Paths other tools report, resolved to files of the scanned repository — and never to anything
// outside it. A report is untrusted input: absolute paths outside the root, `../` escapes, file://
// URIs elsewhere and symbolic links that lead out are rejected with a message saying why.
//
// Accepted: relative paths (also with `./`, backslashes or %-encoding), absolute paths and file://
// URIs inside the root, and paths under a root the report itself declares (SARIF
// originalUriBaseIds, Trivy's ROOTPATH, KICS's scan paths, Checkov's file_abs_path) — the scanner
// may have run on another machine, so what follows that root is matched to the repository, by
// suffix when it is not found as is. A Windows path cannot name a file on this machine: it is
// matched by the scanned root's folder name when the report declares no root.
import fs from 'node:fs';
import path from 'node:path';
import type { Workspace } from '../workspace.js';

export type PathProblem = 'outside' | 'not-in-repo' | 'invalid' | 'ambiguous';

export type Resolved =
  | { ok: true; file: string; how: 'exact' | 'suffix' }
  | { ok: false; problem: PathProblem; message: string };

export interface PathOptions {
  /** The reported string is a URI (SARIF artifactLocation.uri): %-escapes are decoded. */
  uri?: boolean;
  /** Roots the report declares (absolute paths or file: URIs) that relative parts are relative to. */
  bases?: string[];
}

type Parsed = { kind: 'posix' | 'windows' | 'relative'; path: string } | { kind: 'invalid'; message: string };

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Split a reported path into its kind and a '/'-separated path. */
export function parseReported(reported: string, uri = false): Parsed {
  let s = reported.trim();
  if (!s) return { kind: 'invalid', message: 'empty path' };
  if (/^file:/i.test(s)) {
    s = s.slice(5);
    let host = '';
    if (s.startsWith('//')) {
      s = s.slice(2);
      const slash = s.indexOf('/');
      host = slash === -1 ? s : s.slice(0, slash);
      s = slash === -1 ? '/' : s.slice(slash);
    }
    s = decode(s.replace(/[?#].*$/, ''));
    if (host && host.toLowerCase() !== 'localhost') return { kind: 'windows', path: `//${host}${s}` };
    if (/^\/[A-Za-z]:/.test(s)) return { kind: 'windows', path: s.slice(1).replace(/\\/g, '/') };
    return { kind: 'posix', path: s };
  }
  if (/^[a-z][a-z0-9+.-]+:\/\//i.test(s)) return { kind: 'invalid', message: `${reported}: a URL, not a file path` };
  if (uri) s = decode(s);
  s = s.replace(/\\/g, '/');
  if (/^[A-Za-z]:\//.test(s) || s.startsWith('//')) return { kind: 'windows', path: s };
  if (/^[A-Za-z]:$/.test(s)) return { kind: 'invalid', message: `${reported}: a drive, not a file` };
  if (s.startsWith('/')) return { kind: 'posix', path: s };
  return { kind: 'relative', path: s };
}

/** Resolve '.' and '..' of a relative path; null when it climbs above its start. */
function normalizeRelative(p: string): string | null {
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (!seg || seg === '.') continue;
    if (seg === '..') {
      if (!out.length) return null;
      out.pop();
    } else out.push(seg);
  }
  return out.join('/');
}

function inside(child: string, parent: string, caseless = false): string | undefined {
  const c = caseless ? child.toLowerCase() : child;
  let p = caseless ? parent.toLowerCase() : parent;
  p = p.replace(/\/+$/, '');
  if (c === p) return '';
  if (c.startsWith(p + '/')) return child.slice(p.length + 1);
  return undefined;
}

/** Where a path's declared root is, as a parsed absolute path. */
function parsedBases(bases: string[] | undefined): { kind: 'posix' | 'windows'; path: string }[] {
  const out: { kind: 'posix' | 'windows'; path: string }[] = [];
  for (const b of bases ?? []) {
    const p = parseReported(b, /^file:/i.test(b));
    if (p.kind === 'posix') out.push({ kind: 'posix', path: path.posix.normalize(p.path) });
    else if (p.kind === 'windows') out.push({ kind: 'windows', path: windowsNormalize(p.path) });
  }
  return out;
}

function windowsNormalize(p: string): string {
  const m = /^([A-Za-z]:|\/\/[^/]+)(.*)$/.exec(p);
  if (!m) return p;
  const rest = normalizeRelative(m[2]!) ?? '';
  return `${m[1]}/${rest}`;
}

/**
 * Resolve a reported path to a file of the workspace. `how` says whether it was found as given or
 * matched by its suffix (the scanner ran with another root).
 */
export function resolveReported(ws: Workspace, reported: string, opts: PathOptions = {}): Resolved {
  const parsed = parseReported(reported, opts.uri);
  if (parsed.kind === 'invalid') return { ok: false, problem: 'invalid', message: parsed.message };
  const bases = parsedBases(opts.bases);
  const root = ws.root;
  const virtual = root.startsWith('/virtual');
  let rel: string | undefined;
  /** Segments of the declared root, to pick among several suffix matches. */
  let baseTail: string[] = [];

  if (parsed.kind === 'posix') {
    const abs = path.posix.normalize(parsed.path);
    rel = inside(abs, root);
    if (rel === undefined && !virtual && fs.existsSync(abs)) {
      // The path may reach the root through a symbolic link (/tmp → /private/tmp).
      const real = safeRealpath(abs);
      if (real) rel = inside(real, root);
      if (rel === undefined && real && real !== abs) {
        return { ok: false, problem: 'outside', message: `${reported}: leads outside the scanned root ${root} (through a symbolic link); not used` };
      }
    }
    if (rel === undefined) {
      for (const b of bases) {
        if (b.kind !== 'posix') continue;
        const r = inside(abs, b.path);
        if (r !== undefined) {
          rel = r;
          baseTail = b.path.split('/').filter(Boolean);
          break;
        }
      }
    }
    if (rel === undefined) {
      return { ok: false, problem: 'outside', message: `${reported}: absolute path outside the scanned root ${root}; not used` };
    }
  } else if (parsed.kind === 'windows') {
    const abs = windowsNormalize(parsed.path);
    for (const b of bases) {
      if (b.kind !== 'windows') continue;
      const r = inside(abs, b.path, true);
      if (r !== undefined) {
        rel = r;
        baseTail = b.path.split('/').filter(Boolean);
        break;
      }
    }
    if (rel === undefined) {
      const name = path.basename(root).toLowerCase();
      const segs = abs.split('/');
      const at = segs.map((s) => s.toLowerCase()).lastIndexOf(name);
      if (at <= 0) {
        return {
          ok: false,
          problem: 'outside',
          message: `${reported}: Windows path outside the scanned root (no "${path.basename(root)}" folder in it, and the report declares no root); not used`,
        };
      }
      rel = segs.slice(at + 1).join('/');
    }
  } else {
    const n = normalizeRelative(parsed.path);
    if (n === null) return { ok: false, problem: 'outside', message: `${reported}: climbs out of the scanned root with "../"; not used` };
    rel = n;
  }

  if (!rel) return { ok: false, problem: 'invalid', message: `${reported}: names the root directory, not a file` };
  return locate(ws, reported, rel, baseTail);
}

function safeRealpath(p: string): string | undefined {
  try {
    return fs.realpathSync(p);
  } catch {
    return undefined;
  }
}

/** A root-relative path → a workspace file (as is, else by unique suffix), refusing links that lead out. */
function locate(ws: Workspace, reported: string, rel: string, baseTail: string[]): Resolved {
  let file: string | undefined;
  let how: 'exact' | 'suffix' = 'exact';
  if (ws.exists(rel)) file = rel;
  else {
    const candidates = ws.files().filter((f) => f.endsWith('/' + rel));
    if (candidates.length > 1) {
      // Prefer the candidate under the declared root's last folders (…/backend + Dockerfile → backend/Dockerfile).
      for (let n = 1; n <= baseTail.length && candidates.length > 1; n++) {
        const prefix = baseTail.slice(-n).join('/') + '/';
        const narrowed = candidates.filter((c) => c === prefix + rel || c.endsWith('/' + prefix + rel));
        if (narrowed.length === 1) {
          candidates.splice(0, candidates.length, narrowed[0]!);
          break;
        }
      }
    }
    if (candidates.length === 1) {
      file = candidates[0]!;
      how = 'suffix';
    } else if (candidates.length > 1) {
      return { ok: false, problem: 'ambiguous', message: `${reported}: matches ${candidates.length} files (${candidates.slice(0, 4).join(', ')}${candidates.length > 4 ? ', …' : ''})` };
    }
  }
  if (!file) {
    const onDisk = !ws.root.startsWith('/virtual') && fs.existsSync(path.join(ws.root, ...rel.split('/')));
    if (onDisk) {
      const real = safeRealpath(path.join(ws.root, ...rel.split('/')));
      if (real && inside(real, ws.root) === undefined) {
        return { ok: false, problem: 'outside', message: `${reported}: a symbolic link leads outside the scanned root; not used` };
      }
    }
    return {
      ok: false,
      problem: 'not-in-repo',
      message: onDisk ? `${reported}: not among the scanned files (ignored or skipped)` : `${reported}: no such file in the repository`,
    };
  }
  if (!ws.root.startsWith('/virtual')) {
    const real = safeRealpath(path.join(ws.root, ...file.split('/')));
    if (real && inside(real, ws.root) === undefined) {
      return { ok: false, problem: 'outside', message: `${reported}: a symbolic link leads outside the scanned root; not used` };
    }
  }
  return { ok: true, file, how };
}

/**
 * Every workspace file a loosely written path may mean (an audit report's `config.py` or
 * `Dockerfile`): the file itself when it exists, else all files ending with it. Paths that
 * lead outside the root give none, with the reason.
 */
export function candidateFiles(ws: Workspace, reported: string): { files: string[]; rejected?: string } {
  const r = resolveReported(ws, reported);
  if (r.ok) return { files: [r.file] };
  if (r.problem === 'outside' || r.problem === 'invalid') return { files: [], rejected: r.message };
  if (r.problem === 'ambiguous') {
    const parsed = parseReported(reported);
    const rel = parsed.kind === 'relative' ? normalizeRelative(parsed.path) : null;
    if (rel) return { files: ws.files().filter((f) => f.endsWith('/' + rel)) };
  }
  return { files: [] };
}
