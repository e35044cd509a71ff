// compose/hardcoded-secret: a literal value (or a literal default, `${X:-value}`) for a secret-like
// variable in a service's environment, or a password inside a connection URL. The fix interpolates a
// required variable instead, documents it in .env.example (empty) and makes git ignore .env. The
// old value never appears in a message, a comment or a file shipshape writes.
import { defineRule } from '../../src/rule.js';
import type { FileEdit, FindingInput } from '../../src/types.js';
import type { Workspace } from '../../src/workspace.js';
import { compose, composeFiles, isDevComposeFile, type ComposeFile, type EnvEntry } from '../../src/project/compose.js';
import { envExampleEdits, gitignoreEnvEdits } from '../../src/project/env.js';
import { replaceScalar } from '../../src/edit/yaml.js';
import { basename, joinPath } from '../../src/classify.js';

const SECRET_NAME = /(?:PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|SIGNING_?KEY|ENCRYPTION_?KEY|MASTER_?KEY|FERNET_?KEY|CREDENTIALS?|(?:^|_)PASS$|(?:^|_)PWD$|AUTH_KEY|CLIENT_KEY)/;
/** Names that mention a secret but hold settings about it (lifetimes, algorithms, file paths…). */
const NOT_SECRET = /(?:_FILE|_PATH|_DIR|_URL|_URI|_DSN|EXPIRE|EXPIRY|EXPIRATION|TTL|LIFETIME|_AGE|LENGTH|_LEN$|ALGORITHM|_ALG$|TIMEOUT|HEADER|_NAME$|_ENABLED$|_REQUIRED$|_TYPE$|_HOST$|_PORT$|_USER(?:NAME)?$|_ID$|POLICY|ROTATION|_MIN_|_MAX_|_PREFIX$|_SUFFIX$|_ISSUER$|_AUDIENCE$)/;
/** Names whose value is a connection string. */
const URL_NAME = /(?:_URL|_URI|_DSN|^DSN|CONNECTION_?STRING|_CONN(?:ECTION)?$)$/;

const VAR_REF = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)(.*))?\}$/s;

/** A secret-looking environment variable name. */
export function isSecretName(name: string): boolean {
  const n = name.toUpperCase();
  return SECRET_NAME.test(n) && !NOT_SECRET.test(n);
}

