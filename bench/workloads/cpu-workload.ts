/**
 * The cpu-heavy workloads: signed ledger entries (Ed25519 verify per
 * command) and synthetic burns of a fixed number of microseconds. Commands
 * spread over many aggregates so every shard gets its share.
 */
import { generateKeyPairSync } from 'node:crypto';
import type { BaselineCommand } from '../baselines/single-thread-store.js';
import { signEntry } from '../domains/signed-domain.js';

/** The first is the default. */
export const CPU_WORKLOADS = ['ed25519', 'busy'] as const;

const AGGREGATES = 1000;

/**
 * Signed entries, all signed before timing starts: signing is the client's
 * cost, verifying is the work under test. One key pair for the whole run.
 */
export function signedCommands(count: number): BaselineCommand[] {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return Array.from({ length: count }, (_, i) => ({
    type: 'Record',
    payload: signEntry(privateKey, publicKey, { account: `acct-${i % AGGREGATES}`, amount: 1 + (i % 50), nonce: i + 1 }),
  }));
}

export function busyCommands(count: number, micros: number): BaselineCommand[] {
  return Array.from({ length: count }, (_, i) => ({ type: 'Burn', payload: { id: `burner-${i % AGGREGATES}`, micros, seq: i } }));
}
