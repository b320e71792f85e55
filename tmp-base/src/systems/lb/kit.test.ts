/**
 * The load-balancer kit, one door: used alone in a small world (its nodes under the prefix and the
 * failure domain, its client API served and covered by its checks, a bug caught by them), and
 * through `detsim/kits` composed with the config store kit in one world (distinct prefixes, no id
 * collision, both systems' checks run).
 */
import { describe, expect, it } from 'vitest';
import { addConfigStore, addLoadBalancers as addLoadBalancersDoor, lbParams as lbParamsDoor } from '../../kits/index.ts';
import { findCatchingSeed } from '../../sim/bug-zoo.ts';
import { faultParams } from '../../sim/nemesis.ts';
import { runScenario } from '../../sim/runner.ts';
import { defineScenario, type Scenario } from '../../sim/scenario.ts';
import { ms, sec } from '../../sim/time.ts';
import { addLoadBalancers, lbParams, LB_CHECKS, withDefaults, type LbReply } from './kit.ts';

describe('addLoadBalancers alone', () => {
  const scn = defineScenario({
    name: 'kit-lb-alone',
    description: 'one lb cluster under a prefix and a failure domain, its own clients and a caller of its client API',
    params: withDefaults(lbParams(), { durationS: { default: 2 }, backends: { default: 3, swarm: undefined }, balancers: { default: 2, swarm: undefined }, clients: { default: 1 } }),
    durationNs: (p) => sec(p.durationS),
    livenessBoundNs: sec(10),
    setup(w, p) {
      const lb = addLoadBalancers(w, p, { prefix: 'web-', domain: 'rack-a', metricsKey: 'web' });
      const replies: LbReply[] = [];
      w.addClient('caller', (ctx) => (function* () {
        for (let i = 0; i < 40; i++) {
          yield ctx.sleep(ms(40));
          replies.push(yield* lb.request(ctx));
        }
      })());
      w.metrics.ids = { balancers: lb.balancers, backends: lb.backends, operator: lb.operator, clients: lb.clients };
      w.metrics.nodes = w.nodes.map((n) => n.id);
      w.metrics.domains = [...new Set(lb.domains.values())];
      w.metrics.domainCount = lb.domains.size;
      w.liveness('caller-done', () => (replies.length === 40 ? ((w.metrics.replies = replies), true) : `${replies.length} of 40 replies`));
    },
  }) as unknown as Scenario;

  it('adds balancers, backends, operator and clients under the prefix and domain; its client API is served and counted', () => {
    const r = runScenario(scn, { seed: 1 });
    expect(r.violations).toEqual([]);
    expect(r.ok).toBe(true);
    const ids = r.metrics.ids as { balancers: string[]; backends: string[]; operator: string; clients: string[] };
    expect(ids.balancers).toEqual(['web-lb1', 'web-lb2']);
    expect(ids.backends).toHaveLength(3);
    for (const b of ids.backends) expect(b).toMatch(/^web-10\.\d+\.\d+\.\d+:80$/);
    expect(ids.operator).toBe('web-operator');
    expect(ids.clients).toEqual(['web-c1']);
    // Every node of the cluster carries the prefix and sits in the failure domain.
    const nodes = r.metrics.nodes as string[];
    expect(nodes.filter((n) => n !== 'caller').every((n) => n.startsWith('web-'))).toBe(true);
    expect(r.metrics.domains).toEqual(['rack-a']);
    expect(r.metrics.domainCount).toBe(nodes.length - 1);
    const replies = r.metrics.replies as LbReply[];
    const served = replies.filter((x) => x.ok);
    expect(served.length).toBeGreaterThan(20);
    for (const x of served) {
      expect(ids.backends).toContain(x.backend);
      expect(ids.balancers).toContain(x.balancer);
      expect(x.status).toBe(200);
    }
    // The figures, under metricsKey, count the caller's requests beside the kit's own clients'.
    const f = r.metrics.web as { requests: number; requestsPerBackend: Record<string, number> };
    expect(f.requests).toBeGreaterThan(40);
    expect(Object.keys(f.requestsPerBackend).sort()).toEqual([...ids.backends].sort());
  });

  it("its checks catch a broken balancer (a non-prime Maglev table) in this small world, by an invariant in the handle's checks", () => {
    const c = findCatchingSeed(scn, { pins: { bug: 'maglev-non-prime', algorithm: 'maglev' }, cap: 5 });
    expect(c.seed).not.toBeNull();
    expect(['maglev-every-slot-owned', 'maglev-balance']).toContain(c.invariant);
    expect(LB_CHECKS).toContain(c.invariant);
    expect(runScenario(scn, { seed: c.seed!, pins: { algorithm: 'maglev' } }).ok).toBe(true);
  });
});

describe("addLoadBalancers composed with the config store through 'detsim/kits'", () => {
  const scn = defineScenario({
    name: 'kit-lb-and-store',
    description: 'an lb cluster and a Raft config store in one world, each under its own prefix',
    params: { ...faultParams(), ...lbParamsDoor() },
    durationNs: sec(3),
    livenessBoundNs: sec(30),
    setup(w, p) {
      const store = addConfigStore(w, { prefix: 'cfg', nodes: 3, workload: true, domainOf: (i) => ['us', 'eu', 'ap'][i]! });
      const web = addLoadBalancersDoor(w, p, { prefix: 'web-', domain: 'us' });
      w.metrics.nodes = w.nodes.map((n) => n.id);
      w.metrics.kits = { store: store.ids, balancers: web.balancers, checks: web.checks.length };
    },
  }) as unknown as Scenario;

  it('keeps the two apart (distinct prefixes, no id collision) and runs both systems’ checks', () => {
    const r = runScenario(scn, { seed: 2, pins: { balancers: 3 } });
    expect(r.violations).toEqual([]);
    expect(r.ok).toBe(true);
    const nodes = r.metrics.nodes as string[];
    expect(new Set(nodes).size).toBe(nodes.length);
    expect(nodes.every((n) => n.startsWith('cfg') || n.startsWith('web-'))).toBe(true);
    expect(nodes.filter((n) => /^cfg\d+$/.test(n))).toEqual(['cfg1', 'cfg2', 'cfg3']); // and its workload's clients, cfgc1..
    expect(r.metrics.kits).toEqual({ store: ['cfg1', 'cfg2', 'cfg3'], balancers: ['web-lb1', 'web-lb2', 'web-lb3'], checks: LB_CHECKS.length });
    // The store's linearizability check ran on its workload; the lb's figures are there.
    expect((r.metrics.history as { verdict: string }).verdict).toBe('linearizable');
    expect((r.metrics['web-'] as { requests: number }).requests).toBeGreaterThan(0);
  });

  it('an lb bug in the composed world is caught by the lb checks, with the store beside it', () => {
    const c = findCatchingSeed(scn, { pins: { bug: 'maglev-non-prime', algorithm: 'maglev' }, cap: 5 });
    expect(c.seed).not.toBeNull();
    expect(LB_CHECKS).toContain(c.invariant);
  });
});
