// The compose model (src/project/compose.ts): services with their nodes, merge keys and anchors
// resolved for reading, where each value is defined, kinds by image, and depends_on edits.
import { describe, expect, it } from 'vitest';
import { parseYaml } from '../src/parsers/yaml.js';
import { applyEdits } from '../src/engine/edits.js';
import { Workspace } from '../src/workspace.js';
import { buildCompose, compose, dependsOnEdits, isDevComposeFile, kindOfImage, parseImage, parsePortShort } from '../src/project/compose.js';

const TEXT = `x-common: &common
  restart: unless-stopped
  environment: &env
    LOG_LEVEL: info
    SECRET_KEY: dev-secret # shared
  depends_on: &deps
    - db

services:
  db:
    image: docker.io/library/postgres:16-alpine
    environment:
      - POSTGRES_USER=app
      - POSTGRES_PASSWORD
    ports:
      - "5432:5432"
      - 127.0.0.1:6432:5432/tcp
      - target: 5432
        published: "7432"
        host_ip: 0.0.0.0
  api:
    <<: *common
    build:
      context: ./backend
      dockerfile: docker/Dockerfile.prod
    environment:
      <<: *env
      LOG_LEVEL: debug
      EMPTY:
    networks: [front, back]
  worker:
    <<: *common
    build: ./backend
    depends_on:
      db:
        condition: service_healthy
    networks:
      back: {}
  cache:
    image: bitnami/redis:7.2
`;

function load(file = 'deploy/compose.yaml') {
  return buildCompose(file, parseYaml(TEXT, file))!;
}

describe('compose model', () => {
  it('reads services, kinds, build paths relative to the compose file', () => {
    const cf = load();
    expect(cf.services.map((s) => [s.name, s.kind ?? null, s.line])).toEqual([
      ['db', 'postgres', 10],
      ['api', null, 21],
      ['worker', null, 31],
      ['cache', 'redis', 39],
    ]);
    const api = cf.service('api')!;
    expect([api.build?.context, api.build?.dockerfile]).toEqual(['deploy/backend', 'deploy/backend/docker/Dockerfile.prod']);
    expect([cf.service('worker')!.build?.context, cf.service('worker')!.build?.dockerfile]).toEqual(['deploy/backend', 'deploy/backend/Dockerfile']);
    expect(api.value.restart).toBe('unless-stopped');
  });

  it('resolves environment through merge keys and says where each entry is defined', () => {
    const cf = load();
    const api = cf.service('api')!;
    expect(api.environment.map((e) => [e.name, e.value, e.form, e.shared, e.anchor ?? null])).toEqual([
      ['LOG_LEVEL', 'debug', 'map', false, null],
      ['EMPTY', null, 'map', false, null],
      ['SECRET_KEY', 'dev-secret', 'map', true, 'env'],
    ]);
    const secret = api.environment.find((e) => e.name === 'SECRET_KEY')!;
    expect(TEXT.slice(secret.node.range![0], secret.node.range![1])).toBe('dev-secret');
    const worker = cf.service('worker')!;
    expect(worker.environmentNode?.shared).toBe(true);
    expect(worker.environment.map((e) => [e.name, e.value, e.shared, e.anchor])).toEqual([
      ['LOG_LEVEL', 'info', true, 'env'],
      ['SECRET_KEY', 'dev-secret', true, 'env'],
    ]);
    expect(cf.service('db')!.environment.map((e) => [e.name, e.value, e.form])).toEqual([
      ['POSTGRES_USER', 'app', 'list'],
      ['POSTGRES_PASSWORD', null, 'list'],
    ]);
  });

  it('parses ports in short and long syntax', () => {
    const db = load().service('db')!;
    expect(db.ports.map((p) => [p.syntax, p.hostIp ?? null, p.published ?? null, p.target, p.protocol ?? null])).toEqual([
      ['short', null, '5432', '5432', null],
      ['short', '127.0.0.1', '6432', '5432', 'tcp'],
      ['long', '0.0.0.0', '7432', '5432', null],
    ]);
    expect(parsePortShort('[::1]:80:8080')).toEqual({ hostIp: '::1', published: '80', target: '8080', protocol: undefined });
    expect(parsePortShort('8000')).toEqual({ hostIp: undefined, published: undefined, target: '8000', protocol: undefined });
  });

  it('reads depends_on (inherited list, own map), networks and dependents', () => {
    const cf = load();
    expect(cf.service('api')!.dependsOn.map((d) => [d.name, d.condition, d.form, d.shared])).toEqual([['db', 'service_started', 'list', true]]);
    expect(cf.service('worker')!.dependsOn.map((d) => [d.name, d.condition, d.form, d.shared])).toEqual([['db', 'service_healthy', 'map', false]]);
    expect(cf.service('api')!.networks).toEqual(['front', 'back']);
    expect(cf.service('worker')!.networks).toEqual(['back']);
    expect(cf.dependents('db').map((s) => s.name)).toEqual(['api', 'worker']);
    expect(cf.dependents('nothing')).toEqual([]);
    expect(cf.service('nothing')).toBeUndefined();
  });

  it('indexes services and dependents (a service listed twice under depends_on is one dependent; callers get their own list)', () => {
    const cf = buildCompose('compose.yaml', parseYaml('services:\n  db: {image: postgres}\n  a:\n    depends_on: [db, db]\n  b:\n    depends_on: {db: {condition: service_healthy}, a: {}}\n'))!;
    expect(cf.dependents('db').map((s) => s.name)).toEqual(['a', 'b']);
    expect(cf.dependents('a').map((s) => s.name)).toEqual(['b']);
    cf.dependents('db').pop();
    expect(cf.dependents('db').map((s) => s.name)).toEqual(['a', 'b']);
    expect(cf.service('b')).toBe(cf.services[2]);
  });

  it('parses a text once: the same path and text give the same model (validation, then detection), another text a new one', () => {
    const a = parseYaml(TEXT, 'parse-once/compose.yaml');
    expect(parseYaml(TEXT, 'parse-once/compose.yaml')).toBe(a);
    expect(parseYaml(TEXT, 'parse-once/other.yaml')).not.toBe(a);
    const b = parseYaml(TEXT + '# more\n', 'parse-once/compose.yaml');
    expect(b).not.toBe(a);
    expect(b.text).toBe(TEXT + '# more\n');
    expect(parseYaml(TEXT, 'parse-once/compose.yaml')).not.toBe(b);
    // A text that does not parse is refused every time.
    expect(() => parseYaml('a: [\n', 'parse-once/compose.yaml')).toThrow();
    expect(() => parseYaml('a: [\n', 'parse-once/compose.yaml')).toThrow();
  });

  it('image kinds and dev files', () => {
    expect(parseImage('ghcr.io/acme/api:1.2@sha256:abc')).toEqual({ registry: 'ghcr.io', name: 'acme/api', tag: '1.2', digest: 'sha256:abc' });
    expect(parseImage('localhost:5000/x')).toEqual({ registry: 'localhost:5000', name: 'x', tag: undefined, digest: undefined });
    const kinds: [string, string | undefined][] = [
      ['mariadb:11', 'mariadb'], ['mysql:8.4', 'mysql'], ['mongo:7', 'mongo'], ['rabbitmq:3-management', 'rabbitmq'],
      ['clickhouse/clickhouse-server:24', 'clickhouse'], ['pgvector/pgvector:pg16', 'postgres'], ['timescale/timescaledb:latest-pg16', 'postgres'],
      ['docker.elastic.co/elasticsearch/elasticsearch:8.13.0', 'elasticsearch'], ['memcached:1.6', 'memcached'], ['nginx:1.27-alpine', 'nginx'],
      ['traefik:v3', 'traefik'], ['caddy:2', 'caddy'], ['valkey/valkey:8', 'valkey'], ['python:3.12-slim', undefined], ['${IMAGE}', undefined],
    ];
    for (const [img, k] of kinds) expect(kindOfImage(img), img).toBe(k);
    expect(['docker-compose.dev.yml', 'compose.override.yaml', 'compose.local.yml', 'docker-compose.yml', 'compose.prod.yaml'].map(isDevComposeFile)).toEqual([true, true, true, false, false]);
  });

  it('caches per text version in a workspace', () => {
    const ws = Workspace.fromFiles({ 'compose.yaml': TEXT });
    const a = compose(ws, 'compose.yaml')!;
    expect(compose(ws, 'compose.yaml')).toBe(a);
    ws.setText('compose.yaml', TEXT.replace('bitnami/redis:7.2', 'redis:7'));
    expect(compose(ws, 'compose.yaml')).not.toBe(a);
  });
});

