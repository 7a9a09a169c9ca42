import { Router } from 'express';
import { z } from 'zod';
import { FORM_KEY_PATTERN } from '../../domain/forms';
import type { Db } from '../db';
import { requireLogin } from '../auth/middleware';
import type { FormRegistry } from '../forms';
import { errors } from '../errors';

/**
 * Task forms over HTTP: any logged-in user may read a definition (the SPA renders the task page
 * from it; the definition holds no data). Mounted by server/api/app.ts.
 */
export const formParams = z.object({ key: z.string().regex(FORM_KEY_PATTERN).describe('表单名（BPMN 用户任务引用的 form key）') });

export function formsRouter({ db, forms }: { db: Db; forms: FormRegistry }): Router {
  const router = Router();
  router.get('/forms/:key', requireLogin(db), (req, res) => {
    const definition = forms.get(String(req.params.key));
    if (!definition) throw errors.notFound(`表单 ${String(req.params.key)} 不存在`);
    res.json(definition);
  });
  return router;
}
