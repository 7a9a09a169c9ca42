/**
 * Signing PINs (签章密码): six digits, as on a bank card or a UKey — the server-side pepper and the
 * five-try lock (domain/key-wrap.ts, server/seals/key-store.ts) carry the weight, not the length.
 * Pure, so the SPA checks a new PIN by the same rule before sending it.
 */
export function pinProblem(pin: string): string | null {
  if (!/^\d{6}$/.test(pin)) return '签章密码应为 6 位数字';
  if (/^(\d)\1+$/.test(pin) || '0123456789012345678909876543210'.includes(pin)) return '签章密码不能是重复或连续的数字';
  return null;
}
