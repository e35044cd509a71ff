// What other tools' findings mean in shipshape's terms: ONE table mapping external rule ids
// (hadolint, Trivy, Checkov, KICS, Semgrep) onto shipshape rules, the place semantics of each
// shipshape rule, and the phrases that tie an item of a written audit report to a rule.
//
// Only pairs that mean the same problem are mapped. Ids were taken from each tool's own sources:
//   hadolint  README rule table (hadolint/hadolint README.md, "Rules")
//   Trivy     trivy-checks checks/docker/*.rego METADATA (id DS0xx, avd_id AVD-DS-00xx; Trivy ≥0.5x
//             reports ID "DS-00xx" with aliases AVD-DS-00xx, DS0xx and the short code)
//   Checkov   checkov/dockerfile/checks/*.py (id = "CKV_DOCKER_n")
//   KICS      assets/queries/{dockerfile,dockerCompose}/*/metadata.json ("id" = query UUID)
//   Semgrep   semgrep-rules <dir>/<file>.yaml (rule id = dotted path + rule id)

export type ToolKey = 'hadolint' | 'trivy' | 'checkov' | 'kics' | 'semgrep';
export const TOOLS: readonly ToolKey[] = ['hadolint', 'trivy', 'checkov', 'kics', 'semgrep'];

export interface ExternalRule {
  tool: ToolKey;
  /** Every id the tool uses for this check (the first is the canonical one). */
  ids: string[];
  /** The tool's own title of the check. */
  title: string;
  /** The shipshape rule fixing the same problem, or null when shipshape has none (see note). */
  rule: string | null;
  /** What differs, when the match is narrower or there is no rule. */
  note?: string;
}

