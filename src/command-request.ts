/**
 * What `send` checks before a command leaves the caller: the command type,
 * the options, the payload as JSON and the aggregate ID it names; and the
 * request built from them that crosses to the aggregate's shard. Every
 * problem throws a typed error naming the command.
 */
import type { CommandDefinition, Domain } from './domain.js';
import { CommandFailedError, InvalidArgumentError, UnknownCommandError, describeThrown } from './errors.js';
import { checkAggregateId, checkPayload, checkSendOptions, metadataText } from './input-checks.js';
import type { CommandRequest } from './protocol.js';
import { packedLengthOver } from './request-wire.js';
import { MAX_STRING_LENGTH } from './size-limits.js';

export interface CheckedCommand {
  readonly op: CommandRequest;
  readonly signal: AbortSignal | undefined;
}

/** `maxRequestLength`: the longest string a batch's text may be (lower only in tests). */
export function checkCommand(
  domain: Domain<object, object>,
  type: unknown,
  payload: unknown,
  options: unknown,
  maxPayloadBytes: number,
  maxRequestLength = MAX_STRING_LENGTH,
): CheckedCommand {
  const commands = domain.commands as Record<string, CommandDefinition<object, unknown>>;
  if (typeof type !== 'string' || !Object.hasOwn(commands, type)) {
    throw new UnknownCommandError(`unknown command type ${String(type)}; ${domain.aggregate} defines ${Object.keys(commands).join(', ')}`, {
      type: String(type),
    });
  }
  const checked = checkSendOptions(options, type);
  const payloadJson = checkPayload(payload, type, maxPayloadBytes);
  let aggregateId: unknown;
  try {
    aggregateId = commands[type]!.aggregateId(payload);
  } catch (thrown) {
    const { message, stack } = describeThrown(thrown);
    throw new CommandFailedError(`aggregateId() of ${type} threw: ${message}`, { type, cause: message, causeStack: stack ?? null });
  }
  const id = checkAggregateId(aggregateId, `${type}: aggregateId(payload)`);
  // One literal, optional fields added after: objects completed by spreads were measured slow to read.
  const op: { -readonly [K in keyof CommandRequest]: CommandRequest[K] } = { kind: 'command', type, payloadJson, aggregateId: id };
  if (checked.commandId !== undefined) op.commandId = checked.commandId;
  if (checked.metadata !== undefined) op.metadataJson = metadataText(checked.metadata, type, maxPayloadBytes);
  checkRequestLength(op, maxRequestLength);
  return { op, signal: checked.signal };
}

/**
 * Refuses a command too long to cross to its shard: its payload and
 * metadata each fit `maxPayloadBytes`, but a command travels as one string
 * (request-wire.ts), and two texts of the option's largest value can be
 * longer together than V8's longest string (size-limits.ts); sent, it
 * would fail its batch as if the worker had crashed.
 */
function checkRequestLength(op: CommandRequest, maxRequestLength: number): void {
  const length = packedLengthOver(op, maxRequestLength);
  if (length === undefined) return;
  const payloadBytes = Buffer.byteLength(op.payloadJson);
  const metadataBytes = op.metadataJson === undefined ? 0 : Buffer.byteLength(op.metadataJson);
  throw new InvalidArgumentError(
    `${op.type} on ${op.aggregateId}: payload (${payloadBytes} bytes as JSON) and metadata (${metadataBytes} bytes) are too long together: ` +
      `the command would cross to its shard as ${length} characters, over the ${maxRequestLength} of the longest string; nothing was queued`,
    { type: op.type, aggregateId: op.aggregateId, payloadBytes, metadataBytes, requestLength: length, maxRequestLength },
  );
}
