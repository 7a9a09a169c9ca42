import {
  base32Decode,
  base32Encode,
  hotp,
  looksLikeRecoveryCode,
  newRecoveryCodes,
  normaliseRecoveryCode,
  otpauthUri,
  totp,
  totpStep,
  verifyTotp,
  type TotpAlgorithm,
} from '../../domain/totp';

// RFC 6238 Appendix B: the seed is the ASCII string, repeated to the hash's length.
const SEEDS: Record<TotpAlgorithm, Buffer> = {
  SHA1: Buffer.from('12345678901234567890', 'ascii'),
  SHA256: Buffer.from('12345678901234567890123456789012', 'ascii'),
  SHA512: Buffer.from('1234567890123456789012345678901234567890123456789012345678901234', 'ascii'),
};
const RFC6238: Array<[number, string, string, string]> = [
  [59, '94287082', '46119246', '90693936'],
  [1111111109, '07081804', '68084774', '25091201'],
  [1111111111, '14050471', '67062674', '99943326'],
  [1234567890, '89005924', '91819424', '93441116'],
  [2000000000, '69279037', '90698825', '38618901'],
  [20000000000, '65353130', '77737706', '47863826'],
];

describe('TOTP (RFC 6238) and HOTP (RFC 4226)', () => {
  test.each(RFC6238)('RFC 6238 vector at T=%d', (seconds, sha1, sha256, sha512) => {
    const at = seconds * 1000;
    expect(totp(SEEDS.SHA1, at, { algorithm: 'SHA1', digits: 8, period: 30 })).toBe(sha1);
    expect(totp(SEEDS.SHA256, at, { algorithm: 'SHA256', digits: 8, period: 30 })).toBe(sha256);
    expect(totp(SEEDS.SHA512, at, { algorithm: 'SHA512', digits: 8, period: 30 })).toBe(sha512);
  });

  test('RFC 4226 Appendix D HOTP values', () => {
    const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
    expect(expected.map((_, i) => hotp(SEEDS.SHA1, i))).toEqual(expected);
  });

  test('base32 round trip and the RFC 4648 form of the test seed', () => {
    expect(base32Encode(SEEDS.SHA1)).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    expect(base32Decode('gezd gnbv gy3t qojq gezd gnbv gy3t qojq')).toEqual(SEEDS.SHA1);
    expect(base32Encode(Buffer.from('foobar'))).toBe('MZXW6YTBOI');
    expect(() => base32Decode('AB1')).toThrow(RangeError);
  });

  test('verify: ±1 step of drift, not beyond; a used step and older ones are refused', () => {
    const now = 1_750_000_000_000;
    const step = totpStep(now);
    const at = (s: number) => hotp(SEEDS.SHA1, s);
    expect(verifyTotp(SEEDS.SHA1, at(step), now, null)).toBe(step);
    expect(verifyTotp(SEEDS.SHA1, at(step - 1), now, null)).toBe(step - 1);
    expect(verifyTotp(SEEDS.SHA1, at(step + 1), now, null)).toBe(step + 1);
    expect(verifyTotp(SEEDS.SHA1, at(step - 2), now, null)).toBeNull();
    expect(verifyTotp(SEEDS.SHA1, at(step + 2), now, null)).toBeNull();
    // Replay: once step is used, neither it nor the step before is accepted again.
    expect(verifyTotp(SEEDS.SHA1, at(step), now, step)).toBeNull();
    expect(verifyTotp(SEEDS.SHA1, at(step - 1), now, step)).toBeNull();
    expect(verifyTotp(SEEDS.SHA1, at(step + 1), now, step)).toBe(step + 1);
    // Typed with a space; wrong length or letters never match.
    const c = at(step);
    expect(verifyTotp(SEEDS.SHA1, `${c.slice(0, 3)} ${c.slice(3)}`, now, null)).toBe(step);
    expect(verifyTotp(SEEDS.SHA1, c.slice(1), now, null)).toBeNull();
    expect(verifyTotp(SEEDS.SHA1, 'abcdef', now, null)).toBeNull();
  });

  test('otpauth URI carries the base32 secret, issuer and the app parameters', () => {
    const uri = otpauthUri(SEEDS.SHA1, 'nm_ysk', '预算项目管理平台');
    expect(uri.startsWith(`otpauth://totp/${encodeURIComponent('预算项目管理平台')}:nm_ysk?`)).toBe(true);
    const q = new URL(uri.replace('otpauth://', 'http://x/')).searchParams;
    expect(q.get('secret')).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    expect(q.get('issuer')).toBe('预算项目管理平台');
    expect([q.get('algorithm'), q.get('digits'), q.get('period')]).toEqual(['SHA1', '6', '30']);
  });

  test('recovery codes: ten distinct, unambiguous, normalised as typed', () => {
    const codes = newRecoveryCodes();
    expect(new Set(codes).size).toBe(10);
    for (const c of codes) {
      expect(c).toMatch(/^[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{2}$/);
      expect(looksLikeRecoveryCode(c.toLowerCase().replace(/-/g, ' '))).toBe(true);
    }
    expect(normaliseRecoveryCode('k7qm-3xwp hd')).toBe('K7QM3XWPHD');
    expect(looksLikeRecoveryCode('123456')).toBe(false);
  });
});
