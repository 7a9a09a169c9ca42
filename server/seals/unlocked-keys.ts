import crypto from 'node:crypto';
import { hmacSm3 } from '../../domain/sm-crypto';

/**
 * Seals unlocked recently, held in this process's memory for a short while (签章会话,
 * BUDGET_SEAL_UNLOCK_MINUTES, default 10; 0 = off), as a USB key stays logged in after its PIN:
 * opening a wrapped key takes PBKDF2's 300,000 rounds (~170 ms of CPU), and an approver deciding
 * a list of tasks would pay that for every one.
 *
 * The PIN is still asked for, and checked, for every seal. An entry holds the opened private key
 * and a verifier of the PIN: HMAC-SM3 under a random key that lives only in this process, bound to
 * the key id, so a PIN is matched in microseconds without keeping it. A PIN that does not match
 * (or a key id that changed by re-enrolment) is not decided here: the caller takes the slow path,
 * which counts the failure and locks after five, so guessing is no cheaper than before. Entries
 * expire a fixed time after the slow check (not extended by use) and are dropped on a wrong PIN.
 * What it costs: the opened key stays in memory for that time, which it was already while signing.
 */
export class UnlockedKeys {
  private readonly entries = new Map<number, { keyId: string; verifier: Buffer; privateKey: string; expiresAt: number }>();
  private readonly processKey = crypto.randomBytes(32);

  constructor(private readonly ttlMs: number) {}

  get enabled(): boolean {
    return this.ttlMs > 0;
  }

  /** The opened private key when this PIN opened this key (by id) within the time; else null. */
  take(sealRowId: number, keyId: string, pin: string, now = Date.now()): string | null {
    const e = this.entries.get(sealRowId);
    if (!e) return null;
    if (e.expiresAt <= now || e.keyId !== keyId) {
      this.entries.delete(sealRowId);
      return null;
    }
    const given = this.verifierOf(keyId, pin);
    if (!crypto.timingSafeEqual(given, e.verifier)) return null;
    return e.privateKey;
  }

  remember(sealRowId: number, keyId: string, pin: string, privateKey: string, now = Date.now()): void {
    if (!this.enabled) return;
    this.entries.set(sealRowId, { keyId, verifier: this.verifierOf(keyId, pin), privateKey, expiresAt: now + this.ttlMs });
    if (this.entries.size > 10_000) for (const [id, e] of this.entries) if (e.expiresAt <= now) this.entries.delete(id);
  }

  forget(sealRowId: number): void {
    this.entries.delete(sealRowId);
  }

  private verifierOf(keyId: string, pin: string): Buffer {
    return hmacSm3(this.processKey, Buffer.from(`${keyId}\0${pin}`, 'utf8'));
  }
}
