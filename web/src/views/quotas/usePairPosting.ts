import { shallowRef, type UnwrapRef } from 'vue';
import { getQuota, type Quota, type TransferResult } from '../../api/quotas';
import { useFormDialog, type FormDialogOptions } from '../../composables/useFormDialog';
import { newIdempotencyKey } from '../../utils/idempotency';

/** 余额不足类的拒绝：指标可能已被他人改动，顺便取回最新余额 */
export const BALANCE_REFUSALS = new Set(['INSUFFICIENT_AVAILABLE', 'INSUFFICIENT_FROZEN', 'AMOUNT_OVERFLOW']);

export interface PairPostingOptions<T extends object> extends FormDialogOptions<T> {
  /** 幂等键前缀 */
  keyPrefix: string;
  /** 非 ApiError 的意外错误时显示的文字 */
  failureMessage: string;
  /** 指标余额变化时回调（成功时两个指标，被拒绝后取回的最新余额时一个） */
  onChanged: (quotas: Quota[], result: TransferResult | null) => void;
}

/**
 * 在两个指标之间记一对流水的对话框（调剂、结转）共有的状态与提交流程，建在 useFormDialog 上：每次打开生成一个
 * 幂等键，双击或超时重试都只记一对流水；服务端的拒绝显示在对话框里（余额不足时仍在提交中就取回最新余额）；
 * 成功后对话框留着（keepOpen），result 为两个指标记账后的余额（FormDialog 的 resultShown），不再接受提交。
 */
export function usePairPosting<T extends object>(options: PairPostingOptions<T>) {
  const dialog = useFormDialog<T>(options);
  const source = shallowRef<Quota | null>(null);
  const result = shallowRef<TransferResult | null>(null);
  let idempotencyKey = '';

  /** initial：本次打开时表单的初值（其余为空表单） */
  function open(from: Quota, initial: Partial<T> = {}): void {
    source.value = from;
    result.value = null;
    idempotencyKey = newIdempotencyKey(options.keyPrefix);
    dialog.open(initial);
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

  /** request：由（已校验的）表单组出请求，返回的函数带上幂等键发送。 */
  async function submit(request: (from: Quota, form: UnwrapRef<T>) => (idempotencyKey: string) => Promise<TransferResult>): Promise<void> {
    const from = source.value;
    if (result.value || !from) return;
    let posted: TransferResult | undefined;
    const done = await dialog.submit(
      async (form) => {
        const send = request(from, form);
        try {
          posted = await send(idempotencyKey);
        } catch (e) {
          const code = (e as { code?: unknown } | null)?.code;
          if (typeof code === 'string' && BALANCE_REFUSALS.has(code)) await refresh(from.id);
          throw e;
        }
      },
      options.failureMessage,
      { keepOpen: true },
    );
    if (done && posted) {
      result.value = posted;
      options.onChanged([posted.from, posted.to], posted);
    }
  }

  return { dialog, source, result, open, submit };
}
