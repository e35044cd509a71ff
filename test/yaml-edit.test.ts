// Unit tests of the comment-preserving YAML splice helpers (src/edit/yaml.ts): exact output, every
// untouched line byte-identical, comments/anchors/merge keys kept, 2- and 4-space files, flow style.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isMap, isScalar, isSeq, visit, type Node, type Scalar, type YAMLMap, type YAMLSeq } from 'yaml';
import { parseYaml } from '../src/parsers/yaml.js';
import { applyEdits } from '../src/engine/edits.js';
import { decodeText, encodeText } from '../src/workspace.js';
import type { ModifyEdit } from '../src/types.js';
import {
  appendToSeq,
  dependsOnToMap,
  findPair,
  flow,
  indentUnit,
  insertPair,
  mergeDependsOn,
  plainSafe,
  plainSafeUncached,
  quoted,
  removePair,
  removeSeqItem,
  replacePairValue,
  replaceScalar,
  sequenceIndented,
  styleOf,
  yamlTarget,
  inFlowContext,
  isFlow,
  YamlEditError,
  type YamlTarget,
} from '../src/edit/yaml.js';

function load(text: string): { t: YamlTarget; root: YAMLMap; at: (...keys: string[]) => unknown } {
  const m = parseYaml(text, 'compose.yaml');
  const root = m.doc.contents as YAMLMap;
  const at = (...keys: string[]): unknown => {
    let cur: unknown = root;
    for (const k of keys) {
      if (isSeq(cur)) cur = (cur as YAMLSeq).items[Number(k)];
      else cur = findPair(cur as YAMLMap, k)?.value;
    }
    return cur;
  };
  return { t: yamlTarget('compose.yaml', m), root, at };
}

function apply(text: string, edits: ModifyEdit[]): string {
  const out = applyEdits(text, edits);
  parseYaml(out); // still valid YAML
  return out;
}

/** Every line of `before` appears unchanged, in order, in `after` (only additions). */
function onlyAdded(before: string, after: string): void {
  const a = after.split('\n');
  let i = 0;
  for (const line of before.split('\n')) {
    while (i < a.length && a[i] !== line) i++;
    expect(i, `line kept: ${JSON.stringify(line)}`).toBeLessThan(a.length);
    i++;
  }
}

const COMPOSE2 = `# top comment
x-common: &common # anchor comment
  restart: unless-stopped
  environment: &env
    LOG_LEVEL: info # level

services:
  db:
    image: postgres:16 # pinned
    environment:
      POSTGRES_USER: app
      # POSTGRES_DB: app
    # volumes later

  # the api
  api:
    <<: *common
    build: .
    ports: ["8000:8000"] # public
`;

