import type { Knex } from 'knex';
import type { Json } from '../../domain/canonical-json';
import { formDigest, sealPayloadBytes, type Seal, type SealPayload } from '../../domain/audit-chain';
import { appendAudit, type AppendedRecord } from '../audit/chain';
import type { KeyStore, Signer } from './key-store';
import { errors } from '../errors';

/**
 * 电子签章 of a decision: the canonical payload (domain/audit-chain.ts SealPayload) is signed
 * with the signer's SM2 key and appended to the audit chain, in the transaction of the decision.
 * The signer is unlocked (PIN checked) before that transaction opens, so a wrong PIN is counted
 * even though the decision rolls back, and no PIN check runs while the chain head is locked.
 */
export interface Decision {
  /** What was decided: quota.issue, task.complete, project.admit … */
  what: string;
  who: { userId: number; username: string; displayName: string; orgId: number; orgName: string };
  processInstance?: string | null;
  element?: string | null;
  decision: Json;
  /** The form as submitted (its SM3 goes into the payload). */
  form?: Json;
  attachmentsSm3?: string[];
  subjectType: string;
  subjectId: string | number;
  projectId?: number | null;
}

export async function seal(trx: Knex, signer: Signer, d: Decision): Promise<AppendedRecord> {
  return appendAudit(
    trx,
    {
      kind: `seal.${d.what}`,
      subjectType: d.subjectType,
      subjectId: d.subjectId,
      projectId: d.projectId ?? null,
      actor: { userId: d.who.userId, username: d.who.username },
      data: null,
    },
    sealWith(signer, d),
  );
}

/**
 * The seal of a decision for appendAudit: built when the chain head is known (the payload names
 * the hash of the record before). Used on its own record (seal above) or on the record of the
 * business event itself (a task decision seals its timeline event).
 */
export function sealWith(
  signer: Signer,
  d: Omit<Decision, 'subjectType' | 'subjectId' | 'projectId'>,
): (prevHash: string, at: Date) => Seal {
  if (signer.userId !== d.who.userId) throw new Error('a seal is signed by the person who decides');
  return (prevHash, at) => {
    const payload: SealPayload = {
      v: 1,
      what: d.what,
      who: d.who,
      when: at.toISOString(),
      processInstance: d.processInstance ?? null,
      element: d.element ?? null,
      decision: d.decision,
      formSm3: d.form === undefined ? null : formDigest(d.form),
      attachmentsSm3: d.attachmentsSm3 ?? [],
      prevHash,
      keyId: signer.keyId,
    };
    return { payload, signature: signer.sign(sealPayloadBytes(payload)), keyId: signer.keyId };
  };
}

/**
 * The rule for sealed decisions: once a person has enrolled a signing key, the decision must carry
 * their PIN (400 SIGNING_PIN_REQUIRED); the PIN is checked here, before any write of the decision,
 * so a wrong one (400 SEAL_PIN_WRONG / 423 SEAL_LOCKED) is counted and changes nothing else.
 * Before enrolment the decision is recorded unsealed (null).
 */
export async function signerFor(
  keyStore: KeyStore,
  userId: number,
  pin: string | undefined,
  action: string,
  from: { ip?: string } = {},
): Promise<Signer | null> {
  const enrolled = (await keyStore.publicKey(userId)) !== null;
  if (enrolled && pin === undefined)
    throw errors.badRequest('SIGNING_PIN_REQUIRED', `您已开通电子签章，${action}须输入签章密码`, [
      { field: 'body.signingPin', message: '必填项' },
    ]);
  return pin === undefined ? null : keyStore.unlock(userId, pin, from);
}
