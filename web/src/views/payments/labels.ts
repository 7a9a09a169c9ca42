/** 用款申请页面的标签颜色 */
export function statusTagType(status: string): 'success' | 'warning' | 'info' | 'danger' | 'primary' {
  if (status === 'approved') return 'success';
  if (status === 'approving') return 'warning';
  if (status === 'rejected') return 'danger';
  return 'info';
}
export function riskTagType(level: string): 'info' | 'warning' | 'danger' {
  return level === '严重' ? 'danger' : level === '预警' ? 'warning' : 'info';
}
