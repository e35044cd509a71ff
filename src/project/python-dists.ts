// Python packaging knowledge as data: which distribution provides an import name when the two
// differ, which distributions come with another one, and version specifiers known to be good.

/**
 * Import name → distribution, for the well-known mismatches. Dotted keys are namespace packages
 * (matched before their first segment). Anything not listed is assumed to be installed under its
 * import name (compared after PEP 503 normalisation, so `langchain_openai` matches `langchain-openai`).
 */
export const IMPORT_TO_DIST: Readonly<Record<string, string>> = {
  sentry_sdk: 'sentry-sdk',
  yaml: 'PyYAML',
  PIL: 'Pillow',
  cv2: 'opencv-python',
  sklearn: 'scikit-learn',
  skimage: 'scikit-image',
  bs4: 'beautifulsoup4',
  dateutil: 'python-dateutil',
  dotenv: 'python-dotenv',
  jose: 'python-jose',
  jwt: 'PyJWT',
  magic: 'python-magic',
  multipart: 'python-multipart',
  psycopg2: 'psycopg2-binary',
  psycopg: 'psycopg',
  MySQLdb: 'mysqlclient',
  Crypto: 'pycryptodome',
  Cryptodome: 'pycryptodomex',
  OpenSSL: 'pyOpenSSL',
  serial: 'pyserial',
  usb: 'pyusb',
  zmq: 'pyzmq',
  attr: 'attrs',
  pkg_resources: 'setuptools',
  fitz: 'PyMuPDF',
  docx: 'python-docx',
  pptx: 'python-pptx',
  telegram: 'python-telegram-bot',
  discord: 'discord.py',
  git: 'GitPython',
  slugify: 'python-slugify',
  socketio: 'python-socketio',
  engineio: 'python-engineio',
  websocket: 'websocket-client',
  grpc: 'grpcio',
  faiss: 'faiss-cpu',
  jinja2: 'Jinja2',
  markdown: 'Markdown',
  magic_link: 'magic-link',
  ldap: 'python-ldap',
  Levenshtein: 'Levenshtein',
  pythonjsonlogger: 'python-json-logger',
  json_log_formatter: 'JSON-log-formatter',
  email_validator: 'email-validator',
  passlib: 'passlib',
  lxml: 'lxml',
  win32api: 'pywin32',
  pydantic_settings: 'pydantic-settings',
  'google.generativeai': 'google-generativeai',
  'google.genai': 'google-genai',
  'google.cloud.storage': 'google-cloud-storage',
  'google.cloud.pubsub': 'google-cloud-pubsub',
  'google.cloud.firestore': 'google-cloud-firestore',
  'google.cloud.bigquery': 'google-cloud-bigquery',
  'google.cloud.secretmanager': 'google-cloud-secret-manager',
  'google.oauth2': 'google-auth',
  'google.auth': 'google-auth',
  'google.protobuf': 'protobuf',
  'azure.storage.blob': 'azure-storage-blob',
  'azure.identity': 'azure-identity',
};

/** Distributions that also provide the import (a declared alternative satisfies the import). */
export const ALTERNATIVE_DISTS: Readonly<Record<string, readonly string[]>> = {
  'psycopg2-binary': ['psycopg2'],
  psycopg: ['psycopg-binary', 'psycopg-c'],
  'opencv-python': ['opencv-python-headless', 'opencv-contrib-python', 'opencv-contrib-python-headless'],
  'faiss-cpu': ['faiss-gpu', 'faiss'],
  'python-jose': ['python-jose-cryptodome'],
  PyJWT: ['jwt'],
};

/**
 * Distributions installed with another one, so importing them without declaring them is common
 * and harmless (FastAPI brings Starlette and pydantic, …): distribution → distributions bringing it.
 */
