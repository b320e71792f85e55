/**
 * Version vectors: replica id -> highest contiguous sequence number seen from that replica (a
 * missing entry means 0). Plain `Map<string, number>` so they travel in messages as they are.
 * The replication layer computes the causally stable vector as the pointwise minimum of every
 * replica's vector (`vvMin`) and passes it to the types' `collect`.
 */
import { COUNTER_BYTES, utf8Bytes } from './size.ts';
import { sortedKeys } from './dot.ts';

/** replica id -> highest contiguous sequence number seen (absent = 0). */
export type VersionVector = Map<string, number>;

/** How two version vectors relate causally. */
export type VvOrder = 'equal' | 'before' | 'after' | 'concurrent';

/** The entry for `replica` (0 when absent). */
export function vvGet(vv: ReadonlyMap<string, number>, replica: string): number {
  return vv.get(replica) ?? 0;
}

/** A sorted copy without zero entries: the canonical form used in messages and comparisons. */
export function vvCopy(vv: ReadonlyMap<string, number>): VersionVector {
  const out: VersionVector = new Map();
  for (const k of sortedKeys(vv)) {
    const n = vv.get(k) as number;
    if (n > 0) out.set(k, n);
  }
  return out;
}

/** Pointwise maximum (the join), as a new canonical vector. */
export function vvMerge(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): VersionVector {
  const out = new Map(a);
  for (const [k, n] of b) if (n > (out.get(k) ?? 0)) out.set(k, n);
  return vvCopy(out);
}

/**
 * Pointwise minimum over a non-empty list: what every listed replica has seen. Replicas absent
 * from any vector count as 0, so a replica that has heard nothing holds the minimum down.
 */
export function vvMin(vvs: readonly ReadonlyMap<string, number>[]): VersionVector {
  if (vvs.length === 0) return new Map();
  const keys = new Set<string>();
  for (const v of vvs) for (const k of v.keys()) keys.add(k);
  const out: VersionVector = new Map();
  for (const k of [...keys].sort()) {
    let m = Infinity;
    for (const v of vvs) m = Math.min(m, v.get(k) ?? 0);
    if (m > 0) out.set(k, m);
  }
  return out;
}

/** True when `a` has seen everything `b` has (a >= b pointwise). */
export function vvDominates(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): boolean {
  for (const [k, n] of b) if ((a.get(k) ?? 0) < n) return false;
  return true;
}

/** The causal order of `a` relative to `b`. */
export function vvCompare(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): VvOrder {
  const ab = vvDominates(a, b);
  const ba = vvDominates(b, a);
  if (ab && ba) return 'equal';
  if (ab) return 'after';
  if (ba) return 'before';
  return 'concurrent';
}

/** Encoded size under the model of size.ts. */
export function vvBytes(vv: ReadonlyMap<string, number>): number {
  let n = 0;
  for (const k of vv.keys()) n += utf8Bytes(k) + COUNTER_BYTES;
  return n;
}
