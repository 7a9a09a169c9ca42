import fc from 'fast-check';
import {
  applyEntry,
  available,
  deltaOf,
  ENTRY_KINDS,
  LedgerError,
  replay,
  ZERO_BALANCE,
  type Balance,
  type Entry,
  type EntryKind,
} from '../../domain/ledger';
import { fen, type Fen } from '../../domain/money';

const b = (amount: number, used = 0, frozen = 0): Balance => ({ amount: fen(amount), used: fen(used), frozen: fen(frozen) });
const e = (kind: EntryKind, amount: number): Entry => ({ kind, amount: amount as Fen });

function accept(balance: Balance, entry: Entry): Balance {
  const r = applyEntry(balance, entry);
  if (!r.ok) throw new Error(`refused: ${r.error.message}`);
  return r.balance;
}

function refusal(balance: Balance, entry: Entry): LedgerError {
  const r = applyEntry(balance, entry);
  if (r.ok) throw new Error(`accepted: ${JSON.stringify(r.balance)}`);
  return r.error;
}

describe('quota ledger rules', () => {
  // ¥10,000.00 issued, ¥1,000.00 used, ¥2,000.00 frozen: ¥7,000.00 available.
  const start = b(1_000_000, 100_000, 200_000);

  test('available = amount − used − frozen', () => {
    expect(available(start)).toBe(700_000);
  });

  test.each<[EntryKind, number, Balance]>([
    ['issue', 50_000, b(1_050_000, 100_000, 200_000)],
    ['adjust-in', 50_000, b(1_050_000, 100_000, 200_000)],
    ['adjust-out', 50_000, b(950_000, 100_000, 200_000)],
    ['carry-over', 700_000, b(300_000, 100_000, 200_000)],
    ['freeze', 700_000, b(1_000_000, 100_000, 900_000)],
    ['unfreeze', 200_000, b(1_000_000, 100_000, 0)],
    ['consume', 150_000, b(1_000_000, 250_000, 50_000)],
  ])('%s of %i fen', (kind, amount, expected) => {
    expect(accept(start, e(kind, amount))).toEqual(expected);
  });

  test('a payment consumes what it froze and leaves available unchanged', () => {
    const after = accept(start, e('consume', 200_000));
    expect(available(after)).toBe(available(start));
    expect(after.frozen).toBe(0);
    expect(after.used).toBe(300_000);
  });

  test.each<EntryKind>(['freeze', 'adjust-out', 'carry-over'])('%s beyond available is INSUFFICIENT_AVAILABLE', (kind) => {
    const err = refusal(start, e(kind, 700_001));
    expect(err).toBeInstanceOf(LedgerError);
    expect(err.code).toBe('INSUFFICIENT_AVAILABLE');
  });

  test('the refusal tells the clerk both amounts in yuan', () => {
    expect(refusal(b(123_456), e('freeze', 200_000)).message).toBe('可用指标不足：可用 ¥1,234.56，申请冻结 ¥2,000.00');
    expect(refusal(b(0), e('adjust-out', 1)).message).toBe('可用指标不足：可用 ¥0.00，申请调出 ¥0.01');
    expect(refusal(b(100, 0, 100), e('carry-over', 1)).message).toBe('可用指标不足：可用 ¥0.00，申请结转 ¥0.01');
  });

  test.each<EntryKind>(['unfreeze', 'consume'])('%s beyond frozen is INSUFFICIENT_FROZEN, even when available would cover it', (kind) => {
    const err = refusal(start, e(kind, 200_001));
    expect(err.code).toBe('INSUFFICIENT_FROZEN');
    expect(err.message).toBe(`冻结金额不足：已冻结 ¥2,000.00，申请${kind === 'consume' ? '支付' : '解冻'} ¥2,000.01`);
  });

  test.each<EntryKind>([...ENTRY_KINDS])('%s of zero, a negative, a fraction or an unsafe integer is INVALID_AMOUNT', (kind) => {
    for (const amount of [0, -1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1]) {
      const err = refusal(start, e(kind, amount));
      expect(err.code).toBe('INVALID_AMOUNT');
      expect(err.message).toContain('必须是大于零的整数分');
    }
  });

  test.each<EntryKind>(['issue', 'adjust-in'])('%s past 2^53 − 1 fen is AMOUNT_OVERFLOW', (kind) => {
    expect(refusal(b(Number.MAX_SAFE_INTEGER - 10), e(kind, 11)).code).toBe('AMOUNT_OVERFLOW');
    expect(accept(b(Number.MAX_SAFE_INTEGER - 10), e(kind, 10)).amount).toBe(Number.MAX_SAFE_INTEGER);
  });

  test('deltas: the direction lives in the kind, the amount is always positive', () => {
    expect(deltaOf(e('consume', 5))).toEqual({ amount: 0, used: 5, frozen: -5 });
    expect(deltaOf(e('carry-over', 5))).toEqual({ amount: -5, used: 0, frozen: 0 });
  });

  test('replay of a journal reproduces the balance; an impossible journal throws', () => {
    const journal = [
      e('issue', 1_000_000),
      e('freeze', 300_000),
      e('consume', 100_000),
      e('unfreeze', 200_000),
      e('adjust-out', 50_000),
      e('adjust-in', 5_000),
      e('carry-over', 855_000),
    ];
    expect(replay([])).toEqual(ZERO_BALANCE);
    expect(replay(journal)).toEqual(b(100_000, 100_000, 0));
    expect(() => replay([e('issue', 1), e('freeze', 2)])).toThrow(LedgerError);
  });

  test('property: any sequence of operations keeps every column ≥ 0 and the accepted entries replay to the final balance', () => {
    const amount = fc.oneof(
      { weight: 8, arbitrary: fc.integer({ min: 1, max: 2_000_000 }) },
      { weight: 1, arbitrary: fc.constantFrom(0, -1, 0.5, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2) },
    );
    const op = fc.record({ kind: fc.constantFrom(...ENTRY_KINDS), amount });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        let balance = ZERO_BALANCE;
        const accepted: Entry[] = [];
        for (const o of ops) {
          const entry = e(o.kind, o.amount);
          const before = balance;
          const r = applyEntry(balance, entry);
          if (r.ok) {
            accepted.push(entry);
            balance = r.balance;
          } else {
            // A refusal is exactly the rule, not an accident.
            if (r.error.code === 'INSUFFICIENT_AVAILABLE') expect(available(before)).toBeLessThan(entry.amount);
            if (r.error.code === 'INSUFFICIENT_FROZEN') expect(before.frozen).toBeLessThan(entry.amount);
            if (r.error.code === 'INVALID_AMOUNT') expect(Number.isSafeInteger(entry.amount) && entry.amount > 0).toBe(false);
          }
          for (const v of [balance.amount, balance.used, balance.frozen, available(balance)]) {
            expect(Number.isSafeInteger(v)).toBe(true);
            expect(v).toBeGreaterThanOrEqual(0);
          }
        }
        expect(replay(accepted)).toEqual(balance);
      }),
      { numRuns: 500 },
    );
  });
});
