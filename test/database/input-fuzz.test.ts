import fc from 'fast-check';
import { ROLES } from '../../domain/roles';
import { ROUTE_CATALOGUE } from '../../server/api/catalog';
import { MAX_INPUT_DEPTH } from '../../server/api/input-hygiene';
import { buildOpenApiDocument } from '../../server/api/openapi';
import { createUser } from '../../server/auth/service';
import type { Db } from '../../server/db';
import { getOrganisationByCode, seedReferenceData } from '../../server/reference';
import { loginCookie, TEST_PASSWORD } from '../support/accounts';
import { startApi } from '../support/api';
import { openFreshDatabase } from '../support/system';

/**
 * Fuzz over every operation of the OpenAPI document (GET /api/openapi.json, built from the route
 * catalogue), deterministic (fast-check with a fixed seed), as people holding every permission:
 * path ids, query parameters and JSON bodies get wrong types, null, 100 KB strings, odd numbers
 * (1e308, -0, 5e-324, 2^53, 1e400 and "NaN"/"Infinity" as strings), odd Unicode, unknown fields,
 * deep nesting, malformed JSON, non-UTF-8 bytes and bodies over the size limit. No answer is a
 * 5xx (a 503 only where the route documents one: the engine is not running here).
 * Text with an unpaired surrogate, a control character or a noncharacter — in a path, a query
 * parameter, a body value or a body key — is refused by every route with 400 INVALID_TEXT, and
 * the database is unchanged afterwards.
 */

const SEED = 20261202;
/** A generator seeded by the operation, so each operation's cases are the same in every run and in any test. */
function seeded(name: string): () => number {
  let s = SEED;
  for (const ch of name) s = (s * 31 + ch.charCodeAt(0)) & 0x7fffffff;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
}
let rng = seeded('');
const pick = <T>(xs: readonly T[], n: number): T[] => {
  const copy = [...xs];
  const out: T[] = [];
  while (copy.length && out.length < n) out.push(copy.splice(Math.floor(rng() * copy.length), 1)[0]!);
  return out;
};

const BIG = 'x'.repeat(100_000);
/** JSON values that are wrong or odd for almost any field. */
const ODD: unknown[] = [
  null,
  true,
  0,
  -0,
  -1,
  1.5,
  1e308,
  -1e308,
  2 ** 53,
  5e-324,
  'NaN',
  'Infinity',
  '-0',
  '1e308',
  '',
  ' ',
  BIG,
  [],
  {},
  [null],
  { a: { b: 1 } },
  '中文',
  '😀',
  '\u202Etxt',
  '1,000',
  "'; DROP TABLE users; --",
  '../../etc/passwd',
  '<script>alert(1)</script>',
  '2026-02-30',
  '9'.repeat(400),
];
/** Numbers JSON can spell but JavaScript cannot hold as written. */
const RAW_NUMBERS = ['1e400', '-1e400', '1e-400', '123456789012345678901234567890', '-0.0'];
/** Text no one can have typed. */
const BAD_TEXT = ['\uD800', 'a\uDFFFb', '\uDBFF', 'x\u0000y', '\u0007', '\u001b[31m', '\u007f', '\u0085', '\uFFFE', '\u{10FFFF}'];
const PATH_ODD = [
  '0',
  '-1',
  '1e308',
  'NaN',
  '9'.repeat(30),
  'x'.repeat(2000),
  '%E4%B8%AD%E6%96%87',
  '%25',
  '..%2F..%2Fetc',
  '%F0%9F%98%80',
  '%ED%A0%80',
  '%',
  '%zz',
  '%00',
];
/** Malformed or unusual JSON bodies, with the Content-Type they are sent under. */
const MALFORMED: Array<{ name: string; type: string; bytes: Buffer }> = [
  { name: 'truncated', type: 'application/json', bytes: Buffer.from('{"a":') },
  { name: 'unquoted keys', type: 'application/json', bytes: Buffer.from('{a:1}') },
  { name: 'trailing comma', type: 'application/json', bytes: Buffer.from('{"a":1,}') },
  { name: 'a bare string', type: 'application/json', bytes: Buffer.from('"str"') },
  { name: 'a bare number', type: 'application/json', bytes: Buffer.from('1') },
  { name: 'null', type: 'application/json', bytes: Buffer.from('null') },
  { name: 'an array', type: 'application/json', bytes: Buffer.from('[1,2,3]') },
  { name: 'NUL byte', type: 'application/json', bytes: Buffer.from('{"a":"\u0000"}') },
  { name: 'not UTF-8', type: 'application/json', bytes: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]) },
  {
    name: 'UTF-8 encoded surrogate',
    type: 'application/json',
    bytes: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d]),
  },
  { name: 'BOM', type: 'application/json', bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{}')]) },
  { name: 'latin1 charset', type: 'application/json; charset=latin1', bytes: Buffer.from('{}') },
  { name: 'UTF-16', type: 'application/json; charset=utf-16', bytes: Buffer.from('{}', 'utf16le') },
  { name: 'duplicate keys', type: 'application/json', bytes: Buffer.from('{"a":1,"a":2}') },
  { name: '__proto__', type: 'application/json', bytes: Buffer.from('{"__proto__":{"isAdmin":true},"constructor":{"prototype":{"x":1}}}') },
  {
    name: 'deep',
    type: 'application/json',
    bytes: Buffer.from(`${'{"a":'.repeat(MAX_INPUT_DEPTH + 8)}1${'}'.repeat(MAX_INPUT_DEPTH + 8)}`),
  },
  { name: 'very deep', type: 'application/json', bytes: Buffer.from(`${'['.repeat(50_000)}${']'.repeat(50_000)}`) },
  { name: 'over the size limit', type: 'application/json', bytes: Buffer.from(JSON.stringify({ a: 'x'.repeat(1_100_000) })) },
  { name: 'form-encoded', type: 'application/x-www-form-urlencoded', bytes: Buffer.from('a=1&b=%ED%A0%80') },
  { name: 'text', type: 'text/plain', bytes: Buffer.from('\u0000\uFFFD') },
];

