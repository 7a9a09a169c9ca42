import type { Component } from 'vue';
import type { RouteComponent } from 'vue-router';
import {
  Coin,
  CreditCard,
  DataAnalysis,
  DataLine,
  DocumentChecked,
  EditPen,
  Finished,
  FolderOpened,
  Histogram,
  HomeFilled,
  List,
  Monitor,
  OfficeBuilding,
  Share,
  Stamp,
  Switch,
  Tickets,
  Trophy,
  User,
  UserFilled,
  Wallet,
} from '@element-plus/icons-vue';
import { ROUTE_ACCESS, type ApiRouteKey } from './generated/route-access';

/**
 * Every page of the SPA, once: its path, title, the API route it stands on and, for the pages in
 * the main menu, the menu's icon — in menu order. The router (router.ts) and the menu
 * (navigation.ts) are built from this list. A page needs what its API route needs: `api` names a
 * route of the server's declarations (web/src/generated/route-access.ts, generated from them by
 * `npm run routes:access`), so the page's guard and whether its menu item shows cannot drift from
 * what the server allows. A page without `api` needs only a session (or none, when public).
 */
export interface Page {
  path: string;
  name: string;
  component: () => Promise<RouteComponent>;
  title: string;
  /** The API route this page stands on: the page needs the same permission (any one of several). */
  api?: ApiRouteKey;
  /** In the main menu (and the workbench's shortcuts), with this icon. */
  menu?: { icon: Component; badge?: 'todo' };
  /** The login page and the like: no session needed. */
  public?: boolean;
  /** A full page without the menu and header. */
  bare?: boolean;
}

