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
import broadcast from './broadcast.ts';
import hwLatencyTable from './hw-latency-table.ts';
import hwTraditionalKv from './hw-traditional-kv.ts';
import lbChurn from './lb-churn.ts';
import lbCrash from './lb-crash.ts';
import raftChurn from './raft-churn.ts';

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
