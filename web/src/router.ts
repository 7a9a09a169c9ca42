import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router';
import { setUnauthenticatedHandler } from './api/request';
import { allows, firstAllowedPath } from './navigation';
import { PAGES, pagePermission } from './pages';
import { useSession } from './session/useSession';

declare module 'vue-router' {
  interface RouteMeta {
    title?: string;
    /** 登录页等无需会话的页面 */
    public?: boolean;
    /** 不带菜单和页头的整页布局 */
    bare?: boolean;
    /** 访问该页面所需的权限（其一即可），来自页面所依托的接口（pages.ts） */
    permission?: string | readonly string[];
  }
}

const routes: RouteRecordRaw[] = [
  { path: '/', redirect: '/workbench' },
  ...PAGES.map((p): RouteRecordRaw => ({
    path: p.path,
    name: p.name,
    component: p.component,
    meta: { title: p.title, public: p.public, bare: p.bare, permission: pagePermission(p) },
  })),
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
setUnauthenticatedHandler((error) => {
  session.expire();
  const current = router.currentRoute.value;
  // SECOND_FACTOR_STEP_UP: a role that needs the second factor was granted during the session; the login asks for it.
  const expired = error.code === 'SECOND_FACTOR_STEP_UP' ? 'stepup' : '1';
  if (!current.meta.public) void router.replace({ path: '/login', query: { redirect: current.fullPath, expired } });
});

router.afterEach((to) => {
  const title = typeof to.meta.title === 'string' ? to.meta.title : '';
  document.title = title ? `${title} - ${APP_TITLE}` : APP_TITLE;
});
