/**
 * 金额：整数“分”。规则与服务端共用同一份代码（domain/money.ts），此处只补充表单用的换算。
 */
import { MoneyError, parseYuan, type Fen } from '../../../domain/money';

export { MoneyError, addFen, fen, formatWanYuan, formatYuan, parseYuan, type Fen } from '../../../domain/money';

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