export const PAGES: readonly Page[] = [
  // The menu, in its order. 登录后的首页：每个人都有，内容按权限
  {
    path: '/workbench',
    name: 'workbench',
    component: () => import('./views/workbench/WorkbenchView.vue'),
    title: '工作台',
    api: 'GET /api/workbench',
    menu: { icon: HomeFilled },
  },
  // 人人都可能收到待办（候选人、办理人、抄送），不按权限隐藏
  {
    path: '/tasks',
    name: 'tasks',
    component: () => import('./views/tasks/TasksView.vue'),
    title: '待办事项',
    api: 'GET /api/tasks',
    menu: { icon: List, badge: 'todo' },
  },
  {
    path: '/projects',
    name: 'projects',
    component: () => import('./views/projects/ProjectsView.vue'),
    title: '项目库',
    api: 'GET /api/projects',
    menu: { icon: FolderOpened },
  },
  {
    path: '/my-applications',
    name: 'my-applications',
    component: () => import('./views/projects/MyApplicationsView.vue'),
    title: '我的申报',
    api: 'POST /api/projects',
    menu: { icon: EditPen },
  },
  // 专家只看到本人的评审任务（盲评）；专家库与评审批次由绩效处/评审中心维护
  {
    path: '/my-reviews',
    name: 'my-reviews',
    component: () => import('./views/my-reviews/MyReviewsView.vue'),
    title: '我的评审',
    api: 'GET /api/my-reviews',
    menu: { icon: Trophy },
  },
  {
    path: '/expert-batches',
    name: 'expert-batches',
    component: () => import('./views/expert-batches/ExpertBatchesView.vue'),
    title: '评审批次',
    api: 'GET /api/expert-batches',
    menu: { icon: Stamp },
  },
  {
    path: '/experts',
    name: 'experts',
    component: () => import('./views/experts/ExpertsView.vue'),
    title: '专家库',
    api: 'GET /api/experts',
    menu: { icon: UserFilled },
  },
  // 预算处编制分配方案；局领导和预算处在此审批、查看批复
  {
    path: '/allocations',
    name: 'allocations',
    component: () => import('./views/allocations/AllocationsView.vue'),
    title: '预算编制与批复',
    api: 'GET /api/allocations',
    menu: { icon: DataAnalysis },
  },
  // 单位经办人填报用款申请；国库处、局领导在此审批（收款账号按权限脱敏）
  {
    path: '/payments',
    name: 'payments',
    component: () => import('./views/payments/PaymentsView.vue'),
    title: '用款申请',
    api: 'GET /api/payments',
    menu: { icon: Wallet },
  },
  {
    path: '/quotas',
    name: 'quotas',
    component: () => import('./views/quotas/QuotasView.vue'),
    title: '指标账',
    api: 'GET /api/quotas',
    menu: { icon: Coin },
  },
  // 调剂、追加、调减：单位、主管部门、预算处提出，局领导和预算处审批
  {
    path: '/adjustments',
    name: 'adjustments',
    component: () => import('./views/adjustments/AdjustmentsView.vue'),
    title: '调整申请',
    api: 'GET /api/adjustments',
    menu: { icon: Switch },
  },
  // 单位编制本单位决算；主管部门、国库处、预算处汇总与审核
  {
    path: '/final-accounts',
    name: 'final-accounts',
    component: () => import('./views/final-accounts/FinalAccountsView.vue'),
    title: '决算',
    api: 'GET /api/final-accounts',
    menu: { icon: Finished },
  },
  // 绩效评价：单位填报自评；绩效处开展评价、审核；双方查看结果
  {
    path: '/performance/self-evaluation',
    name: 'performance-self',
    component: () => import('./views/performance/SelfEvaluationView.vue'),
    title: '绩效自评',
    api: 'PUT /api/performance/evaluations/{id}/self-evaluation',
    menu: { icon: Finished },
  },
  {
    path: '/performance/results',
    name: 'performance-results',
    component: () => import('./views/performance/ResultsView.vue'),
    title: '评价结果',
    api: 'GET /api/performance/evaluations',
    menu: { icon: Histogram },
  },
  // 执行监控：读指标账的人和绩效处；绩效监控：单位填报，绩效处和主管部门处理偏差
  {
    path: '/execution',
    name: 'execution',
    component: () => import('./views/execution/ExecutionView.vue'),
    title: '执行监控',
    api: 'GET /api/execution/projects',
    menu: { icon: Histogram },
  },
  {
    path: '/monitoring',
    name: 'monitoring',
    component: () => import('./views/monitoring/MonitoringView.vue'),
    title: '绩效监控',
    api: 'GET /api/monitoring/reports',
    menu: { icon: DataLine },
  },
  // 国库处：支付凭证、银行状态、查询、重新发送、待核实事项
  {
    path: '/treasury',
    name: 'treasury',
    component: () => import('./views/treasury/TreasuryView.vue'),
    title: '国库支付',
    api: 'GET /api/treasury/orders',
    menu: { icon: CreditCard },
  },
  {
    path: '/organisations',
    name: 'organisations',
    component: () => import('./views/organisations/OrganisationsView.vue'),
    title: '组织机构',
    api: 'GET /api/organisations',
    menu: { icon: OfficeBuilding },
  },
  {
    path: '/codes',
    name: 'codes',
    component: () => import('./views/codes/CodesView.vue'),
    title: '科目代码',
    api: 'GET /api/codes/functional',
    menu: { icon: Tickets },
  },
  // 三员分立：系统管理员管账号，安全管理员管角色、解锁和重置密码，两者都要看到用户列表
  {
    path: '/users',
    name: 'users',
    component: () => import('./views/users/UsersView.vue'),
    title: '用户管理',
    api: 'GET /api/users',
    menu: { icon: User },
  },
  // The Modeler and its properties panel live in this route's chunk only (bench/designer-bundle.ts checks it).
  {
    path: '/designer',
    name: 'designer',
    component: () => import('./views/designer/DesignerView.vue'),
    title: '流程设计',
    api: 'GET /api/designer/processes',
    menu: { icon: Share },
  },
  {
    path: '/compliance',
    name: 'compliance',
    component: () => import('./views/compliance/ComplianceView.vue'),
    title: '合规核验',
    api: 'GET /api/audit/records',
    menu: { icon: DocumentChecked },
  },
  // 数据库、引擎地址与版本、已部署的模型：只给管理员
  {
    path: '/health',
    name: 'health',
    component: () => import('./views/health/HealthView.vue'),
    title: '系统状态',
    api: 'GET /api/system/status',
    menu: { icon: Monitor },
  },

  // Pages reached from others.
  {
    path: '/tasks/:id(\\d+)',
    name: 'task',
    component: () => import('./views/tasks/TaskView.vue'),
    title: '办理事项',
    api: 'GET /api/tasks/{id}',
  },
  {
    path: '/allocations/:id(\\d+)',
    name: 'allocation',
    component: () => import('./views/allocations/AllocationView.vue'),
    title: '预算分配方案',
    api: 'GET /api/allocations/{id}',
  },
  {
    path: '/payments/new',
    name: 'payment-new',
    component: () => import('./views/payments/PaymentNewView.vue'),
    title: '新建用款申请',
    api: 'POST /api/payments',
  },
  {
    path: '/payments/:id(\\d+)',
    name: 'payment',
    component: () => import('./views/payments/PaymentView.vue'),
    title: '用款申请',
    api: 'GET /api/payments/{id}',
  },
  {
    path: '/adjustments/:id(\\d+)',
    name: 'adjustment',
    component: () => import('./views/adjustments/AdjustmentView.vue'),
    title: '预算调整申请',
    api: 'GET /api/adjustments/{id}',
  },
  {
    path: '/final-accounts/:id(\\d+)',
    name: 'final-account',
    component: () => import('./views/final-accounts/FinalAccountView.vue'),
    title: '年度决算',
    api: 'GET /api/final-accounts/{id}',
  },
  {
    path: '/performance/results/:id(\\d+)',
    name: 'performance-result',
    component: () => import('./views/performance/ResultView.vue'),
    title: '绩效评价结果',
    api: 'GET /api/performance/evaluations/{id}',
  },
  {
    path: '/my-reviews/:id(\\d+)',
    name: 'my-review',
    component: () => import('./views/my-reviews/MyReviewView.vue'),
    title: '专家评分',
    api: 'GET /api/my-reviews/{id}',
  },
  {
    path: '/compliance/replay/:key([A-Za-z0-9-]{1,64})',
    name: 'replay',
    component: () => import('./views/replay/ReplayView.vue'),
    title: '流程回放',
    api: 'GET /api/processes/instances/{key}/replay',
  },
  {
    path: '/account/seal',
    name: 'seal',
    component: () => import('./views/account/SealView.vue'),
    title: '我的电子签章',
    api: 'GET /api/seals/me',
  },
  {
    path: '/account/security',
    name: 'account-security',
    component: () => import('./views/account/AccountSecurityView.vue'),
    title: '账号安全',
    api: 'POST /api/auth/second-factor/enrolment',
  },
  { path: '/login', name: 'login', component: () => import('./views/account/LoginView.vue'), title: '登录', public: true, bare: true },
  { path: '/forbidden', name: 'forbidden', component: () => import('./views/account/ForbiddenView.vue'), title: '无权访问' },
];

/** The permissions a page needs, any one of them (undefined: a session is enough). */
export function pagePermission(page: Pick<Page, 'api'>): readonly string[] | undefined {
  if (!page.api) return undefined;
  const access = ROUTE_ACCESS[page.api];
  return access === 'login' || access === 'public' ? undefined : access;
}
