/**
 * JSON-shaped data: what payloads, states and metadata must be so that they
 * survive storage as JSON and replay to exactly the same value.
 */
import { describeThrown } from './errors.js';

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/**
 * The deepest nesting of objects and arrays accepted in a state, a payload or
 * metadata (`{}` is 1 level, `{ a: [] }` 2). Deeper values are refused where
 * they enter, at `send` or from `emit`: structured clone between threads
 * failed past about 1,800 levels (the post then never arrived, stalling the
 * shard), and a worker with a 1 MB stack could not clone 2,000. 512 leaves
 * room below both.
 */
export const MAX_JSON_DEPTH = 512;

/** Keys of a too-deep value's path worth naming in the error; the rest is elided. */
const DEPTH_PATH_KEYS = 8;

// In 'check' mode nothing is built: these stand for every object and array walked.
const EMPTY_OBJECT: JsonObject = Object.freeze({});
const EMPTY_ITEMS: JsonValue[] = Object.freeze([]) as unknown as JsonValue[];

/** Why a value cannot be stored as JSON, with the path to the offending part. */
export class NotJsonError extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path} ${problem}`);
  }
}

function describeKind(value: unknown): string {
  if (typeof value === 'function') return 'is a function';
  if (typeof value === 'symbol') return 'is a symbol';
  if (typeof value === 'bigint') return 'is a bigint';
  if (value === undefined) return 'is undefined';
  if (typeof value === 'number') return `is ${value}, which JSON cannot carry`;
  const ctor = (value as object).constructor;
  return `is a ${typeof ctor === 'function' && ctor.name ? ctor.name : 'non-plain object'}, not a plain object or array`;
}

/**
 * Returns a deep copy of `value` that is plain JSON: object properties whose
 * value is `undefined` are dropped (as JSON.stringify does), `-0` becomes `0`,
 * and anything JSON would silently change (functions, symbols, bigints,
 * non-finite numbers, Dates, Maps, class instances, cycles, undefined array
 * items, nesting deeper than {@link MAX_JSON_DEPTH}) throws a
 * {@link NotJsonError} naming the path. With `freeze`, every
 * object and array of the copy is frozen.
 */
export function toJson(value: unknown, rootPath: string, freeze = false): JsonValue {
  return walkJson(value, rootPath, freeze ? 'freeze' : 'copy');
}

/**
 * Throws the {@link NotJsonError} that {@link toJson} would, without copying:
 * for a value that is about to be written out with `JSON.stringify`, which
 * then makes the same changes (drops `undefined` properties, writes `-0` as `0`).
 */
export function assertJson(value: unknown, rootPath: string): void {
  let quick: boolean;
  try {
    quick = quickJson(value, false, 0, []);
  } catch {
    // A getter that throws: the full walk names the field.
    quick = false;
  }
  // The full walk only for values the quick test cannot pass: it names the problem.
  if (!quick) walkJson(value, rootPath, 'check');
}

/** Nesting up to which {@link quickJson} answers; deeper values take the full walk. */
const QUICK_DEPTH = 32;

/**
 * The quick walk behind {@link assertJson} and {@link freezeIfCanonical}:
 * whether `value` is JSON that {@link walkJson} would pass, answered without
 * building paths or a set of ancestors (`send` checks every payload on the
 * main thread, and this costs about half of the full walk). With `exact`,
 * also that a copy would not change it (no `undefined` field, no `-0`), and
 * each object and array is frozen once its contents passed. `false` also for
 * values nested deeper than {@link QUICK_DEPTH}, which may well be JSON.
 * `ancestors[0..depth)` are the objects enclosing `value`.
 */
function quickJson(value: unknown, exact: boolean, depth: number, ancestors: object[]): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value) && !(exact && Object.is(value, -0));
    case 'object': {
      if (value === null) return true;
      if (depth >= QUICK_DEPTH) return false;
      for (let i = 0; i < depth; i++) if (ancestors[i] === value) return false;
      ancestors[depth] = value;
      if (Array.isArray(value)) {
        // A hole reads as undefined: only holeless arrays pass.
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i];
          if (item === undefined || !quickJson(item, exact, depth + 1, ancestors)) return false;
        }
      } else {
        const proto: unknown = Object.getPrototypeOf(value);
        if (proto !== Object.prototype && proto !== null) return false;
        // for-in, unlike Object.keys, allocates no array. It would also visit a key made enumerable on
        // Object.prototype: checking that too only sends the value to the full walk, which reads own keys.
        for (const key in value) {
          const field: unknown = (value as Record<string, unknown>)[key];
          if (field === undefined) {
            if (exact) return false;
            continue;
          }
          if (key === '__proto__' || !quickJson(field, exact, depth + 1, ancestors)) return false;
        }
        if (Object.getOwnPropertySymbols(value).length > 0) return false;
      }
      // Frozen containers are walked too: one frozen by its author may hold unfrozen children.
      if (exact) Object.freeze(value);
      return true;
    }
    default:
      return false;
  }
}

/**
 * Freezes `value` in place and returns it when it already is what
 * `toJson(value, path, true)` would return a frozen copy of: plain objects
 * and arrays, finite numbers other than `-0`, no `undefined` anywhere, no
 * cycles, nested at most {@link QUICK_DEPTH}. Otherwise returns `undefined`
 * (some of it may then be frozen already): take the copy, which also names
 * the problem. Emit's state is adopted like this, since copying it cost a
 * shard about 1 µs per command and left as much garbage.
 */
export function freezeIfCanonical(value: object): JsonValue | undefined {
  try {
    return quickJson(value, true, 0, []) ? (value as JsonValue) : undefined;
  } catch {
    // A getter that throws: the copy names the field.
    return undefined;
  }
}

function walkJson(value: unknown, rootPath: string, mode: 'check' | 'copy' | 'freeze'): JsonValue {
  const ancestors = new Set<object>();
  const build = mode !== 'check';
  const freeze = mode === 'freeze';
  // Keys from the root to the value being walked. The path text is only
  // built for an error: building it for every field was most of a walk's cost.
  const trail: Array<string | number> = [];
  const pathOf = (keys: ReadonlyArray<string | number>): string => {
    let path = rootPath;
    for (const key of keys) path += typeof key === 'number' ? `[${key}]` : `.${key}`;
    return path;
  };
  const fail = (problem: string, extra?: string | number): never => {
    throw new NotJsonError(pathOf(extra === undefined ? trail : [...trail, extra]), problem);
  };
  // A path of hundreds of keys would bury the message: the first few locate the value.
  const failTooDeep = (): never => {
    throw new NotJsonError(`${pathOf(trail.slice(0, DEPTH_PATH_KEYS))}…`, `nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep (MAX_JSON_DEPTH)`);
  };
  // A proxy's trap can throw while an object itself is inspected or its keys listed: a problem at the object's path.
  const inspect = <T>(read: () => T): T => {
    try {
      return read();
    } catch (thrown) {
      return fail(`could not be read: ${describeThrown(thrown).message}`);
    }
  };

  function copy(current: unknown): JsonValue {
    switch (typeof current) {
      case 'string':
      case 'boolean':
        return current;
      case 'number':
        if (!Number.isFinite(current)) fail(describeKind(current));
        return current === 0 ? 0 : current;
      case 'object': {
        if (current === null) return null;
        // The trail holds one key per enclosing container, so the depth costs no count of its own.
        if (trail.length >= MAX_JSON_DEPTH) failTooDeep();
        if (ancestors.has(current)) fail('refers back to an enclosing object (a cycle)');
        ancestors.add(current);
        let result: JsonValue;
        if (inspect(() => Array.isArray(current))) {
          const array = current as unknown[];
          const length = inspect(() => array.length);
          const items: JsonValue[] = build ? new Array<JsonValue>(length) : EMPTY_ITEMS;
          for (let i = 0; i < length; i++) {
            const item: unknown = readMember(array, i, fail);
            if (item === undefined) fail('is undefined (or a hole), which JSON cannot carry', i);
            trail.push(i);
            const json = copy(item);
            trail.pop();
            if (build) items[i] = json;
          }
          result = freeze ? Object.freeze(items) as JsonValue[] : items;
        } else {
          const proto: unknown = inspect(() => Object.getPrototypeOf(current));
          if (proto !== Object.prototype && proto !== null) fail(describeKind(current));
          const out: JsonObject = build ? {} : EMPTY_OBJECT;
          for (const key of inspect(() => Object.keys(current))) {
            const field: unknown = readMember(current as Record<string, unknown>, key, fail);
            if (field === undefined) continue;
            // Assigning it would replace the copy's prototype, and JSON patches refuse it.
            if (key === '__proto__') fail('is a key that cannot be stored', key);
            trail.push(key);
            const json = copy(field);
            trail.pop();
            if (build) out[key] = json;
          }
          if (inspect(() => Object.getOwnPropertySymbols(current)).length > 0) fail('has symbol keys, which JSON cannot carry');
          result = freeze ? Object.freeze(out) : out;
        }
        ancestors.delete(current);
        return result;
      }
      default:
        return fail(describeKind(current));
    }
  }

  return copy(value);
}

/** `container[key]`, or a {@link NotJsonError} at that key when reading it throws (a getter, a proxy). */
function readMember(container: Record<string, unknown> | unknown[], key: string | number, fail: (problem: string, extra?: string | number) => never): unknown {
  try {
    return (container as Record<string | number, unknown>)[key];
  } catch (thrown) {
    return fail(`could not be read: ${describeThrown(thrown).message}`, key);
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Freezes `value` and everything reachable from it, in place. */
export function deepFreeze<T extends JsonValue>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
