import { defineRule } from '../../src/rule.js';
import type { FileEdit, FindingInput, ModifyEdit } from '../../src/types.js';
import type { Workspace } from '../../src/workspace.js';
import { python, type PyNode } from '../../src/parsers/python.js';
import { fieldNameFor, isFirstParty, keywordArg, modulePath, positionalArgs, stringValue } from '../../src/project/python.js';
import { codeStyle, kindOfField, newSettingsPath, projectFiles, projectImportRoot, projectSettings, pythonProjects } from '../../src/project/python-settings.js';
import { settingsModule, type FieldSpec } from '../../src/codegen/pydantic.js';
import { extendClass } from '../../src/edit/pysettings.js';
import { ensureImports, finishEdits } from '../../src/edit/python.js';
import { declareEdit, manifestTarget, pydanticSettingsRelease, specFor } from '../../src/project/python-manifest.js';

const ORIGIN_FIELDS = ['ALLOWED_ORIGINS', 'CORS_ORIGINS', 'BACKEND_CORS_ORIGINS', 'CORS_ALLOWED_ORIGINS'];

interface Data {
  dir: string;
  start: number;
  end: number;
}

/** The `allow_origins=[…"*"…]` value of a CORSMiddleware registration, if the call is one. */
function wildcardOrigins(call: PyNode): PyNode | undefined {
  const fn = call.childForFieldName('function');
  const fnName = fn?.type === 'attribute' ? fn.childForFieldName('attribute')?.text : fn?.text;
  const first = positionalArgs(call)[0];
  const isCors =
    fnName === 'CORSMiddleware' ||
    ((fnName === 'add_middleware' || fnName === 'Middleware') && !!first && /(^|\.)CORSMiddleware$/.test(first.text));
  if (!isCors) return undefined;
  const origins = keywordArg(call, 'allow_origins');
  if (!origins || !['list', 'tuple', 'set'].includes(origins.type)) return undefined;
  return origins.namedChildren.some((c) => stringValue(c) === '*') ? origins : undefined;
}

type FileFinding = FindingInput & { start: number; end: number };

/**
 * The wildcard registrations in one file (without the project, which detect adds), kept per file: a
 * fix pass re-walks only the files whose text changed, not every file that mentions CORSMiddleware.
 * The list is shared: callers copy its findings.
 */
function wildcardsIn(ws: Workspace, file: string): Promise<readonly FileFinding[]> {
  return ws.memo(`python/cors-wildcard\0${file}`, async () => {
    const out: FileFinding[] = [];
    const m = await python(ws, file);
    if (!m) return out;
    for (const call of m.root.descendantsOfType('call')) {
      const origins = call && wildcardOrigins(call);
      if (!call || !origins) continue;
      const creds = keywordArg(call, 'allow_credentials')?.type === 'true';
      out.push({
        file,
        start: origins.startIndex,
        end: origins.endIndex,
        message: creds
          ? 'CORSMiddleware allows every origin with credentials: any website can make authenticated requests as the visitor'
          : 'CORSMiddleware allows every origin: any website can call this API from a visitor\'s browser',
        anchor: `cors:${origins.text}`,
        severity: creds ? 'critical' : 'high',
      });
    }
    return out;
  });
}

