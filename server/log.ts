import pino from 'pino';

/** Structured JSON logs on stdout; one root logger, children per component. */
export type Logger = pino.Logger;

/** The root logger; components add `component` through `log.child({ component })`. */
export function createLogger(level: string, component?: string): Logger {
  return pino({
    level,
    base: component ? { component } : {},
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
