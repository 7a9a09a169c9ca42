import { ref, shallowRef } from 'vue';
import { getQuota, type Quota, type TransferResult } from '../../api/quotas';
import type { useServerErrors } from '../../composables/useServerErrors';
import { newIdempotencyKey } from '../../utils/idempotency';

/** 余额不足类的拒绝：指标可能已被他人改动，顺便取回最新余额 */
export const BALANCE_REFUSALS = new Set(['INSUFFICIENT_AVAILABLE', 'INSUFFICIENT_FROZEN', 'AMOUNT_OVERFLOW']);

export interface PairPostingOptions {
  /** 幂等键前缀 */
  keyPrefix: string;
  /** 非 ApiError 的意外错误时显示的文字 */
  failureMessage: string;
  serverErrors: ReturnType<typeof useServerErrors>;
  /** 指标余额变化时回调（成功时两个指标，被拒绝后取回的最新余额时一个） */
  onChanged: (quotas: Quota[], result: TransferResult | null) => void;
}

/**
 * 在两个指标之间记一对流水的对话框（调剂、结转）共有的状态与提交流程：每次打开生成一个幂等键，
 * 双击或超时重试都只记一对流水；成功后 result 为两个指标记账后的余额，不再接受提交。
 */
export function usePairPosting(options: PairPostingOptions) {
  const visible = ref(false);
  const source = shallowRef<Quota | null>(null);
  const submitting = ref(false);
  const result = shallowRef<TransferResult | null>(null);
  let idempotencyKey = '';

  /** resetForm：清空对话框自己的表单 */
  function open(from: Quota, resetForm: () => void): void {
    source.value = from;
    resetForm();
    result.value = null;
    options.serverErrors.clear();
    idempotencyKey = newIdempotencyKey(options.keyPrefix);
    visible.value = true;
  }

  async function refresh(id: number): Promise<void> {
    try {
      const latest = await getQuota(id);
      if (source.value?.id === id) source.value = latest;
      options.onChanged([latest], null);
    } catch {
      // 只是顺带刷新，失败不影响已显示的错误
    }
  }

  /**
   * validate：表单校验；request：由表单组出请求（表单不完整时返回 null），返回的函数带上幂等键发送。
   */
  async function submit(
    validate: () => Promise<boolean>,
    request: (from: Quota) => ((idempotencyKey: string) => Promise<TransferResult>) | null,
  ): Promise<void> {
    // 先置为提交中再校验：校验期间的第二次点击也会被挡住；成功后不再接受提交
    if (submitting.value || result.value || !source.value) return;
    submitting.value = true;
    const from = source.value;
    try {
      if (!(await validate())) return;
      const send = request(from);
      if (!send) return;
      options.serverErrors.clear();
      const r = await send(idempotencyKey);
      result.value = r;
      options.onChanged([r.from, r.to], r);
    } catch (e) {
      options.serverErrors.apply(e, options.failureMessage);
      const code = (e as { code?: unknown } | null)?.code;
      if (typeof code === 'string' && BALANCE_REFUSALS.has(code)) await refresh(from.id);
    } finally {
      submitting.value = false;
    }
  }

  return { visible, source, submitting, result, open, submit };
}
