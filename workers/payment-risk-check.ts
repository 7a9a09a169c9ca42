import { z } from 'zod';
import { APPROVAL_CHAINS } from '../domain/allocation';
import { checkRisks } from '../server/payments/service';
import { complete, defineWorker } from './types';

/**
 * How long after its start an instance whose request is not in the database may still be one
 * whose filing has not committed yet (the filing starts the instance inside its transaction and
 * commits right after). Past it, the filing is dead: the app stopped between the engine's start
 * and the commit (the fault drill's kills found it), and the instance is an orphan.
 */
export const ORPHAN_GRACE_MS = 20_000;

/**
 * 风险预警检查 (payment-approval, topic payment.risk-check): the risk rules of domain/payment-risk.ts
 * over the request and its unit's recent requests; hits stored with their evidence, the chain the
 * decision table chose recorded on the request. A 严重 hit sends the request to 核查.
 * Input: paymentRequestId, approvalChain. Output: riskSevere, riskHits (count).
 *
 * An orphan — the instance of a filing that never committed: no request row after ORPHAN_GRACE_MS,
 * or the row (SQLite reuses a rolled-back id) names another instance — is canceled here, its first
 * step, before anyone could act on it; the request the clerk filed again runs in its own instance.
 */
export const paymentRiskCheck = defineWorker({
  topic: 'payment.risk-check',
  description: '用款申请风险预警检查（拆分支付、账户频繁变更、向个人大额转账、项目超支），记录审批链',
  input: z.object({ paymentRequestId: z.coerce.number().int().positive(), approvalChain: z.enum(APPROVAL_CHAINS) }),
  // Retries spanning the grace (2 + 4 + 8 + 16 + 32 s), so an orphan is canceled, not an incident.
  retries: 6,
  retryBackoffMs: 2000,
  async handle({ paymentRequestId, approvalChain }, { trx, task, engine, log }) {
    const row = (await trx('payment_requests').where('id', paymentRequestId).first('process_instance_key')) as
      { process_instance_key: string | null } | undefined;
    if (!row || (row.process_instance_key && row.process_instance_key !== task.processInstanceId)) {
      if (!row) {
        const started = await engine.request<{ startTime: string }>(
          'GET',
          `/history/process-instance/${encodeURIComponent(task.processInstanceId)}`,
        );
        const age = Date.now() - Date.parse(started.startTime);
        if (!(age > ORPHAN_GRACE_MS)) throw new Error(`payment request ${paymentRequestId} not found (instance ${task.processInstanceId})`);
      }
      await engine.cancelProcessInstance(task.processInstanceId, '用款申请提交未完成（未入库），该流程实例作废');
      log.warn({ paymentRequestId, processInstanceId: task.processInstanceId }, '用款申请提交未完成，作废其孤立的流程实例');
      return complete({ riskSevere: false, riskHits: 0 });
    }
    const r = await checkRisks(trx, paymentRequestId, task.processInstanceId, approvalChain);
    return complete({ riskSevere: r.severe, riskHits: r.hits.length });
  },
});
