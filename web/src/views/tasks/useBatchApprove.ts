import { ref } from 'vue';
import { ElMessage, ElMessageBox } from 'element-plus';
import { batchComplete, type TaskSummary } from '../../api/tasks';
import { ApiError } from '../../api/request';
import { useSealing } from '../../seals/useSealing';

export interface BatchRow {
  taskId: number;
  name: string;
  projectName: string;
  ok: boolean;
  message: string;
}

/**
 * 批量通过：确认后按表单分组（各表单“同意”的取值可能不同，如 approve / admit）逐组提交，
 * 每件各自成功或失败；结果逐件列出。
 */
export function useBatchApprove(onDone: () => void) {
  const sealing = useSealing();
  const running = ref(false);
  const resultVisible = ref(false);
  const results = ref<BatchRow[]>([]);

  async function run(rows: TaskSummary[], approvalFor: (row: TaskSummary) => Record<string, string> | null): Promise<void> {
    const chosen = rows.filter((r) => approvalFor(r) !== null);
    if (!chosen.length || running.value) return;
    try {
      await ElMessageBox.confirm(`将对选中的 ${chosen.length} 件事项统一提交“通过”（不填写意见）。确定吗？`, '批量通过', {
        confirmButtonText: '通过',
        cancelButtonText: '取消',
        type: 'warning',
      });
    } catch {
      return; // 取消
    }
    running.value = true;
    // 一次签章密码用于整批（服务端对整批只核验一次）：先核验、再逐组提交
    let pin: string | undefined;
    let cancelled = false;
    const groups = new Map<string, { data: Record<string, string>; rows: TaskSummary[] }>();
    for (const r of chosen) {
      const data = approvalFor(r)!;
      const key = JSON.stringify(data);
      const g = groups.get(key) ?? { data, rows: [] };
      g.rows.push(r);
      groups.set(key, g);
    }
    const out: BatchRow[] = [];
    try {
      for (const g of groups.values()) {
        const byId = new Map(g.rows.map((r) => [r.id, r]));
        try {
          const ids = g.rows.map((r) => r.id);
          const res = cancelled
            ? null
            : pin === undefined
              ? await sealing.run('批量审批', async (p) => ((pin = p), batchComplete(ids, g.data, p)))
              : await batchComplete(ids, g.data, pin);
          if (res === null) {
            cancelled = true;
            for (const r of g.rows)
              out.push({ taskId: r.id, name: r.name, projectName: r.projectName, ok: false, message: '未签章，未办理' });
            continue;
          }
          for (const r of res.results) {
            const row = byId.get(r.taskId);
            out.push({
              taskId: r.taskId,
              name: row?.name ?? '',
              projectName: row?.projectName ?? '',
              ok: r.ok,
              message: r.ok ? '已通过' : (r.message ?? '办理失败'),
            });
          }
        } catch (e) {
          const message = e instanceof ApiError ? e.message : '提交失败，请稍后再试';
          for (const r of g.rows) out.push({ taskId: r.id, name: r.name, projectName: r.projectName, ok: false, message });
        }
      }
    } finally {
      running.value = false;
    }
    results.value = out;
    resultVisible.value = true;
    const ok = out.filter((r) => r.ok).length;
    if (ok === out.length) ElMessage.success(`已批量通过 ${ok} 件`);
    else ElMessage.warning(`通过 ${ok} 件，${out.length - ok} 件未成功`);
    onDone();
  }

  return { running, resultVisible, results, run };
}
