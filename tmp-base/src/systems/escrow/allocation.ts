/**
 * Initial escrow allocation: split a bounded resource of `capacity` integer tokens across regions
 * or nodes so that the parts sum to `capacity` exactly. The escrow invariant (seed ch. 9.3.1) is
 * that no replica can spend more than it holds, so the split must neither lose a token (capacity
 * silently shrinks) nor invent one (oversell). Every remainder is handed out deterministically:
 * largest fractional part first, ties to the lower index.
 */
import { assert } from '../../sim/assert.ts';

/** How to split the capacity; arrays are aligned with the `ids` passed to `allocate`. */
export type AllocationPolicy =
  | { readonly kind: 'equal' }
  /** Proportional to non-negative weights (fractional weights are scaled by 1e6 and rounded). */
  | { readonly kind: 'proportional'; readonly weights: readonly number[] }
  /**
   * Demand-based: every part first gets `minTokens` (a floor against starvation), then the rest is
   * water-filled max-min fairly up to each demand; tokens left once all demand is met are split
   * equally so the sum is still exactly `capacity`.
   */
  | { readonly kind: 'demand'; readonly demands: readonly number[]; readonly minTokens?: number };

function assertCapacity(capacity: number): void {
  assert(Number.isSafeInteger(capacity) && capacity >= 0, `capacity must be a non-negative safe integer, got ${capacity}`);
}

/**
 * Largest-remainder (Hamilton) apportionment of `capacity` by `weights`, computed exactly in bigint.
 * All-zero weights split equally. The result sums to `capacity`.
 */
export function apportion(capacity: number, weights: readonly number[]): number[] {
  assertCapacity(capacity);
  assert(weights.length > 0, 'apportion: need at least one part');
  for (const w of weights) assert(Number.isFinite(w) && w >= 0, `apportion: weight must be finite and >= 0, got ${w}`);
  const integral = weights.every((w) => Number.isSafeInteger(w));
  const scaled = weights.map((w) => BigInt(integral ? w : Math.round(w * 1e6)));
  let total = scaled.reduce((a, b) => a + b, 0n);
  const ws = total === 0n ? scaled.map(() => 1n) : scaled;
  if (total === 0n) total = BigInt(ws.length);
  const cap = BigInt(capacity);
  const parts = ws.map((w) => (cap * w) / total);
  const rems = ws.map((w, i) => ({ i, rem: (cap * w) % total }));
  let left = capacity - parts.reduce((a, b) => a + Number(b), 0);
  assert(left >= 0 && left <= ws.length, `apportion: remainder ${left} out of range`);
  // Largest remainder first; equal remainders go to the lower index so the result is a pure function.
  rems.sort((a, b) => (a.rem === b.rem ? a.i - b.i : a.rem > b.rem ? -1 : 1));
  const out = parts.map(Number);
  for (const { i } of rems) {
    if (left === 0) break;
    out[i] = (out[i] as number) + 1;
    left--;
  }
  return out;
}

/** Max-min fair (water-filling) integer split of `capacity` by demand, with a per-part floor. */
function allocateByDemand(capacity: number, demands: readonly number[], minTokens: number): number[] {
  const n = demands.length;
  for (const d of demands) assert(Number.isSafeInteger(d) && d >= 0, `demand must be a non-negative integer, got ${d}`);
  assert(Number.isSafeInteger(minTokens) && minTokens >= 0, `minTokens must be a non-negative integer, got ${minTokens}`);
  // If the floors alone do not fit, nobody can have them: fall back to an equal split.
  if (minTokens * n > capacity) return apportion(capacity, demands.map(() => 1));
  const out = demands.map(() => minTokens);
  const need = demands.map((d) => Math.max(0, d - minTokens));
  let left = capacity - minTokens * n;
  while (left > 0) {
    const open = need.flatMap((x, i) => (x > 0 ? [i] : []));
    if (open.length === 0) break;
    const share = Math.floor(left / open.length);
    if (share === 0) {
      // Fewer tokens than open parts: one each, lowest index first (deterministic tie-break).
      for (const i of open.slice(0, left)) {
        out[i] = (out[i] as number) + 1;
        need[i] = (need[i] as number) - 1;
      }
      left = 0;
      break;
    }
    for (const i of open) {
      const g = Math.min(share, need[i] as number);
      out[i] = (out[i] as number) + g;
      need[i] = (need[i] as number) - g;
      left -= g;
    }
  }
  if (left > 0) {
    const extra = apportion(left, demands.map(() => 1));
    for (let i = 0; i < n; i++) out[i] = (out[i] as number) + (extra[i] as number);
  }
  return out;
}

/**
 * Splits `capacity` tokens across `ids` by `policy`. Returns a Map in `ids` order whose values sum
 * to `capacity` exactly.
 */
export function allocate(capacity: number, ids: readonly string[], policy: AllocationPolicy): Map<string, number> {
  assertCapacity(capacity);
  assert(ids.length > 0, 'allocate: need at least one id');
  assert(new Set(ids).size === ids.length, 'allocate: ids must be distinct');
  let parts: number[];
  switch (policy.kind) {
    case 'equal':
      parts = apportion(capacity, ids.map(() => 1));
      break;
    case 'proportional':
      assert(policy.weights.length === ids.length, 'allocate: one weight per id');
      parts = apportion(capacity, policy.weights);
      break;
    case 'demand':
      assert(policy.demands.length === ids.length, 'allocate: one demand per id');
      parts = allocateByDemand(capacity, policy.demands, policy.minTokens ?? 0);
      break;
  }
  assert(parts.reduce((a, b) => a + b, 0) === capacity, 'allocate: parts must sum to capacity');
  return new Map(ids.map((id, i) => [id, parts[i] as number]));
}
