/**
 * The benchmark harness measures what it claims: the three kernel loops follow one event pattern
 * (so their ratio compares like with like), the ping-pong is deterministic and goes through the
 * network, and extension discovery finds exactly the documented file patterns. No timing is
 * asserted: figures depend on the machine.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bareHeap, kernelPingPong, kernelTimers } from './kernel.ts';
import { discoverBenchFiles } from './main.ts';

let fakeNow = 0;
/** A fake clock: the harness must not care what time it is. */
const clock = (): number => (fakeNow += 1);

describe('kernel benchmark loops', () => {
  const o = { events: 5_000, inflight: 37, latencyNs: 1_000, nodes: 5 };

  it('bare heap, kernel timers and ping-pong run the same events to the same simulated instant', () => {
    const bare = bareHeap(clock, o);
    const timers = kernelTimers(clock, o);
    const pp = kernelPingPong(clock, o);
    for (const r of [bare, timers, pp]) expect(r.events).toBe(o.events);
    // inflight chains advancing by latency: the last event is at ceil(events / inflight) * latency.
    expect(bare.endTimeNs).toBe(Math.ceil(o.events / o.inflight) * o.latencyNs);
    expect(timers.endTimeNs).toBe(bare.endTimeNs);
    expect(pp.endTimeNs).toBe(bare.endTimeNs);
    expect(pp.delivered).toBe(o.events);
  });

  it('the ping-pong is deterministic and depends on the pattern', () => {
    const a = kernelPingPong(clock, o);
    const b = kernelPingPong(clock, o);
    const c = kernelPingPong(clock, { ...o, nodes: 4 });
    expect(a.traceHash).toBe(b.traceHash);
    expect(c.traceHash).not.toBe(a.traceHash);
  });

  it('reports events per second from the clock it is given', () => {
    let t = 0;
    const slow = (): number => (t += 500); // every reading 500 ms later
    expect(bareHeap(slow, o).eventsPerSec).toBe(Math.round((o.events / 500) * 1000));
  });
});

describe('extension discovery', () => {
  it('finds systems/*/*.bench.ts, invariants/**/*.bench.ts and sim/hardware/*.bench.ts only', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'detsim-bench-'));
    try {
      const files = [
        'systems/raft/raft.bench.ts',
        'systems/raft/deep/no.bench.ts',
        'systems/top.bench.ts',
        'systems/lb/lb.ts',
        'invariants/linearizability/x.bench.ts',
        'invariants/a/b/c/deep.bench.ts',
        'invariants/top.bench.ts',
        'sim/hardware/gpu.bench.ts',
        'sim/hardware/sub/no.bench.ts',
        'sim/kernel.bench.ts',
        'scenarios/s.bench.ts',
        'systems/raft/raft.bench.ts.orig',
      ];
      for (const f of files) {
        mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
        writeFileSync(path.join(root, f), '');
      }
      expect(discoverBenchFiles(root)).toEqual([
        'invariants/a/b/c/deep.bench.ts',
        'invariants/linearizability/x.bench.ts',
        'invariants/top.bench.ts',
        'sim/hardware/gpu.bench.ts',
        'systems/raft/raft.bench.ts',
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('returns nothing for a tree without those folders', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'detsim-bench-'));
    try {
      expect(discoverBenchFiles(root)).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
