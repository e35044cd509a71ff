// File kinds by path alone: discovery never reads a file to classify it.
import type { FileKind } from './types.js';

const DOCKERFILE = /^(?:(?:Dockerfile|Containerfile)(?:\.[^/]+)?|[^/]+\.(?:Dockerfile|dockerfile|Containerfile|containerfile))$/;
const COMPOSE = /^(?:docker-)?compose(?:[.-][^/]+)?\.ya?ml$/;
const REQUIREMENTS = /^requirements[^/]*\.txt$/;
const TS_JS = /\.(?:ts|tsx|mts|cts|js|jsx|mjs|cjs)$/;
const NGINX_DIR = /(?:^|\/)(?:nginx[^/]*|conf\.d|sites-available|sites-enabled|http\.d)\//;

export function classify(file: string): FileKind {
  const base = file.slice(file.lastIndexOf('/') + 1);
  if (DOCKERFILE.test(base) && !base.endsWith('.dockerignore')) return 'dockerfile';
  if (COMPOSE.test(base)) return 'compose';
  if (base === 'nginx.conf' || ((base.endsWith('.conf') || base.endsWith('.conf.template')) && NGINX_DIR.test(file))) {
    return 'nginx';
  }
  if (base.endsWith('.py')) return 'python';
  if (TS_JS.test(base) && !/\.d\.[mc]?ts$/.test(base)) return 'typescript';
  if (REQUIREMENTS.test(base) || base === 'pyproject.toml' || base === 'package.json') return 'manifest';
  if (/(?:^|\/)requirements\/[^/]+\.txt$/.test(file)) return 'manifest';
  return 'other';
}

export function basename(file: string): string {
  return file.slice(file.lastIndexOf('/') + 1);
}

export function dirname(file: string): string {
  const i = file.lastIndexOf('/');
  return i === -1 ? '' : file.slice(0, i);
}

/** Join POSIX relative paths, resolving '.' and '..' segments (never above the root). */
export function joinPath(...parts: string[]): string {
  // Fast path (it is called for every path a rule looks up): parts that are already normal —
  // no '.' or '..' segment, no empty segment — are joined as they are.
  let fast = '';
  let normal = true;
  for (const part of parts) {
    if (part === '') continue;
    if (part.includes('./') || part.includes('//') || part.startsWith('/') || part.endsWith('/') || part.endsWith('.')) {
      normal = false;
      break;
    }
    fast = fast === '' ? part : fast + '/' + part;
  }
  if (normal) return fast;
  const out: string[] = [];
  for (const part of parts) {
    for (const seg of part.split('/')) {
      if (!seg || seg === '.') continue;
      if (seg === '..') out.pop();
      else out.push(seg);
    }
  }
  return out.join('/');
}
