/**
 * Parameters at their edges (round 11, paramaudit): a correct system must pass wherever its
 * parameters are allowed to go, and values that cannot work together are refused up front rather
 * than failed. Each passing case below failed a correct system before its bound was derived from
 * the parameter (docs/mutation.md, "Eleventh round: parameters at their edges").
 */
import { describe, expect, it } from 'vitest';
import { drawParamValues } from '../sim/param-draw.ts';
import { ParamError, parsePins } from '../sim/params.ts';
import { runScenario } from '../sim/runner.ts';
import type { Scenario } from '../sim/scenario.ts';
import broadcastBusy from './broadcast-busy.ts';
import broadcast from './broadcast.ts';
import escrowFlashSale from './escrow-flash-sale.ts';
import hwLatencyTable from './hw-latency-table.ts';
import hwTraditionalKv from './hw-traditional-kv.ts';
import lbAlgorithms from './lb-algorithms.ts';
import lbChurn from './lb-churn.ts';
import lbCrash from './lb-crash.ts';
import lbDrain from './lb-drain.ts';
import lbFlap from './lb-flap.ts';
import lbPartition from './lb-partition.ts';
import lbSlow from './lb-slow.ts';
import platformGlobalSale from './platform-global-sale.ts';
import platformRegionOutages from './platform-region-outages.ts';
import raftChurn from './raft-churn.ts';
import raftLeaseLock from './raft-lease-lock.ts';
import raftScriptedFailover from './raft-scripted-failover.ts';

// Each scenario's own parameter types are narrower than Scenario's: compared as the runner sees them.
const any = (scn: unknown): Scenario => scn as Scenario;
const run = (scn: unknown, seed: number, pins: string[]) => runScenario(any(scn), { seed, pins: parsePins(any(scn).params, any(scn).name, pins), requireChecks: true });

describe('a correct system passes at the edges of its parameters', () => {
  it('hw-traditional-kv keys=1000: the auditor reads every key within the bound, which grows with keys', () => {
    const r = run(hwTraditionalKv, 1, ['keys=1000']);
    expect(r.pending).toEqual([]);
    expect(r.outcome).toBe('pass');
  });

  it('hw-latency-table rocksPutUs=10.0005: a device time that is not whole ns is rounded, not a crash of the run', () => {
    const r = run(hwLatencyTable, 1, ['rocksPutUs=10.0005']);
    expect(r.violations).toEqual([]);
    expect(r.outcome).toBe('pass');
  });

  it('broadcast antiEntropyMs=1000000: the bound covers 30 anti-entropy rounds, not a fixed 30 s', () => {
    const r = run(broadcast, 1, ['antiEntropyMs=1000000']);
    expect(r.outcome).toBe('pass');
    // It did need longer than the old 30 s.
    expect(r.recoveredAfterNs).toBeGreaterThan(30e9);
  });

  it('broadcast at its largest netLatencyMsMedian (62.5 ms: a round trip inside its 500 ms calls)', () => {
    expect(run(broadcast, 1, ['netLatencyMsMedian=62.5']).outcome).toBe('pass');
  });

  it('lb-churn with one client of two slow connections: the bound follows the rate of new connections', () => {
    const r = run(lbChurn, 3, ['clients=1', 'connsPerClient=2', 'requestsPerConn=5', 'thinkMsMean=500']);
    expect(r.outcome).toBe('pass');
    expect(r.recoveredAfterNs).toBeGreaterThan(10e9); // past the old fixed 10 s
  });

  it('lb-crash healthIntervalMs=100000: the bound allows a recovered backend its readmission first', () => {
    const r = run(lbCrash, 1, ['healthIntervalMs=100000', 'healthTimeoutMs=40']);
    expect(r.outcome).toBe('pass');
    expect(r.recoveredAfterNs).toBeGreaterThan(10e9);
  });
});

