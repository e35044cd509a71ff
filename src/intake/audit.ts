// Written audit reports (Markdown, as people and assistants write them): split into items,
// each item tied to shipshape rules by the phrases in mapping.ts and to a place in the repository
// by what it names — `Location:` lines and `file:line` references (strong: the problem is THERE),
// files named in passing or in a parent heading (weak: prefer findings there), code blocks quoting
// the offending lines and inline code of the sentence that matched (hints: the finding nearest to
// where that text is in the repository).
//
// Items are: bold-tagged bullets (`- **[CRITICAL] Root Execution:** …`), else the leaf sections
// that read like findings (numbered `### 1.2 …`/`### A) …` headings, Issue/Location labels, or a
// severity in the heading or a parent's). Summaries, checklists, action plans, matrices and
// conclusions restate items and are skipped; "good practices observed" sections are listed as
// not-a-problem. Suggested fixes (after Fix:/Solution:/Recommendation:/Example: labels) are not
// evidence of the problem: their sentences and code blocks are left out of the matching.
import type { Finding } from '../types.js';
import type { Workspace } from '../workspace.js';
import { AUDIT_PHRASES } from './mapping.js';
import { candidateFiles } from './paths.js';
import type { IntakeItem } from './types.js';

export type AuditSeverity = 'critical' | 'high' | 'medium' | 'low';

export interface AuditRef {
  /** The path as written. */
  path: string;
  lines: number[];
  /** From a Location line or a `file:line` reference: the problem is at that place. */
  strong: boolean;
}

export interface AuditSegment {
  /** The sentence/line with Markdown emphasis removed (inline code kept, without backticks). */
  plain: string;
  /** Inline code spans. */
  code: string[];
  /** Bold phrase leading a list entry ("**Running as root** - …"). */
  lead?: string;
  /** Part of a suggested fix, not of the problem. */
  fix: boolean;
  /** A ✅ line or an [OK] tag: something the report found fine. */
  positive: boolean;
}

export interface AuditItem {
  index: number;
  title: string;
  /** The heading the item sits under ("1) Container Configuration & Resource Management"). */
  section?: string;
  /** 1-based line in the report. */
  line: number;
  severity?: AuditSeverity;
  /** The report lists it as done well. */
  positive: boolean;
  segments: AuditSegment[];
  /** Lines of code blocks that quote the offending code (not suggested fixes). */
  quotes: string[];
  refs: AuditRef[];
}

export interface AuditDoc {
  items: AuditItem[];
  /** Headings of sections skipped as summaries, checklists or plans. */
  skipped: string[];
}

// ---------------------------------------------------------------------------------------------
// Text repair: reports pasted through Mac Roman come out as "üî¥ CRITICAL" for "🔴 CRITICAL".

