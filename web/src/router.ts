import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router';
import { setUnauthenticatedHandler } from './api/request';
import { useSession } from './session/useSession';

const routes: RouteRecordRaw[] = [
  { path: '/', redirect: '/health' },
  {
    path: '/login',
    name: 'login',
    component: () => import('./views/LoginView.vue'),
    meta: { title: '登录', public: true, bare: true },
  },
  {
    path: '/health',
    name: 'health',
    component: () => import('./views/HealthView.vue'),
    meta: { title: '系统状态' },
  },
  { path: '/:pathMatch(.*)*', redirect: '/health' },
];

export const router = createRouter({
  history: createWebHistory(import.meta.env.BASE_URL),
  routes,
});

const APP_TITLE = '预算项目全生命周期管理平台';
const session = useSession();

// Every page but the login page needs a live session.
router.beforeEach(async (to) => {
  if (to.meta.public) return true;
  const user = await session.ensureLoaded().catch(() => null);
  if (user) return true;
  return { path: '/login', query: { redirect: to.fullPath } };
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
