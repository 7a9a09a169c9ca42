import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { verificationCode } from '../../domain/audit-chain';
import { verifyEvidencePackage } from '../../domain/evidence';
import { seedDemoUsers } from '../../server/auth/demo-users';
import { seedReferenceData } from '../../server/reference';
import { startTestSystem, type TestSystem } from '../support/system';
import { loginCookie } from '../support/accounts';

/**
 * Sealed inbox decisions on the real engine and database: an enrolled reviewer must give the
 * signing PIN; a wrong one leaves the task open and writes nothing; the completion's timeline
 * event is a sealed audit record that verifies; the process instance's evidence package verifies
 * offline; the approval document carries the seal's verification code as extractable Chinese text.
 */
jest.setTimeout(180_000);

describe('sealed task decisions', () => {
  let t: TestSystem;
  let base: string;
  const cookies: Record<string, string> = {};
  const PASSWORD = 'Budget@2026';
  const PIN = '602918';

  beforeAll(async () => {
    t = await startTestSystem();
    await t.system.ready;
    await seedReferenceData(t.system.db, { year: 2026 });
    await seedDemoUsers(t.system.db);
    base = `${t.system.url}/api`;
    for (const u of ['nm_clerk_yz', 'nm_dept_jy', 'nm_jkw', 'nm_ysk', 'nm_compliance'])
      cookies[u] = await loginCookie(t.system.url, u, PASSWORD);
  });
  afterAll(async () => {
    await t?.close();
  });

  async function call(user: string, method: string, p: string, body?: unknown): Promise<{ status: number; body: any; raw: Buffer }> {
    const res = await fetch(base + p, {
      method,
      headers: { 'content-type': 'application/json', cookie: cookies[user]! },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const raw = Buffer.from(await res.arrayBuffer());
    const json =
      (res.headers.get('content-type') ?? '').includes('json') && raw.length ? (JSON.parse(raw.toString('utf8')) as unknown) : null;
    return { status: res.status, body: json, raw };
  }

  async function fileAndSubmit(name: string): Promise<number> {
    const created = await call('nm_clerk_yz', 'POST', '/projects', {
      fiscalYear: 2026,
      name,
      category: '33',
      functionalCode: '2050204',
      description: '详见可行性研究报告',
      amounts: [{ economicCode: '30213', amountFen: 500_000_00 }],
      targets: [
        { level1: '产出指标', level2: '数量指标', name: '维修面积', direction: '>=', targetValue: '1000', unit: '平方米' },
        { level1: '效益指标', level2: '社会效益指标', name: '受益学生', direction: '>=', targetValue: '800', unit: '人' },
      ],
    });
    expect(created.status).toBe(201);
    expect((await call('nm_clerk_yz', 'POST', `/projects/${created.body.id}/submit`, { version: created.body.version })).status).toBe(200);
    return created.body.id as number;
  }

  async function taskFor(user: string, projectId: number, step: string): Promise<{ id: number; processInstanceKey: string }> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const r = await call(user, 'GET', '/tasks?box=todo&pageSize=100');
      const task = (r.body.items as Array<{ id: number; projectId: number; elementId: string; processInstanceKey: string }>).find(
        (x) => x.projectId === projectId && x.elementId === step,
      );
      if (task) return task;
      await new Promise((res) => setTimeout(res, 200));
    }
    throw new Error(`no ${step} task for ${user} on project ${projectId}`);
  }

  async function waitForStatus(id: number, wanted: string): Promise<string> {
    const deadline = Date.now() + 30_000;
    let status = '';
    while (Date.now() < deadline && status !== wanted) {
      status = (await call('nm_clerk_yz', 'GET', `/projects/${id}`)).body.status as string;
      if (status !== wanted) await new Promise((res) => setTimeout(res, 200));
    }
    return status;
  }

  test('an enrolled reviewer must give the PIN; a wrong PIN changes nothing; the decision is sealed, verifies, and prints', async () => {
    for (const u of ['nm_jkw', 'nm_ysk']) expect((await call(u, 'POST', '/seals/enrol', { pin: PIN })).status).toBe(201);
    const id = await fileAndSubmit('第一中学签章审批测试项目');
    const dept = await taskFor('nm_dept_jy', id, 'DepartmentReview');
    // Not enrolled: decides without a PIN, unsealed.
    expect(
      (await call('nm_dept_jy', 'POST', `/tasks/${dept.id}/complete`, { data: { decision: 'approve', comment: '同意' } })).status,
    ).toBe(200);

    const sector = await taskFor('nm_jkw', id, 'SectorReview');
    const sectorData = { decision: 'approve', countersign: false, comment: '符合方向' };
    const missing = await call('nm_jkw', 'POST', `/tasks/${sector.id}/complete`, { data: sectorData });
    expect([missing.status, missing.body.error.code]).toEqual([400, 'SIGNING_PIN_REQUIRED']);
    const eventsBefore = (await call('nm_clerk_yz', 'GET', `/projects/${id}/events`)).body.items.length as number;
    const wrong = await call('nm_jkw', 'POST', `/tasks/${sector.id}/complete`, { data: sectorData, signingPin: '999111' });
    expect([wrong.status, wrong.body.error.code]).toEqual([400, 'SEAL_PIN_WRONG']);
    const still = await call('nm_jkw', 'GET', `/tasks/${sector.id}`);
    expect(still.body.task.status).toBe('open');
    expect(still.body.history.filter((e: { taskId: number }) => e.taskId === sector.id).map((e: { kind: string }) => e.kind)).toEqual([
      'created',
    ]); // not even claimed
    expect((await call('nm_clerk_yz', 'GET', `/projects/${id}/events`)).body.items.length).toBe(eventsBefore);

    const done = await call('nm_jkw', 'POST', `/tasks/${sector.id}/complete`, { data: sectorData, signingPin: PIN });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({
      outcome: 'completed',
      seal: { auditRecordId: expect.any(Number), verificationCode: expect.stringMatching(/^[0-9a-f]{16}$/) },
    });

    // 预算处审定 through 批量审批: one PIN for the batch.
    const budget = await taskFor('nm_ysk', id, 'BudgetDecision');
    const badBatch = await call('nm_ysk', 'POST', '/tasks/batch-complete', {
      taskIds: [budget.id],
      data: { decision: 'admit' },
      signingPin: '999111',
    });
    expect([badBatch.status, badBatch.body.error.code]).toEqual([400, 'SEAL_PIN_WRONG']);
    const batch = await call('nm_ysk', 'POST', '/tasks/batch-complete', {
      taskIds: [budget.id],
      data: { decision: 'admit' },
      signingPin: PIN,
    });
    expect(batch.body).toMatchObject({ completed: 1, failed: 0 });
    expect(await waitForStatus(id, 'reserved')).toBe('reserved');

    // Timeline: the two sealed decisions, the department's unsealed one, 入库 by the worker unsealed.
    const events = (await call('nm_clerk_yz', 'GET', `/projects/${id}/events`)).body.items as Array<{
      kind: string;
      note: string;
      toStatus: string | null;
      sealed: boolean;
      auditRecordId: number;
    }>;
    expect(events.filter((e) => e.kind === 'task_completed').map((e) => [e.note, e.sealed])).toEqual([
      ['主管部门审核：通过。意见：同意', false],
      ['财政业务处室审核：通过。意见：符合方向', true],
      ['预算处审定：同意入库', true],
    ]);
    expect(events.find((e) => e.toStatus === 'reserved')!.sealed).toBe(false);
    expect(events.find((e) => e.note === '财政业务处室审核：通过。意见：符合方向')!.auditRecordId).toBe(done.body.seal.auditRecordId);
    // Task history shows the seal from the chain.
    const history = (await call('nm_jkw', 'GET', `/tasks/${sector.id}`)).body.history as Array<{
      taskId: number;
      kind: string;
      sealed: boolean;
      auditRecordId: number | null;
    }>;
    expect(history.find((e) => e.taskId === sector.id && e.kind === 'completed')).toMatchObject({
      sealed: true,
      auditRecordId: done.body.seal.auditRecordId,
    });

    // The record: a seal over the decision, the form's SM3, the instance and element; the chain verifies.
    const records = (await call('nm_compliance', 'GET', `/audit/records?projectId=${id}&sealed=true&order=asc`)).body.items as Array<{
      id: number;
      body: { kind: string; seal: { payload: Record<string, unknown>; signature: string } };
    }>;
    expect(records.map((r) => r.body.kind)).toEqual(['project.task_completed', 'project.task_completed']);
    expect(records[0]!.body.seal.payload).toMatchObject({
      what: 'task.complete',
      processInstance: sector.processInstanceKey,
      element: 'SectorReview',
      decision: { taskId: sector.id, decision: 'approve', comment: '符合方向' },
      who: { username: 'nm_jkw' },
      formSm3: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const verify = await call('nm_compliance', 'GET', '/audit/verify');
    expect(verify.body).toMatchObject({ ok: true, firstBroken: null });
    expect(verify.body.sealed).toBeGreaterThanOrEqual(2);

    // The process instance's evidence: its records only, verified offline and by the upload endpoint.
    const evidence = await call('nm_compliance', 'GET', `/processes/instances/${sector.processInstanceKey}/evidence`);
    expect(evidence.status).toBe(200);
    const text = evidence.raw.toString('utf8');
    const report = verifyEvidencePackage(text);
    expect(report.ok).toBe(true);
    expect(report.records.filter((r) => r.sealed)).toHaveLength(2);
    expect(report.records.map((r) => r.kind)).toEqual(
      expect.arrayContaining(['project.task_created', 'project.task_completed', 'project.status_changed']),
    );
    expect(report.records.map((r) => r.kind)).not.toContain('project.submitted'); // before the instance
    const file = path.join(os.tmpdir(), `evidence-process-${process.pid}.json`);
    fs.writeFileSync(file, text);
    // Asynchronously: the API under test runs in this process, and a blocked event loop lets its
    // keep-alive timers close the sockets the next requests reuse (ECONNRESET under load).
    expect((await promisify(execFile)('npx', ['tsx', 'scripts/verify.ts', file], { encoding: 'utf8' })).stdout).toContain('通过：');
    const uploaded = await fetch(`${base}/audit/verify-package`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', cookie: cookies.nm_compliance! },
      body: text,
    });
    expect(((await uploaded.json()) as { ok: boolean }).ok).toBe(true);
    // A changed byte inside a sealed payload is located.
    const tampered = text.replace('符合方向', '符合方问');
    const bad = (await (
      await fetch(`${base}/audit/verify-package`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream', cookie: cookies.nm_compliance! },
        body: tampered,
      })
    ).json()) as { ok: boolean; records: Array<{ seq: number; ok: boolean }> };
    expect(bad.ok).toBe(false);
    expect(bad.records.filter((r) => !r.ok).length).toBeGreaterThan(0);
    // Another instance named as the subject: its records (and the engine statement) do not belong to it.
    const key = sector.processInstanceKey;
    const otherKey = `${key[0] === '1' ? '2' : '1'}${key.slice(1)}`;
    expect(text).toContain(`"subject":{"id":"${key}","type":"process"}`);
    expect(verifyEvidencePackage(text.replace(`"subject":{"id":"${key}"`, `"subject":{"id":"${otherKey}"`)).ok).toBe(false);

    // The approval document: Chinese text, the decision, the seal's verification code.
    const pdf = await call('nm_clerk_yz', 'GET', `/tasks/${budget.id}/document.pdf`);
    expect(pdf.status).toBe(200);
    expect(pdf.raw.subarray(0, 5).toString()).toBe('%PDF-');
    const pdfFile = path.join(os.tmpdir(), `approval-${process.pid}.pdf`);
    fs.writeFileSync(pdfFile, pdf.raw);
    const extracted = execFileSync('pdftotext', [pdfFile, '-'], { encoding: 'utf8' }).replace(/\s+/g, '');
    const sealRecord = records[1]!;
    expect(extracted).toContain('预算项目审批单');
    expect(extracted).toContain('第一中学签章审批测试项目');
    expect(extracted).toContain('预算处审定');
    expect(extracted).toContain('同意入库');
    expect(extracted).toContain('¥500,000.00');
    expect(extracted).toContain(`审计记录：#${sealRecord.id}`);
    expect(extracted).toContain(`签章核验码：${verificationCode(sealRecord.body.seal.signature)}`);
    const fonts = execFileSync('pdffonts', [pdfFile], { encoding: 'utf8' });
    expect(fonts).toMatch(/NotoSansSC-Regular\s+CID TrueType\s+Identity-H\s+yes yes yes/);
    // An open task has no document yet.
    const another = await fileAndSubmit('第一中学签章审批测试项目二');
    const open = await taskFor('nm_dept_jy', another, 'DepartmentReview');
    const none = await call('nm_dept_jy', 'GET', `/tasks/${open.id}/document.pdf`);
    expect([none.status, none.body.error.code]).toEqual([409, 'TASK_NOT_COMPLETED']);
  });
});
