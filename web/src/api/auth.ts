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
}

export function login(username: string, password: string): Promise<{ user: CurrentUser }> {
  return request('/api/auth/login', { method: 'POST', body: { username, password }, timeoutMs: 15_000 });
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
