import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router';
import { setUnauthenticatedHandler } from './api/request';
import { allows, firstAllowedPath } from './navigation';
import { useSession } from './session/useSession';

declare module 'vue-router' {
  interface RouteMeta {
    title?: string;
    /** 登录页等无需会话的页面 */
    public?: boolean;
    /** 不带菜单和页头的整页布局 */
    bare?: boolean;
    /** 访问该页面所需的权限（见 domain/roles.ts），多个时有其一即可 */
    permission?: string | readonly string[];
  }
}

const routes: RouteRecordRaw[] = [
  { path: '/', redirect: '/workbench' },
  {
    path: '/login',
    name: 'login',
    component: () => import('./views/LoginView.vue'),
    meta: { title: '登录', public: true, bare: true },
  },
  {
    path: '/workbench',
    name: 'workbench',
    component: () => import('./views/WorkbenchView.vue'),
    meta: { title: '工作台' },
  },
  {
    path: '/health',
    name: 'health',
    component: () => import('./views/HealthView.vue'),
    meta: { title: '系统状态', permission: 'system:health' },
  },
  {
    path: '/projects',
    name: 'projects',
    component: () => import('./views/ProjectsView.vue'),
    meta: { title: '项目库', permission: 'projects:read' },
  },
  {
    path: '/tasks',
    name: 'tasks',
    component: () => import('./views/TasksView.vue'),
    meta: { title: '待办事项' },
  },
  {
    path: '/tasks/:id(\\d+)',
    name: 'task',
    component: () => import('./views/TaskView.vue'),
    meta: { title: '办理事项' },
  },
  {
    path: '/my-applications',
    name: 'my-applications',
    component: () => import('./views/MyApplicationsView.vue'),
    meta: { title: '我的申报', permission: 'projects:write' },
  },
  {
    path: '/quotas',
    name: 'quotas',
    component: () => import('./views/QuotasView.vue'),
    meta: { title: '指标账', permission: 'quotas:read' },
  },
  {
    path: '/organisations',
    name: 'organisations',
    component: () => import('./views/OrganisationsView.vue'),
    meta: { title: '组织机构', permission: 'reference:read' },
  },
  {
    path: '/codes',
    name: 'codes',
    component: () => import('./views/CodesView.vue'),
    meta: { title: '科目代码', permission: 'reference:read' },
  },
  {
    path: '/users',
    name: 'users',
    component: () => import('./views/UsersView.vue'),
    meta: { title: '用户管理', permission: ['users:manage', 'security:manage'] },
  },
  { path: '/allocations', name: 'allocations', component: () => import('./views/AllocationsView.vue'), meta: { title: '预算编制与批复', permission: ['quotas:issue', 'projects:review'] } },
  { path: '/allocations/:id(\\d+)', name: 'allocation', component: () => import('./views/AllocationView.vue'), meta: { title: '预算分配方案', permission: ['quotas:issue', 'projects:review'] } },
  { path: '/payments', name: 'payments', component: () => import('./views/payments/PaymentsView.vue'), meta: { title: '用款申请', permission: ['quotas:freeze', 'projects:review'] } },
  { path: '/payments/new', name: 'payment-new', component: () => import('./views/payments/PaymentNewView.vue'), meta: { title: '新建用款申请', permission: 'quotas:freeze' } },
  { path: '/payments/:id(\\d+)', name: 'payment', component: () => import('./views/payments/PaymentView.vue'), meta: { title: '用款申请', permission: ['quotas:freeze', 'projects:review'] } },
  { path: '/adjustments', name: 'adjustments', component: () => import('./views/adjustments/AdjustmentsView.vue'), meta: { title: '调整申请', permission: 'quotas:read' } },
  { path: '/adjustments/:id(\\d+)', name: 'adjustment', component: () => import('./views/adjustments/AdjustmentView.vue'), meta: { title: '预算调整申请', permission: 'quotas:read' } },
  { path: '/final-accounts', name: 'final-accounts', component: () => import('./views/final-accounts/FinalAccountsView.vue'), meta: { title: '决算', permission: ['finals:prepare', 'finals:review'] } },
  { path: '/final-accounts/:id(\\d+)', name: 'final-account', component: () => import('./views/final-accounts/FinalAccountView.vue'), meta: { title: '年度决算', permission: ['finals:prepare', 'finals:review'] } },
  { path: '/performance/self-evaluation', name: 'performance-self', component: () => import('./views/performance/SelfEvaluationView.vue'), meta: { title: '绩效自评', permission: 'performance:self-evaluate' } },
  { path: '/performance/results', name: 'performance-results', component: () => import('./views/performance/ResultsView.vue'), meta: { title: '评价结果', permission: ['performance:self-evaluate', 'performance:evaluate'] } },
  { path: '/performance/results/:id(\\d+)', name: 'performance-result', component: () => import('./views/performance/ResultView.vue'), meta: { title: '绩效评价结果', permission: ['performance:self-evaluate', 'performance:evaluate'] } },
  { path: '/treasury', name: 'treasury', component: () => import('./views/treasury/TreasuryView.vue'), meta: { title: '国库支付', permission: 'treasury:pay' } },
  { path: '/my-reviews', name: 'my-reviews', component: () => import('./views/my-reviews/MyReviewsView.vue'), meta: { title: '我的评审', permission: 'experts:score' } },
  { path: '/my-reviews/:id(\\d+)', name: 'my-review', component: () => import('./views/my-reviews/MyReviewView.vue'), meta: { title: '专家评分', permission: 'experts:score' } },
  { path: '/expert-batches', name: 'expert-batches', component: () => import('./views/expert-batches/ExpertBatchesView.vue'), meta: { title: '评审批次', permission: 'experts:manage' } },
  { path: '/experts', name: 'experts', component: () => import('./views/experts/ExpertsView.vue'), meta: { title: '专家库', permission: 'experts:manage' } },
  { path: '/execution', name: 'execution', component: () => import('./views/execution/ExecutionView.vue'), meta: { title: '执行监控', permission: ['quotas:read', 'monitoring:manage'] } },
  { path: '/monitoring', name: 'monitoring', component: () => import('./views/monitoring/MonitoringView.vue'), meta: { title: '绩效监控', permission: ['monitoring:report', 'monitoring:manage'] } },
  { path: '/account/seal', name: 'seal', component: () => import('./views/SealView.vue'), meta: { title: '我的电子签章' } },
  { path: '/account/security', name: 'account-security', component: () => import('./views/AccountSecurityView.vue'), meta: { title: '账号安全' } },
  { path: '/compliance/replay/:key([A-Za-z0-9-]{1,64})', name: 'replay', component: () => import('./views/ReplayView.vue'), meta: { title: '流程回放', permission: 'audit:read' } },
  // The Modeler and its properties panel live in this route's chunk only (bench/designer-bundle.ts checks it).
  { path: '/designer', name: 'designer', component: () => import('./views/DesignerView.vue'), meta: { title: '流程设计', permission: 'processes:design' } },
  { path: '/compliance', name: 'compliance', component: () => import('./views/ComplianceView.vue'), meta: { title: '合规核验', permission: 'audit:read' } },
  {
    path: '/forbidden',
    name: 'forbidden',
    component: () => import('./views/ForbiddenView.vue'),
    meta: { title: '无权访问' },
  },
  { path: '/:pathMatch(.*)*', redirect: '/workbench' },
];