export default defineRule({
  id: 'python/cors-wildcard',
  title: 'CORS allows every origin',
  fixTitle: 'Read the allowed CORS origins from settings',
  severity: 'high',
  safety: 'review',
  docs: {
    why:
      'CORSMiddleware with allow_origins=["*"] lets any website call the API from a visitor\'s browser. With ' +
      'allow_credentials=True Starlette reflects the caller\'s origin, so any site can make authenticated requests ' +
      'with the visitor\'s cookies and read the answers.',
    fix:
      'Replaces the wildcard with `settings.ALLOWED_ORIGINS` (or the origins field the Settings class already has) and ' +
      'declares ALLOWED_ORIGINS in the Settings class as a list read from a comma-separated variable ' +
      '(ALLOWED_ORIGINS=https://app.example.com,https://admin.example.com), creating the settings module when there is none.',
    safetyNote:
      'Until ALLOWED_ORIGINS is set, browsers on other origins are refused: set it to your front ends\' origins in every ' +
      'environment (including local development) before deploying.',
    example: { before: 'allow_origins=["*"],', after: 'allow_origins=settings.ALLOWED_ORIGINS,' },
    references: ['https://www.starlette.io/middleware/#corsmiddleware', 'https://owasp.org/www-community/attacks/CORS_OriginHeaderScrutiny'],
  },
  kinds: ['python'],
  async detect({ ws }) {
    const out: FindingInput[] = [];
    for (const dir of pythonProjects(ws)) {
      for (const file of projectFiles(ws, dir)) {
        // Sound prefilter: every finding is a call that names CORSMiddleware in the file's text.
        if (!(ws.text(file) ?? '').includes('CORSMiddleware')) continue;
        for (const f of await wildcardsIn(ws, file)) out.push({ ...f, data: { dir, start: f.start, end: f.end } satisfies Data });
      }
    }
    return out;
  },
  async fix(finding, { ws }) {
    const d = finding.data as Data;
    const ps = await projectSettings(ws, d.dir);
    const m = await python(ws, finding.file);
    if (!m) return null;
    // Comments inside the replaced list would be lost: decline.
    const list = m.root.descendantForIndex(d.start, d.end);
    if (!list || list.startIndex !== d.start || list.endIndex !== d.end || list.descendantsOfType('comment').some((c) => !!c)) return null;
    const edits: FileEdit[] = [];
    let module: string | undefined;
    let inst: { name: string; call: boolean } | undefined;
    let fieldName: string;
    let fieldIsList = true;
    const t = ps.target;
    if (t) {
      if (t.sc.file === finding.file) return null;
      module = t.module;
      const existing = t.sc.fields.find((f) => ORIGIN_FIELDS.includes(f.name.toUpperCase()));
      if (existing) {
        const kind = kindOfField(existing).kind;
        if (kind !== 'list' && kind !== 'str') return null;
        fieldName = existing.name;
        fieldIsList = kind === 'list';
        inst = t.sc.instance;
        if (!inst) {
          const res = extendClass(t, codeStyle(ws, ps.dir, ps.pyd, t.sc), { ensureInstance: true });
          if (!res) return null;
          edits.push(...res.edits);
          inst = res.instance;
        }
      } else {
        const name = fieldNameFor(t.sc, 'ALLOWED_ORIGINS');
        if (!name) return null;
        fieldName = name;
        const spec: FieldSpec = { name, env: 'ALLOWED_ORIGINS', kind: 'list', optional: false, default: [], url: false, signing: false, separator: ',' };
        const res = extendClass(t, codeStyle(ws, ps.dir, ps.pyd, t.sc), { fields: [spec], ensureInstance: true });
        if (!res) return null;
        edits.push(...res.edits);
        inst = res.instance;
      }
    } else {
      const path = await newSettingsPath(ws, ps);
      module = modulePath(path, await projectImportRoot(ws, ps));
      fieldName = 'ALLOWED_ORIGINS';
      const spec: FieldSpec = { name: fieldName, env: fieldName, kind: 'list', optional: false, default: [], url: false, signing: false, separator: ',' };
      edits.push({ file: path, create: settingsModule([spec], ps.style) });
      inst = { name: 'settings', call: false };
      if (ps.style.major === 2 && !ps.pyd.settingsDeclared) {
        const target = manifestTarget(ws, ps.dir);
        if (target) {
          const rel = pydanticSettingsRelease(ps.pyd.pydanticSpec);
          const e = declareEdit(ws, target, 'pydantic-settings', specFor(target.style, { floor: rel.floor, pin: rel.version }, target.kind), 'pydantic');
          if (e) edits.push(e);
        }
      }
    }
    if (!module || !inst) return null;
    const imp = ensureImports(m, module, [{ name: inst.name, alias: `app_${inst.name}` }], (top) => isFirstParty(ws, finding.file, top));
    if (!imp) return null;
    const ref = `${inst.call ? `${imp[0]!.local}()` : imp[0]!.local}.${fieldName}`;
    const value = fieldIsList ? ref : `[origin.strip() for origin in ${ref}.split(",") if origin.strip()]`;
    const local: ModifyEdit[] = [{ file: finding.file, start: d.start, end: d.end, text: value }, ...imp[0]!.edits];
    edits.push(...finishEdits(m.text, finding.file, local));
    return edits;
  },
});
