import type { FormDefinition } from '../../../../domain/forms';

/** What a completion answered (api/tasks CompleteResult; restated here so this rule stays free of the browser-only API module). */
interface CompleteResult {
  outcome: 'completed' | 'signed' | 'forwarded';
  seal?: { verificationCode: string } | null;
}

/** 退回到哪里：表单 returnTo 字段的取值对应的名称，未选时为申报单位 */
function optionLabel(definition: FormDefinition, key: string, value: unknown): string | undefined {
  const field = definition.fields.find((f) => f.key === key);
  const options = field && 'options' in field ? field.options : undefined;
  return options?.find((o) => o.value === value)?.label;
}

/**
 * 办理之后告诉办理人发生了什么，按表单上的决定说：退回 → “已退回申报单位修改”；同意入库 →
 * “已同意入库，项目已入库”；会签 → “已提交会签意见：同意”；其他决定 → “已办理：通过”；没有决定字段
 * 的表单（如申报单位修改）→ “已重新提交审核”。不说没有发生的事（如“已送下一环节”）。
 */
export function completionMessage(result: CompleteResult, values: Record<string, unknown>, definition: FormDefinition | null): string {
  if (result.outcome === 'signed') return '加签意见已提交，事项回到原办理人';
  if (result.outcome === 'forwarded') return '已提交，待加签人办理后再送出';
  const sealed = result.seal ? '（已加盖电子签章）' : '';
  if (!definition?.decisionField) return definition?.key === 'intake-revise' ? `已修改并重新提交审核${sealed}` : `办理完成${sealed}`;
  const decision = values[definition.decisionField];
  const label = optionLabel(definition, definition.decisionField, decision) ?? String(decision ?? '');
  if (decision === 'return') return `已退回${optionLabel(definition, 'returnTo', values.returnTo) ?? '申报单位'}修改${sealed}`;
  if (decision === 'admit') return `已同意入库，项目已入库${sealed}`;
  if (definition.decisionField === 'vote') return `已提交会签意见：${label}${sealed}`;
  return `已办理：${label}${sealed}`;
}
