/**
 * The logger hook: any pino-compatible logger (pino, bunyan-style, or an
 * object with the same methods). Nothing is logged unless one is given; log
 * calls happen on the main thread only, never inside shard workers.
 */

/** A log method: structured fields first, then the message (pino's calling convention). */
export type LogMethod = (fields: Record<string, unknown>, message: string) => void;

export interface Logger {
  readonly info: LogMethod;
  readonly warn: LogMethod;
  readonly error: LogMethod;
  readonly debug?: LogMethod;
}

export const silentLogger: Logger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

export function isLogger(value: unknown): value is Logger {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return ['info', 'warn', 'error'].every((level) => typeof candidate[level] === 'function');
}
