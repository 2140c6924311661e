/**
 * A batch's operations as they cross from the main thread to its shard.
 * Commands travel as one JSON text with their payloads and metadata inlined
 * (both are already the JSON texts `send` checked), so the worker parses the batch
 * once: structured clone of one object per command and a parse per payload
 * cost the worker about twice as much (1.45 against 0.72 µs per command for
 * 250 orders), for the same cost on the main thread. Other operations
 * travel as they are, with their index.
 */
import type { CommandOp, CommandRequest, PackedRequests, ShardOp, ShardRequest } from './protocol.js';

export function packRequests(requests: readonly ShardRequest[]): PackedRequests {
  let commands = '[';
  const others: Array<readonly [number, Exclude<ShardRequest, CommandRequest>]> = [];
  for (let i = 0; i < requests.length; i++) {
    const request = requests[i]!;
    if (request.kind !== 'command') {
      others.push([i, request]);
      continue;
    }
    if (commands.length > 1) commands += ',';
    // Keys in CommandOp's order, so every parsed command has the same shape.
    commands += `{"kind":"command","type":${JSON.stringify(request.type)},"payload":${request.payloadJson},"aggregateId":${JSON.stringify(request.aggregateId)}`;
    if (request.commandId !== undefined) commands += `,"commandId":${JSON.stringify(request.commandId)}`;
    if (request.metadataJson !== undefined) commands += `,"metadata":${request.metadataJson}`;
    commands += '}';
  }
  return { commands: `${commands}]`, others };
}

/**
 * Characters the command's part of {@link packRequests}' text takes at most
 * besides its payload and metadata: the keys, and the type, aggregate ID
 * and command ID as JSON strings (6 characters for an escaped code unit).
 */
function envelopeBound(request: CommandRequest): number {
  return 128 + 6 * (request.type.length + request.aggregateId.length + (request.commandId?.length ?? 0));
}

/**
 * The length of the text {@link packRequests} writes for `request` alone
 * when it could be over `limit` (a batch's text must be one string), else
 * `undefined`: the exact length is counted only for very large commands.
 */
export function packedLengthOver(request: CommandRequest, limit: number): number | undefined {
  const texts = request.payloadJson.length + (request.metadataJson?.length ?? 0);
  if (texts + envelopeBound(request) <= limit) return undefined;
  const envelope: { -readonly [K in keyof CommandRequest]: CommandRequest[K] } = { ...request, payloadJson: '' };
  if (envelope.metadataJson !== undefined) envelope.metadataJson = '';
  const length = packRequests([envelope]).commands.length + texts;
  return length > limit ? length : undefined;
}

/** The batch's operations in order, commands with their payloads parsed. */
export function unpackRequests(packed: PackedRequests): ShardOp[] {
  const commands = JSON.parse(packed.commands) as CommandOp[];
  const ops = new Array<ShardOp>(commands.length + packed.others.length);
  let nextCommand = 0;
  let nextOther = 0;
  for (let i = 0; i < ops.length; i++) {
    const other = packed.others[nextOther];
    if (other !== undefined && other[0] === i) {
      ops[i] = other[1];
      nextOther++;
    } else {
      const command = commands[nextCommand++];
      if (command === undefined) throw new Error(`batch has no operation ${i}`);
      ops[i] = command;
    }
  }
  return ops;
}
