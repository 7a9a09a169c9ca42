import type { Db } from '../../server/db';
import { appendAudit, SYSTEM_ACTOR } from '../../server/audit/chain';
import { checkpointIfDue, createCheckpoint } from '../../server/audit/service';
import { DatabaseKeyStore } from '../../server/seals/key-store';
import { platformKey } from '../../server/seals/platform-key';
import { DEVELOPMENT_SEAL_SECRET } from '../../server/config';
import { sm2Verify } from '../../domain/sm-crypto';
import { canonicalBytes } from '../../domain/canonical-json';
import { verifyKeyRecord } from '../../domain/audit-chain';
import { createAccount, loginCookie } from '../support/accounts';
import { startApi } from '../support/api';
import { openFreshDatabase } from '../support/system';

/** Keys, seals and the audit chain on the real database (MariaDB with DATABASE_URL, else SQLite). */
describe('seals and the audit chain', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let api: Awaited<ReturnType<typeof startApi>>;
  let base: string;
  let issuer: { username: string; userId: number; orgId: number };
  let cookie: string;
  let auditCookie: string;
  let store: DatabaseKeyStore;

  beforeAll(async () => {
    const fresh = await openFreshDatabase();
    ({ db, drop } = fresh);
    api = await startApi(db, fresh.database);
    base = `${api.base}/api`;
    store = new DatabaseKeyStore(db, DEVELOPMENT_SEAL_SECRET);
    issuer = await createAccount(db, ['budget_division']);
    cookie = await loginCookie(api.base, issuer.username);
    auditCookie = await loginCookie(api.base, (await createAccount(db, ['audit_admin'])).username);
  });
  afterAll(async () => {
    await api?.close();
    await db?.destroy();
    await drop?.();
  });

  async function call(method: string, path: string, body?: unknown, as = cookie): Promise<{ status: number; body: any }> {
    const res = await fetch(base + path, {
      method,
      headers: { 'content-type': 'application/json', cookie: as },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }
  const issue = (extra: object = {}) =>
    call('POST', '/quotas', {
      fiscalYear: 2026,
      functionalCode: '2050201',
      economicCode: '30201',
      fundSource: '一般公共预算',
      documentNo: '财教〔2026〕1号',
      amountFen: 500_000,
      reason: '下达',
      ...extra,
    });
  const verify = () => call('GET', '/audit/verify', undefined, auditCookie);

  test('issuing before enrolment is recorded in the chain unsealed; a PIN without a key is refused', async () => {
    const r = await issue();
    expect(r.status).toBe(201);
    expect(r.body.seal).toBeNull();
    expect((await issue({ signingPin: '135790' })).body.error.code).toBe('SEAL_NOT_ENROLLED');
    const records = await call('GET', `/audit/records?subjectType=quota&subjectId=${r.body.quota.id}`, undefined, auditCookie);
    expect(records.body.items).toHaveLength(1);
    expect(records.body.items[0].body).toMatchObject({
      kind: 'quota.issue',
      actor: { userId: issuer.userId, username: issuer.username },
      seal: null,
    });
  });

  test('enrolment publishes a platform-signed key record; the private key is not stored in clear', async () => {
    expect((await call('POST', '/seals/enrol', { pin: '111111' })).body.error.code).toBe('VALIDATION_FAILED');
    const r = await call('POST', '/seals/enrol', { pin: '135790' });
    expect(r.status).toBe(201);
    expect(r.body.record).toMatchObject({
      userId: issuer.userId,
      username: issuer.username,
      algorithm: 'SM2-SM3',
      distinguishingId: '1234567812345678',
    });
    const platform = await platformKey(db, DEVELOPMENT_SEAL_SECRET);
    expect(verifyKeyRecord(r.body, platform)).toEqual({ ok: true });
    expect((await call('POST', '/seals/enrol', { pin: '135790' })).body.error.code).toBe('SEAL_ALREADY_ENROLLED');
    expect((await call('GET', `/seals/keys/${issuer.userId}`)).body).toEqual(r.body);
    expect((await call('GET', '/seals/keys/999999')).status).toBe(404);
    const row = (await db('seal_keys').where('user_id', issuer.userId).first()) as { wrapped_private_key: string };
    expect(row.wrapped_private_key).toMatch(/pbkdf2-hmac-sm3/);
    // an unprivileged role cannot enrol
    const clerk = await createAccount(db, ['unit_clerk']);
    expect((await call('POST', '/seals/enrol', { pin: '135790' }, await loginCookie(api.base, clerk.username))).status).toBe(403);
  });

  test('once enrolled, issuing requires the PIN; a wrong PIN cannot sign and writes nothing', async () => {
    const before = await db('audit_records').count('* as n').first();
    const quotasBefore = await db('quotas').count('* as n').first();
    expect((await issue()).body.error.code).toBe('SIGNING_PIN_REQUIRED');
    const wrong = await issue({ signingPin: '000001' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.code).toBe('SEAL_PIN_WRONG');
    expect(await db('quotas').count('* as n').first()).toEqual(quotasBefore);
    expect(await db('audit_records').count('* as n').first()).toEqual(before);
    await expect(store.sign(issuer.userId, '000002', Buffer.from('x'))).rejects.toMatchObject({ code: 'SEAL_PIN_WRONG' });
  });

  test('a sealed issuance: the payload is signed with the issuer key, in the same transaction as the quota', async () => {
    const r = await issue({ signingPin: '135790' });
    expect(r.status).toBe(201);
    expect(r.body.seal.verificationCode).toMatch(/^[0-9a-f]{16}$/);
    const rec = (await db('audit_records').where('id', r.body.seal.auditRecordId).first()) as { body: string; sealed: unknown };
    const body = JSON.parse(rec.body);
    expect(body.seal.payload).toMatchObject({
      what: 'quota.issue',
      who: { userId: issuer.userId },
      decision: { quotaNo: r.body.quota.quotaNo, amountFen: 500_000 },
    });
    const key = (await store.publicKey(issuer.userId))!;
    expect(sm2Verify(canonicalBytes(body.seal.payload), body.seal.signature, key.record.publicKey)).toBe(true);
    expect((await verify()).body).toMatchObject({ ok: true, firstBroken: null });
  });

  test('five wrong PINs lock the seal, even for the right PIN', async () => {
    const other = await createAccount(db, ['director']);
    await store.enrol(other.userId, '975310');
    for (let i = 0; i < 4; i++) await expect(store.unlock(other.userId, '000000x')).rejects.toMatchObject({ code: 'SEAL_PIN_WRONG' });
    await expect(store.unlock(other.userId, '000000x')).rejects.toMatchObject({ code: 'SEAL_LOCKED' });
    await expect(store.unlock(other.userId, '975310')).rejects.toMatchObject({ code: 'SEAL_LOCKED' });
  });

  test('an opened seal is kept for the same PIN for its time: a wrong PIN is still checked, counted and locks; the time ends it', async () => {
    const held = new DatabaseKeyStore(db, DEVELOPMENT_SEAL_SECRET, { unlockMinutes: 10 });
    const person = await createAccount(db, ['director']);
    await held.enrol(person.userId, '864209');
    const t0 = new Date();
    const first = await held.unlock(person.userId, '864209', {}, t0);
    // The stored key no longer opens with any PIN: what follows can only come from the held one.
    const row = (await db('seal_keys').where('active_user_id', person.userId).first('id', 'wrapped_private_key')) as {
      id: number;
      wrapped_private_key: string;
    };
    const wrapped = JSON.parse(row.wrapped_private_key) as { mac: string };
    await db('seal_keys')
      .where('id', row.id)
      .update({ wrapped_private_key: JSON.stringify({ ...wrapped, mac: '00'.repeat(32) }) });
    const again = await held.unlock(person.userId, '864209', {}, new Date(t0.getTime() + 9 * 60_000));
    const data = Buffer.from('同一印章');
    expect(sm2Verify(data, again.sign(data), first.publicKey)).toBe(true);
    // Another store (another app node, or the store without a session) opens the stored key: it cannot.
    await expect(store.unlock(person.userId, '864209')).rejects.toMatchObject({ code: 'SEAL_PIN_WRONG' });
    // A wrong PIN is not matched by the held seal: it is counted as before (2 now), and drops it.
    await expect(held.unlock(person.userId, '864200', {}, t0)).rejects.toMatchObject({ code: 'SEAL_PIN_WRONG' });
    expect(Number((await db('seal_keys').where('id', row.id).first('failed_pins')).failed_pins)).toBe(2);
    await expect(held.unlock(person.userId, '864209', {}, t0)).rejects.toMatchObject({ code: 'SEAL_PIN_WRONG' });
    // A wrong PIN counted elsewhere (another node) also sends the right one down the slow path.
    await db('seal_keys').where('id', row.id).update({ wrapped_private_key: row.wrapped_private_key, failed_pins: 0 });
    await held.unlock(person.userId, '864209', {}, t0);
    await db('seal_keys')
      .where('id', row.id)
      .update({ wrapped_private_key: JSON.stringify({ ...wrapped, mac: '00'.repeat(32) }), failed_pins: 1 });
    await expect(held.unlock(person.userId, '864209', {}, t0)).rejects.toMatchObject({ code: 'SEAL_PIN_WRONG' });

    // Held again after the stored key is back; ten minutes after the PIN was checked it is gone.
    await db('seal_keys').where('id', row.id).update({ wrapped_private_key: row.wrapped_private_key, failed_pins: 0 });
    await held.unlock(person.userId, '864209', {}, t0);
    await db('seal_keys')
      .where('id', row.id)
      .update({ wrapped_private_key: JSON.stringify({ ...wrapped, mac: '00'.repeat(32) }) });
    await held.unlock(person.userId, '864209', {}, new Date(t0.getTime() + 9 * 60_000));
    await expect(held.unlock(person.userId, '864209', {}, new Date(t0.getTime() + 10 * 60_000 + 1))).rejects.toMatchObject({
      code: 'SEAL_PIN_WRONG',
    });

    // A locked seal is locked for the held PIN too.
    await db('seal_keys').where('id', row.id).update({ wrapped_private_key: row.wrapped_private_key, failed_pins: 0, locked_until: null });
    await held.unlock(person.userId, '864209', {}, t0);
    await db('seal_keys')
      .where('id', row.id)
      .update({ locked_until: new Date(Date.now() + 60 * 60_000) });
    await expect(held.unlock(person.userId, '864209')).rejects.toMatchObject({ code: 'SEAL_LOCKED' });
  });

  test('seal status for the own page: the key record verified, a lock and its time', async () => {
    const director = await createAccount(db, ['director']);
    const as = await loginCookie(api.base, director.username);
    expect((await call('GET', '/seals/me', undefined, as)).body).toMatchObject({
      enrolled: false,
      key: null,
      canSign: true,
      recordVerified: null,
      lockedUntil: null,
      reenrolment: null,
      revokedKeys: [],
    });
    expect((await call('POST', '/seals/enrol', { pin: '13579' }, as)).body.error.details[0].message).toBe('签章密码应为 6 位数字');
    expect((await call('POST', '/seals/enrol', { pin: '246801' }, as)).status).toBe(201);
    for (let i = 0; i < 5; i++) await store.unlock(director.userId, '000000').catch(() => undefined);
    const me = (await call('GET', '/seals/me', undefined, as)).body;
    expect(me).toMatchObject({ enrolled: true, recordVerified: true, failedPins: 5 });
    expect(me.lockedUntil).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+08:00$/);
    const clerk = await createAccount(db, ['unit_clerk']);
    expect((await call('GET', '/seals/me', undefined, await loginCookie(api.base, clerk.username))).body).toMatchObject({
      enrolled: false,
      canSign: false,
    });
  });

  test('forgotten PIN: the security admin authorises, the person enrols a fresh key, the old key is revoked and its seals still verify', async () => {
    const person = await createAccount(db, ['budget_division']);
    const as = await loginCookie(api.base, person.username);
    const security = await createAccount(db, ['security_admin']);
    const sec = await loginCookie(api.base, security.username);
    // not enrolled: nothing to authorise
    expect((await call('POST', `/users/${person.userId}/seal-reenrolment`, { reason: '遗忘签章密码' }, sec)).body.error.code).toBe(
      'SEAL_NOT_ENROLLED',
    );
    const first = await call('POST', '/seals/enrol', { pin: '135790' }, as);
    const sealed = await call(
      'POST',
      '/quotas',
      {
        fiscalYear: 2026,
        functionalCode: '2050201',
        economicCode: '30201',
        fundSource: '一般公共预算',
        documentNo: '财教〔2026〕2号',
        amountFen: 100,
        reason: '下达',
        signingPin: '135790',
      },
      as,
    );
    expect(sealed.status).toBe(201);
    // without an authorisation the person cannot replace their key
    expect((await call('POST', '/seals/enrol', { pin: '802468' }, as)).body.error.code).toBe('SEAL_ALREADY_ENROLLED');
    // only the security admin, never for oneself, and a reason is required
    expect((await call('POST', `/users/${person.userId}/seal-reenrolment`, { reason: '遗忘签章密码' }, as)).status).toBe(403);
    expect((await call('POST', `/users/${security.userId}/seal-reenrolment`, { reason: '遗忘' }, sec)).body.error.code).toBe(
      'CANNOT_REENROL_OWN_SEAL',
    );
    expect((await call('POST', `/users/${person.userId}/seal-reenrolment`, { reason: ' ' }, sec)).status).toBe(400);
    const granted = await call('POST', `/users/${person.userId}/seal-reenrolment`, { reason: '遗忘签章密码' }, sec);
    expect(granted.status).toBe(201);
    expect(granted.body).toMatchObject({ id: person.userId, seal: 'reenrolment', created: true });
    const again = await call('POST', `/users/${person.userId}/seal-reenrolment`, { reason: '再次点击' }, sec);
    expect(again.status).toBe(200);
    expect(again.body.created).toBe(false);
    expect(await db('seal_reenrolments').where('user_id', person.userId).count('* as n').first()).toEqual({ n: 1 });
    expect((await call('GET', '/seals/me', undefined, as)).body.reenrolment).toMatchObject({
      authorisedBy: expect.any(String),
      reason: '遗忘签章密码',
    });
    // the old key still signs until the new one is set
    const second = await call('POST', '/seals/enrol', { pin: '802468' }, as);
    expect(second.status).toBe(201);
    expect(second.body.record.keyId).not.toBe(first.body.record.keyId);
    const me = (await call('GET', '/seals/me', undefined, as)).body;
    expect(me).toMatchObject({ enrolled: true, reenrolment: null, recordVerified: true });
    expect(me.key.record.keyId).toBe(second.body.record.keyId);
    expect(me.revokedKeys).toEqual([expect.objectContaining({ keyId: first.body.record.keyId })]);
    // the authorisation is used once
    expect((await call('POST', '/seals/enrol', { pin: '802469' }, as)).body.error.code).toBe('SEAL_ALREADY_ENROLLED');
    // the old PIN no longer signs; the new one does
    expect(
      (
        await call(
          'POST',
          '/quotas',
          {
            fiscalYear: 2026,
            functionalCode: '2050201',
            economicCode: '30201',
            fundSource: '一般公共预算',
            documentNo: '财教〔2026〕3号',
            amountFen: 100,
            reason: '下达',
            signingPin: '135790',
          },
          as,
        )
      ).body.error.code,
    ).toBe('SEAL_PIN_WRONG');
    expect(
      (
        await call(
          'POST',
          '/quotas',
          {
            fiscalYear: 2026,
            functionalCode: '2050201',
            economicCode: '30201',
            fundSource: '一般公共预算',
            documentNo: '财教〔2026〕3号',
            amountFen: 100,
            reason: '下达',
            signingPin: '802468',
          },
          as,
        )
      ).status,
    ).toBe(201);
    // the revocation is in the chain, and the seal made with the old key still verifies
    const kinds = (await db('audit_records')
      .where({ subject_type: 'user', subject_id: String(person.userId) })
      .whereNot('kind', 'like', 'auth.%')
      .orderBy('seq')
      .pluck('kind')) as string[];
    expect(kinds).toEqual(['seal.enrol', 'user.authorise_seal_reenrolment', 'seal.revoke', 'seal.enrol']);
    expect((await call('GET', `/seals/keys/${person.userId}`)).body.record.keyId).toBe(second.body.record.keyId);
    expect((await verify()).body).toMatchObject({ ok: true, firstBroken: null });
    const evidence = await db('audit_records').where('id', sealed.body.seal.auditRecordId).first('body');
    expect(JSON.parse((evidence as { body: string }).body).seal.keyId).toBe(first.body.record.keyId);
  });

  test('a rolled-back change leaves no audit record and the chain head unmoved', async () => {
    const head = await db('audit_chain_head').first();
    await expect(
      db.transaction(async (trx) => {
        await appendAudit(trx, { kind: 'test.rollback', actor: SYSTEM_ACTOR, data: { n: 1 } });
        throw new Error('business change fails');
      }),
    ).rejects.toThrow('business change fails');
    expect(await db('audit_records').where('kind', 'test.rollback').first()).toBeUndefined();
    expect(await db('audit_chain_head').first()).toEqual(head);
  });

  test('100 parallel appends make one unbroken chain', async () => {
    const before = Number(((await db('audit_chain_head').first('seq')) as { seq: number }).seq);
    await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        db.transaction((trx) =>
          appendAudit(trx, { kind: 'test.parallel', subjectType: 'test', subjectId: i, actor: SYSTEM_ACTOR, data: { i } }),
        ),
      ),
    );
    const seqs = ((await db('audit_records').where('kind', 'test.parallel').orderBy('seq').select('seq')) as Array<{ seq: number }>).map(
      (r) => Number(r.seq),
    );
    expect(seqs).toEqual(Array.from({ length: 100 }, (_, i) => before + 1 + i));
    expect((await verify()).body).toMatchObject({ ok: true, lastSeq: before + 100 });
  });

  test('a checkpoint is signed by the platform key; logins, logouts and user administration are in the chain', async () => {
    const cp = await call('POST', '/audit/checkpoints', undefined, auditCookie);
    expect(cp.status).toBe(201);
    const kinds = ((await db('audit_records').distinct('kind')) as Array<{ kind: string }>).map((r) => r.kind);
    expect(kinds).toEqual(expect.arrayContaining(['auth.login', 'seal.enrol', 'quota.issue', 'seal.quota.issue']));
    await fetch(`${api.base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: issuer.username, password: 'wrong-Pass1' }),
    });
    expect(await db('audit_records').where('kind', 'auth.login_failed').first()).toBeDefined();
    expect((await verify()).body).toMatchObject({ ok: true, checkpoints: 1 });
  });

  test('a changed byte anywhere in a record is detected and located', async () => {
    const rows = (await db('audit_records').orderBy('seq').select('id', 'seq', 'body', 'hash', 'actor')) as Array<{
      id: number;
      seq: number;
      body: string;
      hash: string;
      actor: string;
    }>;
    const target = rows[Math.floor(rows.length / 2)]!;
    const flip = (s: string, at: number) => s.slice(0, at) + (s[at] === 'a' ? 'b' : 'a') + s.slice(at + 1);
    const cases: Array<[string, string]> = [
      ['body', flip(target.body, target.body.indexOf('"kind"') + 9)],
      ['body', target.body.replace('"v":1', '"v":2')],
      ['hash', flip(target.hash, 10)],
      ['actor', target.actor + 'x'],
    ];
    for (const [column, value] of cases) {
      await db('audit_records')
        .where('id', target.id)
        .update({ [column]: value });
      const r = (await verify()).body;
      expect(r.ok).toBe(false);
      // A changed hash shows at the next record (its prevHash no longer matches) or at the record itself.
      expect([Number(target.seq), Number(target.seq) + 1]).toContain(r.firstBroken.seq);
      await db('audit_records')
        .where('id', target.id)
        .update({ [column]: (target as Record<string, unknown>)[column] });
    }
    // a sealed record's signature
    const sealed = (await db('audit_records').where('sealed', true).first('id', 'seq', 'body')) as {
      id: number;
      seq: number;
      body: string;
    };
    const body = JSON.parse(sealed.body);
    body.seal.signature = body.seal.signature.slice(0, -4) + (body.seal.signature.endsWith('0000') ? '1111' : '0000');
    await db('audit_records')
      .where('id', sealed.id)
      .update({ body: JSON.stringify(body) });
    expect((await verify()).body.firstBroken.seq).toBe(Number(sealed.seq));
    await db('audit_records').where('id', sealed.id).update({ body: sealed.body });
    // a deleted last record
    const last = rows[rows.length - 1]!;
    const full = await db('audit_records').where('id', last.id).first();
    await db('audit_records').where('id', last.id).delete();
    expect((await verify()).body.ok).toBe(false);
    await db('audit_records').insert(full);
    expect((await verify()).body).toMatchObject({ ok: true });
  });

  test('periodic checkpoints: signed after an hour with new records, not while nothing is new or too soon', async () => {
    const platform = await platformKey(db, DEVELOPMENT_SEAL_SECRET);
    const signed = await createCheckpoint(db, platform);
    expect(signed).not.toBeNull();
    const later = (minutes: number) => new Date(Date.now() + minutes * 60_000);
    expect(await checkpointIfDue(db, platform, later(120))).toBeNull(); // nothing new since
    await loginCookie(api.base, issuer.username); // a login is an audit record
    expect(await checkpointIfDue(db, platform, later(10))).toBeNull(); // new, but the last is fresh
    const due = await checkpointIfDue(db, platform, later(61));
    expect(due?.checkpoint.seq).toBeGreaterThan(signed!.checkpoint.seq);
    expect((await verify()).body.ok).toBe(true);
  });
});
