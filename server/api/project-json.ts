import { projectActions } from '../../domain/projects';
import { toShanghaiIso } from '../../domain/time';
import type { Principal } from '../auth/service';
import type { ProjectDetail, ProjectSummary } from '../projects/service';

/**
 * A project as every route answers it (contracts/projects.ts): times in Beijing time, and what the
 * reader may do with it (`can`, from domain/projects.ts) — the project library, the task page and
 * 送审 / 撤回 send the same shape.
 */
export function projectSummaryJson(p: ProjectSummary, reader: Principal) {
  return {
    ...p,
    createdAt: toShanghaiIso(p.createdAt),
    updatedAt: toShanghaiIso(p.updatedAt),
    can: projectActions(p.status, reader.permissions.has('projects:write')),
  };
}

export function projectDetailJson(p: ProjectDetail, reader: Principal) {
  return {
    ...projectSummaryJson(p, reader),
    attachments: p.attachments.map((a) => ({ ...a, uploadedAt: toShanghaiIso(a.uploadedAt) })),
    duplicates: p.duplicates.map((d) => ({ ...d, detectedAt: toShanghaiIso(d.detectedAt) })),
    expertReview: p.expertReview && { ...p.expertReview, scoredAt: toShanghaiIso(p.expertReview.scoredAt) },
  };
}
