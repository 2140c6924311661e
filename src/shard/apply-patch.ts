/**
 * Applying stored RFC 6902 patches to states. Written here rather than taken
 * from fast-json-patch, whose prototype guard refuses any path through
 * `constructor/prototype`: those are legal JSON keys, and a state holding
 * them must replay like any other. The guard is not needed for safety
 * either: pointers are followed through a container's own members only, and
 * a `__proto__` token is refused (no state can hold that key, see json.ts),
 * so no patch, even one from a tampered file, reaches a prototype.
 * A `replace` or `remove` of an object member that is missing sets it or
 * does nothing, as fast-json-patch did without validation: patches stored
 * (or upcast) before this applier must keep replaying as they did.
 */
import type { PatchOperation } from '../domain.js';
import type { JsonObject, JsonValue } from '../json.js';
import { jsonEqual } from '../json-equal.js';

type Container = Record<string, unknown> | unknown[];

/** A stored patch that does not apply to the state before it. */
export class PatchApplyError extends Error {}

function unescapeToken(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** The keys of a JSON pointer; most paths have no escapes, and skipping the unescape pass is measurable on replay. */
function pointerKeys(path: string): string[] {
  if (path === '') return [];
  if (path[0] !== '/') throw new PatchApplyError(`${JSON.stringify(path)} is not a JSON pointer`);
  const keys = path.slice(1).split('/');
  const unescaped = path.includes('~') ? keys.map(unescapeToken) : keys;
  if (unescaped.includes('__proto__')) throw new PatchApplyError(`${path} names __proto__, which no state can hold`);
  return unescaped;
}

/** The index `token` names in `items`; `end` is the largest allowed (the length, for an insertion). */
function indexIn(items: unknown[], token: string, path: string, end: number): number {
  const index = token === '-' ? items.length : /^(0|[1-9][0-9]*)$/.test(token) ? Number(token) : -1;
  if (index < 0 || index > end) throw new PatchApplyError(`${path}: no index ${token} in an array of ${items.length}`);
  return index;
}

/** The key of a pointer to a member of the root without escapes, the usual case, or `undefined`. */
function topLevelKey(path: string): string | undefined {
  if (path.length < 2 || path.indexOf('/', 1) !== -1 || path.includes('~') || path[0] !== '/') return undefined;
  const key = path.slice(1);
  if (key === '__proto__') throw new PatchApplyError(`${path} names __proto__, which no state can hold`);
  return key;
}

/** `container`'s own member `token`, or `undefined` when it has none. */
function member(container: Container, token: string, path: string): unknown {
  if (Array.isArray(container)) return container[indexIn(container, token, path, container.length - 1)];
  return Object.hasOwn(container, token) ? container[token] : undefined;
}

/**
 * Applies a patch's operations to a root object, changing it in place. When
 * `shared`, the root is a copy, and the containers on each patched path
 * below it are copied before they change (once each), so the state the
 * root was copied from is left untouched.
 */
class Applier {
  root: JsonObject;
  readonly #shared: boolean;
  /** The containers copied so far, the root included; created only for paths below the top level. */
  #copies: Set<object> | undefined;

  constructor(root: JsonObject, shared: boolean) {
    this.root = root;
    this.#shared = shared;
  }

  apply(op: PatchOperation): void {
    switch (op.op) {
      case 'add':
      case 'replace':
        this.#put(op.path, op.value, op.op === 'add');
        return;
      case 'remove':
        this.#remove(op.path);
        return;
      case 'move': {
        const from = this.#from(op);
        if (op.path.startsWith(`${from}/`)) throw new PatchApplyError(`cannot move ${from} into itself (${op.path})`);
        const value = this.#get(from);
        this.#remove(from);
        this.#put(op.path, value, true);
        return;
      }
      case 'copy':
        this.#put(op.path, structuredClone(this.#get(this.#from(op))), true);
        return;
      case 'test':
        if (!jsonEqual(this.#get(op.path) as JsonValue, op.value as JsonValue)) throw new PatchApplyError(`test of ${op.path} failed`);
        return;
      default:
        throw new PatchApplyError(`unknown operation ${JSON.stringify((op as { op: unknown }).op)}`);
    }
  }

  #from(op: PatchOperation): string {
    if (typeof op.from !== 'string') throw new PatchApplyError(`${op.op} to ${op.path} has no from`);
    return op.from;
  }

  #get(path: string): unknown {
    let value: unknown = this.root;
    for (const key of pointerKeys(path)) {
      if (typeof value !== 'object' || value === null) throw new PatchApplyError(`${path} does not exist`);
      value = member(value as Container, key, path);
    }
    if (value === undefined) throw new PatchApplyError(`${path} does not exist`);
    return value;
  }

  /** The container that holds the last key of `keys`, copied first when copying. */
  #parentOf(keys: readonly string[], path: string): Container {
    let parent: Container = this.root;
    for (let i = 0; i < keys.length - 1; i++) {
      const key = keys[i]!;
      let child = member(parent, key, path);
      if (typeof child !== 'object' || child === null) throw new PatchApplyError(`${path}: ${keys.slice(0, i + 1).join('/')} is not an object or array`);
      if (this.#shared) this.#copies ??= new Set<object>([this.root]);
      if (this.#copies !== undefined && !this.#copies.has(child)) {
        child = Array.isArray(child) ? child.slice() : { ...(child as Record<string, unknown>) };
        this.#copies.add(child as object);
        if (Array.isArray(parent)) parent[Number(key)] = child;
        else parent[key] = child;
      }
      parent = child as Container;
    }
    return parent;
  }

  #put(path: string, value: unknown, insert: boolean): void {
    const top = topLevelKey(path);
    if (top !== undefined) {
      this.root[top] = value as JsonValue;
      return;
    }
    const keys = pointerKeys(path);
    if (keys.length === 0) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new PatchApplyError('the state must stay an object');
      this.root = this.#shared ? { ...(value as JsonObject) } : (value as JsonObject);
      this.#copies = undefined;
      return;
    }
    const parent = this.#parentOf(keys, path);
    const last = keys[keys.length - 1]!;
    if (Array.isArray(parent)) {
      if (insert) parent.splice(indexIn(parent, last, path, parent.length), 0, value);
      else parent[indexIn(parent, last, path, parent.length - 1)] = value;
    } else {
      parent[last] = value;
    }
  }

  #remove(path: string): void {
    const top = topLevelKey(path);
    if (top !== undefined) {
      delete this.root[top];
      return;
    }
    const keys = pointerKeys(path);
    if (keys.length === 0) throw new PatchApplyError('cannot remove the whole state');
    const parent = this.#parentOf(keys, path);
    const last = keys[keys.length - 1]!;
    if (Array.isArray(parent)) {
      parent.splice(indexIn(parent, last, path, parent.length - 1), 1);
    } else {
      delete parent[last];
    }
  }
}

/**
 * Applies `patch` to `state` in place and returns the result. The caller owns
 * `state`: it must be a private, unfrozen copy. Throws {@link PatchApplyError}
 * for a patch that does not apply.
 */
export function applyInPlace(state: JsonObject, patch: readonly PatchOperation[]): JsonObject {
  const applier = new Applier(state, false);
  for (const op of patch) applier.apply(op);
  return applier.root;
}

/**
 * Applies `patch` to `previous` without changing it: only the containers on
 * the patched paths are copied, the rest is shared with `previous`, so this
 * costs the depth of each path instead of a deep copy of the whole state.
 */
export function applyShared(previous: JsonObject | undefined, patch: readonly PatchOperation[]): JsonObject {
  const applier = new Applier(previous === undefined ? {} : { ...previous }, true);
  for (const op of patch) applier.apply(op);
  return applier.root;
}
