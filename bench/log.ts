import pino from 'pino';
import type { Logger } from '../server/log';

/** Counting what went wrong while a bench drove the system, and the system's own log. */

/** Errors seen while driving, grouped by what they were. */
export class Tally {
  private readonly counts = new Map<string, number>();
  add(what: string): void {
    this.counts.set(what, (this.counts.get(what) ?? 0) + 1);
  }
  get total(): number {
    return [...this.counts.values()].reduce((a, b) => a + b, 0);
  }
  rows(): Array<{ what: string; count: number }> {
    return [...this.counts.entries()].sort((a, b) => b[1] - a[1]).map(([what, count]) => ({ what: what.slice(0, 160), count }));
  }
}

export const messageOf = (err: unknown): string =>
  (err instanceof Error ? err.message : String(err)).replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<id>');

/** The system's log: echoed to stderr as it is, warnings and errors grouped for the summary. */
export function capturingLogger(level: string): { log: Logger; seen: Tally } {
  const seen = new Tally();
  const log = pino(
    { level, base: {}, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) } },
    {
      write(line: string) {
        process.stderr.write(line);
        try {
          const o = JSON.parse(line) as { level?: string; component?: string; msg?: string; error?: string; err?: { message?: string } };
          if (o.level === 'warn' || o.level === 'error' || o.level === 'fatal')
            seen.add(
              `${o.level} [${o.component ?? ''}] ${o.msg ?? ''}${o.error || o.err?.message ? ` — ${messageOf(o.error ?? o.err?.message)}` : ''}`,
            );
        } catch {
          /* not JSON */
        }
      },
    },
  );
  return { log, seen };
}
