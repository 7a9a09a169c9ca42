import { computed, ref } from 'vue';
import { downloadInstanceEvidence, getReplay, type Replay, type ReplayStep } from '../../api/audit';
import { ApiError } from '../../api/request';

/** 流程回放页的状态：取回回放数据，滑块位置（第几步），以及该位置上流程图应标出的元素 */
export function useReplay() {
  const replay = ref<Replay | null>(null);
  const loading = ref(false);
  const error = ref('');
  const position = ref(0);

  async function load(key: string): Promise<void> {
    loading.value = true;
    error.value = '';
    try {
      replay.value = await getReplay(key);
      position.value = Math.max(0, replay.value.steps.length - 1);
    } catch (e) {
      replay.value = null;
      error.value = e instanceof ApiError ? e.message : '流程回放加载失败';
    } finally {
      loading.value = false;
    }
  }

  const steps = computed<ReplayStep[]>(() => replay.value?.steps ?? []);
  const current = computed<ReplayStep | null>(() => steps.value[position.value] ?? null);
  /** 滑块之前经过的元素标绿，当前一步标蓝，签章异常的已经过环节标红 */
  const completed = computed(() => steps.value.slice(0, position.value).map((s) => s.elementId));
  const active = computed(() => (current.value ? [current.value.elementId] : []));
  const failed = computed(() =>
    steps.value
      .slice(0, position.value + 1)
      .filter((s) => s.seal.status === 'broken' || s.status === 'failed')
      .map((s) => s.elementId),
  );

  const go = (i: number) => {
    position.value = Math.min(Math.max(0, i), Math.max(0, steps.value.length - 1));
  };

  const exporting = ref(false);
  async function exportEvidence(): Promise<string | null> {
    if (!replay.value) return null;
    exporting.value = true;
    try {
      return await downloadInstanceEvidence(replay.value.instance.processInstanceKey);
    } finally {
      exporting.value = false;
    }
  }

  return { replay, loading, error, position, steps, current, completed, active, failed, load, go, exporting, exportEvidence };
}

export const SEAL_LABELS: Record<ReplayStep['seal']['status'], string> = { verified: '签章核验通过', absent: '无签章', broken: '记录异常' };
export const SEAL_TAGS: Record<ReplayStep['seal']['status'], 'success' | 'info' | 'danger'> = {
  verified: 'success',
  absent: 'info',
  broken: 'danger',
};

const TYPE_LABELS: Record<string, string> = {
  startEvent: '开始事件',
  noneEndEvent: '结束事件',
  endEvent: '结束事件',
  userTask: '人工审批',
  serviceTask: '自动处理',
  externalTask: '自动处理',
  businessRuleTask: '规则决策（DMN）',
  exclusiveGateway: '排他网关',
  parallelGateway: '并行网关',
  inclusiveGateway: '包容网关',
  intermediateTimer: '定时事件',
  boundaryTimer: '边界定时事件',
  callActivity: '调用子流程',
};
export const typeLabel = (t: string) => TYPE_LABELS[t] ?? t;

export const STATE_LABELS: Record<string, string> = {
  ACTIVE: '运行中',
  COMPLETED: '已结束',
  EXTERNALLY_TERMINATED: '已撤回/终止',
  INTERNALLY_TERMINATED: '已终止',
  SUSPENDED: '已挂起',
};
