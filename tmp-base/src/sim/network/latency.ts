/**
 * Latency distributions for network links (and anything else with a service time).
 */
import type { Rng } from '../prng.ts';
import type { Nanos } from '../time.ts';

/**
 * A latency distribution: constant, uniform in [minNs, maxNs], or long-tailed (log-normal with
 * this median and 99th percentile, never below `minNs`).
 */
export type LatencyModel =
  | {
      /** Always the same latency. */
      kind: 'constant';
      /** The latency. */
      ns: Nanos;
    }
  | {
      /** Uniform between two bounds. */
      kind: 'uniform';
      /** Smallest latency. */
      minNs: Nanos;
      /** Largest latency. */
      maxNs: Nanos;
    }
  | {
      /** Long-tailed. */
      kind: 'lognormal';
      /** Smallest latency. */
      minNs: Nanos;
      /** Median latency. */
      medianNs: Nanos;
      /** 99th percentile. */
      p99Ns: Nanos;
    }
  | {
      /** A fixed floor plus a draw from another model, e.g. 200 ms + uniform(0..2 s): a link that is never faster than its floor. */
      kind: 'floor';
      /** Added to every draw: no latency is below it. */
      floorNs: Nanos;
      /** The model drawn above the floor. */
      plus: LatencyModel;
    };

/** `floorNs` plus a draw from `plus`: e.g. `withFloor(ms(200), { kind: 'uniform', minNs: 0, maxNs: ms(2000) })`. */
export function withFloor(floorNs: Nanos, plus: LatencyModel): LatencyModel {
  return { kind: 'floor', floorNs, plus };
}

/** Draws one latency, an integer number of ns >= 0. */
export function drawLatency(m: LatencyModel, rng: Rng): Nanos {
  switch (m.kind) {
    case 'constant':
      return m.ns;
    case 'uniform':
      return m.minNs + Math.floor(rng.next() * (m.maxNs - m.minNs + 1));
    case 'lognormal':
      return Math.max(m.minNs, Math.round(rng.logNormal(m.medianNs, m.p99Ns)));
    case 'floor':
      return m.floorNs + drawLatency(m.plus, rng);
  }
}

/** Scales every figure of a model by `factor` (slow links, slow disks). */
export function scaleLatency(m: LatencyModel, factor: number): LatencyModel {
  switch (m.kind) {
    case 'constant':
      return { kind: 'constant', ns: Math.round(m.ns * factor) };
    case 'uniform':
      return { kind: 'uniform', minNs: Math.round(m.minNs * factor), maxNs: Math.round(m.maxNs * factor) };
    case 'lognormal':
      return { kind: 'lognormal', minNs: Math.round(m.minNs * factor), medianNs: Math.round(m.medianNs * factor), p99Ns: Math.round(m.p99Ns * factor) };
    case 'floor':
      return { kind: 'floor', floorNs: Math.round(m.floorNs * factor), plus: scaleLatency(m.plus, factor) };
  }
}

/** A one-line description, for logs and reports. */
export function describeLatency(m: LatencyModel): string {
  switch (m.kind) {
    case 'constant':
      return `${m.ns}ns`;
    case 'uniform':
      return `uniform(${m.minNs}..${m.maxNs}ns)`;
    case 'lognormal':
      return `lognormal(median ${m.medianNs}ns, p99 ${m.p99Ns}ns, min ${m.minNs}ns)`;
    case 'floor':
      return `${m.floorNs}ns + ${describeLatency(m.plus)}`;
  }
}
