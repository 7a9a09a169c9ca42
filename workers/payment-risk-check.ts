import { z } from 'zod';
import { APPROVAL_CHAINS } from '../domain/allocation';
import { checkRisks } from '../server/payments/service';
import { complete, defineWorker } from './types';

/**
 * 风险预警检查 (payment-approval, topic payment.risk-check): the risk rules of domain/payment-risk.ts
 * over the request and its unit's recent requests; hits stored with their evidence, the chain the
 * decision table chose recorded on the request. A 严重 hit sends the request to 核查.
 * Input: paymentRequestId, approvalChain. Output: riskSevere, riskHits (count).
 */
export const paymentRiskCheck = defineWorker({
  topic: 'payment.risk-check',
  description: '用款申请风险预警检查（拆分支付、账户频繁变更、向个人大额转账、项目超支），记录审批链',
  input: z.object({ paymentRequestId: z.coerce.number().int().positive(), approvalChain: z.enum(APPROVAL_CHAINS) }),
  async handle({ paymentRequestId, approvalChain }, { trx, task }) {
    const r = await checkRisks(trx, paymentRequestId, task.processInstanceId, approvalChain);
    return complete({ riskSevere: r.severe, riskHits: r.hits.length });
  },
});
