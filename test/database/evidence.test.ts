import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Db } from '../../server/db';
import { verifyEvidencePackage } from '../../domain/evidence';
import { createAccount, loginCookie } from '../support/accounts';
import { startApi } from '../support/api';
import { insertProjectRow } from '../support/projects';
import { openFreshDatabase } from '../support/system';
import { PROJECT_ROOT } from '../../server/config';

/** A project's evidence package, checked offline; any changed byte is detected and located. */
describe('evidence package', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let api: Awaited<ReturnType<typeof startApi>>;
  let text: string;
  let projectId: number;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'evidence-'));

  beforeAll(async () => {
    const fresh = await openFreshDatabase();
    ({ db, drop } = fresh);
    api = await startApi(db, fresh.database);
    const issuer = await createAccount(db, ['budget_division']);
    const cookie = await loginCookie(api.base, issuer.username);
    projectId = await insertProjectRow(db, { unitOrgId: issuer.orgId });
    const call = (method: string, p: string, body?: unknown) =>
      fetch(`${api.base}/api${p}`, {
        method,
        headers: { 'content-type': 'application/json', cookie },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    expect((await call('POST', '/seals/enrol', { pin: '135790' })).status).toBe(201);
    const q = {
      fiscalYear: 2026,
      functionalCode: '2050201',
      economicCode: '30201',
      fundSource: '一般公共预算',
      documentNo: '财教〔2026〕9号',
      amountFen: 800_000,
      reason: '下达',
      projectId,
      signingPin: '135790',
    };
    expect((await call('POST', '/quotas', q)).status).toBe(201);
    expect((await call('POST', '/quotas', { ...q, projectId: undefined })).status).toBe(201); // not the project's: on the skeleton only
    expect((await call('POST', '/quotas', q)).status).toBe(201);
    const auditor = await loginCookie(api.base, (await createAccount(db, ['audit_admin'])).username);
    const res = await fetch(`${api.base}/api/projects/${projectId}/evidence`, { headers: { cookie: auditor } });
    expect(res.status).toBe(200);
    text = await res.text();
    expect((await fetch(`${api.base}/api/projects/999999/evidence`, { headers: { cookie: auditor } })).status).toBe(404);
  });
  afterAll(async () => {
    await api?.close();
    await db?.destroy();
    await drop?.();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the package holds the project records, seals and key records, and verifies offline', () => {
    const pkg = JSON.parse(text);
    expect(pkg.records.map((r: { body: { kind: string } }) => r.body.kind)).toEqual([
      'quota.issue',
      'seal.quota.issue',
      'quota.issue',
      'seal.quota.issue',
    ]);
    expect(pkg.keys).toHaveLength(1);
    expect(verifyEvidencePackage(text)).toMatchObject({ ok: true, firstFailure: null });
  });

  test('npm run verify exits 0 on the package and non-zero, naming the record, on a tampered one', () => {
    const good = path.join(dir, 'good.json');
    fs.writeFileSync(good, text);
    const run = (file: string) => {
      try {
        return {
          code: 0,
          out: execFileSync(path.join(PROJECT_ROOT, 'node_modules/.bin/tsx'), [path.join(PROJECT_ROOT, 'scripts/verify.ts'), file], {
            stdio: 'pipe',
          }).toString(),
        };
      } catch (err) {
        const e = err as { status: number; stdout: Buffer };
        return { code: e.status, out: e.stdout.toString() };
      }
    };
    expect(run(good)).toMatchObject({ code: 0, out: expect.stringContaining('通过：4 条记录，2 个签章') });
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, text.replace('"amountFen":800000', '"amountFen":900000'));
    const r = run(bad);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/失败：记录 #\d+（quota\.issue）/);
  });

  test('a changed byte anywhere in the package is detected', () => {
    const bytes = Buffer.from(text, 'utf8');
    const step = Math.max(1, Math.floor(bytes.length / 400));
    const missed: number[] = [];
    for (let at = 0; at < bytes.length; at += step) {
      const changed = Buffer.from(bytes);
      // another printable ASCII byte (keeps most files valid JSON so the deeper checks are exercised)
      changed[at] = bytes[at] === 0x30 ? 0x31 : bytes[at]! >= 0x80 ? 0x41 : bytes[at] === 0x61 ? 0x62 : 0x30;
      const report = verifyEvidencePackage(changed.toString('utf8'));
      if (report.ok || !report.firstFailure) missed.push(at);
    }
    expect(missed).toEqual([]);
  });
});
