// The rule registry and rule selection (--only / --skip accept rule ids and area names).
import { allRules, ruleFiles } from './generated/rules.js';
import type { Rule } from './types.js';
import { areaOf } from './rule.js';

export { ruleFiles };

/**
 * What `rules`, `explain` and `init` show of a rule. src/generated/meta.ts holds it for every rule
 * (scripts/gen-registry.mjs writes it with ruleMetaOf), so those commands load no rule module.
 */
export interface RuleMeta {
  id: string;
  title: string;
  fixTitle: string;
  severity: Rule['severity'];
  safety: Rule['safety'];
  /** Whether the rule has a fix. */
  hasFix: boolean;
  docs: Rule['docs'];
  defaults?: Rule['defaults'];
}

export function ruleMetaOf(r: Rule): RuleMeta {
  const m: RuleMeta = { id: r.id, title: r.title, fixTitle: r.fixTitle, severity: r.severity, safety: r.safety, hasFix: Boolean(r.fix), docs: r.docs };
  if (r.defaults) m.defaults = r.defaults;
  return m;
}

export function rules(): Rule[] {
  return allRules;
}

export function ruleById(id: string): Rule | undefined {
  return allRules.find((r) => r.id === id);
}

export class SelectionError extends Error {}

/** Parse a comma-separated list of rule ids / area names, rejecting unknown ones. */
export function parseSelectors(list: string | undefined): string[] | undefined {
  if (list === undefined) return undefined;
  const items = list.split(',').map((s) => s.trim()).filter(Boolean);
  const areas = new Set(allRules.map((r) => areaOf(r.id)));
  for (const it of items) {
    if (!allRules.some((r) => r.id === it) && !areas.has(it)) {
      throw new SelectionError(`unknown rule or area "${it}" (see \`shipshape rules\`)`);
    }
  }
  return items;
}

function matches(rule: Rule, selectors: string[]): boolean {
  return selectors.some((s) => s === rule.id || s === areaOf(rule.id));
}

export function selectRules(only?: string[], skip?: string[], from: Rule[] = allRules): Rule[] {
  return from.filter((r) => (!only || matches(r, only)) && !(skip && matches(r, skip)));
}
