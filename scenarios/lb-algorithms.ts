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
import { addLoadBalancers, boundsOf, checkLbParams, lbParams, withDefaults, type LbLinks, type LoadBalancersHandle } from '../systems/lb/kit.ts';

/** Seed 004's average latencies, in us. */
export const SEED_004_MEAN_US: Record<string, number> = { 'round-robin': 150, 'least-request': 125, 'latency-weighted': 110, adaptive: 108 };
const POOLS: AlgorithmName[] = ['round-robin', 'least-request', 'latency-weighted', 'adaptive'];
const off = { default: 0, swarm: undefined, swarmOffProbability: undefined };

/** Time for every pool's health checks to admit its backends before the load starts. */
const warmupNs = (p: { healthIntervalMs: number; healthyThreshold: number }): number => ms(p.healthIntervalMs * (p.healthyThreshold + 2));

/** The load runs at least this far into the liveness phase (and on until `arrivalsAfterHeal`). */
const RUN_ON_NS = ms(20);
/** Chance allowed that a backend of a pool draws none of the arrivals after the faults stop. */
const NO_ARRIVAL_PROBABILITY = 1e-6;

/**
 * Arrivals the load sends after the faults stop, so that every backend of every pool draws one
 * but with chance NO_ARRIVAL_PROBABILITY (every-backend-receives-traffic-after-recovery). The
 * smallest share of arrivals a backend draws is taken as latency-weighted's, inversely
 * proportional to its slowness; a backend misses n arrivals with chance (1 - share)^n.
 */
export function arrivalsAfterHeal(speeds: readonly number[]): number {
  const share = 1 / Math.max(...speeds) / speeds.reduce((a, s) => a + 1 / s, 0);
  return Math.ceil(Math.log(NO_ARRIVAL_PROBABILITY / speeds.length) / Math.log(1 - share));
}

/** The pools' links: constant, linkUs each way; the slowest backend is the slowest of `speeds`. */
const linksOf = (p: { linkUs: number; speeds: string }): LbLinks => ({
  roundTripMs: (2 * p.linkUs) / 1000,
  from: `2 x linkUs ${p.linkUs}`,
  slowestSpeed: Math.max(...p.speeds.split(',').map(Number)),
});

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
  // 5 s, or, at slow arrival rates, the time the load takes to send arrivalsAfterHeal arrivals
  // (Poisson: twice their mean time, which n >= 60 arrivals outlast with chance below 1e-9),
  // plus a link and an answer. A fixed 5 s failed arrivalsPerMs=0.001: the load stopped 20 ms
  // after the faults with no arrival for any backend.
  livenessBoundNs: (p) => Math.max(sec(5), RUN_ON_NS + ms((2 * arrivalsAfterHeal(p.speeds.split(',').map(Number))) / p.arrivalsPerMs) + us(p.linkUs) + boundsOf(p).answerNs),
  // Open-loop clients: every request is a new stream, so no keep-alive traffic bound to check.
  checkParams: (p) => checkLbParams(p, null, linksOf(p)),
  setup(w, p) {
    w.net.setDefaults({ latency: { kind: 'constant', ns: us(p.linkUs) } });
    const speeds = p.speeds.split(',').map(Number);
    // One kit a pool, without its own clients, faults or figures: one shared open-loop load below.
    const pools: LoadBalancersHandle[] = POOLS.map((a, i) =>
      addLoadBalancers(w, { ...p, backends: speeds.length }, { prefix: `p${i + 1}-`, clients: false, faults: false, figures: false, algorithm: a, speeds, adaptive: { minDwellNs: ms(5) } }),
    );
    const poolOf = new Map(pools.map((x) => [x.balancers[0]!, x.cluster.oracle]));
    // Arrivals since the faults stopped (counted at the first pool: every pool gets each one).
    const needed = arrivalsAfterHeal(speeds);
    const first = pools[0]!.balancers[0]!;
    let running = true;
    let afterHeal = 0;
    let stopWhenEnough = false;
    const recorder: ClientRecorder = {
      issued: (c, r, lb) => {
        poolOf.get(lb)!.issued();
        if (lb === first && w.phase === 'liveness' && ++afterHeal >= needed && stopWhenEnough) running = false;
      },
      // Request ids are `${client}-${balancer}-${n}`; the balancer names the pool.
      outcome: (c, r, o, lat) => (o.kind === 'response' && w.clientOp(), poolOf.get(r.split('-').slice(1, 3).join('-'))!.outcome(c, r, o, lat)),
    };
    w.addClient('load', (ctx) => (function* () {
      yield ctx.sleep(warmupNs(p));
      yield* openLoopClient(ctx, { poolBalancers: pools.map((x) => x.balancers[0]!), interArrivalNsMean: 1e6 / p.arrivalsPerMs, workMean: 1, timeoutNs: ms(p.clientTimeoutMs), recorder, running: () => running, decide: (client, n, op) => w.sim.decisions.operation(client, n, op) });
    })());
    w.spawn('stop-load', (function* () {
      // The load runs a little into the liveness phase, so that every backend serves after it,
      // and on until enough arrivals came after the faults for every backend to draw one.
      yield sleep(w.sim, warmupNs(p) + sec(p.durationS) + RUN_ON_NS);
      if (afterHeal >= needed) running = false;
      else stopWhenEnough = true;
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
