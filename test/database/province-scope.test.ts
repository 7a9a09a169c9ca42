import { sm3Hex } from '../../domain/digest';
import ExcelJS from 'exceljs';
import { ROLES } from '../../domain/roles';
import { createAllocation, type AllocationDeps } from '../../server/allocation/service';
import { createPaymentRequest, type PaymentDeps } from '../../server/payments/service';
import { fieldKeyring } from '../../server/crypto/keyring';
import { checkFiling, insertAdjustment } from '../../server/adjustments/service';
import { createDrafts } from '../../server/final-accounts/service';
import { freeze, issueQuota } from '../../server/ledger/service';
import { ROUTE_CATALOGUE, routeKey, type RouteDoc } from '../../server/api/catalog';
import { createUser, loadPrincipal, scopeOrgIds } from '../../server/auth/service';
import type { Db } from '../../server/db';
import { drawBatch, type ProjectForReview } from '../../server/expert-review/review';
import { notify } from '../../server/notifications/service';
import { getOrganisationByCode, seedReferenceData } from '../../server/reference';
import { loginCookie, TEST_PASSWORD } from '../support/accounts';
import { startApi } from '../support/api';
import { openFreshDatabase, testConfig } from '../support/system';
import { EngineClient } from '../../server/engine/client';
import { issuePaymentOrder } from '../../server/treasury/orders';
import { schemaFields } from '../support/zod-walk';

/**
 * Route × role × province. Every role is held by a person of 内蒙古 (A) and one of 江苏 (B); A's
 * people file a project (with an attachment), issue a quota to it and one not yet tied to a unit,
 * freeze money, enrol a seal, hold tasks and get notifications; A's budget division builds the
 * year's allocation, A's performance division keeps an expert (with a tie) and reviews a reserved
 * project in a batch, so A's expert holds an assignment. Then, with the routes taken from
 * the route catalogue (server/api/catalog.ts):
 * - every route that takes an id in its path answers each B person 403 or 404 for every object
 *   of A, whatever the role, and the database is byte-for-byte what it was (nothing changes);
 * - every body field that names an object (…Id, …Ids) pointed at A's objects is refused, and
 *   nothing changes;
 * - every list and export (every GET without a path id, with its id filters pointed at A) shows
 *   B none of A's rows;
 * - and, so none of this passes by accident, A's own people do reach every object and see their
 *   rows in the lists.
 * A new route with an id, a new id field or a new role fails here until it is covered.
 */

/** Where each role sits in each province: B's region roles at the province, their widest scope. */
const PLACES: Record<string, { a: string; b: string }> = {
  unit_clerk: { a: '150100-JY-001', b: '320100-JY-002' },
  department_reviewer: { a: '150100-JY', b: '320100-JY' },
  sector_division: { a: '150100-CZ-JKW', b: '320000-CZ-JKW' },
  budget_division: { a: '150100-CZ-YS', b: '320000-CZ-YS' },
  treasury_division: { a: '150100-CZ-GK', b: '320000-CZ-GK' },
  performance_division: { a: '150000-CZ-JX', b: '320000-CZ-JX' },
  expert: { a: '150000-ZJK', b: '320000-ZJK' },
  director: { a: '150100-CZ', b: '320000-CZ' },
  process_designer: { a: '150000-CZ', b: '320000-CZ' },
  compliance: { a: '150000-CZ', b: '320000-CZ' },
  system_admin: { a: '150000-CZ', b: '320000-CZ' },
  security_admin: { a: '150000-CZ', b: '320000-CZ' },
  audit_admin: { a: '150000-CZ', b: '320000-CZ' },
};
const ADMIN_ROLES = ['system_admin', 'security_admin', 'audit_admin'];
/** B's strongest non-admin account: every other role at once, at the province's finance department. */
const B_ALL = 'jsx_all';

/** Routes whose path id names no object of a province: definitions shipped with the platform. */
const NOT_OWNED: Record<string, string> = {
  'GET /api/forms/{key}': 'task form definitions (forms/)',
  'GET /api/processes/{processId}/diagram':
    'process models (processes/) or, with ?instance, the deployed version an instance runs on: the model only, no data of the instance',
  'GET /api/designer/processes/{processId}/versions/{version}/xml': 'deployed versions of the process models (one engine per installation)',
  'GET /api/designer/decisions/{decisionId}/versions/{version}':
    'deployed versions of the decision tables (processes/*.dmn, one engine per installation)',
  'GET /api/designer/processes/{processId}/instances':
    'instance counts per version of a process model (installation-wide: the models are the same for every province)',
  'POST /api/designer/processes/{processId}/migration/preview':
    'a migration plan between two versions of a process model (installation-wide)',
  'POST /api/designer/processes/{processId}/migration':
    "moves the installation's running instances of one version to a newer one: a designer's installation-wide operation on the model, not on one province's objects",
  'POST /api/designer/decisions/{decisionId}/evaluate':
    'a test evaluation of a decision table (processes/*.dmn): reads and writes no object of a province',
  'GET /api/designer/trials/variables/{processId}': 'made-up start variables of a process model (processes/)',
  'GET /api/designer/trials/{trialId}':
    "a trial run in the engine's sandbox tenant: a designer's installation-wide draft, no object of a province",
  'POST /api/designer/trials/{trialId}/tasks/{taskId}/complete':
    'a user task of a sandbox trial instance (made-up data, no object of a province)',
  'POST /api/designer/trials/{trialId}/auto': 'runs a sandbox trial instance to its end (made-up data, no object of a province)',
  'DELETE /api/designer/trials/{trialId}': "deletes a sandbox trial's deployment (no object of a province)",
  'POST /api/designer/trials/{trialId}/timers/{jobId}/fire':
    "fires a timer of a sandbox trial instance (tenant budgettrial only; a real instance's job is refused)",
};

/** Fields ending in Id that name no object of this platform. */
const NOT_OBJECT_FIELDS: Record<string, string> = {
  referenceId: "the other system's document a ledger entry answers (a payment request's number)",
  processId: 'a process model id (processes/)',
  noticeId: "the bank's number of its arrival notice (the notice route is the bank's, signed, not a person's)",
};

/** Documents that are the same for everyone: the import template's help names an example unit. */
const STATIC_DOCUMENTS: Record<string, string> = {
  'GET /api/projects/import-template': '说明 sheet: 示例 names 呼和浩特市第一中学 as the example unit',
};

/** A's markers: any of these in what B receives is one of A's rows. */
const A_MARK = '甲省标记';
const A_TOKENS = ['nmx_', A_MARK, 'NMQ-'];
const A_ORG_CODE = /\b15\d{4}-[A-Z]/;

const projectBody = (name: string) => ({
  name,
  category: '33',
  functionalCode: '2050204',
  description: '体育馆木地板更换、看台加固和照明改造。',
  fiscalYear: 2026,
  amounts: [{ economicCode: '30213', amountFen: 86_000_000 }],
  targets: [
    { level1: '产出指标', level2: '时效指标', name: '暑期内完工', direction: 'qualitative', targetValue: '9 月 1 日前投入使用', unit: '' },
    { level1: '效益指标', level2: '社会效益指标', name: '年使用人次', direction: '>=', targetValue: '60000', unit: '人次' },
  ],
});
/** The label names the quota in this file only: the ledger gives the number (a typed one is refused). */
const quotaBody = (_label: string, extra: Record<string, unknown> = {}) => ({
  fiscalYear: 2026,
  functionalCode: '2050204',
  economicCode: '30213',
  fundSource: '一般公共预算',
  // The label travels in the document number, so a list row of this quota shows it (A's rows carry NMQ-).
  documentNo: `财预〔2026〕${_label}号`,
  amountFen: 1_000_000,
  reason: '指标下达',
  ...extra,
});

