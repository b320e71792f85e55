/**
 * Kernel microbenchmarks: one event pattern run three ways, so the cost of each layer shows.
 *
 * The pattern: `inflight` independent chains; each event at time t schedules the chain's next
 * event at t + latencyNs. With a constant latency every event of a "round" has the same time, so
 * the heap orders them by sequence number alone, exactly as the kernel does.
 *
 * - bare heap: the EventQueue of sim/event-queue.ts with a trivial callback (the floor);
 * - kernel timers: Simulation.schedule/run (adds the event counter, trace hash, assertions);
 * - kernel ping-pong: nodes on a Network exchanging messages through NodeContext.send (adds
 *   node lookup, links, deepCopy of the body, the Envelope, epoch/pause dispatch, closures).
 *
 * Only the run loop is timed; building the world is not.
 */
import { EventQueue, ScheduledEvent } from '../sim/event-queue.ts';
import { Simulation } from '../sim/kernel.ts';
import { LAN, type LinkConfig } from '../sim/network/network.ts';
import type { Envelope, NodeContext } from '../sim/node.ts';
import { World } from '../sim/scenario.ts';
import type { Nanos } from '../sim/time.ts';

export interface PatternOptions {
  /** Events to execute (the measured run). */
  events: number;
  /** Chains (messages) in flight at once. */
  inflight: number;
  /** Constant delay between a chain's events, in ns. */
  latencyNs: Nanos;
}

export interface LoopResult {
  events: number;
  wallMs: number;
  eventsPerSec: number;
  /** Simulated time reached, in ns: the same for all three loops, or the pattern differs. */
  endTimeNs: Nanos;
}

/** A millisecond clock from outside the simulation (e.g. `() => performance.now()`). */
export type Clock = () => number;

function result(events: number, wallMs: number, endTimeNs: Nanos): LoopResult {
  return { events, wallMs: round(wallMs, 1), eventsPerSec: Math.round((events / wallMs) * 1000), endTimeNs };
}

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** The bare EventQueue: push/pop and a trivial callback, nothing else. */
export function bareHeap(clock: Clock, o: PatternOptions): LoopResult {
  const q = new EventQueue();
  let seq = 0;
  let calls = 0;
  const cb = (): void => {
    calls++;
  };
  for (let i = 0; i < o.inflight; i++) q.push(new ScheduledEvent(o.latencyNs, seq++, cb));
  let now = 0;
  const t0 = clock();
  for (let e = 0; e < o.events; e++) {
    const ev = q.pop()!;
    const fn = ev.fn!;
    ev.fn = null;
    now = ev.time;
    fn();
    q.push(new ScheduledEvent(now + o.latencyNs, seq++, cb));
  }
  const wallMs = clock() - t0;
  if (calls !== o.events) throw new Error(`bare heap ran ${calls} callbacks, expected ${o.events}`);
  return result(o.events, wallMs, now);
}

/** Simulation.schedule/run with the same pattern: the kernel without network or nodes. */
export function kernelTimers(clock: Clock, o: PatternOptions): LoopResult {
  const sim = new Simulation({ seed: 1 });
  const tick = (): void => {
    sim.schedule(o.latencyNs, tick);
  };
  for (let i = 0; i < o.inflight; i++) sim.schedule(o.latencyNs, tick);
  const t0 = clock();
  const stop = sim.run({ maxEvents: o.events });
  const wallMs = clock() - t0;
  if (stop !== 'event-limit' || sim.events !== o.events) throw new Error(`kernel timers stopped (${stop}) after ${sim.events} events`);
  return result(o.events, wallMs, sim.now);
}

export interface PingPongOptions extends PatternOptions {
  nodes: number;
}

export interface PingPongResult extends LoopResult {
  delivered: number;
  traceHash: string;
}

interface Ping {
  kind: 'ping';
  hop: number;
}

/**
 * Nodes on a Network with a constant latency and no faults; `inflight` messages start at time 0
 * and every delivery is answered by a send to another node. The real code path: World.addNode,
 * NodeContext.send, Network.send/arrive, SimNode.deliver/dispatch.
 */
export function kernelPingPong(clock: Clock, o: PingPongOptions): PingPongResult {
  if (o.nodes < 2) throw new Error('ping-pong needs at least 2 nodes');
  const sim = new Simulation({ seed: 1 });
  const link: LinkConfig = { ...LAN, latency: { kind: 'constant', ns: o.latencyNs }, lossRate: 0, duplicateRate: 0, reorderRate: 0, bandwidthBytesPerSec: 0 };
  const w = new World(sim, {}, link);
  const ids = Array.from({ length: o.nodes }, (_, i) => `n${i}`);
  // Node i starts messages i, i + nodes, ...: `inflight` in all.
  const factory = (index: number) => (ctx: NodeContext) => {
    const target = (hop: number): string => ids[(index + 1 + (hop % (o.nodes - 1))) % o.nodes]!;
    for (let m = index; m < o.inflight; m += o.nodes) ctx.send(target(m), { kind: 'ping', hop: m } satisfies Ping);
    return {
      onMessage(env: Envelope): void {
        const hop = (env.body as Ping).hop + 1;
        ctx.send(target(hop), { kind: 'ping', hop } satisfies Ping);
      },
    };
  };
  ids.forEach((id, i) => w.addNode(id, factory(i)));
  for (const n of w.nodes) n.start();
  const before = sim.events;
  const t0 = clock();
  const stop = sim.run({ maxEvents: before + o.events });
  const wallMs = clock() - t0;
  if (stop !== 'event-limit') throw new Error(`ping-pong stopped early (${stop}) after ${sim.events} events`);
  if (w.net.stats.delivered !== o.events) throw new Error(`ping-pong delivered ${w.net.stats.delivered} messages in ${o.events} events`);
  return { ...result(o.events, wallMs, sim.now), delivered: w.net.stats.delivered, traceHash: sim.trace.hash() };
}
