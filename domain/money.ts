/**
 * Money is integer fen (分) everywhere: no floating point ever touches an amount.
 * Shared by server, workers and the SPA (web/src/utils/money.ts re-exports it).
 * A Fen value is a safe integer; constructing one from anything else throws.
 */
export type Fen = number & { readonly __unit: 'fen' };

export class MoneyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MoneyError';
  }
}

export function fen(value: number): Fen {
  if (!Number.isSafeInteger(value)) throw new MoneyError(`金额必须是整数分，收到 ${value}`);
  return value as Fen;
}

/**
 * Parses a yuan amount as a clerk types it ("1,234.56", "¥1234.5", "1234") into fen, exactly.
 * More than two decimal places is an error, never a rounding.
 */
export function parseYuan(text: string): Fen {
  const cleaned = text
    .trim()
    .replace(/^[¥￥]/, '')
    .replace(/,/g, '');
  const m = /^(-)?(\d+)(?:\.(\d{1,2}))?$/.exec(cleaned);
  if (!m) throw new MoneyError(`"${text}" 不是有效的金额（最多两位小数）`);
  const [, sign, whole = '0', frac = ''] = m;
  const value = Number(whole) * 100 + Number(frac.padEnd(2, '0'));
  if (!Number.isSafeInteger(value)) throw new MoneyError(`金额 "${text}" 超出范围`);
  return fen(sign ? -value : value);
}

/** ¥1,234.56 — the way amounts are shown in tables and documents. Takes integer fen. */
export function formatYuan(amount: Fen | number): string {
  fen(amount);
  const negative = amount < 0;
  const abs = Math.abs(amount);
  const yuan = Math.floor(abs / 100)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const cents = String(abs % 100).padStart(2, '0');
  return `${negative ? '-' : ''}¥${yuan}.${cents}`;
}

/**
 * 万元 as budget tables print it, exact (1 万元 = 1,000,000 fen): at least two decimals,
 * more only where the fen need them, never rounded.
 */
export function formatWanYuan(amount: Fen | number): string {
  fen(amount);
  const negative = amount < 0;
  const abs = Math.abs(amount);
  const whole = Math.floor(abs / 1_000_000);
  const rest = String(abs % 1_000_000)
    .padStart(6, '0')
    .replace(/0{1,4}$/, '')
    .padEnd(2, '0');
  return `${negative ? '-' : ''}${whole}.${rest}万元`;
}

export function addFen(a: Fen, b: Fen): Fen {
  return fen(a + b);
}