/**
 * encodeURIComponent, except that a lone surrogate (which it refuses) is written as the three
 * bytes UTF-8 would give it (ED A0 80 …): how such a string reaches a URL from a sloppy client.
 */
function encodeText(s: string): string {
  return s.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]|[\s\S]/g, (ch) => {
    const u = ch.charCodeAt(0);
    if (ch.length === 1 && u >= 0xd800 && u <= 0xdfff)
      return [0xe0 | (u >> 12), 0x80 | ((u >> 6) & 0x3f), 0x80 | (u & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    return encodeURIComponent(ch);
  });
}

type JsonSchema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minItems?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  additionalProperties?: JsonSchema | boolean;
  default?: unknown;
};

/** A plausible value for a schema: what a client that read the document would send. */
function exampleOf(s: JsonSchema | undefined, depth = 0): unknown {
  if (!s || depth > 6) return 'x';
  if (s.const !== undefined) return s.const;
  if (s.enum?.length) return s.enum[0];
  if (s.anyOf?.length) return exampleOf(s.anyOf.find((x) => x.type !== 'null') ?? s.anyOf[0], depth + 1);
  if (s.oneOf?.length) return exampleOf(s.oneOf[0], depth + 1);
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  switch (type) {
    case 'object':
      return Object.fromEntries(Object.entries(s.properties ?? {}).map(([k, v]) => [k, exampleOf(v, depth + 1)]));
    case 'array':
      return Array.from({ length: Math.max(1, s.minItems ?? 1) }, () => exampleOf(s.items, depth + 1));
    case 'integer':
    case 'number':
      return Math.min(Math.max(s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : 1), 1), s.maximum ?? 1);
    case 'boolean':
      return true;
    case 'string':
      if (s.pattern) return fc.sample(fc.stringMatching(new RegExp(s.pattern)), { seed: SEED, numRuns: 1 })[0];
      return 'x'.repeat(Math.max(1, s.minLength ?? 1));
    default:
      return 'x';
  }
}

/** Every leaf of a JSON value, as a path of keys and indexes. */
function leaves(v: unknown, path: Array<string | number> = []): Array<Array<string | number>> {
  // The root itself is not a leaf: a body must be an object.
  if (Array.isArray(v)) return v.length ? v.flatMap((x, i) => leaves(x, [...path, i])) : path.length ? [path] : [];
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v);
    return entries.length ? entries.flatMap(([k, x]) => leaves(x, [...path, k])) : path.length ? [path] : [];
  }
  return [path];
}
function withLeaf(base: unknown, path: Array<string | number>, value: unknown): unknown {
  if (!path.length) return value;
  const copy: any = Array.isArray(base) ? [...base] : { ...(base as object) };
  copy[path[0]!] = withLeaf(copy[path[0]!], path.slice(1), value);
  return copy;
}