describe('style detection', () => {
  it('reads the indentation unit and sequence style', () => {
    expect(indentUnit(COMPOSE2)).toBe(2);
    expect(indentUnit('services:\n    db:\n        image: x\n        ports:\n            - "1:1"\n')).toBe(4);
    expect(indentUnit('a: 1\n')).toBe(2);
    expect(sequenceIndented('a:\n  - x\nb:\n  - y\n')).toBe(true);
    expect(sequenceIndented('a:\n- x\nb:\n- y\n')).toBe(false);
    expect(styleOf(load("a: 'x'\nb: 'y'\nc: \"z\"\n").t).quote).toBe("'");
    expect(styleOf(load('a: "x"\n').t).quote).toBe('"');
  });

  it('counts the quoted scalars of every place a search of the document meets (keys, flow, complex keys, anchors)', () => {
    const texts = [
      "'a': \"x\"\n\"b\": \"y\"\n",
      "a: ['x', 'y', \"z\"]\nb: {\"k\": \"v\"}\n",
      "? {'k1': 'v1', 'k2': x}\n: \"v\"\nc: &q \"w\"\nd: *q\ne: *q\n",
      "base: &b {'u': 1}\nsvc:\n  <<: *b\n  list:\n    - \"p\"\n    - [\"q\", {'r': \"s\"}]\n",
      "# only comments 'x' \"y\"\n",
    ];
    for (const text of texts) {
      const t = yamlTarget('f.yml', parseYaml(text));
      let d = 0;
      let s = 0;
      visit(t.doc!, {
        Scalar(_k, n) {
          if (n.type === 'QUOTE_DOUBLE') d++;
          else if (n.type === 'QUOTE_SINGLE') s++;
        },
      });
      expect(styleOf(t).quote, text).toBe(s > d ? "'" : '"');
    }
    // Ties and near-ties: the count decides, so one scalar more either way flips it.
    expect(styleOf(yamlTarget('f.yml', parseYaml("? {'k': 'v'}\n: \"a\"\n"))).quote).toBe("'");
    expect(styleOf(yamlTarget('f.yml', parseYaml("? {'k': \"v\"}\n: \"a\"\n"))).quote).toBe('"');
  });

  it('writes plain only what reads back as the same string in YAML 1.1 and 1.2', () => {
    for (const s of ['127.0.0.1', '1.2.3', 'postgres', 'service_healthy', '10s', '--reload', '${A:?A is required}', 'pg_isready -U app', 'a/b.c']) {
      expect(plainSafe(s), s).toBe(true);
    }
    for (const s of ['no', 'on', 'yes', 'true', 'null', '~', '5432:5432', '1.0', '8000', '0x1f', '', ' a', 'a: b', 'a #b', '*x', '&x', '- a', '"q"', "'q'", 'a\nb', '@x', '%x', '{a}', '[a]']) {
      expect(plainSafe(s), s).toBe(false);
    }
    expect(plainSafe('${A:?A is required}', true)).toBe(false); // braces end a flow scalar
  });

  it('knows which nodes sit in flow context (one index per document) as a search of the document does', () => {
    const text = 'a: [x, {y: z, w: [1, 2]}]\nb:\n  c: d\n  e: {f: g}\n  h:\n    - i\n    - [j, k]\n    - &n {l: m}\n  o: *n\n';
    const t = yamlTarget('f.yml', parseYaml(text));
    const reference = (node: Node) => {
      let found = false;
      visit(t.doc!, {
        Node(_k, n, path) {
          if (n !== node) return undefined;
          found = path.some((p) => isFlow(p as Node));
          return visit.BREAK;
        },
      });
      return found;
    };
    const nodes: Node[] = [];
    visit(t.doc!, { Node(_k, n) { nodes.push(n); } });
    expect(nodes.length).toBeGreaterThan(20);
    for (const n of nodes) expect(inFlowContext(t, n), String((n as Scalar).value ?? '')).toBe(reference(n));
    const flowScalars = nodes.filter((n) => isScalar(n) && inFlowContext(t, n)).map((n) => String((n as Scalar).value));
    expect(flowScalars).toEqual(['x', 'y', 'z', 'w', '1', '2', 'f', 'g', 'j', 'k', 'l', 'm']);
    expect(inFlowContext(t, parseYaml('q: [r]\n').doc.contents as Node)).toBe(false); // a node of another document
  });

  it('answers from its word fast path and its cache exactly as the definition (which parses) does', () => {
    const words = [
      'y', 'Y', 'n', 'N', 'yes', 'No', 'ON', 'off', 'true', 'False', 'null', 'Null', 'NULL', 'nan', 'NaN', 'inf', 'Inf', 'e1', 'E5',
      '_', '__', '_1', 'a', 'a-b', 'a_b', 'x1', 'service_healthy', 'healthcheck', 'start_period', 'CMD-SHELL', 'yes-no', 'true_', 'nullx',
      '0', '1e3', '0x1F', '0o7', '1_000', '.5', '.inf', '-', '-a', 'a-', '<<', '---', '...', 'a.b', 'a:b', 'a b', 'a#b', 'a #b',
    ];
    for (const inFlow of [false, true]) {
      for (const s of words) {
        expect(plainSafe(s, inFlow), `${s} ${inFlow}`).toBe(plainSafeUncached(s, inFlow));
        expect(plainSafe(s, inFlow), `${s} ${inFlow} (cached)`).toBe(plainSafeUncached(s, inFlow));
      }
    }
    const alphabet = fc.constantFrom(...'aAnNyYtTfFeE_-019.:# x<>[]{},\'"*&!|%@`~?/$'.split(''));
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 8 }).map((a) => a.join('')), fc.boolean(), (s, inFlow) => {
        expect(plainSafe(s, inFlow)).toBe(plainSafeUncached(s, inFlow));
        expect(plainSafe(s, inFlow)).toBe(plainSafeUncached(s, inFlow));
      }),
      { numRuns: 3000, seed: 9 },
    );
  });
});

