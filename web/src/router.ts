import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router';

const routes: RouteRecordRaw[] = [
  { path: '/', redirect: '/health' },
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

router.afterEach((to) => {
  const title = typeof to.meta.title === 'string' ? to.meta.title : '';
  document.title = title ? `${title} - ${APP_TITLE}` : APP_TITLE;
});
