/**
 * Simulated clients. `keepAliveClient`: a few keep-alive connections, each sending one request at
 * a time with a think time between, reconnecting (through a freshly chosen balancer, as ECMP would
 * spread new flows) when the balancer closes the connection, when a request times out, or after
 * a number of requests. `openLoopClient`: Poisson arrivals, each request sent at once to one
 * balancer per pool (the same arrival times and work for every pool: common random numbers, so
 * pools that differ only in their algorithm are compared on one workload).
 *
 * Every request gets an id and exactly one outcome the client sees: a response, an error from the
 * balancer, or its own timeout. Latency is measured on the client's clock, in simulated time.
 */
import type { NodeContext } from '../../../sim/node.ts';
import type { Future, ProcessBody } from '../../../sim/process.ts';
import type { Nanos } from '../../../sim/time.ts';
import type { ClientRequest, ClientResponse } from './messages.ts';

/**
 * A recorded decision (sim/decisions.ts): a client's n-th request, by meaning; in a run driven by
 * a script, the script's request (null: skipped). A kit passes `w.sim.decisions.operation`.
 */
export type DecideRequest = <O extends Record<string, unknown>>(client: string, n: number, op: O) => O | null;

/** A keep-alive client's request as a script names it: which connection, through which balancer. */
export interface KeepAliveRequest extends Record<string, unknown> {
  lb: string;
}

export type Outcome = { kind: 'response'; resp: ClientResponse } | { kind: 'timeout' };

/** Where clients report what they saw (the scenario's recorder). */
export interface ClientRecorder {
  issued(client: string, reqId: string, lb: string): void;
  outcome(client: string, reqId: string, outcome: Outcome, latencyNs: Nanos): void;
}

export interface KeepAliveOptions {
  balancers: string[];
  conns: number;
  thinkNsMean: Nanos;
  /** A connection is closed (FIN) after this many requests and a new one opened. */
  requestsPerConnMax: number;
  timeoutNs: Nanos;
  recorder: ClientRecorder;
  /**
   * Each request is a recorded decision of its connection ("c1/conn0's 4th request: through
   * lb2"), numbered per connection so that skipping one leaves the other connections' numbers.
   */
  decide?: DecideRequest;
}

export function keepAliveClient(ctx: NodeContext, o: KeepAliveOptions): ProcessBody {
  let port = 1000;
  let n = 0;
  function* connection(conn: number): ProcessBody {
    const who = `${ctx.id}/conn${conn}`;
    let k = 0;
    for (;;) {
      const lb = ctx.rng.pick(o.balancers);
      const flow = `${ctx.id}:${port++}`;
      let open = true;
      for (let seq = 0; seq < o.requestsPerConnMax && open; seq++) {
        yield ctx.sleep(Math.max(1, Math.round(ctx.rng.exponential(o.thinkNsMean))));
        const reqId = `${ctx.id}-${n++}`;
        const d = o.decide === undefined ? { lb } : o.decide<KeepAliveRequest>(who, ++k, { lb });
        if (d === null) continue;
        const t0 = ctx.now();
        o.recorder.issued(ctx.id, reqId, d.lb);
        const req: ClientRequest = { type: 'req', reqId, flow, seq, work: 1 };
        const r = yield* waitCall(ctx, d.lb, req, o.timeoutNs);
        o.recorder.outcome(ctx.id, reqId, r, ctx.now() - t0);
        if (r.kind === 'timeout' || r.resp.closeConn) open = false;
      }
      if (open) ctx.send(lb, { type: 'fin', flow });
    }
  }
  return (function* () {
    for (let c = 0; c < o.conns; c++) ctx.spawn(`conn${c}`, connection(c));
  })();
}

function* waitCall(ctx: NodeContext, lb: string, req: ClientRequest, timeoutNs: Nanos): Generator<Future<unknown>, Outcome, unknown> {
  const r = (yield ctx.call<ClientResponse>(lb, req, timeoutNs)) as { ok: true; body: ClientResponse } | { ok: false };
  return r.ok ? { kind: 'response', resp: r.body } : { kind: 'timeout' };
}

export interface OpenLoopOptions {
  /** One balancer per pool; every arrival goes to each. */
  poolBalancers: string[];
  /** Mean time between arrivals, in ns. */
  interArrivalNsMean: Nanos;
  /** Work of a request: exponential with this mean (units). */
  workMean: number;
  timeoutNs: Nanos;
  recorder: ClientRecorder;
  /** Arrivals stop when this turns false. */
  running: () => boolean;
  /** Each arrival is a recorded decision ("c1's 7th arrival: work 0.83"), sent to every pool or to none. */
  decide?: DecideRequest;
}

export function openLoopClient(ctx: NodeContext, o: OpenLoopOptions): ProcessBody {
  return (function* () {
    let n = 0;
    while (o.running()) {
      yield ctx.sleep(Math.max(1, Math.round(ctx.rng.exponential(o.interArrivalNsMean))));
      const drawn = Math.max(0.01, ctx.rng.exponential(o.workMean));
      const k = n++;
      const d = o.decide === undefined ? { work: drawn } : o.decide(ctx.id, k + 1, { work: drawn });
      if (d === null) continue;
      const work = d.work;
      for (const lb of o.poolBalancers) {
        const reqId = `${ctx.id}-${lb}-${k}`;
        const t0 = ctx.now();
        o.recorder.issued(ctx.id, reqId, lb);
        // Each request is its own connection's only request (flow = request): no keep-alive state.
        const req: ClientRequest = { type: 'req', reqId, flow: reqId, seq: 0, work };
        ctx.call<ClientResponse>(lb, req, o.timeoutNs).then((r) => {
          o.recorder.outcome(ctx.id, reqId, r.ok ? { kind: 'response', resp: r.body } : { kind: 'timeout' }, ctx.now() - t0);
        });
      }
    }
  })();
}
