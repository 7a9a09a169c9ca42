import { z } from 'zod';
import { attachmentParams, evidenceParams, exportNote, idParams, xlsxOk, type RouteDoc } from './route-doc';
import * as auth from './auth';
import * as engine from './engine';
import * as forms from './forms';
import * as projects from './projects';
import * as projectImport from './project-import';
import { quotaRoutes } from './quotas';
import * as reference from './reference';
import * as referenceExports from './reference-exports';
import * as users from './users';
import * as tasks from './tasks';
import { auditRoutes } from './audit';
import { sealRoutes } from './seals';
import * as sealContracts from '../../contracts/seals';
import { docOf } from './route';
import * as designer from './designer';
import * as experts from './expert-review';
import { allocationRoutes } from './allocation';
import * as payments from './payments';
import * as adjustments from './adjustments';
import * as finals from './final-accounts';
import * as performance from './performance';
import * as monitoring from './monitoring';
import * as treasury from './treasury';

export { TAGS, permissionsOf, routeKey, type Access, type HttpMethod, type RouteDoc, type Tag } from './route-doc';

/**
 * Every API route, once: what it is called, who may call it and the zod schemas its input is
 * parsed with (the very schemas the routers validate with, exported from their modules). The
 * OpenAPI document (openapi.ts) is built from this list, and test/database/openapi.test.ts walks
 * the real Express app to check that the list and the mounted routes are the same set — a new
 * route is one entry here. test/database/authorization.test.ts calls every route declared with a
 * permission (or 'login') as every role.
 */


const userAdmins = ['users:manage', 'security:manage'] as const;
const PROGRESS_NOTE =
  'progress 来自流程引擎的历史并合并本平台的办理记录：completed 已经过、active 当前、failed 出错（有未处理的引擎事件）的 BPMN 元素；steps 按引擎开始的先后列出每个环节（elementId、name、type、status completed|active|failed|canceled、startedAt、endedAt、actor 办理人或“系统自动”、taskId、decision、decisionLabel、comment、sealed、auditRecordId、verificationCode、incident）。source 为 engine；引擎不可用或没有该实例的历史时为 platform（按本平台记录），notice 说明原因。';

/** The routes declared with their handlers (route.ts), module by module. */
const DECLARED: readonly RouteDoc[] = [...sealRoutes.map(docOf), ...auditRoutes.map(docOf), ...quotaRoutes.map(docOf), ...allocationRoutes.map(docOf)];

