/**
 * lb-algorithms: the comparison of seed 004 ("Adaptive Load Balancing: performance comparison"):
 * round robin, least-request (two choices), latency-weighted and adaptive selection, each in its
 * own pool (one balancer, the same heterogeneous backends), fed the very same open-loop workload
 * (common random numbers: identical arrival times and request sizes). The seed reports average
 * latencies of 150, 125, 110 and 108 us; this scenario reports mean, p50 and p99 per algorithm
 * next to them. The ordering is a property of the workload, not an invariant: the common lb
 * invariants are checked in every pool, and lb-algorithms.test.ts checks the ordering on seeds.
 */
import { param } from '../sim/params.ts';
import { sleep } from '../sim/process.ts';
import { defineScenario } from '../sim/scenario.ts';
import { ms, sec, us } from '../sim/time.ts';
import type { AlgorithmName } from '../systems/lb/index.ts';
import { openLoopClient, type ClientRecorder } from '../systems/lb/sim/client.ts';
import { addLoadBalancers, checkLbParams, lbParams, withDefaults, type LoadBalancersHandle } from '../systems/lb/kit.ts';

/** Seed 004's average latencies, in us. */
export const SEED_004_MEAN_US: Record<string, number> = { 'round-robin': 150, 'least-request': 125, 'latency-weighted': 110, adaptive: 108 };
const POOLS: AlgorithmName[] = ['round-robin', 'least-request', 'latency-weighted', 'adaptive'];
const off = { default: 0, swarm: undefined, swarmOffProbability: undefined };

/** Time for every pool's health checks to admit its backends before the load starts. */
const warmupNs = (p: { healthIntervalMs: number; healthyThreshold: number }): number => ms(p.healthIntervalMs * (p.healthyThreshold + 2));

export default defineScenario({
  name: 'lb-algorithms',
  description: 'Load balancer: round robin vs least-request vs latency-weighted vs adaptive on one heterogeneous pool and one workload (seed 004)',
  params: {
    ...withDefaults(lbParams(), {
      backends: { default: 4, swarm: undefined },
      balancers: { default: 1, swarm: undefined },
      lbMode: { default: 'l7', swarm: undefined },
      workers: { default: 4 },
      queueMax: { default: 100_000 },
      serviceUsMedian: { default: 55 },
      serviceNoiseP99: { default: 1 },
      selectDelayUsMax: { default: 0 },
      upstreamTimeoutMs: { default: 1000 },
      breaker: { default: false, swarm: undefined },
      outlierDetection: { default: false, swarm: undefined },
      backendCrashMsMean: off,
      cutMsMean: off,
      lbCrashMsMean: off,
      durationS: { default: 0.06 },
      healthIntervalMs: { default: 20, swarm: undefined },
      healthTimeoutMs: { default: 10 },
    }),
    arrivalsPerMs: param.float({ doc: 'open-loop arrivals per ms (every pool gets each one)', default: 40, min: 0.001, max: 1e4, swarm: [30, 50] }),
    linkUs: param.float({ doc: 'one-way link latency (us), constant', default: 10, min: 0, max: 1e6 }),
    speeds: param.enum(['1,1,2,4', '1,1.5,2,4', '1,1,2,3'], { doc: 'slowness of the 4 backends', default: '1,1,2,4', swarm: ['1,1,2,4', '1,1.5,2,4', '1,1,2,3'] }),
  },
  durationNs: (p) => warmupNs(p) + sec(p.durationS),
  livenessBoundNs: sec(5),
  // Open-loop clients: every request is a new stream, so no traffic bound to derive.
  checkParams: (p) => checkLbParams(p, null),
  setup(w, p) {
    w.net.setDefaults({ latency: { kind: 'constant', ns: us(p.linkUs) } });
    const speeds = p.speeds.split(',').map(Number);
    // One kit a pool, without its own clients, faults or figures: one shared open-loop load below.
    const pools: LoadBalancersHandle[] = POOLS.map((a, i) =>
      addLoadBalancers(w, { ...p, backends: speeds.length }, { prefix: `p${i + 1}-`, clients: false, faults: false, figures: false, algorithm: a, speeds, adaptive: { minDwellNs: ms(5) } }),
    );
    const poolOf = new Map(pools.map((x) => [x.balancers[0]!, x.cluster.oracle]));
    const recorder: ClientRecorder = {
      issued: (c, r, lb) => poolOf.get(lb)!.issued(),
      // Request ids are `${client}-${balancer}-${n}`; the balancer names the pool.
      outcome: (c, r, o, lat) => (o.kind === 'response' && w.clientOp(), poolOf.get(r.split('-').slice(1, 3).join('-'))!.outcome(c, r, o, lat)),
    };
    let running = true;
    w.addClient('load', (ctx) => (function* () {
      yield ctx.sleep(warmupNs(p));
      yield* openLoopClient(ctx, { poolBalancers: pools.map((x) => x.balancers[0]!), interArrivalNsMean: 1e6 / p.arrivalsPerMs, workMean: 1, timeoutNs: ms(p.clientTimeoutMs), recorder, running: () => running, decide: (client, n, op) => w.sim.decisions.operation(client, n, op) });
    })());
    w.spawn('stop-load', (function* () {
      // The load runs a little into the liveness phase, so that every backend serves after it.
      yield sleep(w.sim, warmupNs(p) + sec(p.durationS) + ms(20));
      running = false;
    })());
    w.liveness('figures', () => {
      const byAlgorithm: Record<string, unknown> = {};
      POOLS.forEach((a, i) => {
        const f = pools[i]!.figures();
        byAlgorithm[a] = { meanUs: f.latencyUsMean, p50Us: f.latencyUsP50, p99Us: f.latencyUsP99, seedMeanUs: SEED_004_MEAN_US[a], errorRate: f.errorRate, requestsPerBackend: f.requestsPerBackend };
      });
      w.metrics.byAlgorithm = byAlgorithm;
      return true;
    });
  },
});