export const IMPLIED_BY: Readonly<Record<string, readonly string[]>> = {
  starlette: ['fastapi'],
  pydantic: ['fastapi', 'pydantic-settings', 'sqlmodel', 'langchain', 'langchain-core', 'openai', 'anthropic'],
  'pydantic-core': ['pydantic'],
  'typing-extensions': ['pydantic', 'fastapi', 'sqlalchemy'],
  anyio: ['fastapi', 'starlette', 'httpx', 'openai'],
  sniffio: ['anyio'],
  h11: ['uvicorn', 'httpx'],
  click: ['uvicorn', 'flask', 'celery'],
  werkzeug: ['flask'],
  Jinja2: ['flask'],
  itsdangerous: ['flask'],
  markupsafe: ['jinja2', 'flask'],
  kombu: ['celery'],
  billiard: ['celery'],
  vine: ['celery'],
  sqlalchemy: ['sqlmodel', 'alembic', 'flask-sqlalchemy'],
  mako: ['alembic'],
  httpcore: ['httpx'],
  certifi: ['requests', 'httpx'],
  idna: ['requests', 'httpx'],
  urllib3: ['requests', 'botocore'],
  'charset-normalizer': ['requests'],
  botocore: ['boto3'],
  s3transfer: ['boto3'],
  'python-dateutil': ['botocore', 'pandas'],
  numpy: ['pandas', 'scikit-learn', 'opencv-python', 'opencv-python-headless'],
  'langchain-core': ['langchain', 'langchain-openai', 'langchain-community'],
  'python-dotenv': ['pydantic-settings'],
  websockets: ['uvicorn'],
  uvloop: ['uvicorn'],
  PyYAML: ['uvicorn'],
  'email-validator': [],
  'google-auth': ['google-generativeai', 'google-cloud-storage', 'google-api-python-client'],
  protobuf: ['grpcio-tools', 'google-generativeai'],
  redis: ['celery'],
};

/**
 * Known-good versions, for a new entry written in the manifest's style: `floor` for lower-bound
 * styles (`>=`, `^`, `~=`), `pin` for files that pin every line with `==`. Distributions missing
 * here are declared without a version.
 */
export const KNOWN_VERSIONS: Readonly<Record<string, { floor: string; pin: string }>> = {
  'sentry-sdk': { floor: '2', pin: '2.19.2' },
  pyyaml: { floor: '6', pin: '6.0.2' },
  pillow: { floor: '10', pin: '11.0.0' },
  'python-dotenv': { floor: '1', pin: '1.0.1' },
  requests: { floor: '2.31', pin: '2.32.3' },
  httpx: { floor: '0.27', pin: '0.28.1' },
  redis: { floor: '5', pin: '5.2.1' },
  pyjwt: { floor: '2.8', pin: '2.10.1' },
  'python-multipart': { floor: '0.0.9', pin: '0.0.20' },
  'email-validator': { floor: '2', pin: '2.2.0' },
  'python-jose': { floor: '3.3', pin: '3.3.0' },
  'pydantic-settings': { floor: '2.7', pin: '2.7.1' },
};

/**
 * pydantic-settings releases and the oldest pydantic each one accepts (its `pydantic>=` floor),
 * newest first: a pinned project gets the newest release its pinned pydantic allows.
 * NoDecode (comma-separated lists read as strings) exists from 2.7.0 on.
 */
export const PYDANTIC_SETTINGS_RELEASES: readonly { version: string; minPydantic: [number, number] }[] = [
  { version: '2.7.1', minPydantic: [2, 7] },
  { version: '2.2.1', minPydantic: [2, 3] },
  { version: '2.0.3', minPydantic: [2, 0] },
];

/** PEP 503 normalised distribution name. */
export function normalizeDist(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** The distribution that provides a dotted import (`google.generativeai`, `sentry_sdk.integrations`). */
export function distributionFor(moduleName: string): string {
  const parts = moduleName.split('.');
  for (let n = parts.length; n >= 1; n--) {
    const key = parts.slice(0, n).join('.');
    const d = IMPORT_TO_DIST[key];
    if (d) return d;
  }
  return parts[0]!.replace(/_/g, '-');
}
