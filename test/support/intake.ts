import type { Db } from '../../server/db';

/**
 * What the intake tests share: calling the API as a logged-in demo person, a valid 第一中学
 * application, and waiting for a project's open task at a step to reach the inbox.
 */

export type ApiCall = (user: string, method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>;

/** Calls `${base}${path}` with the cookie of `user` (a map from user name to session cookie). */
export function apiAs(base: string, cookies: Record<string, string>): ApiCall {
  return async (user, method, path, body) => {
    const res = await fetch(base + path, {
      method,
      headers: { 'content-type': 'application/json', cookie: cookies[user]! },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : null };
  };
}

/** A 第一中学 application (nm_clerk_yz's unit) that passes the SMART check. */
export function demoApplication(name: string, description = '测试申报'): Record<string, unknown> {
  return {
    fiscalYear: 2026,
    name,
    category: '33',
    functionalCode: '2050204',
    description,
    amounts: [{ economicCode: '30213', amountFen: 100_000_00 }],
    targets: [
      { level1: '产出指标', level2: '数量指标', name: '维修面积', direction: '>=', targetValue: '1000', unit: '平方米' },
      { level1: '效益指标', level2: '社会效益指标', name: '受益学生', direction: '>=', targetValue: '800', unit: '人' },
    ],
  };
}

export interface OpenTask {
  taskId: number;
  engineTaskId: string;
  projectId: number;
  processInstanceId: string;
}

/** Files an application as nm_clerk_yz, submits it, and waits for its open task at `elementId`. */
export async function submittedTo(call: ApiCall, db: Db, elementId: string, name: string): Promise<OpenTask> {
  const created = await call('nm_clerk_yz', 'POST', '/projects', demoApplication(name));
  if (created.status !== 201) throw new Error(`POST /projects: ${created.status} ${JSON.stringify(created.body)}`);
  const submitted = await call('nm_clerk_yz', 'POST', `/projects/${created.body.id}/submit`, { version: created.body.version });
  if (submitted.status !== 200) throw new Error(`submit: ${submitted.status} ${JSON.stringify(submitted.body)}`);
  const projectId = Number(created.body.id);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const row = (await db('inbox_tasks').where({ business_id: projectId, element_id: elementId, status: 'open' }).first()) as
      { id: number; engine_task_id: string; process_instance_key: string } | undefined;
    if (row) return { taskId: Number(row.id), engineTaskId: row.engine_task_id, projectId, processInstanceId: row.process_instance_key };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no ${elementId} task for project ${projectId}`);
}