export const router = createRouter({
  history: createWebHistory(import.meta.env.BASE_URL),
  routes,
});

const APP_TITLE = '预算项目全生命周期管理平台';
const session = useSession();

// Every page but the login page needs a live session, and a page with a permission needs it too:
// without it, the first page the person may see (or 无权访问 when there is none).
router.beforeEach(async (to) => {
  if (to.meta.public) return true;
  const user = await session.ensureLoaded().catch(() => null);
  if (!user) return { path: '/login', query: { redirect: to.fullPath } };
  const needed = to.meta.permission;
  if (allows(user.permissions, needed)) return true;
  const fallback = firstAllowedPath(user.permissions);
  if (fallback && fallback !== to.path) return { path: fallback, replace: true };
  return { path: '/forbidden', query: { from: to.meta.title ?? to.path }, replace: true };
});

// A 401 from any API call (idle timeout, revoked session): back to the login page.
setUnauthenticatedHandler(() => {
  session.expire();
  const current = router.currentRoute.value;
  if (!current.meta.public) void router.replace({ path: '/login', query: { redirect: current.fullPath, expired: '1' } });
});

router.afterEach((to) => {
  const title = typeof to.meta.title === 'string' ? to.meta.title : '';
  document.title = title ? `${title} - ${APP_TITLE}` : APP_TITLE;
});
