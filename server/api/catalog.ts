import type { RouteDoc } from './route-doc';
import * as auth from './auth';
import { projectRoutes } from './projects';
import * as projectImport from './project-import';
import { quotaRoutes } from './quotas';
import { referenceRoutes } from './reference';
import { referenceExportRoutes } from './reference-exports';
import { taskRoutes } from './tasks';
import { auditRoutes } from './audit';
import { sealRoutes } from './seals';
import { userRoutes } from './users';
import { workbenchRoutes } from './workbench';
import { formRoutes } from './forms';
import { engineRoutes } from './engine';
import { docOf } from './route';
import * as designer from './designer';
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
  ...referenceRoutes.map(docOf),
  ...projectRoutes.map(docOf),
  ...referenceExportRoutes.map(docOf),
  ...quotaRoutes.map(docOf),
  ...allocationRoutes.map(docOf),
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

  // 项目导入
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

  // 待办与审批（每个待办由候选人、办理人、参与人或数据范围决定能做什么）

  // 专家评审（专家库、评审批次由绩效处/评审中心维护；专家只能看到本人的评审任务）
  // 电子签章与审计
  // 流程设计
  {
    method: 'get',
    path: '/api/designer/catalogue',
    summary: '模型可引用的内容：表单（forms/）、外部任务主题（已注册的工作者）、角色、已部署的决策表',
    tag: 'designer',
    access: 'processes:design',
    refusals: [503],
    description: '已部署的决策表取自流程引擎；引擎不可用为 503 ENGINE_UNAVAILABLE。',
  },
  {
    method: 'get',
    path: '/api/designer/processes',
    summary: '可设计的流程（processes/ 中的模型）及引擎中的各版本：版本号、部署时间、部署人与原因（来自审计链的 process.deployed 记录）',
    tag: 'designer',
    access: 'processes:design',
    refusals: [503],
    description: '启动时由 processes/ 部署的版本没有部署人与原因（actorName、reason 为 null）。',
  },
  {
    method: 'get',
    path: '/api/designer/processes/{processId}/versions/{version}/xml',
    summary: '某版本的 BPMN XML（去掉本安装的命名空间前缀，即作者所写）',
    tag: 'designer',
    access: 'processes:design',
    params: designer.versionParams,
    refusals: [503],
    description: '流程或版本不存在时为 404。',
  },
  {
    method: 'post',
    path: '/api/designer/lint',
    summary: '模型检查（bpmnlint 推荐规则与本平台规则），逐条列出问题',
    tag: 'designer',
    access: 'processes:design',
    body: designer.lintBody,
    refusals: [503],
    description: '决策引用按流程引擎中已部署的决策表检查；引擎不可用为 503 ENGINE_UNAVAILABLE。',
  },
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
    method: 'get',
    path: '/api/designer/decisions',
    summary: '可设计的决策表（processes/ 中的 DMN）及引擎中的各版本：版本号、部署时间、部署人与原因（来自审计链的 decision.deployed 记录）',
    tag: 'designer',
    access: 'processes:design',
    refusals: [503],
  },
  {
    method: 'get',
    path: '/api/designer/decisions/{decisionId}/versions/{version}',
    summary: '某版本的决策表：DMN XML（去掉本安装的命名空间前缀）与读出的输入、输出、规则（测试面板用）',
    tag: 'designer',
    access: 'processes:design',
    params: designer.decisionVersionParams,
    refusals: [503],
    description: '决策表或版本不存在时为 404。',
  },
  {
    method: 'post',
    path: '/api/designer/decisions/deploy',
    summary: '部署决策表的新版本（须填写原因；记入审计链）；引用它的流程从下一次求值起使用新版本',
    tag: 'designer',
    access: 'processes:design',
    body: designer.decisionDeployBody,
    ok: { status: 201, description: '已部署：决策定义编号、版本号、审计记录编号' },
    refusals: [503],
    description:
      '须恰好包含一个平台已有的决策（processes/ 中的 DMN）且为决策表；检查不通过或引擎拒绝时为 400 DECISION_INVALID，details 逐条列出，不部署。',
  },
  {
    method: 'get',
    path: '/api/designer/processes/{processId}/instances',
    summary: '流程各版本运行中的实例数（迁移前查看）',
    tag: 'designer',
    access: 'processes:design',
    params: designer.processParams,
    refusals: [503],
    description: '流程不存在时为 404。',
  },
  {
    method: 'post',
    path: '/api/designer/processes/{processId}/migration/preview',
    summary: '实例迁移预览：引擎生成的环节映射、各环节等待的实例数、不能迁移的环节及原因',
    tag: 'designer',
    access: 'processes:design',
    params: designer.processParams,
    body: designer.migrationPreviewBody,
    refusals: [503],
    description: '只能迁往更新的版本（否则 400 MIGRATION_TARGET_NOT_NEWER）；版本不存在为 404。',
  },
  {
    method: 'post',
    path: '/api/designer/processes/{processId}/migration',
    summary: '执行实例迁移：把某版本可迁移的运行中实例迁到更新的版本（引擎迁移接口），记入审计链（原因、实例）；不能迁移的留在原版本',
    tag: 'designer',
    access: 'processes:design',
    params: designer.processParams,
    body: designer.migrationBody,
    refusals: [503],
    description: '没有可迁移的实例为 409 NOTHING_TO_MIGRATE；引擎拒绝为 409 MIGRATION_REFUSED；一次最多 1000 个实例。',
  },
  {
    method: 'get',
    path: '/api/designer/trials',
    summary: '试运行列表：本安装正在沙箱中的试运行（发起人、开始与到期清理时间）',
    tag: 'designer',
    access: 'processes:design',
    refusals: [503],
  },
  {
    method: 'get',
    path: '/api/designer/trials/variables/{processId}',
    summary: '试运行的生成数据：该流程真实启动时携带的启动变量（虚构的项目、金额等）',
    tag: 'designer',
    access: 'processes:design',
    params: designer.trialVariablesParams,
    description: '平台不认识的流程只有 budgetTrial 标记。',
  },
  {
    method: 'post',
    path: '/api/designer/trials',
    summary: '试运行草稿模型：检查后部署到沙箱（引擎租户 budgettrial，流程、决策、主题与消息均加试运行前缀），以生成的数据启动一个实例',
    tag: 'designer',
    access: 'processes:design',
    body: designer.trialBody,
    ok: { status: 201, description: '已开始：试运行编号与实例状态（同 GET /api/designer/trials/{trialId}）' },
    refusals: [503],
    description:
      '与部署相同的模型检查，有错误时为 400 PROCESS_LINT_FAILED（details 逐条列出），不部署。外部任务由试运行工作者以合理的输出完成（不写平台数据），业务规则任务在引擎中按已部署的决策表真实求值。不写项目、指标账、签章与审计记录；2 小时后自动清理。引擎拒绝模型为 400 TRIAL_DEPLOY_REFUSED，启动失败为 400 TRIAL_START_FAILED。',
  },
  {
    method: 'get',
    path: '/api/designer/trials/{trialId}',
    summary: '试运行状态：已经过、当前与出错的环节（引擎运行时与历史），待办及可选结论，DMN 决策的输入、输出与命中规则，变量',
    tag: 'designer',
    access: 'processes:design',
    params: designer.trialParams,
    refusals: [503],
    description: '试运行不存在或已清理时为 404。',
  },
  {
    method: 'post',
    path: '/api/designer/trials/{trialId}/tasks/{taskId}/complete',
    summary: '办理试运行中的一个待办：所选结论（如通过或退回），或 auto 自动按第一个结论办理',
    tag: 'designer',
    access: 'processes:design',
    params: designer.trialTaskParams,
    body: designer.trialCompleteBody,
    refusals: [409, 503],
    description: '不是该试运行的待办为 404；字段或选项不在表单中为 400 TRIAL_VALUES_INVALID；已办理为 409 TRIAL_TASK_GONE。',
  },
  {
    method: 'post',
    path: '/api/designer/trials/{trialId}/auto',
    summary: '试运行自动走完：每个待办按表单的第一个结论办理，直到流程结束（最多 30 轮）',
    tag: 'designer',
    access: 'processes:design',
    params: designer.trialParams,
    refusals: [409, 503],
  },
  {
    method: 'delete',
    path: '/api/designer/trials/{trialId}',
    summary: '结束并清理试运行：删除沙箱部署及其实例与历史',
    tag: 'designer',
    access: 'processes:design',
    params: designer.trialParams,
    ok: { status: 204, description: '已清理' },
    refusals: [503],
  },
  {
    method: 'post',
    path: '/api/designer/decisions/{decisionId}/evaluate',
    summary: '决策表测试：由流程引擎按给定输入求值（缺省为最新版本），答输出与命中的规则（取自引擎的决策历史）',
    tag: 'designer',
    access: 'processes:design',
    params: designer.decisionParams,
    body: designer.evaluateBody,
    refusals: [503],
    description: '输入按决策表声明的类型转换，不符为 400 DECISION_INPUT_INVALID；FEEL 求值失败为 400 DECISION_EVALUATION_FAILED。',
  },
];
