/** 用款申请页面的标签颜色 */
export function statusTagType(status: string): 'success' | 'warning' | 'info' | 'danger' | 'primary' {
  if (status === 'approved' || status === 'paid') return 'success';
  if (status === 'approving' || status === 'paying' || status === 'disbursed') return 'warning';
  if (status === 'rejected' || status === 'pay_failed' || status === 'refunded') return 'danger';
  return 'info';
}
export function riskTagType(level: string): 'info' | 'warning' | 'danger' {
  return level === '严重' ? 'danger' : level === '预警' ? 'warning' : 'info';
}