export const EXTERNAL_RULES: readonly ExternalRule[] = [
  // ---- hadolint (README rule table)
  { tool: 'hadolint', ids: ['DL3002'], title: 'Last user should not be root.', rule: 'dockerfile/non-root-user' },
  { tool: 'hadolint', ids: ['DL3025'], title: 'Use arguments JSON notation for CMD and ENTRYPOINT arguments', rule: 'dockerfile/exec-form' },
  {
    tool: 'hadolint', ids: ['DL3057'], title: '`HEALTHCHECK` instruction missing.', rule: 'compose/healthcheck',
    note: 'shipshape adds the healthcheck to the compose service that builds the Dockerfile',
  },
  // ---- Trivy (trivy-checks checks/docker)
  {
    tool: 'trivy', ids: ['DS002', 'DS-0002', 'AVD-DS-0002', 'least-privilege-user'], title: "Image user should not be 'root'",
    rule: 'dockerfile/non-root-user',
  },
  {
    tool: 'trivy', ids: ['DS026', 'DS-0026', 'AVD-DS-0026', 'no-healthcheck'], title: 'No HEALTHCHECK defined', rule: 'compose/healthcheck',
    note: 'shipshape adds the healthcheck to the compose service that builds the Dockerfile',
  },
  {
    tool: 'trivy', ids: ['DS031', 'DS-0031', 'AVD-DS-0031', 'do-not-pass-secrets'], title: 'Secrets passed via `build-args` or envs or copied secret files',
    rule: null, note: 'shipshape moves hardcoded secrets out of compose files, not out of Dockerfile ENV/ARG',
  },
  // ---- Checkov (checkov/dockerfile/checks)
  {
    tool: 'checkov', ids: ['CKV_DOCKER_2'], title: 'Ensure that HEALTHCHECK instructions have been added to container images', rule: 'compose/healthcheck',
    note: 'shipshape adds the healthcheck to the compose service that builds the Dockerfile',
  },
  { tool: 'checkov', ids: ['CKV_DOCKER_3'], title: 'Ensure that a user for the container has been created', rule: 'dockerfile/non-root-user' },
  { tool: 'checkov', ids: ['CKV_DOCKER_8'], title: 'Ensure the last USER is not root', rule: 'dockerfile/non-root-user' },
  // ---- KICS (assets/queries/dockerfile, assets/queries/dockerCompose)
  { tool: 'kics', ids: ['fd54f200-402c-4333-a5a4-36ef6709af2f'], title: 'Missing User Instruction', rule: 'dockerfile/non-root-user' },
  { tool: 'kics', ids: ['67fd0c4a-68cf-46d7-8c41-bc9fba7e40ae'], title: "Last User Is 'root'", rule: 'dockerfile/non-root-user' },
  {
    tool: 'kics', ids: ['b03a748a-542d-44f4-bb86-9199ab4fd2d5'], title: 'Healthcheck Instruction Missing', rule: 'compose/healthcheck',
    note: 'shipshape adds the healthcheck to the compose service that builds the Dockerfile',
  },
  { tool: 'kics', ids: ['b86987e1-6397-4619-81d5-8807f2387c79'], title: 'Not Using JSON In CMD And ENTRYPOINT Arguments', rule: 'dockerfile/exec-form' },
  { tool: 'kics', ids: ['698ed579-b239-4f8f-a388-baa4bcb13ef8'], title: 'Healthcheck Not Set', rule: 'compose/healthcheck' },
  { tool: 'kics', ids: ['bb9ac4f7-e13b-423d-a010-c74a1bfbe492'], title: 'Memory Not Limited', rule: 'compose/resource-limits' },
  { tool: 'kics', ids: ['6b610c50-99fb-4ef0-a5f3-e312fd945bc3'], title: 'Cpus Not Limited', rule: 'compose/resource-limits' },
  { tool: 'kics', ids: ['ce14a68b-1668-41a0-ab7d-facd9f784742'], title: 'Networks Not Set', rule: 'compose/network-segmentation' },
  {
    tool: 'kics', ids: ['451d79dc-0588-476a-ad03-3c7f0320abb3'], title: 'Container Traffic Not Bound To Host Interface', rule: 'compose/db-port-exposed',
    note: 'shipshape binds database and cache ports only',
  },
  // ---- Semgrep (semgrep-rules)
  { tool: 'semgrep', ids: ['dockerfile.security.missing-user.missing-user'], title: 'missing-user', rule: 'dockerfile/non-root-user' },
  { tool: 'semgrep', ids: ['dockerfile.security.missing-user-entrypoint.missing-user-entrypoint'], title: 'missing-user-entrypoint', rule: 'dockerfile/non-root-user' },
  { tool: 'semgrep', ids: ['dockerfile.security.last-user-is-root.last-user-is-root'], title: 'last-user-is-root', rule: 'dockerfile/non-root-user' },
  { tool: 'semgrep', ids: ['dockerfile.best-practice.prefer-json-notation.prefer-json-notation'], title: 'prefer-json-notation', rule: 'dockerfile/exec-form' },
  { tool: 'semgrep', ids: ['python.fastapi.security.wildcard-cors.wildcard-cors'], title: 'wildcard-cors', rule: 'python/cors-wildcard' },
  {
    tool: 'semgrep', ids: ['yaml.docker-compose.security.service-runs-as-root.service-runs-as-root'], title: 'service-runs-as-root', rule: null,
    note: "the compose file sets `user: root` explicitly; shipshape's non-root fix edits Dockerfiles",
  },
];

/** The tool a report (or SARIF run) comes from, by the name it gives itself. */
export function toolKey(name: string | undefined): ToolKey | undefined {
  const n = (name ?? '').toLowerCase();
  if (n.includes('hadolint')) return 'hadolint';
  if (n.includes('trivy')) return 'trivy';
  if (n.includes('checkov') || n.includes('prisma') || n.includes('bridgecrew')) return 'checkov';
  if (n.includes('kics')) return 'kics';
  if (n.includes('semgrep')) return 'semgrep';
  return undefined;
}

/** Trivy's ids in every spelling (DS2, DS002, DS-0002, AVD-DS-0002) → "DS002". */
function trivyCanonical(id: string): string | undefined {
  const m = /^(?:AVD-)?DS-?0*(\d{1,4})$/i.exec(id.trim());
  return m ? `DS${m[1]!.padStart(3, '0')}` : undefined;
}

