import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON lines on stdout, one per event; `msg` says what, fields say which. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
