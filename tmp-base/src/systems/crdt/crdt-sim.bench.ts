/**
 * The crdt-* scenarios as a benchmark: simulated seconds per wall second of each (the claim of
 * seed 000's bottleneck 3, that simulated time is cheap: an hour-long partition runs in about a
 * second), plus the replication figures the scenarios report: bytes of Merkle anti-entropy per
 * repair against a full-state exchange, OR-Set metadata at the peak and after GC (next to seed
 * 004's Riak cart, 4.2x and 1.6x), and the worst replication lag of the burst. `clock()` returns
 * wall milliseconds; nothing here reads a clock of its own.
 */
import { runScenario } from '../../sim/runner.ts';
import type { Scenario } from '../../sim/scenario.ts';
import burst from '../../scenarios/crdt-burst.ts';
import clockSkew from '../../scenarios/crdt-clock-skew.ts';
import crash from '../../scenarios/crdt-crash.ts';
import hotCounter from '../../scenarios/crdt-hot-counter.ts';
import churn from '../../scenarios/crdt-orset-churn.ts';
import partition from '../../scenarios/crdt-partition.ts';
import text from '../../scenarios/crdt-text.ts';

const SCENARIOS = [partition, hotCounter, burst, churn, clockSkew, crash, text] as unknown as Scenario[];

export function bench(clock: () => number, opts: { seeds?: number } = {}): Record<string, unknown> {
  const seeds = opts.seeds ?? 3;
  const out: Record<string, unknown> = {};
  const sums: Record<string, number[]> = {};
  const add = (k: string, v: unknown): void => {
    if (typeof v === 'number' && Number.isFinite(v)) (sums[k] ??= []).push(v);
  };
  for (const s of SCENARIOS) {
    let simNs = 0;
    let events = 0;
    let failed = 0;
    const t0 = clock();
    for (let seed = 1; seed <= seeds; seed++) {
      const r = runScenario(s, { seed });
      simNs += r.simTimeNs;
      events += r.events;
      if (!r.ok) failed++;
      const m = r.metrics as Record<string, number>;
      if (s.name === 'crdt-orset-churn') {
        add('cartTotalPerValuePeak', m.cartTotalPerValuePeak);
        add('cartTotalPerValueAfterGc', m.cartTotalPerValueAfterGc);
        add('cartMetadataBytesPeak', m.cartMetadataBytesPeak);
        add('cartMetadataBytesAfterGc', m.cartMetadataBytesAfterGc);
        add('tagsPerElementPeak', m.tagsPerElementPeak);
      }
      if (s.name === 'crdt-burst' || s.name === 'crdt-partition') {
        add(`${s.name}.aeBytes`, m.aeBytes);
        add(`${s.name}.aeFullSyncBytes`, m.aeFullSyncBytes);
        add(`${s.name}.aeKeysRepaired`, m.aeKeysRepaired);
      }
      if (s.name === 'crdt-burst') add('replicationLagMsMax', m.replicationLagMsMax);
      if (s.name === 'crdt-hot-counter') {
        add('hotCounter.opsAcked', m.opsAcked);
        add('hotCounter.batchesSent', m.batchesSent);
      }
    }
    const wallMs = clock() - t0;
    out[s.name] = {
      seeds,
      failed,
      simSecondsPerWallSecond: Math.round(simNs / 1e9 / (wallMs / 1000)),
      eventsPerWallSecond: Math.round(events / (wallMs / 1000)),
      wallMsPerSeed: Math.round(wallMs / seeds),
    };
  }
  const mean = (k: string): number | null => (sums[k] ? Math.round((sums[k].reduce((a, b) => a + b, 0) / sums[k].length) * 100) / 100 : null);
  out.figures = Object.fromEntries(Object.keys(sums).sort().map((k) => [k, mean(k)]));
  out.reference = { riakCartTotalPerValueBeforeGc: 4.2, riakCartTotalPerValueAfterGc: 1.6 };
  return out;
}
