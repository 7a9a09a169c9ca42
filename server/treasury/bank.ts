import { BANK_STATUSES, signBankMessage, SIGNATURE_HEADER, TIMESTAMP_HEADER, type BankStatus } from '../../domain/treasury';
import type { BankConfig } from '../config';

/**
 * The bank's payment interface as the treasury sees it. One implementation speaks HTTP to a bank
 * front end (the simulator of scripts/bank-simulator.ts in development and tests); a real bank's
 * adapter implements the same two calls. Both are idempotent at the bank by the order number
 * (支付凭证号): submitting an order the bank already holds answers what it answered the first time
 * and pays nothing again, so a redelivered send job is harmless.
 */
export interface BankPayment {
  orderNo: string;
  amountFen: number;
  payeeName: string;
  /** Plain account number: only the adapter, over the signed channel, sees it. */
  payeeAccount: string;
  payeeBank: string;
  purpose: string;
  paymentType: 'direct' | 'authorized';
  /** Where the bank sends the arrival notice (到账通知) or refund (退票) of this order. */
  notifyUrl: string;
}

export type SubmitAnswer =
  | { accepted: true; bankRef: string; duplicate: boolean }
  /** The bank refuses the order for good (wrong account, closed account …): no money moved. */
  | { accepted: false; code: string; reason: string };

export interface QueryAnswer {
  status: BankStatus;
  bankRef: string | null;
  reason: string | null;
}

export interface BankAdapter {
  submit(payment: BankPayment): Promise<SubmitAnswer>;
  query(orderNo: string): Promise<QueryAnswer>;
}

/** The bank could not be reached or answered with a fault: try again later (never a business refusal). */
export class BankUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BankUnavailableError';
  }
}

export function httpBankAdapter(config: Pick<BankConfig, 'url' | 'secret' | 'timeoutMs'>): BankAdapter {
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
    const text = body === undefined ? '' : JSON.stringify(body);
    const ts = String(Date.now());
    let res: Response;
    try {
      res = await fetch(`${config.url}${path}`, {
        method,
        headers: {
          'content-type': 'application/json',
          [TIMESTAMP_HEADER]: ts,
          [SIGNATURE_HEADER]: signBankMessage(config.secret, ts, `${method} ${path}\n${text}`),
        },
        body: body === undefined ? undefined : text,
        signal: AbortSignal.timeout(config.timeoutMs),
      });
    } catch (err) {
      throw new BankUnavailableError(`银行接口无法访问（${method} ${path}）：${(err as Error).message}`);
    }
    const raw = await res.text().catch(() => '');
    if (res.status >= 500 || res.status === 429) throw new BankUnavailableError(`银行接口暂时不可用（${method} ${path} → ${res.status}）`);
    let json: Record<string, unknown> = {};
    try {
      json = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    } catch {
      throw new BankUnavailableError(`银行接口答复无法解析（${method} ${path} → ${res.status}）`);
    }
    return { status: res.status, json };
  };
  return {
    async submit(p) {
      const { status, json } = await call('POST', '/bank/payments', p);
      if (status === 200 || status === 201) return { accepted: true, bankRef: String(json.bankRef), duplicate: json.duplicate === true };
      if (status === 422) return { accepted: false, code: String(json.code ?? 'REJECTED'), reason: String(json.reason ?? '银行拒绝受理') };
      throw new BankUnavailableError(`银行接口答复异常（提交 ${p.orderNo} → ${status}）`);
    },
    async query(orderNo) {
      const { status, json } = await call('GET', `/bank/payments/${encodeURIComponent(orderNo)}`);
      if (status === 404) return { status: 'unknown', bankRef: null, reason: null };
      if (status !== 200) throw new BankUnavailableError(`银行接口答复异常（查询 ${orderNo} → ${status}）`);
      const s = String(json.status);
      return {
        status: (BANK_STATUSES as readonly string[]).includes(s) ? (s as BankStatus) : 'pending',
        bankRef: (json.bankRef as string | null) ?? null,
        reason: (json.reason as string | null) ?? null,
      };
    },
  };
}
