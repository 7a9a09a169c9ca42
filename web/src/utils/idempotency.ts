/**
 * 幂等键：每打开一次记账对话框生成一个，重复提交（如网络超时后重试）时服务端只记一次账。
 * 服务端要求 1–96 位 [A-Za-z0-9_.:-]。不依赖 crypto.randomUUID（非 HTTPS 内网地址下不可用）。
 */
export function newIdempotencyKey(prefix = 'web'): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${prefix}-${Date.now().toString(36)}-${hex}`;
}