const expertBody = (code: string, name: string, extra: Record<string, unknown> = {}) => ({
  code,
  name,
  organisationName: '内蒙古大学',
  title: '教授',
  available: true,
  specialties: ['205'],
  ...extra,
});

/** A valid request body for each write route that takes a path id, so B's refusal is about scope, not input. */
function sampleBody(key: string): unknown {
  const { name, category, functionalCode, description, amounts, targets } = projectBody('越权修改');
  const bodies: Record<string, unknown> = {
    'PUT /api/projects/{id}': { name, category, functionalCode, description, amounts, targets, version: 1 },
    'POST /api/projects/{id}/void': { reason: '越权作废', version: 1 },
    'POST /api/projects/{id}/submit': { version: 1 },
    'POST /api/projects/{id}/withdraw': { reason: '越权撤回' },
    'POST /api/quotas/{id}/carry-over': { amountFen: 1, reason: '越权结转', into: { fiscalYear: 2027 } },
    'PATCH /api/users/{id}': { displayName: '越权改名' },
    'PUT /api/users/{id}/roles': { roles: ['unit_clerk'] },
    'POST /api/users/{id}/reset-password': { password: 'Changed@2026x' },
    'POST /api/users/{id}/seal-reenrolment': { reason: '越权授权重新开通签章' },
    'POST /api/tasks/{id}/complete': { data: {} },
    'POST /api/tasks/{id}/comments': { text: '越权意见' },
    'POST /api/tasks/{id}/reassign': { userId: 1 },
    'POST /api/tasks/{id}/signers': { userId: 1, position: 'after' },
    'POST /api/tasks/{id}/copies': { userIds: [1] },
    'PUT /api/allocations/{id}/lines': { version: 1, lines: [{ projectId: 1, proposedFen: 0 }] },
    'PUT /api/allocations/{id}/control-totals': { version: 1, controlTotals: [] },
    'POST /api/allocations/{id}/submit': { version: 1 },
    'POST /api/allocations/{id}/decision': { decision: 'approve' },
    'POST /api/payments/{id}/decision': { decision: 'approve' },
    'POST /api/payments/{id}/resubmit': {
      amountFen: 100,
      payeeName: '越权收款人',
      payeeKind: 'organisation',
      payeeAccount: '6222021234567890',
      payeeBank: '越权银行',
      purpose: '越权重提',
      economicCode: '30201',
      paymentType: 'direct',
    },
    'POST /api/adjustments/{id}/decision': { decision: 'approve' },
    'POST /api/adjustments/{id}/document': { documentNo: '越权登记的文号' },
    'POST /api/final-accounts/{id}/regenerate': { version: 1 },
    'PUT /api/final-accounts/{id}/items': { version: 1, items: [] },
    'POST /api/final-accounts/{id}/submit': { version: 1 },
    'POST /api/final-accounts/{id}/decision': { decision: 'approve' },
    'PUT /api/experts/{id}': expertBody('JSX-X01', '越权改名'),
    'POST /api/experts/{id}/ties': { kind: 'employment', orgId: 1, relative: false },
    'POST /api/expert-batches/{id}/confirm': { comment: '越权确认' },
    'POST /api/my-reviews/{id}/respond': { decision: 'accept' },
    'PUT /api/performance/evaluations/{id}/self-evaluation': { version: 1, actuals: [] },
    'POST /api/performance/evaluations/{id}/self-evaluation/submit': {},
    'POST /api/performance/evaluations/{id}/review': { decision: 'approve' },
    'POST /api/monitoring/reports/{id}/report': { progressNote: '越权填报', targets: [{ targetId: 1, actualValue: '1', atRisk: false }] },
    'POST /api/monitoring/reports/{id}/review': { decision: 'accept', comment: '越权认可' },
    'POST /api/monitoring/reports/{id}/rectification': { answer: '越权答复' },
    'POST /api/treasury/orders/{id}/resolve': { decision: 'wait' },
    'POST /api/my-reviews/{id}/score': {
      scores: { necessity: 18, economy: 18, targets: 18, feasibility: 18, compliance: 18 },
      comment: '越权提交的评分意见',
    },
  };
  if (key in bodies) return bodies[key];
  if (/^POST \/api\/quotas\/\{id\}\/(freeze|unfreeze|consume|adjust-in|adjust-out)$/.test(key)) return { amountFen: 1, reason: '越权记账' };
  return {};
}

interface Reply {
  status: number;
  text: string;
  json: any;
}

