/**
 * The kernel seams issue 10 added for faults: fail-stop with a supervisor restart, reads for
 * recovery (retry, then fail-stop), wall-clock steps and rate changes, milestones, and the
 * standard nemesis's disk, clock, network and directed faults.
 */
import { describe, expect, it } from 'vitest';
import { LocalClock } from './clock.ts';
import { DiskReadFailed } from './disk/disk.ts';
import { Simulation } from './kernel.ts';
import { faultParams, standardNemesis, type FaultParams } from './nemesis.ts';
import { SUPERVISOR_RESTART_NS, type NodeContext } from './node.ts';
import { resolveParams } from './params.ts';
import { World } from './scenario.ts';
import { ms, sec } from './time.ts';

function world(seed = 1): { sim: Simulation; w: World } {
  const sim = new Simulation({ seed, buggify: { enabled: false } });
  return { sim, w: new World(sim, {}) };
}

/** Default fault parameters with every fault off, then `on`. */
function calm(on: Partial<FaultParams> = {}): FaultParams {
  const defs = faultParams();
  const p = resolveParams(defs, {}, new Simulation({ seed: 0 }).rng('x'), false) as FaultParams;
  for (const k of Object.keys(p) as (keyof FaultParams)[]) if (typeof p[k] === 'number' && /Rate$|Probability$|MsMean$|MsMax$|PpmMax$/.test(k)) (p as Record<string, unknown>)[k] = 0;
  return { ...p, tornWrites: false, ...on };
}

describe('fail-stop', () => {
  it('crashes after the current event, drops what the incarnation does meanwhile, and the supervisor restarts it', () => {
    const { sim, w } = world();
    const sent: string[] = [];
    let ctx1: NodeContext | null = null;
    const n = w.addNode('n1', (ctx) => {
      if (ctx1 === null) ctx1 = ctx;
      return {};
    });
    w.addNode('n2', () => ({ onMessage: (env) => void sent.push(String(env.body)) }));
    n.start();
    w.node('n2').start();
    sim.schedule(ms(1), () => {
      n.disk.append('f', 'unsynced');
      ctx1!.failStop('test');
      expect(ctx1!.alive).toBe(false); // at once: nothing more leaves this incarnation
      ctx1!.send('n2', 'after');
    });
    sim.run({ untilNs: ms(2) });
    expect(n.state).toBe('down');
    expect(n.disk.read('f').records).toEqual([]); // unsynced writes lost with the crash
    expect(sent).toEqual([]);
    sim.run({ untilNs: ms(1) + SUPERVISOR_RESTART_NS + 1 });
    expect(n.state).toBe('up');
    expect(n.incarnation).toBe(2);
  });

  it('the supervisor does not restart a node someone else restarted meanwhile', () => {
    const { sim, w } = world();
    const n = w.addNode('n1', () => ({}));
    n.start();
    sim.schedule(ms(1), () => n.failStop('x', ms(10)));
    sim.schedule(ms(5), () => n.start());
    sim.schedule(ms(7), () => n.crash());
    sim.run({ untilNs: ms(30) });
    expect(n.state).toBe('down'); // the nemesis's crash at 7 ms stands
    expect(n.incarnation).toBe(2);
  });
});

