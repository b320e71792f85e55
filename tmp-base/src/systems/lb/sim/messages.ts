/**
 * The wire protocol between the simulated load balancer's parts. Every message is plain data (the
 * kernel deep-copies it at send time). Requests that expect an answer travel with `ctx.call`, so
 * their replies are routed back by the kernel; the rest are one-way `ctx.send`s.
 *
 *   client   --req-->      balancer   --breq-->   backend      (request; replies come back the same way)
 *   client   --fin-->      balancer   --close-->  backend      (a keep-alive connection ends)
 *   balancer --probe-->    backend                             (active health check)
 *   balancer --view-->     balancer                            (shared health state, seed 003 bottleneck 4)
 *   operator --config-->   balancer                            (versioned config: membership, drains)
 *   balancer --fetch-->    operator                            (a restarted balancer asks for the config)
 */
import type { AlgorithmName, BackendSpec } from '../index.ts';

/** A client request on a keep-alive connection (`flow`); `seq` 0 is the connection's first. */
export interface ClientRequest {
  type: 'req';
  reqId: string;
  flow: string;
  seq: number;
  /** Work units the request costs; a backend turns them into service time. */
  work: number;
}

/** The balancer's answer to a client request: a response, or an error the client sees. */
export interface ClientResponse {
  type: 'resp';
  reqId: string;
  ok: boolean;
  /** HTTP-like status: 200, 5xx from the backend, 502/503/504 from the balancer. */
  status: number;
  backend: string | null;
  /** The balancer closed (or never knew) the connection: the client must reconnect. */
  closeConn: boolean;
  reason: string;
}

/** A connection of the client ends (FIN). */
export interface ClientFin {
  type: 'fin';
  flow: string;
}

/** A request forwarded to a backend on connection `conn` (the balancer's stream id). */
export interface BackendRequest {
  type: 'breq';
  reqId: string;
  conn: string;
  work: number;
}

export interface BackendResponse {
  type: 'bresp';
  status: number;
}

export interface BackendClose {
  type: 'close';
  conn: string;
}

export interface Probe {
  type: 'probe';
}

export interface ProbeReply {
  type: 'probe-reply';
  status: number;
}

/** One balancer's own health view of every backend it checks. */
export interface HealthView {
  type: 'view';
  statuses: [backend: string, healthy: boolean][];
}

/** The operator's desired state, version `version`. Idempotent: sent again until acknowledged. */
export interface ConfigPush {
  type: 'config';
  version: number;
  backends: BackendSpec[];
  algorithm: AlgorithmName;
  /** Backends to drain (take no new connections). */
  draining: string[];
}

/** A balancer's acknowledgement: the version it runs and the drains it has completed. */
export interface ConfigAck {
  type: 'config-ack';
  version: number;
  drained: string[];
}

export interface ConfigFetch {
  type: 'fetch';
}

export type LbMessage =
  | ClientRequest
  | ClientResponse
  | ClientFin
  | BackendRequest
  | BackendResponse
  | BackendClose
  | Probe
  | ProbeReply
  | HealthView
  | ConfigPush
  | ConfigAck
  | ConfigFetch;
