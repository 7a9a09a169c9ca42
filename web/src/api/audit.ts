import type { z } from 'zod';
import type {
  AuditRecord,
  AuditRecordPage,
  ChainReport,
  PackageReport,
  recordsQuery,
  Replay,
  ReplayStep,
  SignedCheckpoint,
} from '../../../contracts/audit';
import { downloadFile } from './download';
import type { RequestSignal } from './reference';
import { request } from './request';

/** 应答的类型来自 contracts/audit.ts（服务端按同一份 schema 应答，测试中逐个核对）。 */
export type { AuditRecord, ChainReport, PackageReport, Replay, ReplayStep, SignedCheckpoint };

/**
 * GET /api/audit/records 的查询参数：类型来自路由解析用的同一份 schema（contracts/audit.ts）。服务端补默认值
 * （page、pageSize、order），页面可省略任何一项；sealed 按发送的一侧（'true' | 'false'，服务端转为布尔）。
 * kindPrefix 为一类记录：'auth.'、'seal.'…；projectNo 为项目编号（XM2026-…）。
 */
export type AuditRecordQuery = Omit<Partial<z.output<typeof recordsQuery>>, 'sealed'> & Pick<z.input<typeof recordsQuery>, 'sealed'>;

/** GET /api/audit/verify：核验整条审计链（记录多时需要一些时间） */
export function verifyChain(options: RequestSignal = {}): Promise<ChainReport> {
  return request<ChainReport>('/api/audit/verify', { signal: options.signal, timeoutMs: 120_000 });
}

/** GET /api/audit/records：审计记录，分页 */
export function listAuditRecords(query: AuditRecordQuery, options: RequestSignal = {}): Promise<AuditRecordPage> {
  return request<AuditRecordPage>('/api/audit/records', { query: { ...query }, signal: options.signal });
}

/** POST /api/audit/checkpoints：以平台密钥签署当前链头；链为空时无内容（204） */
export function createCheckpoint(): Promise<SignedCheckpoint | null> {
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

/** GET /api/processes/instances/:key/replay：流程回放 */
export function getReplay(key: string, options: RequestSignal = {}): Promise<Replay> {
  return request<Replay>(`/api/processes/instances/${encodeURIComponent(key)}/replay`, { signal: options.signal, timeoutMs: 60_000 });
}

/** GET /api/processes/instances/:key/evidence：下载流程实例证据包（npm run verify 可离线核验） */
export function downloadInstanceEvidence(key: string): Promise<string> {
  return downloadFile(`/api/processes/instances/${encodeURIComponent(key)}/evidence`);
}
