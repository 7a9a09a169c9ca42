import fs from 'node:fs';
import readline from 'node:readline';
import { once } from 'node:events';
import mysql, { type Connection, type ConnectionOptions } from 'mysql2';
import type { Connection as PromiseConnection } from 'mysql2/promise';
import { createConnection } from 'mysql2/promise';

/**
 * A logical dump of one MySQL/MariaDB database, done in Node through mysql2 (mysqldump is not on
 * every machine that runs the platform, and its output would need the mysql client to load):
 * newline-delimited JSON — a header, then per base table its CREATE TABLE, its columns and its
 * rows in batches, and its row count. Values travel exactly: every column is read as its text
 * form (DATETIME, DECIMAL, BIGINT as written, session time zone UTC) except binary strings and
 * blobs, which are base64 ({"b": …}). Read inside one consistent snapshot.
 */

export const DUMP_FORMAT = 'budget-mysql-dump/1';
const BATCH_BYTES = 2 * 1024 * 1024;
const BATCH_ROWS = 500;
/** An INSERT carrying more (escaped) bytes than this is sent row by row as prepared statements, whose binary protocol does not double blobs as hex. */
const QUERY_BYTES = 6 * 1024 * 1024;

type Cell = string | { b: string } | null;

export interface ServerAddress {
  host: string;
  port: number;
  user: string;
  password: string;
}

export function serverAddressOf(url: string): ServerAddress {
  const u = new URL(url.replace(/^jdbc:/, '').replace(/^mariadb:/, 'mysql:'));
  return {
    host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username) || 'root',
    password: decodeURIComponent(u.password),
  };
}

/** Column types whose values are bytes, not text (information_schema.COLUMNS.DATA_TYPE). */
const BINARY_DATA_TYPES = new Set([
  'binary',
  'varbinary',
  'tinyblob',
  'blob',
  'mediumblob',
  'longblob',
  'bit',
  'geometry',
  'point',
  'linestring',
  'polygon',
  'multipoint',
  'multilinestring',
  'multipolygon',
  'geometrycollection',
]);

function baseOptions(server: ServerAddress, database?: string): ConnectionOptions {
  return {
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
    database,
    charset: 'utf8mb4',
    timezone: 'Z',
    connectTimeout: 10_000,
  };
}

export async function adminConnection(server: ServerAddress, database?: string): Promise<PromiseConnection> {
  return createConnection(baseOptions(server, database));
}

export interface DumpResult {
  tables: Record<string, number>;
  serverVersion: string;
  charset: string;
  collation: string;
}

export async function databaseInfo(
  conn: PromiseConnection,
  database: string,
): Promise<{ exists: boolean; tables: string[]; charset: string; collation: string }> {
  const [schemata] = (await conn.query(
    'SELECT DEFAULT_CHARACTER_SET_NAME AS cs, DEFAULT_COLLATION_NAME AS co FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
    [database],
  )) as unknown as [Array<{ cs: string; co: string }>];
  if (!schemata.length) return { exists: false, tables: [], charset: '', collation: '' };
  const [tables] = (await conn.query(
    'SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME',
    [database],
  )) as unknown as [Array<{ name: string }>];
  return { exists: true, tables: tables.map((t) => t.name), charset: schemata[0]!.cs, collation: schemata[0]!.co };
}

/** Connections to `database` other than this one (the app's pool, workers, an engine node …). */
export async function otherConnections(server: ServerAddress, database: string): Promise<Array<{ user: string; host: string }>> {
  const conn = await adminConnection(server);
  try {
    const [rows] = (await conn.query(
      'SELECT USER AS user, HOST AS host FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()',
      [database],
    )) as unknown as [Array<{ user: string; host: string }>];
    return rows;
  } finally {
    await conn.end();
  }
}

function streamConnection(server: ServerAddress, database: string): Connection {
  return mysql.createConnection(baseOptions(server, database));
}

function cell(v: unknown): Cell {
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v)) return { b: v.toString('base64') };
  return String(v);
}

