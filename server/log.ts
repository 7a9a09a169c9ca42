import pino from 'pino';

/** Structured JSON logs on stdout; one root logger, children per component. */
export type Logger = pino.Logger;

export function createLogger(level: string, component = 'app'): Logger {
  return pino({
    level,
    base: { component },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