// Bytes 0x80…0xFF of Mac Roman, in order.
const MAC_ROMAN = (() => {
  const chars = [...'ÄÅÇÉÑÖÜáàâäãåçéèêëíìîïñóòôöõúùûü†°¢£§•¶ß®©™´¨≠ÆØ∞±≤≥¥µ∂∑∏π∫ªºΩæø¿¡¬√ƒ≈∆«»…\u00a0ÀÃÕŒœ–—“”‘’÷◊ÿŸ⁄€‹›ﬁﬂ‡·‚„‰ÂÊÁËÈÍÎÏÌÓÔ\uf8ffÒÚÛÙıˆ˜¯˘˙˚¸˝˛ˇ'];
  const m = new Map<string, number>();
  chars.forEach((c, i) => m.set(c, 0x80 + i));
  return m;
})();

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Undo UTF-8 read as Mac Roman, run by run; text that does not decode stays as it is. */
export function repairMojibake(text: string): string {
  return text.replace(/[^\x00-\x7f]{2,}/g, (run) => {
    const bytes: number[] = [];
    for (const ch of run) {
      const b = MAC_ROMAN.get(ch);
      if (b === undefined) return run;
      bytes.push(b);
    }
    try {
      return utf8.decode(Uint8Array.from(bytes));
    } catch {
      return run;
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Parsing

interface Section {
  level: number;
  title: string;
  line: number;
  body: { text: string; line: number }[];
  children: Section[];
  parent?: Section;
}

const SKIP =
  /\b(?:summary|table of contents|check ?list|action plan|action items|implementation order|roadmap|next steps|conclusions?|references|risk assessment|matrix|readiness score|breakdown|appendix|output format|severity classification)\b/i;
const GOOD = /\b(?:good practices?|practices observed|strengths|what(?:'s| is) working|done well|working well)\b/i;

const FIX_LABELS = new Set([
  'fix', 'fixes', 'fix required', 'suggested fix', 'the fix', 'solution', 'solutions', 'recommendation', 'recommendations',
  'recommended', 'recommended fix', 'recommended structure', 'recommended action', 'example', 'examples', 'improvements',
  'improvements needed', 'improvement', 'action', 'action required', 'actions', 'required', 'how to fix', 'remediation', 'mitigation',
]);
const ISSUE_LABELS = new Set([
  'issue', 'issues', 'problem', 'problems', 'the problem', 'risk', 'risks', 'impact', 'location', 'locations', 'current state',
  'current implementation', 'current issues', 'current setup', 'observation', 'concern', 'example issue', 'missing', 'suggestion',
  'finding', 'details', 'evidence', 'root cause', 'the root cause', 'production impact', 'severity', 'description', 'category',
  'file', 'files', 'affected file', 'affected files', 'path', 'where', 'line', 'lines',
]);
const LOCATION_LABELS = new Set(['location', 'locations', 'file', 'files', 'affected file', 'affected files', 'path', 'where']);

const TAG_SEVERITY: [RegExp, AuditSeverity | 'ok'][] = [
  [/^(?:critical|blocker|severe)$/i, 'critical'],
  [/^(?:high|error)$/i, 'high'],
  [/^(?:medium|warning|warn|risk|moderate)$/i, 'medium'],
  [/^(?:low|info|minor|monitor|note)$/i, 'low'],
  [/^(?:ok|good|pass(?:ed)?|done)$/i, 'ok'],
];
const HEADING_SEVERITY: [RegExp, AuditSeverity][] = [
  [/\b(?:critical|blocker|severe)\b/i, 'critical'],
  [/\bhigh\b(?! availability)/i, 'high'],
  [/\b(?:medium|moderate)\b/i, 'medium'],
  [/\blow\b/i, 'low'],
];
const SEVERITY_EMOJI: [string, AuditSeverity | 'ok'][] = [
  ['🔴', 'critical'], ['🚨', 'critical'], ['🟠', 'high'], ['⚠', 'high'], ['🟡', 'medium'], ['🟢', 'low'], ['🔵', 'low'], ['✅', 'ok'],
];

/** The severity a bullet's [TAG] gives. */
function tagSeverity(tag: string): AuditSeverity | 'ok' | undefined {
  return TAG_SEVERITY.find(([re]) => re.test(tag.trim()))?.[1];
}

/** The severity a heading names: its words first ("🟢 MEDIUM PRIORITY" is medium), then its emoji. */
function headingSeverity(title: string): AuditSeverity | 'ok' | undefined {
  const words = headingWords(title);
  return HEADING_SEVERITY.find(([re]) => re.test(words))?.[1] ?? SEVERITY_EMOJI.find(([e]) => title.includes(e))?.[1];
}

/** A heading's words: emoji and numbering removed. */
function headingWords(title: string): string {
  return title.replace(/[^\p{L}\p{N}\s&/().,:'"`_-]/gu, ' ').replace(/\s+/g, ' ').trim();
}

const NUMBERED = /^(?:\d+(?:\.\d+)*[.)]?|[A-Z][.)])\s+\S|^(?:finding|issue|problem|risk|vulnerability)\s*#?\s*\d+\b/i;
const LABEL = /^(?:\*\*|__|\*|_)?([A-Za-z][A-Za-z /&-]{0,40}?)(?:\*\*|__|\*|_)?\s*:\s*(?:\*\*|__|\*|_)?\s*(.*)$/;
const LIST = /^(\s*)(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?/;
const FENCE = /^\s*(```|~~~)/;

function sectionsOf(lines: string[]): Section {
  const root: Section = { level: 0, title: '', line: 0, body: [], children: [] };
  let current = root;
  let fence: string | undefined;
  lines.forEach((text, i) => {
    const f = FENCE.exec(text);
    if (f) fence = fence ? (text.trim().startsWith(fence) ? undefined : fence) : f[1];
    const h = !fence && !f ? /^(#{1,6})\s+(.+?)\s*#*\s*$/.exec(text) : null;
    if (h) {
      const level = h[1]!.length;
      let parent = current;
      while (parent.level >= level && parent.parent) parent = parent.parent;
      const s: Section = { level, title: h[2]!, line: i + 1, body: [], children: [], parent };
      parent.children.push(s);
      current = s;
    } else current.body.push({ text, line: i + 1 });
  });
  return root;
}

function ancestors(s: Section): Section[] {
  const out: Section[] = [];
  for (let p = s.parent; p && p.level > 0; p = p.parent) out.push(p);
  return out;
}

function plainHeading(title: string): string {
  return stripEmphasis(title).replace(/`([^`]*)`/g, '$1').trim();
}

function stripEmphasis(s: string): string {
  return s.replace(/(\*\*|__)(.+?)\1/g, '$2').replace(/(^|[\s(])[*_]([^*_\s][^*_]*?)[*_](?=[\s).,:;]|$)/g, '$1$2');
}

function codeSpans(s: string): string[] {
  const out: string[] = [];
  for (const m of s.matchAll(/`([^`]+)`/g)) out.push(m[1]!.trim());
  return out;
}

/** Body lines → segments, quotes and references, with the Fix-label state machine. */
function readBody(body: { text: string; line: number }[], startFix = false) {
  const segments: AuditSegment[] = [];
  const quotes: string[] = [];
  const refLines: { text: string; location: boolean; fix: boolean }[] = [];
  let fix = startFix;
  let location = false;
  let block: string[] | null = null;
  let blockFix = false;
  let severity: AuditSeverity | 'ok' | undefined;
  for (const { text } of body) {
    if (FENCE.test(text)) {
      if (block) {
        if (!blockFix) quotes.push(...block);
        block = null;
      } else {
        block = [];
        blockFix = fix;
      }
      continue;
    }
    if (block) {
      block.push(text);
      continue;
    }
    if (!text.trim()) {
      location = false;
      continue;
    }
    if (/^\s*(?:---+|\*\*\*+|___+)\s*$/.test(text) || /^\s*\|/.test(text)) continue;
    const listed = LIST.exec(text);
    let rest = listed ? text.slice(listed[0].length) : text.trim();
    const label = LABEL.exec(rest.trim());
    let lead: string | undefined;
    if (label) {
      const name = label[1]!.trim().toLowerCase();
      if (FIX_LABELS.has(name)) {
        fix = true;
        location = false;
        rest = label[2]!;
      } else if (ISSUE_LABELS.has(name)) {
        fix = false;
        location = LOCATION_LABELS.has(name);
        rest = label[2]!;
        if (name === 'severity') severity ??= tagSeverity(stripEmphasis(rest).replace(/[^A-Za-z]/g, ''));
      }
    } else if (!listed) location = false;
    const boldLead = /^\s*(?:\*\*|__)(.+?)(?:\*\*|__)/.exec(rest);
    if (boldLead && listed) lead = stripEmphasis(boldLead[1]!).replace(/[:\s]+$/, '');
    if (!rest.trim()) continue;
    const plain = stripEmphasis(rest).replace(/`([^`]*)`/g, '$1').trim();
    segments.push({ plain, code: codeSpans(rest), lead, fix, positive: /✅|\[OK\]/i.test(rest) });
    refLines.push({ text: rest, location, fix });
  }
  if (block && !blockFix) quotes.push(...block);
  return { segments, quotes: quotes.map((q) => q.trim()).filter(isQuotable), refLines, severity };
}

function isQuotable(q: string): boolean {
  const core = q.replace(/\.\.\.|…/g, '').replace(/[\s#/*\-=:;,{}[\]()'"<>|]/g, '');
  return core.length >= 5 && !/^[├└│─\s]/.test(q);
}

// ---- references

const FILE_NAME =
  /^(?:(?:Dockerfile|Containerfile)(?:\.[\w.-]+)?|[\w.-]+\.(?:Dockerfile|dockerfile)|\.(?:env|gitignore|dockerignore)(?:\.[\w.-]+)?|[\w.-]*[\w-]\.(?:py|pyi|ts|tsx|mts|cts|js|jsx|mjs|cjs|ya?ml|toml|json|txt|conf|cfg|ini|lock|sh|md|sql|html|css|rb|go|java|tf|template))$/;
const FRAMEWORK = /^(?:next|node|vue|react|nuxt|express|three|chart|d3|angular|ember|backbone)\.js$/i;

function isPathLike(token: string, spaces = false): boolean {
  if (!token || (!spaces && /\s/.test(token)) || /:\/\/|[*?{}<>|$"'`[\]]/.test(token) || /^[-\s]/.test(token) || token.startsWith('.../')) return false;
  // A space inside a folder name (`services/my worker/Dockerfile`), not a command (`python app/main.py`).
  if (spaces && /\s/.test(token) && /\s/.test(token.split('/')[0]!)) return false;
  if (FRAMEWORK.test(token)) return false;
  const base = token.slice(token.lastIndexOf('/') + 1);
  return FILE_NAME.test(base);
}

function parseLines(spec: string): number[] {
  const out: number[] = [];
  for (const part of spec.split(/\s*,\s*/)) {
    const m = /^(\d+)(?:\s*[-–]\s*(\d+))?$/.exec(part.trim());
    if (m) out.push(Number(m[1]));
  }
  return out;
}

/** path[:line[,line…]] tokens of one line of text. */
function refsIn(text: string, location: boolean): AuditRef[] {
  const out: AuditRef[] = [];
  const seen = new Set<string>();
  const add = (path: string, lines: number[], strong: boolean, spaces = false) => {
    path = path.replace(/^\.\//, '');
    const key = `${path}\0${lines.join(',')}`;
    if (seen.has(key) || !isPathLike(path, spaces)) return;
    seen.add(key);
    out.push({ path, lines, strong });
  };
  const spans = codeSpans(text);
  for (const span of spans) {
    // A code span is one path when it reads as one (`services/my worker/Dockerfile:4`), else a command.
    const m = /^(.+?):(\d+(?:\s*[-–,]\s*\d+)*)$/.exec(span);
    if (m && isPathLike(m[1]!, true)) add(m[1]!, parseLines(m[2]!), true, true);
    else if (isPathLike(span, true)) add(span, [], location, true);
    else for (const w of span.split(/\s+/)) add(w.replace(/[.,;:)]+$/, ''), [], location);
  }
  const bare = text.replace(/`[^`]*`/g, ' ');
  if (location) {
    // "File: services/my worker/Dockerfile (line 4)": the whole phrase may be one path with spaces.
    const whole = stripEmphasis(bare).replace(/\s*(?:\(.*\)|,.*|\blines?\b.*)$/i, '').trim();
    const m = /^(.+?)(?::(\d+(?:[-–]\d+)?))?$/.exec(whole);
    if (m && /\s/.test(m[1]!)) add(m[1]!, m[2] ? parseLines(m[2]) : [], true, true);
  }
  for (const raw of bare.split(/[\s(),;"'*]+/)) {
    const w = raw.replace(/[.,;:]+$/, '');
    const m = /^(\S+?):(\d+(?:[-–]\d+)?)$/.exec(w);
    if (m) add(m[1]!, parseLines(m[2]!), true);
    else add(w, [], location);
  }
  // "Backend Dockerfile line 73": a line number written out, for the paths of that line.
  const lm = /\blines?\s+(\d+(?:\s*(?:[-–,]|and)\s*\d+)*)/i.exec(bare);
  if (lm) {
    const lines = parseLines(lm[1]!.replace(/\s*and\s*/g, ','));
    for (const r of out) if (!r.lines.length) {
      r.lines = lines;
      r.strong = true;
    }
  }
  return out;
}

// ---- items

export function parseAudit(text: string): AuditDoc {
  const lines = repairMojibake(text.replace(/\r\n?/g, '\n')).split('\n');
  const root = sectionsOf(lines);
  const items: AuditItem[] = [];
  const skipped: string[] = [];

  const visit = (s: Section, skip: boolean, positive: boolean) => {
    const words = headingWords(s.title);
    if (s.level > 0 && !skip && SKIP.test(words)) {
      skip = true;
      skipped.push(s.title);
    }
    if (s.level > 0 && GOOD.test(words)) positive = true;
    if (!skip && s.level > 0) collect(s, positive);
    for (const c of s.children) visit(c, skip, positive);
  };

  const sectionSeverity = (s: Section): AuditSeverity | 'ok' | undefined => {
    for (const x of [s, ...ancestors(s)]) {
      const sev = headingSeverity(x.title);
      if (sev) return sev;
    }
    return undefined;
  };

  const contextRefs = (s: Section): AuditRef[] =>
    [s, ...ancestors(s)].flatMap((x) => refsIn(x.title, false)).map((r) => ({ ...r, strong: false }));

  const collect = (s: Section, positive: boolean) => {
    const bullets = tagBullets(s.body);
    if (bullets.length) {
      for (const b of bullets) {
        const body = readBody(b.body);
        const sev = tagSeverity(b.tag) ?? body.severity ?? sectionSeverity(s);
        const first: AuditSegment = {
          plain: stripEmphasis(b.title).replace(/`([^`]*)`/g, '$1'),
          code: codeSpans(b.title),
          fix: false,
          positive: sev === 'ok',
        };
        items.push({
          index: items.length + 1,
          title: stripEmphasis(b.title).trim(),
          section: NUMBERED.test(headingWords(s.title)) ? plainHeading(s.title) : undefined,
          line: b.line,
          severity: sev === 'ok' ? undefined : sev,
          positive: positive || sev === 'ok',
          segments: [first, ...body.segments],
          quotes: body.quotes,
          refs: [...refsIn(b.title, false), ...body.refLines.flatMap((l) => refsIn(l.text, l.location)), ...contextRefs(s)],
        });
      }
      return;
    }
    if (s.children.length) return;
    const body = readBody(s.body);
    const words = headingWords(s.title);
    const sev = body.severity ?? sectionSeverity(s);
    const labelled = s.body.some((l) => {
      const m = LABEL.exec((LIST.exec(l.text) ? l.text.replace(LIST, '') : l.text).trim());
      return Boolean(m && ISSUE_LABELS.has(m[1]!.trim().toLowerCase()));
    });
    if (!(NUMBERED.test(words) || labelled || (sev && sev !== 'ok'))) return;
    items.push({
      index: items.length + 1,
      title: plainHeading(s.title),
      section: s.parent && s.parent.level > 0 && NUMBERED.test(headingWords(s.parent.title)) ? plainHeading(s.parent.title) : undefined,
      line: s.line,
      severity: sev === 'ok' ? undefined : sev,
      positive,
      segments: [{ plain: stripEmphasis(s.title).replace(/`([^`]*)`/g, '$1'), code: codeSpans(s.title), fix: false, positive: false }, ...body.segments],
      quotes: body.quotes,
      refs: [...body.refLines.flatMap((l) => refsIn(l.text, l.location)), ...contextRefs(s)],
    });
  };

  visit(root, false, false);
  return { items, skipped };
}

/** `- **[TAG] Title:** text` bullets and their indented continuation lines. */
function tagBullets(body: { text: string; line: number }[]) {
  const out: { tag: string; title: string; line: number; body: { text: string; line: number }[] }[] = [];
  for (let i = 0; i < body.length; i++) {
    const m = /^(\s*)[-*+]\s+(?:\*\*|__)\[([^\]]+)\]\s*(.*?)(?:\*\*|__)\s*:?\s*(.*)$/.exec(body[i]!.text);
    if (!m) continue;
    const indent = m[1]!.length;
    let title = m[3]!.replace(/[:\s]+$/, '').trim();
    let rest = m[4]!;
    if (!title) {
      const t = /^(.+?)(?::\s|\.\s|$)(.*)$/.exec(rest);
      title = (t?.[1] ?? rest).trim();
      rest = t?.[2] ?? '';
    }
    const lines = [{ text: rest, line: body[i]!.line }];
    let j = i + 1;
    for (; j < body.length; j++) {
      const t = body[j]!.text;
      if (!t.trim()) {
        const next = body.slice(j + 1).find((x) => x.text.trim());
        if (!next || (/^\s*/.exec(next.text)![0].length <= indent)) break;
        continue;
      }
      if (/^\s*/.exec(t)![0].length <= indent) break;
      lines.push(body[j]!);
    }
    out.push({ tag: m[2]!.trim(), title, line: body[i]!.line, body: lines });
    i = j - 1;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Matching items to rules and findings

/** Lines (1-based) of a file where a quoted text appears; "..." in the quote matches anything. */
export function findQuote(text: string, quote: string): number[] {
  const norm = (s: string) => s.replace(/\s+/g, ' ').trim();
  const parts = norm(quote).split(/\s*(?:\.\.\.|…)\s*/).filter(Boolean);
  // Bounded work on untrusted input: a few fragments, lines of ordinary length.
  if (!parts.length || parts.length > 4 || quote.length > 400) return [];
  const re = new RegExp(parts.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*?'));
  const out: number[] = [];
  text.split('\n').forEach((l, i) => {
    if (l.length <= 2000 && re.test(norm(l))) out.push(i + 1);
  });
  return out;
}

function nearest(findings: Finding[], line: number): Finding[] {
  let best = Infinity;
  let out: Finding[] = [];
  for (const f of findings) {
    const d = line >= f.line && line <= f.endLine ? 0 : Math.min(Math.abs(line - f.line), Math.abs(line - f.endLine));
    if (d < best) {
      best = d;
      out = [f];
    } else if (d === best) out.push(f);
  }
  return out;
}

function uniq(fs: Finding[]): Finding[] {
  const seen = new Set<string>();
  return fs.filter((f) => (seen.has(f.id) ? false : (seen.add(f.id), true)));
}

/** The shipshape rules an item talks about, with the segments that said so. */
export function rulesOfItem(item: AuditItem, known: Iterable<string>): Map<string, AuditSegment[]> {
  const out = new Map<string, AuditSegment[]>();
  const problem = item.segments.filter((s) => !s.fix && !s.positive);
  const title = item.segments[0]!;
  for (const rule of known) {
    const p = AUDIT_PHRASES[rule];
    if (!p) continue;
    const hits: AuditSegment[] = [];
    if ([...p.title, ...p.text].some((re) => re.test(item.title))) hits.push(title);
    for (const s of problem) {
      if (s === title) continue;
      if (p.text.some((re) => re.test(s.plain)) || (s.lead && p.title.some((re) => re.test(s.lead!)))) hits.push(s);
    }
    if (hits.length) out.set(rule, hits);
  }
  return out;
}

export interface AuditMatch {
  item: AuditItem;
  rules: string[];
  matches: Finding[];
  /** The place it names, resolved (first strong place, else first weak one). */
  file?: string;
  line?: number;
  status: IntakeItem['status'];
  reason?: string;
}

/** Tie one audit item to the findings of the rules it talks about, at the places it names. */
export function matchAuditItem(item: AuditItem, ws: Workspace, findings: Finding[], known: string[]): AuditMatch {
  const resolved = item.refs.map((r) => ({ ref: r, ...candidateFiles(ws, r.path) }));
  const strong = resolved.filter((r) => r.ref.strong && r.files.length);
  const weakFiles = new Set(resolved.filter((r) => !r.ref.strong).flatMap((r) => r.files));
  const firstPlace = strong[0] ?? resolved.find((r) => r.files.length);
  const place = { file: firstPlace?.files[0], line: firstPlace?.ref.lines[0] };
  if (item.positive) return { item, rules: [], matches: [], ...place, status: 'not-a-problem', reason: 'the report lists this as done well' };

  const byRule = rulesOfItem(item, known);
  const rejected = resolved.find((r) => r.rejected);
  if (!byRule.size) {
    if (rejected) return { item, rules: [], matches: [], ...place, status: 'rejected', reason: rejected.rejected };
    return { item, rules: [], matches: [], ...place, status: 'no-rule', reason: 'no shipshape rule covers this' };
  }
  // The item says where the problem is, and none of those places is a file of the repository.
  const strongRefs = resolved.filter((r) => r.ref.strong);
  if (strongRefs.length && !strong.length) {
    const rules = [...byRule.keys()];
    if (rejected) return { item, rules, matches: [], ...place, status: 'rejected', reason: rejected.rejected };
    const names = strongRefs.map((r) => r.ref.path).join(', ');
    return { item, rules, matches: [], ...place, status: 'not-in-repo', reason: `${names}: not among the scanned files` };
  }
  const matches: Finding[] = [];
  const misses: string[] = [];
  for (const [rule, segs] of byRule) {
    const all = findings.filter((f) => f.rule === rule);
    if (!all.length) {
      misses.push(`${rule} finds nothing to fix in this repository`);
      continue;
    }
    let cand: Finding[];
    // Text the item quotes, located in the files where the rule has findings.
    const hintTexts = [...item.quotes, ...segs.flatMap((s) => s.code.filter((c) => c.length >= 3 && !isPathLike(c) && !/^\S+:\d+/.test(c)))];
    const hintLines = (files: Set<string>) => {
      const out: { file: string; line: number }[] = [];
      for (const file of files) {
        const text = ws.text(file) ?? '';
        for (const h of hintTexts) for (const line of findQuote(text, h)) out.push({ file, line });
      }
      return out;
    };
    if (strong.length) {
      const files = new Set(strong.flatMap((r) => r.files));
      const inFiles = all.filter((f) => files.has(f.file));
      if (!inFiles.length) {
        misses.push(`${rule} found nothing in ${[...files].join(', ')}`);
        continue;
      }
      const hits = hintLines(new Set(inFiles.map((f) => f.file)));
      if (hits.length) cand = hits.flatMap((h) => nearest(inFiles.filter((f) => f.file === h.file), h.line));
      else {
        cand = [];
        for (const r of strong) {
          for (const file of r.files) {
            const here = inFiles.filter((f) => f.file === file);
            if (!here.length) continue;
            if (r.ref.lines.length) for (const l of r.ref.lines) cand.push(...nearest(here, l));
            else cand.push(...here);
          }
        }
      }
    } else {
      const weak = all.filter((f) => weakFiles.has(f.file));
      cand = weak.length ? weak : all;
      const hits = hintLines(new Set(cand.map((f) => f.file)));
      if (hits.length) cand = hits.flatMap((h) => nearest(cand.filter((f) => f.file === h.file), h.line));
    }
    matches.push(...cand);
  }
  const found = uniq(matches);
  const rules = [...byRule.keys()];
  if (found.length) return { item, rules, matches: found, ...place, status: 'matched', reason: misses.length ? misses.join('; ') : undefined };
  return { item, rules, matches: [], ...place, status: 'no-finding', reason: misses.join('; ') };
}
