/**
 * 审计记录的类型与对象，用人们说的话：登录、审核办理、下达指标…（记录里的 kind 是程序用的代码，
 * 如 project.task_completed）。不认识的新类型按前缀归类，不显示空白。
 */
export const AUDIT_KIND_LABELS: Record<string, string> = {
  'auth.login': '登录',
  'auth.logout': '退出登录',
  'auth.login_failed': '登录失败',
  'seal.enrol': '开通电子签章',
  'seal.revoke': '吊销签章密钥',
  'seal.quota.issue': '签章：下达指标',
  'seal.task.complete': '签章：审核办理',
  'user.create': '新建用户',
  'user.update': '修改用户',
  'user.roles': '分配角色',
  'user.unlock': '解锁账号',
  'user.reset_password': '重置密码',
  'user.authorise_seal_reenrolment': '授权重新开通签章',
  'project.created': '新建项目',
  'project.imported': '导入项目',
  'project.updated': '修改项目',
  'project.status_changed': '项目状态变更',
  'project.submitted': '送审',
  'project.submit_failed': '送审失败',
  'project.withdrawn': '撤回申报',
  'project.voided': '作废项目',
  'project.attachment_added': '上传附件',
  'project.attachment_removed': '删除附件',
  'project.duplicate_flagged': '疑似重复申报',
  'project.task_created': '进入审核环节',
  'project.task_completed': '审核办理',
  'project.task_action': '待办操作（签收、转办、加签、抄送、催办…）',
  'project.department': '主管部门变更',
  'quota.issue': '下达指标',
  'quota.freeze': '冻结指标',
  'quota.unfreeze': '解冻指标',
  'quota.consume': '支付（核销冻结）',
  'quota.adjust-in': '追加指标',
  'quota.adjust-out': '调减指标',
  'quota.carry-over': '指标结转',
};

const PREFIX_LABELS: Record<string, string> = {
  auth: '登录与会话',
  seal: '电子签章',
  user: '用户管理',
  project: '项目',
  quota: '指标账',
  job: '系统自动',
  process: '流程',
};

export function auditKindLabel(kind: string): string {
  const known = AUDIT_KIND_LABELS[kind];
  if (known) return known;
  const prefix = kind.split('.')[0] ?? '';
  return PREFIX_LABELS[prefix] ? `${PREFIX_LABELS[prefix]}（${kind}）` : kind;
}

/** 记录类型筛选：按类（前缀）或具体类型 */
export const AUDIT_KIND_FILTERS: Array<{ label: string; value: string; options: Array<{ label: string; value: string }> }> = [
  {
    label: '按类',
    value: 'prefix',
    options: Object.entries(PREFIX_LABELS)
      .filter(([k]) => k !== 'job' && k !== 'process')
      .map(([k, label]) => ({ label: `${label}（全部）`, value: `${k}.` })),
  },
  { label: '具体类型', value: 'kind', options: Object.entries(AUDIT_KIND_LABELS).map(([value, label]) => ({ label, value })) },
];

const SUBJECT_LABELS: Record<string, string> = {
  project: '项目',
  user: '用户',
  quota: '指标',
  task: '待办',
  process: '流程实例',
  checkpoint: '检查点',
};

/** 对象：项目以项目编号表示，其余为“类型 #编号” */
export function auditSubjectLabel(
  subjectType: string | null | undefined,
  subjectId: string | number | null | undefined,
  projectNo: string | null,
): string {
  if (subjectType === 'project' && projectNo) return `项目 ${projectNo}`;
  if (!subjectType) return projectNo ? `项目 ${projectNo}` : '—';
  return `${SUBJECT_LABELS[subjectType] ?? subjectType} #${subjectId ?? ''}`;
}
