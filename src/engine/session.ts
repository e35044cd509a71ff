// The fix session: applies accepted fixes to the workspace's in-memory copies, in order, so fixes
// on the same file compose. Each fix is computed against the current text (after earlier fixes):
// the finding is re-detected by its stable id, its fix recomputed, checked, applied, and every file
// it changed must still parse. A fix whose edits no longer apply is a conflict, reported, never
// dropped silently or applied garbled. Nothing here touches the disk.
import type { Finding, FileEdit, FileKind, ModifyEdit, Rule } from '../types.js';
import { isCreate } from '../types.js';
import { ESCAPED_BYTE, type ReadSet, type Workspace } from '../workspace.js';
import { lineOf } from '../text.js';
import { classify } from '../classify.js';
import { applyEdits, checkEdits, overlaps, EditError } from './edits.js';
import { complete, optionsFor, sortFindings, timing, trace, type RuleFailure, type RuleRunOptions } from './scan.js';
import { validateText } from '../parsers/validate.js';

export type OutcomeStatus =
  | 'applied'
  | 'resolved' // no longer detected once earlier fixes were applied
  | 'not-fixable'
  | 'declined' // the rule's fix declined (e.g. it would lose a comment)
  | 'conflict' // its edits no longer apply after other fixes
  | 'invalid'; // the fix produced a file that does not parse, or threw

export interface Outcome {
  finding: Finding;
  status: OutcomeStatus;
  reason?: string;
  files?: string[];
}

export interface FilePreview {
  file: string;
  before: string | null; // null: created
  after: string;
}

export interface Preview {
  finding: Finding;
  status: 'ok' | Exclude<OutcomeStatus, 'applied'>;
  reason?: string;
  edits?: FileEdit[];
  files?: FilePreview[];
}

const MAX_PASSES = 10;

export class FixSession {
  /**
   * Each rule's findings on the current state, with everything its detection read through the
   * workspace. After a fix only the rules that read a changed file (or listed a directory where a
   * file appeared) run again: in a monorepo a fix touches a few files and most rules read none.
   */
  private detectCache = new Map<string, { findings: Finding[]; byId: Map<string, Finding>; reads: ReadSet }>();
  /** The workspace's change mark the cache is up to date with. */
  private mark: number;
  private failureKeys = new Set<string>();
  /** The last text of each file that passed validation. */
  private validated = new Map<string, string>();
  /** During applyMany: whether something is on disk at a path the workspace does not list (see existsOnDisk). */
  private onDisk: Map<string, boolean> | undefined;
  readonly failures: RuleFailure[] = [];

  constructor(
    readonly ws: Workspace,
    readonly rules: Rule[],
    readonly run: RuleRunOptions = {},
  ) {
    this.mark = ws.changeMark;
  }

  /** All findings of the selected rules on the current (in-memory) state. */
  async scan(): Promise<Finding[]> {
    const findings: Finding[] = [];
    for (const rule of this.rules) findings.push(...(await this.detect(rule)));
    const cache = this.run.cache;
    if (cache && this.ws.changeMark === 0) {
      cache.save();
      trace(`result cache: ${cache.hits} rules reused, ${cache.misses} run`);
    }
    return sortFindings(findings, this.rules);
  }

  private async detect(rule: Rule): Promise<Finding[]> {
    this.invalidate();
    const cached = this.detectCache.get(rule.id);
    if (cached) return cached.findings;
    const t0 = performance.now();
    // The result cache answers for the files as they are on disk: only while nothing was changed in memory.
    const cache = this.ws.changeMark === 0 ? this.run.cache : undefined;
    let reused: readonly string[] | undefined;
    const { value: found, reads } = await this.ws.track(async () => {
      if (!rule.kinds.some((k) => this.ws.has(k))) return [];
      try {
        const options = optionsFor(rule, this.run);
        const r = cache ? await cache.detect(this.ws, rule, options) : { inputs: await rule.detect({ ws: this.ws, options }) };
        reused = r.reused;
        return complete(rule, r.inputs, this.ws, this.run);
      } catch (e) {
        this.fail({ rule: rule.id, message: (e as Error).stack ?? String(e) });
        return [];
      }
    });
    if (reused) {
      // A reused detection read, as far as its entry knows, those texts and any path.
      for (const f of reused) reads.texts.add(f);
      reads.all = true;
    }
    timing(`detect ${rule.id}`, performance.now() - t0);
    const byId = new Map<string, Finding>();
    for (const f of found) if (!byId.has(f.id)) byId.set(f.id, f);
    this.detectCache.set(rule.id, { findings: found, byId, reads });
    return found;
  }

