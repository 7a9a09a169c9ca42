import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fieldKeyId } from '../../domain/field-cipher';
import type { Db } from '../../server/db';
import { fieldKeyring, openValue, sealValue } from '../../server/crypto/keyring';
import { rotateFieldKeys } from '../../server/crypto/rotate';
import { TOTP_SECRET_COLUMN } from '../../server/auth/second-factor';
import { createAccount } from '../support/accounts';
import { openFreshDatabase } from '../support/system';

/**
 * `npm run keys:rotate` on the real database: values sealed under an old key are re-sealed under
 * the current one in batches, still open to the same plaintext, a second run changes nothing,
 * and a value under a key no longer configured is counted as a failure (the command exits 1).
 */
describe('field key rotation', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let database: Awaited<ReturnType<typeof openFreshDatabase>>['database'];
  const K1 = { id: 'k1', hex: '11'.repeat(32) };
  const K2 = { id: 'k2', hex: '22'.repeat(32) };
  const K0 = { id: 'k0', hex: '00'.repeat(32) };
  const INDEX = 'ab'.repeat(32);
  const ring = (...keys: Array<{ id: string; hex: string }>) => fieldKeyring({ fieldKeys: { keys, indexKeyHex: INDEX, derived: false } });
  const plain = new Map<number, string>();

  beforeAll(async () => {
    const fresh = await openFreshDatabase();
    ({ db, drop, database } = fresh);
    const old = ring(K1);
    for (let i = 0; i < 7; i++) {
      const u = await createAccount(db, ['director']);
      const secret = `${i}`.repeat(40);
      plain.set(u.userId, secret);
      await db('user_second_factors').insert({
        user_id: u.userId,
        method: 'totp',
        secret_cipher: sealValue(old, TOTP_SECRET_COLUMN, secret).cipher,
        created_at: new Date(),
        confirmed_at: new Date(),
      });
    }
  });
  afterAll(async () => {
    await db?.destroy();
    await drop?.();
  });

  const stored = async () =>
    (await db('user_second_factors').orderBy('user_id').select('user_id', 'secret_cipher')) as Array<{
      user_id: number;
      secret_cipher: string;
    }>;

  test('re-seals under the current key in batches; same plaintext; the second run changes nothing', async () => {
    const batches: number[] = [];
    const counts = await rotateFieldKeys(db, ring(K2, K1), {
      columns: [TOTP_SECRET_COLUMN],
      batchSize: 3,
      onBatch: (c) => batches.push(c.scanned),
    });
    expect(counts).toEqual([{ column: 'user_second_factors.secret_cipher', scanned: 7, resealed: 7, current: 0, failed: 0, skipped: 0 }]);
    expect(batches).toEqual([3, 6, 7]);
    for (const row of await stored()) {
      expect(fieldKeyId(row.secret_cipher)).toBe('k2');
      // The old key is no longer needed to open it.
      expect(openValue(ring(K2), TOTP_SECRET_COLUMN, row.secret_cipher)).toBe(plain.get(Number(row.user_id)));
    }
    const before = await stored();
    expect((await rotateFieldKeys(db, ring(K2, K1), { columns: [TOTP_SECRET_COLUMN], batchSize: 3 }))[0]).toMatchObject({
      scanned: 7,
      resealed: 0,
      current: 7,
      failed: 0,
    });
    expect(await stored()).toEqual(before);
  });

  test('the command: counts printed; a value under a key no longer configured fails it (exit 1), the others still rotate', async () => {
    const u = await createAccount(db, ['director']);
    await db('user_second_factors').insert({
      user_id: u.userId,
      method: 'totp',
      secret_cipher: sealValue(ring(K0), TOTP_SECRET_COLUMN, 'lost').cipher,
      created_at: new Date(),
    });
    const env = {
      ...process.env,
      NODE_ENV: 'test',
      ...(database.client === 'sqlite' ? { DATABASE_URL: `sqlite://${database.filename}` } : { DATABASE_URL: database.url }),
      BUDGET_FIELD_KEYS: `k3:${'33'.repeat(32)},k2:${K2.hex}`,
      BUDGET_FIELD_INDEX_KEY: INDEX,
      LOG_LEVEL: 'silent',
    };
    const tsx = path.join(__dirname, '../../node_modules/.bin/tsx');
    let out = '';
    let status = 0;
    try {
      out = execFileSync(tsx, ['scripts/rotate-field-keys.ts', '--batch', '4'], {
        cwd: path.join(__dirname, '../..'),
        env,
        encoding: 'utf8',
        timeout: 60_000,
      });
    } catch (e) {
      const err = e as { status: number; stdout: string };
      status = err.status;
      out = err.stdout;
    }
    expect(status).toBe(1);
    expect(out).toContain('当前密钥：k3');
    expect(out).toMatch(/user_second_factors\.secret_cipher: 共 8 条，重新加密 7，已是当前密钥 0，无法解开 1/);
    const rows = await stored();
    expect(rows.filter((r) => fieldKeyId(r.secret_cipher) === 'k3')).toHaveLength(7);
  }, 90_000);
});