describe('insertPair', () => {
  it('adds a block after the last key, after comments at the key column, before the next service and its comment', () => {
    const { t, at } = load(COMPOSE2);
    const out = apply(COMPOSE2, [insertPair(t, at('services', 'db') as YAMLMap, 'healthcheck', {
      test: flow(['CMD-SHELL', 'pg_isready -U app'], { quoteStrings: true }),
      interval: '10s',
      retries: 5,
    })]);
    expect(out).toBe(COMPOSE2.replace('    # volumes later\n', `    # volumes later
    healthcheck:
      test: ["CMD-SHELL", "pg_isready -U app"]
      interval: 10s
      retries: 5
`));
    onlyAdded(COMPOSE2, out);
  });

  it('adds after a given key and before a given key (above its comment lines)', () => {
    const { t, at } = load(COMPOSE2);
    const api = at('services', 'api') as YAMLMap;
    expect(apply(COMPOSE2, [insertPair(t, api, 'restart', quoted('no'), { after: 'build' })])).toBe(
      COMPOSE2.replace('    build: .\n', '    build: .\n    restart: "no"\n'),
    );
    const text = 'services:\n  a:\n    image: x\n    # the command\n    command: run\n';
    const l = load(text);
    expect(apply(text, [insertPair(l.t, l.at('services', 'a') as YAMLMap, 'init', true, { before: 'command' })])).toBe(
      'services:\n  a:\n    image: x\n    init: true\n    # the command\n    command: run\n',
    );
  });

  it('follows a 4-space file and a non-indented sequence style', () => {
    const text = 'services:\n    app:\n        image: x\n        ports:\n        - "80:80"\n';
    const { t, at } = load(text);
    const out = apply(text, [insertPair(t, at('services', 'app') as YAMLMap, 'networks', ['front', 'back'])]);
    expect(out).toBe(text + '        networks:\n        - front\n        - back\n');
  });

  it('inserts into flow maps and empty flow maps, keeping the map on its line', () => {
    const text = 'a: {x: 1} # c\nb: {}\n';
    const { t, at } = load(text);
    expect(apply(text, [insertPair(t, at('a') as YAMLMap, 'label', 'two words'), insertPair(t, at('b') as YAMLMap, 'k', { v: 1 })])).toBe(
      'a: {x: 1, label: two words} # c\nb: {k: {v: 1}}\n',
    );
  });

  it('appends a newline first when the file does not end with one', () => {
    const text = 'services:\n  a:\n    image: x';
    const { t, at } = load(text);
    expect(apply(text, [insertPair(t, at('services', 'a') as YAMLMap, 'init', true)])).toBe('services:\n  a:\n    image: x\n    init: true\n');
  });

  it('inserts into a map that is a sequence item at the key column after the dash', () => {
    const text = 'ports:\n  - target: 80\n    published: 8080 # pub\n';
    const { t, at } = load(text);
    expect(apply(text, [insertPair(t, at('ports', '0') as YAMLMap, 'host_ip', '127.0.0.1')])).toBe(
      'ports:\n  - target: 80\n    published: 8080 # pub\n    host_ip: 127.0.0.1\n',
    );
  });
});

