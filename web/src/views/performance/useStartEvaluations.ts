import { computed, ref } from 'vue';
import { listCandidates, startEvaluations, type Candidate } from '../../api/performance';
import { useFormDialog } from '../../composables/useFormDialog';
import { currentShanghaiYear } from '../../utils/shanghai';

export interface StartEvaluationsForm {
  /** 评价的预算年度，默认上一年度 */
  fiscalYear: number;
  /** 选中的项目（打开或换年度时默认全选） */
  projectIds: number[];
}

/**
 * “开展年度绩效评价”对话框的状态（绩效处）：某年度可评价的项目（已下达资金、尚未评价），选中后启动评价流程。
 * 服务端的拒绝（年度未终了、项目不可评价，逐项说明）显示在对话框里；提交中再点一次不会重复启动。
 */
export function useStartEvaluations(onStarted: (count: number) => void) {
  const dialog = useFormDialog<StartEvaluationsForm>({ empty: () => ({ fiscalYear: currentShanghaiYear() - 1, projectIds: [] }) });
  const { form, serverErrors } = dialog;
  const candidates = ref<Candidate[]>([]);
  const loadingCandidates = ref(false);
  /** 服务端逐项说明（details），显示在整体提示下方 */
  const details = computed(() => Object.values(serverErrors.fields));

  async function loadCandidates(): Promise<void> {
    loadingCandidates.value = true;
    try {
      candidates.value = (await listCandidates(form.fiscalYear)).items;
      form.projectIds = candidates.value.map((c) => c.projectId);
    } finally {
      loadingCandidates.value = false;
    }
  }

  async function open(): Promise<void> {
    candidates.value = [];
    dialog.open();
    await loadCandidates();
  }

  async function submit(): Promise<void> {
    let started = 0;
    const done = await dialog.submit(async (f) => {
      started = (await startEvaluations({ fiscalYear: f.fiscalYear, projectIds: [...f.projectIds] })).started.length;
    }, '开展评价失败，请稍后再试');
    if (done) onStarted(started);
  }

  return { dialog, form, candidates, loadingCandidates, details, open, loadCandidates, submit };
}
