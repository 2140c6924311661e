/** Options of the engine's calls (`send`, `history`, `close`), each default documented. */
import type { JsonObject } from './json.js';

export interface SendOptions {
  /** Idempotency key stored with the event. */
  readonly commandId?: string;
  /** JSON object stored with the event and delivered with it. */
  readonly metadata?: JsonObject;
  /** Aborting while the command is still queued removes it (`AbortError`, `executed: false`). */
  readonly signal?: AbortSignal;
}

export interface HistoryOptions {
  /** First version, inclusive. @default 1 */
  readonly from?: number;
  /** Last version, inclusive. @default the latest version when reading starts */
  readonly to?: number;
}

export interface CloseOptions {
  /**
   * How long to wait for accepted work to finish before rejecting the rest with `ShuttingDownError`:
   * whole milliseconds up to 2147483647, or `Infinity` for no limit.
   * @default 30000
   */
  readonly timeoutMs?: number;
}
