/**
 * A CPU-heavy domain with real work: every command carries an Ed25519
 * signature over its fields and the signer's public key (SPKI DER, base64),
 * and validate verifies it with node:crypto. The worker needs nothing but
 * the payload, which is why the key travels with it.
 */
import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { ValidationError, defineDomain } from '../../src/index.js';

export interface Ledger {
  readonly id: string;
  readonly entries: number;
  readonly balance: number;
  readonly lastNonce: number;
}

export interface SignedEntry {
  readonly account: string;
  readonly amount: number;
  readonly nonce: number;
  /** The signer's public key, SPKI DER as base64. */
  readonly publicKey: string;
  /** Ed25519 signature of {@link signedText}, base64. */
  readonly signature: string;
}

export interface SignedCommands {
  Record: SignedEntry;
}

/** The exact bytes signed: a fixed field order, so signer and verifier agree without canonical JSON. */
export function signedText(entry: Pick<SignedEntry, 'account' | 'amount' | 'nonce'>): Buffer {
  return Buffer.from(`${entry.account}\n${entry.amount}\n${entry.nonce}`);
}

export function signEntry(privateKey: KeyObject, publicKey: KeyObject, fields: Pick<SignedEntry, 'account' | 'amount' | 'nonce'>): SignedEntry {
  return {
    ...fields,
    publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    signature: sign(null, signedText(fields), privateKey).toString('base64'),
  };
}

/**
 * Decoded public keys by their base64 text, per thread. Decoding SPKI DER
 * goes through OpenSSL 3's decoder: about 140 µs a key on the reference
 * machine, and two threads decoding at once took 1.7× as long as one, so a
 * validate that decoded on every command could not scale with shards.
 * Verifiers in practice keep decoded keys; so does this one.
 */
const decodedKeys = new Map<string, KeyObject>();
const DECODED_KEYS_LIMIT = 1024;

function publicKeyOf(base64: string): KeyObject {
  let key = decodedKeys.get(base64);
  if (key === undefined) {
    key = createPublicKey({ key: Buffer.from(base64, 'base64'), format: 'der', type: 'spki' });
    if (decodedKeys.size >= DECODED_KEYS_LIMIT) decodedKeys.clear();
    decodedKeys.set(base64, key);
  }
  return key;
}

export function verifyEntry(entry: SignedEntry): boolean {
  return verify(null, signedText(entry), publicKeyOf(entry.publicKey), Buffer.from(entry.signature, 'base64'));
}

export const signedDomain = defineDomain<Ledger, SignedCommands>({
  url: import.meta.url,
  aggregate: 'BenchLedger',
  commands: {
    Record: {
      event: 'Recorded',
      aggregateId: (p) => p.account,
      validate(current, p) {
        if (!Number.isInteger(p.amount) || p.amount < 1) throw new ValidationError(`amount must be a positive integer, got ${p.amount}`, { field: 'amount' });
        if (current !== undefined && p.nonce <= current.lastNonce) {
          throw new ValidationError(`nonce ${p.nonce} was already used on ${p.account}`, { field: 'nonce' });
        }
        if (!verifyEntry(p)) throw new ValidationError(`bad signature on entry ${p.nonce} of ${p.account}`, { field: 'signature' });
      },
      emit: (current, p) => ({
        id: p.account,
        entries: (current?.entries ?? 0) + 1,
        balance: (current?.balance ?? 0) + p.amount,
        lastNonce: p.nonce,
      }),
    },
  },
});
