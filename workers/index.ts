import type { WorkerStarter } from '../server/system';
import { startWorkers, type RuntimeOptions } from './runtime';
import type { ExternalTaskWorker } from './types';
import { platformSmokeCheck } from './platform-smoke-check';
import { countersignPrepare } from './countersign-prepare';
import { countersignTally } from './countersign-tally';
import { projectSetStatus } from './project-set-status';
import { projectSmartCheck } from './project-smart-check';
import { expertReviewLoadPanel } from './expert-review-load-panel';
import { expertReviewReplace } from './expert-review-replace';
import { expertReviewCollect } from './expert-review-collect';
import { expertReviewAggregate } from './expert-review-aggregate';
import { expertReviewRecordResult } from './expert-review-record-result';
import { expertReviewPublish } from './expert-review-publish';
import { allocationRecordChain } from './allocation-record-chain';
import { allocationIssue } from './allocation-issue';
import { allocationReturn } from './allocation-return';
import { paymentRiskCheck } from './payment-risk-check';
import { paymentApproved } from './payment-approved';
import { paymentToTreasury } from './payment-to-treasury';
import { paymentRelease } from './payment-release';
import { adjustmentRecordChain } from './adjustment-record-chain';
import { adjustmentPost } from './adjustment-post';
import { adjustmentReject } from './adjustment-reject';
import { finalAccountsClose } from './final-accounts-close';
import {
  performanceDrawExperts,
  performanceExternalAggregate,
  performanceRecordGrade,
  performanceReturned,
  performanceScore,
} from './performance-evaluation';
import { monitoringOpenQuarter } from './monitoring-open-quarter';
import { monitoringStartReports } from './monitoring-start-reports';
import { monitoringClaimReport } from './monitoring-claim-report';
import { monitoringAssess } from './monitoring-assess';
import { treasurySend } from './treasury-send';
import { treasuryQuery } from './treasury-query';
import { treasurySettle } from './treasury-settle';

/**
 * Every external-task worker of the platform, one per topic. A model check in the tests holds this
 * list against processes/. User tasks are the engine's own; server/inbox/sync.ts projects them.
 */
export const allWorkers: ExternalTaskWorker[] = [
  platformSmokeCheck,
  projectSmartCheck,
  projectSetStatus,
  countersignPrepare,
  countersignTally,
  expertReviewLoadPanel,
  expertReviewReplace,
  expertReviewCollect,
  expertReviewAggregate,
  expertReviewRecordResult,
  expertReviewPublish,
  allocationRecordChain,
  allocationIssue,
  allocationReturn,
  paymentRiskCheck,
  paymentApproved,
  paymentToTreasury,
  paymentRelease,
  adjustmentRecordChain,
  adjustmentPost,
  adjustmentReject,
  finalAccountsClose,
  performanceScore,
  performanceReturned,
  performanceDrawExperts,
  performanceExternalAggregate,
  performanceRecordGrade,
  monitoringOpenQuarter,
  monitoringStartReports,
  monitoringClaimReport,
  monitoringAssess,
  treasurySend,
  treasuryQuery,
  treasurySettle,
];

/** The platform's workers as the system starts them (server/system.ts takes this from the entry points). */
export function platformWorkers(defs: ExternalTaskWorker[] = allWorkers, options: RuntimeOptions = {}): WorkerStarter {
  return ({ engine, db, log, config, onAdvanced }) => startWorkers(defs, { client: engine, db, log, config, onAdvanced }, options);
}
