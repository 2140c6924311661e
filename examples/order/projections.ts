/**
 * Two projections on the main-thread bus: a reporter that prints every
 * status change, and a notifier that keeps an outbox of customer messages.
 */
import type { StoredEvent } from '../../src/index.js';
import type { Order } from './domain.js';

/** Prints `[EVENT] <name> - Order <id>: <previous status> → <new status>`. */
export function createReporter(write: (line: string) => void): (event: StoredEvent<Order>) => void {
  return (event) => {
    const before = event.previousState?.status ?? '(none)';
    write(`[EVENT] ${event.name} - Order ${event.aggregateId}: ${before} → ${event.state.status}`);
  };
}

export interface Notifier {
  readonly outbox: readonly string[];
  readonly handle: (event: StoredEvent<Order>) => void;
}

export function createNotifier(): Notifier {
  const outbox: string[] = [];
  const messages: Record<string, (id: string) => string[]> = {
    OrderCreated: (id) => [`📧 Confirmation email sent for order ${id}`],
    OrderConfirmed: (id) => [`🎉 Order ${id} confirmed - warehouse notified`],
    OrderShipped: (id) => [`📦 Order ${id} shipped - customer notified`],
  };
  return {
    outbox,
    handle: (event) => {
      outbox.push(...(messages[event.name]?.(event.aggregateId) ?? []));
    },
  };
}
