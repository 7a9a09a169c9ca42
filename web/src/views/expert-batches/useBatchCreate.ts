import { computed, ref, shallowRef } from 'vue';
import { openBatch, sealEnrolled, type BatchDetail } from '../../api/experts';
import { listProjects, type ProjectSummary } from '../../api/projects';
import { useFormDialog } from '../../composables/useFormDialog';

const emptyForm = () => ({
  name: '',
  fiscalYear: new Date().getFullYear(),
  sector: '205',
  panelSize: 5,
  respondDays: 3,
  scoreDays: 7,
  projectIds: [] as number[],
  pin: '',
});

/**
 * “开启评审批次”对话框（useFormDialog）：选年度、领域和已入库的项目，抽取人数（默认 5）和期限；
 * 提交后服务端按随机种子为每个项目抽取专家（回避规则自动适用），抽取结果签章入审计链。
 */
export function useBatchCreate(onOpened: (batch: BatchDetail) => void) {
  const dialog = useFormDialog({ empty: emptyForm, serverErrors: { fieldMap: { signingPin: 'pin' } } });
  const { visible, submitting: saving, form, serverErrors: server } = dialog;
  const loadingProjects = ref(false);
  const candidates = shallowRef<ProjectSummary[]>([]);
  const enrolled = ref(false);

  async function loadCandidates(): Promise<void> {
    loadingProjects.value = true;
    try {
      const page = await listProjects({
        status: 'reserved',
        fiscalYear: form.fiscalYear,
        functionalCode: form.sector || undefined,
        pageSize: 100,
        sort: 'id',
        order: 'asc',
      });
      candidates.value = page.items;
      form.projectIds = form.projectIds.filter((id) => page.items.some((p) => p.id === id));
    } finally {
      loadingProjects.value = false;
    }
  }

  async function open(): Promise<void> {
    dialog.open();
    enrolled.value = await sealEnrolled().catch(() => false);
    await loadCandidates();
  }

  const canSubmit = computed(() => form.name.trim() !== '' && form.projectIds.length > 0 && (!enrolled.value || form.pin !== ''));

  async function submit(): Promise<void> {
    if (!canSubmit.value) return;
    let opened: BatchDetail | undefined;
    const done = await dialog.submit(async (f) => {
      const r = await openBatch({
        name: f.name.trim(),
        fiscalYear: f.fiscalYear,
        sector: f.sector || null,
        projectIds: [...f.projectIds],
        panelSize: f.panelSize,
        respondWithin: `P${f.respondDays}D`,
        scoreWithin: `P${f.scoreDays}D`,
        ...(enrolled.value ? { signingPin: f.pin } : {}),
      });
      opened = r.batch;
    }, '开启评审批次失败，请稍后再试');
    if (done && opened) onOpened(opened);
  }

  return { dialog, visible, saving, loadingProjects, form, candidates, enrolled, errors: server, canSubmit, open, loadCandidates, submit };
}
