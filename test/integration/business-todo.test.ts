import { seedDemoUsers } from '../../server/auth/demo-users';
import { issueQuota } from '../../server/ledger/service';
import { seedReferenceData } from '../../server/reference';
import { loginCookie } from '../support/accounts';
import { apiAs, demoApplication, type ApiCall } from '../support/intake';
import { startTestSystem, type TestSystem } from '../support/system';

/**
 * 待办 lists the business steps a person may decide (server/inbox/business.ts), on the real engine
 * and database, through the HTTP API: a payment request of 呼和浩特市第一中学 (王芳) is in the 待办 of
 * 孙丽 (国库科, the city's treasury section) and of nobody else — not 江苏's 郭敏 (same role, other
 * province), not the unit's clerk, not the 局长 before his step — and leaves it once decided on the
 * payment page; likewise a 调剂 in 刘洋's (预算科) and not in 江苏's 胡斌's. The badge and the
 * workbench count them.
 */
jest.setTimeout(300_000);

const PASSWORD = 'Budget@2026';
const PIN = '246811';
const YUAN = 100;

describe('business steps in 待办', () => {
  let t: TestSystem;
  let call: ApiCall;
  const cookies: Record<string, string> = {};
  const people = ['nm_clerk_yz', 'nm_gkk', 'nm_ysk', 'nm_director', 'js_gkk', 'js_ysk'];
  let quotaA: number;
  let quotaB: number;

  const until = async <T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 60_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const v = await fn();
      if (v) return v;
      await new Promise((r) => setTimeout(r, 150));
    }
    throw new Error(`timed out waiting for ${what}`);
  };
  const todo = async (user: string, query = '') => {
    const r = await call(user, 'GET', `/tasks?box=todo${query}`);
    expect(r.status).toBe(200);
    return r.body as { total: number; business: { items: any[]; total: number; engineAway: boolean } };
  };
  const stepsOf = async (user: string, kind: string, objectId: number) =>
    (await todo(user)).business.items.filter((i) => i.kind === kind && i.objectId === objectId);

  beforeAll(async () => {
    t = await startTestSystem();
    await t.system.ready;
    const db = t.system.db;
    await seedReferenceData(db, { year: 2026 });
    await seedDemoUsers(db);
    for (const u of people) cookies[u] = await loginCookie(t.system.url, u, PASSWORD);
    call = apiAs(`${t.system.url}/api`, cookies);
    const school = Number(((await db('organisations').where({ code: '150100-JY-001' }).first('id')) as { id: number }).id);
    const r = await call('nm_clerk_yz', 'POST', '/projects', demoApplication('待办聚合测试项目', '待办聚合'));
    expect(r.status).toBe(201);
    const projectId = Number(r.body.id);
    await db('projects').where('id', projectId).update({ status: 'funded' });
    // Setup only: quotas as the allocation issues them.
    const issue = async (key: string, amountFen: number) =>
      (
        await issueQuota(db, {
          fiscalYear: 2026,
          projectId,
          unitOrgId: school,
          functionalCode: '2050204',
          economicCode: '30201',
          fundSource: '一般公共预算',
          documentNo: `测试〔2026〕${key}号`,
          amountFen,
          actor: 'test',
          reason: '测试指标',
          idempotencyKey: `todo-quota-${key}`,
        })
      ).quota.id;
    quotaA = await issue('a', 100_000 * YUAN);
    quotaB = await issue('b', 20_000 * YUAN);
    for (const u of ['nm_gkk', 'nm_ysk']) expect((await call(u, 'POST', '/seals/enrol', { pin: PIN })).status).toBe(201);
  });

  afterAll(async () => {
    await t?.close();
  });

  test('a payment request is in the 待办 of the treasury section that may approve it, and nobody else’s, until decided on its page', async () => {
    const before = await todo('nm_gkk');
    const filed = await call('nm_clerk_yz', 'POST', '/payments', {
      quotaId: quotaA,
      amountFen: 3_000 * YUAN,
      payeeName: '呼和浩特市新华书店',
      payeeKind: 'organisation',
      payeeAccount: '6222 0212 3456 7890 123',
      payeeBank: '中国工商银行呼和浩特新华支行',
      purpose: '购置教学用书',
      economicCode: '30201',
      paymentType: 'direct',
    });
    expect(filed.status).toBe(201);
    const id = Number(filed.body.id);
    const [row] = await until('the payment in 孙丽’s 待办', async () => {
      const rows = await stepsOf('nm_gkk', 'payment', id);
      return rows.length ? rows : undefined;
    });
    expect(row).toMatchObject({
      kindLabel: '用款申请',
      processId: 'payment-approval',
      elementId: 'TreasuryReview',
      step: '国库处科室负责人审核',
      reference: filed.body.requestNo,
      unitName: '呼和浩特市第一中学',
      link: `/payments/${id}`,
      overdue: false,
    });
    expect(row.title).toContain('购置教学用书');
    expect(row.createdAt).toMatch(/\+08:00$/);
    expect(row.dueAt).toMatch(/\+08:00$/);
    // The page it links to agrees: 孙丽 may decide there.
    expect((await call('nm_gkk', 'GET', `/payments/${id}`)).body.can.decide).toBe(true);
    // The badge's figure (total + business.total) and the workbench count it.
    const after = await todo('nm_gkk');
    expect(after.total + after.business.total).toBe(before.total + before.business.total + 1);
    const wb = (await call('nm_gkk', 'GET', '/workbench')).body;
    expect(wb.tasks.todo).toBe(after.total + after.business.total);
    expect(wb.tasks.business.some((i: any) => i.kind === 'payment' && i.objectId === id)).toBe(true);
    // Filters apply to the business steps too.
    expect((await todo('nm_gkk', '&processId=payment-approval')).business.items.map((i) => i.objectId)).toContain(id);
    expect((await todo('nm_gkk', '&processId=budget-adjustment')).business.items.filter((i) => i.kind === 'payment')).toEqual([]);
    expect((await todo('nm_gkk', `&keyword=${encodeURIComponent(filed.body.requestNo)}`)).business.items.map((i) => i.objectId)).toEqual([
      id,
    ]);
    expect((await todo('nm_gkk', '&overdue=true')).business.items.filter((i) => i.objectId === id)).toEqual([]);
    // Not another province's treasury section, not the unit's clerk, not the 局长 (not his step).
    for (const u of ['js_gkk', 'nm_clerk_yz', 'nm_director', 'nm_ysk']) expect(await stepsOf(u, 'payment', id)).toEqual([]);
    // Decided on the payment page: gone from 待办.
    const d = await call('nm_gkk', 'POST', `/payments/${id}/decision`, { decision: 'approve', comment: '同意', signingPin: PIN });
    expect(d.status).toBe(200);
    expect(await stepsOf('nm_gkk', 'payment', id)).toEqual([]);
    const end = await todo('nm_gkk');
    expect(end.total + end.business.total).toBe(before.total + before.business.total);
  });

  test('a 调剂 is in the 预算科’s 待办 (not another province’s, not the director’s) until decided on the adjustment page', async () => {
    const filed = await call('nm_clerk_yz', 'POST', '/adjustments', {
      kind: 'transfer',
      fromQuotaId: quotaA,
      toQuotaId: quotaB,
      amountFen: 1_234_56,
      reason: '教学设备采购调剂至差旅费',
    });
    expect(filed.status).toBe(201);
    const id = Number(filed.body.id);
    const [row] = await until('the adjustment in 刘洋’s 待办', async () => {
      const rows = await stepsOf('nm_ysk', 'adjustment', id);
      return rows.length ? rows : undefined;
    });
    expect(row).toMatchObject({
      kindLabel: '预算调整',
      elementId: 'SectionReview',
      step: '科室负责人审核',
      unitName: '呼和浩特市第一中学',
      link: `/adjustments/${id}`,
    });
    expect(row.title).toContain('调剂');
    for (const u of ['js_ysk', 'nm_director', 'nm_clerk_yz', 'nm_gkk']) expect(await stepsOf(u, 'adjustment', id)).toEqual([]);
    const d = await call('nm_ysk', 'POST', `/adjustments/${id}/decision`, { decision: 'approve', comment: '同意调剂', signingPin: PIN });
    expect(d.status).toBe(200);
    expect(await stepsOf('nm_ysk', 'adjustment', id)).toEqual([]);
  });

  test('the other boxes carry no business steps', async () => {
    for (const box of ['done', 'cc']) {
      const r = await call('nm_gkk', 'GET', `/tasks?box=${box}`);
      expect(r.status).toBe(200);
      expect(r.body.business).toBeUndefined();
    }
  });
});