describe('values that cannot work are refused before the run (a ParamError, exit 2 at the CLI)', () => {
  const refused: [string, unknown, string[], RegExp][] = [
    ['one keep-alive connection for a million requests', lbChurn, ['clients=1', 'connsPerClient=1', 'requestsPerConn=1000000'], /lb-churn: the clients open new connections too slowly .* raise clients or connsPerClient/],
    ['a Maglev table of non-prime size', lbChurn, ['maglevTableSize=4'], /lb-churn: maglevTableSize 4 is not prime/],
    ['a health check timeout longer than its interval', lbCrash, ['healthIntervalMs=50', 'healthTimeoutMs=60'], /lb-crash: healthTimeoutMs 60 is longer than healthIntervalMs 50/],
  ];
  for (const [what, scn, pins, msg] of refused) {
    it(what, () => {
      expect(() => run(scn, 1, pins)).toThrow(ParamError);
      expect(() => run(scn, 1, pins)).toThrow(msg);
    });
  }

  it('the swarm never draws a refused combination: 40 seeds of draws with the defaults pass the check', () => {
    for (const scn of [lbChurn, lbCrash].map(any))
      for (let seed = 1; seed <= 40; seed++) expect(scn.checkParams?.(drawParamValues(scn.params, seed, {}, true) as never) ?? null, `${scn.name} seed ${seed}`).toBeNull();
  });

  it('a pin that clashes with a seed\'s draws runs with the defaults of the drawn values, not refused', () => {
    // healthTimeoutMs=100 is fine with the default 100 ms interval; seed 1 draws 61 ms.
    const pins = parsePins(lbCrash.params, 'lb-crash', ['healthTimeoutMs=100']);
    expect((drawParamValues(lbCrash.params, 1, pins, true) as { healthIntervalMs: number }).healthIntervalMs).toBeLessThan(100);
    const r = runScenario(lbCrash, { seed: 1, pins, maxEvents: 1 });
    expect(r.params).toMatchObject({ healthTimeoutMs: 100, healthIntervalMs: 100 });
  });

  it("a latency no timeout of the system covers is outside netLatencyMsMedian's range", () => {
    expect(() => parsePins(broadcast.params, 'broadcast', ['netLatencyMsMedian=300'])).toThrow(/netLatencyMsMedian must be in \[0.001, 62.5\], got 300/);
    expect(() => parsePins(raftChurn.params, 'raft-churn', ['netLatencyMsMedian=100'])).toThrow(/must be in \[0.001, 18.75\]/);
    expect(() => parsePins(hwTraditionalKv.params, 'hw-traditional-kv', ['netLatencyMsMedian=10'])).toThrow(/must be in \[0.001, 1.875\]/);
  });
});

