import { downloadFile } from './download';
import { request } from './request';
import type { Page, RequestSignal } from './reference';
import type { z } from 'zod';
import type {
  ProjectDetailAnswer,
  ProjectEventAnswer,
  ProjectSummaryAnswer,
  newProjectSchema,
  projectEditSchema,
  projectExportQuery,
  projectListQuery,
  targetSchema,
  voidBody,
} from '../../../contracts/projects';

/** 应答的类型来自 contracts/projects.ts（服务端按同一份 schema 应答，测试中逐个核对）；can 为本人可做的操作 */
export type ProjectSummary = ProjectSummaryAnswer;
export type ProjectDetail = ProjectDetailAnswer;
export type AmountLine = ProjectDetail['amounts'][number];
export type Attachment = ProjectDetail['attachments'][number];
export type DuplicateFlag = ProjectDetail['duplicates'][number];
export type ProjectEvent = ProjectEventAnswer;

/**
 * 项目库接口（/api/projects）。金额一律为整数“分”（…Fen）；时间为带 +08:00 的 ISO-8601。
 * 数据范围外的项目对本人“不存在”（404）；修改、作废须带上读到的 version，他人先改了则 409 PROJECT_CHANGED。
 */

export type DuplicateBasis = 'name' | 'content';

export type ProjectEventKind =
  'created' | 'updated' | 'duplicate_flagged' | 'voided' | 'attachment_added' | 'attachment_removed' | 'status_changed';

/** 请求体与查询参数的类型来自路由解析用的同一份 schema（contracts/projects.ts，z.input：客户端发送的一侧）。 */
/** 查询参数：服务端补默认值（page、pageSize、sort、order），页面可省略任何一项。 */
export type ProjectQuery = Partial<z.output<typeof projectListQuery>>;
export type ProjectSort = NonNullable<ProjectQuery['sort']>;
export type ProjectExportQuery = Partial<z.output<typeof projectExportQuery>>;

export type ProjectTargetInput = z.input<typeof targetSchema>;

/** 修改时可改的字段（年度、申报单位不可改） */
export type ProjectFields = Omit<z.input<typeof projectEditSchema>, 'version'>;
export type ProjectEditRequest = z.input<typeof projectEditSchema>;

/** 新建：unitOrgId 不填则为本人所在单位 */
export type NewProjectRequest = z.input<typeof newProjectSchema>;
export type VoidProjectRequest = z.input<typeof voidBody>;

const READ_TIMEOUT_MS = 15_000;
const WRITE_TIMEOUT_MS = 20_000;
/** 附件最大 10 MB，内网上传给足时间 */
const UPLOAD_TIMEOUT_MS = 120_000;

/** GET /api/projects：本人数据范围内的项目，服务端分页（projects:read） */
export function listProjects(query: ProjectQuery = {}, options: RequestSignal = {}): Promise<Page<ProjectSummary>> {
  return request<Page<ProjectSummary>>('/api/projects', { query: { ...query }, signal: options.signal, timeoutMs: READ_TIMEOUT_MS });
}

/** GET /api/projects/export：按当前查询条件导出 Excel，返回文件名 */
export function exportProjects(query: ProjectExportQuery): Promise<string> {
  return downloadFile('/api/projects/export', { ...query });
}

/** GET /api/projects/:id */
export function getProject(id: number, options: RequestSignal = {}): Promise<ProjectDetail> {
  return request<ProjectDetail>(`/api/projects/${id}`, { signal: options.signal, timeoutMs: READ_TIMEOUT_MS });
}

/** GET /api/projects/:id/events：办理记录，按发生先后 */
export function listProjectEvents(id: number, options: RequestSignal = {}): Promise<{ items: ProjectEvent[] }> {
  return request<{ items: ProjectEvent[] }>(`/api/projects/${id}/events`, { signal: options.signal, timeoutMs: READ_TIMEOUT_MS });
}

/** POST /api/projects：新建项目（草稿，projects:write） */
export function createProject(body: NewProjectRequest): Promise<ProjectDetail> {
  return request<ProjectDetail>('/api/projects', { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}

/** PUT /api/projects/:id：修改草稿或已退回的项目；version 为读到的版本 */
export function updateProject(id: number, body: ProjectEditRequest): Promise<ProjectDetail> {
  return request<ProjectDetail>(`/api/projects/${id}`, { method: 'PUT', body, timeoutMs: WRITE_TIMEOUT_MS });
}

/** POST /api/projects/:id/void：作废（须写明原因） */
export function voidProject(id: number, body: VoidProjectRequest): Promise<ProjectDetail> {
  return request<ProjectDetail>(`/api/projects/${id}/void`, { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}

/** POST /api/projects/:id/attachments：文件内容原样作为请求体，文件名 URI 编码放在 X-File-Name */
export function uploadProjectAttachment(id: number, file: File, options: RequestSignal = {}): Promise<Attachment> {
  return request<Attachment>(`/api/projects/${id}/attachments`, {
    method: 'POST',
    rawBody: file,
    headers: { 'Content-Type': file.type || 'application/octet-stream', 'X-File-Name': encodeURIComponent(file.name) },
    signal: options.signal,
    timeoutMs: UPLOAD_TIMEOUT_MS,
  });
}

/** 附件下载地址（同源，凭会话 Cookie；服务端校验 SM3 后才提供） */
export function projectAttachmentUrl(projectId: number, attachmentId: number): string {
  return `/api/projects/${projectId}/attachments/${attachmentId}`;
}

/** DELETE /api/projects/:id/attachments/:attachmentId（记录保留在办理记录中） */
export function removeProjectAttachment(projectId: number, attachmentId: number): Promise<void> {
  return request<void>(`/api/projects/${projectId}/attachments/${attachmentId}`, { method: 'DELETE', timeoutMs: WRITE_TIMEOUT_MS });
}

/** GET /api/projects/:id/approval-sheet.pdf：项目审批表（已办结的每个环节，各附电子签章与核验码） */
export function downloadProjectApprovalSheet(id: number): Promise<string> {
  return downloadFile(`/api/projects/${id}/approval-sheet.pdf`);
}