describe('readForRecovery', () => {
  it('retries a transient EIO, and throws DiskReadFailed when every attempt fails', () => {
    const { sim, w } = world(3);
    const n = w.addNode('n1', () => ({}));
    n.disk.append('f', 'x');
    n.disk.faults.readErrorRate = 0.5;
    let ok = 0;
    let failed = 0;
    for (let i = 0; i < 200; i++) {
      try {
        expect(n.disk.readForRecovery('f', 3).records).toEqual(['x']);
        ok++;
      } catch (e) {
        expect(e).toBeInstanceOf(DiskReadFailed);
        failed++;
      }
    }
    // 0.5^3 = 1/8 of recoveries fail; a single read would fail half the time.
    expect(failed).toBeGreaterThan(5);
    expect(failed).toBeLessThan(50);
    expect(ok).toBeGreaterThan(150);
    void sim;
  });

  it('a factory whose recovery read fails fail-stops its node, which starts again later', () => {
    const { sim, w } = world();
    let attempts = 0;
    const n = w.addNode('n1', (ctx) => {
      attempts++;
      ctx.disk.faults.readErrorRate = attempts === 1 ? 1 : 0;
      const inc = attempts;
      ctx.setTimer(ms(1), () => { if (inc === 1) throw new Error('a fail-stopped incarnation must not run'); });
      ctx.disk.readForRecovery('f');
      return {};
    });
    n.start();
    expect(n.program).toBeNull();
    sim.run({ untilNs: SUPERVISOR_RESTART_NS + ms(5) });
    expect(attempts).toBe(2);
    expect(n.state).toBe('up');
    expect(n.program).not.toBeNull();
  });

  it('peek reads without faults (for invariants)', () => {
    const { w } = world();
    const n = w.addNode('n1', () => ({}));
    n.disk.append('f', 'x');
    n.disk.faults.readErrorRate = 1;
    expect(n.disk.read('f').error).toBe('EIO');
    expect(n.disk.peek('f').records).toEqual(['x']);
  });
});

describe('clock faults', () => {
  it('a wall-clock step moves wallNow only; a rate change keeps the clock continuous', () => {
    const c = new LocalClock({ offsetNs: 1000, driftPpm: 100 }, 0);
    const s = c.stepped(-5_000_000);
    expect(s.localAt(sec(1))).toBe(c.localAt(sec(1))); // monotonic unchanged
    expect(s.wallAt(sec(1))).toBe(c.localAt(sec(1)) - 5_000_000);
    const d = s.withDrift(-300, sec(1));
    expect(d.localAt(sec(1))).toBe(s.localAt(sec(1))); // no jump at the change
    expect(d.wallAt(sec(1))).toBe(s.wallAt(sec(1)));
    expect(d.localAt(sec(2)) - d.localAt(sec(1))).toBe(sec(1) - 300_000); // the new rate
    expect(d.localAt(sec(2))).toBeGreaterThan(d.localAt(sec(1))); // still monotonic
  });

  it('the standard nemesis steps wall clocks and changes rates when asked, and only then', () => {
    for (const on of [true, false]) {
      const { sim, w } = world(5);
      let ctx: NodeContext | null = null;
      for (const id of ['a', 'b', 'c']) w.addNode(id, (x) => { if (id === 'a') ctx = x; return {}; });
      standardNemesis(w, calm(on ? { clockJumpMsMean: 50, clockJumpMsMax: 100, clockDriftChangeMsMean: 50, clockDriftPpmMax: 500 } : {}));
      w.phase = 'fault';
      for (const n of w.nodes) n.start();
      sim.run({ untilNs: sec(2) });
      const a = w.node('a');
      expect(a.clock.wallStepNs !== 0, `steps ${on}`).toBe(on);
      expect(ctx!.wallNow() - ctx!.now()).toBe(a.clock.wallStepNs);
      expect([...w.faults].includes('clock-jump')).toBe(on);
    }
  });
});

