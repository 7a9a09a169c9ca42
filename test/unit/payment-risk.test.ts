import {
  DEFAULT_RISK_RULES,
  evaluateRisks,
  highestLevel,
  needsVerification,
  normaliseText,
  type PriorRequest,
  type RiskInput,
  type RiskRule,
} from '../../domain/payment-risk';
import { freezeKey, mayReadFullAccount, paymentRequestNo, releaseKey } from '../../domain/payments';

/** The payment risk rules (domain/payment-risk.ts): given a request and its unit's history, when each rule hits. */
const DAY = 86_400_000;
const at = new Date('2026-06-15T02:00:00Z');
const YUAN = 100;

const subject = (over: Partial<RiskInput['subject']> = {}): RiskInput['subject'] => ({
  id: 100,
  amountFen: 9_000 * YUAN,
  payeeName: '某装修公司',
  payeeKind: 'organisation',
  accountIndex: 'A',
  accountMask: '6222 **** **** 0001',
  purpose: '教学楼维修',
  submittedAt: at,
  ...over,
});
let seq = 0;
const prior = (daysAgo: number, over: Partial<PriorRequest> = {}): PriorRequest => ({
  id: ++seq,
  requestNo: `YK2026-${String(seq).padStart(6, '0')}`,
  amountFen: 9_000 * YUAN,
  payeeName: '某装修公司',
  accountIndex: 'A',
  accountMask: '6222 **** **** 0001',
  purpose: '教学楼维修',
  submittedAt: new Date(at.getTime() - daysAgo * DAY),
  status: 'approved',
  ...over,
});
const rules = (code: string) => (input: RiskInput) => evaluateRisks(input).filter((h) => h.rule === code);

describe('split payments (same payee, same purpose, each below the threshold, together above it within 7 days)', () => {
  const split = rules('split-payment');
  test('given two earlier parts within 7 days, when the third takes the sum over ¥20,000, then 预警 with every part as evidence', () => {
    const parts = [prior(3), prior(1)];
    const [hit] = split({ subject: subject(), prior: parts, project: null });
    expect(hit).toMatchObject({ level: '预警' });
    expect(hit!.evidence.totalFen).toBe(27_000 * YUAN);
    expect((hit!.evidence.requests as Array<{ id: number }>).map((r) => r.id)).toEqual([parts[0]!.id, parts[1]!.id, 100]);
  });
  test('a sum of exactly the threshold, a part outside the window, another purpose or payee, or a part above the threshold: no hit', () => {
    expect(
      split({ subject: subject({ amountFen: 10_000 * YUAN }), prior: [prior(1, { amountFen: 10_000 * YUAN })], project: null }),
    ).toEqual([]);
    expect(split({ subject: subject(), prior: [prior(8), prior(9)], project: null })).toEqual([]);
    expect(
      split({ subject: subject(), prior: [prior(1, { purpose: '围墙维修' }), prior(2, { payeeName: '另一公司' })], project: null }),
    ).toEqual([]);
    expect(split({ subject: subject(), prior: [prior(1, { amountFen: 25_000 * YUAN })], project: null })).toEqual([]);
    expect(split({ subject: subject({ amountFen: 20_000 * YUAN }), prior: [prior(1)], project: null })).toEqual([]);
  });
  test('names and purposes compare without spaces and full-width forms', () => {
    expect(normaliseText(' 某装修 公司 ')).toBe(normaliseText('某装修公司'));
    expect(
      split({ subject: subject({ payeeName: '某装修公司 ' }), prior: [prior(1, { payeeName: '某装修 公司' }), prior(2)], project: null }),
    ).toHaveLength(1);
  });
});

describe('payee account changed ≥ 3 times in 30 days', () => {
  const changes = rules('account-changes');
  test('given accounts A, B, C before, when D comes, then 3 changes: 严重, with the masks of each change', () => {
    const [hit] = changes({
      subject: subject({ accountIndex: 'D', accountMask: 'm-D' }),
      prior: [
        prior(20, { accountIndex: 'A', accountMask: 'm-A' }),
        prior(10, { accountIndex: 'B', accountMask: 'm-B' }),
        prior(5, { accountIndex: 'C', accountMask: 'm-C' }),
      ],
      project: null,
    });
    expect(hit!.level).toBe('严重');
    expect((hit!.evidence.changes as Array<{ from: string; to: string }>).map((c) => `${c.from}>${c.to}`)).toEqual([
      'm-A>m-B',
      'm-B>m-C',
      'm-C>m-D',
    ]);
  });
  test('two changes, an old change outside 30 days, or the same account back and forth counted only when it changes', () => {
    expect(
      changes({
        subject: subject({ accountIndex: 'C' }),
        prior: [prior(10, { accountIndex: 'A' }), prior(5, { accountIndex: 'B' })],
        project: null,
      }),
    ).toEqual([]);
    expect(
      changes({
        subject: subject({ accountIndex: 'D' }),
        prior: [prior(40, { accountIndex: 'A' }), prior(10, { accountIndex: 'B' }), prior(5, { accountIndex: 'C' })],
        project: null,
      }),
    ).toEqual([]);
    expect(
      changes({
        subject: subject({ accountIndex: 'A' }),
        prior: [prior(10, { accountIndex: 'A' }), prior(6, { accountIndex: 'A' }), prior(5, { accountIndex: 'B' })],
        project: null,
      }),
    ).toEqual([]);
    expect(
      changes({
        subject: subject({ accountIndex: 'B' }),
        prior: [prior(10, { accountIndex: 'A' }), prior(6, { accountIndex: 'B' }), prior(5, { accountIndex: 'A' })],
        project: null,
      }),
    ).toHaveLength(1);
  });
  test("another payee's accounts do not count", () => {
    expect(
      changes({
        subject: subject({ accountIndex: 'D' }),
        prior: [
          prior(10, { accountIndex: 'A', payeeName: '甲' }),
          prior(6, { accountIndex: 'B', payeeName: '乙' }),
          prior(5, { accountIndex: 'C', payeeName: '丙' }),
        ],
        project: null,
      }),
    ).toEqual([]);
  });
});

