import { onMounted, reactive } from 'vue';
import { listUsers, type ManagedUser, type UserStatus } from '../../api/users';
import { usePagedList } from '../../composables/usePagedList';

export interface UserFilters {
  keyword: string;
  /** 所属机构（含下级机构） */
  orgId: number | null;
  role: string;
  status: UserStatus | '';
  /** '' 全部；'true' 已锁定；'false' 未锁定 */
  locked: '' | 'true' | 'false';
}

const emptyFilters = (): UserFilters => ({ keyword: '', orgId: null, role: '', status: '', locked: '' });

/**
 * 用户管理页的列表状态：查询条件（点“查询”后生效）、服务端分页、按行刷新。
 * 须在组件 setup 中调用。
 */
export function useUserList() {
  const filters = reactive<UserFilters>(emptyFilters());
  let applied: UserFilters = emptyFilters();

  /** 已生效的查询条件（列表和导出共用） */
  const appliedQuery = () => ({
    sort: 'createdAt' as const,
    order: 'desc' as const,
    keyword: applied.keyword || undefined,
    orgId: applied.orgId ?? undefined,
    role: applied.role || undefined,
    status: applied.status || undefined,
    locked: applied.locked === '' ? undefined : applied.locked === 'true',
  });

  const list = usePagedList<ManagedUser>(({ page, pageSize }, signal) => listUsers({ page, pageSize, ...appliedQuery() }, { signal }), {
    errorMessage: '获取用户失败，请稍后再试',
  });

  function search(): Promise<void> {
    applied = { ...filters, keyword: filters.keyword.trim() };
    return list.loadFirstPage();
  }

  function reset(): Promise<void> {
    Object.assign(filters, emptyFilters());
    return search();
  }

  /** 操作成功后用服务端返回的用户刷新该行 */
  function replaceUser(user: ManagedUser): void {
    list.replaceItem((u) => u.id === user.id, user);
  }

  onMounted(() => void search());

  return { filters, ...list, search, reset, replaceUser, appliedQuery };
}
