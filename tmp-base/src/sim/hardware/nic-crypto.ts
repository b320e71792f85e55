/**
 * Encryption offload (seed 004 §8.3.1 DPU "Security Functions: AES-GCM acceleration, TLS offload,
 * line-rate encryption, CPU savings"; §8.5.1 Nitro "Hardware encryption at line rate"; §8.5.4
 * "SmartNIC: Consensus, replication, encryption"): an authenticated transform, and what it costs
 * per byte on a NIC crypto engine versus on a host core.
 *
 * The transform is a SIMULATION STAND-IN for AES-GCM, not cryptography: a keystream from a small
 * seeded generator (sfc32, keyed by the 128-bit key and the nonce) XORed over the plaintext, and a
 * 64-bit keyed MAC (two multiply-xor lanes under a key derived from the cipher key) over the
 * nonce, the length and the ciphertext. What it keeps of AES-GCM is what a system may rely on:
 * it is deterministic and reversible with the right key, and `open` refuses (`'bad-mac'`) a
 * ciphertext that was altered, a tag that was altered, or a key that is not the sealing key, with
 * probability about 1 - 2^-64. It is not secure against an adversary (we model faults, not
 * attackers).
 *
 * What may go wrong, and why a system should survive it:
 * - the NIC's engine returns corrupt ciphertext (a DMA or engine fault; SmartNic's
 *   `cryptoFaults.corruptRate` and buggify site `hw.nic.crypto_corrupt`): the tag was computed
 *   over the true ciphertext, so the receiver's MAC check fails and it must ask again;
 * - a NIC crash or reboot loses its session keys (they live in its DRAM): operations fail with
 *   `'no-key'` until the host provisions the key again.
 * Not modelled: an engine that encrypts the wrong plaintext (the MAC would vouch for it).
 */
import { assert } from '../assert.ts';
import type { Device } from '../device.ts';
import type { Nanos } from '../time.ts';
import { unwrap, type HwDone, type HwResult } from './result.ts';

/** A 128-bit session key and the id peers use to name it. */
export interface CipherKey {
  id: number;
  words: readonly [number, number, number, number];
}

/** A sealed message: plain data, safe to send. */
export interface Sealed {
  keyId: number;
  /** Unique per (key, message): the keystream depends on it. */
  nonce: string;
  ct: Uint8Array;
  /** 64-bit MAC as two unsigned 32-bit words. */
  tag: [number, number];
}

export type OpenError = 'bad-mac';

/** Per-operation cost of a crypto engine: a fixed setup plus bytes at a throughput. */
export interface CryptoCost {
  /** Fixed cost of one operation (descriptor, key lookup, record setup), ns. */
  setupNs: number;
  /** Throughput of one operation's bulk work, bytes per second. */
  bytesPerSec: number;
}

/** Time one seal or open of `bytes` takes under `cost` (before the device's slowness). */
export function cryptoNs(cost: CryptoCost, bytes: number): Nanos {
  assert(cost.bytesPerSec > 0 && cost.setupNs >= 0, `crypto cost must have a positive throughput and a non-negative setup: ${JSON.stringify(cost)}`);
  return Math.max(1, Math.round(cost.setupNs + (bytes * 1e9) / cost.bytesPerSec));
}

// ---- the transform ----

const fmix = (x: number): number => {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
};

const rotl = (x: number, r: number): number => ((x << r) | (x >>> (32 - r))) >>> 0;

/** Two 32-bit hashes of a string (the nonce), so the keystream depends on all of it. */
function hashString(s: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(rotl(b ^ c, 13), 0x5bd1e995);
  }
  return [fmix(a), fmix(b ^ s.length)];
}

/** sfc32 keyed by (key, nonce): the keystream generator. */
function keystream(key: CipherKey, nonce: string): () => number {
  const [n0, n1] = hashString(nonce);
  let a = (key.words[0] ^ n0) >>> 0;
  let b = (key.words[1] ^ n1) >>> 0;
  let c = (key.words[2] ^ fmix(n0 + 0x3c6ef372)) >>> 0;
  let d = (key.words[3] ^ fmix(n1 + 0xa54ff53a)) >>> 0;
  let counter = 1;
  const next = (): number => {
    const t = (((a + b) | 0) + d + counter) | 0;
    counter = (counter + 1) | 0;
    d = t;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = rotl(c >>> 0, 21);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 15; i++) next(); // spread the key over the state before use
  return next;
}

function xorStream(key: CipherKey, nonce: string, input: Uint8Array): Uint8Array {
  const out = new Uint8Array(input.length);
  const next = keystream(key, nonce);
  let word = 0;
  for (let i = 0; i < input.length; i++) {
    if ((i & 3) === 0) word = next();
    out[i] = input[i]! ^ ((word >>> ((i & 3) * 8)) & 0xff);
  }
  return out;
}

