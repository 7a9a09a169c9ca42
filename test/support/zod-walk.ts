import type { z } from 'zod';

/**
 * The leaves of a zod schema as dotted paths with the type at each (objects, unions, arrays,
 * optional/default/nullable wrappers and pipes walked through): which body and query fields of a
 * catalogued route name an object by its id, for the tests derived from the route catalogue.
 */
export interface SchemaField {
  path: string;
  /** The leaf's name: the last path segment. */
  name: string;
  type: string;
}

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  options?: z.ZodType[];
  innerType?: z.ZodType;
  element?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  valueType?: z.ZodType;
}

const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

export function schemaFields(schema: z.ZodType | undefined, prefix = ''): SchemaField[] {
  if (!schema) return [];
  const def = defOf(schema);
  switch (def.type) {
    case 'object':
      return Object.entries(def.shape ?? {}).flatMap(([key, s]) => schemaFields(s, prefix ? `${prefix}.${key}` : key));
    case 'union':
      return (def.options ?? []).flatMap((o) => schemaFields(o, prefix));
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'catch':
    case 'readonly':
      return schemaFields(def.innerType, prefix);
    case 'array':
      return schemaFields(def.element, `${prefix}[]`);
    case 'pipe':
      return schemaFields(def.in, prefix);
    default:
      return prefix ? [{ path: prefix, name: prefix.split('.').pop()!.replace(/\[\]$/, ''), type: def.type }] : [];
  }
}