describe('milestones and the directed nemesis', () => {
  it('a milestone is traced and reaches subscribers in order, inside the node\'s event', () => {
    const { sim, w } = world();
    const seen: string[] = [];
    w.onMilestone((node, kind, detail) => seen.push(`${node} ${kind} ${detail} @${sim.now}`));
    const n = w.addNode('n1', (ctx) => {
      ctx.setTimer(100, () => ctx.milestone('term-change', 'term 2'));
      return {};
    });
    const records: string[] = [];
    n.start();
    sim.run({});
    expect(seen).toEqual(['n1 term-change term 2 @100']);
    for (const r of sim.trace.recent()) if (r.kind === 'milestone') records.push(`${r.node} ${r.detail}`);
    expect(records).toEqual(['n1 term-change term 2']);
  });

  it('crashes a node right after its term change (same instant, after the event), within the down budget', () => {
    const { sim, w } = world();
    const terms: number[] = [];
    for (const id of ['a', 'b', 'c', 'd', 'e'])
      w.addNode(id, (ctx) => {
        // Every node changes term every 10 ms.
        const tick = (): void => {
          ctx.milestone('term-change', 'x');
          ctx.setTimer(ms(10), tick);
        };
        ctx.setTimer(ms(10), tick);
        return {};
      });
    standardNemesis(w, calm({ directedCrashAfterTermChangeProbability: 1, downMsMean: 1000 }));
    w.phase = 'fault';
    for (const n of w.nodes) n.start();
    let maxDown = 0;
    sim.schedule(ms(10), () => {
      // The strike lands after the milestone's event, at the same instant.
      sim.schedule(0, () => terms.push(w.nodes.filter((n) => n.state === 'down').length));
    });
    for (let t = 1; t < 500; t++) sim.schedule(ms(t), () => { maxDown = Math.max(maxDown, w.nodes.filter((n) => n.state === 'down').length); });
    sim.run({ untilNs: ms(500) });
    expect(terms[0]).toBeGreaterThanOrEqual(1);
    expect(maxDown).toBe(2); // a minority of five, never more
    expect(sim.trace.recent().some((r) => r.kind === 'directed')).toBe(true);
  });

  it('with probability 0 no milestone triggers anything, and the run is the same as without subscribers', () => {
    const hashes = [0, 1].map(() => {
      const { sim, w } = world(9);
      w.addNode('a', (ctx) => { ctx.setTimer(ms(1), () => ctx.milestone('vote-granted')); return {}; });
      w.addNode('b', () => ({}));
      w.addNode('c', () => ({}));
      standardNemesis(w, calm());
      w.phase = 'fault';
      for (const n of w.nodes) n.start();
      sim.run({ untilNs: ms(10) });
      expect(w.nodes.every((n) => n.state === 'up')).toBe(true);
      return sim.trace.hash();
    });
    expect(hashes[0]).toBe(hashes[1]);
  });
});

describe('disk and network faults of the standard nemesis', () => {
  it('corrupts only a minority of disks, fails fsyncs with EIO and ENOSPC, and slows disks', () => {
    const { sim, w } = world(2);
    const errors: string[] = [];
    for (const id of ['a', 'b', 'c', 'd', 'e'])
      w.addNode(id, (ctx) => {
        const loop = (): void => {
          ctx.disk.append('log', 'x'.repeat(100));
          ctx.disk.fsync((err) => {
            if (err !== null) errors.push(err);
            ctx.setTimer(ms(1), loop);
          });
        };
        loop();
        return {};
      });
    standardNemesis(w, calm({ diskWriteErrorRate: 0.05, diskCorruptionRate: 0.5, diskFullMsMean: 100, diskSlowMsMean: 100, diskSlowFactorMax: 50, downMsMean: 50 }));
    w.phase = 'fault';
    for (const n of w.nodes) n.start();
    sim.run({ untilNs: sec(2) });
    expect(errors).toContain('EIO');
    expect(errors).toContain('ENOSPC');
    const corrupted = w.nodes.filter((n) => n.disk.peek('log').corrupt.length > 0).length;
    expect(corrupted).toBeGreaterThan(0);
    expect(corrupted).toBeLessThanOrEqual(2);
    for (const k of ['disk-write-error', 'disk-corruption', 'disk-full', 'disk-slow']) expect([...w.faults]).toContain(k);
  });

  it('partitions take every shape, several cuts at once, and crash a node as one begins', () => {
    const { sim, w } = world(4);
    for (const id of ['a', 'b', 'c', 'd', 'e', 'f']) w.addNode(id, () => ({}));
    standardNemesis(w, calm({ partitionMsMean: 20, partitionMsLength: 10, multiCutProbability: 0.5, crashDuringPartitionProbability: 0.5, downMsMean: 10 }));
    w.phase = 'fault';
    for (const n of w.nodes) n.start();
    sim.run({ untilNs: sec(5) });
    for (const k of ['net-isolate', 'net-split', 'net-one-way', 'net-bridge', 'net-ring', 'net-multi-cut', 'net-crash-during-partition']) expect([...w.faults]).toContain(k);
    expect(sim.trace.recent(100_000).some((r) => r.kind === 'crash')).toBe(true);
  });
});
