/**
 * Canonical JSON after RFC 8785 (JSON Canonicalization Scheme), the byte-exact form seals and
 * audit records are hashed and signed in (docs/canonical-form.md):
 * - object members sorted by key, comparing UTF-16 code units (what Array.prototype.sort does);
 * - no whitespace; strings escaped as ECMAScript JSON.stringify does (only ", \, and control
 *   characters; everything else, Chinese included, as itself), encoded UTF-8;
 * - numbers as ECMAScript Number-to-string (RFC 8785 §3.2.2.3, what JSON.stringify prints:
 *   shortest round-trip form, -0 as 0). Money is integer fen, so signed payloads hold integers;
 *   fractions (similarity scores in timeline data) follow the same rule;
 * - undefined, functions, NaN, Infinity, Dates and other non-JSON values are refused rather than
 *   silently dropped or converted: what is signed is exactly what was given.
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export class CanonicalJsonError extends Error {
  constructor(path: string, what: string) {
    super(`canonical JSON: ${what} at ${path || '(root)'}`);
    this.name = 'CanonicalJsonError';
  }
}

export function canonicalJson(value: unknown): string {
  return write(value, '');
}

export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalJson(value), 'utf8');
}

function write(v: unknown, path: string): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(v)) throw new CanonicalJsonError(path, `number ${String(v)} is not finite`);
      return JSON.stringify(v);
    case 'string':
      if (/\p{Surrogate}/u.test(v.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, '')))
        throw new CanonicalJsonError(path, 'lone surrogate in string');
      return JSON.stringify(v);
    case 'object': {
      if (Array.isArray(v)) return `[${v.map((x, i) => write(x, `${path}[${i}]`)).join(',')}]`;
      const proto = Object.getPrototypeOf(v) as unknown;
      if (proto !== Object.prototype && proto !== null) throw new CanonicalJsonError(path, 'not a plain object');
      const keys = Object.keys(v).sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${write((v as Record<string, unknown>)[k], `${path}.${k}`)}`).join(',')}}`;
    }
    default:
      throw new CanonicalJsonError(path, `${typeof v} is not JSON`);
  }
}
