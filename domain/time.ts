/**
 * Time as the bureaus read it: Asia/Shanghai (UTC+8, no daylight saving since 1991).
 * Instants are stored in UTC; this module only formats them for people and payloads.
 */
export const BUSINESS_TIME_ZONE = 'Asia/Shanghai';
const OFFSET_MS = 8 * 60 * 60 * 1000;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** ISO-8601 with the +08:00 offset, e.g. 2026-11-23T15:04:05.000+08:00. */
export function toShanghaiIso(instant: Date): string {
  if (Number.isNaN(instant.getTime())) throw new RangeError('无效的时间');
  const t = new Date(instant.getTime() + OFFSET_MS);
  return (
    `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}` +
    `T${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())}.${pad(t.getUTCMilliseconds(), 3)}+08:00`
  );
}

/** The calendar date in Shanghai, e.g. 2026-11-23 (what a document's 日期 shows). */
export function shanghaiDate(instant: Date): string {
  return toShanghaiIso(instant).slice(0, 10);
}

/** The fiscal year (预算年度) an instant falls in: the calendar year in Shanghai. */
export function fiscalYearOf(instant: Date): number {
  return Number(toShanghaiIso(instant).slice(0, 4));
}
