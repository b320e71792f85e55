/**
 * detsim's load balancer core: the pure logic of an L4/L7 balancer, for the simulator to drive.
 * Nothing here does I/O, reads a clock or uses global randomness; time comes in as `now: Nanos`
 * and randomness as an injected `Rng`. The simulator owns backends, clients and the network.
 *
 * A request's path through these parts, as the integration is meant to wire them:
 *   1. `ConfigStore.acquire()` pins the config version the request will use to the end (race 3).
 *   2. `ConnTrack.route(flow, now, pick, usable)` keeps an established flow on its backend; for a
 *      new flow `pick` is a Maglev lookup (`MaglevTable.lookup(hash)`) or an algorithm's pick.
 *   3. Algorithms choose among `eligible(StatusBoard.current())` via `Selector.begin/finish`
 *      (race 1), reading `BackendStats` (whose counter may be the racy one: race 2).
 *   4. `CircuitBreaker.tryAcquire`, `OutlierDetector.isEjected` and `DrainTracker.open` may refuse.
 *   5. On completion: `BackendStats.onFinish`, breaker/outlier `onResult`, `DrainTracker.close`,
 *      `ConnTrack.close`, `ConfigStore.release`.
 * Health: one `HealthChecker` per (balancer, backend); its transitions update the StatusBoard,
 * optionally through a `VantageAggregator` so several balancers must agree.
 *
 * Bug-zoo flags (each off by default, each documented where it lives):
 *   - `MaglevOptions.allowNonPrime`          non-prime table size; slots may stay empty
 *   - `HealthCheckConfig.thresholdOffByOne`  transitions need one more result than configured
 *   - `Selector({ staleSnapshot })`          choice from the list read at request arrival (race 1)
 *   - `ActiveRequestCounter({ nonAtomic })`  read and write of an increment split (race 2)
 *   - `DrainOptions.acceptWhileDraining`     draining backends still take new connections
 */

// xxHash64 (the hash Envoy's Maglev uses for host keys).
export { xxHash64, xxHash64Mod } from './xxhash64.ts';

// Maglev consistent hashing.
export {
  MAGLEV_DEFAULT_TABLE_SIZE,
  MaglevTable,
  buildMaglevTable,
  envoyMaglevHash,
  isPrime,
  maglevBalance,
  maglevDisruption,
  maglevPermutation,
  type MaglevBackend,
  type MaglevBalance,
  type MaglevDisruption,
  type MaglevHash,
  type MaglevOptions,
} from './maglev.ts';
export { backendKey, benchMaglev, maglevFigures, memoizedHash, type MaglevBenchResult, type MaglevFigure } from './maglev-figures.ts';

// Connection tracking.
export { ConnTrack, flowId, type ConnTrackOptions, type FiveTuple, type RouteResult, type RouteSource } from './conntrack.ts';

// Health checking.
export {
  HealthChecker,
  VantageAggregator,
  detectionTimeNs,
  routingWeight,
  type CheckKind,
  type HealthAction,
  type HealthCheckConfig,
  type HealthStatus,
  type ProbeOutcome,
  type VantageOptions,
} from './health.ts';

// Selection algorithms and the race-condition models.
export {
  ActiveRequestCounter,
  AdaptiveBalancer,
  BackendStats,
  LatencyWeighted,
  LeastRequest,
  RoundRobin,
  Selector,
  type AdaptiveMode,
  type AdaptiveOptions,
  type BackendStatsOptions,
  type Candidate,
  type ModeSwitch,
  type PendingWrite,
  type PickFn,
  type SelectionTicket,
  type StatsView,
} from './algorithms.ts';
export { StatusBoard, eligible, type BackendStatus, type StatusSnapshot } from './status-board.ts';

// Draining, circuit breaking, outlier ejection.
export { DrainTracker, type DrainAction, type DrainOptions, type DrainState, type OpenResult } from './drain.ts';
export {
  CircuitBreaker,
  OutlierDetector,
  type AdmitResult,
  type BreakerState,
  type BreakerTransition,
  type CircuitBreakerConfig,
  type OutlierConfig,
  type OutlierEvent,
} from './circuit-breaker.ts';

// Versioned configuration.
export { ConfigStore, type AlgorithmName, type BackendSpec, type LbConfig, type LbSettings } from './config.ts';

// Errors.
export { LbConfigError, type LbConfigErrorCode } from './errors.ts';