/** Dumps `database` into `file` (see above). */
export async function dumpMysql(server: ServerAddress, database: string, file: string): Promise<DumpResult> {
  const admin = await adminConnection(server, database);
  const conn = streamConnection(server, database);
  const q = conn.promise();
  const out = fs.createWriteStream(file, { flags: 'wx' });
  const write = async (obj: unknown): Promise<void> => {
    if (!out.write(`${JSON.stringify(obj)}\n`)) await once(out, 'drain');
  };
  try {
    const info = await databaseInfo(admin, database);
    const [[version]] = (await admin.query('SELECT VERSION() AS v')) as unknown as [[{ v: string }]];
    await q.query("SET SESSION time_zone = '+00:00'");
    await q.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    await q.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
    const [full] = (await admin.query(
      'SELECT TABLE_NAME AS name, TABLE_TYPE AS type FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME',
      [database],
    )) as unknown as [Array<{ name: string; type: string }>];
    const views = full.filter((t) => t.type !== 'BASE TABLE').map((t) => t.name);
    if (views.length) throw new Error(`数据库 ${database} 含视图 ${views.join('、')}，本备份工具只备份数据表`);
    await write({ format: DUMP_FORMAT, database, serverVersion: version.v, charset: info.charset, collation: info.collation });
    const tables: Record<string, number> = {};
    for (const { name } of full) {
      const [[created]] = (await admin.query('SHOW CREATE TABLE ??', [name])) as unknown as [[Record<string, string>]];
      const [cols] = (await admin.query(
        'SELECT COLUMN_NAME AS c, DATA_TYPE AS t FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
        [database, name],
      )) as unknown as [Array<{ c: string; t: string }>];
      const columns = cols.map((c) => c.c);
      const binary = new Set(cols.filter((c) => BINARY_DATA_TYPES.has(c.t.toLowerCase())).map((c) => c.c));
      await write({ table: name, create: created['Create Table'], columns });
      let count = 0;
      let batch: Cell[][] = [];
      let batchBytes = 0;
      // Every value as text (exact), bytes as bytes: the protocol's field type cannot tell a BLOB from a TEXT, the column's type can.
      const typeCast = (field: { name: string; string(): string | null; buffer(): Buffer | null }): unknown =>
        binary.has(field.name) ? field.buffer() : field.string();
      const stream = conn
        .query({
          sql: `SELECT ${columns.map((c) => mysql.escapeId(c)).join(', ')} FROM ${mysql.escapeId(name)}`,
          rowsAsArray: true,
          typeCast,
        })
        .stream({ highWaterMark: 100 });
      for await (const row of stream as AsyncIterable<unknown[]>) {
        const cells = row.map(cell);
        batch.push(cells);
        batchBytes += cells.reduce((n: number, c) => n + (c === null ? 4 : typeof c === 'string' ? c.length * 3 : c.b.length), 0);
        count += 1;
        if (batch.length >= BATCH_ROWS || batchBytes >= BATCH_BYTES) {
          await write({ rows: batch });
          batch = [];
          batchBytes = 0;
        }
      }
      if (batch.length) await write({ rows: batch });
      await write({ end: name, count });
      tables[name] = count;
    }
    await q.query('COMMIT');
    await write({ done: true, tables: Object.keys(tables).length });
    out.end();
    await once(out, 'finish');
    return { tables, serverVersion: version.v, charset: info.charset, collation: info.collation };
  } catch (err) {
    out.destroy();
    throw err;
  } finally {
    conn.end();
    await admin.end();
  }
}

/**
 * Loads a dump into `database`, which must exist and be empty (the restore makes a staging
 * database of its own for it). Returns the row count of every table as loaded; throws on any
 * row the server refuses, and on a dump that ends early.
 */