function hasInterpolation(s: string): boolean {
  return /(^|[^$])\$(?:\{|[A-Za-z_])/.test(s.replace(/\$\$/g, ''));
}

/** What a value holds: nothing to fix, a literal, or a variable with a literal default. */
function classifyValue(v: string): { kind: 'fine' } | { kind: 'literal' } | { kind: 'default'; variable: string } {
  if (v === '' || /^(?:true|false)$/i.test(v)) return { kind: 'fine' };
  const m = VAR_REF.exec(v);
  if (m) {
    if (m[2] && m[3] !== undefined && m[3] !== '' && !hasInterpolation(m[3])) return { kind: 'default', variable: m[1]! };
    return { kind: 'fine' };
  }
  if (hasInterpolation(v)) return { kind: 'fine' };
  return { kind: 'literal' };
}

const URL_CRED = /^([a-z][a-z0-9+.-]*:\/\/)([^:/@\s]*):([^@\s]+)@/i;

interface Occurrence {
  entry: EnvEntry;
  /** Services whose environment holds it (several for an anchor). */
  services: string[];
  kind: 'whole' | 'url';
  /** The literal (or literal default) being replaced — used only to match equal values, never shown. */
  secret: string;
  /** URL: offsets of the password part in the entry's value. */
  pw?: [number, number];
  /** Variable the value already names (`${X:-…}`). */
  ref?: string;
  scheme?: string;
  variable: string;
}

function schemeHint(scheme: string): RegExp | undefined {
  const s = scheme.toLowerCase();
  if (/^postgres/.test(s)) return /POSTGRES|^PG|DATABASE|^DB_/;
  if (/^(?:mysql|mariadb)/.test(s)) return /MYSQL|MARIADB|DATABASE|^DB_/;
  if (/^rediss?/.test(s)) return /REDIS|VALKEY/;
  if (/^amqps?/.test(s)) return /RABBIT|AMQP/;
  if (/^mongodb/.test(s)) return /MONGO/;
  return undefined;
}

/** Every hardcoded secret of a compose file, each with the variable that replaces it. */
export function occurrences(cf: ComposeFile): Occurrence[] {
  const byNode = new Map<unknown, Occurrence>();
  const out: Occurrence[] = [];
  for (const svc of cf.services) {
    for (const e of svc.environment) {
      if (e.value === null) continue;
      const known = byNode.get(e.node);
      if (known) {
        if (!known.services.includes(svc.name)) known.services.push(svc.name);
        continue;
      }
      let occ: Occurrence | undefined;
      const url = URL_CRED.exec(e.value);
      if (url) {
        const pw = url[3]!;
        const c = classifyValue(pw);
        if (c.kind !== 'fine') {
          const start = url[1]!.length + url[2]!.length + 1;
          occ = { entry: e, services: [svc.name], kind: 'url', secret: pw, pw: [start, start + pw.length], scheme: url[1]!.slice(0, -3), variable: '' };
          if (c.kind === 'default') {
            occ.ref = c.variable;
            occ.secret = VAR_REF.exec(pw)![3]!;
          }
        }
      } else if (isSecretName(e.name)) {
        const c = classifyValue(e.value);
        if (c.kind === 'literal') occ = { entry: e, services: [svc.name], kind: 'whole', secret: e.value, variable: e.name };
        else if (c.kind === 'default') occ = { entry: e, services: [svc.name], kind: 'whole', secret: VAR_REF.exec(e.value)![3]!, ref: c.variable, variable: c.variable };
      }
      if (occ) {
        byNode.set(e.node, occ);
        out.push(occ);
      }
    }
  }
  // A URL's password reuses the variable an equal value is replaced with, so both stay in sync.
  const wholes = out.filter((o) => o.kind === 'whole');
  for (const o of out) {
    if (o.kind !== 'url') continue;
    if (o.ref) {
      o.variable = o.ref;
      continue;
    }
    const same = wholes.filter((w) => w.secret === o.secret);
    const hint = schemeHint(o.scheme ?? '');
    const pick = (hint && same.find((w) => hint.test(w.variable))) ?? same[0];
    const base = o.entry.name.toUpperCase().replace(/_?(?:URL|URI|DSN|CONNECTION_?STRING|CONN(?:ECTION)?)$/, '');
    o.variable = pick ? pick.variable : `${base || 'URL'}_PASSWORD`;
  }
  return out;
}

/** Where the occurrences are, grouped by service (or anchor): `db: POSTGRES_PASSWORD; api: DATABASE_URL password`. */
function where(occs: Occurrence[]): string {
  const groups = new Map<string, string[]>();
  for (const o of occs) {
    const key = o.entry.shared && o.entry.anchor ? `&${o.entry.anchor}` : o.services.join(', ');
    const list = groups.get(key) ?? [];
    list.push(o.kind === 'url' ? `${o.entry.name} password` : o.entry.name);
    groups.set(key, list);
  }
  return [...groups].map(([k, v]) => `${k}: ${v.join(', ')}`).join('; ');
}

function required(variable: string): string {
  return `\${${variable}:?${variable} is required}`;
}

interface Data {
  variable: string;
}

type Group = { cf: ComposeFile; variable: string; occs: Occurrence[] };

function groups(ws: Workspace): Group[] {
  return composeFiles(ws).flatMap((file) => groupsIn(ws, file));
}

/** The groups of one compose file: they depend on its text alone (a fix needs only its finding's file). */
function groupsIn(ws: Workspace, file: string): Group[] {
  const out: Group[] = [];
  if (isDevComposeFile(file)) return out;
  const cf = compose(ws, file);
  if (!cf) return out;
  const byVar = new Map<string, Occurrence[]>();
  for (const o of occurrences(cf)) {
    const list = byVar.get(o.variable) ?? [];
    list.push(o);
    byVar.set(o.variable, list);
  }
  for (const [variable, occs] of byVar) out.push({ cf, variable, occs });
  return out;
}

export default defineRule({
  id: 'compose/hardcoded-secret',
  title: 'Secret hardcoded in a compose file',
  fixTitle: 'Read the secret from a required environment variable',
  severity: 'high',
  safety: 'review',
  docs: {
    why:
      'A password, token or key written into docker-compose.yml is committed with the code, shared with everyone who can read the repository, and identical in every environment — often a default like `postgres` that attackers try first. A default in `${POSTGRES_PASSWORD:-postgres}` is the same problem: when the variable is missing, production silently runs with it.',
    fix:
      'Replaces the value with `${NAME:?NAME is required}` (a connection URL keeps its shape, only its password part becomes the variable, reusing the variable an equal password is replaced with so both stay in sync), so compose refuses to start without it. Each variable is added once to `.env.example` with an empty value and a comment, and `.env` is added to .gitignore when git would not ignore it.',
    safetyNote:
      'After the fix, `docker compose up` needs the variables (in `.env` next to the compose file, or in the environment). Put the real values there; a password inside a URL must be URL-encoded if it has special characters. A secret that was committed must be rotated: it stays in the git history. Files meant for local development (`*.dev.yml`, `*override*`, `compose.local.*`) are not checked.',
    references: [
      'https://docs.docker.com/compose/how-tos/environment-variables/variable-interpolation/',
      'https://docs.docker.com/compose/how-tos/use-secrets/',
      'https://owasp.org/Top10/A07_2021-Identification_and_Authentication_Failures/',
    ],
  },
  kinds: ['compose'],
  detect(ctx) {
    const out: FindingInput[] = [];
    for (const g of groups(ctx.ws)) {
      const first = g.occs[0]!;
      const r = first.entry.node.range ?? first.entry.keyNode?.range;
      out.push({
        file: g.cf.file,
        start: first.entry.keyNode?.range?.[0] ?? r?.[0],
        end: r?.[1],
        message: `${g.variable} is hardcoded in ${basename(g.cf.file)} (${where(g.occs)}); read it from a required variable instead`,
        anchor: g.variable,
        data: { variable: g.variable } satisfies Data,
      });
    }
    return out;
  },
  fix(finding, ctx) {
    const { variable } = finding.data as Data;
    const g = ctx.ws.kindOf(finding.file) === 'compose' ? groupsIn(ctx.ws, finding.file).find((x) => x.variable === variable) : undefined;
    if (!g) return null;
    const edits: FileEdit[] = [];
    const t = g.cf.target;
    for (const o of g.occs) {
      const value = o.entry.value!;
      const next = o.kind === 'whole' ? required(variable) : value.slice(0, o.pw![0]) + required(variable) + value.slice(o.pw![1]);
      const written = o.entry.form === 'list' ? `${o.entry.name}=${next}` : next;
      edits.push(replaceScalar(t, o.entry.node, written));
    }
    const services = [...new Set(g.occs.flatMap((o) => o.services))];
    edits.push(
      ...envExampleEdits(ctx.ws, g.cf.dir, [{ name: variable, comment: `Required secret (${services.join(', ')}): set the real value in .env, never in git` }], 'Variables the compose files need. Copy to .env and fill in; .env stays out of git.'),
    );
    edits.push(...gitignoreEnvEdits(ctx.ws, [joinPath(g.cf.dir, '.env')]));
    return edits;
  },
});
