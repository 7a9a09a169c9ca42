import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import express, { type Express } from 'express';
import { PROJECT_ROOT } from '../config';
import type { Logger } from '../log';
import { authRouter } from './auth';
import { projectImportRouter } from './project-import';
import { projectsRouter } from './projects';
import { quotasRouter } from './quotas';
import { usersRouter } from './users';
import { tasksRouter } from './tasks';
import { auditRouter } from './audit';
import { sealsRouter } from './seals';
import { DatabaseKeyStore } from '../seals/key-store';
import { referenceRouter } from './reference';
import { referenceExportsRouter } from './reference-exports';
import type { ExportLimits } from './excel-export';
import { engineRouter } from './engine';
import { expertReviewRouter } from './expert-review';
import { allocationRouter } from './allocation';
import { paymentsRouter } from './payments';
import { fieldKeyring } from '../crypto/keyring';
import { adjustmentRouter } from './adjustments';
import { finalAccountsRouter } from './final-accounts';
import { performanceRouter } from './performance';
import { monitoringRouter } from './monitoring';
import { BANK_NOTICE_PATH, treasuryRouter, type RawBodyRequest } from './treasury';
import { formsRouter } from './forms';
import { designerRouter } from './designer';
import { formRegistry, type FormRegistry } from '../forms';
import { errorHandler, notFoundHandler } from './errors';
import { responseContracts } from './contracts';
import { inputHygiene, verifyUtf8 } from './input-hygiene';
import { sameOriginWrites, securityHeaders } from './security';
import { healthRouter, type HealthDeps } from './health';
import { workbenchRouter } from './workbench';
import { buildOpenApiDocument } from './openapi';
import { openApiRouter } from './openapi-route';

export const WEB_DIST = path.join(PROJECT_ROOT, 'web', 'dist');

/**
 * exportLimits: the Excel export cap (tests set it low instead of inserting 50,000 rows).
 * forms: the task forms (default: forms/*.json, loaded once; a broken definition throws here).
 */
export function createApp(deps: HealthDeps & { log: Logger; exportLimits?: ExportLimits; forms?: FormRegistry }): Express {
  const forms = deps.forms ?? formRegistry();
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');

  app.use((req, res, next) => {
    const requestId = (req.headers['x-request-id'] as string | undefined)?.slice(0, 64) || crypto.randomUUID();
    res.setHeader('x-request-id', requestId);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      if (!req.path.startsWith('/api/')) return;
      deps.log.info(
        {
          requestId,
          method: req.method,
          url: req.originalUrl,
          status: res.statusCode,
          ms: Number(process.hrtime.bigint() - started) / 1e6,
        },
        'request',
      );
    });
    next();
  });

  app.use(securityHeaders());

  const keyStore = new DatabaseKeyStore(deps.db, deps.config.sealSecret, { unlockMinutes: deps.config.sealUnlockMinutes });
  const api = express.Router();
  // A write sent by another origin's page is refused before its body is read.
  api.use(sameOriginWrites());
  api.use(
    express.json({
      limit: '1mb',
      verify: (req, res, buf) => {
        verifyUtf8(req, res, buf);
        // The bank signs the exact bytes of its notices (server/api/treasury.ts checks them).
        if (req.url?.startsWith(BANK_NOTICE_PATH)) (req as RawBodyRequest).rawBody = buf;
      },
    }),
  );
  // Before every router: text no one can have typed is a 400 here, not a 500 deep in a use case.
  api.use(inputHygiene());
  // Under tests every success answer is held to its declared contract (contracts/).
  api.use(responseContracts(deps.config, deps.log));
  api.use(healthRouter(deps));
  api.use(workbenchRouter(deps));
  // Every route is declared once and collected by catalog.ts (test/database/openapi.test.ts checks
  // that each route mounted here comes from its declaration).
  api.use(openApiRouter({ db: deps.db, document: buildOpenApiDocument(deps.version) }));
  api.use(authRouter({ db: deps.db, config: deps.config }));
  api.use(engineRouter({ engine: deps.engine, db: deps.db, namespace: deps.config.engine.namespace }));
  // Reference data (declared with their access: reading needs reference:read, importing code tables codes:import).
  api.use(referenceExportsRouter({ db: deps.db, exportLimits: deps.exportLimits }));
  api.use(referenceRouter({ db: deps.db }));
  api.use(quotasRouter({ db: deps.db, exportLimits: deps.exportLimits, keyStore }));
  api.use(projectImportRouter({ db: deps.db })); // before /projects/:id
  api.use(projectsRouter({ db: deps.db, exportLimits: deps.exportLimits }));
  api.use(usersRouter({ db: deps.db, exportLimits: deps.exportLimits, secondFactorRoles: deps.config.secondFactorRoles }));
  api.use(formsRouter({ db: deps.db, forms }));
  api.use(tasksRouter({ db: deps.db, engine: deps.engine, namespace: deps.config.engine.namespace, keyStore, log: deps.log }));
  api.use(
    expertReviewRouter({
      db: deps.db,
      engine: deps.engine,
      namespace: deps.config.engine.namespace,
      keyStore,
      exportLimits: deps.exportLimits,
      fieldKeys: fieldKeyring(deps.config),
    }),
  );
  api.use(allocationRouter({ db: deps.db, engine: deps.engine, namespace: deps.config.engine.namespace, keyStore }));
  api.use(
    paymentsRouter({
      db: deps.db,
      engine: deps.engine,
      namespace: deps.config.engine.namespace,
      keyStore,
      fieldKeys: fieldKeyring(deps.config),
    }),
  );
  api.use(adjustmentRouter({ db: deps.db, engine: deps.engine, namespace: deps.config.engine.namespace, keyStore }));
  api.use(finalAccountsRouter({ db: deps.db, engine: deps.engine, namespace: deps.config.engine.namespace, keyStore }));
  api.use(
    performanceRouter({
      db: deps.db,
      engine: deps.engine,
      namespace: deps.config.engine.namespace,
      keyStore,
      log: deps.log,
      exportLimits: deps.exportLimits,
    }),
  );
  api.use(
    monitoringRouter({ db: deps.db, engine: deps.engine, namespace: deps.config.engine.namespace, rule: deps.config.executionDeviation }),
  );
  api.use(treasuryRouter({ db: deps.db, engine: deps.engine, config: deps.config, keyStore }));
  api.use(sealsRouter({ db: deps.db, keyStore, sealSecret: deps.config.sealSecret }));
  api.use(
    designerRouter({
      db: deps.db,
      engine: deps.engine,
      forms,
      namespace: deps.config.engine.namespace,
      historyTtlDays: deps.config.engine.historyTtlDays,
    }),
  );
  api.use(auditRouter({ db: deps.db, engine: deps.engine, sealSecret: deps.config.sealSecret }));
  api.use(notFoundHandler);
  app.use('/api', api);

  // The SPA: built assets, and index.html for every other GET so client-side routes work.
  app.use(express.static(WEB_DIST, { index: false, maxAge: '1h' }));
  app.get(/^(?!\/api\/).*/, (_req, res) => {
    const index = path.join(WEB_DIST, 'index.html');
    if (fs.existsSync(index)) return res.sendFile(index);
    res.status(503).type('text/plain; charset=utf-8').send('前端页面尚未构建，请运行 npm run build:web（npm start 会自动构建）');
  });

  app.use(errorHandler(deps.log));
  return app;
}