  private fail(f: RuleFailure): void {
    const key = `${f.rule}\0${f.message}`;
    if (this.failureKeys.has(key)) return;
    this.failureKeys.add(key);
    this.failures.push(f);
  }

  /** Drop the cached findings of every rule that read something changed since the last call. */
  private invalidate(): void {
    if (this.ws.changeMark === this.mark) return;
    for (const [id, c] of this.detectCache) if (this.ws.changedSince(c.reads, this.mark)) this.detectCache.delete(id);
    this.mark = this.ws.changeMark;
  }

  /** The fix a finding would get now, without applying it. */
  preview(target: Finding): Promise<Preview> {
    return this.previewWith(target, true);
  }

  /**
   * validate=false (applyMany) leaves the parse check of the result to the pass's commit, which
   * checks each file once with every fix of the pass in it and, when that fails, falls back to
   * applying the fixes one by one with their own check: the same outcomes, with one parse per file
   * and pass instead of one per fix.
   */
  private async previewWith(target: Finding, validate: boolean): Promise<Preview> {
    const rule = this.rules.find((r) => r.id === target.rule);
    if (!rule) return { finding: target, status: 'not-fixable', reason: 'rule not selected' };
    await this.detect(rule);
    const current = this.detectCache.get(rule.id)?.byId.get(target.id);
    if (!current) return { finding: target, status: 'resolved', reason: 'already fixed by an earlier fix' };
    if (!current.fixable || !rule.fix) {
      return { finding: current, status: 'not-fixable', reason: current.notFixableReason ?? 'no automatic fix' };
    }
    let edits: FileEdit[] | null;
    const t0 = performance.now();
    try {
      edits = await rule.fix(current, { ws: this.ws, options: optionsFor(rule, this.run) });
    } catch (e) {
      return { finding: current, status: 'invalid', reason: `the fix failed: ${(e as Error).message}` };
    } finally {
      timing(`fix ${rule.id}`, performance.now() - t0);
    }
    if (!edits || edits.length === 0) return { finding: current, status: 'declined', reason: 'the rule declined to fix this case' };
    try {
      const files = await this.compute(edits, validate);
      return { finding: current, status: 'ok', edits, files };
    } catch (e) {
      const status = e instanceof EditError ? 'conflict' : 'invalid';
      return { finding: current, status, reason: (e as Error).message };
    }
  }

  /** New texts of every file a set of edits touches; throws EditError or a parse error. */
  private async compute(edits: FileEdit[], validate = true): Promise<FilePreview[]> {
    const byFile = new Map<string, ModifyEdit[]>();
    const created = new Map<string, string>();
    for (const e of edits) {
      if (isCreate(e)) {
        if (this.ws.exists(e.file)) throw new EditError(`would create ${e.file}, which exists`);
        if (this.existsOnDisk(e.file)) throw new EditError(`would create ${e.file}, which exists on disk but was not scanned (ignored); not overwritten`);
        if (created.has(e.file)) throw new EditError(`creates ${e.file} twice`);
        created.set(e.file, e.create);
      } else {
        if (this.ws.record(e.file)?.symlink && !this.ws.followSymlinks) {
          throw new EditError(`${e.file} is a symbolic link; not edited (use --follow-symlinks to edit its target)`);
        }
        const list = byFile.get(e.file) ?? [];
        list.push(e);
        byFile.set(e.file, list);
      }
    }
    const out: FilePreview[] = [];
    for (const [file, list] of byFile) {
      const before = this.ws.text(file);
      if (before === undefined) throw new EditError(`cannot edit ${file}: it could not be read`);
      for (const e of list) {
        // Bytes that are not UTF-8 are kept as they are, but never edited next to.
        const around = before.slice(Math.max(0, e.start - 1), e.end + 1);
        if (ESCAPED_BYTE.test(around) || ESCAPED_BYTE.test(e.text)) {
          throw new EditError(`${file} is not valid UTF-8 at line ${lineOf(before, e.start)}, where the fix would edit; skipped`);
        }
      }
      const after = applyEdits(before, list, file);
      if (after !== before) out.push({ file, before, after });
    }
    for (const [file, text] of created) out.push({ file, before: null, after: text });
    for (const f of validate ? out : []) {
      const kind = this.ws.kindOf(f.file) ?? classify(f.file);
      try {
        await this.validate(kind, f.after, f.file);
      } catch (e) {
        throw new Error(`the fix would leave ${f.file} unparsable (${(e as Error).message}); not applied`);
      }
    }
    return out.sort((a, b) => (a.file < b.file ? -1 : 1));
  }