export const ROUTE_CATALOGUE: readonly RouteDoc[] = [
  ...DECLARED,
  // 系统
  { method: 'get', path: '/api/health', summary: '健康检查：数据库与流程引擎是否可用（只有状态，不含地址、版本等内部信息）', tag: 'system', access: 'public', ok: { status: 200, description: '数据库与引擎均可用；任一不可用时为 503，内容相同' }, refusals: [503] },
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
  {
    method: 'get',
    path: '/api/workbench',
    summary: '工作台：我的待办（件数、逾期、最早的几件）、抄送、可见项目按状态的件数与最近更新、指标余额、提醒',
    tag: 'system',
    access: 'login',
    description: '一次取齐登录后首页所需的数据；各部分按本人权限给出（无 projects:read 时 projects 为 null，无 quotas:read 时 quotas 为 null），件数与列表的数据范围相同（他单位的草稿不计）。',
  },
  { method: 'get', path: '/api/openapi.json', summary: '接口文档（OpenAPI 3.1）', tag: 'system', access: 'public' },
  {
    method: 'post',
    path: '/api/engine/smoke-checks',
    summary: '平台自检：运行自检流程并等待其结束',
    tag: 'system',
    access: 'system:smoke-check',
    body: engine.smokeCheckBody,
    ok: { status: 201, description: '自检流程已运行结束' },
    refusals: [503],
  },

  // 登录与会话
  { method: 'post', path: '/api/auth/login', summary: '登录', tag: 'auth', access: 'public', body: auth.loginBody, description: '成功时设置会话 Cookie budget_sid。连续 5 次密码错误锁定 30 分钟。同一地址 15 分钟内失败 20 次、同一用户名失败 10 次后，先答 429 LOGIN_RATE_LIMITED（带 Retry-After），不再核对密码。' },
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
  { method: 'post', path: '/api/auth/second-factor/enrolment', summary: '绑定动态验证码：生成密钥与二维码（otpauth://）', tag: 'auth', access: 'login', refusals: [409], description: '答 otpauthUri、qrDataUrl（SVG 二维码）和可手工输入的 secret；已绑定时 409 SECOND_FACTOR_ENROLLED（更换须由安全管理员重置）。' },
  {
    method: 'post',
    path: '/api/auth/second-factor/confirm',
    summary: '绑定动态验证码：输入第一个验证码确认，取得一次性恢复码',
    tag: 'auth',
    access: 'login',
    body: auth.enrolmentConfirmBody,
    refusals: [409],
    description: '验证码正确即绑定，答 10 个恢复码（只显示这一次，库中只存摘要）；首次登录受限的会话随即可正常使用。验证码错误 400 SECOND_FACTOR_CODE_WRONG。',
  },
  { method: 'post', path: '/api/auth/logout', summary: '退出登录', tag: 'auth', access: 'public', ok: { status: 204, description: '已退出' } },
  { method: 'get', path: '/api/auth/me', summary: '当前用户、角色、权限与数据范围', tag: 'auth', access: 'login' },
  { method: 'post', path: '/api/auth/password', summary: '修改密码', tag: 'auth', access: 'login', body: auth.passwordBody, ok: { status: 204, description: '已修改' }, description: '原密码错误计入登录的失败次数限制（429 LOGIN_RATE_LIMITED）。' },

  // 基础数据
  { method: 'get', path: '/api/regions', summary: '行政区划（GB/T 2260），可按上级或整树', tag: 'reference', access: 'reference:read', query: reference.regionsQuery },
  { method: 'get', path: '/api/organisations', summary: '组织机构列表，分页', tag: 'reference', access: 'reference:read', query: reference.organisationsQuery },
  { method: 'get', path: '/api/organisations/{id}', summary: '组织机构详情', tag: 'reference', access: 'reference:read', params: idParams },
  { method: 'get', path: '/api/organisations/{id}/subtree', summary: '某机构及其全部下级，按树序分页', tag: 'reference', access: 'reference:read', params: idParams, query: reference.subtreeQuery },
  { method: 'get', path: '/api/codes/functional', summary: '支出功能分类科目（某年度）', tag: 'reference', access: 'reference:read', query: reference.functionalQuery },
  { method: 'get', path: '/api/codes/economic', summary: '支出经济分类科目（某年度）', tag: 'reference', access: 'reference:read', query: reference.economicQuery },
  {
    method: 'post',
    path: '/api/codes/import',
    summary: '导入某年度的分类科目（CSV 文本或 base64 编码的 .xlsx）',
    tag: 'reference',
    access: 'codes:import',
    query: reference.importQuery,
    body: reference.importBody,
  },
  { method: 'get', path: '/api/organisations/export', summary: '导出组织机构（Excel）', tag: 'reference', access: 'reference:read', query: referenceExports.organisationExportQuery, ok: xlsxOk, description: exportNote },
  { method: 'get', path: '/api/codes/functional/all', summary: '某年度全部功能分类科目（树序）', tag: 'reference', access: 'reference:read', query: referenceExports.functionalTableQuery },
  { method: 'get', path: '/api/codes/economic/all', summary: '某年度全部经济分类科目（树序）', tag: 'reference', access: 'reference:read', query: referenceExports.economicTableQuery },
  { method: 'get', path: '/api/codes/functional/export', summary: '导出功能分类科目（Excel，可直接再导入）', tag: 'reference', access: 'reference:read', query: referenceExports.functionalTableQuery, ok: xlsxOk },
  { method: 'get', path: '/api/codes/economic/export', summary: '导出经济分类科目（Excel，可直接再导入）', tag: 'reference', access: 'reference:read', query: referenceExports.economicTableQuery, ok: xlsxOk },
  { method: 'get', path: '/api/codes/template', summary: '科目导入模板（Excel）', tag: 'reference', access: 'reference:read', query: referenceExports.templateQuery, ok: { status: 200, description: 'Excel 模板' } },

  // 项目库
  { method: 'get', path: '/api/projects', summary: '项目列表（本人数据范围内），分页', tag: 'projects', access: 'projects:read', query: projects.projectListQuery },
  { method: 'get', path: '/api/projects/import-template', summary: '项目导入模板（Excel，含填写说明与下拉选项）', tag: 'projects', access: 'projects:write', ok: { status: 200, description: 'Excel 模板' } },
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
  { method: 'get', path: '/api/projects/export', summary: '导出项目库（Excel）', tag: 'projects', access: 'projects:read', query: projects.projectExportQuery, ok: xlsxOk, description: exportNote },
  { method: 'get', path: '/api/projects/{id}', summary: '项目详情：金额明细、绩效目标、附件、疑似重复、SMART 检查', tag: 'projects', access: 'projects:read', params: idParams, description: '数据范围外的项目与不存在的项目一样答 404。' },
  { method: 'get', path: '/api/projects/{id}/approval-sheet.pdf', summary: '项目审批表 PDF：已办结的每个审批环节，各附电子签章与核验码', tag: 'projects', access: 'projects:read', params: idParams, ok: { status: 200, description: 'PDF 文件' }, description: '数据范围外的项目与不存在的项目一样答 404；尚无办结环节时表中注明。' },
  { method: 'get', path: '/api/projects/{id}/events', summary: '项目时间线', tag: 'projects', access: 'projects:read', params: idParams },
  { method: 'post', path: '/api/projects', summary: '新建项目申报（草稿）', tag: 'projects', access: 'projects:write', body: projects.newProjectSchema, ok: { status: 201, description: '已创建；疑似重复时 duplicates 非空' }, description: '科目不存在时为 400 UNKNOWN_CODE，details 指出字段。' },
  { method: 'put', path: '/api/projects/{id}', summary: '修改项目（草稿或已退回）', tag: 'projects', access: 'projects:write', params: idParams, body: projects.projectEditSchema, refusals: [409], description: 'version 须为读取时的版本；他人已修改时为 409 PROJECT_CHANGED，状态不可修改时为 409 PROJECT_NOT_EDITABLE。' },
  { method: 'post', path: '/api/projects/{id}/void', summary: '作废项目（批复前）', tag: 'projects', access: 'projects:write', params: idParams, body: projects.voidBody, refusals: [409] },
  { method: 'post', path: '/api/projects/{id}/attachments', summary: '上传附件（请求体为文件内容，X-File-Name 为 URI 编码的文件名，≤ 10 MB）', tag: 'projects', access: 'projects:write', params: idParams, ok: { status: 201, description: '已上传，含 SM3 摘要' }, refusals: [409] },
  { method: 'get', path: '/api/projects/{id}/attachments/{attachmentId}', summary: '下载附件（内容与 SM3 摘要不符时拒绝提供）', tag: 'projects', access: 'projects:read', params: attachmentParams, ok: { status: 200, description: '文件内容；X-Content-SM3 头为摘要' } },
  { method: 'delete', path: '/api/projects/{id}/attachments/{attachmentId}', summary: '删除附件（保留记录）', tag: 'projects', access: 'projects:write', params: attachmentParams, ok: { status: 204, description: '已删除' }, refusals: [409] },

  // 任务表单
  { method: 'get', path: '/api/forms/{key}', summary: '任务表单定义（字段、校验规则、布局）', tag: 'forms', access: 'login', params: forms.formParams, description: '提交任务时按同一定义校验数据。' },

  // 用户管理（三员分立：系统管理员管账号，安全管理员管角色、解锁、重置密码）
  { method: 'get', path: '/api/users', summary: '用户列表（本人数据范围内），分页', tag: 'users', access: userAdmins, query: users.listQuery },
  { method: 'get', path: '/api/users/export', summary: '导出用户（Excel）', tag: 'users', access: userAdmins, query: users.exportQuery, ok: xlsxOk, description: exportNote },
  { method: 'get', path: '/api/users/{id}', summary: '用户详情', tag: 'users', access: userAdmins, params: idParams },
  { method: 'post', path: '/api/users', summary: '新建账号（首次登录须修改密码；角色由安全管理员分配）', tag: 'users', access: 'users:manage', body: users.createBody, ok: { status: 201, description: '已创建' }, refusals: [409] },
  { method: 'patch', path: '/api/users/{id}', summary: '修改姓名、所属机构或停用/启用（停用即注销其会话）', tag: 'users', access: 'users:manage', params: idParams, body: users.updateBody },
  { method: 'put', path: '/api/users/{id}/roles', summary: '分配角色（三员分立）', tag: 'users', access: 'security:manage', params: idParams, body: users.rolesBody },
  { method: 'post', path: '/api/users/{id}/second-factor/reset', summary: '重置动态验证码（手机丢失；不能重置自己的）', tag: 'users', access: 'security:manage', params: idParams, refusals: [409], description: '删除其验证器与恢复码并注销其会话；下次登录时重新绑定。未绑定时 409 SECOND_FACTOR_NOT_ENROLLED；为自己重置 403 CANNOT_RESET_OWN_SECOND_FACTOR。' },
  { method: 'post', path: '/api/users/{id}/unlock', summary: '解锁账号', tag: 'users', access: 'security:manage', params: idParams },
  { method: 'post', path: '/api/users/{id}/reset-password', summary: '重置密码（下次登录须修改）', tag: 'users', access: 'security:manage', params: idParams, body: users.resetBody },
  { method: 'post', path: '/api/users/{id}/seal-reenrolment', summary: '授权重新开通电子签章（遗忘签章密码时，三员分立由安全管理员授权）', tag: 'users', access: 'security:manage', params: idParams, body: users.reenrolBody, ok: { status: 201, description: '已授权：本人可设置新签章密码并生成新密钥，旧密钥随之吊销' }, response: sealContracts.reenrolmentCreated, refusals: [409], description: '已有未使用的授权时答 200，created 为 false，不重复授权；对方尚未开通为 409 SEAL_NOT_ENROLLED；不能为自己授权（400 CANNOT_REENROL_OWN_SEAL）。' },

  // 待办与审批（每个待办由候选人、办理人、参与人或数据范围决定能做什么）
  { method: 'get', path: '/api/tasks', summary: '我的待办 / 已办 / 抄送我的，分页', tag: 'inbox', access: 'login', query: tasks.taskListQuery },
  { method: 'get', path: '/api/tasks/{id}', summary: '待办详情：表单数据、项目、流程历史、当前进度、可执行的操作', tag: 'inbox', access: 'login', params: idParams, description: PROGRESS_NOTE },
  { method: 'post', path: '/api/tasks/{id}/claim', summary: '签收', tag: 'inbox', access: 'login', params: idParams, refusals: [409] },
  { method: 'post', path: '/api/tasks/{id}/unclaim', summary: '退回签收（回到候选人）', tag: 'inbox', access: 'login', params: idParams, refusals: [409] },
  { method: 'post', path: '/api/tasks/{id}/complete', summary: '办理（提交表单与审批意见）', tag: 'inbox', access: 'login', params: idParams, body: tasks.completeBody, refusals: [409, 503], description: '表单按定义校验，不合格为 400 且待办保持未办；已办理为 409 TASK_ALREADY_COMPLETED；不是办理人为 403 NOT_A_CANDIDATE。已开通电子签章者须带 signingPin（缺少为 400 SIGNING_PIN_REQUIRED，错误为 400 SEAL_PIN_WRONG，锁定为 423 SEAL_LOCKED，同一地址或同一签章人 15 分钟内错误 10 次后为 429 SEAL_PIN_RATE_LIMITED；均在领取待办之前检查，待办保持未办），办结记录在引擎接受后签章。' },
  { method: 'post', path: '/api/tasks/{id}/reassign', summary: '转办', tag: 'inbox', access: 'login', params: idParams, body: tasks.reassignBody, refusals: [409] },
  { method: 'post', path: '/api/tasks/{id}/signers', summary: '加签（前加签 / 后加签）', tag: 'inbox', access: 'login', params: idParams, body: tasks.signerBody, refusals: [409] },
  { method: 'post', path: '/api/tasks/{id}/copies', summary: '抄送', tag: 'inbox', access: 'login', params: idParams, body: tasks.copyBody },
  { method: 'post', path: '/api/tasks/{id}/remind', summary: '催办（每小时至多一次）', tag: 'inbox', access: 'login', params: idParams, refusals: [409] },
  { method: 'post', path: '/api/tasks/{id}/comments', summary: '添加意见', tag: 'inbox', access: 'login', params: idParams, body: tasks.commentBody },
  { method: 'get', path: '/api/tasks/{id}/eligible-users', summary: '可转办、加签、会签的人员', tag: 'inbox', access: 'login', params: idParams },
  { method: 'get', path: '/api/tasks/{id}/document.pdf', summary: '审批单 PDF（审批详情、红色电子签章、核验码与审计记录编号）', tag: 'inbox', access: 'login', params: idParams, refusals: [409], ok: { status: 200, description: 'PDF 文件' }, description: '能查看该待办的人可下载；未办结为 409 TASK_NOT_COMPLETED。' },
  { method: 'post', path: '/api/tasks/batch-complete', summary: '批量审批', tag: 'inbox', access: 'login', body: tasks.batchBody, description: '逐个办理，互不影响；结果中列出每个待办成功与否及原因。签章密码（signingPin）对整批只核验一次，错误时整批不办理。' },
  { method: 'post', path: '/api/projects/{id}/submit', summary: '送审：启动项目申报审核流程', tag: 'projects', access: 'projects:write', params: idParams, body: tasks.submitBody, refusals: [409, 503] },
  { method: 'post', path: '/api/projects/{id}/withdraw', summary: '撤回：审核人员办理前收回申报', tag: 'projects', access: 'projects:write', params: idParams, body: tasks.withdrawBody, refusals: [409, 503] },
  { method: 'get', path: '/api/projects/{id}/processes', summary: '项目经历的流程：进度与办理历史', tag: 'projects', access: 'projects:read', params: idParams, description: `每个流程的 progress 同待办详情。${PROGRESS_NOTE}` },
  { method: 'get', path: '/api/processes/{processId}/diagram', summary: '流程图（BPMN XML）', tag: 'inbox', access: 'login', params: z.object({ processId: z.string().describe('流程标识') }), ok: { status: 200, description: 'BPMN 2.0 XML' } },
  { method: 'get', path: '/api/notifications', summary: '站内通知', tag: 'inbox', access: 'login', query: tasks.notificationsQuery },
  { method: 'post', path: '/api/notifications/read', summary: '标记通知已读', tag: 'inbox', access: 'login', body: tasks.readBody, ok: { status: 204, description: '已标记' } },

  // 专家评审（专家库、评审批次由绩效处/评审中心维护；专家只能看到本人的评审任务）
  { method: 'get', path: '/api/payments', summary: '用款申请列表（本人数据范围；按状态、指标或收款账号精确查找，账号经盲索引比对）', tag: 'payments', access: ['quotas:freeze', 'projects:review'], query: payments.listQuery, description: '收款账号一律脱敏显示；审批中的申请列出当前所在环节（引擎不可用时省略）。' },
  { method: 'get', path: '/api/payments/quotas', summary: '本单位可用于用款的指标及其可用余额（用款申请的指标选择）', tag: 'payments', access: 'quotas:freeze' },
  { method: 'post', path: '/api/payments/attachments', summary: '上传用款申请附件（合同、发票；请求体为文件内容，≤ 10 MB），答复 SM3 摘要供提交申请时引用', tag: 'payments', access: 'quotas:freeze', ok: { status: 201, description: '已保存，含 SM3 摘要和大小' } },
  { method: 'post', path: '/api/payments', summary: '提交用款申请：同一事务内在指标账中冻结用款金额并启动审批（签章）', tag: 'payments', access: 'quotas:freeze', body: payments.createBody, ok: { status: 201, description: '已提交，答复申请全文' }, refusals: [409, 503], description: '指标可用余额不足为 409 QUOTA_INSUFFICIENT，消息中写明可用金额，不写入任何数据；只能使用本单位的指标。' },
  { method: 'get', path: '/api/payments/{id}', summary: '用款申请全文：指标余额、风险预警及证据、附件、审批记录、当前环节', tag: 'payments', access: ['quotas:freeze', 'projects:review'], params: idParams, description: '收款账号只对付款单位本单位的经办人和国库处显示全文，其他人脱敏（6222 **** **** 1234）。' },
  { method: 'get', path: '/api/payments/{id}/attachments/{attachmentId}', summary: '下载用款申请附件（内容与 SM3 摘要不符时拒绝提供）', tag: 'payments', access: ['quotas:freeze', 'projects:review'], params: attachmentParams, ok: { status: 200, description: '文件内容；X-Content-SM3 头为摘要' } },
  { method: 'post', path: '/api/payments/{id}/resubmit', summary: '退回的用款申请修改后重新提交：新一轮在同一指标上重新冻结并重新审批（签章）', tag: 'payments', access: 'quotas:freeze', params: idParams, body: payments.resubmitBody, refusals: [409, 503], description: '只有已退回的申请、由提交申请的单位重新提交（409 PAYMENT_NOT_RETURNED）；指标可用余额不足为 409 QUOTA_INSUFFICIENT，不写入任何数据。答复申请全文。' },
  { method: 'post', path: '/api/payments/{id}/decision', summary: '审批用款申请（风险核查、国库处科室负责人、分管局长、局长或局长办公会会签；同意、退回或不予支付；签章）', tag: 'payments', access: ['quotas:freeze', 'projects:review'], params: idParams, body: payments.decideBody, refusals: [409, 503], description: '退回或不予支付即解冻；当前没有由本人办理的环节为 409 NO_TASK_FOR_YOU。' },
  { method: 'get', path: '/api/adjustments', summary: '预算调整申请列表（本人数据范围内；todo=true 只列等待本人角色审批的）', tag: 'adjustments', access: 'quotas:read', query: adjustments.listQuery },
  { method: 'post', path: '/api/adjustments', summary: '提出预算调整申请：调剂（指标之间）、追加或调减，说明理由；启动审批流程', tag: 'adjustments', access: ['projects:write', 'projects:review'], body: adjustments.fileBody, ok: { status: 201, description: '已提交，答复申请全文' }, refusals: [409, 503], description: '调剂、调减的金额超过调出指标的可用余额为 409 ADJUSTMENT_INSUFFICIENT_AVAILABLE（说明可用金额），不写入任何数据；追加、调减属于预算调整，审批同意前须登记调整批复文件；审批链由决策表 budget-adjustment-chain 按类型和金额选定。' },
  { method: 'get', path: '/api/adjustments/{id}', summary: '预算调整申请全文：调出、调入指标的当前余额，审批链、当前环节、审批记录（签章）、记账流水', tag: 'adjustments', access: 'quotas:read', params: idParams },
  { method: 'post', path: '/api/adjustments/{id}/document', summary: '登记预算调整的批复文件（文号、标题、扫描件）', tag: 'adjustments', access: ['projects:write', 'projects:review'], params: idParams, body: adjustments.documentBody, refusals: [409], description: '申请人或预算处登记；申请已办结为 409 ADJUSTMENT_NOT_APPROVING。' },
  { method: 'post', path: '/api/adjustments/{id}/decision', summary: '审批预算调整申请（科室负责人、分管局长或局长；签章）；最后一个环节同意后在指标账中记账', tag: 'adjustments', access: 'projects:review', params: idParams, body: adjustments.decideBody, refusals: [409, 503], description: '当前没有由本人办理的环节为 409 NO_TASK_FOR_YOU；预算调整未登记批复文件时同意为 409 ADJUSTMENT_DOCUMENT_REQUIRED；调出指标可用余额已不足时同意为 409 ADJUSTMENT_INSUFFICIENT_AVAILABLE。' },
  // 决算与结转（单位编制并说明结余，主管部门汇总，国库处、预算处审核；办结时结转或收回经指标账记账）
  { method: 'get', path: '/api/final-accounts', summary: '决算列表（本人数据范围内：单位本身、部门的所属单位、财政的本地区），含各单位合计与总计，分页', tag: 'finals', access: ['finals:prepare', 'finals:review'], query: finals.listQuery },
  { method: 'get', path: '/api/final-accounts/export', summary: '导出决算（Excel：决算汇总、项目明细、按功能科目、按经济科目）', tag: 'finals', access: ['finals:prepare', 'finals:review'], query: finals.exportQuery, ok: xlsxOk, description: '与列表相同的筛选和数据范围；超过 20,000 份决算为 400 EXPORT_TOO_LARGE。' },
  { method: 'post', path: '/api/final-accounts', summary: '生成本单位某年度的决算（数据取自指标账），启动决算流程', tag: 'finals', access: 'finals:prepare', body: finals.openBody, ok: { status: 201, description: '已生成，答复决算全文' }, refusals: [409, 503], description: '已生成为 409 FINAL_ACCOUNT_EXISTS；该年度没有指标为 400 NO_QUOTAS；流程引擎不可用为 503，不写入任何数据。' },
  { method: 'get', path: '/api/final-accounts/{id}', summary: '决算全文：每个项目按指标的下达、调整、结转、支付、冻结、结余，结余说明与处理，按功能科目与经济科目汇总，未解除的冻结，审核记录', tag: 'finals', access: ['finals:prepare', 'finals:review'], params: idParams, refusals: [503], description: '数据范围外的决算与不存在的一样答 404。' },
  { method: 'post', path: '/api/final-accounts/{id}/regenerate', summary: '重新生成决算数据（保留结余说明与处理选择）', tag: 'finals', access: 'finals:prepare', params: idParams, body: finals.versionBody, refusals: [409], description: '仅单位编制中可用（409 FINAL_ACCOUNT_NOT_DRAFT）；version 不符为 409 FINAL_ACCOUNT_CHANGED。' },
  { method: 'put', path: '/api/final-accounts/{id}/items', summary: '保存结余说明与处理选择（结转下年 / 结余收回）', tag: 'finals', access: 'finals:prepare', params: idParams, body: finals.itemsBody, refusals: [409] },
  { method: 'post', path: '/api/final-accounts/{id}/submit', summary: '单位确认并提交决算', tag: 'finals', access: 'finals:prepare', params: idParams, body: finals.submitBody, refusals: [409, 503], description: '尚有冻结未解除为 409 FINAL_ACCOUNT_OPEN_FREEZES（逐笔列出指标、项目、金额与冻结来源）；生成后指标账又有变动为 409 FINAL_ACCOUNT_STALE；有结余未说明或未选择处理为 400 FINAL_ACCOUNT_INCOMPLETE；均不写入任何数据。' },
  { method: 'post', path: '/api/final-accounts/{id}/decision', summary: '审核决算（主管部门、国库处、预算处；签章）；预算处同意即办结并记账', tag: 'finals', access: 'finals:review', params: idParams, body: finals.decideBody, refusals: [409, 503], description: '当前没有由本人办理的环节为 409 NO_TASK_FOR_YOU；预算处办结时尚有冻结为 409 FINAL_ACCOUNT_OPEN_FREEZES（逐笔列出），指标账有变动为 409 FINAL_ACCOUNT_STALE。' },
  { method: 'get', path: '/api/final-accounts/{id}/export', summary: '导出本决算（Excel）', tag: 'finals', access: ['finals:prepare', 'finals:review'], params: idParams, ok: xlsxOk },
  { method: 'get', path: '/api/final-accounts/{id}/report.pdf', summary: '决算表 PDF（各项目数据、结余处理与各审核环节的电子签章和核验码）', tag: 'finals', access: ['finals:prepare', 'finals:review'], params: idParams, ok: { status: 200, description: 'PDF 文件' } },
  { method: 'get', path: '/api/performance/evaluations', summary: '绩效评价列表（数据范围内的项目）', tag: 'performance', access: ['performance:self-evaluate', 'performance:evaluate'], query: performance.listQuery },
  { method: 'get', path: '/api/performance/evaluations/export', summary: '导出评价结果（Excel：项目、单位、预算执行率与各部分得分、自评/审核/专家/最终得分、等级）', tag: 'performance', access: ['performance:self-evaluate', 'performance:evaluate'], query: performance.exportQuery, ok: xlsxOk, description: exportNote },
  { method: 'get', path: '/api/performance/candidates', summary: '可开展绩效评价的项目（已下达资金、尚未评价）', tag: 'performance', access: 'performance:evaluate', query: performance.candidatesQuery, description: '默认为上一预算年度。' },
  { method: 'post', path: '/api/performance/evaluations', summary: '开展年度绩效评价（启动评价流程，单位自评）', tag: 'performance', access: 'performance:evaluate', body: performance.startBody, ok: { status: 201, description: '已启动' }, refusals: [503], description: '年度终了前为 400 YEAR_NOT_ENDED；项目不在数据范围、未下达资金、没有绩效目标或已评价为 400 EVALUATION_PROJECTS_INVALID（逐项说明），均不启动任何评价。' },
  { method: 'get', path: '/api/performance/evaluations/{id}', summary: '绩效评价详情：逐项目标与实际值、佐证材料、预算执行率（取自指标账）、得分明细、等级、历年结果', tag: 'performance', access: ['performance:self-evaluate', 'performance:evaluate'], params: idParams },
  { method: 'put', path: '/api/performance/evaluations/{id}/self-evaluation', summary: '保存绩效自评（逐项实际完成值、差距说明）', tag: 'performance', access: 'performance:self-evaluate', params: idParams, body: performance.selfBody, refusals: [409], description: '不在自评环节为 409 EVALUATION_NOT_IN_SELF_EVALUATION；版本过期为 409 EVALUATION_CHANGED。' },
  { method: 'post', path: '/api/performance/evaluations/{id}/self-evaluation/submit', summary: '提交绩效自评（办理自评待办）', tag: 'performance', access: 'performance:self-evaluate', params: idParams, body: performance.submitBody, refusals: [409, 503], description: '有指标未填报为 400 EVALUATION_INCOMPLETE；没有本人可办理的自评待办为 409 NO_TASK_FOR_YOU。' },
  { method: 'post', path: '/api/performance/evaluations/{id}/review', summary: '绩效处审核（可调整实际值并说明理由；随审核意见签章）', tag: 'performance', access: 'performance:evaluate', params: idParams, body: performance.reviewBody, refusals: [409, 503], description: '调整记录写入审核表单，由待办办理统一签章；签章密码规则同待办办理。' },
  { method: 'post', path: '/api/performance/evaluations/{id}/evidence', summary: '上传佐证材料（请求体为文件内容，X-File-Name 为 URI 编码的文件名，≤ 10 MB；actualId 关联到指标）', tag: 'performance', access: 'performance:self-evaluate', params: idParams, query: performance.evidenceQuery, ok: { status: 201, description: '已上传，含 SM3 摘要' }, refusals: [409] },
  { method: 'get', path: '/api/performance/evaluations/{id}/evidence/{evidenceId}', summary: '下载佐证材料（内容与 SM3 摘要不符时拒绝提供）', tag: 'performance', access: ['performance:self-evaluate', 'performance:evaluate'], params: evidenceParams, ok: { status: 200, description: '文件内容；X-Content-SM3 头为摘要' } },
  { method: 'delete', path: '/api/performance/evaluations/{id}/evidence/{evidenceId}', summary: '删除佐证材料', tag: 'performance', access: 'performance:self-evaluate', params: evidenceParams, ok: { status: 204, description: '已删除' }, refusals: [409] },
  { method: 'get', path: '/api/performance/evaluations/{id}/report.pdf', summary: '绩效评价报告 PDF（得分明细、等级、绩效处审核签章与核验码）', tag: 'performance', access: ['performance:self-evaluate', 'performance:evaluate'], params: idParams, ok: { status: 200, description: 'PDF 文件' }, refusals: [409], description: '尚未评定等级为 409 EVALUATION_NOT_GRADED。' },
  // 国库支付
  { method: 'post', path: '/api/treasury/bank-notices', summary: '银行到账通知（到账或退票），以 HMAC-SM3 签名认证（不用登录会话）', tag: 'treasury', access: 'public', body: treasury.noticeBody, refusals: [409, 503], description: '请求头 x-bank-timestamp（毫秒）与 x-bank-signature（HMAC-SM3(密钥, 时间戳 + 换行 + 原始报文) 的十六进制）；签名无效或时间戳超出 5 分钟为 400 BANK_SIGNATURE_INVALID。同一通知编号重复送达只处理一次（duplicate: true）；流程暂时不能接收时为 503，银行稍后重发。' },
  { method: 'get', path: '/api/treasury/orders', summary: '支付凭证列表：银行状态、待核实件数（可按状态、凭证号、收款账号查找）', tag: 'treasury', access: 'treasury:pay', query: treasury.listQuery, description: '收款账号按盲索引（HMAC-SM3）精确查找，列表只显示脱敏后的账号。' },
  { method: 'get', path: '/api/treasury/orders/{id}', summary: '支付凭证详情与经过（发送、银行答复、通知、查询、核实、办结）', tag: 'treasury', access: 'treasury:pay', params: idParams },
  { method: 'post', path: '/api/treasury/orders/{id}/query', summary: '查询银行：记录银行答复，已有结果的立即办结', tag: 'treasury', access: 'treasury:pay', params: idParams, refusals: [409, 503], description: '已办结的凭证为 409 ORDER_NOT_QUERYABLE；银行无法访问为 503 BANK_UNAVAILABLE。' },
  { method: 'post', path: '/api/treasury/orders/{id}/retry', summary: '重新发送：银行无法访问、重试用尽的发送（资金仍冻结）', tag: 'treasury', access: 'treasury:pay', params: idParams, refusals: [409, 503], description: '仅“发送失败”的凭证可以重新发送（409 ORDER_NOT_RETRYABLE）；自动重试尚未结束时为 409 ORDER_STILL_RETRYING。' },
  { method: 'post', path: '/api/treasury/orders/{id}/resolve', summary: '核实处理：确认已到账、确认未付款（解冻）或继续等待银行通知（签章）', tag: 'treasury', access: 'treasury:pay', params: idParams, body: treasury.resolveBody, refusals: [409, 503], description: '仅“待国库处核实”的凭证（409 ORDER_NOT_ESCALATED）。' },
  { method: 'get', path: '/api/experts', summary: '专家库列表，分页（联系方式脱敏）', tag: 'experts', access: 'experts:manage', query: experts.expertListQuery },
  { method: 'get', path: '/api/experts/export', summary: '导出专家库（Excel，联系方式脱敏，可直接再导入）', tag: 'experts', access: 'experts:manage', query: experts.expertExportQuery, ok: xlsxOk, description: exportNote },
  { method: 'post', path: '/api/experts/import', summary: '从 Excel 导入专家（按专家编号新增或更新，全部成功才写入）', tag: 'experts', access: 'experts:manage', body: experts.expertImportBody, ok: { status: 201, description: '已导入：新增与更新的人数' }, description: '任何一行有问题时为 400 IMPORT_FAILED，details 按行、列列出问题，不写入任何数据；脱敏的联系方式（含 *）表示不修改。' },
  { method: 'get', path: '/api/experts/{id}', summary: '专家详情（含完整联系方式与回避关系）', tag: 'experts', access: 'experts:manage', params: idParams },
  { method: 'post', path: '/api/experts', summary: '新增专家', tag: 'experts', access: 'experts:manage', body: experts.expertBody, ok: { status: 201, description: '已新增' }, refusals: [409] },
  { method: 'put', path: '/api/experts/{id}', summary: '修改专家信息、专业领域与可参评状态', tag: 'experts', access: 'experts:manage', params: idParams, body: experts.expertBody, refusals: [409] },
  { method: 'post', path: '/api/experts/{id}/ties', summary: '登记回避关系（任职、咨询、纠纷、投资、参与编制；本人或近亲属）', tag: 'experts', access: 'experts:manage', params: idParams, body: experts.tieBody, ok: { status: 201, description: '已登记' } },
  { method: 'delete', path: '/api/experts/{id}/ties/{tieId}', summary: '删除回避关系', tag: 'experts', access: 'experts:manage', params: idParams.extend({ tieId: z.coerce.number().int().positive().describe('回避关系编号') }), ok: { status: 204, description: '已删除' } },
  { method: 'get', path: '/api/expert-batches', summary: '评审批次列表，分页', tag: 'experts', access: 'experts:manage', query: experts.batchListQuery },
  {
    method: 'post',
    path: '/api/expert-batches',
    summary: '开启评审批次：为每个项目随机抽取专家（回避规则自动适用），抽取结果签章入审计链，启动评审流程',
    tag: 'experts',
    access: 'experts:manage',
    body: experts.batchBody,
    ok: { status: 201, description: '已开启：批次编号、随机种子、流程实例与批次详情' },
    refusals: [409, 503],
    description: '只有本人数据范围内、已入库（储备）且不在其他未确认批次中的项目可以纳入，否则为 400 BATCH_PROJECTS_INVALID（details 逐项说明）。给定 seed 可复现一次抽取。已开通电子签章者须带 signingPin。流程引擎不可用时为 503，不写入任何数据。',
  },
  { method: 'get', path: '/api/expert-batches/{id}', summary: '评审批次详情：每个项目、每位专家的进度，评审完毕后的得分与结论', tag: 'experts', access: 'experts:manage', params: idParams, description: '项目评审完毕前不显示各专家的评分。' },
  { method: 'post', path: '/api/expert-batches/{id}/remind', summary: '催办：提醒尚未答复或尚未评分的专家（每位每小时至多一次）', tag: 'experts', access: 'experts:manage', params: idParams },
  { method: 'post', path: '/api/expert-batches/{id}/confirm', summary: '绩效处确认评审结果（签章），得分与结论写入项目', tag: 'experts', access: 'experts:manage', params: idParams, body: experts.confirmBody, refusals: [409, 503], description: '还有项目未评审完毕时为 409 BATCH_NOT_READY；已确认为 409 BATCH_ALREADY_CONFIRMED。' },
  { method: 'get', path: '/api/my-reviews', summary: '我的评审任务（专家本人）', tag: 'experts', access: 'experts:score' },
  { method: 'get', path: '/api/my-reviews/{id}', summary: '评审任务详情：项目内容、评审指标、本人已提交的评分', tag: 'experts', access: 'experts:score', params: idParams, description: '只能查看本人的评审任务，其他编号一律 404；任何接口都不向专家提供其他专家的评分。' },
  { method: 'post', path: '/api/my-reviews/{id}/respond', summary: '接受或谢绝评审邀请（谢绝须说明原因，系统补抽其他专家）', tag: 'experts', access: 'experts:score', params: idParams, body: experts.respondBody, refusals: [409, 503], description: '已答复为 409 ASSIGNMENT_ANSWERED；答复期限已过为 409 ASSIGNMENT_GONE。' },
  { method: 'post', path: '/api/my-reviews/{id}/score', summary: '提交评分（五项指标与评审意见，本人 SM2 签章）', tag: 'experts', access: 'experts:score', params: idParams, body: experts.scoreBody, refusals: [409, 503], description: '每项得分在 0 到该项满分之间、最多两位小数；提交后不可修改（409 SCORE_ALREADY_SUBMITTED）。已开通电子签章者须带 signingPin。' },
  // 电子签章与审计
  // 流程设计
  { method: 'get', path: '/api/designer/catalogue', summary: '模型可引用的内容：表单（forms/）、外部任务主题（已注册的工作者）、角色、已部署的决策表', tag: 'designer', access: 'processes:design', refusals: [503], description: '已部署的决策表取自流程引擎；引擎不可用为 503 ENGINE_UNAVAILABLE。' },
  { method: 'get', path: '/api/designer/processes', summary: '可设计的流程（processes/ 中的模型）及引擎中的各版本：版本号、部署时间、部署人与原因（来自审计链的 process.deployed 记录）', tag: 'designer', access: 'processes:design', refusals: [503], description: '启动时由 processes/ 部署的版本没有部署人与原因（actorName、reason 为 null）。' },
  { method: 'get', path: '/api/designer/processes/{processId}/versions/{version}/xml', summary: '某版本的 BPMN XML（去掉本安装的命名空间前缀，即作者所写）', tag: 'designer', access: 'processes:design', params: designer.versionParams, refusals: [503], description: '流程或版本不存在时为 404。' },
  { method: 'post', path: '/api/designer/lint', summary: '模型检查（bpmnlint 推荐规则与本平台规则），逐条列出问题', tag: 'designer', access: 'processes:design', body: designer.lintBody, refusals: [503], description: '决策引用按流程引擎中已部署的决策表检查；引擎不可用为 503 ENGINE_UNAVAILABLE。' },
  {
    method: 'post',
    path: '/api/designer/deploy',
    summary: '部署新版本（须填写原因；记入审计链：谁、何时、为何、哪个版本）',
    tag: 'designer',
    access: 'processes:design',
    body: designer.deployBody,
    ok: { status: 201, description: '已部署：流程定义编号、版本号、审计记录编号' },
    refusals: [503],
    description: '模型检查有错误时为 400 PROCESS_LINT_FAILED，details 逐条列出（field 为元素编号），不部署；已运行的实例留在原版本。',
  },
  {
    method: 'post',
    path: '/api/monitoring/rounds',
    summary: '开展季度绩效监控（绩效处）：为本地区每个已下达指标的项目建一份本季度报告并启动监控流程',
    tag: 'monitoring',
    access: 'monitoring:manage',
    body: monitoring.startBody,
    ok: { status: 201, description: '已开始；本季度本地区已开展过时为 200（created: false，不重复建报告）' },
    refusals: [503],
    description: '每个项目每个季度只有一份报告，无论定时还是手动发起、发起几次。季度尚未开始为 400 QUARTER_NOT_STARTED；非绩效处为 403 NOT_PERFORMANCE_DIVISION。',
  },
  { method: 'get', path: '/api/monitoring/reports', summary: '绩效监控报告列表（本人数据范围内），可只看有偏差的，分页', tag: 'monitoring', access: ['monitoring:report', 'monitoring:manage'], query: monitoring.reportListQuery },
  { method: 'get', path: '/api/monitoring/reports/{id}', summary: '绩效监控报告：每项绩效目标的填报、指标账的预算执行情况、偏差与整改', tag: 'monitoring', access: ['monitoring:report', 'monitoring:manage'], params: idParams, description: 'can 给出本人此刻可做的事（填报、偏差处理、整改答复）。数据范围外的报告答 404。' },
  {
    method: 'post',
    path: '/api/monitoring/reports/{id}/report',
    summary: '单位填报季度绩效监控（每项绩效目标的完成值、是否有风险、总体说明；执行率由指标账取得）',
    tag: 'monitoring',
    access: 'monitoring:report',
    params: idParams,
    body: monitoring.reportBody,
    refusals: [409, 503],
    description: '须逐项填报项目的全部绩效目标，否则 400 MONITORING_TARGETS_MISMATCH；已填报为 409 REPORT_NOT_PENDING；非本单位为 403。',
  },
  {
    method: 'post',
    path: '/api/monitoring/reports/{id}/review',
    summary: '偏差处理（绩效处或主管部门）：要求限期整改或予以认可',
    tag: 'monitoring',
    access: 'monitoring:manage',
    params: idParams,
    body: monitoring.reviewBody,
    refusals: [409, 503],
    description: '要求整改须给出不早于今天的期限（400 DUE_DATE_PAST）；没有待处理的偏差为 409 REPORT_NOT_WARNED。',
  },
  { method: 'post', path: '/api/monitoring/reports/{id}/rectification', summary: '单位答复整改', tag: 'monitoring', access: 'monitoring:report', params: idParams, body: monitoring.answerBody, refusals: [409, 503], description: '没有待答复的整改为 409 REPORT_NOT_RECTIFYING。' },
  { method: 'get', path: '/api/execution/projects', summary: '执行监控（按项目）：预算、冻结、已支付、执行率与时间进度及偏差，按执行率从低到高，分页', tag: 'monitoring', access: ['quotas:read', 'monitoring:manage'], query: monitoring.executionQuery, description: '数字取自指标账（本年度、关联项目的指标）；minLevel 只列偏差达到该级别的（提示/预警/严重，阈值见 BUDGET_EXECUTION_DEVIATION_POINTS）。' },
  { method: 'get', path: '/api/execution/units', summary: '执行监控（按单位）', tag: 'monitoring', access: ['quotas:read', 'monitoring:manage'], query: monitoring.executionQuery },
  { method: 'get', path: '/api/execution/regions', summary: '执行监控（按地区）', tag: 'monitoring', access: ['quotas:read', 'monitoring:manage'], query: monitoring.executionQuery },
  { method: 'get', path: '/api/designer/decisions', summary: '可设计的决策表（processes/ 中的 DMN）及引擎中的各版本：版本号、部署时间、部署人与原因（来自审计链的 decision.deployed 记录）', tag: 'designer', access: 'processes:design', refusals: [503] },
  { method: 'get', path: '/api/designer/decisions/{decisionId}/versions/{version}', summary: '某版本的决策表：DMN XML（去掉本安装的命名空间前缀）与读出的输入、输出、规则（测试面板用）', tag: 'designer', access: 'processes:design', params: designer.decisionVersionParams, refusals: [503], description: '决策表或版本不存在时为 404。' },
  {
    method: 'post',
    path: '/api/designer/decisions/deploy',
    summary: '部署决策表的新版本（须填写原因；记入审计链）；引用它的流程从下一次求值起使用新版本',
    tag: 'designer',
    access: 'processes:design',
    body: designer.decisionDeployBody,
    ok: { status: 201, description: '已部署：决策定义编号、版本号、审计记录编号' },
    refusals: [503],
    description: '须恰好包含一个平台已有的决策（processes/ 中的 DMN）且为决策表；检查不通过或引擎拒绝时为 400 DECISION_INVALID，details 逐条列出，不部署。',
  },
  { method: 'get', path: '/api/designer/processes/{processId}/instances', summary: '流程各版本运行中的实例数（迁移前查看）', tag: 'designer', access: 'processes:design', params: designer.processParams, refusals: [503], description: '流程不存在时为 404。' },
  { method: 'post', path: '/api/designer/processes/{processId}/migration/preview', summary: '实例迁移预览：引擎生成的环节映射、各环节等待的实例数、不能迁移的环节及原因', tag: 'designer', access: 'processes:design', params: designer.processParams, body: designer.migrationPreviewBody, refusals: [503], description: '只能迁往更新的版本（否则 400 MIGRATION_TARGET_NOT_NEWER）；版本不存在为 404。' },
  { method: 'post', path: '/api/designer/processes/{processId}/migration', summary: '执行实例迁移：把某版本可迁移的运行中实例迁到更新的版本（引擎迁移接口），记入审计链（原因、实例）；不能迁移的留在原版本', tag: 'designer', access: 'processes:design', params: designer.processParams, body: designer.migrationBody, refusals: [503], description: '没有可迁移的实例为 409 NOTHING_TO_MIGRATE；引擎拒绝为 409 MIGRATION_REFUSED；一次最多 1000 个实例。' },
  { method: 'get', path: '/api/designer/trials', summary: '试运行列表：本安装正在沙箱中的试运行（发起人、开始与到期清理时间）', tag: 'designer', access: 'processes:design', refusals: [503] },
  { method: 'get', path: '/api/designer/trials/variables/{processId}', summary: '试运行的生成数据：该流程真实启动时携带的启动变量（虚构的项目、金额等）', tag: 'designer', access: 'processes:design', params: designer.trialVariablesParams, description: '平台不认识的流程只有 budgetTrial 标记。' },
  {
    method: 'post',
    path: '/api/designer/trials',
    summary: '试运行草稿模型：检查后部署到沙箱（引擎租户 budgettrial，流程、决策、主题与消息均加试运行前缀），以生成的数据启动一个实例',
    tag: 'designer',
    access: 'processes:design',
    body: designer.trialBody,
    ok: { status: 201, description: '已开始：试运行编号与实例状态（同 GET /api/designer/trials/{trialId}）' },
    refusals: [503],
    description: '与部署相同的模型检查，有错误时为 400 PROCESS_LINT_FAILED（details 逐条列出），不部署。外部任务由试运行工作者以合理的输出完成（不写平台数据），业务规则任务在引擎中按已部署的决策表真实求值。不写项目、指标账、签章与审计记录；2 小时后自动清理。引擎拒绝模型为 400 TRIAL_DEPLOY_REFUSED，启动失败为 400 TRIAL_START_FAILED。',
  },
  { method: 'get', path: '/api/designer/trials/{trialId}', summary: '试运行状态：已经过、当前与出错的环节（引擎运行时与历史），待办及可选结论，DMN 决策的输入、输出与命中规则，变量', tag: 'designer', access: 'processes:design', params: designer.trialParams, refusals: [503], description: '试运行不存在或已清理时为 404。' },
  { method: 'post', path: '/api/designer/trials/{trialId}/tasks/{taskId}/complete', summary: '办理试运行中的一个待办：所选结论（如通过或退回），或 auto 自动按第一个结论办理', tag: 'designer', access: 'processes:design', params: designer.trialTaskParams, body: designer.trialCompleteBody, refusals: [409, 503], description: '不是该试运行的待办为 404；字段或选项不在表单中为 400 TRIAL_VALUES_INVALID；已办理为 409 TRIAL_TASK_GONE。' },
  { method: 'post', path: '/api/designer/trials/{trialId}/auto', summary: '试运行自动走完：每个待办按表单的第一个结论办理，直到流程结束（最多 30 轮）', tag: 'designer', access: 'processes:design', params: designer.trialParams, refusals: [409, 503] },
  { method: 'delete', path: '/api/designer/trials/{trialId}', summary: '结束并清理试运行：删除沙箱部署及其实例与历史', tag: 'designer', access: 'processes:design', params: designer.trialParams, ok: { status: 204, description: '已清理' }, refusals: [503] },
  { method: 'post', path: '/api/designer/decisions/{decisionId}/evaluate', summary: '决策表测试：由流程引擎按给定输入求值（缺省为最新版本），答输出与命中的规则（取自引擎的决策历史）', tag: 'designer', access: 'processes:design', params: designer.decisionParams, body: designer.evaluateBody, refusals: [503], description: '输入按决策表声明的类型转换，不符为 400 DECISION_INPUT_INVALID；FEEL 求值失败为 400 DECISION_EVALUATION_FAILED。' },
];
