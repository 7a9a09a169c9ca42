import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Db } from '../../server/db';
import { FORMS_DIR, FormDefinitionError, loadForms, validateFormData } from '../../server/forms';
import { createAccount, loginCookie } from '../support/accounts';
import { startApi } from '../support/api';
import { openFreshDatabase } from '../support/system';

/**
 * The forms in forms/: every definition loads, each intake-review form accepts what a reviewer
 * would submit and refuses the rest with the field the SPA shows the error under, a broken
 * definition is refused naming file and field, and GET /api/forms/:key serves them.
 */
const INTAKE_FORMS = ['intake-department-review', 'intake-sector-review', 'intake-countersign', 'intake-budget-decision', 'intake-revise'];

const fieldsOf = (key: string, data: unknown, lists?: Record<string, number[]>): string[] => {
  const r = validateFormData(key, data, lists);
  return r.ok ? [] : r.issues.map((i) => i.field);
};

describe('forms/: the definitions', () => {
  test('every forms/*.json loads, is named by its key, and the intake-review forms are all there', () => {
    const files = fs.readdirSync(FORMS_DIR).filter((f) => f.endsWith('.json'));
    const forms = loadForms();
    expect(forms.keys().sort()).toEqual(files.map((f) => f.replace(/\.json$/, '')).sort());
    for (const key of INTAKE_FORMS) expect([key, forms.get(key)?.title]).toEqual([key, expect.stringMatching(/[\u4e00-\u9fa5]/)]);
  });

  test('主管部门审核: approve alone, return with a reason; nothing else', () => {
    expect(validateFormData('intake-department-review', { decision: 'approve' })).toEqual({ ok: true, data: { decision: 'approve' } });
    expect(validateFormData('intake-department-review', { decision: 'return', comment: '预算测算依据不足' })).toEqual({
      ok: true,
      data: { decision: 'return', comment: '预算测算依据不足' },
    });
    expect(fieldsOf('intake-department-review', { decision: 'return' })).toEqual(['comment']);
    expect(fieldsOf('intake-department-review', { decision: 'return', comment: '  ' })).toEqual(['comment']);
    expect(fieldsOf('intake-department-review', { decision: 'approve', comment: '长'.repeat(501) })).toEqual(['comment']);
    expect(fieldsOf('intake-department-review', {})).toEqual(['decision']);
    expect(fieldsOf('intake-department-review', { decision: 'approved' })).toEqual(['decision']);
    expect(fieldsOf('intake-department-review', { decision: 'approve', amountFen: 1 })).toEqual(['amountFen']);
  });

  test('财政业务处室审核: return needs where to; countersign needs 2–9 people and a rule; money is fen', () => {
    const key = 'intake-sector-review';
    expect(validateFormData(key, { decision: 'approve', suggestedAmountFen: 12_345_600 })).toEqual({
      ok: true,
      data: { decision: 'approve', suggestedAmountFen: 12_345_600, countersign: false },
    });
    expect(
      validateFormData(key, { decision: 'return', returnTo: 'department', comment: '请主管部门复核', countersigners: [1, 2] }),
    ).toEqual({
      ok: true,
      data: { decision: 'return', returnTo: 'department', countersign: false, comment: '请主管部门复核' },
    });
    expect(fieldsOf(key, { decision: 'return', comment: '退回' })).toEqual(['returnTo']);
    expect(fieldsOf(key, { decision: 'return', returnTo: 'sector', comment: '退回' })).toEqual(['returnTo']);
    expect(fieldsOf(key, { decision: 'approve', returnTo: 'applicant' })).toEqual([]); // hidden: dropped, not refused
    expect(fieldsOf(key, { decision: 'approve', suggestedAmountFen: 100.5 })).toEqual(['suggestedAmountFen']);
    expect(fieldsOf(key, { decision: 'approve', suggestedAmountFen: -100 })).toEqual(['suggestedAmountFen']);

    const countersign = { decision: 'approve', countersign: true, countersigners: [11, 12, 13], countersignRule: 'majority' };
    expect(validateFormData(key, countersign)).toEqual({ ok: true, data: countersign });
    expect(fieldsOf(key, { ...countersign, countersigners: [11] })).toEqual(['countersigners']);
    expect(fieldsOf(key, { ...countersign, countersigners: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] })).toEqual(['countersigners']);
    expect(fieldsOf(key, { ...countersign, countersigners: undefined, countersignRule: undefined })).toEqual([
      'countersigners',
      'countersignRule',
    ]);
    expect(fieldsOf(key, { ...countersign, countersignRule: 'two-thirds' })).toEqual(['countersignRule']);
    // The task's caller knows who may countersign: someone else is refused.
    expect(fieldsOf(key, countersign, { countersigners: [11, 12, 14] })).toEqual(['countersigners']);
    expect(fieldsOf(key, countersign, { countersigners: [11, 12, 13, 14] })).toEqual([]);
  });

  test('会签意见: agree alone, disagree with a reason', () => {
    expect(validateFormData('intake-countersign', { vote: 'approve' })).toEqual({ ok: true, data: { vote: 'approve' } });
    expect(validateFormData('intake-countersign', { vote: 'reject', comment: '绩效目标不可衡量' }).ok).toBe(true);
    expect(fieldsOf('intake-countersign', { vote: 'reject' })).toEqual(['comment']);
    expect(fieldsOf('intake-countersign', { vote: 'return' })).toEqual(['vote']);
  });

  test('预算处审定: admit, or return to applicant, department or sector with a reason', () => {
    expect(validateFormData('intake-budget-decision', { decision: 'admit' })).toEqual({ ok: true, data: { decision: 'admit' } });
    expect(validateFormData('intake-budget-decision', { decision: 'return', returnTo: 'sector', comment: '请处室补充审核意见' }).ok).toBe(
      true,
    );
    expect(fieldsOf('intake-budget-decision', { decision: 'return' })).toEqual(['returnTo', 'comment']);
    expect(fieldsOf('intake-budget-decision', { decision: 'approve' })).toEqual(['decision']);
  });

  test('申报单位修改后重新提交: the confirmation must be on', () => {
    expect(validateFormData('intake-revise', { confirm: true })).toEqual({ ok: true, data: { confirm: true } });
    expect(validateFormData('intake-revise', { confirm: true, comment: '已补充测算依据' }).ok).toBe(true);
    expect(fieldsOf('intake-revise', { confirm: false })).toEqual(['confirm']);
    expect(fieldsOf('intake-revise', {})).toEqual(['confirm']);
  });

  test('an unknown form key is a model error, not a validation issue', () => {
    expect(() => validateFormData('no-such-form', {})).toThrow(/no-such-form/);
  });
});

