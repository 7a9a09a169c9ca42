import type { z } from 'zod';
import { request } from './request';
import type { SealStatus, SignedKeyRecord, enrolBody } from '../../../contracts/seals';
import type { reenrolBody, SealReenrolment } from '../../../contracts/users';

export type { SealStatus, SignedKeyRecord };

/**
 * 电子签章接口（/api/seals）：本人开通签章（设置 6 位数字签章密码，服务端生成 SM2 密钥，私钥只以
 * 签章密码加密保存）、本人签章状态；安全管理员授权重新开通（/api/users/:id/seal-reenrolment）。
 * 应答的类型来自 contracts/seals.ts 与 contracts/users.ts（服务端按同一份 schema 应答，测试中逐个核对）。
 */
export function getMySeal(): Promise<SealStatus> {
  return request<SealStatus>('/api/seals/me', { timeoutMs: 15_000 });
}

/** POST /api/seals/enrol 的请求体：类型来自路由解析用的同一份 schema（contracts/seals.ts，z.input） */
export type SealEnrolment = z.input<typeof enrolBody>;

/** 开通（或经授权重新开通）电子签章 */
export function enrolSeal(pin: string): Promise<SignedKeyRecord> {
  const body: SealEnrolment = { pin };
  return request<SignedKeyRecord>('/api/seals/enrol', { method: 'POST', body, timeoutMs: 30_000 });
}

/** 安全管理员：授权某用户重新开通签章（遗忘签章密码） */
export function authoriseSealReenrolment(userId: number, reason: string): Promise<SealReenrolment> {
  return request<SealReenrolment>(`/api/users/${userId}/seal-reenrolment`, {
    method: 'POST',
    body: { reason } satisfies z.input<typeof reenrolBody>,
    timeoutMs: 30_000,
  });
}

/** 密钥指纹：密钥编号每 4 位一组，便于口头核对 */
export function fingerprint(keyId: string): string {
  return keyId.toUpperCase().replace(/(.{4})(?=.)/g, '$1 ');
}
