import { defineRule } from '../../src/rule.js';
import type { FindingInput } from '../../src/types.js';
import { python } from '../../src/parsers/python.js';
import { importsOf, isFirstParty } from '../../src/project/python.js';
import { projectFiles, pythonProjects } from '../../src/project/python-settings.js';
import { STDLIB_MODULES } from '../../src/project/python-stdlib.js';
import { ALTERNATIVE_DISTS, IMPLIED_BY, IMPORT_TO_DIST, distributionFor, normalizeDist } from '../../src/project/python-dists.js';
import { declaredDependencies, declareEdit, knownVersion, manifestTarget, specFor } from '../../src/project/python-manifest.js';
import { joinPath } from '../../src/classify.js';
import { parse as parseToml } from 'smol-toml';
import type { Workspace } from '../../src/workspace.js';

/** Namespace packages whose distribution cannot be guessed from the first segments. */
const NAMESPACES = new Set(['google', 'azure', 'zope', 'jaraco', 'backports']);

interface Data {
  dir: string;
  dist: string;
}

function projectName(ws: Workspace, dir: string): string | undefined {
  const text = ws.text(joinPath(dir, 'pyproject.toml'));
  if (!text) return undefined;
  try {
    const data = parseToml(text) as { project?: { name?: unknown }; tool?: { poetry?: { name?: unknown } } };
    const n = data.project?.name ?? data.tool?.poetry?.name;
    return typeof n === 'string' ? normalizeDist(n) : undefined;
  } catch {
    return undefined;
  }
}

function isDeclared(dist: string, declared: Set<string>): boolean {
  const n = normalizeDist(dist);
  if (declared.has(n)) return true;
  const lookup = (table: Readonly<Record<string, readonly string[]>>) =>
    Object.entries(table).find(([k]) => normalizeDist(k) === n)?.[1] ?? [];
  if (lookup(ALTERNATIVE_DISTS).some((a) => declared.has(normalizeDist(a)))) return true;
  return lookup(IMPLIED_BY).some((a) => declared.has(normalizeDist(a)));
}

export default defineRule({
  id: 'python/undeclared-dependency',
  title: 'Third-party module imported but not declared as a dependency',
  fixTitle: 'Declare the distribution in the project\'s manifest',
  severity: 'high',
  safety: 'review',
  docs: {
    why:
      'A module that works on a developer\'s machine because it happens to be installed there is missing from a fresh ' +
      'install of the manifest: the image builds, then the app crashes with ModuleNotFoundError at startup — or, for ' +
      'an import inside a function or a try block such as error reporting, fails silently later.',
    fix:
      'Adds the distribution that provides the module (sentry_sdk → sentry-sdk, yaml → PyYAML, PIL → Pillow, cv2 → ' +
      'opencv-python, …) to the manifest the project installs from — requirements.txt, pyproject.toml [project] ' +
      'dependencies or [tool.poetry.dependencies] — in that file\'s style (pinned with == when every line is pinned, ' +
      'a lower bound otherwise, a version only when a known-good one is on record). Standard-library and first-party ' +
      'modules are never flagged.',
    safetyNote:
      'Check the version specifier: pinned manifests get a known-good release, which may need aligning with your lock ' +
      'file; regenerate lock files (poetry lock, uv lock, pip-compile) after merging.',
    references: ['https://packaging.python.org/en/latest/specifications/dependency-specifiers/'],
  },
  kinds: ['python'],
  async detect({ ws }) {
    const out: FindingInput[] = [];
    for (const dir of pythonProjects(ws)) {
      const decl = declaredDependencies(ws, dir);
      if (!decl.files.length || decl.incomplete) continue;
      const declared = new Set(decl.deps.keys());
      const own = projectName(ws, dir);
      const target = manifestTarget(ws, dir);
      const seen = new Set<string>();
      for (const file of projectFiles(ws, dir)) {
        const m = await python(ws, file);
        if (!m) continue;
        for (const i of importsOf(m)) {
          // Imports guarded by try/except ImportError (or TYPE_CHECKING) are optional by design.
          if (i.level || !i.module || i.guarded) continue;
          const top = i.module.split('.')[0]!;
          if (top === '__future__' || STDLIB_MODULES.has(top) || isFirstParty(ws, file, top)) continue;
          if (own && normalizeDist(top) === own) continue;
          const full = i.name && i.name !== '*' ? `${i.module}.${i.name}` : i.module;
          const hasEntry = full.split('.').some((_, k, parts) => IMPORT_TO_DIST[parts.slice(0, k + 1).join('.')] !== undefined);
          if (NAMESPACES.has(top) && !hasEntry) continue;
          const dist = distributionFor(full);
          const key = normalizeDist(dist);
          if (seen.has(key) || isDeclared(dist, declared)) continue;
          seen.add(key);
          out.push({
            file,
            start: i.node.startIndex,
            end: i.node.endIndex,
            message: `${i.module} is imported but ${dist} is not declared in ${target?.file ?? decl.files.join(', ')}`,
            anchor: `dist:${key}`,
            fixable: !!target,
            notFixableReason: target ? undefined : 'no requirements.txt or pyproject.toml dependency list to add it to',
            data: { dir, dist } satisfies Data,
          });
        }
      }
    }
    return out;
  },
  fix(finding, { ws }) {
    const d = finding.data as Data;
    const target = manifestTarget(ws, d.dir);
    if (!target) return null;
    const e = declareEdit(ws, target, d.dist, specFor(target.style, knownVersion(d.dist), target.kind));
    return e ? [e] : null;
  },
});