describe('edges-a: lb, platform, escrow', () => {
  // Round 12: the cases round 11 left open in these families (docs/mutation.md, "Twelfth round").
  const refused: [string, unknown, string[], RegExp][] = [
    ['a health check timeout no longer than a round trip of the links', lbCrash, ['healthTimeoutMs=1'], /lb-crash: healthTimeoutMs 1 is not longer than a round trip of the links \(8 x netLatencyMsMedian 0.2 = 1.6 ms\)/],
    ['an upstream timeout no longer than a round trip and a service time', lbCrash, ['upstreamTimeoutMs=1'], /lb-crash: upstreamTimeoutMs 1 is not longer than a round trip .* give upstreamTimeoutMs above 2.1/],
    ['health checks over constant links of 1 s each way', lbAlgorithms, ['linkUs=1000000'], /lb-algorithms: healthTimeoutMs 10 is not longer than a round trip of the links \(2 x linkUs 1000000 = 2000 ms\)/],
    ['a Maglev table smaller than the pool', lbCrash, ['maglevTableSize=2', 'algorithm=maglev'], /lb-crash: maglevTableSize 2 is smaller than the 5 backends a config may hold/],
  ];
  for (const [what, scn, pins, msg] of refused) {
    it(`refused: ${what}`, () => {
      expect(() => run(scn, 1, pins)).toThrow(ParamError);
      expect(() => run(scn, 1, pins)).toThrow(msg);
    });
  }

  it('lb timeouts just above the round trip pass (the refusal is not stricter than it must be)', () => {
    expect(run(lbCrash, 1, ['netLatencyMsMedian=0.125', 'healthTimeoutMs=1.1', 'upstreamTimeoutMs=2.6', 'backendSpeedSpread=3']).outcome).toBe('pass');
  });

  it('a small Maglev table is refused only for Maglev: another algorithm never reads it', () => {
    expect(run(lbCrash, 1, ['maglevTableSize=2', 'algorithm=round-robin']).outcome).toBe('pass');
  });

  it('lb-algorithms arrivalsPerMs=0.001: the load runs on after the faults until every backend can have drawn an arrival', () => {
    const r = run(lbAlgorithms, 1, ['arrivalsPerMs=0.001']);
    expect(r.pending).toEqual([]);
    expect(r.outcome).toBe('pass');
  });

  it('lb-algorithms at linkUs=1000000 with timeouts above its round trip passes', () => {
    expect(run(lbAlgorithms, 1, ['linkUs=1000000', 'healthTimeoutMs=2001', 'healthIntervalMs=2001', 'upstreamTimeoutMs=2001']).outcome).toBe('pass');
  });

  it('the swarm never draws a refused combination in any lb scenario (40 seeds)', () => {
    for (const scn of [lbAlgorithms, lbChurn, lbCrash, lbDrain, lbFlap, lbPartition, lbSlow].map(any))
      for (let seed = 1; seed <= 40; seed++) expect(scn.checkParams?.(drawParamValues(scn.params, seed, {}, true) as never) ?? null, `${scn.name} seed ${seed}`).toBeNull();
  });

  it("platform wanMsMedian and paymentMsMean stop where the config store's elections and the hold allow", () => {
    expect(() => parsePins(platformGlobalSale.params, 'platform-global-sale', ['wanMsMedian=1000'])).toThrow(/wanMsMedian must be in \[0.1, 75\], got 1000/);
    expect(() => parsePins(platformRegionOutages.params, 'platform-region-outages', ['paymentMsMean=1000000'])).toThrow(/paymentMsMean must be in \[0, 1000\], got 1000000/);
  });

  it('platform-global-sale at its largest wanMsMedian and paymentMsMean passes', () => {
    expect(run(platformGlobalSale, 1, ['wanMsMedian=75', 'paymentMsMean=1000']).outcome).toBe('pass');
  });

  it('escrow-flash-sale tickMs=100000: a pending hold waits for the ticks that fill it', () => {
    const r = run(escrowFlashSale, 1, ['tickMs=100000']);
    expect(r.pending).toEqual([]);
    expect(r.outcome).toBe('pass');
  });

  it('escrow-flash-sale clockSkewMsMax=1000000: a node whose clock starts at -1000 s refills at once', () => {
    const r = run(escrowFlashSale, 1, ['clockSkewMsMax=1000000']);
    expect(r.pending).toEqual([]);
    expect(r.outcome).toBe('pass');
  });
});

