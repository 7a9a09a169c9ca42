import type { Component } from 'vue';
import { PAGES, pagePermission } from './pages';

export interface NavItem {
  /** 路由路径（菜单 index） */
  index: string;
  title: string;
  icon: Component;
  /** 查看该页面所需的权限（其一即可），来自页面所依托的接口；不填：登录即可 */
  permission?: readonly string[];
  /** 菜单上显示待办件数 */
  badge?: 'todo';
}

/** 持有的权限是否满足所需（多个所需权限时有其一即可） */
export function allows(held: readonly string[], needed: string | readonly string[] | undefined): boolean {
  if (needed === undefined) return true;
  return typeof needed === 'string' ? held.includes(needed) : needed.some((p) => held.includes(p));
}

/** 主菜单：pages.ts 中带 menu 的页面，按其顺序；标题与权限和路由同出一处 */
export const NAV_ITEMS: readonly NavItem[] = PAGES.flatMap((p) =>
  p.menu ? [{ index: p.path, title: p.title, icon: p.menu.icon, permission: pagePermission(p), badge: p.menu.badge }] : [],
);

/** 此人有权看到的第一个页面；一个都没有时返回 null */
export function firstAllowedPath(permissions: readonly string[]): string | null {
  return NAV_ITEMS.find((item) => allows(permissions, item.permission))?.index ?? null;
}
