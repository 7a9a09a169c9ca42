import { Router } from 'express';
import { z } from 'zod';
import type { Db } from '../db';
import { principalOf, requireLogin, requirePermission } from '../auth/middleware';
import { loadPrincipal, canSee, type Principal } from '../auth/service';
import type { KeyStore } from '../seals/key-store';
import { platformKey } from '../seals/platform-key';
import { verifyKeyRecord } from '../../domain/audit-chain';
import { errors } from '../errors';
import { validate } from './validate';

/**
 * 电子签章 keys over HTTP. A person with seals:sign enrols themselves (sets a signing PIN; the key
 * pair is generated on the server and its private key stored only under the PIN). The platform
 * key is readable by anyone logged in; a person's key record by those who work with them.
 * Mounted by server/api/app.ts.
 */
export const enrolBody = z.object({ pin: z.string().min(1).max(64) }).strict();

export function sealsRouter({ db, keyStore, sealSecret }: { db: Db; keyStore: KeyStore; sealSecret: string }): Router {
  const router = Router();
  const login = requireLogin(db);

  router.post('/seals/enrol', login, requirePermission('seals:sign'), validate({ body: enrolBody }), async (_req, res) => {
    const { pin } = res.locals.body as z.infer<typeof enrolBody>;
    res.status(201).json(await keyStore.enrol(principalOf(res).userId, pin));
  });

  router.get('/seals/me', login, async (_req, res) => {
    const p = principalOf(res);
    const status = await keyStore.status(p.userId);
    const platform = await platformKey(db, sealSecret);
    // The page shows whether the platform's signature on the key record holds, as 合规核验 would.
    const recordVerified = status.key ? verifyKeyRecord(status.key, { keyId: platform.keyId, publicKey: platform.publicKey, createdAt: platform.createdAt }).ok : null;
    res.json({ ...status, canSign: p.permissions.has('seals:sign'), recordVerified });
  });

  /**
   * A key record names its holder and their organisation: it is public to those who work with
   * them — the holder's organisation lies in the reader's scope, or the reader's in the holder's
   * (a unit checking the seal of the bureau that decided its project) — and a 404 to anyone else,
   * like a user without a key. Evidence packages carry the key records they need.
   */
  router.get('/seals/keys/:userId', login, async (req, res) => {
    const raw = req.params.userId;
    const userId = /^\d{1,10}$/.test(String(raw)) && Number(raw) <= 2_147_483_647 ? Number(raw) : 0;
    const key = userId > 0 && (await related(db, principalOf(res), userId)) ? await keyStore.publicKey(userId) : null;
    if (!key) throw errors.notFound(`用户 #${String(raw)} 没有已开通的签章密钥`);
    res.json(key);
  });

  router.get('/seals/platform-key', login, async (_req, res) => {
    const p = await platformKey(db, sealSecret);
    res.json({ keyId: p.keyId, publicKey: p.publicKey, createdAt: p.createdAt });
  });

  return router;
}

async function related(db: Db, reader: Principal, userId: number): Promise<boolean> {
  if (userId === reader.userId) return true;
  const holder = await loadPrincipal(db, userId);
  if (!holder) return false;
  const inScope = (p: Principal, orgId: number) => canSee(db, p, orgId);
  return (await inScope(reader, holder.orgId)) || (await inScope(holder, reader.orgId));
}
