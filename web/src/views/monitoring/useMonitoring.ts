import { reactive, ref } from 'vue';
import { ElMessage } from 'element-plus';
import {
  downloadReports,
  answerRectification,
  fileReport,
  getReport,
  listReports,
  reviewReport,
  startQuarter,
  type ReportDetail,
  type ReportSummary,
} from '../../api/monitoring';
import { ApiError, type ErrorDetail } from '../../api/request';
import { currentShanghaiYear } from '../../utils/shanghai';

export function currentQuarter(now = new Date()): number {
  const month = Number(new Intl.DateTimeFormat('en-US', { timeZone: 'Asia/Shanghai', month: 'numeric' }).format(now));
  return Math.floor((month - 1) / 3) + 1;
}

/**
 * 绩效监控页面的状态：报告列表（单位看本单位的；绩效处、主管部门可只看有偏差的），一份报告的
 * 填报、偏差处理、整改答复。可做什么由服务端的 can 给出，页面不自行判断状态。
 */
export function useMonitoring(manage: boolean) {
  const filter = reactive({ fiscalYear: currentShanghaiYear(), quarter: currentQuarter(), deviation: manage, page: 1, pageSize: 20 });
  const items = ref<ReportSummary[]>([]);
  const total = ref(0);
  /** 列表上可做的事（服务端给出） */
  const can = ref({ startQuarter: false });
  const loading = ref(false);
  const detail = ref<ReportDetail | null>(null);
  const drawer = ref(false);
  const saving = ref(false);
  const error = ref('');
  const fieldErrors = ref<Record<string, string>>({});
  const report = reactive({
    progressNote: '',
    targets: [] as Array<{ targetId: number; actualValue: string; note: string; atRisk: boolean }>,
  });
  const review = reactive({ decision: 'rectify' as 'rectify' | 'accept', dueDate: '', comment: '' });
  const answer = reactive({ text: '' });

  async function load() {
    loading.value = true;
    try {
      const page = await listReports({
        fiscalYear: filter.fiscalYear,
        quarter: filter.quarter || undefined,
        deviation: filter.deviation || undefined,
        page: filter.page,
        pageSize: filter.pageSize,
      });
      items.value = page.items;
      total.value = page.total;
      can.value = page.can;
    } finally {
      loading.value = false;
    }
  }

  const exporting = ref(false);
  /** 导出当前筛选下的报告（只看偏差时为偏差清单），范围与列表相同 */
  async function exportExcel() {
    if (exporting.value) return;
    exporting.value = true;
    try {
      await downloadReports({
        fiscalYear: filter.fiscalYear,
        quarter: filter.quarter || undefined,
        deviation: filter.deviation || undefined,
      });
    } catch (e) {
      ElMessage.error(e instanceof ApiError ? e.message : '导出失败，请稍后再试');
    } finally {
      exporting.value = false;
    }
  }

  function fill(d: ReportDetail) {
    detail.value = d;
    report.progressNote = d.progressNote ?? '';
    report.targets = d.targets.map((t) => ({
      targetId: t.targetId,
      actualValue: t.actualValue ?? '',
      note: t.note ?? '',
      atRisk: t.atRisk,
    }));
    review.decision = 'rectify';
    review.dueDate = '';
    review.comment = '';
    answer.text = '';
  }

  async function open(id: number) {
    error.value = '';
    fieldErrors.value = {};
    fill(await getReport(id));
    drawer.value = true;
  }

  async function run(action: () => Promise<ReportDetail>, done: string) {
    if (saving.value) return;
    saving.value = true;
    error.value = '';
    fieldErrors.value = {};
    try {
      fill(await action());
      ElMessage.success(done);
      await load();
    } catch (e) {
      if (e instanceof ApiError) {
        error.value = e.message;
        fieldErrors.value = Object.fromEntries((e.details ?? []).map((d: ErrorDetail) => [d.field, d.message]));
      } else error.value = '提交失败，请稍后再试';
    } finally {
      saving.value = false;
    }
  }

  const submitReport = () =>
    run(
      () =>
        fileReport(detail.value!.id, {
          progressNote: report.progressNote,
          targets: report.targets.map((t) => ({
            targetId: t.targetId,
            actualValue: t.actualValue,
            note: t.note.trim() || undefined,
            atRisk: t.atRisk,
          })),
        }),
      '已填报，平台正从指标账取执行数并分析偏差',
    );
  const submitReview = () =>
    run(
      () =>
        reviewReport(detail.value!.id, {
          decision: review.decision,
          dueDate: review.decision === 'rectify' ? review.dueDate || undefined : undefined,
          comment: review.comment,
        }),
      review.decision === 'rectify' ? '已要求单位限期整改' : '已认可',
    );
  const submitAnswer = () => run(() => answerRectification(detail.value!.id, { answer: answer.text }), '已答复整改');

  async function start() {
    try {
      const r = await startQuarter({ fiscalYear: filter.fiscalYear, quarter: filter.quarter });
      ElMessage.success(
        r.created
          ? `已开展 ${r.fiscalYear} 年第 ${r.quarter} 季度绩效监控`
          : `${r.fiscalYear} 年第 ${r.quarter} 季度已开展过，不重复建报告（${r.reportCount} 个项目）`,
      );
      setTimeout(() => void load(), 1500);
    } catch (e) {
      ElMessage.error(e instanceof ApiError ? e.message : '发起失败，请稍后再试');
    }
  }

  return {
    filter,
    items,
    total,
    can,
    loading,
    detail,
    drawer,
    saving,
    error,
    fieldErrors,
    report,
    review,
    answer,
    load,
    open,
    submitReport,
    submitReview,
    submitAnswer,
    start,
    exporting,
    exportExcel,
  };
}
