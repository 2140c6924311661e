/** A logger with pino's calling convention that records every call, for tests of what the engine logs. */
export interface LoggedLine {
  readonly level: string;
  readonly fields: Record<string, unknown>;
  readonly message: string;
}

export function recordingLogger() {
  const lines: LoggedLine[] = [];
  const method = (level: string) => (fields: Record<string, unknown>, message: string) => void lines.push({ level, fields, message });
  return { lines, logger: { info: method('info'), warn: method('warn'), error: method('error') } };
}
