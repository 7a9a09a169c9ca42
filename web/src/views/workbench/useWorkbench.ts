import { computed, onBeforeUnmount, onMounted, ref } from 'vue';
import { getWorkbench, type WorkbenchSummary } from '../../api/workbench';
import { ApiError } from '../../api/request';
import { allows, NAV_ITEMS, type NavItem } from '../../navigation';
import { useSession } from '../../session/useSession';

/** 快捷入口上的一句说明：这个页面是做什么的 */
const SHORTCUT_HINTS: Record<string, string> = {
  '/tasks': '审核、签收、转办、批量审批',
  '/my-applications': '新建申报、送审、查看审核进度',
  '/projects': '查询项目、导入导出、查看详情',
  '/quotas': '下达、调剂、结转、查看流水',
  '/organisations': '本辖区的单位与部门',
  '/codes': '功能分类与经济分类科目',
  '/users': '账号、角色、解锁与重置密码',
  '/compliance': '审计链、签章核验、证据包',
  '/health': '数据库、流程引擎与已部署的模型',
};

/**
 * 工作台的状态：一次取齐的汇总（GET /api/workbench）、按权限给出的快捷入口（即本人菜单上的页面），
 * 以及每分钟自动刷新。取数失败时保留上次的数字并显示错误。
 */
export function useWorkbench() {
  const session = useSession();
  const summary = ref<WorkbenchSummary | null>(null);
  const error = ref<string>('');
  const loading = ref(false);
  let controller: AbortController | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;

  async function load(): Promise<void> {
    controller?.abort();
    controller = new AbortController();
    loading.value = true;
    try {
      summary.value = await getWorkbench({ signal: controller.signal });
      error.value = '';
    } catch (e) {
      if (e instanceof ApiError && e.code === 'ABORTED') return;
      error.value = e instanceof ApiError ? e.message : '获取工作台数据失败，请稍后再试';
    } finally {
      loading.value = false;
    }
  }

  const permissions = computed(() => session.user.value?.permissions ?? []);
  /** 申报单位（能填报项目）看到“我的申报”，其他人看到“项目库”的汇总 */
  const filesApplications = computed(() => permissions.value.includes('projects:write'));
  const shortcuts = computed<Array<NavItem & { hint: string }>>(() =>
    NAV_ITEMS.filter((item) => item.index !== '/workbench' && allows(permissions.value, item.permission)).map((item) => ({
      ...item,
      hint: SHORTCUT_HINTS[item.index] ?? '',
    })),
  );

  onMounted(() => {
    void load();
    timer = setInterval(() => void load(), 60_000);
  });
  onBeforeUnmount(() => {
    clearInterval(timer);
    controller?.abort();
  });

  return { summary, error, loading, load, shortcuts, filesApplications };
}
