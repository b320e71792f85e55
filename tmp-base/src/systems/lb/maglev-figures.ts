/**
 * Measured Maglev figures: balance and disruption at realistic sizes (`maglevFigures`) and table
 * build times (`benchMaglev`), to set beside the paper's. Pure apart from the clock the caller
 * injects into the bench (this file never reads a real clock).
 */
import {
  buildMaglevTable,
  envoyMaglevHash,
  maglevBalance,
  maglevDisruption,
  MAGLEV_DEFAULT_TABLE_SIZE,
  type MaglevBackend,
  type MaglevHash,
} from './maglev.ts';

/** A deterministic backend address for index i, shaped like the host keys Envoy hashes. */
export function backendKey(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:8080`;
}

/** Wraps a hash so each (key, M) is hashed once: bigint xxHash64 is the slow part of a build. */
export function memoizedHash(hash: MaglevHash = envoyMaglevHash): MaglevHash {
  const cache = new Map<string, { offset: number; skip: number }>();
  return (key, m) => {
    const k = `${m}\u0000${key}`;
    let v = cache.get(k);
    if (v === undefined) {
      v = hash(key, m);
      cache.set(k, v);
    }
    return v;
  };
}

/** Balance and disruption for one backend count. */
export interface MaglevFigure {
  readonly backends: number;
  readonly tableSize: number;
  /** Max slots per backend over the mean M / N. */
  readonly maxOverMean: number;
  /** Min slots per backend over the mean M / N. */
  readonly minOverMean: number;
  /** 1 / N: the fraction an ideal consistent hash moves when one of N backends leaves. */
  readonly idealMovedFraction: number;
  /** Mean fraction of slots that changed owner when one backend leaves, over `removals` trials. */
  readonly movedFractionMean: number;
  /** Largest such fraction over the trials. */
  readonly movedFractionMax: number;
  /** Mean fraction of slots that moved between surviving backends (ideal 0). */
  readonly survivorMovedFractionMean: number;
  /** How many different single-backend removals were averaged. */
  readonly removals: number;
}

/**
 * Balance (max/mean slots) and single-backend-removal disruption for N = 10, 100, 1000 backends
 * with Envoy's hashing and M = 65537 (or the counts and M given). Each N averages `removals`
 * removals of backends spread evenly through the key order.
 */
export function maglevFigures(
  counts: readonly number[] = [10, 100, 1000],
  tableSize = MAGLEV_DEFAULT_TABLE_SIZE,
  removals = 5,
): MaglevFigure[] {
  const hash = memoizedHash();
  return counts.map((n) => {
    const backends: MaglevBackend[] = Array.from({ length: n }, (_, i) => ({ key: backendKey(i) }));
    const full = buildMaglevTable(backends, { tableSize, hash });
    const balance = maglevBalance(full);
    const k = Math.min(removals, n);
    let movedSum = 0;
    let movedMax = 0;
    let survivorSum = 0;
    for (let r = 0; r < k; r++) {
      const gone = full.backends[Math.floor((r * n) / k)] as string;
      const after = buildMaglevTable(
        backends.filter((b) => b.key !== gone),
        { tableSize, hash },
      );
      const d = maglevDisruption(full, after);
      movedSum += d.movedFraction;
      movedMax = Math.max(movedMax, d.movedFraction);
      survivorSum += d.survivorMovedFraction;
    }
    return {
      backends: n,
      tableSize,
      maxOverMean: balance.maxOverMean,
      minOverMean: balance.minOverMean,
      idealMovedFraction: 1 / n,
      movedFractionMean: movedSum / k,
      movedFractionMax: movedMax,
      survivorMovedFractionMean: survivorSum / k,
      removals: k,
    };
  });
}

/** One build-time measurement. */
export interface MaglevBenchResult {
  readonly tableSize: number;
  readonly backends: number;
  /** Median time to fill the table from precomputed (offset, skip) pairs, in milliseconds. */
  readonly populateMsMedian: number;
  /** Median time of a whole build including xxHash64 of every key, in milliseconds. */
  readonly buildMsMedian: number;
  /** The paper's figure for the same size (section 5.3), in milliseconds. */
  readonly paperMs: number;
  readonly runs: number;
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/**
 * Times Maglev table builds for 1000 backends at M = 65537 and M = 655373 (the paper reports
 * 1.8 ms and 22.9 ms). `clock` returns milliseconds (e.g. `performance.now`); the caller owns it.
 */
export function benchMaglev(clock: () => number, runs = 5, backends = 1000): MaglevBenchResult[] {
  const sizes: ReadonlyArray<readonly [number, number]> = [
    [65537, 1.8],
    [655373, 22.9],
  ];
  const keys = Array.from({ length: backends }, (_, i) => backendKey(i));
  return sizes.map(([m, paperMs]) => {
    const explicit: MaglevBackend[] = keys.map((key) => ({ key, ...envoyMaglevHash(key, m) }));
    const populate: number[] = [];
    const build: number[] = [];
    for (let r = 0; r < runs; r++) {
      let t0 = clock();
      buildMaglevTable(explicit, { tableSize: m });
      populate.push(clock() - t0);
      t0 = clock();
      buildMaglevTable(
        keys.map((key) => ({ key })),
        { tableSize: m },
      );
      build.push(clock() - t0);
    }
    return { tableSize: m, backends, populateMsMedian: median(populate), buildMsMedian: median(build), paperMs, runs };
  });
}
