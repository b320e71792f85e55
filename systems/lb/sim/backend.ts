/**
 * A simulated backend server: a fixed pool of workers with a bounded queue in front (its capacity
 * limit), a service time drawn per request, per-connection state with an idle timeout, and an
 * HTTP health endpoint. Its behaviour can be changed while it runs through a `BackendMode` the
 * scenario owns (slow, failing); crashes and pauses come from the kernel.
 *
 * Service time of a request = work units x `nsPerWork` x speed x mode.slowFactor x noise, where
 * noise is log-normal (median 1, p99 `noiseP99`): requests of uneven cost on servers of uneven
 * speed, the setting in which balancing algorithms differ (seed 004).
 */
import type { Envelope, NodeContext, NodeProgram } from '../../../sim/node.ts';
import type { Nanos } from '../../../sim/time.ts';
import type { BackendRequest, BackendResponse, ProbeReply } from './messages.ts';

/** Run-time behaviour of one backend, changed by the scenario's nemesis. Survives crashes. */
export interface BackendMode {
  /** Multiplies service time; 1 is normal. */
  slowFactor: number;
  /** Probability that a request fails with a 500. */
  errorRate: number;
  /** The health endpoint answers 503 (a deep dependency down, or an operator's kill switch). */
  healthFails: boolean;
}

export function normalMode(): BackendMode {
  return { slowFactor: 1, errorRate: 0, healthFails: false };
}

export interface BackendOptions {
  /** Requests served at once. */
  workers: number;
  /** Requests waiting for a worker; beyond this a request is refused with 503 (overloaded). */
  queueMax: number;
  /** Service time per work unit at speed 1, in ns. */
  nsPerWork: number;
  /** Relative slowness of this machine (1 = reference; 2 = half as fast). */
  speed: number;
  /** p99 of the multiplicative service-time noise (median 1); 1 = no noise. */
  noiseP99: number;
  /** A connection with no request for this long is dropped (TCP keep-alive timeout), in ns. */
  connIdleNs: Nanos;
  mode: BackendMode;
  /** Bug zoo: the idle sweep runs once per keep-alive timeout, so an idle connection lives up to twice it. */
  bugs?: { idleSweepPerTimeout: boolean };
}

export interface BackendProgram extends NodeProgram {
  /** Open connections (stream ids) and when each last saw a request: for the drain invariant. */
  readonly conns: ReadonlyMap<string, Nanos>;
  /** Requests served (answered) by this incarnation. */
  served: number;
  readonly busy: () => number;
}

interface Job {
  env: Envelope<BackendRequest>;
}

export function backendNode(ctx: NodeContext, o: BackendOptions): BackendProgram {
  const conns = new Map<string, Nanos>();
  const queue: Job[] = [];
  let busy = 0;
  const program: BackendProgram = { conns, served: 0, busy: () => busy };

  const serviceNs = (work: number): Nanos => {
    const noise = o.noiseP99 > 1 ? ctx.rng.logNormal(1, o.noiseP99) : 1;
    return Math.max(1, Math.round(work * o.nsPerWork * o.speed * o.mode.slowFactor * noise));
  };

  const startNext = (): void => {
    while (busy < o.workers && queue.length > 0) {
      const job = queue.shift()!;
      busy++;
      ctx.setTimer(serviceNs(job.env.body.work), () => {
        busy--;
        const status = o.mode.errorRate > 0 && ctx.rng.chance(o.mode.errorRate) ? 500 : 200;
        program.served++;
        ctx.reply(job.env, { type: 'bresp', status } satisfies BackendResponse);
        startNext();
      });
    }
  };

  // TCP keep-alive: forget connections idle too long (their FIN may have been lost). Sweeping four
  // times per timeout bounds how long an idle connection outlives it: a quarter of the timeout.
  const sweepNs = Math.max(1, Math.floor(o.connIdleNs / 4));
  const sweepEveryNs = o.bugs?.idleSweepPerTimeout ? o.connIdleNs : sweepNs; // BUG (idleSweepPerTimeout)
  const expire = (): void => {
    const now = ctx.now();
    for (const [c, last] of [...conns]) if (now - last >= o.connIdleNs) conns.delete(c);
    ctx.setTimer(sweepEveryNs, expire);
  };
  ctx.setTimer(sweepEveryNs, expire);

  program.onMessage = (env: Envelope): void => {
    const m = env.body as { type: string };
    switch (m.type) {
      case 'probe':
        ctx.reply(env, { type: 'probe-reply', status: o.mode.healthFails ? 503 : 200 } satisfies ProbeReply);
        return;
      case 'breq': {
        const req = env.body as BackendRequest;
        conns.set(req.conn, ctx.now());
        if (busy >= o.workers && queue.length >= o.queueMax) {
          ctx.reply(env, { type: 'bresp', status: 503 } satisfies BackendResponse);
          return;
        }
        queue.push({ env: env as Envelope<BackendRequest> });
        startNext();
        return;
      }
      case 'close':
        conns.delete((env.body as { conn: string }).conn);
        return;
    }
  };
  return program;
}
