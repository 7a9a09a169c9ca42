import { computed, reactive, ref } from 'vue';
import { checkAllocation, controlKey, sumLines, type AllocationProblem } from '../../../../domain/allocation';
import { ApiError } from '../../api/request';
import { decideAllocation, getAllocation, saveLines, submitAllocation, type Allocation } from '../../api/allocations';
import { useSealing } from '../../seals/useSealing';
import { formatYuan, parseYuan } from '../../utils/money';

/**
 * 预算编制页的状态：方案、试算中的安排金额（元，文本）、按部门和领域实时汇总、控制数校验（与服务端同一规则，
 * domain/allocation.ts），保存、提交和审批。服务端的拒绝（超出控制数等）原样显示在页面上。
 */
export function useAllocation(id: number) {
  const sealing = useSealing();
  const allocation = ref<Allocation | null>(null);
  const loading = ref(false);
  const busy = ref(false);
  const refusal = ref('');
  const refusalDetails = ref<string[]>([]);
  /** projectId → 输入的金额（元） */
  const edits = reactive(new Map<number, string>());

  async function load(): Promise<void> {
    loading.value = true;
    try {
      allocation.value = await getAllocation(id);
      edits.clear();
    } finally {
      loading.value = false;
    }
  }

  function proposedOf(projectId: number, fallback: number): number | null {
    const text = edits.get(projectId);
    if (text === undefined) return fallback;
    try {
      return parseYuan(text.trim() === '' ? '0' : text);
    } catch {
      return null;
    }
  }

  const invalidInputs = computed(() =>
    (allocation.value?.lines ?? []).filter((l) => proposedOf(l.projectId, l.proposedFen) === null).map((l) => l.projectId),
  );
  const proposedLines = computed(() =>
    (allocation.value?.lines ?? []).map((l) => ({ ...l, proposedFen: proposedOf(l.projectId, l.proposedFen) ?? 0 })),
  );
  const sums = computed(() => sumLines(proposedLines.value));
  const totals = computed(
    () => new Map((allocation.value?.controlTotals ?? []).map((t) => [controlKey(t.departmentOrgId, t.sector), t.amountFen])),
  );
  const problems = computed<AllocationProblem[]>(() => checkAllocation(proposedLines.value, totals.value));
  const departmentName = (id: number) => allocation.value?.departments.find((d) => d.id === id)?.name ?? `#${id}`;
  const problemText = (p: AllocationProblem) => {
    const line = p.projectId ? allocation.value?.lines.find((l) => l.projectId === p.projectId) : undefined;
    switch (p.code) {
      case 'OVER_CONTROL_TOTAL':
        return `${departmentName(p.departmentOrgId!)}（领域 ${p.sector}）安排合计 ${formatYuan(p.sumFen!)}，超出控制数 ${formatYuan(p.totalFen!)} 共 ${formatYuan(p.excessFen!)}`;
      case 'PROPOSED_OVER_REQUESTED':
        return `「${line?.projectName}」安排金额超过申报金额 ${formatYuan(line?.requestedFen ?? 0)}`;
      case 'EXCLUDED_PROJECT_FUNDED':
        return `「${line?.projectName}」上年绩效评价为“差”，不能安排资金`;
      case 'NO_CONTROL_TOTAL':
        return `「${line?.projectName}」所在部门和领域没有控制数`;
      default:
        return `「${line?.projectName}」金额无效`;
    }
  };
  const dirty = computed(() =>
    [...edits.entries()].some(([pid]) => {
      const l = allocation.value?.lines.find((x) => x.projectId === pid);
      return l !== undefined && proposedOf(pid, l.proposedFen) !== l.proposedFen;
    }),
  );

  function showRefusal(e: unknown, fallback: string): void {
    if (e instanceof ApiError) {
      refusal.value = e.message;
      refusalDetails.value = e.details.map((d) => d.message);
    } else {
      refusal.value = fallback;
      refusalDetails.value = [];
    }
  }

  async function save(): Promise<boolean> {
    const a = allocation.value;
    if (!a || busy.value) return false;
    busy.value = true;
    refusal.value = '';
    try {
      const lines = proposedLines.value
        .filter((l) => edits.has(l.projectId))
        .map((l) => ({ projectId: l.projectId, proposedFen: l.proposedFen }));
      if (lines.length) await saveLines(a.id, { version: a.version, lines });
      await load();
      return true;
    } catch (e) {
      showRefusal(e, '保存失败，请稍后再试');
      return false;
    } finally {
      busy.value = false;
    }
  }

  async function submit(): Promise<boolean> {
    if (dirty.value && !(await save())) return false;
    const a = allocation.value;
    if (!a || busy.value) return false;
    busy.value = true;
    refusal.value = '';
    try {
      const r = await sealing.run('提交预算分配方案', (signingPin) => submitAllocation(a.id, { version: a.version, signingPin }));
      if (r === null) return false;
      await load();
      return true;
    } catch (e) {
      showRefusal(e, '提交失败，请稍后再试');
      return false;
    } finally {
      busy.value = false;
    }
  }

  async function decide(decision: 'approve' | 'reject', comment: string): Promise<boolean> {
    const a = allocation.value;
    if (!a || busy.value) return false;
    busy.value = true;
    refusal.value = '';
    try {
      const r = await sealing.run('审批预算分配方案', (signingPin) =>
        decideAllocation(a.id, { decision, comment: comment.trim() || undefined, signingPin }),
      );
      if (r === null) return false;
      await load();
      return true;
    } catch (e) {
      showRefusal(e, '审批提交失败，请稍后再试');
      return false;
    } finally {
      busy.value = false;
    }
  }

  return {
    allocation,
    loading,
    busy,
    refusal,
    refusalDetails,
    edits,
    load,
    save,
    submit,
    decide,
    sums,
    problems,
    problemText,
    invalidInputs,
    proposedOf,
    departmentName,
    dirty,
  };
}
