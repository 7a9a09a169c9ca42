import type { Router } from 'express';
import { z } from 'zod';
import type { Db } from '../db';
import { loadPrincipal, canSee, type Principal } from '../auth/service';
import type { KeyStore } from '../seals/key-store';
import { platformKey } from '../seals/platform-key';
import { verifyKeyRecord } from '../../domain/audit-chain';
import { errors } from '../errors';
import * as contracts from '../../contracts/seals';
import { mountRoutes, routesWith } from './route';
import { pathId } from './route-doc';

/**
 * 电子签章 keys over HTTP. A person with seals:sign enrols themselves (sets a signing PIN; the key
 * pair is generated on the server and its private key stored only under the PIN). The platform
 * key is readable by anyone logged in; a person's key record by those who work with them.
 * Declared once (route.ts): the catalogue, the OpenAPI document and the router read these.
 */
const userParams = z.object({ userId: pathId('用户编号') });

type SealDeps = { db: Db; keyStore: KeyStore; sealSecret: string };
const route = routesWith<SealDeps>();

export const sealRoutes = [
  route({
    method: 'post',
    path: '/api/seals/enrol',
    summary: '开通电子签章：设置签章密码，生成本人 SM2 密钥',
    tag: 'seals',
    access: 'seals:sign',
    body: contracts.enrolBody,
    ok: { status: 201, description: '已开通：平台签发的公钥记录' },
    response: contracts.signedKeyRecord,
    refusals: [409],
    description:
      '每人一把有效密钥；已开通时为 409 SEAL_ALREADY_ENROLLED，除非安全管理员已授权重新开通（此时生成新密钥、旧密钥吊销，旧签章仍可核验）。签章密码为 6 位数字，不能是重复或连续的数字。',
    handle: ({ deps, principal, body }) => deps.keyStore.enrol(principal.userId, body.pin),
  }),
  route({
    method: 'get',
    path: '/api/seals/me',
    summary: '本人签章状态：公钥记录及其平台签名核验、锁定、待使用的重新开通授权、已吊销的旧密钥',
    tag: 'seals',
    access: 'login',
    response: contracts.sealStatus,
    handle: async ({ deps, principal: p }) => {
      const status = await deps.keyStore.status(p.userId);
      const platform = await platformKey(deps.db, deps.sealSecret);
      // The page shows whether the platform's signature on the key record holds, as 合规核验 would.
      const recordVerified = status.key
        ? verifyKeyRecord(status.key, { keyId: platform.keyId, publicKey: platform.publicKey, createdAt: platform.createdAt }).ok
        : null;
      return { ...status, canSign: p.permissions.has('seals:sign'), recordVerified };
    },
  }),
  /**
   * A key record names its holder and their organisation: it is public to those who work with
   * them — the holder's organisation lies in the reader's scope, or the reader's in the holder's
   * (a unit checking the seal of the bureau that decided its project) — and a 404 to anyone else,
   * like a user without a key. Evidence packages carry the key records they need.
   */
  route({
    method: 'get',
    path: '/api/seals/keys/{userId}',
    summary: '某用户的公钥记录（平台签名）',
    tag: 'seals',
    access: 'login',
    params: userParams,
    notFound: '该用户的签章密钥',
    response: contracts.signedKeyRecord,
    handle: async ({ deps, principal, params }) => {
      const key = (await related(deps.db, principal, params.userId)) ? await deps.keyStore.publicKey(params.userId) : null;
      if (!key) throw errors.notFound(`用户 #${params.userId} 没有已开通的签章密钥`);
      return key;
    },
  }),
  route({
    method: 'get',
    path: '/api/seals/platform-key',
    summary: '平台根公钥（核验公钥记录与检查点）',
    tag: 'seals',
    access: 'login',
    response: contracts.platformPublicKey,
    handle: async ({ deps }) => {
      const p = await platformKey(deps.db, deps.sealSecret);
      return { keyId: p.keyId, publicKey: p.publicKey, createdAt: p.createdAt };
    },
  }),
];

export function sealsRouter(deps: SealDeps): Router {
  return mountRoutes(deps.db, deps, sealRoutes);
}

async function related(db: Db, reader: Principal, userId: number): Promise<boolean> {
  if (userId === reader.userId) return true;
  const holder = await loadPrincipal(db, userId);
  if (!holder) return false;
  const inScope = (p: Principal, orgId: number) => canSee(db, p, orgId);
  return (await inScope(reader, holder.orgId)) || (await inScope(holder, reader.orgId));
}
