import { computed } from 'vue';
import type { FormItemRule, FormRules } from 'element-plus';
import { fileAdjustment, fileToBase64, type Adjustment, type AdjustmentKind } from '../../api/adjustments';
import type { Quota } from '../../api/quotas';
import { useFormDialog } from '../../composables/useFormDialog';
import { useSealing } from '../../seals/useSealing';
import { parsePositiveYuan } from '../../utils/money';
import { currentShanghaiYear } from '../../utils/shanghai';
import { amountRule } from '../quotas/useIssueQuota';

export interface AdjustmentFileForm {
  kind: AdjustmentKind;
  fiscalYear: number;
  from: Quota | null;
  to: Quota | null;
  /** 经办人输入的金额（元） */
  amount: string;
  reason: string;
  documentNo: string;
  documentTitle: string;
  file: File | null;
}

/**
 * 提出预算调整申请对话框的状态（调剂、追加、调减）：调出、调入指标按类型而定，金额超过调出指标可用余额时当场提示
 * （服务端同样拒绝并写明可用金额，显示在对话框里）；追加、调减可同时登记批复文件。提交经签章（useSealing），
 * 取消签章时对话框留着。onFiled：已提交，带回新申请。
 */
export function useAdjustmentFile(onFiled: (adjustment: Adjustment) => void) {
  const sealing = useSealing();
  const dialog = useFormDialog<AdjustmentFileForm>({
    empty: () => ({
      kind: 'transfer',
      fiscalYear: currentShanghaiYear(),
      from: null,
      to: null,
      amount: '',
      reason: '',
      documentNo: '',
      documentTitle: '',
      file: null,
    }),
    serverErrors: {
      fieldMap: { amountFen: 'amount', fromQuotaId: 'from', toQuotaId: 'to', 'document.documentNo': 'documentNo' },
    },
  });
  const { form } = dialog;

  const needsFrom = computed(() => form.kind !== 'increase');
  const needsTo = computed(() => form.kind !== 'decrease');
  const formal = computed(() => form.kind !== 'transfer');
  const amountFen = computed(() => {
    const r = parsePositiveYuan(form.amount);
    return r.ok ? r.fen : null;
  });
  /** 超过调出指标的可用余额：当场提示（不拦截，服务端拒绝时写明可用金额） */
  const short = computed(
    () => needsFrom.value && form.from !== null && amountFen.value !== null && amountFen.value > form.from.availableFen,
  );

  const quotaRule = (needed: () => boolean, message: string): FormItemRule => ({
    trigger: 'change',
    validator: (_rule, value: unknown, callback) => (needed() && !value ? callback(new Error(message)) : callback()),
  });
  const rules: FormRules<AdjustmentFileForm> = {
    from: [quotaRule(() => needsFrom.value, '请选择调出的指标')],
    to: [quotaRule(() => needsTo.value, '请选择调入的指标')],
    amount: [amountRule],
    reason: [
      { required: true, whitespace: true, message: '请说明调整理由', trigger: 'blur' },
      { max: 500, message: '调整理由不能超过 500 个字', trigger: 'blur' },
    ],
  };

  async function submit(): Promise<void> {
    let filed = null as Adjustment | null;
    const done = await dialog.submit(
      async (f) => {
        const amount = parsePositiveYuan(f.amount);
        if (!amount.ok) throw new Error(amount.message); // the rule above has said so already
        const document = f.documentNo.trim()
          ? {
              documentNo: f.documentNo.trim(),
              title: f.documentTitle.trim() || undefined,
              ...(f.file ? { fileName: f.file.name, contentBase64: await fileToBase64(f.file) } : {}),
            }
          : undefined;
        const body = {
          kind: f.kind,
          fromQuotaId: needsFrom.value ? f.from?.id : undefined,
          toQuotaId: needsTo.value ? f.to?.id : undefined,
          amountFen: amount.fen,
          reason: f.reason.trim(),
          document: formal.value ? document : undefined,
        };
        filed = await sealing.run('提出预算调整申请', (signingPin) => fileAdjustment({ ...body, signingPin }));
      },
      '提交失败，请稍后再试',
      // 签章对话框被取消（run 答复 null）时，申请对话框留着，填好的内容还在
      { keepOpen: true },
    );
    if (!done || filed === null) return;
    dialog.close();
    onFiled(filed);
  }

  return { dialog, form, rules, serverErrors: dialog.serverErrors, needsFrom, needsTo, formal, short, open: () => dialog.open(), submit };
}
