import { request } from './request';
import type { CurrentUser, EnrolmentConfirmed, EnrolmentStart, LoginAnswer, UserAnswer } from '../../../contracts/auth';

/**
 * 应答的类型来自 contracts/auth.ts（服务端按同一份 schema 应答，测试中逐个核对）。
 * LoginAnswer：密码正确后直接登录（user），或（已绑定动态验证码的人）还须第二步（secondFactor）。
 */
export type { CurrentUser, EnrolmentConfirmed, EnrolmentStart, LoginAnswer, UserAnswer };

export function login(username: string, password: string): Promise<LoginAnswer> {
  return request('/api/auth/login', { method: 'POST', body: { username, password }, timeoutMs: 15_000 });
}

/** 登录第二步：动态验证码或恢复码 */
export function loginSecondFactor(challenge: string, code: string): Promise<UserAnswer> {
  return request('/api/auth/login/second-factor', { method: 'POST', body: { challenge, code }, timeoutMs: 15_000 });
}

export function startSecondFactorEnrolment(): Promise<EnrolmentStart> {
  return request('/api/auth/second-factor/enrolment', { method: 'POST', body: {} });
}

export function confirmSecondFactorEnrolment(code: string): Promise<EnrolmentConfirmed> {
  return request('/api/auth/second-factor/confirm', { method: 'POST', body: { code } });
}

export function logout(): Promise<void> {
  return request('/api/auth/logout', { method: 'POST' });
}

export function me(): Promise<UserAnswer> {
  return request('/api/auth/me');
}

export function changePassword(oldPassword: string, newPassword: string): Promise<void> {
  return request('/api/auth/password', { method: 'POST', body: { oldPassword, newPassword } });
}
