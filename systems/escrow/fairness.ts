/**
 * Fairness and starvation across regions (seed ch. 9.3.1 "fairness metrics", 9.3.2 "starvation
 * detection"). Pure functions over numbers the replicas already expose in their snapshots.
 */
import { assert } from '../../sim/assert.ts';
import { reservedTokensOf } from './invariants.ts';
import type { NodeSnapshot } from './types.ts';

/**
 * Jain's fairness index (sum x)^2 / (n * sum x^2): 1 when every region gets the same, 1/n when one
 * region gets everything. All-zero input is defined as 1 (everyone got the same: nothing).
 */
export function jainIndex(xs: readonly number[]): number {
  assert(xs.length > 0, 'jainIndex: need at least one value');
  let sum = 0;
  let sumSq = 0;
  for (const x of xs) {
    assert(Number.isFinite(x) && x >= 0, `jainIndex: values must be finite and >= 0, got ${x}`);
    sum += x;
    sumSq += x * x;
  }
  if (sumSq === 0) return 1;
  return (sum * sum) / (xs.length * sumSq);
}

/** What the starvation detector needs to know about one region (or node). */
export interface RegionLoad {
  readonly id: string;
  /** Borrow requests refused in a row since the last grant this region received. */
  readonly refusalStreak: number;
  /** Tokens the region holds that no pending request of its own is waiting for. */
  readonly idleTokens: number;
}

export interface StarvationOptions {
  /** A region is a starvation candidate after this many refusals in a row. */
  readonly refusalStreakMin: number;
  /** ...and only if the other regions together hold at least this many idle tokens (>= 1). */
  readonly idleTokensMin: number;
}

export interface StarvationReport {
  readonly id: string;
  readonly refusalStreak: number;
  /** Idle tokens held by all other regions together. */
  readonly idleTokensElsewhere: number;
  /** The region holding the most idle tokens (lowest id on ties): where an emergency grant should come from. */
  readonly richestId: string;
}

/**
 * Regions being starved: repeatedly refused while others sit on idle tokens. Refusal while the
 * whole system is empty is not starvation (it is exhaustion) and is not reported. Output is in
 * input order.
 */
export function detectStarvation(regions: readonly RegionLoad[], opts: StarvationOptions): StarvationReport[] {
  assert(opts.refusalStreakMin >= 1 && opts.idleTokensMin >= 1, 'detectStarvation: thresholds must be >= 1');
  const total = regions.reduce((a, r) => a + Math.max(0, r.idleTokens), 0);
  const out: StarvationReport[] = [];
  for (const r of regions) {
    if (r.refusalStreak < opts.refusalStreakMin) continue;
    const elsewhere = total - Math.max(0, r.idleTokens);
    if (elsewhere < opts.idleTokensMin) continue;
    let richest: RegionLoad | null = null;
    for (const o of regions) {
      if (o.id === r.id) continue;
      if (richest === null || o.idleTokens > richest.idleTokens || (o.idleTokens === richest.idleTokens && o.id < richest.id)) richest = o;
    }
    assert(richest !== null, 'detectStarvation: idle tokens elsewhere imply another region');
    out.push({ id: r.id, refusalStreak: r.refusalStreak, idleTokensElsewhere: elsewhere, richestId: richest.id });
  }
  return out;
}

/** A node snapshot as a RegionLoad: idle tokens are free tokens no pending reservation there waits for. */
export function regionLoadOf(node: NodeSnapshot): RegionLoad {
  const { pending } = reservedTokensOf(node);
  return { id: node.id, refusalStreak: node.refusalStreak, idleTokens: Math.max(0, node.tokens - pending) };
}
