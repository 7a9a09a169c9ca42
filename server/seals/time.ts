import { readInstant } from '../db';

/** Instants in signed structures: UTC ISO 8601 with milliseconds (2026-11-23T07:04:05.123Z). */
export function toUtcIso(value: unknown): string {
  return (value instanceof Date ? value : readInstant(value)).toISOString();
}
