import { attachmentParams, exportNote, idParams, xlsxOk, type RouteDoc } from './route-doc';
import * as auth from './auth';
import * as projects from './projects';
import * as projectImport from './project-import';
import { quotaRoutes } from './quotas';
import * as reference from './reference';
import * as referenceExports from './reference-exports';
import { taskRoutes } from './tasks';
import { auditRoutes } from './audit';
import { sealRoutes } from './seals';
import { userRoutes } from './users';
import { workbenchRoutes } from './workbench';
import { formRoutes } from './forms';
import { engineRoutes } from './engine';
import { docOf } from './route';
import { designerRoutes } from './designer';
import { expertReviewRoutes } from './expert-review';
import { allocationRoutes } from './allocation';
import { paymentRoutes } from './payments';
import { adjustmentRoutes } from './adjustments';
import { finalAccountRoutes } from './final-accounts';
import { performanceRoutes } from './performance';
import { monitoringRoutes } from './monitoring';
import { treasuryRoutes } from './treasury';

export { TAGS, permissionsOf, routeKey, type Access, type HttpMethod, type RouteDoc, type Tag } from './route-doc';

/**
 * Every API route, once: what it is called, who may call it and the zod schemas its input is
 * parsed with (the very schemas the routers validate with, exported from their modules). The
 * OpenAPI document (openapi.ts) is built from this list, and test/database/openapi.test.ts walks
 * the real Express app to check that the list and the mounted routes are the same set — a new
 * route is one entry here. test/database/authorization.test.ts calls every route declared with a
 * permission (or 'login') as every role.
 */

/** The routes declared with their handlers (route.ts), module by module. */
const DECLARED: readonly RouteDoc[] = [
  ...sealRoutes.map(docOf),
  ...auditRoutes.map(docOf),
  ...expertReviewRoutes.map(docOf),
  ...userRoutes.map(docOf),
  ...workbenchRoutes.map(docOf),
  ...formRoutes.map(docOf),
  ...engineRoutes.map(docOf),
  ...monitoringRoutes.map(docOf),
  ...performanceRoutes.map(docOf),
  ...paymentRoutes.map(docOf),
  ...treasuryRoutes.map(docOf),
  ...taskRoutes.map(docOf),
  ...adjustmentRoutes.map(docOf),
  ...finalAccountRoutes.map(docOf),
  ...quotaRoutes.map(docOf),
  ...allocationRoutes.map(docOf),
  ...designerRoutes.map(docOf),
];

