/**
 * A dot: one event, named by the replica that made it and that replica's sequence number for it
 * (1, 2, 3, ...). Dots are the unique tags of OR-Set adds and MV-Register writes (Almeida et al.,
 * "Delta state replicated data types", 2018, section 5).
 */
import { COUNTER_BYTES, utf8Bytes } from './size.ts';

/** One event: `counter` is the `replica`'s sequence number for it, starting at 1. */
export interface Dot {
  readonly replica: string;
  readonly counter: number;
}

/** A string key for a dot, unique per (replica, counter); used as a Map key. */
export function dotKey(d: Dot): string {
  return `${d.counter}\u0000${d.replica}`;
}

/** Total order on dots: by replica id, then counter. Used only to make outputs deterministic. */
export function compareDots(a: Dot, b: Dot): number {
  if (a.replica !== b.replica) return a.replica < b.replica ? -1 : 1;
  return a.counter - b.counter;
}

/** Encoded size of a dot under the model of size.ts. */
export function dotBytes(d: Dot): number {
  return utf8Bytes(d.replica) + COUNTER_BYTES;
}

/** Sorted copy of the keys of a map (strings compared by code unit), for deterministic output. */
export function sortedKeys<K extends string | number>(m: ReadonlyMap<K, unknown>): K[] {
  return [...m.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