interface Operation {
  method: string;
  path: string;
  parameters?: Array<{ name: string; in: 'path' | 'query'; required: boolean; schema: JsonSchema }>;
  requestBody?: { content: { 'application/json': { schema: JsonSchema } } };
  'x-permission'?: string | string[];
  security: unknown[];
  documented503: boolean;
}

interface Case {
  op: Operation;
  name: string;
  url: string;
  type?: string;
  bytes?: Buffer;
  /** Bad text somewhere: must be 400 INVALID_TEXT. */
  badText?: boolean;
}

describe('input hygiene: fuzz over every route of the OpenAPI document', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let api: Awaited<ReturnType<typeof startApi>>;
  const cookies = new Map<string, string>(); // permission → cookie of someone holding it

  const doc = buildOpenApiDocument('fuzz');
  const operations: Operation[] = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(
      ops as Record<string, Omit<Operation, 'method' | 'path' | 'documented503'> & { responses: Record<string, unknown> }>,
    ).map(([method, op]) => ({
      ...op,
      method: method.toUpperCase(),
      path,
      documented503: '503' in op.responses,
    })),
  );

  beforeAll(async () => {
    const fresh = await openFreshDatabase();
    ({ db, drop } = fresh);
    await seedReferenceData(db, { year: 2026 });
    api = await startApi(db, fresh.database);
    const bureau = (await getOrganisationByCode(db, '150100-CZ'))!.id;
    const unit = (await getOrganisationByCode(db, '150100-JY-001'))!.id;
    // Low ids are what the fuzz's "1" and friends hit: bystanders, not the fuzzing accounts.
    for (let i = 0; i < 5; i++)
      await createUser(db, {
        username: `bystander${i}`,
        displayName: `旁人${i}`,
        orgId: unit,
        password: TEST_PASSWORD,
        roles: ['unit_clerk'],
      });
    const admins = ['system_admin', 'security_admin', 'audit_admin'];
    const everyone = ROLES.map((r) => r.code).filter((c) => !admins.includes(c));
    const accounts: Array<[string, string[]]> = [['fuzz_all', everyone], ...admins.map((r): [string, string[]] => [`fuzz_${r}`, [r]])];
    for (const [username, roles] of accounts) {
      await createUser(db, { username, displayName: username, orgId: bureau, password: TEST_PASSWORD, roles });
      const cookie = await loginCookie(api.base, username);
      for (const role of roles)
        for (const p of ROLES.find((r) => r.code === role)!.permissions) if (!cookies.has(p)) cookies.set(p, cookie);
      if (username === 'fuzz_all') cookies.set('login', cookie);
    }
    // Something for the ids to find.
    const clerk = await createUser(db, {
      username: 'fuzz_clerk',
      displayName: '经办',
      orgId: unit,
      password: TEST_PASSWORD,
      roles: ['unit_clerk'],
    });
    void clerk;
  }, 120_000);

  afterAll(async () => {
    await api?.close();
    await db?.destroy();
    await drop?.();
  });

  const cookieFor = (op: Operation): string | undefined => {
    if (op.path === '/api/auth/logout') return undefined; // would end the fuzzing session
    const perm = op['x-permission'];
    const first = Array.isArray(perm) ? perm[0] : perm;
    return cookies.get(first ?? 'login');
  };

  const baseUrl = (op: Operation, pathValue?: (name: string) => string) => {
    let url = op.path;
    for (const p of op.parameters ?? []) if (p.in === 'path') url = url.replace(`{${p.name}}`, pathValue ? pathValue(p.name) : '1');
    const query = (op.parameters ?? [])
      .filter((p) => p.in === 'query' && p.required)
      .map((p) => `${p.name}=${encodeURIComponent(String(exampleOf(p.schema)))}`);
    return { url, query };
  };
  const withQuery = (url: string, parts: string[]) => (parts.length ? `${url}?${parts.join('&')}` : url);
  const json = (v: unknown) => ({ type: 'application/json', bytes: Buffer.from(JSON.stringify(v)) });

  function casesOf(op: Operation): Case[] {
    rng = seeded(`${op.method} ${op.path}`);
    const cases: Case[] = [];
    const { url, query } = baseUrl(op);
    const takesBody = op.method !== 'GET' && op.method !== 'DELETE';
    const body = op.requestBody ? exampleOf(op.requestBody.content['application/json'].schema) : {};
    const bodyOf = () => (takesBody ? json(body) : {});

    // Path parameters.
    for (const p of (op.parameters ?? []).filter((x) => x.in === 'path')) {
      for (const v of pick(PATH_ODD, 7))
        cases.push({
          op,
          name: `path ${p.name}=${v.slice(0, 20)}`,
          url: withQuery(baseUrl(op, (n) => (n === p.name ? v : '1')).url, query),
          ...bodyOf(),
        });
      for (const t of pick(BAD_TEXT, 3))
        cases.push({
          op,
          name: `path ${p.name} bad text`,
          url: withQuery(baseUrl(op, (n) => (n === p.name ? encodeText(t) : '1')).url, query),
          ...bodyOf(),
          badText: true,
        });
    }
    // Query parameters: each declared one with odd values, an unknown one, a repeated one.
    const queryParams = (op.parameters ?? []).filter((x) => x.in === 'query');
    for (const p of queryParams) {
      for (const v of pick(ODD, 5)) {
        const s = typeof v === 'string' ? v : JSON.stringify(v);
        cases.push({
          op,
          name: `query ${p.name}=${s.slice(0, 20)}`,
          url: withQuery(url, [...query.filter((q) => !q.startsWith(`${p.name}=`)), `${p.name}=${encodeURIComponent(s)}`]),
          ...bodyOf(),
        });
      }
      cases.push({ op, name: `query ${p.name} twice`, url: withQuery(url, [...query, `${p.name}=1`, `${p.name}=2`]), ...bodyOf() });
      cases.push({
        op,
        name: `query ${p.name} bad text`,
        url: withQuery(url, [...query, `${p.name}=${encodeText(pick(BAD_TEXT, 1)[0]!)}`]),
        ...bodyOf(),
        badText: true,
      });
    }
    cases.push({ op, name: 'bad text in the path', url: withQuery(`${url}${encodeText('\u0000')}`, query), ...bodyOf(), badText: true });
    cases.push({ op, name: 'unknown query parameter', url: withQuery(url, [...query, 'zzUnknown=1']), ...bodyOf() });
    cases.push({
      op,
      name: 'bad text in a query key',
      url: withQuery(url, [...query, `${encodeText('k\u0001')}=1`]),
      ...bodyOf(),
      badText: true,
    });
    cases.push({ op, name: 'malformed query escape', url: withQuery(url, [...query, 'a=%E4%B8']), ...bodyOf() });
    cases.push({ op, name: '100 KB query value', url: withQuery(url, [...query, `keyword=${'x'.repeat(100_000)}`]), ...bodyOf() });

    if (!takesBody) return cases;
    // Bodies: the example, then one leaf at a time made odd, raw numbers, bad text in values and keys.
    cases.push({ op, name: 'example body', url: withQuery(url, query), ...json(body) });
    const paths = leaves(body);
    for (const path of paths) {
      for (const v of pick(ODD, paths.length > 8 ? 3 : 6))
        cases.push({
          op,
          name: `body ${path.join('.')}=${JSON.stringify(v).slice(0, 20)}`,
          url: withQuery(url, query),
          ...json(withLeaf(body, path, v)),
        });
      const raw = pick(RAW_NUMBERS, 1)[0]!;
      cases.push({
        op,
        name: `body ${path.join('.')}=${raw} (raw)`,
        url: withQuery(url, query),
        type: 'application/json',
        bytes: Buffer.from(JSON.stringify(withLeaf(body, path, '__RAW__')).replace('"__RAW__"', raw)),
      });
      for (const t of pick(BAD_TEXT, 2))
        cases.push({
          op,
          name: `body ${path.join('.')} bad text`,
          url: withQuery(url, query),
          ...json(withLeaf(body, path, t)),
          badText: true,
        });
    }
    cases.push({ op, name: 'unknown body field', url: withQuery(url, query), ...json({ ...(body as object), zzUnknown: 1 }) });
    cases.push({
      op,
      name: 'bad text in a body key',
      url: withQuery(url, query),
      ...json({ ...(body as object), ['k\uD800']: 1 }),
      badText: true,
    });
    cases.push({
      op,
      name: 'bad text nested in an unknown field',
      url: withQuery(url, query),
      ...json({ ...(body as object), extra: [{ deep: ['\u0000'] }] }),
      badText: true,
    });
    for (const m of pick(MALFORMED, 8))
      cases.push({ op, name: `malformed: ${m.name}`, url: withQuery(url, query), type: m.type, bytes: m.bytes });
    return cases;
  }

  const send = async (c: Case) => {
    const headers: Record<string, string> = {};
    const cookie = cookieFor(c.op);
    if (cookie) headers.cookie = cookie;
    if (c.type) headers['content-type'] = c.type;
    if (c.op.path.endsWith('/attachments')) headers['x-file-name'] = encodeURIComponent('附件.txt');
    const res = await fetch(api.base + c.url, { method: c.op.method, headers, body: c.bytes });
    const text = await res.text();
    let code: string | undefined;
    try {
      code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
    } catch {
      code = undefined;
    }
    return { status: res.status, code, text };
  };

  /** Every table but the sessions, row by row. */
  const snapshot = async (): Promise<string> => {
    const mysql = String(db.client.config.client).startsWith('mysql');
    const tables = mysql
      ? (
          (await db.raw('select table_name as name from information_schema.tables where table_schema = database()')) as [
            Array<{ name: string }>,
          ]
        )[0].map((t) => t.name)
      : (
          (await db('sqlite_master').where('type', 'table').whereNot('name', 'like', 'sqlite_%').select('name')) as Array<{ name: string }>
        ).map((t) => t.name);
    const out: string[] = [];
    for (const t of tables.filter((n) => n !== 'sessions').sort())
      out.push(t, ...((await db(t).select('*')) as unknown[]).map((r) => JSON.stringify(r)).sort());
    return out.join('\n');
  };

  test('the fuzz covers every operation of the document', () => {
    expect(operations.length).toBe(ROUTE_CATALOGUE.length);
    expect(operations.filter((op) => casesOf(op).length < 5).map((op) => `${op.method} ${op.path}`)).toEqual([]);
    // Each route gets a sample of the malformed bodies; together they send every one.
    const sent = new Set(operations.flatMap((op) => casesOf(op).map((c) => c.name)));
    expect(MALFORMED.map((m) => `malformed: ${m.name}`).filter((n) => !sent.has(n))).toEqual([]);
  });

  test('text with an unpaired surrogate, a control character or a noncharacter is 400 INVALID_TEXT on every route, and changes nothing', async () => {
    const before = await snapshot();
    const wrong: string[] = [];
    let sent = 0;
    for (const op of operations) {
      for (const c of casesOf(op).filter((x) => x.badText)) {
        const r = await send(c);
        sent += 1;
        // In a URL a lone surrogate can only come as the bytes UTF-8 would give it, which are not UTF-8.
        const codes = c.url.includes('%ED%') ? ['INVALID_TEXT', 'INVALID_URL_ENCODING'] : ['INVALID_TEXT'];
        if (r.status !== 400 || !codes.includes(r.code ?? ''))
          wrong.push(`${op.method} ${op.path} ${c.name} → ${r.status} ${r.text.slice(0, 200)}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(sent).toBeGreaterThan(operations.length * 3);
    expect(await snapshot()).toBe(before);
  }, 300_000);

  test('no input makes any route answer 5xx (503 only where the route documents it)', async () => {
    const wrong: string[] = [];
    let sent = 0;
    const started = Date.now();
    for (const op of operations) {
      for (const c of casesOf(op).filter((x) => !x.badText)) {
        const r = await send(c);
        sent += 1;
        const documented = r.status === 503 && (op.documented503 || op.path === '/api/health') && r.code !== 'INTERNAL';
        if (r.status >= 500 && !documented) wrong.push(`${op.method} ${op.path} ${c.name} → ${r.status} ${r.text.slice(0, 200)}`);
        // 431: Node's HTTP parser refuses a URL over its 16 KB header limit before the app sees it.
        if (r.status >= 400 && r.status < 500 && r.status !== 431 && !r.code)
          wrong.push(`${op.method} ${op.path} ${c.name} → ${r.status} without an error code: ${r.text.slice(0, 120)}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(sent).toBeGreaterThan(1000);
    // The server still answers.
    expect((await fetch(`${api.base}/api/auth/me`, { headers: { cookie: cookies.get('login')! } })).status).toBe(200);
    if (process.env.FUZZ_REPORT) console.log(`${sent} requests in ${Date.now() - started} ms`);
  }, 300_000);
});