export async function loadMysql(server: ServerAddress, database: string, file: string): Promise<Record<string, number>> {
  const conn = await adminConnection(server, database);
  const loaded: Record<string, number> = {};
  try {
    await conn.query("SET SESSION time_zone = '+00:00'");
    await conn.query('SET SESSION foreign_key_checks = 0');
    await conn.query('SET SESSION unique_checks = 0');
    await conn.query("SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION'");
    const lines = readline.createInterface({ input: fs.createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
    let header = false;
    let done = false;
    let table: { name: string; columns: string[] } | undefined;
    let lineNo = 0;
    for await (const line of lines) {
      lineNo += 1;
      if (!line) continue;
      const item = JSON.parse(line) as {
        format?: string;
        table?: string;
        create?: string;
        columns?: string[];
        rows?: Cell[][];
        end?: string;
        count?: number;
        done?: boolean;
      };
      if (!header) {
        if (item.format !== DUMP_FORMAT) throw new Error(`第 1 行不是 ${DUMP_FORMAT} 格式的文件头`);
        header = true;
      } else if (item.create && item.table && item.columns) {
        await conn.query(item.create);
        table = { name: item.table, columns: item.columns };
        loaded[item.table] = 0;
      } else if (item.rows && table) {
        await insertRows(
          conn,
          table,
          item.rows.map((r) => r.map(decode)),
        );
        loaded[table.name] = (loaded[table.name] ?? 0) + item.rows.length;
      } else if (item.end !== undefined) {
        if (!table || item.end !== table.name || item.count !== loaded[table.name])
          throw new Error(`表 ${item.end} 的行数与转储记录不符（第 ${lineNo} 行）`);
        table = undefined;
      } else if (item.done) {
        done = true;
      } else {
        throw new Error(`第 ${lineNo} 行无法识别`);
      }
    }
    if (!done) throw new Error('转储文件不完整（缺少结束标记）');
    return loaded;
  } finally {
    await conn.end();
  }
}

function decode(c: Cell): string | Buffer | null {
  if (c === null || typeof c === 'string') return c;
  return Buffer.from(c.b, 'base64');
}

async function insertRows(
  conn: PromiseConnection,
  table: { name: string; columns: string[] },
  rows: Array<Array<string | Buffer | null>>,
): Promise<void> {
  const escapedBytes = rows.reduce(
    (n, r) =>
      n + r.reduce((m: number, v) => m + (v === null ? 4 : Buffer.isBuffer(v) ? v.length * 2 + 3 : Buffer.byteLength(v) * 2 + 2), 0),
    0,
  );
  const cols = table.columns.map((c) => mysql.escapeId(c)).join(', ');
  if (escapedBytes <= QUERY_BYTES) {
    await conn.query(`INSERT INTO ${mysql.escapeId(table.name)} (${cols}) VALUES ?`, [rows]);
    return;
  }
  const placeholders = table.columns.map(() => '?').join(', ');
  for (const row of rows) await conn.execute(`INSERT INTO ${mysql.escapeId(table.name)} (${cols}) VALUES (${placeholders})`, row);
}

/** Every attachment blob whose content no longer hashes to its SM3 key (the restore's check that bytes came through). */
export async function damagedAttachmentsMysql(
  server: ServerAddress,
  database: string,
  sm3Hex: (b: Uint8Array) => string,
): Promise<string[]> {
  const conn = streamConnection(server, database);
  const bad: string[] = [];
  try {
    const [tables] = (await conn
      .promise()
      .query("SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'attachment_blobs'", [
        database,
      ])) as unknown as [unknown[]];
    if (!tables.length) return bad;
    const stream = conn
      .query({
        sql: 'SELECT sm3, content FROM attachment_blobs',
        typeCast: (f: { name: string; string(): string | null; buffer(): Buffer | null }) =>
          f.name === 'content' ? f.buffer() : f.string(),
      })
      .stream({ highWaterMark: 10 });
    for await (const row of stream as AsyncIterable<{ sm3: string; content: Buffer }>)
      if (sm3Hex(row.content) !== row.sm3) bad.push(row.sm3);
    return bad;
  } finally {
    conn.end();
  }
}

export async function countRows(server: ServerAddress, database: string, tables: string[]): Promise<Record<string, number>> {
  const conn = await adminConnection(server, database);
  try {
    const out: Record<string, number> = {};
    for (const t of tables) {
      const [[row]] = (await conn.query('SELECT COUNT(*) AS n FROM ??', [t])) as unknown as [[{ n: number | string }]];
      out[t] = Number(row.n);
    }
    return out;
  } finally {
    await conn.end();
  }
}
