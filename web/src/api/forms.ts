import { request } from './request';
import type { FormDefinition } from '../../../contracts/forms';

/** 应答的类型来自 contracts/forms.ts（即 domain/forms.ts 的 FormDefinition；服务端按同一份 schema 应答，测试中逐个核对）。 */
export type { FormDefinition };
export type { FormField, FormIssue, FormValues } from '../../../domain/forms';

/** GET /api/forms/:key：任务表单定义（任何已登录用户；不存在为 404） */
export function getFormDefinition(key: string): Promise<FormDefinition> {
  return request<FormDefinition>(`/api/forms/${encodeURIComponent(key)}`, { timeoutMs: 15_000 });
}
