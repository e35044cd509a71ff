// defineRule: the one way a transform declares itself. It checks the rule's shape when the module
// loads, so a malformed rule fails the registry test instead of misbehaving at run time.
import { SEVERITIES, type Rule } from './types.js';

const ID = /^[a-z][a-z0-9]*\/[a-z0-9]+(?:-[a-z0-9]+)*$/;

export function defineRule<R extends Rule>(rule: R): R {
  const problems: string[] = [];
  if (!ID.test(rule.id)) problems.push(`id "${rule.id}" is not of the form area/name-in-kebab-case`);
  if (!rule.title?.trim()) problems.push('title is empty');
  if (!rule.fixTitle?.trim()) problems.push('fixTitle is empty');
  if (!SEVERITIES.includes(rule.severity)) problems.push(`severity "${rule.severity}" is not one of ${SEVERITIES.join(', ')}`);
  if (rule.safety !== 'safe' && rule.safety !== 'review') problems.push(`safety "${rule.safety}" is not safe or review`);
  if (!rule.docs?.why?.trim()) problems.push('docs.why is empty');
  if (!rule.docs?.fix?.trim()) problems.push('docs.fix is empty');
  if (!Array.isArray(rule.kinds) || rule.kinds.length === 0) problems.push('kinds is empty');
  if (typeof rule.detect !== 'function') problems.push('detect is not a function');
  if (rule.fix !== undefined && typeof rule.fix !== 'function') problems.push('fix is not a function');
  if (problems.length) throw new Error(`rule ${rule.id}: ${problems.join('; ')}`);
  return Object.freeze(rule);
}

/** The area of a rule id ("dockerfile" for "dockerfile/non-root-user"). */
export function areaOf(id: string): string {
  return id.slice(0, id.indexOf('/'));
}