describe('dependsOnEdits', () => {
  it('raises an inherited condition where it is defined (the anchor) when the name is there', () => {
    const cf = load();
    const out = applyEdits(TEXT, dependsOnEdits(cf, cf.service('api')!, { db: 'service_healthy' }));
    expect(out).toBe(TEXT.replace('  depends_on: &deps\n    - db\n', '  depends_on: &deps\n    db:\n      condition: service_healthy\n'));
  });

  it('overrides on the service, repeating inherited entries, for a new name', () => {
    const cf = load();
    const out = applyEdits(TEXT, dependsOnEdits(cf, cf.service('api')!, { migrate: 'service_completed_successfully' }));
    expect(out).toBe(TEXT.replace('    networks: [front, back]\n', '    networks: [front, back]\n    depends_on:\n      db:\n        condition: service_started\n      migrate:\n        condition: service_completed_successfully\n'));
  });

  it('merges into an own map and adds to services without depends_on', () => {
    const cf = load();
    const edits = [
      ...dependsOnEdits(cf, cf.service('worker')!, { migrate: 'service_completed_successfully' }),
      ...dependsOnEdits(cf, cf.service('cache')!, { db: 'service_healthy' }),
    ];
    const out = applyEdits(TEXT, edits);
    expect(out).toBe(
      TEXT.replace('        condition: service_healthy\n', '        condition: service_healthy\n      migrate:\n        condition: service_completed_successfully\n').replace(
        '    image: bitnami/redis:7.2\n',
        '    image: bitnami/redis:7.2\n    depends_on:\n      db:\n        condition: service_healthy\n',
      ),
    );
    parseYaml(out);
  });
});
