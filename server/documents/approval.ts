import fs from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import type { Knex } from 'knex';
import { decisionLabel } from '../../domain/approval';
import { verificationCode, type AuditRecordBody } from '../../domain/audit-chain';
import { formatWanYuan, formatYuan } from '../../domain/money';
import { toShanghaiIso } from '../../domain/time';
import { errors } from '../errors';
import { PROJECT_ROOT } from '../config';
import { readInstant } from '../db';
import { processModels } from '../engine/models';

/**
 * 审批单: what a completed task decided, as data for the document (text from
 * templates/documents/approval.hbs, drawn by ./pdf.ts). The seal shown is the one in the audit
 * chain — the record written with the completion — never a copy kept elsewhere.
 */
export interface ApprovalDocument {
  taskId: number;
  projectNo: string;
  projectName: string;
  unitName: string;
  fiscalYear: number;
  amount: string;
  amountWan: string;
  processName: string;
  step: string;
  decision: string;
  comment: string | null;
  approverName: string;
  approverOrg: string;
  /** Asia/Shanghai, "2026-11-23 14:05:09". */
  completedAt: string;
  auditRecordId: number | null;
  seq: number | null;
  sealed: boolean;
  keyId: string | null;
  verificationCode: string | null;
}

export async function approvalDocument(db: Knex, taskId: number): Promise<ApprovalDocument> {
  const task = (await db('inbox_tasks as t')
    .join('projects as p', 'p.id', 't.business_id')
    .join('organisations as o', 'o.id', 'p.unit_org_id')
    .leftJoin('users as u', 'u.id', 't.completed_by')
    .leftJoin('organisations as uo', 'uo.id', 'u.org_id')
    .where('t.id', taskId)
    .first(
      't.id',
      't.status',
      't.name',
      't.process_id',
      't.decision',
      't.comment',
      't.completed_at',
      'p.project_no',
      'p.name as project_name',
      'p.fiscal_year',
      'p.total_amount_fen',
      'o.name as unit_name',
      'u.display_name',
      'uo.name as user_org',
    )) as
    | {
        id: number;
        status: string;
        name: string;
        process_id: string;
        decision: string | null;
        comment: string | null;
        completed_at: unknown;
        project_no: string;
        project_name: string;
        fiscal_year: number;
        total_amount_fen: number | string;
        unit_name: string;
        display_name: string | null;
        user_org: string | null;
      }
    | undefined;
  if (!task) throw errors.notFound(`待办 #${taskId} 不存在`);
  if (task.status !== 'completed') throw errors.conflict('TASK_NOT_COMPLETED', '该待办尚未办结，没有审批单');
  const { record, seal } = await completionRecord(db, taskId);
  const total = Number(task.total_amount_fen);
  return {
    taskId: Number(task.id),
    projectNo: task.project_no,
    projectName: task.project_name,
    unitName: task.unit_name,
    fiscalYear: Number(task.fiscal_year),
    amount: formatYuan(total),
    amountWan: formatWanYuan(total),
    processName: processModels().get(task.process_id)?.name ?? task.process_id,
    step: task.name,
    decision: decisionLabel(task.decision) || '已办理',
    comment: task.comment,
    // The sealed payload names the signer as they were when signing.
    approverName: seal?.payload.who.displayName ?? task.display_name ?? '',
    approverOrg: seal?.payload.who.orgName ?? task.user_org ?? '',
    completedAt: toShanghaiIso(readInstant(task.completed_at)).slice(0, 19).replace('T', ' '),
    auditRecordId: record ? Number(record.id) : null,
    seq: record ? Number(record.seq) : null,
    sealed: Boolean(seal),
    keyId: seal?.keyId ?? null,
    verificationCode: seal ? verificationCode(seal.signature) : null,
  };
}

/** The audit record written with a task's completion (its id is in the task's 'completed' event) and its seal. */
async function completionRecord(
  db: Knex,
  taskId: number,
): Promise<{ record: { id: number; seq: number | string } | undefined; seal: AuditRecordBody['seal'] }> {
  const event = (await db('task_events').where({ task_id: taskId, kind: 'completed' }).orderBy('id', 'desc').first('data')) as
    { data: string | null } | undefined;
  const recordId = event?.data ? (JSON.parse(event.data) as { auditRecordId?: unknown }).auditRecordId : undefined;
  const record =
    typeof recordId === 'number'
      ? ((await db('audit_records').where('id', recordId).first('id', 'seq', 'body')) as
          { id: number; seq: number | string; body: string } | undefined)
      : undefined;
  return { record, seal: record ? (JSON.parse(record.body) as AuditRecordBody).seal : null };
}

