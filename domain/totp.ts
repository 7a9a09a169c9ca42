import crypto from 'node:crypto';

/**
 * Time-based one-time passwords (RFC 6238 over HOTP, RFC 4226) for the second factor of the
 * privileged roles, and the one-time recovery codes beside them. Pure: no clock, no storage.
 *
 * Authenticator apps (Google/Microsoft Authenticator, 阿里云/腾讯身份宝 …) use SHA-1, 6 digits and
 * 30-second steps; that is what the platform enrols. SHA-256/SHA-512 are here for the RFC's test
 * vectors (Appendix B) and for completeness.
 */
export type TotpAlgorithm = 'SHA1' | 'SHA256' | 'SHA512';

export interface TotpParams {
  algorithm: TotpAlgorithm;
  digits: number;
  /** Step in seconds (X in RFC 6238). */
  period: number;
}

export const APP_TOTP: TotpParams = { algorithm: 'SHA1', digits: 6, period: 30 };

/** Steps either side of now that still count (clock drift of the phone): ±1 step, ±30 s. */
export const DRIFT_STEPS = 1;

const NODE_ALG: Record<TotpAlgorithm, string> = { SHA1: 'sha1', SHA256: 'sha256', SHA512: 'sha512' };

/** HOTP (RFC 4226 §5.3): HMAC of the 8-byte counter, dynamic truncation, modulo 10^digits. */
export function hotp(secret: Buffer, counter: number, digits = 6, algorithm: TotpAlgorithm = 'SHA1'): string {
  if (!Number.isSafeInteger(counter) || counter < 0) throw new RangeError('counter must be a non-negative integer');
  if (digits < 6 || digits > 10) throw new RangeError('digits must be 6–10');
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = crypto.createHmac(NODE_ALG[algorithm], secret).update(msg).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** The time step T of an instant: floor(unix seconds / period). */
export function totpStep(atMs: number, period = APP_TOTP.period): number {
  return Math.floor(atMs / 1000 / period);
}

export function totp(secret: Buffer, atMs: number, params: TotpParams = APP_TOTP): string {
  return hotp(secret, totpStep(atMs, params.period), params.digits, params.algorithm);
}

/**
 * Checks a code typed at `atMs`. Accepts the steps within ±DRIFT_STEPS of now, but only steps
 * after `lastUsedStep` (RFC 6238 §5.2: a code once accepted is never accepted again, nor an older
 * one). Answers the matched step (to store as the new lastUsedStep), or null.
 */
export function verifyTotp(
  secret: Buffer,
  code: string,
  atMs: number,
  lastUsedStep: number | null,
  params: TotpParams = APP_TOTP,
): number | null {
  const typed = normaliseOtp(code);
  if (typed.length !== params.digits) return null;
  const now = totpStep(atMs, params.period);
  let matched: number | null = null;
  for (let step = now - DRIFT_STEPS; step <= now + DRIFT_STEPS; step += 1) {
    if (step < 0 || (lastUsedStep !== null && step <= lastUsedStep)) continue;
    const expected = hotp(secret, step, params.digits, params.algorithm);
    // Compare every candidate (no early exit): the time taken says nothing about which matched.
    if (crypto.timingSafeEqual(Buffer.from(expected), Buffer.from(typed)) && matched === null) matched = step;
  }
  return matched;
}

/** What a person types: digits, perhaps with spaces or a dash in the middle ("123 456"). */
export function normaliseOtp(code: string): string {
  return code.replace(/[\s-]/g, '');
}

export function looksLikeTotp(code: string, digits = APP_TOTP.digits): boolean {
  return new RegExp(`^\\d{${digits}}$`).test(normaliseOtp(code));
}

// --- Base32 (RFC 4648, no padding): how authenticator apps take the secret -------------------

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Encode(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  return out;
}

export function base32Decode(text: string): Buffer {
  const clean = text.toUpperCase().replace(/[\s=-]/g, '');
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of clean) {
    const idx = B32.indexOf(ch);
    if (idx < 0) throw new RangeError(`not a base32 character: ${ch}`);
    value = (value << 5) | idx;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** A new secret: 20 random bytes (160 bits, RFC 4226's recommendation for SHA-1). */
export function newTotpSecret(): Buffer {
  return crypto.randomBytes(20);
}

/**
 * The otpauth:// URI an authenticator app reads from the QR code (Key Uri Format):
 * otpauth://totp/<issuer>:<account>?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30
 */
export function otpauthUri(secret: Buffer, account: string, issuer: string, params: TotpParams = APP_TOTP): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  const query = new URLSearchParams({
    secret: base32Encode(secret),
    issuer,
    algorithm: params.algorithm,
    digits: String(params.digits),
    period: String(params.period),
  });
  return `otpauth://totp/${label}?${query.toString().replace(/\+/g, '%20')}`;
}

// --- Recovery codes ----------------------------------------------------------------------------

/** Letters and digits a person cannot confuse (no 0/O, 1/I/L). */
const RECOVERY_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export const RECOVERY_CODE_COUNT = 10;

/** Ten codes like "K7QM-3XWP-HD": 10 characters of a 31-letter alphabet, about 50 bits each. */
export function newRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  const codes: string[] = [];
  while (codes.length < count) {
    let raw = '';
    for (let i = 0; i < 10; i += 1) raw += RECOVERY_ALPHABET[crypto.randomInt(RECOVERY_ALPHABET.length)];
    const code = `${raw.slice(0, 4)}-${raw.slice(4, 8)}-${raw.slice(8)}`;
    if (!codes.includes(code)) codes.push(code);
  }
  return codes;
}

/** A recovery code as typed (lower case, spaces, no dashes) in its one stored form: "K7QM3XWPHD". */
export function normaliseRecoveryCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '');
}

export function looksLikeRecoveryCode(code: string): boolean {
  return /^[A-Z0-9]{10}$/.test(normaliseRecoveryCode(code));
}
