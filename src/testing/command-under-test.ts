/**
 * One command run the way a shard runs it, for `asynx-ts/testing`: the
 * payload through JSON, `aggregateId`, `validate` and `emit` against a
 * frozen state (shared with the shard: `decide`), the emitted state
 * normalised, the change diffed into the patch that would be stored, a
 * refusal in the form `send`'s caller gets it; and the check that the
 * stored patch replays to the emitted state.
 */
import type { CommandDefinition, Domain, PatchOperation } from '../domain.js';
import { CommandFailedError, UnknownCommandError, describeThrown, fromWire, isAsynxError, toWire, type AsynxError } from '../errors.js';
import { checkAggregateId, checkPayload } from '../input-checks.js';
import type { JsonObject, JsonValue } from '../json.js';
import { decide } from '../shard/decide.js';
import { applyInPlace, diffStates, mutableCopy } from '../shard/patching.js';
import { jsonDifferences, jsonEqual, renderJson } from './json-diff.js';

/** The event a command produced under test, as the shard would store and deliver it. */
export interface ProducedEvent<S extends object> {
  /** The event name: the command definition's `event`. */
  readonly name: string;
  /** The command type that produced it. */
  readonly command: string;
  readonly aggregateId: string;
  /** 1 for a new aggregate; each given command counts one version, a given state counts as version 1. */
  readonly version: number;
  /** The emitted state, normalised to JSON (and frozen, as subscribers receive it). */
  readonly state: S;
  readonly previousState: S | undefined;
  /** The RFC 6902 patch the shard would store: previous state (or `{}`) → state. */
  readonly patch: readonly PatchOperation[];
}

/** The aggregate before the command: its state and version. */
export interface Current {
  readonly state: JsonObject;
  readonly version: number;
}

/** What one command did: the event it produced, or why it was refused. */
export type Outcome =
  | { readonly ok: true; readonly event: ProducedEvent<JsonObject> }
  | { readonly ok: false; readonly error: AsynxError };

function commandsOf(domain: Domain<object, object>): Record<string, CommandDefinition<object, unknown>> {
  return domain.commands as Record<string, CommandDefinition<object, unknown>>;
}

export function describeError(error: AsynxError): string {
  return `${error.name} [${error.code}] ${error.message}`;
}

/**
 * Runs one command against `current` as a shard would; never throws for what
 * the domain does. `onRouted` sees the aggregate ID before validate runs.
 */
export function execute(
  domain: Domain<object, object>,
  current: Current | undefined,
  type: string,
  payload: unknown,
  onRouted?: (aggregateId: string) => void,
): Outcome {
  const commands = commandsOf(domain);
  const definition = Object.hasOwn(commands, type) ? commands[type] : undefined;
  if (definition === undefined) {
    return {
      ok: false,
      error: new UnknownCommandError(`unknown command type ${type}; ${domain.aggregate} defines ${Object.keys(commands).join(', ')}`, { type }),
    };
  }
  let json: JsonValue;
  let aggregateId: string;
  try {
    json = JSON.parse(checkPayload(payload, type, Number.POSITIVE_INFINITY)) as JsonValue;
    let id: unknown;
    try {
      id = definition.aggregateId(json);
    } catch (thrown) {
      const { message, stack } = describeThrown(thrown);
      throw new CommandFailedError(`aggregateId() of ${type} threw: ${message}`, { type, cause: message, causeStack: stack ?? null });
    }
    aggregateId = checkAggregateId(id, `${type}: aggregateId(payload)`);
  } catch (thrown) {
    if (isAsynxError(thrown)) return { ok: false, error: thrown };
    throw thrown;
  }
  onRouted?.(aggregateId);
  const decision = decide(definition, type, aggregateId, current?.state, json);
  // A shard's refusal reaches send's caller through the wire form, details made plain data (a Date as ISO text): so here too.
  if (!decision.ok) return { ok: false, error: fromWire(toWire(decision.error)) };
  const state = decision.state;
  return {
    ok: true,
    event: {
      name: definition.event,
      command: type,
      aggregateId,
      version: (current?.version ?? 0) + 1,
      state,
      previousState: current?.state,
      patch: diffStates(current?.state, state),
    },
  };
}

/**
 * Why the stored form of `event` would not rebuild its state, or `undefined`
 * when it does: the patch goes through JSON text (as in the shard file) and
 * is applied to a copy of the previous state (or `{}`), as hydration does.
 * Exported for the helpers' own tests; not part of `asynx-ts/testing`.
 */
export function replayProblem(event: ProducedEvent<JsonObject>): string | undefined {
  let rebuilt: JsonObject;
  try {
    const stored = JSON.parse(JSON.stringify(event.patch)) as PatchOperation[];
    rebuilt = applyInPlace(event.previousState === undefined ? {} : mutableCopy(event.previousState), stored);
  } catch (thrown) {
    return `applying the stored patch to the previous state fails: ${describeThrown(thrown).message}`;
  }
  if (jsonEqual(event.state, rebuilt)) return undefined;
  return [
    'the stored patch does not rebuild the emitted state (replaying this aggregate would give another state):',
    ...jsonDifferences(event.state, rebuilt).map((line) => `  ${line}`),
    `  patch: ${renderJson(event.patch as unknown as JsonValue)}`,
  ].join('\n');
}
