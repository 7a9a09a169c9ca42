import { request } from './request';

export interface CurrentUser {
  id: number;
  username: string;
  displayName: string;
  org: { id: number; name: string };
  roles: Array<{ code: string; name: string }>;
  permissions: string[];
  scope: 'own-org' | 'org-subtree' | 'region';
  mustChangePassword: boolean;
  /** 本人的角色须用动态验证码登录，但尚未绑定：除绑定外什么都不能做 */
  secondFactorEnrolmentRequired: boolean;
  secondFactor: { required: boolean; enrolled: boolean; enrolledAt: string | null; recoveryCodesLeft: number };
}

/** 密码正确后：直接登录，或（已绑定动态验证码的人）还须第二步 */
export type LoginAnswer =
  | { user: CurrentUser; secondFactor?: undefined }
  | { user?: undefined; secondFactor: { challenge: string; expiresAt: string; methods: string[] } };

export function login(username: string, password: string): Promise<LoginAnswer> {
  return request('/api/auth/login', { method: 'POST', body: { username, password }, timeoutMs: 15_000 });
}

/** 登录第二步：动态验证码或恢复码 */
export function loginSecondFactor(challenge: string, code: string): Promise<{ user: CurrentUser }> {
  return request('/api/auth/login/second-factor', { method: 'POST', body: { challenge, code }, timeoutMs: 15_000 });
}

export interface EnrolmentStart {
  otpauthUri: string;
  qrDataUrl: string;
  secret: string;
  issuer: string;
  account: string;
}

export function startSecondFactorEnrolment(): Promise<EnrolmentStart> {
  return request('/api/auth/second-factor/enrolment', { method: 'POST', body: {} });
}

export function confirmSecondFactorEnrolment(code: string): Promise<{ recoveryCodes: string[]; user: CurrentUser }> {
  return request('/api/auth/second-factor/confirm', { method: 'POST', body: { code } });
}

export function logout(): Promise<void> {
  return request('/api/auth/logout', { method: 'POST' });
}

export function me(): Promise<{ user: CurrentUser }> {
  return request('/api/auth/me');
}

export function changePassword(oldPassword: string, newPassword: string): Promise<void> {
  return request('/api/auth/password', { method: 'POST', body: { oldPassword, newPassword } });
}