function sameId(tool: ToolKey, known: string, id: string): boolean {
  const a = known.toLowerCase();
  const b = id.trim().toLowerCase();
  if (a === b) return true;
  if (tool === 'trivy') {
    const ca = trivyCanonical(known);
    return ca !== undefined && ca === trivyCanonical(id);
  }
  if (tool === 'semgrep' && a.includes('.')) {
    // Registry and local configs prefix the id with the rules' directory ("semgrep-rules.dockerfile…",
    // "rules.missing-user"): match on a dotted suffix, down to the rule's own id.
    if (b.endsWith('.' + a)) return true;
    const own = a.slice(a.lastIndexOf('.') + 1);
    return b === own || b.endsWith('.' + own);
  }
  return false;
}

/** The table entry for a tool's rule id; tool unknown: any tool whose ids match. */
export function lookupExternal(tool: ToolKey | undefined, ruleId: string): ExternalRule | undefined {
  const entries = tool ? EXTERNAL_RULES.filter((e) => e.tool === tool) : EXTERNAL_RULES;
  // Exact ids first, so a Semgrep suffix match never shadows an exact one.
  return (
    entries.find((e) => e.ids.some((k) => k.toLowerCase() === ruleId.trim().toLowerCase())) ??
    entries.find((e) => e.ids.some((k) => sameId(e.tool, k, ruleId)))
  );
}

