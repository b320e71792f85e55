/**
 * One door a system: each kit adds a working cluster to a World under its own node-id prefix, and
 * kits compose (two clusters of one system, or every system in the platform).
 */
import { describe, expect, it } from 'vitest';
import { faultParams, standardNemesis } from '../../sim/nemesis.ts';
import type { CallResult } from '../../sim/node.ts';
import { runScenario } from '../../sim/runner.ts';
import { defineScenario } from '../../sim/scenario.ts';
import { ms, sec } from '../../sim/time.ts';
import { addCrdtRegions } from '../crdt/replication/harness.ts';
import type { ClientReply } from '../crdt/replication/region.ts';
import { addEscrowCluster, saleParams, standardSale } from '../escrow/kit.ts';
import { addConfigStore, raftParams } from '../kv/kit.ts';
import { defaultsOf } from './kit.ts';

describe('the config store kit', () => {
  const scn = defineScenario({
    name: 'kit-config-store-alone',
    description: 'the config store kit under a prefix, with its workload and checks',
    params: { ...raftParams({ nodes: 3, durationS: 3, maxOps: 80 }), ...faultParams() },
    durationNs: (p) => sec(p.durationS),
    setup(w, p) {
      const c = addConfigStore(w, p, { prefix: 'cfg', domainOf: (i) => ['us', 'eu', 'ap'][i]! });
      standardNemesis(w, p, { targets: c.servers });
      w.metrics.ids = c.ids;
      w.metrics.domains = [...c.domains.entries()];
    },
  });

  it('adds its servers under the prefix with their failure domains, and passes its own checks', () => {
    const r = runScenario(scn, { seed: 3, pins: { nodes: 3 } });
    expect(r.ok).toBe(true);
    expect(r.metrics.ids).toEqual(['cfg1', 'cfg2', 'cfg3']);
    expect(r.metrics.domains).toEqual([['cfg1', 'us'], ['cfg2', 'eu'], ['cfg3', 'ap']]);
    expect((r.metrics.history as { verdict: string }).verdict).toBe('linearizable');
  });
});

describe('the escrow kit', () => {
  const scn = defineScenario({
    name: 'kit-escrow-twice',
    description: 'two escrow clusters in one world',
    params: { ...saleParams({ durationS: 2, capacity: 40 }), ...faultParams() },
    durationNs: (p) => sec(p.durationS),
    livenessBoundNs: sec(20),
    setup(w, p) {
      const a = addEscrowCluster(w, p, { prefix: 'a-', topology: 'peers', bugs: {} });
      const b = addEscrowCluster(w, p, { prefix: 'b-', topology: 'peers', bugs: {} });
      standardSale(w, p, a, { metricsKey: 'a' });
      standardSale(w, p, b, { metricsKey: 'b', nemesis: false });
      w.metrics.hosts = [...a.hosts, ...b.hosts].map((h) => h.id);
    },
  });

  it('keeps two clusters apart: own prefixes, own monitors, both sell and pass', () => {
    const r = runScenario(scn, { seed: 2, pins: { regions: 3 } });
    expect(r.ok).toBe(true);
    expect(r.metrics.hosts).toEqual(['a-r1', 'a-r2', 'a-r3', 'b-r1', 'b-r2', 'b-r3']);
    expect((r.metrics.a as { soldSeats: number }).soldSeats).toBeGreaterThan(0);
    expect((r.metrics.b as { soldSeats: number }).soldSeats).toBeGreaterThan(0);
  });
});

describe('the CRDT replication kit', () => {
  const scn = defineScenario({
    name: 'kit-crdt-alone',
    description: 'replica regions under a prefix; a client adds to a set at one, reads at the other',
    params: {},
    durationNs: sec(2),
    setup(w) {
      const c = addCrdtRegions(w, { ids: ['x-us', 'x-eu'], bug: 'none' });
      const seen: string[][] = [];
      w.addClient('client', (ctx) => (function* () {
        for (const elem of ['a', 'b', 'c']) yield ctx.call(c.ids[0]!, { type: 'op', op: { kind: 'add', key: 'set:s', elem }, client: 'client', req: seen.length + elem.charCodeAt(0), token: new Map() }, ms(500));
        yield ctx.sleep(sec(1));
        const r = (yield ctx.call<ClientReply>(c.ids[1]!, { type: 'read', key: 'set:s', token: new Map() }, ms(500))) as CallResult<ClientReply>;
        if (r.ok && r.body.type === 'read-ok' && r.body.value.kind === 'set') seen.push(r.body.value.value);
      })());
      w.metrics.ids = c.ids;
      w.metrics.seen = seen;
    },
  });

  it('replicates between its regions', () => {
    const r = runScenario(scn, { seed: 1 });
    expect(r.ok).toBe(true);
    expect(r.metrics.ids).toEqual(['x-us', 'x-eu']);
    expect(r.metrics.seen).toEqual([['a', 'b', 'c']]);
  });
});

describe('defaultsOf', () => {
  it('gives a parameter set\'s defaults (what a composing scenario hands another kit)', () => {
    expect(defaultsOf(saleParams({ capacity: 7 })).capacity).toBe(7);
    expect(defaultsOf(raftParams({ nodes: 3 })).nodes).toBe(3);
  });
});

describe('the kits composed: platform-global-sale', () => {
  it('passes its seeds and really runs the platform: orders, operator actions, failover', async () => {
    const { default: platform } = await import('../../scenarios/platform-global-sale.ts');
    const { failingSeeds } = await import('../../sim/bug-zoo.ts');
    expect(failingSeeds(platform, { bug: 'none' }, 1, 4)).toEqual([]);
    const r = runScenario(platform, { seed: 1, swarm: false });
    expect(r.ok).toBe(true);
    const m = r.metrics.platform as { confirmed: number; forwards: number; operator: { lockTurns: number; deploys: number; finished: number; removes: number; adds: number; evacuations: number } };
    expect(m.confirmed).toBeGreaterThan(5);
    expect(m.forwards).toBeGreaterThan(50);
    expect(m.operator.lockTurns).toBeGreaterThan(1);
    expect(m.operator.deploys + m.operator.finished + m.operator.removes + m.operator.adds + m.operator.evacuations).toBeGreaterThan(0);
    expect((r.metrics.history as { verdict: string }).verdict).toBe('linearizable');
  });
});
