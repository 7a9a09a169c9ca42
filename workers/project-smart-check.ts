import { z } from 'zod';
import { smartProblems } from '../domain/projects';
import { projectTargets } from '../server/projects/service';
import { complete, defineWorker } from './types';

/**
 * 绩效目标 SMART 检查 (project-intake, topic project.smart-check): at least one quantified 产出
 * and one 效益 indicator (domain/projects.ts). Input: projectId. Output: smartOk, smartProblems
 * (the gateway after it reads smartOk; a failure goes back to the applicant with the problems).
 */
export const projectSmartCheck = defineWorker({
  topic: 'project.smart-check',
  description: '检查项目绩效目标是否可量化（SMART）',
  input: z.object({ projectId: z.number().int().positive() }),
  async handle({ projectId }, { trx }) {
    const problems = smartProblems(await projectTargets(trx, projectId));
    return complete({ smartOk: problems.length === 0, smartProblems: problems });
  },
});
