import { z } from 'zod';
import { PROJECT_STATUSES, STATUS_LABELS, type ProjectStatus } from '../domain/projects';
import { endProcessInstance } from '../server/inbox/intake';
import { notify } from '../server/notifications/service';
import { changeStatus, projectHeader, type Actor } from '../server/projects/service';
import { complete, defineWorker, json } from './types';

/**
 * 项目状态 (project-intake, topic project.set-status): moves the project to the status the step's
 * extension property `status` names (a step the model places before each review and at each end),
 * writes the timeline, ends the lifecycle process where `outcome` is set, and notifies the
 * applicant where `notify` names a template. A status the project already has is left as it is
 * (a review sent back to the step before it within the same stage). Output: nothing.
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
    if (!status || !(PROJECT_STATUSES as readonly string[]).includes(status))
      throw new Error(`step ${task.activityId}: extension property "status" must name a project status`);
    const project = await projectHeader(trx, input.projectId);
    if (!project) throw new Error(`project ${input.projectId} not found`);
    const smartFailed = input.smartOk === false && (input.smartProblems?.length ?? 0) > 0;
    const reason =
      status === 'returned' ? (smartFailed ? `绩效目标不符合要求：${input.smartProblems!.join('；')}` : (input.comment ?? '')) : undefined;
    const actor: Actor = { userId: null, username: `worker:${task.topic}`, displayName: '流程引擎' };
    if (properties.outcome) await endProcessInstance(trx, task.processInstanceId, properties.outcome);
    if (properties.notify && input.applicantUserId) {
      await notify(trx, {
        userIds: [input.applicantUserId],
        template: status === 'returned' && smartFailed ? 'smart-check-failed' : properties.notify,
        context: {
          projectName: project.name,
          projectNo: project.projectNo,
          step: STATUS_LABELS[project.status],
          reason: reason ?? '',
          problems: input.smartProblems ?? [],
        },
        link: `/my-applications?project=${input.projectId}`,
        dedupeKey: `status:${task.id}`,
      });
    }
    // The timeline's audit append last: the chain's head stays locked from it to the commit.
    if (project.status !== status) {
      await changeStatus(trx, actor, input.projectId, status, {
        note: reason || undefined,
        data: { elementId: task.activityId, processInstanceKey: task.processInstanceId },
      });
    }
    return complete({});
  },
});
