import fs from 'node:fs';
import path from 'node:path';
import { definitionProblems, type FormDefinition, type OptionLists } from '../../domain/forms';
import { PROJECT_ROOT } from '../config';
import { formDefinition } from '../../contracts/forms';
import { validateWith, type FormValidation } from './schema';

/**
 * Every form in forms/, loaded and checked once. A definition that does not parse or is not
 * consistent stops start-up: the message names the file and the field, so the form's author
 * knows what to fix before anyone meets the form at a task.
 */
export const FORMS_DIR = path.join(PROJECT_ROOT, 'forms');

export class FormDefinitionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FormDefinitionError';
  }
}

export interface FormRegistry {
  keys(): string[];
  get(key: string): FormDefinition | undefined;
  /** Submitted task data against the form `key`; throws for a key that names no form (a model error). */
  validate(key: string, data: unknown, lists?: OptionLists): FormValidation;
}

/** Reads and checks forms/*.json (or `dir`), file name = form key + .json. */
export function loadForms(dir = FORMS_DIR): FormRegistry {
  const forms = new Map<string, FormDefinition>();
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : [];
  for (const file of files) {
    const where = path.join(path.basename(dir), file);
    let json: unknown;
    try {
      json = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    } catch (e) {
      throw new FormDefinitionError(`表单定义 ${where} 不是有效的 JSON：${e instanceof Error ? e.message : String(e)}`);
    }
    const parsed = formDefinition.safeParse(json);
    if (!parsed.success) {
      const lines = parsed.error.issues.map((i) => `  ${describePath(json, i.path)}：${i.message}`);
      throw new FormDefinitionError(`表单定义 ${where} 有误：\n${lines.join('\n')}`);
    }
    const definition = parsed.data;
    if (`${definition.key}.json` !== file) throw new FormDefinitionError(`表单定义 ${where} 有误：key "${definition.key}" 应与文件名一致（${file.replace(/\.json$/, '')}）`);
    const problems = definitionProblems(definition);
    if (problems.length) throw new FormDefinitionError(`表单定义 ${where} 有误：\n${problems.map((p) => `  字段 ${p.field}：${p.message}`).join('\n')}`);
    forms.set(definition.key, definition);
  }
  return {
    keys: () => [...forms.keys()],
    get: (key) => forms.get(key),
    validate(key, data, lists) {
      const definition = forms.get(key);
      if (!definition) throw new Error(`没有名为 ${key} 的表单（forms/${key}.json）`);
      return validateWith(definition, data, lists);
    },
  };
}

/** "fields[2] (comment).maxLength" — the path zod reports, with the field's key where there is one. */
function describePath(json: unknown, issuePath: ReadonlyArray<PropertyKey>): string {
  if (issuePath.length === 0) return '(表单)';
  let node: unknown = json;
  let text = '';
  for (const part of issuePath) {
    node = typeof node === 'object' && node !== null ? (node as Record<PropertyKey, unknown>)[part] : undefined;
    text += typeof part === 'number' ? `[${part}]` : `${text ? '.' : ''}${String(part)}`;
    const key = typeof node === 'object' && node !== null ? (node as { key?: unknown }).key : undefined;
    if (typeof part === 'number' && typeof key === 'string') text += `（字段 ${key}）`;
  }
  return text;
}

let loaded: FormRegistry | undefined;

/** The forms of this installation, loaded on first use. */
export function formRegistry(): FormRegistry {
  return (loaded ??= loadForms());
}

/** Submitted data against the form `key` (see FormRegistry.validate). */
export function validateFormData(key: string, data: unknown, lists?: OptionLists): FormValidation {
  return formRegistry().validate(key, data, lists);
}
