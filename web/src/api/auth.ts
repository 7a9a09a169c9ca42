import type { z } from 'zod';
import { request } from './request';
import type {
  CurrentUser,
  EnrolmentConfirmed,
  EnrolmentStart,
  LoginAnswer,
  UserAnswer,
  enrolmentConfirmBody,
  loginBody,
  passwordBody,
  secondFactorLoginBody,
} from '../../../contracts/auth';

/**
 * 应答的类型来自 contracts/auth.ts（服务端按同一份 schema 应答，测试中逐个核对）。
 * LoginAnswer：密码正确后直接登录（user），或（已绑定动态验证码的人）还须第二步（secondFactor）。
 */
export type { CurrentUser, EnrolmentConfirmed, EnrolmentStart, LoginAnswer, UserAnswer };

/** 请求体的类型来自路由解析用的同一份 schema（contracts/auth.ts，z.input：客户端发送的一侧）。 */
export type LoginInput = z.input<typeof loginBody>;
export type SecondFactorLoginInput = z.input<typeof secondFactorLoginBody>;
export type EnrolmentConfirmInput = z.input<typeof enrolmentConfirmBody>;
export type PasswordChange = z.input<typeof passwordBody>;

export function login(username: string, password: string): Promise<LoginAnswer> {
  return request('/api/auth/login', { method: 'POST', body: { username, password } satisfies LoginInput, timeoutMs: 15_000 });
}

/** 登录第二步：动态验证码或恢复码 */
export function loginSecondFactor(challenge: string, code: string): Promise<UserAnswer> {
  return request('/api/auth/login/second-factor', {
    method: 'POST',
    body: { challenge, code } satisfies SecondFactorLoginInput,
    timeoutMs: 15_000,
  });
}

export function startSecondFactorEnrolment(): Promise<EnrolmentStart> {
  return request('/api/auth/second-factor/enrolment', { method: 'POST', body: {} });
}

export function confirmSecondFactorEnrolment(code: string): Promise<EnrolmentConfirmed> {
  return request('/api/auth/second-factor/confirm', { method: 'POST', body: { code } satisfies EnrolmentConfirmInput });
}

export function logout(): Promise<void> {
  return request('/api/auth/logout', { method: 'POST' });
}

export function me(): Promise<UserAnswer> {
  return request('/api/auth/me');
}

export function changePassword(oldPassword: string, newPassword: string): Promise<void> {
  return request('/api/auth/password', { method: 'POST', body: { oldPassword, newPassword } satisfies PasswordChange });
}
