import type { Component } from 'vue';
import { Coin, DocumentChecked, FolderOpened, List, Monitor, OfficeBuilding, Share } from '@element-plus/icons-vue';

export interface NavItem {
  /** 路由路径（菜单 index） */
  index: string;
  title: string;
  icon: Component;
  /** 查看该页面所需的权限（见 domain/roles.ts）；菜单项只对有权限的人显示 */
  permission: string;
}

/** 已上线的页面，按菜单顺序 */
export const NAV_ITEMS: readonly NavItem[] = [
  { index: '/health', title: '系统状态', icon: Monitor, permission: 'system:health' },
  { index: '/projects', title: '项目库', icon: FolderOpened, permission: 'projects:read' },
  { index: '/quotas', title: '指标账', icon: Coin, permission: 'quotas:read' },
  { index: '/organisations', title: '组织机构', icon: OfficeBuilding, permission: 'reference:read' },
];

/** 规划中的模块：仅展示入口，不可点击 */
export const UPCOMING_ITEMS: ReadonlyArray<Omit<NavItem, 'permission'>> = [
  { index: 'upcoming:todos', title: '待办事项', icon: List },
  { index: 'upcoming:process-design', title: '流程设计', icon: Share },
  { index: 'upcoming:audit', title: '合规审计', icon: DocumentChecked },
];

/** 此人有权看到的第一个页面；一个都没有时返回 null */
export function firstAllowedPath(permissions: readonly string[]): string | null {
  return NAV_ITEMS.find((item) => permissions.includes(item.permission))?.index ?? null;
}
