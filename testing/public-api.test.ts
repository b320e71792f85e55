/**
 * Every name the README tells a scenario author to import is exported where it says: its cheat
 * sheets ("the scenario API", "the system kits"), "What a scenario has to work with" and
 * "Testing a scenario with vitest". FAULT_KINDS, MILESTONE_KINDS, DiskReadFailed and
 * checkWireAcks were documented as `import { ... } from 'detsim'` and were not exported.
 * Values are checked here; the types below are checked by the type-check (`tsc --noEmit -p .`).
 */
import { describe, expect, it } from 'vitest';
import * as detsim from '../index.ts';
import * as kits from '../kits/index.ts';
import * as testing from './index.ts';

const FROM_DETSIM = [
  'defineScenario', 'faultParams', 'standardNemesis', 'param', 'us', 'ms', 'sec', 'minutes', 'formatNs',
  'wait', 'sleep', 'firstOf', 'allOf', 'runScenario', 'findCatchingSeed', 'failingSeeds', 'withFloor',
  'defineProbes', 'World', 'NodeContext', 'SimNode', 'Future', 'Disk', 'Device',
  'MILESTONE_KINDS', 'FAULT_KINDS', 'DiskReadFailed', 'checkWireAcks',
];
const FROM_KITS = ['addConfigStore', 'addEscrow', 'addCrdtRegions', 'addGeoDns', 'lbParams', 'addLoadBalancers', 'platformParams', 'addPlatform'];
const FROM_TESTING = ['expectBugCaught', 'expectSeedsPass', 'runSeeds', 'at', 'clientOp', 'crash', 'expectVerdict', 'runScript'];

/** The documented types: a missing one fails the type-check. */
export type DocumentedTypes = [detsim.CallResult<unknown>, detsim.Nanos, detsim.Envelope, detsim.DiskError, detsim.Timer, detsim.ParamValues<detsim.ParamDefs>, detsim.FaultKind, detsim.WireAckJudge, testing.Verdict];

describe('the public entry points', () => {
  it.each([
    ['detsim', detsim as Record<string, unknown>, FROM_DETSIM],
    ['detsim/kits', kits as Record<string, unknown>, FROM_KITS],
    ['detsim/testing', testing as Record<string, unknown>, FROM_TESTING],
  ] as const)('%s exports every name the README imports from it', (_entry, mod, names) => {
    expect(names.filter((n) => mod[n] === undefined)).toEqual([]);
  });

  it('FAULT_KINDS and MILESTONE_KINDS are the lists the nemesis uses', () => {
    expect(detsim.FAULT_KINDS.map((k) => k.kind)).toContain('node-crash');
    expect(Object.values(detsim.MILESTONE_KINDS)).toContain('term-change');
  });
});