export const ROUTE_CATALOGUE: readonly RouteDoc[] = [
  ...DECLARED,
  // 系统
  {
    method: 'get',
    path: '/api/health',
    summary: '健康检查：数据库与流程引擎是否可用（只有状态，不含地址、版本等内部信息）',
    tag: 'system',
    access: 'public',
    ok: { status: 200, description: '数据库与引擎均可用；任一不可用时为 503，内容相同' },
    refusals: [503],
  },
  {
    method: 'get',
    path: '/api/system/status',
    summary: '系统状态详情：数据库、流程引擎（版本、地址、已部署的模型）',
    tag: 'system',
    access: 'system:health',
    ok: { status: 200, description: '数据库与引擎均可用；任一不可用时为 503，内容相同' },
    refusals: [503],
    description: '仅系统、安全、审计管理员（system:health）可查看：含内部地址与版本。',
  },
  { method: 'get', path: '/api/openapi.json', summary: '接口文档（OpenAPI 3.1）', tag: 'system', access: 'public' },

  // 登录与会话
  {
    method: 'post',
    path: '/api/auth/login',
    summary: '登录',
    tag: 'auth',
    access: 'public',
    body: auth.loginBody,
    description:
      '成功时设置会话 Cookie budget_sid。连续 5 次密码错误锁定 30 分钟。同一地址 15 分钟内失败 20 次、同一用户名失败 10 次后，先答 429 LOGIN_RATE_LIMITED（带 Retry-After），不再核对密码。',
  },
  {
    method: 'post',
    path: '/api/auth/login/second-factor',
    summary: '登录第二步：动态验证码或恢复码',
    tag: 'auth',
    access: 'public',
    body: auth.secondFactorLoginBody,
    description:
      '须使用第二因素的角色（BUDGET_SECOND_FACTOR_ROLES）且已绑定验证器的人，密码正确时登录只答 secondFactor.challenge（5 分钟内有效，可试 5 次），不设会话；本接口以 challenge 和手机验证器上的 6 位验证码（或一次性恢复码）换取会话 Cookie。同一验证码不能用第二次；错误时 401 SECOND_FACTOR_FAILED，challenge 失效时 401 SECOND_FACTOR_CHALLENGE_EXPIRED，错误过多 429 SECOND_FACTOR_RATE_LIMITED。',
  },
  {
    method: 'post',
    path: '/api/auth/second-factor/enrolment',
    summary: '绑定动态验证码：生成密钥与二维码（otpauth://）',
    tag: 'auth',
    access: 'login',
    refusals: [409],
    description:
      '答 otpauthUri、qrDataUrl（SVG 二维码）和可手工输入的 secret；已绑定时 409 SECOND_FACTOR_ENROLLED（更换须由安全管理员重置）。',
  },
  {
    method: 'post',
    path: '/api/auth/second-factor/confirm',
    summary: '绑定动态验证码：输入第一个验证码确认，取得一次性恢复码',
    tag: 'auth',
    access: 'login',
    body: auth.enrolmentConfirmBody,
    refusals: [409],
    description:
      '验证码正确即绑定，答 10 个恢复码（只显示这一次，库中只存摘要）；首次登录受限的会话随即可正常使用。验证码错误 400 SECOND_FACTOR_CODE_WRONG。',
  },
  {
    method: 'post',
    path: '/api/auth/logout',
    summary: '退出登录',
    tag: 'auth',
    access: 'public',
    ok: { status: 204, description: '已退出' },
  },
  { method: 'get', path: '/api/auth/me', summary: '当前用户、角色、权限与数据范围', tag: 'auth', access: 'login' },
  {
    method: 'post',
    path: '/api/auth/password',
    summary: '修改密码',
    tag: 'auth',
    access: 'login',
    body: auth.passwordBody,
    ok: { status: 204, description: '已修改' },
    description: '原密码错误计入登录的失败次数限制（429 LOGIN_RATE_LIMITED）。',
  },

  // 基础数据
  {
    method: 'get',
    path: '/api/regions',
    summary: '行政区划（GB/T 2260），可按上级或整树',
    tag: 'reference',
    access: 'reference:read',
    query: reference.regionsQuery,
  },
  {
    method: 'get',
    path: '/api/organisations',
    summary: '组织机构列表，分页',
    tag: 'reference',
    access: 'reference:read',
    query: reference.organisationsQuery,
  },
  { method: 'get', path: '/api/organisations/{id}', summary: '组织机构详情', tag: 'reference', access: 'reference:read', params: idParams },
  {
    method: 'get',
    path: '/api/organisations/{id}/subtree',
    summary: '某机构及其全部下级，按树序分页',
    tag: 'reference',
    access: 'reference:read',
    params: idParams,
    query: reference.subtreeQuery,
  },
  {
    method: 'get',
    path: '/api/codes/functional',
    summary: '支出功能分类科目（某年度）',
    tag: 'reference',
    access: 'reference:read',
    query: reference.functionalQuery,
  },
  {
    method: 'get',
    path: '/api/codes/economic',
    summary: '支出经济分类科目（某年度）',
    tag: 'reference',
    access: 'reference:read',
    query: reference.economicQuery,
  },
  {
    method: 'post',
    path: '/api/codes/import',
    summary: '导入某年度的分类科目（CSV 文本或 base64 编码的 .xlsx）',
    tag: 'reference',
    access: 'codes:import',
    query: reference.importQuery,
    body: reference.importBody,
  },
  {
    method: 'get',
    path: '/api/organisations/export',
    summary: '导出组织机构（Excel）',
    tag: 'reference',
    access: 'reference:read',
    query: referenceExports.organisationExportQuery,
    ok: xlsxOk,
    description: exportNote,
  },
  {
    method: 'get',
    path: '/api/codes/functional/all',
    summary: '某年度全部功能分类科目（树序）',
    tag: 'reference',
    access: 'reference:read',
    query: referenceExports.functionalTableQuery,
  },
  {
    method: 'get',
    path: '/api/codes/economic/all',
    summary: '某年度全部经济分类科目（树序）',
    tag: 'reference',
    access: 'reference:read',
    query: referenceExports.economicTableQuery,
  },
  {
    method: 'get',
    path: '/api/codes/functional/export',
    summary: '导出功能分类科目（Excel，可直接再导入）',
    tag: 'reference',
    access: 'reference:read',
    query: referenceExports.functionalTableQuery,
    ok: xlsxOk,
  },
  {
    method: 'get',
    path: '/api/codes/economic/export',
    summary: '导出经济分类科目（Excel，可直接再导入）',
    tag: 'reference',
    access: 'reference:read',
    query: referenceExports.economicTableQuery,
    ok: xlsxOk,
  },
  {
    method: 'get',
    path: '/api/codes/template',
    summary: '科目导入模板（Excel）',
    tag: 'reference',
    access: 'reference:read',
    query: referenceExports.templateQuery,
    ok: { status: 200, description: 'Excel 模板' },
  },

  // 项目库
  {
    method: 'get',
    path: '/api/projects',
    summary: '项目列表（本人数据范围内），分页',
    tag: 'projects',
    access: 'projects:read',
    query: projects.projectListQuery,
  },
  {
    method: 'get',
    path: '/api/projects/import-template',
    summary: '项目导入模板（Excel，含填写说明与下拉选项）',
    tag: 'projects',
    access: 'projects:write',
    ok: { status: 200, description: 'Excel 模板' },
  },
  {
    method: 'post',
    path: '/api/projects/import',
    summary: '从 Excel 导入项目（全部成功才写入）',
    tag: 'projects',
    access: 'projects:write',
    body: projectImport.projectImportBody,
    ok: { status: 201, description: '已导入：每个项目的行号、编号与疑似重复' },
    description: '任何一行有问题时为 400 IMPORT_FAILED，details 按工作表、行、列列出问题，不写入任何数据。',
  },
  {
    method: 'get',
    path: '/api/projects/export',
    summary: '导出项目库（Excel）',
    tag: 'projects',
    access: 'projects:read',
    query: projects.projectExportQuery,
    ok: xlsxOk,
    description: exportNote,
  },
  {
    method: 'get',
    path: '/api/projects/{id}',
    summary: '项目详情：金额明细、绩效目标、附件、疑似重复、SMART 检查',
    tag: 'projects',
    access: 'projects:read',
    params: idParams,
    description: '数据范围外的项目与不存在的项目一样答 404。',
  },
  {
    method: 'get',
    path: '/api/projects/{id}/approval-sheet.pdf',
    summary: '项目审批表 PDF：已办结的每个审批环节，各附电子签章与核验码',
    tag: 'projects',
    access: 'projects:read',
    params: idParams,
    ok: { status: 200, description: 'PDF 文件' },
    description: '数据范围外的项目与不存在的项目一样答 404；尚无办结环节时表中注明。',
  },
  { method: 'get', path: '/api/projects/{id}/events', summary: '项目时间线', tag: 'projects', access: 'projects:read', params: idParams },
  {
    method: 'post',
    path: '/api/projects',
    summary: '新建项目申报（草稿）',
    tag: 'projects',
    access: 'projects:write',
    body: projects.newProjectSchema,
    ok: { status: 201, description: '已创建；疑似重复时 duplicates 非空' },
    description: '科目不存在时为 400 UNKNOWN_CODE，details 指出字段。',
  },
  {
    method: 'put',
    path: '/api/projects/{id}',
    summary: '修改项目（草稿或已退回）',
    tag: 'projects',
    access: 'projects:write',
    params: idParams,
    body: projects.projectEditSchema,
    refusals: [409],
    description: 'version 须为读取时的版本；他人已修改时为 409 PROJECT_CHANGED，状态不可修改时为 409 PROJECT_NOT_EDITABLE。',
  },
  {
    method: 'post',
    path: '/api/projects/{id}/void',
    summary: '作废项目（批复前）',
    tag: 'projects',
    access: 'projects:write',
    params: idParams,
    body: projects.voidBody,
    refusals: [409],
  },
  {
    method: 'post',
    path: '/api/projects/{id}/attachments',
    summary: '上传附件（请求体为文件内容，X-File-Name 为 URI 编码的文件名，≤ 10 MB）',
    tag: 'projects',
    access: 'projects:write',
    params: idParams,
    ok: { status: 201, description: '已上传，含 SM3 摘要' },
    refusals: [409],
  },
  {
    method: 'get',
    path: '/api/projects/{id}/attachments/{attachmentId}',
    summary: '下载附件（内容与 SM3 摘要不符时拒绝提供）',
    tag: 'projects',
    access: 'projects:read',
    params: attachmentParams,
    ok: { status: 200, description: '文件内容；X-Content-SM3 头为摘要' },
  },
  {
    method: 'delete',
    path: '/api/projects/{id}/attachments/{attachmentId}',
    summary: '删除附件（保留记录）',
    tag: 'projects',
    access: 'projects:write',
    params: attachmentParams,
    ok: { status: 204, description: '已删除' },
    refusals: [409],
  },

  // 待办与审批（每个待办由候选人、办理人、参与人或数据范围决定能做什么）

  // 专家评审（专家库、评审批次由绩效处/评审中心维护；专家只能看到本人的评审任务）
  // 电子签章与审计
  // 流程设计
];
