/**
 * What `send` checks before a command leaves the caller: the command type,
 * the options, the payload as JSON and the aggregate ID it names; and the
 * request built from them that crosses to the aggregate's shard. Every
 * problem throws a typed error naming the command.
 */
import type { CommandDefinition, Domain } from './domain.js';
import { CommandFailedError, UnknownCommandError, describeThrown } from './errors.js';
import { checkAggregateId, checkPayload, checkSendOptions, metadataText } from './input-checks.js';
import type { CommandRequest } from './protocol.js';

export interface CheckedCommand {
  readonly op: CommandRequest;
  readonly signal: AbortSignal | undefined;
}

export function checkCommand(domain: Domain<object, object>, type: unknown, payload: unknown, options: unknown, maxPayloadBytes: number): CheckedCommand {
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
  return { op, signal: checked.signal };
}
