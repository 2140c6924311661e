/**
 * How many queued operations a shard takes as its next batch. Besides
 * `maxBatch`, a batch stops at {@link MAX_BATCH_PAYLOAD_CHARS} of payload
 * and metadata JSON: the batch crosses to the worker as one text, and 1,000
 * payloads (or metadata) of the largest allowed size would pass V8's
 * longest string (about 512 Mi characters), failing every command in the
 * batch. A `forget` always travels alone, since its erasure must follow its
 * tombstone's delivery.
 */
import type { ShardRequest } from './protocol.js';

/** Payload and metadata JSON one batch carries at most, in UTF-16 code units; a single larger command still goes, with no other. */
export const MAX_BATCH_PAYLOAD_CHARS = 32 * 1024 * 1024;

export function batchLength(queue: ReadonlyArray<{ readonly op: ShardRequest }>, maxBatch: number, maxPayloadChars = MAX_BATCH_PAYLOAD_CHARS): number {
  const limit = Math.min(maxBatch, queue.length);
  let chars = 0;
  for (let i = 0; i < limit; i++) {
    const op = queue[i]!.op;
    if (op.kind === 'forget') return i === 0 ? 1 : i;
    if (op.kind === 'command') {
      chars += op.payloadJson.length + (op.metadataJson?.length ?? 0);
      if (chars > maxPayloadChars && i > 0) return i;
    }
  }
  return limit;
}
