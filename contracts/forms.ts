import { z } from 'zod';
import { FIELD_KEY_PATTERN, FORM_KEY_PATTERN, type FormDefinition as DomainFormDefinition } from '../domain/forms';

/**
 * The format of forms/*.json, as a zod schema: the JSON shape of each field type. What the shape
 * cannot say (conditions naming earlier fields, defaults obeying the field's own rules, sections
 * covering every field) is domain/forms.ts `definitionProblems`, run by the loader after this.
 *
 * It is also the answer of GET /api/forms/{key} (任务表单定义): the route serves the definition
 * the loader (server/forms/registry.ts) parsed with this very schema, and declares it as its
 * response contract (checked under tests, written into the OpenAPI document); the SPA's type is
 * z.infer of it (web/src/api/forms.ts), which is domain/forms.ts FormDefinition.
 */

const fieldKey = z.string().regex(FIELD_KEY_PATTERN, '字段名应为字母开头的字母和数字（camelCase）');
const label = z.string().trim().min(1).max(100);
const conditionValue = z.union([z.string().max(100), z.number(), z.boolean()]);
const condition = z.union([
  z.object({ field: fieldKey, equals: conditionValue }).strict(),
  z.object({ field: fieldKey, in: z.array(conditionValue).min(1).max(50) }).strict(),
]);
const option = z.object({ value: z.string().min(1).max(100), label }).strict();
const options = z.array(option).min(1).max(200);
const listName = z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, '列表名应为小写字母、数字和 -');
const count = z.number().int().min(0).max(1000);
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, '日期应为 YYYY-MM-DD');
const fen = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const base = {
  key: fieldKey,
  label,
  required: z.boolean().optional(),
  requiredWhen: condition.optional(),
  visibleWhen: condition.optional(),
  placeholder: z.string().max(200).optional(),
  help: z.string().max(500).optional(),
  span: z.number().int().min(1).max(24).optional(),
  messages: z
    .object({
      required: z.string().max(200),
      min: z.string().max(200),
      max: z.string().max(200),
      minLength: z.string().max(200),
      maxLength: z.string().max(200),
    })
    .partial()
    .strict()
    .optional(),
};

const field = z.discriminatedUnion('type', [
  z
    .object({
      ...base,
      type: z.enum(['text', 'textarea']),
      minLength: count.optional(),
      maxLength: z.number().int().min(1).max(100_000).optional(),
      pattern: z
        .object({ regex: z.string().min(1).max(500), message: z.string().min(1).max(200) })
        .strict()
        .optional(),
      default: z.string().max(100_000).optional(),
    })
    .strict(),
  z
    .object({
      ...base,
      type: z.literal('number'),
      min: z.number().optional(),
      max: z.number().optional(),
      integer: z.boolean().optional(),
      unit: z.string().max(20).optional(),
      default: z.number().optional(),
    })
    .strict(),
  z.object({ ...base, type: z.literal('money'), min: fen.optional(), max: fen.optional(), default: fen.optional() }).strict(),
  z.object({ ...base, type: z.literal('date'), min: date.optional(), max: date.optional(), default: date.optional() }).strict(),
  z
    .object({
      ...base,
      type: z.enum(['select', 'radio']),
      options: options.optional(),
      optionsFrom: listName.optional(),
      multiple: z.boolean().optional(),
      default: z.union([z.string(), z.array(z.string())]).optional(),
    })
    .strict(),
  z
    .object({
      ...base,
      type: z.literal('checkbox-group'),
      options: options.optional(),
      optionsFrom: listName.optional(),
      min: count.optional(),
      max: count.optional(),
      default: z.array(z.string()).optional(),
    })
    .strict(),
  z
    .object({
      ...base,
      type: z.literal('switch'),
      activeText: z.string().max(20).optional(),
      inactiveText: z.string().max(20).optional(),
      default: z.boolean().optional(),
    })
    .strict(),
  z
    .object({
      ...base,
      type: z.literal('user-picker'),
      multiple: z.boolean().optional(),
      optionsFrom: listName.optional(),
      min: count.optional(),
      max: count.optional(),
    })
    .strict(),
  z
    .object({ ...base, type: z.literal('code-picker'), codeTable: z.enum(['functional', 'economic']), default: z.string().optional() })
    .strict(),
  z
    .object({
      ...base,
      type: z.literal('performance-targets'),
      min: count.optional(),
      max: count.optional(),
      smart: z.boolean().optional(),
    })
    .strict(),
]);

export const formDefinition: z.ZodType<DomainFormDefinition> = z
  .object({
    key: z.string().regex(FORM_KEY_PATTERN, '表单名应为小写字母、数字和 -'),
    title: label,
    description: z.string().max(2000).optional(),
    fields: z.array(field).min(1).max(200),
    sections: z
      .array(z.object({ title: label, fields: z.array(fieldKey).min(1) }).strict())
      .min(1)
      .optional(),
    decisionField: fieldKey.optional(),
  })
  .strict();

/** The same as domain/forms.ts FormDefinition, which the schema is held to. */
export type FormDefinition = z.infer<typeof formDefinition>;