/** One step of a project's approval sheet: a completed task, with its seal from the audit chain. */
export interface ApprovalStep {
  step: string;
  processName: string;
  decision: string;
  comment: string | null;
  approverName: string;
  approverOrg: string;
  completedAt: string;
  auditRecordId: number | null;
  sealed: boolean;
  verificationCode: string | null;
}

/** 项目审批表: every completed step of every process the project went through, oldest first. */
export interface ProjectApprovalDocument {
  projectNo: string;
  projectName: string;
  unitName: string;
  fiscalYear: number;
  amount: string;
  amountWan: string;
  status: string;
  steps: ApprovalStep[];
  sealedCount: number;
  printedAt: string;
}

export async function projectApprovalDocument(
  db: Knex,
  projectId: number,
  statusLabel: (status: string) => string,
  now = new Date(),
): Promise<ProjectApprovalDocument> {
  const project = (await db('projects as p')
    .join('organisations as o', 'o.id', 'p.unit_org_id')
    .where('p.id', projectId)
    .first('p.project_no', 'p.name', 'p.fiscal_year', 'p.total_amount_fen', 'p.status', 'o.name as unit_name')) as
    | { project_no: string; name: string; fiscal_year: number; total_amount_fen: number | string; status: string; unit_name: string }
    | undefined;
  if (!project) throw errors.notFound(`项目 #${projectId} 不存在`);
  const tasks = (await db('inbox_tasks as t')
    .leftJoin('users as u', 'u.id', 't.completed_by')
    .leftJoin('organisations as uo', 'uo.id', 'u.org_id')
    .where({ 't.business_id': String(projectId), 't.status': 'completed' })
    .orderBy([{ column: 't.completed_at' }, { column: 't.id' }])
    .select(
      't.id',
      't.name',
      't.process_id',
      't.decision',
      't.comment',
      't.completed_at',
      'u.display_name',
      'uo.name as user_org',
    )) as Array<{
    id: number;
    name: string;
    process_id: string;
    decision: string | null;
    comment: string | null;
    completed_at: unknown;
    display_name: string | null;
    user_org: string | null;
  }>;
  const models = processModels();
  const steps: ApprovalStep[] = [];
  for (const t of tasks) {
    const { record, seal } = await completionRecord(db, Number(t.id));
    steps.push({
      step: t.name,
      processName: models.get(t.process_id)?.name ?? t.process_id,
      decision: decisionLabel(t.decision) || '已办理',
      comment: t.comment,
      approverName: seal?.payload.who.displayName ?? t.display_name ?? '',
      approverOrg: seal?.payload.who.orgName ?? t.user_org ?? '',
      completedAt: toShanghaiIso(readInstant(t.completed_at)).slice(0, 16).replace('T', ' '),
      auditRecordId: record ? Number(record.id) : null,
      sealed: Boolean(seal),
      verificationCode: seal ? verificationCode(seal.signature) : null,
    });
  }
  const total = Number(project.total_amount_fen);
  return {
    projectNo: project.project_no,
    projectName: project.name,
    unitName: project.unit_name,
    fiscalYear: Number(project.fiscal_year),
    amount: formatYuan(total),
    amountWan: formatWanYuan(total),
    status: statusLabel(project.status),
    steps,
    sealedCount: steps.filter((x) => x.sealed).length,
    printedAt: toShanghaiIso(now).slice(0, 16).replace('T', ' '),
  };
}

export const DOCUMENT_TEMPLATES_DIR = path.join(PROJECT_ROOT, 'templates', 'documents');
const compiled = new Map<string, HandlebarsTemplateDelegate>();

/** A template of templates/documents/ as lines (see approvalText for the markup). */
export function templateLines(name: string, data: unknown): string[] {
  let t = compiled.get(name);
  if (!t)
    compiled.set(
      name,
      (t = Handlebars.compile(fs.readFileSync(path.join(DOCUMENT_TEMPLATES_DIR, `${name}.hbs`), 'utf8'), {
        strict: false,
        noEscape: true,
      })),
    );
  return t(data)
    .replace(/\r\n/g, '\n')
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '');
}

/**
 * The document's text from its template, as lines of a small markup the renderer lays out:
 * "# " title, "- 标签：值" a row of the details table, "> " a note under the seal, else a subtitle.
 * noEscape: the output is PDF text, not HTML.
 */
export function approvalText(doc: ApprovalDocument): string[] {
  return templateLines('approval', doc);
}

/** The project approval sheet's title, details and notes (the steps are drawn as a table). */
export function projectApprovalText(doc: ProjectApprovalDocument): string[] {
  return templateLines('project-approval', doc);
}
