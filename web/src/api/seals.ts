import { request } from './request';
import type { SignedKeyRecord } from '../../../domain/seal-records';

export type { SignedKeyRecord };

/**
 * 电子签章接口（/api/seals）：本人开通签章（设置 6 位数字签章密码，服务端生成 SM2 密钥，私钥只以
 * 签章密码加密保存）、本人签章状态；安全管理员授权重新开通（/api/users/:id/seal-reenrolment）。
 */
export interface SealStatus {
  enrolled: boolean;
  /** 平台签发的公钥记录；未开通为 null */
  key: SignedKeyRecord | null;
  /** 本人的角色可以加盖签章（有审批、下达等须签章的职责） */
  canSign: boolean;
  /** 公钥记录上的平台签名是否核验通过；未开通为 null */
  recordVerified: boolean | null;
  /** 连续输错签章密码被锁定时，锁定到何时（北京时间 ISO） */
  lockedUntil: string | null;
  failedPins: number;
  /** 安全管理员已授权重新开通、本人尚未使用 */
  reenrolment: { id: number; authorisedBy: string; reason: string; authorisedAt: string } | null;
  /** 已吊销的旧密钥（其签章仍可核验） */
  revokedKeys: Array<{ keyId: string; createdAt: string; revokedAt: string }>;
}

export function getMySeal(): Promise<SealStatus> {
  return request<SealStatus>('/api/seals/me', { timeoutMs: 15_000 });
}

/** 开通（或经授权重新开通）电子签章 */
export function enrolSeal(pin: string): Promise<SignedKeyRecord> {
  return request<SignedKeyRecord>('/api/seals/enrol', { method: 'POST', body: { pin }, timeoutMs: 30_000 });
}

/** 安全管理员：授权某用户重新开通签章（遗忘签章密码） */
export function authoriseSealReenrolment(userId: number, reason: string): Promise<{ created: boolean }> {
  return request<{ created: boolean }>(`/api/users/${userId}/seal-reenrolment`, { method: 'POST', body: { reason }, timeoutMs: 30_000 });
}

/** 密钥指纹：密钥编号每 4 位一组，便于口头核对 */
export function fingerprint(keyId: string): string {
  return keyId.toUpperCase().replace(/(.{4})(?=.)/g, '$1 ');
}
