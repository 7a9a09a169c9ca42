import type { z } from 'zod';
import type { recordsQuery } from '../../../contracts/audit';
import { downloadFile } from './download';
import type { Page, RequestSignal } from './reference';
import { request } from './request';

/** GET /api/audit/verify 的结果：整条审计链与检查点的核验 */
export interface ChainReport {
  ok: boolean;
  records: number;
  sealed: number;
  checkpoints: number;
  lastSeq: number;
  lastHash: string | null;
  firstBroken: { seq: number; id: number | null; reason: string } | null;
  verifiedAt: string;
}

/** 审计记录（body 为参与哈希的完整内容） */
export interface AuditRecord {
  id: number;
  seq: number;
  hash: string;
  body: {
    seq: number;
    at: string;
    kind: string;
    subjectType: string | null;
    subjectId: string | null;
    projectId: number | null;
    actor: { userId: number | null; username: string };
    seal: { keyId: string; signature: string } | null;
    prevHash: string;
    /** 记录的业务内容；待办与状态变更记录的 data.processInstanceKey 为所属流程实例 */
    data?: unknown;
  };
  /** 操作人姓名；系统自动处理为“系统自动” */
  actorName: string;
  /** 记录所属项目的项目编号（XM2026-…） */
  projectNo: string | null;
}

/**
 * GET /api/audit/records 的查询参数：类型来自路由解析用的同一份 schema（contracts/audit.ts）。服务端补默认值
 * （page、pageSize、order），页面可省略任何一项；sealed 按发送的一侧（'true' | 'false'，服务端转为布尔）。
 * kindPrefix 为一类记录：'auth.'、'seal.'…；projectNo 为项目编号（XM2026-…）。
 */
export type AuditRecordQuery = Omit<Partial<z.output<typeof recordsQuery>>, 'sealed'> & Pick<z.input<typeof recordsQuery>, 'sealed'>;

/** 证据包逐条核验结果（与 npm run verify 相同） */
export interface PackageReport {
  ok: boolean;
  platformKeyId: string | null;
  records: Array<{ seq: number; kind: string; sealed: boolean; ok: boolean; reason: string | null }>;
  /** 流程实例证据包中流程引擎的历史记录（平台密钥签署的声明）；项目证据包为 null */
  engine: {
    ok: boolean;
    reason: string | null;
    engine: string | null;
    unavailable: string | null;
    activities: number;
    tasks: number;
    decisions: number;
    incidents: number;
  } | null;
  firstFailure: string | null;
}

/** GET /api/audit/verify：核验整条审计链（记录多时需要一些时间） */
export function verifyChain(options: RequestSignal = {}): Promise<ChainReport> {
  return request<ChainReport>('/api/audit/verify', { signal: options.signal, timeoutMs: 120_000 });
}

/** GET /api/audit/records：审计记录，分页 */
export function listAuditRecords(query: AuditRecordQuery, options: RequestSignal = {}): Promise<Page<AuditRecord>> {
  return request<Page<AuditRecord>>('/api/audit/records', { query: { ...query }, signal: options.signal });
}

/** POST /api/audit/checkpoints：以平台密钥签署当前链头；链为空时无内容（204） */
export function createCheckpoint(): Promise<{ checkpoint: { seq: number; hash: string; at: string } } | null> {
  return request('/api/audit/checkpoints', { method: 'POST', timeoutMs: 30_000 });
}

/** GET /api/projects/:id/evidence：下载项目证据包 */
export function downloadProjectEvidence(projectId: number): Promise<string> {
  return downloadFile(`/api/projects/${projectId}/evidence`);
}

/** POST /api/audit/verify-package：证据包文件原样上传核验（规范形式检查需要原始字节） */
export function verifyPackage(file: Blob): Promise<PackageReport> {
  return request<PackageReport>('/api/audit/verify-package', {
    method: 'POST',
    rawBody: file,
    headers: { 'Content-Type': 'application/octet-stream' },
    timeoutMs: 300_000,
  });
}

type Scalar = string | number | boolean | null;

/** 流程回放中的一步（见 server/audit/replay.ts） */
export interface ReplayStep {
  index: number;
  id: string;
  elementId: string;
  name: string;
  type: string;
  status: 'completed' | 'active' | 'failed' | 'canceled';
  startedAt: string;
  endedAt: string | null;
  actor: string | null;
  decision: string | null;
  decisionLabel: string;
  comment: string | null;
  incident: string | null;
  comments: Array<{ at: string; actor: string; text: string }>;
  variables: Array<{ name: string; type: string; value: Scalar; revision: number; at: string }>;
  decisions: Array<{
    decisionKey: string;
    decisionName: string | null;
    evaluatedAt: string;
    inputs: Array<{ name: string; value: Scalar }>;
    outputs: Array<{ name: string; value: Scalar; ruleId: string | null }>;
    matchedRules: string[];
  }>;
  /** verified 签章核验通过；absent 无签章；broken 记录被修改、删除或签名不符 */
  seal: {
    status: 'verified' | 'absent' | 'broken';
    auditRecordId: number | null;
    recordSeq: number | null;
    verificationCode: string | null;
    reason: string | null;
  };
}

export interface Replay {
  instance: {
    processInstanceKey: string;
    processDefinitionId: string | null;
    processDefinitionKey: string | null;
    version: number | null;
    state: string | null;
    startedAt: string | null;
    endedAt: string | null;
    project: { id: number; projectNo: string; name: string };
  };
  xml: string | null;
  source: 'engine' | 'platform';
  notice: string | null;
  steps: ReplayStep[];
  summary: { steps: number; verified: number; absent: number; broken: number };
}

/** GET /api/processes/instances/:key/replay：流程回放 */
export function getReplay(key: string, options: RequestSignal = {}): Promise<Replay> {
  return request<Replay>(`/api/processes/instances/${encodeURIComponent(key)}/replay`, { signal: options.signal, timeoutMs: 60_000 });
}

/** GET /api/processes/instances/:key/evidence：下载流程实例证据包（npm run verify 可离线核验） */
export function downloadInstanceEvidence(key: string): Promise<string> {
  return downloadFile(`/api/processes/instances/${encodeURIComponent(key)}/evidence`);
}
