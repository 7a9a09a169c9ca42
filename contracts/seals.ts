import { z } from 'zod';

/**
 * 电子签章接口的应答（/api/seals/*）：路由按这些 schema 应答（测试中逐个核对，见
 * server/api/contracts.ts），OpenAPI 文档由它们生成，页面的类型由 z.infer 得出（web/src/api/seals.ts）。
 * Objects are strict: a field the server adds without declaring it here fails the contract.
 */
const shanghaiIso = z.string().describe('北京时间 ISO 8601');

export const keyRecord = z.strictObject({
  v: z.literal(1),
  keyId: z.string(),
  userId: z.number().int(),
  username: z.string(),
  displayName: z.string(),
  orgId: z.number().int(),
  orgName: z.string(),
  algorithm: z.literal('SM2-SM3'),
  distinguishingId: z.string(),
  publicKey: z.string(),
  createdAt: z.string(),
  platformKeyId: z.string(),
});

export const signedKeyRecord = z.strictObject({
  record: keyRecord,
  /** 平台根密钥对 canonicalJson(record) 的 SM2 签名 */
  signature: z.string(),
});

export const sealStatus = z.strictObject({
  enrolled: z.boolean(),
  /** 平台签发的公钥记录；未开通为 null */
  key: signedKeyRecord.nullable(),
  /** 本人的角色可以加盖签章（有审批、下达等须签章的职责） */
  canSign: z.boolean(),
  /** 公钥记录上的平台签名是否核验通过；未开通为 null */
  recordVerified: z.boolean().nullable(),
  /** 连续输错签章密码被锁定时，锁定到何时 */
  lockedUntil: shanghaiIso.nullable(),
  failedPins: z.number().int(),
  /** 安全管理员已授权重新开通、本人尚未使用 */
  reenrolment: z.strictObject({ id: z.number().int(), authorisedBy: z.string(), reason: z.string(), authorisedAt: shanghaiIso }).nullable(),
  /** 已吊销的旧密钥（其签章仍可核验） */
  revokedKeys: z.array(z.strictObject({ keyId: z.string(), createdAt: z.string(), revokedAt: z.string() })),
});

export const platformPublicKey = z.strictObject({ keyId: z.string(), publicKey: z.string(), createdAt: z.string() });

export type KeyRecord = z.infer<typeof keyRecord>;
export type SignedKeyRecord = z.infer<typeof signedKeyRecord>;
export type SealStatus = z.infer<typeof sealStatus>;
export type PlatformPublicKey = z.infer<typeof platformPublicKey>;

// Request bodies

/**
 * 请求体与查询参数：路由按这些 schema 解析（server/api/seals.ts），页面的请求类型由 z.input 得出（web/src/api/）。
 */

export const enrolBody = z.object({ pin: z.string().min(1).max(64) }).strict();
