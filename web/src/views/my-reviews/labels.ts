/** 评审任务状态的标签颜色 */
export const ASSIGNMENT_TAG: Record<string, 'primary' | 'success' | 'info' | 'warning' | 'danger'> = {
  invited: 'warning',
  accepted: 'primary',
  submitting: 'success',
  submitted: 'success',
  declined: 'info',
  timed_out: 'info',
};

/** 功能分类类编码的常用名称（专业领域） */
export const SPECIALTY_LABELS: Record<string, string> = {
  '201': '一般公共服务',
  '204': '公共安全',
  '205': '教育',
  '206': '科学技术',
  '207': '文化旅游体育与传媒',
  '208': '社会保障和就业',
  '210': '卫生健康',
  '211': '节能环保',
  '212': '城乡社区',
  '213': '农林水',
  '214': '交通运输',
};

export const specialtyLabel = (code: string) => (SPECIALTY_LABELS[code] ? `${code} ${SPECIALTY_LABELS[code]}` : code);
