import type { RouteDoc } from './route-doc';
import { authRoutes } from './auth';
import { healthRoutes } from './health';
import { openApiRoutes } from './openapi-route';
import { projectRoutes } from './projects';
import { projectImportRoutes } from './project-import';
import { quotaRoutes } from './quotas';
import { referenceRoutes } from './reference';
import { referenceExportRoutes } from './reference-exports';
import { taskRoutes } from './tasks';
import { auditRoutes } from './audit';
import { sealRoutes } from './seals';
import { userRoutes } from './users';
import { workbenchRoutes } from './workbench';
import { formRoutes } from './forms';
import { engineRoutes } from './engine';
import { docOf } from './route';
import { designerRoutes } from './designer';
import { expertReviewRoutes } from './expert-review';
import { allocationRoutes } from './allocation';
import { paymentRoutes } from './payments';
import { adjustmentRoutes } from './adjustments';
import { finalAccountRoutes } from './final-accounts';
import { performanceRoutes } from './performance';
import { monitoringRoutes } from './monitoring';
import { treasuryRoutes } from './treasury';

export { TAGS, permissionsOf, routeKey, type Access, type HttpMethod, type RouteDoc, type Tag } from './route-doc';

/**
 * Every API route, once: what it is called, who may call it and the zod schemas its input is
 * parsed with and its answer is held to — each module's declarations (route.ts), the very objects
 * its router is mounted from (mountRoutes), with the handler and middleware left out. Nothing is
 * added here by hand: a new route is one declaration in its module, and a new module one line
 * below. The OpenAPI document (openapi.ts) is built from this list; test/database/openapi.test.ts
 * walks the real Express app to check that every mounted route was mounted from its declaration
 * and that the list and the mounted routes are the same set; test/database/authorization.test.ts
 * calls every route declared with a permission (or 'login') as every role.
 */
export const ROUTE_CATALOGUE: readonly RouteDoc[] = [
  ...healthRoutes.map(docOf),
  ...openApiRoutes.map(docOf),
  ...authRoutes.map(docOf),
  ...sealRoutes.map(docOf),
  ...auditRoutes.map(docOf),
  ...expertReviewRoutes.map(docOf),
  ...userRoutes.map(docOf),
  ...workbenchRoutes.map(docOf),
  ...formRoutes.map(docOf),
  ...engineRoutes.map(docOf),
  ...monitoringRoutes.map(docOf),
  ...performanceRoutes.map(docOf),
  ...paymentRoutes.map(docOf),
  ...treasuryRoutes.map(docOf),
  ...taskRoutes.map(docOf),
  ...adjustmentRoutes.map(docOf),
  ...finalAccountRoutes.map(docOf),
  ...referenceRoutes.map(docOf),
  ...projectImportRoutes.map(docOf),
  ...projectRoutes.map(docOf),
  ...referenceExportRoutes.map(docOf),
  ...quotaRoutes.map(docOf),
  ...allocationRoutes.map(docOf),
  ...designerRoutes.map(docOf),
];
