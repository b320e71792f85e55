/**
 * Latency figures of a run in simulated time: percentiles by nearest rank over every sample.
 */
export interface LatencySummary {
  count: number;
  meanUs: number;
  p50Us: number;
  p99Us: number;
  maxUs: number;
}

/** Nearest-rank percentile (q in [0, 1]) of an ascending array; NaN when empty. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1]!;
}

/** Summary of latencies given in ns, reported in microseconds (rounded to 0.1 us). */
export function summarize(latenciesNs: readonly number[]): LatencySummary {
  const s = Float64Array.from(latenciesNs).sort();
  const arr = Array.from(s);
  const r = (x: number): number => Math.round(x / 100) / 10;
  const sum = arr.reduce((a, b) => a + b, 0);
  return {
    count: arr.length,
    meanUs: arr.length ? r(sum / arr.length) : NaN,
    p50Us: r(percentile(arr, 0.5)),
    p99Us: r(percentile(arr, 0.99)),
    maxUs: arr.length ? r(arr[arr.length - 1]!) : NaN,
  };
}
