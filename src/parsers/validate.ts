// After a fix, every changed file of a known kind must still parse: a fix that breaks a file is
// rejected (the finding is reported as not applied), as Ruff does with fixes that break syntax.
import type { FileKind } from '../types.js';
import { parseDockerfile } from './dockerfile.js';
import { parseYaml } from './yaml.js';

type Validator = (text: string, file: string) => void | Promise<void>;

const validators: Partial<Record<FileKind, Validator>> = {
  dockerfile: (t, f) => void parseDockerfile(t, f),
  compose: (t, f) => void parseYaml(t, f),
};

/** Register a validator for a kind (parsers that load lazily register themselves). */
export function registerValidator(kind: FileKind, v: Validator): void {
  validators[kind] = v;
}

export async function validateText(kind: FileKind, text: string, file: string): Promise<void> {
  const v = validators[kind];
  if (v) await v(text, file);
  else if (file.endsWith('.json')) JSON.parse(text);
}
