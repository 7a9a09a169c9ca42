import { z } from 'zod';

/**
 * 试运行接口的应答（/api/designer/trials…）：路由按这些 schema 应答（测试中逐个核对，见
 * server/api/contracts.ts），OpenAPI 文档由它们生成；服务端（server/designer/trial.ts）按 z.infer
 * 的类型构造应答，页面（web/src/api/designer.ts）读同一类型。时间为带 +08:00 的 ISO 8601。
 */
const shanghaiIso = z.string().describe('北京时间 ISO 8601');

/** 待办表单中的一个结论字段及其选项 */
export const trialChoice = z.strictObject({
  field: z.string().describe('表单字段键，如 decision'),
  label: z.string(),
  options: z.array(z.strictObject({ value: z.string(), label: z.string() })),
  visibleWhen: z
    .strictObject({ field: z.string(), equals: z.unknown() })
    .nullable()
    .describe('仅当另一字段取某值时显示（如选“退回”时的“退回至”）；总是显示为 null'),
});

export const trialSummary = z.strictObject({
  trialId: z.string().describe('试运行编号（12 位十六进制）'),
  processId: z.string().describe('试运行的流程标识'),
  startedBy: z.string().describe('发起人用户名'),
  startedAt: shanghaiIso.nullable(),
  expiresAt: shanghaiIso.nullable().describe('到期自动清理的时间'),
  deploymentId: z.string().describe('沙箱部署编号（引擎）'),
});

/** GET /api/designer/trials/{trialId}：沙箱实例的状态，取自引擎的运行时与历史 */
export const trialState = trialSummary.extend({
  definitionId: z.string().describe('沙箱中的流程定义编号'),
  processInstanceId: z.string().nullable().describe('流程实例编号；尚无实例为 null'),
  state: z.string().describe('ACTIVE、COMPLETED、EXTERNALLY_TERMINATED、INTERNALLY_TERMINATED（引擎历史中的状态）；没有实例为 NONE'),
  ended: z.boolean(),
  xml: z.string().describe('沙箱中部署的 BPMN XML'),
  completed: z.array(z.string()).describe('已经过的环节（元素编号）'),
  active: z.array(z.string()).describe('当前所在的环节'),
  failed: z.array(z.string()).describe('出错（有事件）的环节'),
  steps: z.array(
    z.strictObject({
      elementId: z.string(),
      name: z.string().nullable(),
      type: z.string().describe('引擎的环节类型，如 userTask'),
      startedAt: shanghaiIso.nullable(),
      endedAt: shanghaiIso.nullable(),
    }),
  ),
  tasks: z.array(
    z.strictObject({
      taskId: z.string().describe('引擎任务 id'),
      elementId: z.string(),
      name: z.string().nullable(),
      formKey: z.string().nullable(),
      formTitle: z.string().nullable(),
      decisionField: z.string().nullable().describe('表单中的结论字段'),
      choices: z.array(trialChoice),
    }),
  ),
  waiting: z
    .array(z.strictObject({ elementId: z.string(), topic: z.string(), incident: z.string().nullable() }))
    .describe('等待外部任务（试运行工作者）的环节'),
  decisions: z
    .array(
      z.strictObject({
        elementId: z.string().nullable(),
        decisionId: z.string(),
        evaluatedAt: shanghaiIso.nullable(),
        inputs: z.array(z.strictObject({ name: z.string().nullable(), value: z.unknown() })),
        outputs: z.array(z.strictObject({ name: z.string().nullable(), variable: z.string(), value: z.unknown(), ruleId: z.string() })),
      }),
    )
    .describe('DMN 决策的输入、输出与命中规则'),
  incidents: z.array(z.strictObject({ elementId: z.string(), message: z.string().nullable() })),
  timers: z
    .array(
      z.strictObject({
        jobId: z.string().describe('引擎作业编号'),
        elementId: z.string().describe('定时器所在的事件（元素编号）'),
        dueAt: shanghaiIso.nullable().describe('按模型到期的时间'),
      }),
    )
    .describe('实例正在等待的定时器（可在试运行中立即触发）'),
  variables: z.record(z.string(), z.unknown()).describe('流程变量'),
});

/** POST /api/designer/trials/{trialId}/timers/{jobId}/fire：触发后的状态与令牌到达的环节 */
export const trialTimerFired = trialState.extend({
  fired: z.strictObject({
    jobId: z.string(),
    elementId: z.string().describe('触发的定时器事件'),
    movedTo: z
      .array(z.strictObject({ elementId: z.string(), name: z.string().nullable() }))
      .describe('触发后流程所在的环节；流程已结束为空'),
  }),
});

/** GET /api/designer/trials */
export const trialList = z.strictObject({ items: z.array(trialSummary) });

/** GET /api/designer/trials/variables/{processId}：生成的启动变量 */
export const trialStartVariables = z.strictObject({
  processId: z.string(),
  variables: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
});

export type TrialChoice = z.infer<typeof trialChoice>;
export type TrialSummary = z.infer<typeof trialSummary>;
export type TrialState = z.infer<typeof trialState>;
export type TrialList = z.infer<typeof trialList>;
export type TrialTimerFired = z.infer<typeof trialTimerFired>;
export type TrialStartVariables = z.infer<typeof trialStartVariables>;
export type TrialVariables = TrialStartVariables['variables'];
