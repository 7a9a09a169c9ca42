import type { Router } from 'express';
import { z } from 'zod';
import { FORM_KEY_PATTERN } from '../../domain/forms';
import type { Db } from '../db';
import type { FormRegistry } from '../forms';
import { errors } from '../errors';
import * as contracts from '../../contracts/forms';
import { mountRoutes, routesWith } from './route';

/**
 * Task forms over HTTP: any logged-in user may read a definition (the SPA renders the task page
 * from it; the definition holds no data). A key that cannot name a form is a 404 like an unknown one.
 * Declared once (route.ts): the catalogue, the OpenAPI document and the router read it.
 * Mounted by server/api/app.ts.
 */
export const formParams = z.object({ key: z.string().regex(FORM_KEY_PATTERN).describe('表单名（BPMN 用户任务引用的 form key）') });

type FormDeps = { db: Db; forms: FormRegistry };
const route = routesWith<FormDeps>();

export const formRoutes = [
  route({
    method: 'get',
    path: '/api/forms/{key}',
    summary: '任务表单定义（字段、校验规则、布局）',
    tag: 'forms',
    access: 'login',
    params: formParams,
    notFound: '表单',
    response: contracts.formDefinition,
    description: '提交任务时按同一定义校验数据。',
    handle: ({ deps, params: { key } }) => {
      const definition = deps.forms.get(key);
      if (!definition) throw errors.notFound(`表单 ${key} 不存在`);
      return definition;
    },
  }),
];

export function formsRouter(deps: FormDeps): Router {
  return mountRoutes(deps.db, deps, formRoutes);
}
