import type { Router } from 'express';
import type { Db } from '../db';
import { scopeOrgIds } from '../auth/service';
import { importProjects } from '../projects/import';
import { buildImportTemplate, TEMPLATE_FILE_NAME } from '../projects/import-template';
import * as contracts from '../../contracts/projects';
import { MAX_IMPORT_FILE_BYTES } from '../../domain/projects';
import { mountRoutes, routesWith } from './route';

/**
 * 项目批量导入 over HTTP (templates/project-import.md): the template to download, and the import
 * of a filled-in workbook, both for those who file applications (projects:write). Mounted before
 * the project routes so /projects/import-template is not read as a project id.
 * Like the code-table import, the file comes as base64 in JSON (no multipart parser).
 */

export { MAX_IMPORT_FILE_BYTES };
const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

type ProjectImportDeps = { db: Db };
const route = routesWith<ProjectImportDeps>();

export const projectImportRoutes = [
  route({
    method: 'get',
    path: '/api/projects/import-template',
    summary: '项目导入模板（Excel，含填写说明与下拉选项）',
    tag: 'projects',
    access: 'projects:write',
    ok: { status: 200, description: 'Excel 模板' },
    handle: async ({ res }) => {
      const bytes = await buildImportTemplate();
      res.setHeader('content-type', XLSX_TYPE);
      // RFC 5987: the Chinese name for browsers, an ASCII one for the rest.
      res.setHeader(
        'content-disposition',
        `attachment; filename="project-import-template.xlsx"; filename*=UTF-8''${encodeURIComponent(TEMPLATE_FILE_NAME)}`,
      );
      res.setHeader('cache-control', 'no-store');
      res.send(bytes);
    },
  }),
  route({
    method: 'post',
    path: '/api/projects/import',
    summary: '从 Excel 导入项目（全部成功才写入）',
    tag: 'projects',
    access: 'projects:write',
    body: contracts.projectImportBody,
    response: contracts.projectImportResult,
    ok: { status: 201, description: '已导入：每个项目的行号、编号与疑似重复' },
    description: '任何一行有问题时为 400 IMPORT_FAILED，details 按工作表、行、列列出问题，不写入任何数据。',
    handle: async ({ deps: { db }, principal: p, body }) => {
      const created = await importProjects(
        db,
        {
          actor: { userId: p.userId, username: p.username, displayName: p.displayName },
          ownOrgId: p.orgId,
          scopeOrgIds: scopeOrgIds(db, p),
          fileName: (body.fileName ?? '未命名.xlsx').replace(/^.*[\\/]/, '').replace(/[\u0000-\u001f\u007f]/g, ''),
        },
        Buffer.from(body.base64, 'base64'),
      );
      return { created };
    },
  }),
];

export function projectImportRouter(deps: ProjectImportDeps): Router {
  return mountRoutes(deps.db, deps, projectImportRoutes);
}