describe('data scope: route × role × province', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let api: Awaited<ReturnType<typeof startApi>>;
  const cookieA = new Map<string, string>(); // role → cookie
  const cookieB = new Map<string, string>(); // username → cookie
  const userA = new Map<string, number>(); // role → user id
  const userB = new Map<string, number>();
  const orgA: Record<string, number> = {};
  const a = {
    projects: [] as number[],
    attachment: 0,
    quotas: [] as number[],
    tasks: [] as number[],
    notifications: [] as number[],
    instance: 'nm-inst-1',
    reserved: 0,
    allocation: 0,
    expert: 0,
    tie: 0,
    batch: 0,
    assignment: 0,
    payment: 0,
    paymentAttachment: 0,
    adjustment: 0,
    finalAccount: 0,
    finalItem: 0,
    evaluation: 0,
    actual: 0,
    evidence: 0,
    monitoringReport: 0,
    target: 0,
    paymentOrder: 0,
  };
  const b = {
    project: 0,
    quota: 0,
    task: 0,
    importBase64: '',
    allocation: 0,
    allocationVersion: 0,
    expert: 0,
    unitOrgId: 0,
    finalAccount: 0,
    selfEvaluation: 0,
    reviewEvaluation: 0,
    monitoringReport: 0,
  };

  const call = async (method: string, path: string, cookie: string | undefined, body?: unknown, raw?: Buffer): Promise<Reply> => {
    const headers: Record<string, string> = cookie ? { cookie } : {};
    let payload: string | Buffer | undefined;
    if (raw) {
      headers['content-type'] = 'text/plain';
      headers['x-file-name'] = encodeURIComponent('越权上传.txt');
      payload = raw;
    } else if (body !== undefined && method !== 'GET' && method !== 'DELETE') {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const res = await fetch(api.base + path, { method, headers, body: payload });
    const type = res.headers.get('content-type') ?? '';
    const bytes = Buffer.from(await res.arrayBuffer());
    let text = bytes.toString('utf8');
    if (type.includes('spreadsheetml')) text = await xlsxText(bytes);
    return { status: res.status, text, json: type.includes('json') && text ? JSON.parse(text) : null };
  };

  const ok = async (method: string, path: string, cookie: string, body?: unknown, raw?: Buffer): Promise<any> => {
    const r = await call(method, path, cookie, body, raw);
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${r.text}`);
    return r.json;
  };

  beforeAll(async () => {
    const fresh = await openFreshDatabase();
    ({ db, drop } = fresh);
    await seedReferenceData(db, { year: 2026 });
    api = await startApi(db, fresh.database);
    const org = async (code: string) => (await getOrganisationByCode(db, code))!.id;
    for (const role of ROLES) {
      const place = PLACES[role.code];
      if (!place) continue; // the test below names the missing role
      const aId = await createUser(db, {
        username: `nmx_${role.code}`,
        displayName: `甲${role.name}`.slice(0, 20),
        orgId: await org(place.a),
        password: TEST_PASSWORD,
        roles: [role.code],
      });
      const bId = await createUser(db, {
        username: `jsx_${role.code}`,
        displayName: `乙${role.name}`.slice(0, 20),
        orgId: await org(place.b),
        password: TEST_PASSWORD,
        roles: [role.code],
      });
      userA.set(role.code, aId);
      userB.set(`jsx_${role.code}`, bId);
    }
    const nonAdmin = ROLES.map((r) => r.code).filter((c) => !ADMIN_ROLES.includes(c));
    userB.set(
      B_ALL,
      await createUser(db, {
        username: B_ALL,
        displayName: '乙全部角色',
        orgId: await org('320000-CZ'),
        password: TEST_PASSWORD,
        roles: nonAdmin,
      }),
    );
    for (const code of ['150100-JY-001', '150100-CZ', '150000-CZ', '150100-JY']) orgA[code] = await org(code);
    for (const role of ROLES) if (PLACES[role.code]) cookieA.set(role.code, await loginCookie(api.base, `nmx_${role.code}`));

    // A's objects, made the way A's people make them.
    const clerk = cookieA.get('unit_clerk')!;
    const ysk = cookieA.get('budget_division')!;
    const p1 = await ok('POST', '/api/projects', clerk, projectBody(`${A_MARK}教学楼维修`));
    a.projects.push(p1.id);
    a.attachment = (await ok('POST', `/api/projects/${p1.id}/attachments`, clerk, undefined, Buffer.from('甲省的附件'))).id;
    // In review, as the intake leaves it (the inbox rows below are its tasks): a draft is its unit's alone.
    await db('projects').where({ id: p1.id }).update({ status: 'department_review' });
    a.quotas.push((await ok('POST', '/api/quotas', ysk, quotaBody('NMQ-1', { projectId: p1.id }))).quota.id);
    a.quotas.push((await ok('POST', '/api/quotas', ysk, quotaBody('NMQ-2'))).quota.id); // issued to the bureau, no unit yet
    await ok('POST', `/api/quotas/${a.quotas[0]}/freeze`, cookieA.get('treasury_division')!, { amountFen: 100, reason: '支付申请冻结' });
    // The unit's 决算 of 2026, generated from the ledger (opening one starts the engine: 503 here).
    const aUnitOfQuota = Number(
      ((await db('quotas').where({ id: a.quotas[0] }).first('unit_org_id')) as { unit_org_id: number }).unit_org_id,
    );
    a.finalAccount = (await db.transaction((trx) => createDrafts(trx, 2026, [aUnitOfQuota], null)))[0]!;
    a.finalItem = Number(((await db('final_account_items').where({ final_account_id: a.finalAccount }).first('id')) as { id: number }).id);
    await ok('POST', '/api/seals/enrol', cookieA.get('department_reviewer')!, { pin: '739152' });
    // A payment order of A's unit, issued as the payment approval issues one; with no engine here
    // its process cannot start (503), the order stands written.
    await freeze(db, { quotaId: a.quotas[0]!, amountFen: 200, actor: 'test', reason: '用款申请冻结', idempotencyKey: 'nmx-pay-freeze' });
    const noEngineClient = new EngineClient('http://127.0.0.1:1/engine-rest', { timeoutMs: 500 });
    await issuePaymentOrder(
      { db, engine: noEngineClient, config: testConfig() },
      {
        source: { kind: 'payment-request', id: 1 },
        quotaId: a.quotas[0]!,
        amountFen: 200,
        freezeKey: 'nmx-pay-freeze',
        payeeName: `${A_MARK}收款单位`,
        payeeAccount: '6222021234567890',
        payeeBank: '中国工商银行',
        purpose: `${A_MARK}工程款`,
        paymentType: 'direct',
        unitOrgId: orgA['150100-JY-001']!,
        economicCode: '30213',
      },
    ).catch((e: { status?: number }) => {
      if (e.status !== 503) throw e;
    });
    a.paymentOrder = Number(((await db('payment_orders').first('id')) as { id: number }).id);

    // Tasks come from the engine; here their inbox rows are written as the projection writes them.
    const now = new Date();
    const dept = userA.get('department_reviewer')!;
    const task = async (
      instanceKey: string,
      projectId: number,
      unitOrgId: number,
      assignee: number,
      status: string,
      jobKey: string,
      title = `${A_MARK}教学楼维修`,
    ) => {
      const [id] = await db('inbox_tasks').insert({
        engine_task_id: jobKey,
        process_instance_key: instanceKey,
        process_id: 'project-intake',
        element_id: 'departmentReview',
        element_instance_key: `${jobKey}-el`,
        name: '主管部门审核',
        form_key: 'intake-department-review',
        candidate_groups: JSON.stringify(['department_reviewer']),
        business_type: 'project',
        business_id: projectId,
        business_title: title,
        unit_org_id: unitOrgId,
        assignee_user_id: assignee,
        status,
        decision: status === 'completed' ? 'approve' : null,
        completed_by: status === 'completed' ? assignee : null,
        completed_at: status === 'completed' ? now : null,
        created_at: now,
      });
      await db('inbox_task_candidates').insert({ task_id: Number(id), user_id: assignee });
      return Number(id);
    };
    await db('process_instances').insert({
      process_instance_key: a.instance,
      process_id: 'project-intake',
      process_version: 1,
      business_type: 'project',
      business_id: p1.id,
      status: 'active',
      started_by: userA.get('unit_clerk')!,
      started_at: now,
    });
    a.tasks.push(await task(a.instance, p1.id, orgA['150100-JY-001']!, dept, 'open', 'nm-job-1'));
    a.tasks.push(await task(a.instance, p1.id, orgA['150100-JY-001']!, dept, 'completed', 'nm-job-2'));
    await db('task_events').insert({
      task_id: a.tasks[1],
      kind: 'completed',
      actor_user_id: dept,
      actor: 'nmx_department_reviewer',
      actor_name: '甲主管部门审核人',
      decision: 'approve',
      comment: '同意',
      data: null,
      created_at: now,
    });
    await db.transaction((trx) =>
      notify(trx, {
        userIds: [userA.get('unit_clerk')!, dept],
        template: 'task-copied',
        context: { step: '主管部门审核', projectName: `${A_MARK}教学楼维修`, projectNo: p1.projectNo, fromName: '甲', comment: null },
        link: `/tasks/${a.tasks[0]}`,
      }),
    );

    // A reserved project (as the intake leaves an approved one), for the allocation and the review.
    a.reserved = (await ok('POST', '/api/projects', clerk, projectBody(`${A_MARK}操场改造`))).id;
    await db('projects').where({ id: a.reserved }).update({ status: 'reserved' });
    // The year's allocation, built by A's budget division. Creating one reads the grade rule from the
    // engine's decision table (POST /api/allocations answers 503 here): the service is given the rule.
    const noEngine = { db, engine: undefined, namespace: 'test', keyStore: undefined } as unknown as AllocationDeps;
    const plainRule = () => ({ priority: 1, cutPercent: 0, excluded: false });
    const principal = async (userId: number) => (await loadPrincipal(db, userId))!;
    const aYsk = await principal(userA.get('budget_division')!);
    a.allocation = await createAllocation(
      noEngine,
      aYsk,
      scopeOrgIds(db, aYsk),
      {
        fiscalYear: 2026,
        name: `${A_MARK}2026年预算分配`,
        majorDecision: false,
        controlTotals: [{ departmentOrgId: orgA['150100-JY']!, sector: '205', amountFen: 100_000_000 }],
      },
      { rules: plainRule },
    );
    // A payment request of A's unit against A's quota, with its contract. Filing one starts the
    // approval process: the engine here is a stand-in that only hands back an instance id.
    const blob = await ok('POST', '/api/payments/attachments', clerk, undefined, Buffer.from('甲省的合同'));
    const startsOnly = { startProcess: async () => ({ id: 'nm-pay-inst-1' }) };
    const payDeps = {
      db,
      engine: startsOnly,
      namespace: 'test',
      keyStore: { publicKey: async () => null },
      fieldKeys: fieldKeyring(testConfig()),
    } as unknown as PaymentDeps;
    a.payment = await createPaymentRequest(payDeps, await principal(userA.get('unit_clerk')!), {
      quotaId: a.quotas[0]!,
      amountFen: 100,
      payeeName: `${A_MARK}收款单位`,
      payeeKind: 'organisation',
      payeeAccount: '6222 0000 1111 2222',
      payeeBank: '甲省银行',
      purpose: `${A_MARK}购书`,
      economicCode: '30201',
      paymentType: 'direct',
      majorDecision: false,
      attachments: [{ kind: 'contract', fileName: '合同.pdf', contentType: 'application/pdf', sm3: blob.sm3 }],
    });
    a.paymentAttachment = Number(((await db('payment_attachments').where({ request_id: a.payment }).first('id')) as { id: number }).id);
    // A 调减 filed by A's unit clerk on its quota. Filing starts the engine (503 here): its rows are
    // written as fileAdjustment writes them before it starts the instance.
    const aClerk = await principal(userA.get('unit_clerk')!);
    const filing = await checkFiling(db, aClerk, {
      kind: 'decrease',
      fromQuotaId: a.quotas[0]!,
      amountFen: 1_00,
      reason: `${A_MARK}结余调减`,
      // With its scan, so GET /api/adjustments/{id}/document has a file to answer A's people with.
      document: {
        documentNo: `${A_MARK}调〔2026〕1号`,
        fileName: '批复.pdf',
        contentBase64: Buffer.from('甲省的调整批复').toString('base64'),
      },
    });
    a.adjustment = await db.transaction((trx) => insertAdjustment(trx, aClerk, filing, null, now));
    // An expert in A's pool, with A's expert account and a declared tie (not with the applicant, so
    // the draw below takes them), by A's performance division.
    const jxc = cookieA.get('performance_division')!;
    a.expert = (
      await ok(
        'POST',
        '/api/experts',
        jxc,
        expertBody('NMX-ZJ01', `${A_MARK}专家`, {
          orgId: orgA['150000-CZ'],
          phone: '13800001111',
          email: 'nmx@example.cn',
          username: 'nmx_expert',
        }),
      )
    ).id;
    a.tie = (
      await ok('POST', `/api/experts/${a.expert}/ties`, jxc, {
        kind: 'advice',
        orgId: orgA['150100-CZ']!,
        relative: false,
        startedOn: '2020-01-01',
        endedOn: '2021-12-31',
      })
    ).ties[0].id;
    // A review batch of the reserved project: opening one starts the engine (503 here), so its rows
    // are written by the draw alone (drawBatch, as openBatch writes them before it starts the engine).
    const aJxc = await principal(userA.get('performance_division')!);
    const reserved = (await db('projects')
      .where({ id: a.reserved })
      .first('id', 'name', 'project_no', 'unit_org_id', 'functional_code', 'fiscal_year', 'status')) as ProjectForReview;
    const drawn = await db.transaction((trx) =>
      drawBatch(trx, {
        p: aJxc,
        signer: null,
        input: { name: `${A_MARK}评审批次`, fiscalYear: 2026, sector: '205', panelSize: 1, respondWithin: 'P3D', scoreWithin: 'P7D' },
        projects: [reserved],
        seed: '0123456789abcdef0123456789abcdef',
        now,
      }),
    );
    a.batch = drawn.batchId;
    a.assignment = Number(((await db('expert_assignments').where({ batch_id: a.batch }).first('id')) as { id: number }).id);
    // A graded performance evaluation of A's project, with an actual and an evidence file, as the
    // evaluation process leaves it (its rows written directly: starting one needs the engine).
    const evaluationOf = async (projectId: number, unitOrgId: number, startedBy: number, fiscalYear: number, status: string) => {
      const [evId] = await db('performance_evaluations').insert({
        project_id: projectId,
        fiscal_year: fiscalYear,
        unit_org_id: unitOrgId,
        status,
        issued_fen: 100_000,
        paid_fen: 50_000,
        self_score_centi: 8000,
        reviewed_score_centi: 7500,
        final_score_centi: status === 'graded' ? 7500 : null,
        grade: status === 'graded' ? 'fair' : null,
        started_by: startedBy,
        started_at: now,
        graded_at: status === 'graded' ? now : null,
        version: 1,
      });
      const targets = (await db('project_targets').where('project_id', projectId).orderBy('seq').select('id', 'seq')) as Array<{
        id: number;
        seq: number;
      }>;
      await db('performance_actuals').insert(
        targets.map((t) => ({ evaluation_id: Number(evId), target_id: t.id, seq: t.seq, self_value: '1' })),
      );
      const [first] = (await db('performance_actuals').where('evaluation_id', evId).orderBy('id').select('id')) as Array<{ id: number }>;
      return { id: Number(evId), actual: Number(first!.id) };
    };
    const aEval = await evaluationOf(p1.id, orgA['150100-JY-001']!, userA.get('performance_division')!, 2025, 'graded');
    a.evaluation = aEval.id;
    a.actual = aEval.actual;
    const evidenceBytes = Buffer.from('甲省的佐证材料');
    const evidenceSm3 = sm3Hex(evidenceBytes);
    await db('attachment_blobs')
      .insert({ sm3: evidenceSm3, size_bytes: evidenceBytes.length, content: evidenceBytes, created_at: now })
      .onConflict('sm3')
      .ignore();
    a.evidence = Number(
      (
        await db('performance_evidence').insert({
          evaluation_id: a.evaluation,
          actual_id: a.actual,
          file_name: '佐证.txt',
          content_type: 'text/plain',
          size_bytes: evidenceBytes.length,
          sm3: evidenceSm3,
          uploaded_by: 'nmx_unit_clerk',
          uploaded_at: now,
        })
      )[0],
    );
    // A quarterly monitoring report of A's funded project with a deviation (rows as the quarter's workers write them).
    const [roundA] = await db('monitoring_rounds').insert({
      fiscal_year: 2026,
      quarter: 4,
      scope_key: '15',
      organiser_org_id: orgA['150000-CZ'],
      started_by: userA.get('performance_division')!,
      process_instance_key: 'nm-mon-round',
      report_count: 1,
      started_at: now,
    });
    const [reportA] = await db('monitoring_reports').insert({
      round_id: Number(roundA),
      project_id: p1.id,
      unit_org_id: orgA['150100-JY-001'],
      fiscal_year: 2026,
      quarter: 4,
      status: 'warned',
      process_instance_key: 'nm-mon-1',
      as_of: '2026-12-01',
      budget_fen: 1_000_000,
      frozen_fen: 100,
      paid_fen: 0,
      time_elapsed_days: 335,
      time_year_days: 365,
      deviation_level: 'severe',
      deviation_reasons: JSON.stringify([`${A_MARK}执行滞后`]),
      created_at: now,
      updated_at: now,
    });
    a.monitoringReport = Number(reportA);
    a.target = Number(((await db('project_targets').where({ project_id: p1.id }).first('id')) as { id: number }).id);
    a.notifications = ((await db('notifications').select('id')) as Array<{ id: number }>).map((n) => Number(n.id));

    for (const username of userB.keys()) cookieB.set(username, await loginCookie(api.base, username));
    // B's own objects, for the body fields that point from B's objects at A's.
    b.project = (await ok('POST', '/api/projects', cookieB.get('jsx_unit_clerk')!, projectBody('金陵中学体育馆改造'))).id;
    await db('projects').where({ id: b.project }).update({ status: 'department_review' });
    b.quota = (await ok('POST', '/api/quotas', cookieB.get('jsx_budget_division')!, quotaBody('JSQ-1'))).quota.id;
    await db('process_instances').insert({
      process_instance_key: 'js-inst-1',
      process_id: 'project-intake',
      process_version: 1,
      business_type: 'project',
      business_id: b.project,
      status: 'active',
      started_by: userB.get('jsx_unit_clerk')!,
      started_at: now,
    });
    // A workbook from B's clerk filing for A's unit (申报单位编码), for the import route.
    const templateRes = await fetch(`${api.base}/api/projects/import-template`, { headers: { cookie: cookieB.get('jsx_unit_clerk')! } });
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(await templateRes.arrayBuffer());
    const put = (sheet: string, values: Record<string, ExcelJS.CellValue>) => {
      const ws = wb.getWorksheet(sheet)!;
      const column = new Map<string, number>();
      ws.getRow(1).eachCell((cell, col) => column.set(String(cell.value), col));
      for (const [header, value] of Object.entries(values)) ws.getRow(2).getCell(column.get(header)!).value = value;
    };
    put('项目', {
      序号: 1,
      项目名称: '越权导入',
      预算年度: 2026,
      项目类别: '其他特定目标类项目',
      功能分类科目: '2050204',
      项目概述: '越权导入',
      申报单位编码: '150100-JY-001',
    });
    put('金额明细', { 序号: 1, 经济分类科目: '30213', '金额（元）': 1000 });
    b.importBase64 = Buffer.from(await wb.xlsx.writeBuffer()).toString('base64');
    b.task = await task(
      'js-inst-1',
      b.project,
      await org('320100-JY-002'),
      userB.get('jsx_department_reviewer')!,
      'open',
      'js-job-1',
      '金陵中学体育馆改造',
    );
    b.unitOrgId = await org('320100-JY-002');
    const bYsk = await principal(userB.get('jsx_budget_division')!);
    b.allocation = await createAllocation(
      noEngine,
      bYsk,
      scopeOrgIds(db, bYsk),
      {
        fiscalYear: 2026,
        name: '江苏2026年预算分配',
        majorDecision: false,
        controlTotals: [{ departmentOrgId: await org('320100-JY'), sector: '205', amountFen: 100_000_000 }],
      },
      { rules: plainRule },
    );
    b.allocationVersion = Number(
      ((await db('budget_allocations').where({ id: b.allocation }).first('version')) as { version: number }).version,
    );
    b.selfEvaluation = (await evaluationOf(b.project, b.unitOrgId, userB.get('jsx_performance_division')!, 2025, 'self_evaluation')).id;
    b.reviewEvaluation = (await evaluationOf(b.project, b.unitOrgId, userB.get('jsx_performance_division')!, 2024, 'review')).id;
    const [roundB] = await db('monitoring_rounds').insert({
      fiscal_year: 2026,
      quarter: 4,
      scope_key: '32',
      report_count: 1,
      started_at: now,
    });
    const [reportB] = await db('monitoring_reports').insert({
      round_id: Number(roundB),
      project_id: b.project,
      unit_org_id: b.unitOrgId,
      fiscal_year: 2026,
      quarter: 4,
      status: 'pending',
      process_instance_key: 'js-mon-1',
      created_at: now,
      updated_at: now,
    });
    b.monitoringReport = Number(reportB);
    b.expert = (
      await ok(
        'POST',
        '/api/experts',
        cookieB.get('jsx_performance_division')!,
        expertBody('JSX-ZJ01', '江苏专家', { organisationName: '南京大学' }),
      )
    ).id;
    await issueQuota(db, {
      fiscalYear: 2026,
      unitOrgId: b.unitOrgId,
      functionalCode: '2050204',
      economicCode: '30213',
      fundSource: '一般公共预算',
      documentNo: '苏财〔2026〕1号',
      amountFen: 1_000_00,
      actor: 'test-setup',
      reason: '测试准备',
    });
    b.finalAccount = (await db.transaction((trx) => createDrafts(trx, 2026, [b.unitOrgId], null)))[0]!;
  }, 180_000);

  afterAll(async () => {
    await api?.close();
    await db?.destroy();
    await drop?.();
  });

  /** Every table but the sessions (last_seen_at moves with any request), row by row. */
  const snapshot = async (): Promise<Record<string, string>> => {
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
    const out: Record<string, string> = {};
    for (const t of tables.filter((n) => n !== 'sessions').sort()) {
      const rows = ((await db(t).select('*')) as unknown[]).map((r) => JSON.stringify(r)).sort();
      out[t] = rows.join('\n');
    }
    return out;
  };

  const bPeople = () => [...cookieB.entries()];
  const ownedKind = (r: RouteDoc): string | null => {
    if (!/\{/.test(r.path) || NOT_OWNED[routeKey(r)]) return null;
    if (r.path.startsWith('/api/quotas/{id}')) return 'quota';
    if (r.path.startsWith('/api/projects/{id}/attachments/{attachmentId}')) return 'attachment';
    if (r.path.startsWith('/api/projects/{id}')) return 'project';
    if (r.path.startsWith('/api/organisations/{id}')) return 'organisation';
    if (r.path.startsWith('/api/users/{id}')) return 'user';
    if (r.path.startsWith('/api/tasks/{id}')) return 'task';
    if (r.path === '/api/seals/keys/{userId}') return 'sealHolder';
    if (r.path.startsWith('/api/processes/instances/{key}')) return 'instance';
    if (r.path.startsWith('/api/allocations/{id}')) return 'allocation';
    if (r.path.startsWith('/api/payments/{id}/attachments/{attachmentId}')) return 'paymentAttachment';
    if (r.path.startsWith('/api/payments/{id}')) return 'payment';
    if (r.path.startsWith('/api/adjustments/{id}')) return 'adjustment';
    if (r.path.startsWith('/api/final-accounts/{id}')) return 'finalAccount';
    if (r.path.startsWith('/api/performance/evaluations/{id}/evidence/{evidenceId}')) return 'evaluationEvidence';
    if (r.path.startsWith('/api/performance/evaluations/{id}')) return 'evaluation';
    if (r.path.startsWith('/api/experts/{id}/ties/{tieId}')) return 'expertTie';
    if (r.path.startsWith('/api/experts/{id}')) return 'expert';
    if (r.path.startsWith('/api/expert-batches/{id}')) return 'expertBatch';
    // An expert's own assignment (the assigned expert alone reaches it): A's assignment, of A's batch.
    if (r.path.startsWith('/api/my-reviews/{id}')) return 'assignment';
    if (r.path.startsWith('/api/monitoring/reports/{id}')) return 'monitoringReport';
    if (r.path.startsWith('/api/treasury/orders/{id}')) return 'paymentOrder';
    return 'unknown';
  };
  /** The paths of a route for each of A's objects of its kind. */
  const aPaths = (r: RouteDoc): string[] => {
    const kind = ownedKind(r);
    const ids: Record<string, string[]> = {
      quota: a.quotas.map(String),
      project: a.projects.map(String),
      organisation: Object.values(orgA).map(String),
      user: ['unit_clerk', 'budget_division', 'system_admin'].map((role) => String(userA.get(role))),
      task: a.tasks.map(String),
      sealHolder: [String(userA.get('department_reviewer'))],
      instance: [a.instance],
      allocation: [String(a.allocation)],
      payment: [String(a.payment)],
      adjustment: [String(a.adjustment)],
      finalAccount: [String(a.finalAccount)],
      evaluation: [String(a.evaluation)],
      expert: [String(a.expert)],
      expertBatch: [String(a.batch)],
      assignment: [String(a.assignment)],
      monitoringReport: [String(a.monitoringReport)],
      paymentOrder: [String(a.paymentOrder)],
    };
    if (kind === 'attachment') return [r.path.replace('{id}', String(a.projects[0])).replace('{attachmentId}', String(a.attachment))];
    if (kind === 'paymentAttachment')
      return [r.path.replace('{id}', String(a.payment)).replace('{attachmentId}', String(a.paymentAttachment))];
    if (kind === 'evaluationEvidence') return [r.path.replace('{id}', String(a.evaluation)).replace('{evidenceId}', String(a.evidence))];
    if (kind === 'expertTie') return [r.path.replace('{id}', String(a.expert)).replace('{tieId}', String(a.tie))];
    return (ids[kind ?? ''] ?? []).map((id) => r.path.replace(/\{\w+\}/, id));
  };
  const ID_ROUTES = ROUTE_CATALOGUE.filter((r) => ownedKind(r) !== null);

  test('every role has a place in both provinces, and every route with a path id names a kind of object here', () => {
    expect(ROLES.map((r) => r.code).filter((c) => !PLACES[c])).toEqual([]);
    expect(ID_ROUTES.filter((r) => ownedKind(r) === 'unknown').map(routeKey)).toEqual([]);
    expect(ID_ROUTES.length).toBeGreaterThan(30);
  });

  test("every route with a path id: B's people get 403 or 404 for each of A's objects, and nothing changes", async () => {
    const before = await snapshot();
    const wrong: string[] = [];
    for (const r of ID_ROUTES) {
      const method = r.method.toUpperCase();
      for (const path of aPaths(r)) {
        for (const [who, cookie] of bPeople()) {
          const raw = routeKey(r) === 'POST /api/projects/{id}/attachments' ? Buffer.from('越权') : undefined;
          const res = await call(method, path, cookie, method === 'GET' || method === 'DELETE' ? undefined : sampleBody(routeKey(r)), raw);
          if (res.status !== 403 && res.status !== 404) wrong.push(`${who} ${method} ${path} → ${res.status} ${res.text.slice(0, 160)}`);
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(await snapshot()).toEqual(before);
  }, 180_000);

  /** Body fields that name objects, pointed from B's side at A's. */
  const bodyCases = () => {
    const ysk = cookieB.get('jsx_budget_division')!;
    const dept = cookieB.get('jsx_department_reviewer')!;
    const sys = cookieB.get('jsx_system_admin')!;
    const aUnit = orgA['150100-JY-001']!;
    const aDept = userA.get('department_reviewer')!;
    const jxc = cookieB.get('jsx_performance_division')!;
    const bUnit = b.unitOrgId;
    const cases: Array<{
      key: string;
      fields: string[];
      cookie: string;
      path: string;
      body: unknown;
      expect: number[];
      each?: string;
      says?: string;
    }> = [
      {
        key: 'POST /api/quotas',
        fields: ['projectId'],
        cookie: ysk,
        path: '/api/quotas',
        body: quotaBody('JSQ-X1', { projectId: a.projects[0] }),
        expect: [400],
      },
      {
        key: 'POST /api/quotas',
        fields: ['unitOrgId'],
        cookie: ysk,
        path: '/api/quotas',
        body: quotaBody('JSQ-X2', { unitOrgId: aUnit }),
        expect: [400],
      },
      {
        key: 'POST /api/quota-transfers',
        fields: ['toQuotaId'],
        cookie: ysk,
        path: '/api/quota-transfers',
        body: { fromQuotaId: b.quota, toQuotaId: a.quotas[1], amountFen: 1, reason: '越权调剂' },
        expect: [404],
      },
      {
        key: 'POST /api/quota-transfers',
        fields: ['fromQuotaId'],
        cookie: ysk,
        path: '/api/quota-transfers',
        body: { fromQuotaId: a.quotas[1], toQuotaId: b.quota, amountFen: 1, reason: '越权调剂' },
        expect: [404],
      },
      {
        key: 'POST /api/quotas/{id}/carry-over',
        fields: ['quotaId'],
        cookie: ysk,
        path: `/api/quotas/${b.quota}/carry-over`,
        body: { amountFen: 1, reason: '越权结转', into: { quotaId: a.quotas[1] } },
        expect: [404],
      },
      {
        key: 'POST /api/projects',
        fields: ['unitOrgId'],
        cookie: cookieB.get('jsx_unit_clerk')!,
        path: '/api/projects',
        body: { ...projectBody('越权申报'), unitOrgId: aUnit },
        expect: [404],
      },
      {
        key: 'POST /api/users',
        fields: ['orgId'],
        cookie: sys,
        path: '/api/users',
        body: { username: 'jsx_intruder', displayName: '越权', orgId: aUnit, password: 'Intrude@2026x' },
        expect: [400],
      },
      {
        key: 'PATCH /api/users/{id}',
        fields: ['orgId'],
        cookie: sys,
        path: `/api/users/${userB.get('jsx_unit_clerk')}`,
        body: { orgId: aUnit },
        expect: [400],
      },
      {
        key: 'POST /api/tasks/{id}/reassign',
        fields: ['userId'],
        cookie: dept,
        path: `/api/tasks/${b.task}/reassign`,
        body: { userId: aDept },
        expect: [400],
      },
      {
        key: 'POST /api/tasks/{id}/signers',
        fields: ['userId'],
        cookie: dept,
        path: `/api/tasks/${b.task}/signers`,
        body: { userId: aDept, position: 'after' },
        expect: [400],
      },
      // 抄送 only to people who may read the project: A's reviewer may not read B's project.
      {
        key: 'POST /api/tasks/{id}/copies',
        fields: ['userIds'],
        cookie: dept,
        path: `/api/tasks/${b.task}/copies`,
        body: { userIds: [aDept] },
        expect: [400],
      },
      {
        key: 'POST /api/tasks/batch-complete',
        fields: ['taskIds'],
        cookie: dept,
        path: '/api/tasks/batch-complete',
        body: { taskIds: a.tasks, data: {} },
        expect: [200],
        each: 'NOT_FOUND',
      },
      // Not an id field, but names A's unit by its code: the import refuses the row, imports nothing.
      {
        key: 'POST /api/projects/import',
        fields: [],
        cookie: cookieB.get('jsx_unit_clerk')!,
        path: '/api/projects/import',
        body: { format: 'xlsx', base64: b.importBase64, fileName: '越权.xlsx' },
        expect: [400],
        says: '150100-JY-001 不存在或不在您的数据范围内',
      },
      {
        key: 'POST /api/notifications/read',
        fields: ['ids'],
        cookie: cookieB.get('jsx_unit_clerk')!,
        path: '/api/notifications/read',
        body: { ids: a.notifications },
        expect: [204],
      },
      // Control totals for A's department, lines for A's project, in B's allocation.
      {
        key: 'POST /api/allocations',
        fields: ['departmentOrgId'],
        cookie: ysk,
        path: '/api/allocations',
        body: { fiscalYear: 2027, name: '越权分配', controlTotals: [{ departmentOrgId: orgA['150100-JY'], sector: '205', amountFen: 1 }] },
        expect: [400],
      },
      {
        key: 'PUT /api/allocations/{id}/control-totals',
        fields: ['departmentOrgId'],
        cookie: ysk,
        path: `/api/allocations/${b.allocation}/control-totals`,
        body: { version: b.allocationVersion, controlTotals: [{ departmentOrgId: orgA['150100-JY'], sector: '205', amountFen: 1 }] },
        expect: [400],
      },
      {
        key: 'PUT /api/allocations/{id}/lines',
        fields: ['projectId'],
        cookie: ysk,
        path: `/api/allocations/${b.allocation}/lines`,
        body: { version: b.allocationVersion, lines: [{ projectId: a.reserved, proposedFen: 1 }] },
        expect: [400],
      },
      // B's budget division files a 调剂 out of or into A's quota.
      {
        key: 'POST /api/adjustments',
        fields: ['fromQuotaId'],
        cookie: ysk,
        path: '/api/adjustments',
        body: { kind: 'transfer', fromQuotaId: a.quotas[1], toQuotaId: b.quota, amountFen: 1, reason: '越权调剂' },
        expect: [400],
      },
      {
        key: 'POST /api/adjustments',
        fields: ['toQuotaId'],
        cookie: ysk,
        path: '/api/adjustments',
        body: { kind: 'transfer', fromQuotaId: b.quota, toQuotaId: a.quotas[1], amountFen: 1, reason: '越权调剂' },
        expect: [400],
      },
      // B's pool: an expert working for A's unit, ties to A's unit and A's project; a batch of A's project.
      {
        key: 'POST /api/experts',
        fields: ['orgId'],
        cookie: jxc,
        path: '/api/experts',
        body: expertBody('JSX-X02', '越权专家', { orgId: aUnit }),
        expect: [400],
      },
      {
        key: 'PUT /api/experts/{id}',
        fields: ['orgId'],
        cookie: jxc,
        path: `/api/experts/${b.expert}`,
        body: expertBody('JSX-ZJ01', '江苏专家', { organisationName: '南京大学', orgId: aUnit }),
        expect: [400],
      },
      {
        key: 'POST /api/experts/{id}/ties',
        fields: ['orgId'],
        cookie: jxc,
        path: `/api/experts/${b.expert}/ties`,
        body: { kind: 'employment', orgId: aUnit, relative: false },
        expect: [400],
      },
      {
        key: 'POST /api/experts/{id}/ties',
        fields: ['projectId'],
        cookie: jxc,
        path: `/api/experts/${b.expert}/ties`,
        body: { kind: 'drafting', orgId: bUnit, relative: false, projectId: a.reserved },
        expect: [400],
      },
      // B's clerk files against A's quota: it does not exist for B.
      {
        key: 'POST /api/payments',
        fields: ['quotaId'],
        cookie: cookieB.get('jsx_unit_clerk')!,
        path: '/api/payments',
        body: {
          quotaId: a.quotas[0],
          amountFen: 1,
          payeeName: '越权',
          payeeKind: 'organisation',
          payeeAccount: '6222000011112222',
          payeeBank: '越权银行',
          purpose: '越权用款',
          economicCode: '30201',
          paymentType: 'direct',
        },
        expect: [404],
      },
      // A's 决算 item in B's own final account: not one of its items.
      {
        key: 'PUT /api/final-accounts/{id}/items',
        fields: ['itemId'],
        cookie: cookieB.get('jsx_unit_clerk')!,
        path: `/api/final-accounts/${b.finalAccount}/items`,
        body: { version: 1, items: [{ itemId: a.finalItem, explanation: '越权说明', choice: 'recover' }] },
        expect: [400],
      },
      {
        key: 'POST /api/final-accounts/{id}/submit',
        fields: ['itemId'],
        cookie: cookieB.get('jsx_unit_clerk')!,
        path: `/api/final-accounts/${b.finalAccount}/submit`,
        body: { version: 1, items: [{ itemId: a.finalItem, choice: 'recover' }] },
        expect: [400],
      },
      // B's clerk reports on B's own project with A's target: refused, nothing written.
      {
        key: 'POST /api/monitoring/reports/{id}/report',
        fields: ['targetId'],
        cookie: cookieB.get('jsx_unit_clerk')!,
        path: `/api/monitoring/reports/${b.monitoringReport}/report`,
        body: { progressNote: '越权', targets: [{ targetId: a.target, actualValue: '1', atRisk: false }] },
        expect: [400],
      },
      {
        key: 'POST /api/expert-batches',
        fields: ['projectIds'],
        cookie: jxc,
        path: '/api/expert-batches',
        body: { name: '越权评审', fiscalYear: 2026, projectIds: [a.reserved] },
        expect: [400],
      },
      // 绩效评价: B's 绩效处 evaluating A's project; A's indicators in B's self-evaluation and review.
      {
        key: 'POST /api/performance/evaluations',
        fields: ['projectIds'],
        cookie: jxc,
        path: '/api/performance/evaluations',
        body: { fiscalYear: 2025, projectIds: [a.projects[0]] },
        expect: [400],
        says: '不在您的数据范围内',
      },
      {
        key: 'PUT /api/performance/evaluations/{id}/self-evaluation',
        fields: ['actualId'],
        cookie: cookieB.get('jsx_unit_clerk')!,
        path: `/api/performance/evaluations/${b.selfEvaluation}/self-evaluation`,
        body: { version: 1, actuals: [{ actualId: a.actual, value: '2' }] },
        expect: [400],
        says: '不属于本次评价',
      },
      {
        key: 'POST /api/performance/evaluations/{id}/review',
        fields: ['actualId'],
        cookie: jxc,
        path: `/api/performance/evaluations/${b.reviewEvaluation}/review`,
        body: { decision: 'approve', adjustments: [{ actualId: a.actual, value: '2', reason: '越权调整' }] },
        expect: [400],
        says: '不属于本次评价',
      },
    ];
    return cases;
  };

  test('every body field that names an object, pointed at A, is refused — and nothing changes', async () => {
    const idFields = ROUTE_CATALOGUE.flatMap((r) =>
      schemaFields(r.body)
        .filter((f) => /(Id|Ids|^ids)$/.test(f.name) && !NOT_OBJECT_FIELDS[f.name])
        .map((f) => `${routeKey(r)} ${f.name}`),
    );
    const covered = new Set(bodyCases().flatMap((c) => c.fields.map((f) => `${c.key} ${f}`)));
    expect([...new Set(idFields)].filter((f) => !covered.has(f))).toEqual([]);

    const before = await snapshot();
    const wrong: string[] = [];
    for (const c of bodyCases()) {
      const method = c.key.split(' ')[0]!;
      const res = await call(method, c.path, c.cookie, c.body);
      if (!c.expect.includes(res.status)) wrong.push(`${c.key} ${c.fields.join()} → ${res.status} ${res.text.slice(0, 200)}`);
      if (c.says && !res.text.includes(c.says)) wrong.push(`${c.key}: expected “${c.says}” in ${res.text.slice(0, 300)}`);
      if (c.each && res.status === 200) {
        const results = res.json.results as Array<{ ok: boolean; code?: string }>;
        if (results.length !== a.tasks.length || results.some((x) => x.ok || x.code !== c.each))
          wrong.push(`${c.key}: ${res.text.slice(0, 300)}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(await snapshot()).toEqual(before);
  });

  /** GET routes without a path id: lists, exports, tables; with each id filter pointed at A. */
  const listRoutes = ROUTE_CATALOGUE.filter((r) => r.method === 'get' && !/\{/.test(r.path) && r.access !== 'public');
  const BASE_QUERY: Record<string, string[]> = {
    'GET /api/codes/functional': ['year=2026'],
    'GET /api/codes/economic': ['year=2026'],
    'GET /api/codes/functional/all': ['year=2026'],
    'GET /api/codes/economic/all': ['year=2026'],
    'GET /api/codes/functional/export': ['year=2026'],
    'GET /api/codes/economic/export': ['year=2026&kind=department'],
    'GET /api/codes/template': ['type=functional'],
    'GET /api/tasks': ['box=todo', 'box=done', 'box=cc'],
    'GET /api/audit/records': ['order=asc', 'subjectType=project'],
    'GET /api/execution/projects': ['fiscalYear=2026'],
    'GET /api/execution/units': ['fiscalYear=2026'],
    'GET /api/execution/regions': ['fiscalYear=2026'],
  };
  const queryIdValue = (name: string): string | undefined =>
    (
      ({
        unitOrgId: orgA['150100-JY-001'],
        orgId: orgA['150100-JY-001'],
        parent: orgA['150100-CZ'],
        within: orgA['150100-CZ'],
        projectId: a.projects[0],
        subjectId: a.projects[0],
        quotaId: a.quotas[0],
      }) as Record<string, number | undefined>
    )[name]?.toString();
  const listQueries = (r: RouteDoc): string[] => {
    const fields = schemaFields(r.query);
    const paging = fields.some((f) => f.name === 'pageSize') ? 'pageSize=100' : '';
    const base = BASE_QUERY[routeKey(r)] ?? [''];
    const idFields = fields.filter(
      (f) => (/Id$/.test(f.name) && !NOT_OBJECT_FIELDS[f.name]) || ((f.name === 'parent' || f.name === 'within') && f.type === 'number'),
    );
    const variants = [...base, ...idFields.map((f) => `${base[0] ? `${base[0]}&` : ''}${f.name}=${queryIdValue(f.name) ?? 'UNKNOWN'}`)];
    return variants.map((v) => [v, paging].filter(Boolean).join('&'));
  };
  const leaks = (text: string, orgNames: string[]): string[] =>
    [...A_TOKENS, ...orgNames].filter((t) => text.includes(t)).concat(A_ORG_CODE.test(text) ? [String(text.match(A_ORG_CODE))] : []);

  test("lists and exports show B none of A's rows, whatever the filter — and nothing changes", async () => {
    const orgNames = ((await db('organisations').where('region_code', 'like', '15%').select('name')) as Array<{ name: string }>).map(
      (o) => o.name,
    );
    const before = await snapshot();
    const wrong: string[] = [];
    for (const r of listRoutes) {
      for (const q of listQueries(r)) {
        if (q.includes('UNKNOWN')) wrong.push(`${routeKey(r)}: no A id for the filter in ${q}`);
        const path = q ? `${r.path}?${q}` : r.path;
        for (const [who, cookie] of bPeople()) {
          const res = await call('GET', path, cookie);
          if (res.status === 403) continue;
          // No engine in these tests: what needs it answers 503 (系统状态 with its report), which shows no rows.
          if (res.status !== 200 && res.status !== 503) wrong.push(`${who} GET ${path} → ${res.status} ${res.text.slice(0, 160)}`);
          const found = STATIC_DOCUMENTS[routeKey(r)] ? [] : leaks(res.text, orgNames);
          if (found.length) wrong.push(`${who} GET ${path} shows ${found.join('、')}`);
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(await snapshot()).toEqual(before);
  }, 180_000);

  test("A's own people reach every one of those objects and see their rows in the lists (the checks above can fail)", async () => {
    const orgNames = ((await db('organisations').where('region_code', 'like', '15%').select('name')) as Array<{ name: string }>).map(
      (o) => o.name,
    );
    const unreached: string[] = [];
    for (const r of ID_ROUTES.filter((x) => x.method === 'get')) {
      for (const path of aPaths(r)) {
        if (routeKey(r) === 'GET /api/tasks/{id}/document.pdf' && path.includes(`/${a.tasks[0]}/`)) continue; // open: no document yet
        let reached = false;
        for (const cookie of cookieA.values()) if ((await call('GET', path, cookie)).status === 200) reached = true;
        if (!reached) unreached.push(path);
      }
    }
    expect(unreached).toEqual([]);
    const expectRows = [
      '/api/projects',
      '/api/projects/export',
      '/api/quotas',
      '/api/quotas/export',
      '/api/organisations',
      '/api/organisations/export',
      '/api/users',
      '/api/users/export',
      '/api/audit/records',
      '/api/notifications',
      '/api/tasks',
      '/api/allocations',
      '/api/payments',
      '/api/adjustments',
      '/api/final-accounts',
      '/api/experts',
      '/api/experts/export',
      '/api/expert-batches',
      '/api/my-reviews',
      '/api/performance/evaluations',
      '/api/monitoring/reports',
      '/api/execution/projects?fiscalYear=2026',
      '/api/execution/units?fiscalYear=2026',
      '/api/treasury/orders',
    ];
    const unseen: string[] = [];
    for (const path of expectRows) {
      let seen = false;
      for (const cookie of cookieA.values()) {
        const res = await call('GET', path, cookie);
        if (res.status === 200 && leaks(res.text, orgNames).length) seen = true;
      }
      if (!seen) unseen.push(path);
    }
    expect(unseen).toEqual([]);
    // The quota issued to the bureau: its region's budget division sees it, A's unit clerk does not.
    expect((await call('GET', `/api/quotas/${a.quotas[1]}`, cookieA.get('budget_division')!)).status).toBe(200);
    expect((await call('GET', `/api/quotas/${a.quotas[1]}`, cookieA.get('unit_clerk')!)).status).toBe(404);
    expect((await call('GET', `/api/quotas/${a.quotas[1]}`, cookieA.get('department_reviewer')!)).status).toBe(404);
  }, 180_000);

  test('migration 20261202S1 fills the issuing organisation of existing quotas from their journal', async () => {
    const issuers = async () =>
      (await db('quotas').orderBy('id').select('id', 'quota_no', 'issuer_org_id')) as Array<{
        id: number;
        quota_no: string;
        issuer_org_id: number | null;
      }>;
    const before = await issuers();
    expect(before.find((q) => Number(q.id) === a.quotas[1])!.issuer_org_id).toBe((await getOrganisationByCode(db, '150100-CZ-YS'))!.id);
    await db.migrate.down({ name: '20261202S1-quota-issuer-org.ts' });
    expect(await db.schema.hasColumn('quotas', 'issuer_org_id')).toBe(false);
    await db.migrate.up({ name: '20261202S1-quota-issuer-org.ts' });
    expect(await issuers()).toEqual(before);
  });
});

async function xlsxText(bytes: Buffer): Promise<string> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(bytes as unknown as ArrayBuffer);
  const out: string[] = [];
  wb.eachSheet((ws) => ws.eachRow((row) => row.eachCell((cell) => out.push(cell.text))));
  return out.join('\n');
}
