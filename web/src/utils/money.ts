/**
 * 金额一律以整数“分”表示，任何浮点运算都不碰金额。
 *
 * 前端自有的一份，与服务端 domain/money.ts 行为保持一致（SPA 不从 domain/ 引入）：
 * 同样的输入得到同样的分值、同样的显示文本、同样被拒绝。修改任一方时请同步修改另一方。
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
 * 把经办人输入的“元”（"1,234.56"、"¥1234.5"、"1234"）精确换算为分。
 * 超过两位小数直接报错，绝不四舍五入。
 */
export function parseYuan(text: string): Fen {
  const cleaned = text.trim().replace(/^[¥￥]/, '').replace(/,/g, '');
  const m = /^(-)?(\d+)(?:\.(\d{1,2}))?$/.exec(cleaned);
  if (!m) throw new MoneyError(`"${text}" 不是有效的金额（最多两位小数）`);
  const [, sign, whole = '0', frac = ''] = m;
  const value = Number(whole) * 100 + Number(frac.padEnd(2, '0'));
  if (!Number.isSafeInteger(value)) throw new MoneyError(`金额 "${text}" 超出范围`);
  return fen(sign ? -value : value);
}

/** ¥1,234.56：表格和文书中的金额写法 */
export function formatYuan(amount: Fen | number): string {
  const negative = amount < 0;
  const abs = Math.abs(amount);
  const yuan = Math.floor(abs / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const cents = String(abs % 100).padStart(2, '0');
  return `${negative ? '-' : ''}¥${yuan}.${cents}`;
}

/**
 * 预算表中的“万元”，精确（1 万元 = 1,000,000 分）：至少两位小数，
 * 分位需要时才多显示，绝不四舍五入。
 */
export function formatWanYuan(amount: Fen | number): string {
  const negative = amount < 0;
  const abs = Math.abs(amount);
  const whole = Math.floor(abs / 1_000_000);
  const rest = String(abs % 1_000_000).padStart(6, '0').replace(/0{1,4}$/, '').padEnd(2, '0');
  return `${negative ? '-' : ''}${whole}.${rest}万元`;
}

export function addFen(a: Fen, b: Fen): Fen {
  return fen(a + b);
}

/**
 * 表单用：把输入的元换算为大于零的分；不合法时返回中文提示（不抛错）。
 * 换算规则与 parseYuan 完全相同。
 */
export function parsePositiveYuan(text: string): { ok: true; fen: Fen } | { ok: false; message: string } {
  if (text.trim() === '') return { ok: false, message: '请输入金额' };
  let value: Fen;
  try {
    value = parseYuan(text);
  } catch (e) {
    if (e instanceof MoneyError) {
      return { ok: false, message: /超出范围/.test(e.message) ? '金额超出范围' : '请输入有效金额（单位：元，最多两位小数）' };
    }
    throw e;
  }
  if (value <= 0) return { ok: false, message: '金额必须大于零' };
  return { ok: true, fen: value };
}