describe('replaceScalar', () => {
  it('keeps plain, double, single and block styles and the end-of-line comment', () => {
    const text = "a: plain # c\nb: \"dq\" # c\nc: 'sq'\nd: |\n  line1\n  line2\ne: x\n";
    const { t, at } = load(text);
    const out = apply(text, [
      replaceScalar(t, at('a') as Scalar, 'new'),
      replaceScalar(t, at('b') as Scalar, 'it "is"'),
      replaceScalar(t, at('c') as Scalar, "it's"),
      replaceScalar(t, at('d') as Scalar, 'one\ntwo\n'),
    ]);
    expect(out).toBe("a: new # c\nb: \"it \\\"is\\\"\" # c\nc: 'it''s'\nd: |\n  one\n  two\ne: x\n");
  });

  it('quotes a plain scalar when the new value needs it, in the file quote style', () => {
    const text = "a: x\nb: 'y'\nc: 'z'\n";
    const { t, at } = load(text);
    expect(apply(text, [replaceScalar(t, at('a') as Scalar, '5432:5432')])).toBe("a: '5432:5432'\nb: 'y'\nc: 'z'\n");
  });

  it('quotes in flow context what would break a flow collection', () => {
    const text = 'e: [A=x, B=y]\n';
    const { t, at } = load(text);
    expect(apply(text, [replaceScalar(t, (at('e') as YAMLSeq).items[0] as Scalar, 'A=${A:?A is required}')])).toBe(
      'e: ["A=${A:?A is required}", B=y]\n',
    );
  });

  it('edits a value inside an anchor once, where it is defined, keeping anchor and aliases', () => {
    const { t, at } = load(COMPOSE2);
    const env = at('x-common', 'environment') as YAMLMap;
    const out = apply(COMPOSE2, [replaceScalar(t, findPair(env, 'LOG_LEVEL')!.value as Scalar, 'warning')]);
    expect(out).toBe(COMPOSE2.replace('LOG_LEVEL: info # level', 'LOG_LEVEL: warning # level'));
    expect(out).toContain('<<: *common');
  });
});

describe('sequences', () => {
  it('appends to block sequences at their dash column, after the last item and its comments', () => {
    const text = 'a:\n  - x # one\n  # - y\nb:\n- p\n';
    const { t, at } = load(text);
    expect(apply(text, [appendToSeq(t, at('a') as YAMLSeq, 'z'), appendToSeq(t, at('b') as YAMLSeq, { k: 'v', w: 1 })])).toBe(
      'a:\n  - x # one\n  # - y\n  - z\nb:\n- p\n- k: v\n  w: 1\n',
    );
  });

  it('appends to flow sequences, empty ones and ones with a trailing comma', () => {
    const text = 'a: [x, y] # c\nb: []\nc: [p,]\n';
    const { t, at } = load(text);
    expect(apply(text, [appendToSeq(t, at('a') as YAMLSeq, 'z'), appendToSeq(t, at('b') as YAMLSeq, 'q'), appendToSeq(t, at('c') as YAMLSeq, 'r')])).toBe(
      'a: [x, y, z] # c\nb: [q]\nc: [p, r]\n',
    );
  });
});

describe('removal', () => {
  it('removes a pair with its nested lines and its end-of-line comment, keeping comments above', () => {
    const text = 'svc:\n  image: x\n  # reload for dev\n  command: >\n    uvicorn app\n    --reload\n  init: true # c\n';
    const { t, at } = load(text);
    expect(apply(text, [removePair(t, at('svc') as YAMLMap, 'command')])).toBe('svc:\n  image: x\n  # reload for dev\n  init: true # c\n');
    expect(apply(text, [removePair(t, at('svc') as YAMLMap, 'command', { withLeadingComments: true })])).toBe('svc:\n  image: x\n  init: true # c\n');
  });

  it('removes sequence items in block and flow style', () => {
    const text = 'a:\n  - x\n  - y # why\n  - z\nb: [p, q, r]\nc: [s]\n';
    const { t, at } = load(text);
    expect(apply(text, [removeSeqItem(t, at('a') as YAMLSeq, 1), removeSeqItem(t, at('b') as YAMLSeq, 0), removeSeqItem(t, at('c') as YAMLSeq, 0)])).toBe(
      'a:\n  - x\n  - z\nb: [q, r]\nc: []\n',
    );
    const l2 = load(text);
    expect(apply(text, [removeSeqItem(l2.t, l2.at('b') as YAMLSeq, 2)])).toBe(text.replace('[p, q, r]', '[p, q]'));
  });

  it('refuses to empty a block collection', () => {
    const { t, at } = load('a:\n  - x\n');
    expect(() => removeSeqItem(t, at('a') as YAMLSeq, 0)).toThrow(YamlEditError);
  });
});

