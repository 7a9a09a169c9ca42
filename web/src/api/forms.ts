import { request } from './request';
import type { FormDefinition } from '../../../domain/forms';

export type { FormDefinition, FormField, FormIssue, FormValues } from '../../../domain/forms';

/** GET /api/forms/:key：任务表单定义（任何已登录用户；不存在为 404） */
export function getFormDefinition(key: string): Promise<FormDefinition> {
  return request<FormDefinition>(`/api/forms/${encodeURIComponent(key)}`, { timeoutMs: 15_000 });
}
