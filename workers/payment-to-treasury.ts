import { z } from 'zod';
import { fieldKeyring } from '../server/crypto/keyring';
import { openAccount } from '../server/payments/accounts';
import { issuePaymentOrder } from '../server/treasury/orders';
import { complete, defineWorker } from './types';

/**
 * 开具支付凭证 (payment-approval, topic payment.to-treasury): an approved request becomes a
 * payment order of the treasury (server/treasury/orders.ts issuePaymentOrder), which holds the
 * money already frozen under the request's freeze key and starts treasury-payment.bpmn (send to
 * the bank, arrival notice, consume or release). The call commits on its own and talks to the
 * engine, so it runs in `prepare`, outside the worker's transaction; it is idempotent per request
 * (one order per source), so a redelivered task or a retry after a lost answer issues nothing twice.
 * Input: paymentRequestId. Output: paymentOrderNo.
 */
export const paymentToTreasury = defineWorker({
  topic: 'payment.to-treasury',
  description: '用款申请审批通过后开具支付凭证，交国库支付',
  input: z.object({ paymentRequestId: z.coerce.number().int().positive() }),
  async prepare({ paymentRequestId }, { db, engine, config }) {
    const row = (await db('payment_requests').where('id', paymentRequestId).first()) as
      | {
          id: number;
          status: string;
          quota_id: number;
          amount_fen: number | string;
          freeze_key: string;
          payee_name: string;
          payee_account_cipher: string;
          payee_bank: string;
          purpose: string;
          payment_type: string;
          unit_org_id: number;
          economic_code: string;
        }
      | undefined;
    if (!row) throw new Error(`payment request ${paymentRequestId} not found`);
    if (row.status !== 'approved') throw new Error(`payment request ${paymentRequestId} is ${row.status}, not approved`);
    const order = await issuePaymentOrder(
      { db, engine, config },
      {
        source: { kind: 'payment-request', id: Number(row.id) },
        quotaId: Number(row.quota_id),
        amountFen: Number(row.amount_fen),
        freezeKey: row.freeze_key,
        payeeName: row.payee_name,
        payeeAccount: openAccount(fieldKeyring(config), row.payee_account_cipher),
        payeeBank: row.payee_bank,
        purpose: row.purpose,
        // 授权支付: the request's spelling is British, the treasury's American.
        paymentType: row.payment_type === 'direct' ? 'direct' : 'authorized',
        unitOrgId: Number(row.unit_org_id),
        economicCode: row.economic_code,
      },
    );
    return order.orderNo;
  },
  async handle(_input, { prepared }) {
    return complete({ paymentOrderNo: String(prepared) });
  },
});