describe('depends_on', () => {
  it('converts a block list to map form, keeping comments, and adds names', () => {
    const text = 'services:\n  api:\n    depends_on:\n      - db # database\n      # the cache\n      - redis\n    image: x\n';
    const { t, at } = load(text);
    const p = findPair(at('services', 'api') as YAMLMap, 'depends_on')!;
    expect(apply(text, dependsOnToMap(t, p, { db: 'service_healthy' }, ['migrate']))).toBe(
      'services:\n  api:\n    depends_on:\n      db: # database\n        condition: service_healthy\n      # the cache\n      redis:\n        condition: service_started\n      migrate:\n        condition: service_started\n    image: x\n',
    );
  });

  it('converts a non-indented list (keys then indented under depends_on) and a flow list', () => {
    const text = 'api:\n  depends_on:\n  - db\n  image: x\nw:\n  depends_on: [db, redis] # both\n';
    const { t, at } = load(text);
    const edits = [
      ...dependsOnToMap(t, findPair(at('api') as YAMLMap, 'depends_on')!, { db: 'service_healthy' }),
      ...dependsOnToMap(t, findPair(at('w') as YAMLMap, 'depends_on')!, { redis: 'service_healthy' }),
    ];
    expect(apply(text, edits)).toBe(
      'api:\n  depends_on:\n    db:\n      condition: service_healthy\n  image: x\nw:\n  depends_on: # both\n    db:\n      condition: service_started\n    redis:\n      condition: service_healthy\n',
    );
  });

  it('merges into map form: adds names, raises service_started, keeps stronger conditions', () => {
    const text = 'api:\n  image: x\n  depends_on:\n    db:\n      condition: service_started\n      restart: true\n    redis:\n      condition: service_healthy\n    q: {required: false}\n';
    const { t, at } = load(text);
    const out = apply(text, mergeDependsOn(t, at('api') as YAMLMap, { db: 'service_healthy', redis: 'service_completed_successfully', q: 'service_healthy', migrate: 'service_completed_successfully' }));
    expect(out).toBe(
      'api:\n  image: x\n  depends_on:\n    db:\n      condition: service_healthy\n      restart: true\n    redis:\n      condition: service_healthy\n    q: {required: false, condition: service_healthy}\n    migrate:\n      condition: service_completed_successfully\n',
    );
  });

  it('adds a depends_on map to a service without one, and replaces an empty one', () => {
    const text = 'api:\n  image: x # img\nw:\n  depends_on:\n  image: y\n';
    const { t, at } = load(text);
    expect(apply(text, [...mergeDependsOn(t, at('api') as YAMLMap, { db: 'service_healthy' }), ...mergeDependsOn(t, at('w') as YAMLMap, { db: 'service_healthy' })])).toBe(
      'api:\n  image: x # img\n  depends_on:\n    db:\n      condition: service_healthy\nw:\n  depends_on:\n    db:\n      condition: service_healthy\n  image: y\n',
    );
  });

  it('keeps an anchor on a flow list it converts', () => {
    const text = 'x-deps: &deps [db]\napi:\n  depends_on: *deps\n';
    const { t, root } = load(text);
    const out = apply(text, dependsOnToMap(t, findPair(root, 'x-deps')!, { db: 'service_healthy' }));
    expect(out).toBe('x-deps: &deps\n  db:\n    condition: service_healthy\napi:\n  depends_on: *deps\n');
    expect(isMap(findPair(parseYaml(out).doc.contents as YAMLMap, 'x-deps')!.value)).toBe(true);
  });
});

