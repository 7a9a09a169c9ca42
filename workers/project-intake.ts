import { z } from 'zod';
import { COUNTERSIGN_RULES, tallyCountersign } from '../domain/approval';
import { PROJECT_STATUSES, smartProblems, STATUS_LABELS, type Direction, type ProjectStatus } from '../domain/projects';
import { closeTask, writeTaskEvent, SYSTEM_ACTOR } from '../server/inbox/tasks';
import { notify } from '../server/notifications/service';
import { changeStatus, type Actor } from '../server/projects/service';
import { complete, defineWorker, json } from './types';

/**
 * The automated steps of the intake review (processes/project-intake.bpmn). Each runs in the
 * runtime's transaction with the job's outcome, so a redelivered job changes nothing twice.
 */

const engineActor = (type: string): Actor => ({ userId: null, username: `worker:${type}`, displayName: '流程引擎' });

/** 绩效目标 SMART 检查: at least one quantified 产出 and one 效益 indicator (domain/projects.ts). */
export const projectSmartCheck = defineWorker({
  topic: 'project.smart-check',
  description: '检查项目绩效目标是否可量化（SMART）',
  input: z.object({ projectId: z.number().int().positive() }),
  async handle({ projectId }, { trx }) {
    const targets = (await trx('project_targets').where('project_id', projectId).orderBy('seq')) as Array<{ level1: string; level2: string; name: string; direction: string; target_value: string; unit: string }>;
    const problems = smartProblems(targets.map((t) => ({ level1: t.level1, level2: t.level2, name: t.name, direction: t.direction as Direction, targetValue: t.target_value, unit: t.unit })));
    return complete({ smartOk: problems.length === 0, smartProblems: problems });
  },
});

/**
 * Moves the project to the status the step's header names (a step the model places before each
 * review and at each end), writes the timeline, and notifies the applicant where the header
 * `notify` names a template. A status the project already has is left as it is (a review sent
 * back to the step before it within the same stage).
 */
export const projectSetStatus = defineWorker({
  topic: 'project.set-status',
  properties: ['status'],
  description: '按流程环节更新项目状态并通知申报人',
  input: z.object({
    projectId: z.number().int().positive(),
    applicantUserId: z.number().int().positive().optional(),
    smartOk: z.boolean().nullish(),
    smartProblems: json(z.array(z.string()).nullish()),
    comment: z.string().nullish(),
  }),
  async handle(input, { trx, properties, task }) {
    const status = properties.status as ProjectStatus | undefined;
    if (!status || !(PROJECT_STATUSES as readonly string[]).includes(status)) throw new Error(`step ${task.activityId}: extension property "status" must name a project status`);
    const row = (await trx('projects').where('id', input.projectId).first('status', 'name', 'project_no')) as { status: ProjectStatus; name: string; project_no: string } | undefined;
    if (!row) throw new Error(`project ${input.projectId} not found`);
    const smartFailed = input.smartOk === false && (input.smartProblems?.length ?? 0) > 0;
    const reason = status === 'returned' ? (smartFailed ? `绩效目标不符合要求：${input.smartProblems!.join('；')}` : (input.comment ?? '')) : undefined;
    if (row.status !== status) {
      await changeStatus(trx, engineActor(task.topic), input.projectId, status, { note: reason || undefined, data: { elementId: task.activityId, processInstanceKey: task.processInstanceId } });
    }
    if (properties.outcome) {
      await trx('process_instances').where({ process_instance_key: task.processInstanceId }).update({ status: 'completed', outcome: properties.outcome, ended_at: new Date() });
    }
    if (properties.notify && input.applicantUserId) {
      const template = status === 'returned' && smartFailed ? 'smart-check-failed' : properties.notify;
      await notify(trx, {
        userIds: [input.applicantUserId],
        template,
        context: { projectName: row.name, projectNo: row.project_no, step: STATUS_LABELS[row.status], reason: reason ?? '', problems: input.smartProblems ?? [] },
        link: `/my-applications?project=${input.projectId}`,
        dedupeKey: `status:${task.id}`,
      });
    }
    return complete({});
  },
});

/**
 * 准备会签: the engine's multi-instance needs a count and the people as scalars (it has no JSON
 * lists, see server/engine/client.ts), and the votes start at zero; the engine counts them as each
 * countersigner completes (task listeners in the model).
 */
export const countersignPrepare = defineWorker({
  topic: 'approval.countersign-prepare',
  description: '整理会签人名单（人数、用户编号），票数清零',
  input: z.object({ countersigners: json(z.array(z.coerce.number().int().positive()).min(1)) }),
  async handle({ countersigners }) {
    const unique = [...new Set(countersigners)];
    return complete({ countersignerCount: unique.length, countersignerIds: unique.join(','), csApprovals: 0, csRejections: 0 });
  },
});

/**
 * 会签计票: decides the countersign from the engine's counts (domain/approval.ts) and closes the
 * countersign tasks the engine ended early (a decided "any" or "all" does not wait for the rest).
 */
export const countersignTally = defineWorker({
  topic: 'approval.countersign-tally',
  description: '会签计票，并关闭已无需办理的会签待办',
  input: z.object({
    countersignRule: z.enum(COUNTERSIGN_RULES),
    countersignerCount: z.coerce.number().int().min(1),
    csApprovals: z.coerce.number().int().min(0),
    csRejections: z.coerce.number().int().min(0),
  }),
  async handle({ countersignRule, countersignerCount, csApprovals, csRejections }, { trx, task }) {
    const votes = [...Array<'approve'>(csApprovals).fill('approve'), ...Array<'reject'>(csRejections).fill('reject')];
    const tally = tallyCountersign(countersignRule, countersignerCount, votes);
    const leftOpen = (await trx('inbox_tasks').where({ process_instance_key: task.processInstanceId, element_id: 'Countersign', status: 'open' }).select('id')) as Array<{ id: number }>;
    for (const t of leftOpen) {
      await closeTask(trx, Number(t.id), 'canceled');
      await writeTaskEvent(trx, Number(t.id), SYSTEM_ACTOR, { kind: 'canceled', comment: '会签已有结果，本意见无需再提交' });
    }
    return complete({ countersignPassed: tally.passed === true, countersignTally: { approvals: tally.approvals, rejections: tally.rejections } });
  },
});
