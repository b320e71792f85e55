/**
 * platform-global-sale: the whole platform in one simulation, three regions by default.
 *
 *   shoppers --GeoDNS (nearest healthy region, TTL'd answers, some sticky clients)--> region
 *   region:  load balancer (Maglev, health checks, drains from the config store by revision)
 *            -> application servers -> CRDT replica (carts, order view) + escrow replica (seats)
 *   global:  one Raft config store across the regions (backends, evacuations, the operator lock)
 *            and two operators taking turns at its lock to deploy, remove/add servers, evacuate.
 *
 * Faults: the standard nemesis on every server (config, escrow, CRDT, app), region outages (a
 * balancer down), GC pauses of the lock-holding operator. Checks: each system's own invariants
 * (Raft safety, linearizable config reads, escrow never-oversell/conservation, CRDT replicas) and
 * the end-to-end ones of systems/platform/invariants.ts. Bug zoo: PLATFORM_BUGS (the seams).
 */
import { standardNemesis } from '../sim/nemesis.ts';
import { defineScenario } from '../sim/scenario.ts';
import { ms, sec } from '../sim/time.ts';
import { addCrdtRegions } from '../systems/crdt/replication/harness.ts';
import { addEscrowCluster, applyWan, holdPolicyOf, livenessBoundOf, saleParams, watchCluster } from '../systems/escrow/kit.ts';
import { addGeoDns } from '../systems/geodns/kit.ts';
import { KvClient } from '../systems/kv/client.ts';
import { addConfigStore, raftParams } from '../systems/kv/kit.ts';
import { PlatformChecks } from '../systems/platform/invariants.ts';
import { addOperators, addRegionalTier, deployedConfig, quantiles, addShoppers, checkPlatform, ConfigHistory, defaultsOf, operatorPauses, configIsolations, platformBounds, platformParams, platformRegions, regionOutages } from '../systems/platform/kit.ts';
import { KEYS, type RegionsConfig } from '../systems/platform/types.ts';

export default defineScenario({
  name: 'platform-global-sale',
  description: 'GeoDNS, regional Maglev balancers, a Raft config store, escrow seats and CRDT carts in one world, under faults and live operations',
  params: platformParams(),
  durationNs: (p) => sec(p.durationS),
  livenessBoundNs: sec(30),
  // The end-to-end checks are event-driven or persistent states; a coarser poll keeps runs cheap.
  checkIntervalNs: ms(50),
  setup(w, p) {
    const regions = platformRegions(p);
    const bounds = platformBounds(p);
    const regionOf = new Map<string, string>();
    const deployed = deployedConfig(regions, p.appsPerRegion);
    const sale = { ...defaultsOf(saleParams()), regions: p.regions, capacity: p.capacity, wanMsMedian: p.wanMsMedian, durationS: p.durationS };

    // The systems, each through its kit, each with its own node-id prefix and failure domain.
    const config = addConfigStore(w, { ...defaultsOf(raftParams()), nodes: Math.max(3, p.regions), bug: 'none' }, { prefix: 'cfg', workload: false, domainOf: (i) => regions[i % regions.length]!, initial: deployed.keys });
    const escrow = addEscrowCluster(w, sale, { prefix: 'esc-', topology: 'peers', bugs: {} });
    const crdt = addCrdtRegions(w, { ids: regions.map((r) => `crdt-${r}`), bug: 'none', wanMsMin: p.wanMsMedian * 0.7, wanMsMax: p.wanMsMedian * 1.5 });
    const checks = new PlatformChecks(w, { drainBoundNs: bounds.drainBoundNs, healthBoundNs: bounds.healthBoundNs, capacity: p.capacity });
    const history = new ConfigHistory(w, config);
    const tier = addRegionalTier(w, { regions, appsPerRegion: p.appsPerRegion, config, escrow, crdt, checks, history, bug: p.bug, bounds, confirmDeadlineNs: holdPolicyOf(sale).holdNs, paymentMeanNs: ms(p.paymentMsMean), deployed });
    const dns = addGeoDns(w, {
      id: 'dns', regions, ttlNs: ms(p.ttlMs), fallThreshold: bounds.fall, riseThreshold: bounds.rise, bugIgnoreHealth: p.bug === 'geodns-ignores-health',
      entryOf: tier.lbOf, probeNs: bounds.probeNs, probeTimeoutNs: bounds.probeTimeoutNs, onAnswer: (home, a) => checks.onDnsAnswer(home, a.region, !a.eligible.includes(a.region)),
      *evacuated(ctx) {
        const r = yield* new KvClient(ctx, { servers: config.ids, clientId: 'dns', maxAttempts: 1, attemptTimeoutNs: ms(150) }).read({ op: 'get', key: KEYS.regions });
        return r.ok && r.value.op === 'get' && r.value.value !== null ? (JSON.parse(r.value.value) as RegionsConfig).evacuated : null;
      },
    });

    // Operations and shoppers: the workload.
    const servers = tier.servers.map((s) => ({ id: s.id, region: s.region }));
    const ops = addOperators(w, { configServers: config.ids, regions, servers, leaseTtlMs: p.leaseTtlMs, intervalNs: ms(p.opIntervalMs), drainWaitNs: bounds.drainWaitNs, deploy: (id, v) => tier.deploy(id, v), bug: p.bug, history, regionOf });
    const shop = addShoppers(w, { regions, dns, lbOf: tier.lbOf, roamRate: p.roamRate, thinkNs: ms(p.thinkMs), warmupNs: ms(p.warmupMs), checks, perRegion: p.shoppersPerRegion, stickyShare: p.stickyShare, regionOf });

    // Checks: each system's own, and the end-to-end ones.
    watchCluster(w, escrow, sale);
    checkPlatform(w, checks, { config, escrow, crdt, dns, tier });

    // Faults and the WAN.
    standardNemesis(w, p, { targets: [...config.servers, ...escrow.hosts, ...crdt.nodes, ...tier.servers.map((s) => s.node)], maxDown: 1, others: 'keep' });
    const failover: number[] = [];
    regionOutages(w, tier, checks, p.regionOutageMsMean, failover, dns);
    operatorPauses(w, config, p.opPauseMsMean, p.leaseTtlMs);
    configIsolations(w, config, p.cfgIsolateMsMean);
    for (const [id, r] of config.domains) regionOf.set(id, r);
    for (const [id, r] of escrow.regionOf) regionOf.set(id, regions[Number(r.slice(1)) - 1]!);
    tier.servers.forEach((s) => regionOf.set(s.id, s.region));
    regions.forEach((r) => regionOf.set(tier.lbOf(r), r));
    applyWan(w, regionOf, ms(p.wanMsMedian));

    w.onHeal(() => {
      w.metrics.platform = { ...shop, ...checks.counts, configChanges: checks.configs.length - 1, watchPropagationMs: quantiles(checks.propagationMs), operator: ops, dnsFailoverMs: failover.map((x) => Math.round(x / 1e6)), messages: w.net.stats.sent, livenessBoundMs: livenessBoundOf(sale) / 1e6 };
    });
  },
});
