import type { Component } from 'vue';
import { Coin, CreditCard, DataAnalysis, DataLine, DocumentChecked, EditPen, Finished, FolderOpened, Histogram, HomeFilled, List, Monitor, OfficeBuilding, Share, Stamp, Switch, Tickets, Trophy, User, UserFilled, Wallet } from '@element-plus/icons-vue';

export interface NavItem {
  /** 路由路径（菜单 index） */
  index: string;
  title: string;
  icon: Component;
  /** 查看该页面所需的权限（见 domain/roles.ts），多个时有其一即可；菜单项只对有权限的人显示。不填：登录即可 */
  permission?: string | readonly string[];
  /** 菜单上显示待办件数 */
  badge?: 'todo';
}

/** 持有的权限是否满足所需（多个所需权限时有其一即可） */
export function allows(held: readonly string[], needed: string | readonly string[] | undefined): boolean {
  if (needed === undefined) return true;
  return typeof needed === 'string' ? held.includes(needed) : needed.some((p) => held.includes(p));
}

/** 已上线的页面，按菜单顺序 */
export const NAV_ITEMS: readonly NavItem[] = [
  // 登录后的首页：每个人都有，内容按权限
  { index: '/workbench', title: '工作台', icon: HomeFilled },
  // 人人都可能收到待办（候选人、办理人、抄送），不按权限隐藏
  { index: '/tasks', title: '待办事项', icon: List, badge: 'todo' },
  { index: '/projects', title: '项目库', icon: FolderOpened, permission: 'projects:read' },
  { index: '/my-applications', title: '我的申报', icon: EditPen, permission: 'projects:write' },
  // 专家只看到本人的评审任务（盲评）；专家库与评审批次由绩效处/评审中心维护
  { index: '/my-reviews', title: '我的评审', icon: Trophy, permission: 'experts:score' },
  { index: '/expert-batches', title: '评审批次', icon: Stamp, permission: 'experts:manage' },
  { index: '/experts', title: '专家库', icon: UserFilled, permission: 'experts:manage' },
  // 预算处编制分配方案；局领导和预算处在此审批、查看批复
  { index: '/allocations', title: '预算编制与批复', icon: DataAnalysis, permission: ['quotas:issue', 'projects:review'] },
  // 单位经办人填报用款申请；国库处、局领导在此审批（收款账号按权限脱敏）
  { index: '/payments', title: '用款申请', icon: Wallet, permission: ['quotas:freeze', 'projects:review'] },
  { index: '/quotas', title: '指标账', icon: Coin, permission: 'quotas:read' },
  // 调剂、追加、调减：单位、主管部门、预算处提出，局领导和预算处审批
  { index: '/adjustments', title: '调整申请', icon: Switch, permission: 'quotas:read' },
  // 单位编制本单位决算；主管部门、国库处、预算处汇总与审核
  { index: '/final-accounts', title: '决算', icon: Finished, permission: ['finals:prepare', 'finals:review'] },
  // 绩效评价：单位填报自评；绩效处开展评价、审核；双方查看结果
  { index: '/performance/self-evaluation', title: '绩效自评', icon: Finished, permission: 'performance:self-evaluate' },
  { index: '/performance/results', title: '评价结果', icon: Histogram, permission: ['performance:self-evaluate', 'performance:evaluate'] },
  // 执行监控：读指标账的人和绩效处；绩效监控：单位填报，绩效处和主管部门处理偏差
  { index: '/execution', title: '执行监控', icon: Histogram, permission: ['quotas:read', 'monitoring:manage'] },
  { index: '/monitoring', title: '绩效监控', icon: DataLine, permission: ['monitoring:report', 'monitoring:manage'] },
  // 国库处：支付凭证、银行状态、查询、重新发送、待核实事项
  { index: '/treasury', title: '国库支付', icon: CreditCard, permission: 'treasury:pay' },
  { index: '/organisations', title: '组织机构', icon: OfficeBuilding, permission: 'reference:read' },
  { index: '/codes', title: '科目代码', icon: Tickets, permission: 'reference:read' },
  // 三员分立：系统管理员管账号，安全管理员管角色、解锁和重置密码，两者都要看到用户列表
  { index: '/users', title: '用户管理', icon: User, permission: ['users:manage', 'security:manage'] },
  { index: '/designer', title: '流程设计', icon: Share, permission: 'processes:design' },
  { index: '/compliance', title: '合规核验', icon: DocumentChecked, permission: 'audit:read' },
  // 数据库、引擎地址与版本、已部署的模型：只给管理员（服务端 GET /api/system/status 同样要求 system:health）
  { index: '/health', title: '系统状态', icon: Monitor, permission: 'system:health' },
];

/** 规划中的模块：仅展示入口，不可点击 */
export const UPCOMING_ITEMS: ReadonlyArray<Omit<NavItem, 'permission' | 'badge'>> = [];

/** 此人有权看到的第一个页面；一个都没有时返回 null */
export function firstAllowedPath(permissions: readonly string[]): string | null {
  return NAV_ITEMS.find((item) => allows(permissions, item.permission))?.index ?? null;
}
