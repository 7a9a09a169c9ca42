import type { Knex } from 'knex';
import { decisionLabel } from '../../domain/approval';
import { verificationCode } from '../../domain/audit-chain';
import type { AppendedRecord } from '../audit/chain';
import type { Seal } from '../../domain/audit-chain';
import { writeProjectEvent, type Actor } from '../projects/service';
import { closeTask, writeTaskEvent, type TaskRow } from './tasks';

/** What a completion decided: the decision field of the form (decision, or vote in 会签) and the comment. */
export function decisionOf(values: Record<string, unknown>): { decision: string | null; comment: string | null } {
  const decision = typeof values.decision === 'string' ? values.decision : typeof values.vote === 'string' ? values.vote : null;
  const comment = typeof values.comment === 'string' && values.comment ? values.comment : null;
  return { decision, comment };
}

/**
 * The database half of a completion, after the engine accepted it: the task closes with its
 * decision, the project's timeline gets the event (sealed when the person signed), and the task's
 * history the entry — one transaction. Also used by the reconciliation sweep to finish a
 * completion the engine took but our database never recorded (`recovered` says so; no seal then,
 * the PIN is gone with the request).
 */
export async function recordCompletion(
  trx: Knex,
  task: TaskRow,
  actor: Actor,
  values: Record<string, unknown>,
  options: { sealing?: (prevHash: string, at: Date) => Seal; at?: Date; recovered?: string } = {},
): Promise<AppendedRecord> {
  const { decision, comment } = decisionOf(values);
  await closeTask(trx, task.id, 'completed', {
    decision,
    comment,
    form_data: JSON.stringify(values),
    completed_by: actor.userId,
    completed_at: options.at ?? new Date(),
  });
  const record = await writeProjectEvent(
    trx,
    task.business_id,
    actor,
    {
      kind: 'task_completed',
      note: `${task.name}：${decisionLabel(decision) || '已办理'}${comment ? `。意见：${comment}` : ''}${options.recovered ? `（${options.recovered}）` : ''}`,
      data: {
        taskId: task.id,
        elementId: task.element_id,
        processInstanceKey: task.process_instance_key,
        decision,
        comment,
        form: values,
        ...(options.recovered ? { recovered: true } : {}),
      },
    },
    options.sealing,
  );
  const seal = record.body.seal;
  await writeTaskEvent(
    trx,
    task.id,
    actor,
    {
      kind: 'completed',
      decision,
      comment,
      data: {
        form: values,
        auditRecordId: record.id,
        sealed: seal !== null,
        verificationCode: seal ? verificationCode(seal.signature) : null,
        ...(options.recovered ? { recovered: options.recovered } : {}),
      },
    },
    { timeline: false },
  );
  return record;
}
