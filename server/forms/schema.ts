import { z } from 'zod';
import { checkFormValues, type FormDefinition, type FormIssue, type FormValue, type OptionLists } from '../../domain/forms';

/**
 * The zod schema of a form's submitted data, built from its definition. The rules themselves are
 * domain/forms.ts `checkFormValues` (the SPA runs the same ones): unknown keys refused, hidden
 * fields dropped, conditional required, money as integer fen ≥ 0. Issues keep the field keys the
 * SPA shows errors under (key, or key.index.column in a target table); the parsed value is what
 * may go to the engine.
 *
 * `lists`: the run-time option lists (user ids a user-picker may name, codes of the year …) the
 * caller knows; without them picked values are checked for form only.
 */
export function formSchema(definition: FormDefinition, lists: OptionLists = {}): z.ZodType<Record<string, FormValue>> {
  return z.unknown().transform((data, ctx) => {
    const result = checkFormValues(definition, data, lists);
    if (result.ok) return result.values;
    for (const issue of result.issues) ctx.addIssue({ code: 'custom', path: issue.field === '(表单)' ? [] : issue.field.split('.'), message: issue.message });
    return z.NEVER;
  });
}

export type FormValidation = { ok: true; data: Record<string, FormValue> } | { ok: false; issues: FormIssue[] };

/** Runs a form's schema and answers in field keys, ready for errors.validation(issues). */
export function validateWith(definition: FormDefinition, data: unknown, lists?: OptionLists): FormValidation {
  const r = formSchema(definition, lists).safeParse(data);
  if (r.success) return { ok: true, data: r.data };
  return { ok: false, issues: r.error.issues.map((i) => ({ field: i.path.map(String).join('.') || '(表单)', message: i.message })) };
}
