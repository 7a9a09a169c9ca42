import fs from 'node:fs';
import { ROUTE_ACCESS_FILE, routeAccessSource } from '../../scripts/route-access';
import { ROUTE_CATALOGUE, routeKey } from '../../server/api/catalog';
import { permissionsOf } from '../../domain/roles';
import { PAGES, pagePermission } from '../../web/src/pages';
import { NAV_ITEMS, allows } from '../../web/src/navigation';

/**
 * The SPA's pages read who may open them from the API route declarations (issue 16 item 2): the
 * generated access table is the catalogue's, every page stands on a declared route, and the menu
 * a role sees follows from it.
 */
describe('pages and the route declarations', () => {
  test('web/src/generated/route-access.ts is what the declarations give (npm run routes:access)', () => {
    expect(fs.readFileSync(ROUTE_ACCESS_FILE, 'utf8')).toBe(routeAccessSource());
  });

  test("every page's API route is declared, and the page needs exactly that route's permission", () => {
    const byKey = new Map(ROUTE_CATALOGUE.map((r) => [routeKey(r), r]));
    for (const page of PAGES.filter((p) => p.api)) {
      const route = byKey.get(page.api!);
      expect({ page: page.path, declared: route !== undefined }).toEqual({ page: page.path, declared: true });
      const expected =
        route!.access === 'login' || route!.access === 'public'
          ? undefined
          : [...(Array.isArray(route!.access) ? route!.access : [route!.access])];
      expect({ page: page.path, needs: pagePermission(page) }).toEqual({ page: page.path, needs: expected });
    }
  });

  test('paths and names are unique, and the menu lists the menu pages in their order', () => {
    expect(new Set(PAGES.map((p) => p.path)).size).toBe(PAGES.length);
    expect(new Set(PAGES.map((p) => p.name)).size).toBe(PAGES.length);
    expect(NAV_ITEMS.map((i) => i.index)).toEqual(PAGES.filter((p) => p.menu).map((p) => p.path));
  });

  const menuOf = (role: string) => NAV_ITEMS.filter((i) => allows([...permissionsOf([role])], i.permission)).map((i) => i.title);

  test('a unit clerk sees the pages of filing and tracking, not those of the bureau', () => {
    const menu = menuOf('unit_clerk');
    expect(menu).toEqual(
      expect.arrayContaining(['工作台', '待办事项', '项目库', '我的申报', '用款申请', '指标账', '决算', '绩效自评', '绩效监控']),
    );
    for (const title of ['用户管理', '国库支付', '流程设计', '合规核验', '专家库', '预算编制与批复', '系统状态'])
      expect(menu).not.toContain(title);
  });

  test('an expert sees only the workbench, the inbox and the own reviews; the security admin the users and the status', () => {
    expect(menuOf('expert')).toEqual(['工作台', '待办事项', '我的评审']);
    expect(menuOf('security_admin')).toEqual(['工作台', '待办事项', '用户管理', '系统状态']);
  });
});