/** The keyed MAC over (nonce, length, ciphertext), under a key derived from the cipher key. */
function mac(key: CipherKey, nonce: string, ct: Uint8Array): [number, number] {
  // The MAC key is derived, never the cipher key itself (as GCM's H = E_K(0)).
  const m0 = fmix(key.words[0] ^ 0x6a09e667);
  const m1 = fmix(key.words[1] ^ 0xbb67ae85);
  const m2 = fmix(key.words[2] ^ 0x3c6ef372);
  const m3 = fmix(key.words[3] ^ 0xa54ff53a);
  const [n0, n1] = hashString(nonce);
  let a = (m0 ^ n0) >>> 0;
  let b = (m1 ^ n1) >>> 0;
  for (let i = 0; i < ct.length; i++) {
    const x = ct[i]!;
    a = Math.imul(a ^ x, 0x01000193);
    b = Math.imul(rotl(b ^ x, 13), 0x5bd1e995) ^ m2;
  }
  return [fmix(a ^ m2 ^ ct.length), fmix(b ^ m3 ^ rotl(a >>> 0, 7))];
}

/** Seals `plain` under `key` with `nonce` (never reuse a nonce with one key). */
export function seal(key: CipherKey, nonce: string, plain: Uint8Array): Sealed {
  const ct = xorStream(key, nonce, plain);
  return { keyId: key.id, nonce, ct, tag: mac(key, nonce, ct) };
}

/**
 * Opens `s` under `key`: the plaintext, or `'bad-mac'` if the ciphertext, tag or nonce was altered
 * or `key` is not the sealing key. `verifyMac: false` skips the check (only the bug zoo does).
 */
export function open(key: CipherKey, s: Sealed, verifyMac = true): { ok: true; value: Uint8Array } | { ok: false; error: OpenError } {
  if (verifyMac) {
    const t = mac(key, s.nonce, s.ct);
    if (t[0] !== s.tag[0] || t[1] !== s.tag[1]) return { ok: false, error: 'bad-mac' };
  }
  return { ok: true, value: xorStream(key, s.nonce, s.ct) };
}

/** A key drawn from four 32-bit words (take them from a seeded Rng). */
export function makeKey(id: number, words: readonly [number, number, number, number]): CipherKey {
  return { id, words: [words[0] >>> 0, words[1] >>> 0, words[2] >>> 0, words[3] >>> 0] };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
export const utf8 = (s: string): Uint8Array => encoder.encode(s);
export const fromUtf8 = (b: Uint8Array): string => decoder.decode(b);

// ---- the engines (a NIC's, a host core's) as device work ----

/** Where session keys are kept: the NIC's DRAM (lost on a crash) or the host's key store. */
export interface KeyTable {
  get(id: number): CipherKey | undefined;
}

/** Counters every engine keeps. */
export interface CryptoStats {
  seals: number;
  opens: number;
  macFailures: number;
  corrupted: number;
  /** Device time spent on crypto, ns (the host CPU the offload frees). */
  busyNs: number;
}

export const newCryptoStats = (): CryptoStats => ({ seals: 0, opens: 0, macFailures: 0, corrupted: 0, busyNs: 0 });

/**
 * Seals on `device` at `cost`. The key is looked up when the work completes (a crash in between
 * loses it). `corrupt` is asked once per seal: true flips a byte of the ciphertext after the tag
 * was computed (the engine's fault).
 */
export function sealOn(device: Device, cost: CryptoCost, keys: KeyTable, stats: CryptoStats, keyId: number, nonce: string, plain: Uint8Array, corrupt: () => boolean, done: HwDone<Sealed>): void {
  const ns = Math.max(1, Math.round(cryptoNs(cost, plain.length) * device.slowFactor));
  const copy = plain.slice();
  device.submit(ns, (): HwResult<Sealed> => {
    const key = keys.get(keyId);
    if (key === undefined) {
      device.sim.probe('hw:nic-key-lost');
      return { ok: false, error: 'no-key' };
    }
    stats.seals++;
    stats.busyNs += ns;
    const s = seal(key, nonce, copy);
    if (s.ct.length > 0 && corrupt()) {
      device.sim.probe('hw:nic-crypto-corrupt');
      stats.corrupted++;
      const i = device.rng.int(0, s.ct.length - 1);
      s.ct[i] = s.ct[i]! ^ device.rng.int(1, 255);
    }
    return { ok: true, value: s };
  }, unwrap(done));
}

/** Opens on `device` at `cost`: `'bad-mac'` (counted), `'no-key'`, or the plaintext. */
export function openOn(device: Device, cost: CryptoCost, keys: KeyTable, stats: CryptoStats, s: Sealed, verifyMac: boolean, done: HwDone<Uint8Array>): void {
  const ns = Math.max(1, Math.round(cryptoNs(cost, s.ct.length) * device.slowFactor));
  device.submit(ns, (): HwResult<Uint8Array> => {
    const key = keys.get(s.keyId);
    if (key === undefined) {
      device.sim.probe('hw:nic-key-lost');
      return { ok: false, error: 'no-key' };
    }
    stats.opens++;
    stats.busyNs += ns;
    const r = open(key, s, verifyMac);
    if (!r.ok) stats.macFailures++;
    return r;
  }, unwrap(done));
}
