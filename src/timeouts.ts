/**
 * The one rule for every timeout the API takes: a whole number of
 * milliseconds up to {@link MAX_TIMEOUT_MS}, or `Infinity` for no limit
 * where waiting forever makes sense. Node clamps a longer delay to 1 ms
 * (warning only with a TimeoutOverflowWarning), so a larger finite value
 * would fire at once instead of late: it is refused instead.
 */
import { describeValue } from './describe-value.js';
import { ConfigError, InvalidArgumentError } from './errors.js';

/** The longest delay Node's timers keep: 2^31 − 1 ms, about 24.8 days. */
export const MAX_TIMEOUT_MS = 2_147_483_647;

export interface TimeoutRule {
  /** The option's name, for `details.option`. */
  readonly option: string;
  /** How the message names the option (`'close(): timeoutMs'`, `'option batchTimeoutMs'`). */
  readonly what: string;
  readonly min: number;
  /** @default MAX_TIMEOUT_MS */
  readonly max?: number;
  /** Whether `Infinity` (no limit) is accepted. */
  readonly unlimited: boolean;
}

/** `value` when it is a timeout under `rule`, else throws `ErrorClass` naming the option, the range and the value. */
export function checkTimeout(
  value: unknown,
  rule: TimeoutRule,
  ErrorClass: typeof ConfigError | typeof InvalidArgumentError = InvalidArgumentError,
): number {
  const max = Math.min(rule.max ?? MAX_TIMEOUT_MS, MAX_TIMEOUT_MS);
  if (typeof value === 'number' && ((Number.isInteger(value) && value >= rule.min && value <= max) || (rule.unlimited && value === Infinity))) {
    return value;
  }
  const range = `an integer number of milliseconds from ${rule.min} to ${max}${rule.unlimited ? ', or Infinity for no limit' : ''}`;
  throw new ErrorClass(`${rule.what} must be ${range}, got ${describeValue(value)}`, { option: rule.option, min: rule.min, max });
}

/** Calls `onTimeout` after `ms` (never, for `Infinity`); returns the function that cancels it. */
export function startTimeout(ms: number, onTimeout: () => void): () => void {
  if (ms === Infinity) return () => undefined;
  const timer = setTimeout(onTimeout, ms);
  return () => clearTimeout(timer);
}
