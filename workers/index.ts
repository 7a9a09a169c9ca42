import type { JobWorkerDefinition } from './types';
import { platformSmokeCheck } from './platform-smoke-check';
import { countersignTally, projectSetStatus, projectSmartCheck } from './project-intake';

/**
 * Every job worker of the platform. A model check in the tests holds this list against processes/.
 * The engine's user-task jobs are not here: server/inbox/user-task-worker.ts keeps them for the inbox.
 */
export const allWorkers: JobWorkerDefinition[] = [platformSmokeCheck, projectSmartCheck, projectSetStatus, countersignTally];
