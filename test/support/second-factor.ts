import { base32Decode, hotp, totpStep } from '../../domain/totp';

/**
 * The tests' authenticator app: the TOTP secrets of the accounts the tests enrolled (by user
 * name: a test file's systems never enrol the same name twice), and codes that the server will accept — never a step already used (the server
 * refuses replays), waiting for the next 30-second step when a person logs in more than twice in one.
 */
const secrets = new Map<string, { secret: Buffer; lastStep: number }>();
// By user name alone: two app nodes over one database (test/integration/two-nodes) share the secret.
const keyOf = (_baseUrl: string, username: string) => username;

export function rememberSecret(baseUrl: string, username: string, base32: string, usedStep: number | null = null): void {
  secrets.set(keyOf(baseUrl, username), { secret: base32Decode(base32), lastStep: usedStep ?? -1 });
}

export function knowsSecret(baseUrl: string, username: string): boolean {
  return secrets.has(keyOf(baseUrl, username));
}

export function forgetSecret(baseUrl: string, username: string): void {
  secrets.delete(keyOf(baseUrl, username));
}

/** A code for the next unused step within the server's ±1 step window (waits when none is left). */
export async function nextTotpCode(baseUrl: string, username: string): Promise<string> {
  const entry = secrets.get(keyOf(baseUrl, username));
  if (!entry) throw new Error(`no TOTP secret known for ${username}: enrol through loginCookie or the page first`);
  for (;;) {
    const now = Date.now();
    const step = totpStep(now);
    const intoStep = (now / 1000) % 30;
    // The step before now only while the current one has time left (the request takes a moment).
    const lowest = intoStep < 25 ? step - 1 : step;
    const candidate = Math.max(lowest, entry.lastStep + 1);
    if (candidate <= step + 1) {
      entry.lastStep = candidate;
      return hotp(entry.secret, candidate);
    }
    await new Promise((r) => setTimeout(r, (30 - intoStep) * 1000 + 50));
  }
}