describe('edges-b: raft, hw, broadcast', () => {
  it('raft-lease-lock holdMsMean=1e7: a holder stops using the lock at the heal, so the lock and its lease settle', () => {
    const r = run(raftLeaseLock, 1, ['holdMsMean=10000000']);
    expect(r.pending).toEqual([]);
    expect(r.outcome).toBe('pass');
  });

  it('raft-scripted-failover settleMs=60000: the fault phase lasts as long as the script\'s bounds, past durationS', () => {
    const r = run(raftScriptedFailover, 1, ['settleMs=60000']);
    expect(r.violations).toEqual([]);
    expect(r.outcome).toBe('pass');
    expect(r.finished?.atNs).toBeGreaterThan(60e9); // the script did run past the declared 30 s
  });

  it('raft-scripted-failover accepts a failover bound of two election timeouts (630 ms)', () => {
    expect(run(raftScriptedFailover, 1, ['failoverBoundMs=630']).outcome).toBe('pass');
  });

  it('hw-latency-table scanRows=1e7: the bound covers the host scan\'s model time (about 6 s), not a fixed 5 s', () => {
    const r = run(hwLatencyTable, 1, ['scanRows=10000000']);
    expect(r.pending).toEqual([]);
    expect(r.outcome).toBe('pass');
    expect(r.recoveredAfterNs).toBeGreaterThan(5e9);
  });

  it('hw-latency-table rocksPutUs=300000: the meter goes on past the heal until a PUT is measured', () => {
    const r = run(hwLatencyTable, 1, ['rocksPutUs=300000']);
    expect(r.pending).toEqual([]);
    expect(r.outcome).toBe('pass');
  });

  const refused: [string, unknown, string[], RegExp][] = [
    ['a failover bound below any election', raftScriptedFailover, ['failoverBoundMs=0.001'], /raft-scripted-failover: failoverBoundMs 0.001 is shorter than two election timeouts of the servers \(630 ms\).*at least 630/],
    ['a peer round trip slower than the replicas\' election timeout', hwLatencyTable, ['netOneWayUs=9500'], /hw-latency-table: a peer round trip of the accelerated cluster would take up to 19.01 ms \(netOneWayUs, nicProcessingUs/],
    ['a device time near its 1e12 maximum', hwLatencyTable, ['hostFsyncUs=1e12'], /hw-latency-table: a peer round trip of the traditional cluster .*hostFsyncUs/],
    ['a store write slower than the meter waits for a command', hwLatencyTable, ['rocksPutUs=1000000'], /hw-latency-table: a PUT's store write would take 1000 ms .* 440 ms/],
    ['a scan longer than 600 simulated seconds', hwLatencyTable, ['scanRows=100000000', 'scanRowBytes=10000'], /hw-latency-table: a scan would take 5010 s .* limited to 600 simulated seconds/],
  ];
  for (const [what, scn, pins, msg] of refused) {
    it(`refused: ${what}`, () => {
      expect(() => run(scn, 1, pins)).toThrow(ParamError);
      expect(() => run(scn, 1, pins)).toThrow(msg);
    });
  }

  it('the swarm never draws a refused combination (hw-latency-table, raft-scripted-failover: 40 seeds)', () => {
    for (const scn of [hwLatencyTable, raftScriptedFailover].map(any))
      for (let seed = 1; seed <= 40; seed++) expect(scn.checkParams?.(drawParamValues(scn.params, seed, {}, true) as never) ?? null, `${scn.name} seed ${seed}`).toBeNull();
  });

  it("broadcast's slowest disk is one its liveness bound covers: diskSlowFactorMax stops at 1000", () => {
    for (const scn of [broadcast, broadcastBusy]) expect(() => parsePins(scn.params, scn.name, ['diskSlowFactorMax=10000'])).toThrow(/diskSlowFactorMax must be in \[1, 1000\], got 10000/);
    // At the new maximum a correct system recovers (it failed at 10⁴: a node's queued slow fsyncs outlasted the bound).
    expect(run(broadcast, 1, ['diskSlowFactorMax=1000']).outcome).toBe('pass');
  });
});

describe('review12: hw-latency-table kvOps', () => {
  it('hw-latency-table kvOps=1: a meter whose one PUT was lost to the faults sends more after the heal until a PUT is measured', () => {
    // Seed 110's only PUT never committed under the faults; the meter had no command left and the
    // table stayed without a PUT row ("no PUT measured yet" at the bound).
    const r = run(hwLatencyTable, 110, ['kvOps=1']);
    expect(r.pending).toEqual([]);
    expect(r.outcome).toBe('pass');
    expect((r.metrics.table as string[]).find((l) => l.startsWith('PUT latency'))).toMatch(/^PUT latency: accelerated \d/);
  });
});

describe('lead, round 12: hw-latency-table', () => {
  it('a scan just over the limit is not reported as the limit itself (600.118 s, not "600 s")', () => {
    expect(() => run(hwLatencyTable, 1, ['scanRows=98380000', 'scanRowBytes=1200'])).toThrow(/a scan would take 600\.118 s .* limited to 600 simulated seconds/);
  });
});

describe('lead, round 12: raft-lease-lock', () => {
  it('writeGapMs=1e6: a holder does not sleep through the heal with the lock (seed 10 failed leases-settle)', () => {
    const r = run(raftLeaseLock, 10, ['writeGapMs=1000000']);
    expect(r.pending).toEqual([]);
    expect(r.outcome).toBe('pass');
  });
});