/** Guess the tool from a rule id alone (SARIF from a tool with an unfamiliar name). */
export function toolOfRuleId(ruleId: string): ToolKey | undefined {
  const id = ruleId.trim();
  if (/^DL\d{4}$/.test(id)) return 'hadolint';
  if (trivyCanonical(id)) return 'trivy';
  if (/^CKV2?_[A-Z0-9]+_\d+$/.test(id)) return 'checkov';
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return 'kics';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Place semantics of shipshape rules

/**
 * `file`: at most one finding per file and problem (the whole Dockerfile runs as root), so any line
 * the other tool gives means the same finding. `line`: findings are per service, port, variable,
 * call or location, so lines must agree (same compose service, or within NEAR_LINES).
 */
export const RULE_SCOPE: Record<string, 'file' | 'line'> = {
  'dockerfile/non-root-user': 'file',
  'dockerfile/multi-stage-build': 'file',
  'dockerfile/dependency-cache-order': 'file',
  'dockerfile/exec-form': 'file',
  'dockerfile/dev-reload': 'file',
  'compose/network-segmentation': 'file',
  'compose/reverse-proxy': 'file',
  'compose/migrate-service': 'file',
  'python/settings-validation': 'file',
  'node/settings-validation': 'file',
  'repo/env-not-ignored': 'file',
};

export const NEAR_LINES = 3;

/** Rules whose finding lives elsewhere than the file other tools report: Dockerfile → compose service. */
export const RELOCATE: Record<string, 'compose-service-of-dockerfile'> = {
  'compose/healthcheck': 'compose-service-of-dockerfile',
};

// ---------------------------------------------------------------------------------------------
// Audit reports: phrases that tie an item to a rule

export interface AuditPhrases {
  /** Matched against the item's title and bold lead phrases ("**Running as root** - …"). */
  title: RegExp[];
  /** Matched against every sentence of the item that is not part of its suggested fix. */
  text: RegExp[];
}

const ROOT: AuditPhrases = {
  title: [/\bnon-?root\b/i, /\broot (?:user|execution|privileges?)\b/i, /\b(?:run|runs|running)\b[^.\n]{0,15}\bas `?root`?/i, /\blast user\b/i],
  text: [
    /\bnon-?root user\b/i,
    /\b(?:run|runs|running|execut\w*)\b[^.\n]{0,15}\bas `?root`?/i,
    /\broot (?:user|execution)\b/i,
    /\bno USER (?:instruction|directive)\b/i,
    /\blast USER\b[^.\n]{0,20}\broot\b/i,
  ],
};

const RELOAD: AuditPhrases = {
  title: [/\bhot.?reload/i, /--reload\b/, /\bauto.?reload/i, /\bdev(?:elopment)? server\b/i, /\bdebug mode\b/i],
  text: [/--reload\b/, /\bhot.?reload/i, /\bauto.?reload/i, /\bdev(?:elopment)? server\b/i, /\bdebug mode (?:is )?(?:on|enabled)\b/i, /\bnodemon\b/, /\bflask run\b/i, /\brunserver\b/],
};

const SETTINGS: AuditPhrases = {
  title: [/\bconfiguration management\b/i, /\binconsistent configuration\b/i, /\bconfig(?:uration)? validation\b/i, /\bsettings validation\b/i],
  text: [
    /\bvalidat\w* (?:of )?(?:all |the )?(?:required |missing )?(?:env(?:ironment)? var\w*|settings|config\w*)/i,
    /\bfail(?:s|ing)? fast\b/i,
    /\bSettings (?:class|model)\b/,
    /\b(?:omits|does not declare|not declared)\b[^.\n]{0,60}\b(?:environment )?variables\b/i,
  ],
};

const CALL_SITES: AuditPhrases = {
  title: [],
  text: [/os\.getenv\(?\)?`?[^.\n]{0,15}\bscattered\b/i, /\bscattered\b[^.\n]{0,30}\b(?:os\.getenv|getenv|os\.environ|process\.env)\b/i],
};

export const AUDIT_PHRASES: Record<string, AuditPhrases> = {
  'dockerfile/non-root-user': ROOT,
  'dockerfile/multi-stage-build': {
    title: [/\bmulti-?stage\b/i],
    text: [/\bmulti-?stage\b/i, /\bbuild-essential\b[^.\n]{0,60}\b(?:removed|final image|runtime image|production image)/i, /\bbuild (?:tools|toolchain) (?:ship|in the (?:final|runtime|production) image)/i],
  },
  'dockerfile/dependency-cache-order': {
    title: [/\blayer cach/i, /\bbuild cach/i],
    text: [
      /\blayer cach/i,
      /\binvalidates? (?:the )?(?:build |layer |docker )?cache\b/i,
      /\bcache (?:is )?invalidat/i,
      /\bcop(?:y|ies|ying) (?:the )?(?:source|code|sources)\b[^.\n]{0,20}\bbefore\b[^.\n]{0,30}\b(?:install|dependenc|requirements)/i,
    ],
  },
  'dockerfile/exec-form': {
    title: [/\bgraceful shutdown\b/i, /\bexec form\b/i, /\bshell form\b/i, /\bSIGTERM\b/],
    text: [/\bSIGTERM\b/, /\bsignals?\b[^.\n]{0,30}\b(?:forward|propagat|pass(?:ed|es)? (?:to|on))/i, /\b(?:forward|propagat)\w*\b[^.\n]{0,20}\bsignals?\b/i, /\bexec form\b/i, /\bshell form\b/i, /\bJSON (?:notation|array form)\b/i],
  },
  'dockerfile/dev-reload': RELOAD,
  'compose/dev-reload': {
    title: RELOAD.title,
    text: [...RELOAD.text, /\bbind[- ]mount\w*\b[^.\n]{0,20}\b(?:source|code)\b/i, /\b(?:source|code) (?:tree |directory )?(?:is )?bind[- ]mounted\b/i],
  },
  'compose/healthcheck': {
    title: [/\bhealth ?-?checks?\b(?! endpoints?)/i, /\bHEALTHCHECK\b/],
    text: [
      /\bHEALTHCHECK\b/,
      /\bno health ?-?checks?\b/i,
      /\bmissing health ?-?checks?\b(?! endpoints?)/i,
      /\bwithout (?:a )?health ?-?checks?\b/i,
      /\bhealth ?-?checks? (?:are |is )?missing\b/i,
    ],
  },
  'compose/hardcoded-secret': {
    title: [/\bhard-?coded\b[^.\n]{0,30}\b(?:secrets?|passwords?|credentials?|keys?)\b/i, /\bsecrets? management\b/i, /\bdefault passwords?\b/i],
    text: [
      /\bhard-?coded (?:default )?(?:secrets?|passwords?|credentials?|api keys?)\b/i,
      /\b(?:secrets?|passwords?|credentials?) (?:are |is )?hard-?coded\b/i,
      /\bdefault passwords?\b/i,
    ],
  },
  'compose/db-port-exposed': {
    title: [/\b(?:database|db) ports?\b[^.\n]{0,30}\b(?:exposed|published)\b/i],
    text: [
      /\bports? (?:are |is )?exposed to (?:the )?host\b/i,
      /\b(?:database|db|postgres\w*|redis|mysql|mongo\w*|clickhouse)\b[^.\n]{0,30}\bports?\b[^.\n]{0,20}\b(?:exposed|published|open) (?:to|on) (?:the )?(?:host|internet|world|all)/i,
      /\ball (?:host )?interfaces\b/i,
    ],
  },
  'compose/resource-limits': {
    title: [/\bresource limits?\b/i, /\b(?:memory|cpu) limits?\b/i],
    text: [/\bresource limits?\b/i, /\b(?:memory|cpu|cpus) limits?\b/i, /\bwithout (?:cpu|memory) limits\b/i],
  },
  'compose/reverse-proxy': {
    title: [/\breverse proxy\b/i],
    text: [/\breverse proxy\b/i, /\b(?:ssl|tls) termination\b/i, /\bexposes? (?:services )?on ports?\b[^.\n]{0,40}\bdirectly\b/i],
  },
  'compose/network-segmentation': {
    title: [/\bnetwork (?:segmentation|security|isolation)\b/i],
    text: [/\bnetwork segmentation\b/i, /\b(?:on|share) (?:the )?(?:same|one|a single) network\b/i, /\bseparate networks\b/i],
  },
  'compose/migrate-service': {
    title: [/\bmigrations?\b/i],
    text: [/\balembic\b[^.\n]{0,20}\bupgrade\b/i, /\bmigrations? (?:run|runs|are run|running)\b/i, /\brun(?:s|ning)? (?:the )?(?:database )?migrations\b/i],
  },
  'nginx/websocket-upgrade': {
    title: [/\bwebsocket\b[^.\n]{0,30}\b(?:upgrade|proxy)\b/i],
    text: [/\bwebsocket upgrade\b/i, /\bupgrade headers?\b/i, /\bproxy_http_version\b/],
  },
  'python/cors-wildcard': {
    title: [/\bCORS\b/],
    text: [/\ballow_origins\b/, /\bCORS\b[^.\n]{0,40}\b(?:any|every|all) origins?\b/i, /\bAccess-Control-Allow-Origin\b/i],
  },
  'python/weak-secret-default': {
    title: [/\bSECRET_KEY\b/, /\b(?:weak|empty) (?:secret|key)\b/i],
    text: [/\b(?:empty|weak|well-known|insecure) default(?: value)?\b/i, /\bSECRET_KEY\b[^.\n]{0,30}\b(?:empty|weak)\b/],
  },
  'python/settings-validation': SETTINGS,
  'node/settings-validation': SETTINGS,
  'python/getenv-call-site': CALL_SITES,
  'node/env-call-site': CALL_SITES,
  'python/undeclared-dependency': {
    title: [/\bmissing dependenc/i, /\bundeclared dependenc/i],
    text: [/\bnot (?:listed|declared) in\b/i, /\bmissing from (?:requirements|pyproject|the manifest)/i],
  },
  'repo/env-not-ignored': {
    title: [/\.gitignore\b/i, /\.env\b[^.\n]{0,30}\b(?:committed|ignored)\b/i],
    text: [/\.env\b[^.\n]{0,40}\.gitignore\b/i, /\bno `?\.gitignore`?/i, /\.env\b[^.\n]{0,30}\b(?:is )?committed\b/i],
  },
};
