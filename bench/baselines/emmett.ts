/**
 * The Emmett baseline: the same order workload through Emmett's
 * CommandHandler on its SQLite event store (emmett 0.42.0 with
 * emmett-sqlite 0.42.4, installed in bench/peers by `--peers`). Its fastest
 * configuration that commits every event correctly: one shared connection
 * (`singleton` with an ambient connection: without one, Emmett opens a
 * connection per command, about 4× slower) on a database file created in
 * WAL mode beforehand, and
 * commands one at a time — concurrent handling merges transactions and
 * loses orders. SQLite's default synchronous=FULL applies.
 */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { orderDomain, type Order, type OrderCommands } from '../../examples/order/domain.js';
import { LatencyRecorder } from '../stats.js';
import { startTiming, type Timing } from '../timing.js';
import { createOrder, orderId } from '../workloads/order-workload.js';

const PEERS = new URL('../../../bench/peers/node_modules/', import.meta.url);

interface EmmettEvent {
  readonly type: string;
  readonly data: Order;
}

type Handle = (store: unknown, id: string, decide: (state: Order | undefined) => EmmettEvent[]) => Promise<unknown>;

interface EmmettModules {
  readonly CommandHandler: (options: { evolve: (state: Order | undefined, event: EmmettEvent) => Order; initialState: () => Order | undefined }) => Handle;
  readonly getSQLiteEventStore: (options: { fileName: string; connectionOptions: { singleton: true; connection: unknown } }) => {
    close?: () => Promise<void>;
  };
  readonly sqliteConnection: (options: { fileName: string }) => { close: () => void };
}

export function emmettInstalled(): boolean {
  return existsSync(new URL('@event-driven-io/emmett-sqlite/package.json', PEERS));
}

async function loadEmmett(): Promise<EmmettModules> {
  const entry = (name: string): string => pathToFileURL(join(new URL(name, PEERS).pathname, 'dist/index.js')).href;
  const emmett = (await import(entry('@event-driven-io/emmett/'))) as Pick<EmmettModules, 'CommandHandler'>;
  const sqlite = (await import(entry('@event-driven-io/emmett-sqlite/'))) as Pick<EmmettModules, 'getSQLiteEventStore' | 'sqliteConnection'>;
  return { CommandHandler: emmett.CommandHandler, getSQLiteEventStore: sqlite.getSQLiteEventStore, sqliteConnection: sqlite.sqliteConnection };
}

export interface EmmettRun {
  readonly commands: number;
  readonly timing: Timing;
  readonly latency: LatencyRecorder;
}

/** Runs `orders` orders through create, confirm and ship, with the order domain's own validate and emit. */
export async function runEmmett(dir: string, orders: number): Promise<EmmettRun> {
  const { CommandHandler, getSQLiteEventStore, sqliteConnection } = await loadEmmett();
  const fileName = join(dir, 'emmett.db');
  const prepare = new Database(fileName);
  prepare.pragma('journal_mode = WAL');
  prepare.close();
  const connection = sqliteConnection({ fileName });
  const store = getSQLiteEventStore({ fileName, connectionOptions: { singleton: true, connection } });
  const handle = CommandHandler({ evolve: (_state, event) => event.data, initialState: () => undefined });
  const commands = orderDomain.commands;
  const run = <K extends keyof OrderCommands>(type: K, payload: OrderCommands[K]) =>
    handle(store, payload.id, (state) => {
      const command = commands[type] as unknown as {
        event: string;
        validate?: (current: Order | undefined, p: OrderCommands[K]) => void;
        emit: (current: Order | undefined, p: OrderCommands[K]) => Order;
      };
      command.validate?.(state, payload);
      return [{ type: command.event, data: command.emit(state, payload) }];
    });
  const latency = new LatencyRecorder(orders * 3);
  const timed = async (step: () => Promise<unknown>): Promise<void> => {
    const began = performance.now();
    await step();
    latency.record(performance.now() - began);
  };
  const stop = startTiming();
  for (let i = 0; i < orders; i++) {
    const id = orderId(i);
    await timed(() => run('CreateOrder', createOrder(i)));
    await timed(() => run('ConfirmOrder', { id }));
    await timed(() => run('ShipOrder', { id }));
  }
  const timing = stop();
  await store.close?.();
  connection.close();
  const check = new Database(fileName, { readonly: true });
  const stored = (check.prepare('SELECT count(*) AS n FROM emt_messages').get() as { n: number }).n;
  check.close();
  if (stored !== orders * 3) throw new Error(`Emmett stored ${stored} of ${orders * 3} events`);
  return { commands: orders * 3, timing, latency };
}