  /**
   * ws.existsOnDisk, asked once per path during applyMany: every fix that creates a file asks it when
   * it is previewed and again when its pass commits (a file system call each; a fix run creates
   * hundreds of files, each proposed by many fixes). Writing checks again that nothing appeared where
   * a file is created (io/write.ts). The interactive review, which can last, asks the disk each time.
   */
  private existsOnDisk(file: string): boolean {
    if (!this.onDisk) return this.ws.existsOnDisk(file);
    let v = this.onDisk.get(file);
    if (v === undefined) this.onDisk.set(file, (v = this.ws.existsOnDisk(file)));
    return v;
  }

  /**
   * validateText, once per text: a fix's result is checked when it is previewed and again when the
   * pass commits it (the same text when no other fix of the pass touched the file).
   */
  private async validate(kind: FileKind, text: string, file: string): Promise<void> {
    const key = `${kind}\0${file}`;
    if (this.validated.get(key) === text) return;
    await validateText(kind, text, file);
    this.validated.set(key, text);
  }

  /** Apply a previewed fix to the in-memory workspace. */
  commit(p: Preview): void {
    for (const f of p.files ?? []) {
      if (f.before === null) this.ws.createFile(f.file, f.after);
      else this.ws.setText(f.file, f.after);
    }
    this.invalidate();
  }

  /** Preview and commit one finding (interactive review step). */
  async applyOne(target: Finding): Promise<Outcome> {
    const p = await this.preview(target);
    if (p.status !== 'ok') return { finding: p.finding, status: p.status, reason: p.reason };
    this.commit(p);
    return { finding: p.finding, status: 'applied', files: p.files!.map((f) => f.file) };
  }

  /**
   * Apply many findings (by id) in passes, as ESLint does: each pass computes the fixes of the
   * findings still present, applies those whose edits do not overlap an earlier one's in the same
   * pass, and defers the rest to the next pass, where they are recomputed on the new text.
   */
  async applyMany(targets: Finding[]): Promise<Outcome[]> {
    this.onDisk = new Map();
    try {
      return await this.applyPasses(targets);
    } finally {
      this.onDisk = undefined;
    }
  }