describe('replacePairValue', () => {
  it('replaces an inline value with a block, keeping the key line comment', () => {
    const text = 'a:\n  k: [1, 2] # c\n  z: 1\n';
    const { t, at } = load(text);
    expect(apply(text, replacePairValue(t, findPair(at('a') as YAMLMap, 'k')!, { x: 'v' }))).toBe('a:\n  k: # c\n    x: v\n  z: 1\n');
  });
});

describe('CRLF files', () => {
  it('edits the normalised text; written back, every line is CRLF again', () => {
    const crlf = Buffer.from('services:\r\n  db:\r\n    image: redis:7 # cache\r\n\r\n  api:\r\n    image: x\r\n');
    const d = decodeText(crlf, 'compose.yaml');
    expect(d.crlf).toBe(true);
    const { t, at } = load(d.text);
    const out = apply(d.text, [insertPair(t, at('services', 'db') as YAMLMap, 'healthcheck', { test: flow(['CMD', 'redis-cli', 'ping'], { quoteStrings: true }) })]);
    const bytes = encodeText(out, { bom: false, crlf: true, mode: 0o644 }).toString('utf8');
    expect(bytes).toBe('services:\r\n  db:\r\n    image: redis:7 # cache\r\n    healthcheck:\r\n      test: ["CMD", "redis-cli", "ping"]\r\n\r\n  api:\r\n    image: x\r\n');
  });
});

describe('properties (fast-check)', () => {
  // Random block maps of services with comments and blank lines, 2- or 4-space indentation: inserting
  // a key into any service keeps every original line, in order, and adds exactly the new pair.
  const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,7}$/);
  const scalar = fc.oneof(fc.stringMatching(/^[a-z][a-z0-9 ._-]{0,12}$/).map((s) => s.trim() || 'x'), fc.constantFrom('"5432:5432"', "'no'", '10', 'true', '${A:-b}'));
  const service = fc.record({
    keys: fc.uniqueArray(fc.tuple(name, scalar, fc.boolean()), { minLength: 1, maxLength: 4, selector: (t) => t[0] }),
    trailingComment: fc.boolean(),
  });
  const file = fc.record({ indent: fc.constantFrom(2, 4), services: fc.uniqueArray(fc.tuple(name, service), { minLength: 1, maxLength: 4, selector: (t) => t[0] }), blank: fc.boolean() });

  it('insertPair keeps every line and adds only the pair', () => {
    fc.assert(
      fc.property(file, fc.nat(), ({ indent, services, blank }, pick) => {
        const u = ' '.repeat(indent);
        let text = '# header\nservices:\n';
        for (const [svc, s] of services) {
          text += `${u}# ${svc}\n${u}${svc}:\n`;
          for (const [k, v, c] of s.keys) text += `${u}${u}${k}: ${v}${c ? ' # note' : ''}\n`;
          if (s.trailingComment) text += `${u}${u}# trailing\n`;
          if (blank) text += '\n';
        }
        text += '# footer\nvolumes: {}\n';
        const { t, at } = load(text);
        const [target] = services[pick % services.length]!;
        const map = at('services', target) as YAMLMap;
        const out = apply(text, [insertPair(t, map, 'zz_new', { a: 1, b: 'two words' })]);
        onlyAdded(text, out);
        const added = out.split('\n').length - text.split('\n').length;
        expect(added).toBe(3);
        const value = parseYaml(out).value as { services: Record<string, Record<string, unknown>> };
        expect(value.services[target]!.zz_new).toEqual({ a: 1, b: 'two words' });
        const before = parseYaml(text).value as { services: Record<string, Record<string, unknown>> };
        for (const [svc] of services) {
          const { zz_new: _drop, ...rest } = value.services[svc]!;
          expect(rest).toEqual(before.services[svc]);
        }
      }),
      { numRuns: 150 },
    );
  });
});
