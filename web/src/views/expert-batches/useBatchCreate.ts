import { computed, reactive, ref, shallowRef } from 'vue';
import { openBatch, sealEnrolled, type BatchDetail } from '../../api/experts';
import { listProjects, type ProjectSummary } from '../../api/projects';
import { useServerErrors } from '../../composables/useServerErrors';

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
 * “开启评审批次”对话框：选年度、领域和已入库的项目，抽取人数（默认 5）和期限；
 * 提交后服务端按随机种子为每个项目抽取专家（回避规则自动适用），抽取结果签章入审计链。
 */
export function useBatchCreate(onOpened: (batch: BatchDetail) => void) {
  const visible = ref(false);
  const saving = ref(false);
  const loadingProjects = ref(false);
  const form = reactive(emptyForm());
  const candidates = shallowRef<ProjectSummary[]>([]);
  const enrolled = ref(false);
  const server = useServerErrors({ fieldMap: { signingPin: 'pin' } });

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
    Object.assign(form, emptyForm());
    server.clear();
    visible.value = true;
    enrolled.value = await sealEnrolled().catch(() => false);
    await loadCandidates();
  }

  const canSubmit = computed(() => form.name.trim() !== '' && form.projectIds.length > 0 && (!enrolled.value || form.pin !== ''));

  async function submit(): Promise<void> {
    if (saving.value || !canSubmit.value) return;
    saving.value = true;
    server.clear();
    try {
      const r = await openBatch({
        name: form.name.trim(),
        fiscalYear: form.fiscalYear,
        sector: form.sector || null,
        projectIds: form.projectIds,
        panelSize: form.panelSize,
        respondWithin: `P${form.respondDays}D`,
        scoreWithin: `P${form.scoreDays}D`,
        ...(enrolled.value ? { signingPin: form.pin } : {}),
      });
      visible.value = false;
      onOpened(r.batch);
    } catch (e) {
      server.apply(e, '开启评审批次失败，请稍后再试');
    } finally {
      saving.value = false;
    }
  }

  return { visible, saving, loadingProjects, form, candidates, enrolled, errors: server, canSubmit, open, loadCandidates, submit };
}
