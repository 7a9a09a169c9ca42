import { ZH_CN } from './zhCN';

/** bpmn-js 的 translate 服务：按 ZH_CN 对照翻译，再替换 {占位符}；未收录的保持原文 */
export function chineseTranslate(template: string, replacements: Record<string, string> = {}): string {
  const text = ZH_CN[template] ?? template;
  return text.replace(/{([^}]+)}/g, (_m, key: string) => {
    const v = replacements[key];
    return v === undefined ? `{${key}}` : (ZH_CN[v] ?? v);
  });
}
