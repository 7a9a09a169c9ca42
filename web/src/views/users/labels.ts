import { ROLES } from '../../../../domain/roles';
import type { UserStatus } from '../../api/users';

/** 全部 13 个角色（与服务端同一份定义，domain/roles.ts），按定义顺序 */
export const ROLE_OPTIONS: ReadonlyArray<{ code: string; name: string }> = ROLES.map(({ code, name }) => ({ code, name }));

/** 三员：同一人至多担任其一 */
export const ADMIN_ROLE_CODES: readonly string[] = ['system_admin', 'security_admin', 'audit_admin'];

export const SEPARATION_HINT = '三员分立：系统管理员、安全管理员、审计管理员不能由同一人兼任';

export const STATUS_OPTIONS: ReadonlyArray<{ value: UserStatus; label: string }> = [
  { value: 'active', label: '正常' },
  { value: 'disabled', label: '停用' },
];

export function statusLabel(status: UserStatus): string {
  return STATUS_OPTIONS.find((o) => o.value === status)?.label ?? status;
}

/** 所选角色中的三员超过一个时返回提示，否则返回空字符串 */
export function separationProblem(roles: readonly string[]): string {
  return roles.filter((r) => ADMIN_ROLE_CODES.includes(r)).length > 1 ? SEPARATION_HINT : '';
}
