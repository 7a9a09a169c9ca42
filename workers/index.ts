import type { JobWorkerDefinition } from './types';
import { platformSmokeCheck } from './platform-smoke-check';

/** Every job worker of the platform. A model check in the tests holds this list against processes/. */
export const allWorkers: JobWorkerDefinition[] = [platformSmokeCheck];