  private async applyPasses(targets: Finding[]): Promise<Outcome[]> {
    const wanted = new Map(targets.map((f) => [f.id, f]));
    const outcomes = new Map<string, Outcome>();
    for (let pass = 0; pass < MAX_PASSES && outcomes.size < wanted.size; pass++) {
      // Only the rules that still have a wanted finding without an outcome are detected again: the
      // findings of the others cannot become pending, and detecting them after every pass (most
      // passes change files every rule reads) was most of the cost of a fix run. Their cached
      // findings are dropped as usual when a fix changes what they read, and the next scan()
      // detects them once on the state after all the passes.
      const open = new Set<string>();
      for (const [id, f] of wanted) if (!outcomes.has(id)) open.add(f.rule);
      const pending: Finding[] = [];
      for (const rule of this.rules) {
        if (!open.has(rule.id)) continue;
        for (const f of await this.detect(rule)) if (wanted.has(f.id) && !outcomes.has(f.id)) pending.push(f);
      }
      // Wanted findings that are no longer detected were resolved by earlier fixes.
      const present = new Set(pending.map((f) => f.id));
      for (const [id, f] of wanted) {
        if (!outcomes.has(id) && !present.has(id)) {
          outcomes.set(id, { finding: f, status: pass === 0 ? 'resolved' : 'resolved', reason: pass === 0 ? 'no longer detected' : 'fixed by another fix' });
        }
      }
      if (pending.length === 0) break;
      sortFindings(pending, this.rules);
      const taken = new Map<string, { start: number; end: number; rule: string; text: string; shared?: boolean }[]>();
      const touched = new Set<string>();
      const accepted: Preview[] = [];
      let deferred = 0;
      for (const f of pending) {
        const p = await this.previewWith(f, false);
        if (p.status !== 'ok') {
          outcomes.set(f.id, { finding: p.finding, status: p.status, reason: p.reason });
          continue;
        }
        const clash = p.edits!.some((e) => {
          if (isCreate(e)) return touched.has(e.file);
          // Two rules inserting at the very same point (e.g. both appending to the last service of a
          // compose file, one of them a new top-level block) cannot know which text should come first:
          // the later one waits for the next pass and is recomputed on the new text.
          // A shared replacement another fix of the rule makes identically is made once (commitTogether).
          return (taken.get(e.file) ?? []).some(
            (t) =>
              !(e.shared && t.shared && e.start < e.end && t.rule === f.rule && t.start === e.start && t.end === e.end && t.text === e.text) &&
              (overlaps(t, e) || (t.start === t.end && e.start === e.end && t.start === e.start && t.rule !== f.rule)),
          );
        });
        const createdClash = p.edits!.some((e) => !isCreate(e) && touched.has(`create:${e.file}`));
        if (clash || createdClash) {
          deferred++;
          continue;
        }
        accepted.push(p);
        for (const e of p.edits!) {
          if (isCreate(e)) {
            touched.add(e.file);
            touched.add(`create:${e.file}`);
          } else {
            const list = taken.get(e.file) ?? [];
            list.push({ start: e.start, end: e.end, rule: f.rule, text: e.text, shared: e.shared });
            taken.set(e.file, list);
          }
        }
      }
      if (accepted.length === 0) {
        if (deferred === 0) break;
        continue;
      }
      await this.commitTogether(accepted, outcomes);
      trace(() => `pass ${pass}: ${pending.length} pending, ${accepted.length} applied, ${deferred} deferred, ${new Set(accepted.flatMap((p) => p.files!.map((f) => f.file))).size} files`);
      if (deferred === 0) {
        // Nothing left waiting; one more pass only confirms the rest were resolved.
        continue;
      }
    }
    for (const [id, f] of wanted) {
      if (!outcomes.has(id)) outcomes.set(id, { finding: f, status: 'conflict', reason: `still conflicting after ${MAX_PASSES} passes` });
    }
    return targets.map((t) => outcomes.get(t.id)!);
  }

  /** Commit non-overlapping fixes of one pass at once; if the combination breaks a file, fall back to one by one. */
  private async commitTogether(accepted: Preview[], outcomes: Map<string, Outcome>): Promise<void> {
    // Shared replacements several accepted fixes make identically (see ModifyEdit.shared) go in once.
    const seen = new Set<string>();
    const edits = accepted.flatMap((p) => p.edits!).filter((e) => {
      if (isCreate(e) || !e.shared) return true;
      const key = `${e.file}\0${e.start}\0${e.end}\0${e.text}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    const snap = this.ws.snapshot();
    try {
      const files = await this.compute(edits);
      this.commit({ finding: accepted[0]!.finding, status: 'ok', files });
      for (const p of accepted) outcomes.set(p.finding.id, { finding: p.finding, status: 'applied', files: p.files!.map((f) => f.file) });
      return;
    } catch {
      this.ws.restore(snap);
      this.invalidate();
    }
    for (const p of accepted) {
      const o = await this.applyOne(p.finding);
      if (o.status === 'resolved') o.reason = 'fixed by another fix';
      outcomes.set(p.finding.id, o);
    }
  }
}

export { checkEdits };