describe('unit to a personal account above ¥50,000', () => {
  const personal = rules('personal-account');
  test('¥50,000.01 to a person: 预警; exactly ¥50,000, or to an organisation: none', () => {
    expect(
      personal({ subject: subject({ payeeKind: 'personal', amountFen: 50_000 * YUAN + 1 }), prior: [], project: null })[0]!.level,
    ).toBe('预警');
    expect(personal({ subject: subject({ payeeKind: 'personal', amountFen: 50_000 * YUAN }), prior: [], project: null })).toEqual([]);
    expect(personal({ subject: subject({ payeeKind: 'organisation', amountFen: 90_000 * YUAN }), prior: [], project: null })).toEqual([]);
  });
});

describe('overspend on the project above 10 %', () => {
  const over = rules('project-overspend');
  const project = (committedFen: number) => ({ projectId: 7, projectNo: 'XM2026-000007', budgetFen: 100_000 * YUAN, committedFen });
  test('committed + this over the budget by more than 10 %: 严重, with the ratio', () => {
    const [hit] = over({ subject: subject({ amountFen: 11_000 * YUAN + 1 }), prior: [], project: project(100_000 * YUAN) });
    expect(hit!.level).toBe('严重');
    expect(hit!.evidence.overspendPercent).toBe(11);
  });
  test('exactly 10 % over, within the budget, or no project: none', () => {
    expect(over({ subject: subject({ amountFen: 10_000 * YUAN }), prior: [], project: project(100_000 * YUAN) })).toEqual([]);
    expect(over({ subject: subject({ amountFen: 1 }), prior: [], project: project(50_000 * YUAN) })).toEqual([]);
    expect(over({ subject: subject(), prior: [], project: null })).toEqual([]);
  });
});

describe('rules are data', () => {
  test('a bureau changes a threshold or a level, or turns a rule off, without code', () => {
    const custom: RiskRule[] = DEFAULT_RISK_RULES.map((r) =>
      r.code === 'personal-account'
        ? { ...r, level: '严重', params: { thresholdFen: 10_000 * YUAN } }
        : r.code === 'split-payment'
          ? { ...r, enabled: false }
          : r,
    );
    const hits = evaluateRisks(
      { subject: subject({ payeeKind: 'personal', amountFen: 10_001 * YUAN }), prior: [prior(1)], project: null },
      custom,
    );
    expect(hits.map((h) => [h.rule, h.level])).toEqual([['personal-account', '严重']]);
    expect(needsVerification(hits)).toBe(true);
    expect(highestLevel(hits)).toBe('严重');
  });
  test('the highest level and whether 核查 is needed', () => {
    expect(highestLevel([])).toBeNull();
    const hits = evaluateRisks({ subject: subject(), prior: [prior(1), prior(2)], project: null });
    expect(highestLevel(hits)).toBe('预警');
    expect(needsVerification(hits)).toBe(false);
  });
});

describe('payment request numbers, ledger keys and who reads an account in full', () => {
  test('numbers and keys', () => {
    expect(paymentRequestNo(2026, 42)).toBe('YK2026-000042');
    expect(freezeKey(42, 1)).toBe('pay-42-r1-freeze');
    expect(releaseKey(42, 2)).toBe('pay-42-r2-release');
  });
  test("the payer unit's own clerk and 国库处 read it; a director, compliance or another unit do not", () => {
    const perms = (...p: string[]) => new Set(p);
    expect(mayReadFullAccount({ orgId: 5, roles: ['unit_clerk'], permissions: perms('quotas:freeze') }, 5)).toBe(true);
    expect(mayReadFullAccount({ orgId: 6, roles: ['unit_clerk'], permissions: perms('quotas:freeze') }, 5)).toBe(false);
    expect(mayReadFullAccount({ orgId: 1, roles: ['treasury_division'], permissions: perms('quotas:freeze') }, 5)).toBe(true);
    expect(mayReadFullAccount({ orgId: 1, roles: ['director'], permissions: perms('projects:review') }, 5)).toBe(false);
    expect(mayReadFullAccount({ orgId: 5, roles: ['department_reviewer'], permissions: perms('projects:review') }, 5)).toBe(false);
  });
});