describe('forms/: a broken definition stops loading, naming file and field', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forms-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const write = (file: string, content: unknown) =>
    fs.writeFileSync(path.join(dir, file), typeof content === 'string' ? content : JSON.stringify(content));
  const loadError = (): string => {
    try {
      loadForms(dir);
    } catch (e) {
      expect(e).toBeInstanceOf(FormDefinitionError);
      return (e as Error).message;
    }
    throw new Error('loaded a broken form');
  };

  test('a field of an unknown type', () => {
    write('a-form.json', {
      key: 'a-form',
      title: '表单',
      fields: [
        { key: 'ok', label: '好', type: 'text' },
        { key: 'amount', label: '金额', type: 'currency' },
      ],
    });
    expect(loadError()).toMatch(/a-form\.json[\s\S]*fields\[1\]（字段 amount）/);
  });

  test('a condition naming a field that does not exist', () => {
    write('b-form.json', {
      key: 'b-form',
      title: '表单',
      fields: [{ key: 'comment', label: '意见', type: 'textarea', requiredWhen: { field: 'decision', equals: 'return' } }],
    });
    expect(loadError()).toMatch(/b-form\.json[\s\S]*字段 comment：requiredWhen 引用的字段 decision 不存在/);
  });

  test('invalid JSON, and a key that differs from the file name', () => {
    write('c-form.json', '{ "key": ');
    expect(loadError()).toMatch(/c-form\.json 不是有效的 JSON/);
    fs.rmSync(path.join(dir, 'c-form.json'));
    write('d-form.json', { key: 'other-form', title: '表单', fields: [{ key: 'x', label: 'X', type: 'text' }] });
    expect(loadError()).toMatch(/d-form\.json[\s\S]*other-form/);
  });
});

describe('GET /api/forms/:key', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let api: Awaited<ReturnType<typeof startApi>>;
  let cookie: string;

  beforeAll(async () => {
    const fresh = await openFreshDatabase();
    ({ db, drop } = fresh);
    api = await startApi(db, fresh.database);
    cookie = await loginCookie(api.base, (await createAccount(db, ['unit_clerk'])).username);
  }, 120_000);
  afterAll(async () => {
    await api?.close();
    await db?.destroy();
    await drop?.();
  });

  test('200 with the definition for any logged-in user, 404 for an unknown form, 401 without a session', async () => {
    const ok = await fetch(`${api.base}/api/forms/intake-sector-review`, { headers: { cookie } });
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { key: string; decisionField: string; fields: Array<{ key: string }> };
    expect(body).toMatchObject({ key: 'intake-sector-review', title: '财政业务处室审核', decisionField: 'decision' });
    expect(body.fields.map((f) => f.key)).toEqual([
      'decision',
      'returnTo',
      'suggestedAmountFen',
      'countersign',
      'countersigners',
      'countersignRule',
      'comment',
    ]);

    const missing = await fetch(`${api.base}/api/forms/no-such-form`, { headers: { cookie } });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    // A key that cannot name a form (forms are lower-case letters, digits and -) is the same 404, said without echoing it.
    for (const raw of ['Intake-Sector-Review', 'intake_sector_review', 'x']) {
      const malformed = await fetch(`${api.base}/api/forms/${raw}`, { headers: { cookie } });
      expect([raw, malformed.status, ((await malformed.json()) as { error: unknown }).error]).toEqual([
        raw,
        404,
        { code: 'NOT_FOUND', message: '表单不存在' },
      ]);
    }

    expect((await fetch(`${api.base}/api/forms/intake-sector-review`)).status).toBe(401);
  });
});
