import {
  checkBankSignature,
  isFinal,
  isIsoDuration,
  orderFlags,
  orderNumber,
  ORDER_NO_PATTERN,
  signBankMessage,
  SIGNATURE_TOLERANCE_MS,
} from '../../domain/treasury';
import { behaviourOfAccount } from '../../scripts/bank-simulator';
import { bankNotifyUrl, DEVELOPMENT_BANK_SECRET, loadConfig } from '../../server/config';

describe('treasury rules (domain/treasury.ts)', () => {
  test('order numbers: ZF, the year, the id', () => {
    expect(orderNumber(2026, 42)).toBe('ZF2026-000042');
    expect(orderNumber(2026, 1_234_567)).toBe('ZF2026-1234567');
    expect(ORDER_NO_PATTERN.test(orderNumber(2027, 1))).toBe(true);
  });

  test('what 国库处 may do follows the status', () => {
    expect(orderFlags('sent')).toEqual({ canQuery: true, canRetry: false, canResolve: false });
    expect(orderFlags('escalated')).toEqual({ canQuery: true, canRetry: false, canResolve: true });
    expect(orderFlags('send_failed')).toEqual({ canQuery: true, canRetry: true, canResolve: false });
    for (const s of ['paid', 'failed', 'refunded'] as const) {
      expect(orderFlags(s)).toEqual({ canQuery: false, canRetry: false, canResolve: false });
      expect(isFinal(s)).toBe(true);
    }
    expect(isFinal('sending')).toBe(false);
  });

  test('ISO durations for the notice timeout', () => {
    for (const ok of ['PT30S', 'PT10M', 'PT2H', 'P1D', 'P1DT2H']) expect(isIsoDuration(ok)).toBe(true);
    for (const bad of ['P', 'PT', '30M', 'P1Y', 'PT-1M', '']) expect(isIsoDuration(bad)).toBe(false);
  });

  test('HMAC-SM3 signatures: the right secret, the exact body, a fresh timestamp', () => {
    const secret = 'a-shared-secret-of-at-least-32-characters';
    const body = Buffer.from('{"noticeId":"N1","status":"paid"}');
    const now = 1_800_000_000_000;
    const ts = String(now);
    const sig = signBankMessage(secret, ts, body);
    expect(sig).toMatch(/^[0-9a-f]{64}$/);
    expect(checkBankSignature(secret, ts, sig, body, now)).toEqual({ ok: true });
    expect(checkBankSignature(secret, ts, sig, Buffer.from('{"noticeId":"N1","status":"refunded"}'), now)).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    expect(checkBankSignature('another-secret-of-at-least-32-characters', ts, sig, body, now)).toEqual({ ok: false, reason: 'mismatch' });
    expect(checkBankSignature(secret, ts, sig, body, now + SIGNATURE_TOLERANCE_MS + 1)).toEqual({ ok: false, reason: 'stale' });
    expect(checkBankSignature(secret, undefined, sig, body, now)).toEqual({ ok: false, reason: 'missing' });
    expect(checkBankSignature(secret, ts, 'zz', body, now)).toEqual({ ok: false, reason: 'missing' });
    // the timestamp is signed too: moving it breaks the signature
    expect(checkBankSignature(secret, String(now + 1), sig, body, now)).toEqual({ ok: false, reason: 'mismatch' });
  });

  test('the simulator picks its behaviour from the last four digits of the account', () => {
    expect(behaviourOfAccount('6222 0212 3456 9001')).toBe('refuse');
    expect(behaviourOfAccount('6222021234569003')).toBe('twice');
    expect(behaviourOfAccount('6222021234567890')).toBe('paid');
  });

  test('bank configuration: defaults, a notice timeout that is an ISO duration, a secret required in production', () => {
    const c = loadConfig({ NODE_ENV: 'development' });
    expect(c.bank).toMatchObject({
      url: 'http://127.0.0.1:8590',
      secret: DEVELOPMENT_BANK_SECRET,
      noticeTimeout: 'PT30M',
      timeoutMs: 10_000,
      simPort: 8590,
    });
    expect(bankNotifyUrl({ ...c, port: 3123 })).toBe('http://127.0.0.1:3123/api/treasury/bank-notices');
    expect(loadConfig({ BUDGET_BANK_URL: 'http://bank.example:9000/', BUDGET_BANK_NOTICE_TIMEOUT: 'PT2H' }).bank).toMatchObject({
      url: 'http://bank.example:9000',
      noticeTimeout: 'PT2H',
    });
    expect(() => loadConfig({ BUDGET_BANK_NOTICE_TIMEOUT: '30 分钟' })).toThrow(/BUDGET_BANK_NOTICE_TIMEOUT/);
    expect(() => loadConfig({ BUDGET_BANK_SECRET: 'short' })).toThrow(/BUDGET_BANK_SECRET/);
    expect(() =>
      loadConfig({
        NODE_ENV: 'production',
        BUDGET_SEAL_SECRET: 'x'.repeat(40),
        BUDGET_FIELD_KEYS: `k1:${'a'.repeat(64)}`,
        BUDGET_FIELD_INDEX_KEY: 'b'.repeat(64),
      }),
    ).toThrow(/BUDGET_BANK_SECRET/);
  });
});
