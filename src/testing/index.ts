/**
 * `asynx-ts/testing`: given / when / then for a domain's commands, run in the
 * test's own thread without workers or files.
 *
 * ```ts
 * import { given } from 'asynx-ts/testing';
 * given(orderDomain).when('CreateOrder', { id: 'ORD-1', total: 10, items: 1, shipTo: 'Oslo' })
 *   .then({ id: 'ORD-1', status: 'Pending', total: 10, items: 1, ship_to: 'Oslo' });
 * ```
 */
export { DomainAssertionError, Given, When, given } from './given.js';
export type { ErrorClass, GivenCommand, GivenHistory, ProducedEvent } from './given.js';
