/**
 * The domain module: an aggregate's commands, written once and imported by
 * both the main thread (for types and routing) and every shard worker (for
 * validate and emit). Functions cannot cross threads, so the definition
 * records its own module URL and each worker imports that module itself.
 */
import type { JsonObject } from './json.js';
import { ConfigError } from './errors.js';
import { domainProblems, malformedDomain } from './domain-problems.js';

/** Upcasts one stored RFC 6902 patch of an older schema version to the next. */
export type Upcaster = (patch: PatchOperation[], eventName: string) => PatchOperation[];

/** One RFC 6902 operation, as stored in an event. */
export interface PatchOperation {
  readonly op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  readonly path: string;
  readonly value?: unknown;
  readonly from?: string;
}

/**
 * One command of a domain.
 * @typeParam S the aggregate's state
 * @typeParam P the command's payload
 */
export interface CommandDefinition<S extends object, P> {
  /** Name of the event this command produces, for example `OrderCreated`. */
  readonly event: string;
  /** The ID of the aggregate this payload targets. Runs on the main thread, for routing. */
  aggregateId(payload: P): string;
  /**
   * Throw `ValidationError` to reject. `current` is `undefined` when the
   * aggregate has never existed. Must be pure: it runs inside a worker.
   */
  validate?(current: Readonly<S> | undefined, payload: P): void;
  /**
   * Returns the complete next state (a JSON object). `current` is frozen:
   * build a new object instead of mutating it. The returned object is
   * frozen in place and becomes the stored state (it is copied instead when
   * it needs normalising: `undefined` fields, `-0`), so do not keep it to
   * change later.
   */
  emit(current: Readonly<S> | undefined, payload: P): S;
  /** Store a snapshot of the state after this command's event. @default false */
  readonly snapshot?: boolean;
}

/** The command definitions of a domain, one per command type. */
export type CommandDefinitions<S extends object, C extends object> = {
  readonly [K in keyof C & string]: CommandDefinition<S, C[K]>;
};

export interface DomainSpec<S extends object, C extends object> {
  /** The module's own URL: pass `import.meta.url`. Workers import this module. */
  readonly url: string;
  /** The aggregate type, for example `Order`. Unique within its module. */
  readonly aggregate: string;
  /** Version of the state's shape; stored with every event and snapshot. @default 1 */
  readonly schemaVersion?: number;
  /** Upcasters keyed by the schema version they upgrade *from*. */
  readonly upcasters?: Readonly<Record<number, Upcaster>>;
  readonly commands: CommandDefinitions<S, C>;
}

/** A validated domain definition, as returned by {@link defineDomain}. */
export interface Domain<S extends object = JsonObject, C extends object = Record<string, unknown>> {
  readonly url: string;
  readonly aggregate: string;
  readonly schemaVersion: number;
  readonly upcasters: Readonly<Record<number, Upcaster>>;
  readonly commands: CommandDefinitions<S, C>;
  readonly [DOMAIN_BRAND]: true;
}

/** Marks domain objects so a worker can find the definition among a module's exports. */
export const DOMAIN_BRAND: unique symbol = Symbol.for('asynx-ts.domain') as never;

/** The command type names of a domain. */
export type CommandName<D> = D extends Domain<object, infer C> ? keyof C & string : never;
/** The payload type of one command of a domain. */
export type PayloadOf<D, K extends string> = D extends Domain<object, infer C> ? (K extends keyof C ? C[K] : never) : never;
/** The state type of a domain's aggregate. */
export type StateOf<D> = D extends Domain<infer S, object> ? S : never;

/**
 * Defines a domain. Give the state and the payload of every command as type
 * arguments; the engine's `send` is then checked against them. A malformed
 * definition (a command without `emit`, a reserved event name, a `url` that
 * is not a `file:` URL) throws `ConfigError` here, naming every problem;
 * `open` then checks that the module at `url` defines this domain.
 *
 * ```ts
 * export const orders = defineDomain<Order, OrderCommands>({
 *   url: import.meta.url,
 *   aggregate: 'Order',
 *   commands: { CreateOrder: { event: 'OrderCreated', aggregateId: (p) => p.id, emit: (_, p) => ({ ... }) } },
 * });
 * ```
 */
export function defineDomain<S extends object, C extends object>(spec: DomainSpec<S, C>): Domain<S, C> {
  if (typeof spec !== 'object' || spec === null) {
    throw new ConfigError(`defineDomain() needs the domain's definition, an object, got ${spec === null ? 'null' : typeof spec}`);
  }
  const upcasters: unknown = spec.upcasters;
  const domain: Domain<S, C> = Object.freeze({
    url: spec.url,
    aggregate: spec.aggregate,
    schemaVersion: spec.schemaVersion ?? 1,
    // Copied so later changes to the caller's object cannot reach a checked domain; anything else is left for the check to name.
    upcasters: (upcasters === undefined ? Object.freeze({}) : typeof upcasters === 'object' && upcasters !== null ? Object.freeze({ ...upcasters }) : upcasters) as Domain<S, C>['upcasters'],
    commands: spec.commands,
    [DOMAIN_BRAND]: true as const,
  });
  const problems = domainProblems(domain as unknown as Domain<object, object>);
  if (problems.length > 0) throw malformedDomain(spec.aggregate, problems);
  return domain;
}

export function isDomain(value: unknown): value is Domain<object, object> {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[DOMAIN_BRAND] === true;
}
