import { onMounted, reactive, ref } from 'vue';
import { ElMessage } from 'element-plus';
import {
  createCheckpoint,
  downloadProjectEvidence,
  listAuditRecords,
  verifyChain,
  verifyPackage,
  type AuditRecord,
  type ChainReport,
  type PackageReport,
} from '../../api/audit';
import { ApiError } from '../../api/request';
import { usePagedList } from '../../composables/usePagedList';

export interface AuditFilters {
  /** 项目编号（XM2026-…） */
  projectNo: string;
  /** 具体类型（project.task_completed）或一类（以“.”结尾：auth.） */
  kind: string;
  sealed: '' | 'true' | 'false';
}

const defaultFilters = (): AuditFilters => ({ projectNo: '', kind: '', sealed: '' });
const messageOf = (e: unknown, fallback: string) => (e instanceof ApiError ? e.message : fallback);

/**
 * 合规核验页的状态：审计链核验结果、审计记录列表（筛选、分页）、签署检查点、
 * 下载项目证据包、上传证据包核验（由服务端用与 npm run verify 相同的检查逐条核验）。
 */
export function useCompliance() {
  const chain = ref<ChainReport | null>(null);
  const chainLoading = ref(false);
  const chainError = ref<string | null>(null);

  async function checkChain(): Promise<void> {
    chainLoading.value = true;
    chainError.value = null;
    try {
      chain.value = await verifyChain();
    } catch (e) {
      chainError.value = messageOf(e, '核验审计链失败，请稍后再试');
    } finally {
      chainLoading.value = false;
    }
  }

  const filters = reactive<AuditFilters>(defaultFilters());
  let applied = defaultFilters();
  const list = usePagedList<AuditRecord>(
    ({ page, pageSize }, signal) =>
      listAuditRecords(
        {
          page,
          pageSize,
          order: 'desc',
          projectNo: applied.projectNo.trim() || undefined,
          kind: applied.kind && !applied.kind.endsWith('.') ? applied.kind : undefined,
          kindPrefix: applied.kind.endsWith('.') ? applied.kind : undefined,
          sealed: applied.sealed || undefined,
        },
        { signal },
      ),
    { errorMessage: '获取审计记录失败，请稍后再试' },
  );
  /** 按项目编号查询时，该项目的内部编号（取自所列记录），供下载证据包 */
  const projectIdOf = (): number | undefined =>
    applied.projectNo.trim()
      ? (list.items.value.find((r) => r.projectNo === applied.projectNo.trim())?.body.projectId ?? undefined)
      : undefined;
  function search(): Promise<void> {
    applied = { ...filters };
    return list.loadFirstPage();
  }
  function reset(): Promise<void> {
    Object.assign(filters, defaultFilters());
    return search();
  }

  const signing = ref(false);
  async function signCheckpoint(): Promise<void> {
    signing.value = true;
    try {
      const cp = (await createCheckpoint()) ?? null;
      ElMessage.success(cp ? `已签署检查点 #${cp.checkpoint.seq}` : '审计链为空，无需签署检查点');
      await checkChain();
    } catch (e) {
      ElMessage.error(messageOf(e, '签署检查点失败，请稍后再试'));
    } finally {
      signing.value = false;
    }
  }

  /** 下载证据包：项目编号取自筛选条件或所点的记录 */
  function evidenceOf(projectId: number): Promise<string> {
    return downloadProjectEvidence(projectId);
  }

  const report = ref<PackageReport | null>(null);
  const reportFile = ref<string | null>(null);
  const verifying = ref(false);
  async function verifyFile(file: File): Promise<void> {
    verifying.value = true;
    report.value = null;
    reportFile.value = file.name;
    try {
      report.value = await verifyPackage(file);
    } catch (e) {
      ElMessage.error(messageOf(e, '核验证据包失败，请稍后再试'));
    } finally {
      verifying.value = false;
    }
  }

  onMounted(() => {
    void checkChain();
    void search();
  });

  return {
    chain,
    chainLoading,
    chainError,
    checkChain,
    filters,
    ...list,
    search,
    reset,
    projectIdOf,
    signing,
    signCheckpoint,
    evidenceOf,
    report,
    reportFile,
    verifying,
    verifyFile,
  };
}
