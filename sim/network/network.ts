/**
 * The simulated network. What it may do to a message, and why systems must survive it: every
 * fault here happens on real networks (IP gives no delivery, order or uniqueness guarantee; TCP
 * connections break and are re-made), so a protocol that breaks under them is broken.
 *
 * - Latency per directed link, from a distribution (constant, uniform, long-tailed).
 * - Bandwidth: a link sends one message at a time; a message of S bytes occupies it S/bandwidth.
 * - Loss, duplication (a second copy, with its own latency), reordering (a message skips the
 *   link's FIFO order and takes extra delay). Without reordering, a link is FIFO.
 * - Partitions of any shape, built from blocked directed links: isolate a node, split into
 *   groups, cut one direction only, bridges and rings. A message is dropped if its link is
 *   blocked when it is sent or when it would arrive (the connection broke while it was in flight).
 * - Clogging: a link holds everything sent on it until a deadline, then releases it.
 *
 * A message is deep-copied at send time: no node can reach another node's memory.
 */
import { assert } from '../assert.ts';
import { deepCopy, estimateSize } from '../clone.ts';
import type { Simulation } from '../kernel.ts';
import type { Envelope, NodeId, SimNode } from '../node.ts';
import type { Rng } from '../prng.ts';
import type { Nanos } from '../time.ts';
import { drawLatency, type LatencyModel } from './latency.ts';
import { bodyJson, hashString, type MessageInfo } from '../trace.ts';

/** One directed link's behaviour: latency, faults, bandwidth. */
export interface LinkConfig {
  /** One-way latency. */
  latency: LatencyModel;
  /** Probability that a message is lost. */
  lossRate: number;
  /** Probability that a message is delivered twice. */
  duplicateRate: number;
  /** Probability that a message skips FIFO order and takes up to `reorderDelayNsMax` extra. */
  reorderRate: number;
  /** Extra delay of a reordered message, drawn uniformly in [0, this]. */
  reorderDelayNsMax: Nanos;
  /** Bytes per second; 0 means unlimited. */
  bandwidthBytesPerSec: number;
}

/** A LAN in one data centre: ~0.5 ms one way with a tail, no faults. */
export const LAN: LinkConfig = {
  latency: { kind: 'lognormal', minNs: 100_000, medianNs: 500_000, p99Ns: 2_000_000 },
  lossRate: 0,
  duplicateRate: 0,
  reorderRate: 0,
  reorderDelayNsMax: 5_000_000,
  bandwidthBytesPerSec: 0,
};

/** Options of one send. */
export interface SendOptions {
  /** Size on the wire; estimated from the body when absent and the link has a bandwidth. */
  sizeBytes?: number;
  /** @internal set by ctx.call / ctx.reply */
  rpcId?: number;
  /** @internal set by ctx.reply */
  replyTo?: number;
}

/** Counts of what the network did with messages. */
export interface NetworkStats {
  /** Messages sent. */
  sent: number;
  /** Messages delivered (duplicates count again). */
  delivered: number;
  /** Messages lost to the loss rate. */
  lost: number;
  /** Extra copies delivered. */
  duplicated: number;
  /** Messages that skipped FIFO order. */
  reordered: number;
  /** Messages dropped by a cut link (at send or in flight). */
  droppedPartition: number;
  /** Messages dropped because the receiver was down. */
  droppedNodeDown: number;
}

interface LinkState {
  config: LinkConfig;
  /** When the link finishes transmitting what it has (bandwidth). */
  busyUntilNs: Nanos;
  /** Latest scheduled in-order delivery (FIFO). */
  lastDeliveryNs: Nanos;
  /** Everything sent is held until this instant (clogging). */
  cloggedUntilNs: Nanos;
  /** Messages sent on the link so far (a message's ordinal names it in a script). */
  sent: number;
}

const MAX_NODES = 1 << 15;

const RECV_HASH = hashString('recv');

/** A message in flight: the envelope plus its link (from * MAX_NODES + to). */
interface InFlight extends Envelope {
  link: number;
}

/** A message dropped at its send (link cut, or lost): its envelope is never made. */
interface DroppedAtSend {
  from: string;
  to: string;
  sentAtNs: Nanos;
  body: unknown;
}

function describeBlockedSend(d: DroppedAtSend): string {
  return `to ${d.to}: link cut (not sent)`;
}

function describeLost(d: DroppedAtSend): string {
  return `to ${d.to}: lost`;
}

function describeCut(env: Envelope): string {
  return `from ${env.from}: link cut in flight`;
}

function describeDown(env: Envelope): string {
  return `from ${env.from}: node down`;
}

/** The body's `type` field, if it has one, names the message; else its first keys. */
function messageType(b: unknown): string {
  if (b === null || typeof b !== 'object') return typeof b;
  const t = (b as { type?: unknown }).type;
  if (typeof t === 'string') return t;
  const keys = Object.keys(b);
  return `{${keys.slice(0, 4).join(',')}${keys.length > 4 ? ',…' : ''}}`;
}

/** "from n2: append_entries" */
function describeMessage(env: Envelope): string {
  const t = messageType(env.body);
  return env.replyTo !== undefined ? `from ${env.from}: ${t} (reply)` : `from ${env.from}: ${t}`;
}

/** The structured message of a record, read only when a sink (timeline, --trace) takes it. */
function envelopeInfo(env: Envelope): MessageInfo {
  return { from: env.from, to: env.to, sentAtNs: env.sentAtNs, type: messageType(env.body), reply: env.replyTo !== undefined, body: bodyJson(env.body) };
}

function droppedInfo(d: DroppedAtSend): MessageInfo {
  return { from: d.from, to: d.to, sentAtNs: d.sentAtNs, type: messageType(d.body), reply: false, body: bodyJson(d.body) };
}

describeMessage.message = envelopeInfo;
describeCut.message = envelopeInfo;
describeDown.message = envelopeInfo;
describeLost.message = droppedInfo;
describeBlockedSend.message = droppedInfo;

/** The simulated network all nodes of a world are on: links with latency, loss, duplication, reordering, bandwidth, partitions and clogs. A scenario reaches it as `w.net`. */
export class Network {
  /** What the network did so far. */
  readonly stats: NetworkStats = { sent: 0, delivered: 0, lost: 0, duplicated: 0, reordered: 0, droppedPartition: 0, droppedNodeDown: 0 };
  private readonly rng: Rng;
  private nodes: SimNode[] = [];
  private byId = new Map<NodeId, SimNode>();
  private links = new Map<number, LinkState>();
  /** The same links as rows by source index: the send path indexes arrays instead of hashing. */
  private linkRows: (LinkState | undefined)[][] = [];
  /** hashString(node id) by index, for the trace. */
  private nodeHashes: number[] = [];
  /**
   * Send taps, for invariant checkers: called with every message a live node sends, as it leaves
   * the node (before partitions, loss or a down destination can drop it: an acknowledgement that
   * leaves is a promise whether or not it arrives). A tap must not change the run: no sends, no
   * randomness, no edits to the body. Checkers use it to judge what a node promises on the wire,
   * whatever code path sends it (e.g. an ack checked against what the node's disk durably holds).
   */
  readonly sendTaps: ((from: SimNode, to: NodeId, body: unknown) => void)[] = [];
  private blocked = new Set<number>();
  private defaults: LinkConfig;

  constructor(
    private readonly sim: Simulation,
    defaults: LinkConfig = LAN,
  ) {
    this.rng = sim.rng('network');
    this.defaults = { ...defaults };
  }

  /** @internal Called when a node is created. */
  attach(node: SimNode): void {
    assert(!this.byId.has(node.id), `a node named ${node.id} already exists`);
    assert(node.index === this.nodes.length && node.index < MAX_NODES, 'node indices are dense');
    this.nodes.push(node);
    this.byId.set(node.id, node);
    this.linkRows.push([]);
    this.nodeHashes.push(hashString(node.id));
  }

  /** The node named `id` (an assertion fails for an unknown one). */
  node(id: NodeId): SimNode {
    const n = this.byId.get(id);
    assert(n !== undefined, `unknown node ${id}`);
    return n;
  }

  /** Every node's id, in the order they were added. */
  get nodeIds(): NodeId[] {
    return this.nodes.map((n) => n.id);
  }

  // ---- configuration ----

  /** Sets the config every link without its own uses (existing links keep their overrides). */
  setDefaults(patch: Partial<LinkConfig>): void {
    this.defaults = { ...this.defaults, ...patch };
    for (const l of this.links.values()) l.config = { ...this.defaults, ...this.overrides.get(l) };
  }

  private overrides = new Map<LinkState, Partial<LinkConfig>>();

  /** Overrides the config of the directed link from → to. */
  setLink(from: NodeId, to: NodeId, patch: Partial<LinkConfig>): void {
    const l = this.link(this.node(from).index, this.node(to).index);
    const o = { ...this.overrides.get(l), ...patch };
    this.overrides.set(l, o);
    l.config = { ...this.defaults, ...o };
  }

  /** Both directions. */
  setLinkBoth(a: NodeId, b: NodeId, patch: Partial<LinkConfig>): void {
    this.setLink(a, b, patch);
    this.setLink(b, a, patch);
  }

  /** The configuration of the directed link `from` -> `to`. */
  linkConfig(from: NodeId, to: NodeId): LinkConfig {
    return this.link(this.node(from).index, this.node(to).index).config;
  }

  // ---- partitions ----

  /** Blocks from → to (one direction). */
  blockOneWay(from: NodeId, to: NodeId): void {
    this.sim.decisions.fault({ kind: 'partition', shape: 'one-way', from, to, durNs: null }, () => this.blockNow(from, to));
  }

  private blockNow(from: NodeId, to: NodeId): void {
    this.blocked.add(this.key(this.node(from).index, this.node(to).index));
    this.sim.log('-', 'partition', `${from} -x-> ${to}`);
  }

  /** Unblocks from → to (one direction), leaving every other cut in place. */
  unblockOneWay(from: NodeId, to: NodeId): void {
    this.sim.decisions.fault({ kind: 'uncut', from, to }, () => this.unblockNow(from, to));
  }

  private unblockNow(from: NodeId, to: NodeId): void {
    this.blocked.delete(this.key(this.node(from).index, this.node(to).index));
    this.sim.log('-', 'heal', `${from} ---> ${to}`);
  }

  /** Restores both directions between a and b, leaving every other cut in place. */
  uncut(a: NodeId, b: NodeId): void {
    this.unblockOneWay(a, b);
    this.unblockOneWay(b, a);
  }

  /**
   * Splits only the nodes named in `groups` from each other; nodes named in no group (clients,
   * typically) keep reaching everyone, so they can see both sides of a split brain.
   */
  split(groups: NodeId[][]): void {
    this.sim.decisions.fault({ kind: 'partition', shape: 'split', groups: groups.map((g) => [...g]), durNs: null }, () => this.splitNow(groups));
  }

  private splitNow(groups: NodeId[][]): void {
    for (let i = 0; i < groups.length; i++)
      for (let j = 0; j < groups.length; j++) if (i !== j) for (const a of groups[i]!) for (const b of groups[j]!) this.blocked.add(this.key(this.node(a).index, this.node(b).index));
    this.sim.log('-', 'partition', `split ${groups.map((g) => `{${g.join(',')}}`).join(' | ')} (others reach all)`);
  }

  /** Blocks both directions between a and b. */
  cut(a: NodeId, b: NodeId): void {
    this.sim.decisions.fault({ kind: 'partition', shape: 'cut', a, b, durNs: null }, () => {
      this.blockNow(a, b);
      this.blockNow(b, a);
    });
  }

  /** Whether the directed link `from` -> `to` is cut. */
  isBlocked(from: NodeId, to: NodeId): boolean {
    return this.blocked.has(this.key(this.node(from).index, this.node(to).index));
  }

  /** Cuts `id` off from every other node, both ways. */
  isolate(id: NodeId): void {
    this.sim.decisions.fault({ kind: 'partition', shape: 'isolate', node: id, durNs: null }, () => {
      for (const n of this.nodes) if (n.id !== id) this.cut(id, n.id);
    });
  }

  /**
   * Splits the nodes into groups that cannot reach each other. Nodes named in no group form one
   * more group of their own.
   */
  partition(groups: NodeId[][]): void {
    this.sim.decisions.fault({ kind: 'partition', shape: 'partition', groups: groups.map((g) => [...g]), durNs: null }, () => this.partitionNow(groups));
  }

  private partitionNow(groups: NodeId[][]): void {
    const groupOf = new Map<NodeId, number>();
    groups.forEach((g, i) => g.forEach((id) => groupOf.set(id, i)));
    for (const a of this.nodes)
      for (const b of this.nodes) {
        if (a === b) continue;
        const ga = groupOf.get(a.id) ?? -1;
        const gb = groupOf.get(b.id) ?? -1;
        if (ga !== gb) this.blocked.add(this.key(a.index, b.index));
      }
    this.sim.log('-', 'partition', groups.map((g) => `{${g.join(',')}}`).join(' | '));
  }

  /**
   * Two sides that cannot reach each other, and a bridge node that reaches both: the classic
   * shape where a node sees two majorities.
   */
  bridge(sideA: NodeId[], sideB: NodeId[], bridge: NodeId): void {
    this.sim.decisions.fault({ kind: 'partition', shape: 'bridge', sideA: [...sideA], sideB: [...sideB], bridge, durNs: null }, () => this.bridgeNow(sideA, sideB, bridge));
  }

  private bridgeNow(sideA: NodeId[], sideB: NodeId[], bridge: NodeId): void {
    for (const a of sideA) for (const b of sideB) this.cut(a, b);
    this.sim.log('-', 'partition', `bridge ${bridge} between {${sideA.join(',')}} and {${sideB.join(',')}}`);
  }

  /** Each node reaches only its neighbours in `order` (a ring). */
  ring(order: NodeId[]): void {
    this.sim.decisions.fault({ kind: 'partition', shape: 'ring', order: [...order], durNs: null }, () => this.ringNow(order));
  }

  private ringNow(order: NodeId[]): void {
    const n = order.length;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        const d = Math.min((i - j + n) % n, (j - i + n) % n);
        if (d > 1) this.blockOneWay(order[i]!, order[j]!);
      }
  }

  /** Holds everything sent from → to for `durationNs`, then releases it. */
  clog(from: NodeId, to: NodeId, durationNs: Nanos): void {
    this.sim.decisions.fault({ kind: 'clog', from, to, durNs: durationNs }, () => this.clogNow(from, to, durationNs));
  }

  private clogNow(from: NodeId, to: NodeId, durationNs: Nanos): void {
    const l = this.link(this.node(from).index, this.node(to).index);
    l.cloggedUntilNs = Math.max(l.cloggedUntilNs, this.sim.now + durationNs);
    this.sim.log('-', 'clog', `${from} -> ${to} for ${durationNs}ns`);
  }

  /** Clogs every link into and out of `id`. */
  clogNode(id: NodeId, durationNs: Nanos): void {
    this.sim.decisions.fault({ kind: 'clog-node', node: id, durNs: durationNs }, () => {
      for (const n of this.nodes)
        if (n.id !== id) {
          this.clogNow(id, n.id, durationNs);
          this.clogNow(n.id, id, durationNs);
        }
    });
  }

  /** Turns off loss, duplication and reordering on every link (latency and bandwidth stay). */
  clearFaults(): void {
    const calm = { lossRate: 0, duplicateRate: 0, reorderRate: 0 };
    this.defaults = { ...this.defaults, ...calm };
    for (const [l, o] of this.overrides) this.overrides.set(l, { ...o, ...calm });
    for (const l of this.links.values()) l.config = { ...this.defaults, ...this.overrides.get(l) };
  }

  /** Removes every partition and clog. Link configs are left as they are. */
  heal(): void {
    this.sim.decisions.end('partition', null, () => this.healNow());
  }

  private healNow(): void {
    this.blocked.clear();
    for (const l of this.links.values()) l.cloggedUntilNs = 0;
    this.sim.log('-', 'heal', 'all partitions and clogs removed');
  }

  /** @internal The directed links cut now (keys), for a script's player to undo one partition alone. */
  blockedLinks(): number[] {
    return [...this.blocked];
  }

  /** @internal Uncuts the links `keys` (from blockedLinks), leaving every other cut in place. */
  unblockLinks(keys: readonly number[]): void {
    for (const k of keys) this.blocked.delete(k);
    if (keys.length > 0) this.sim.log('-', 'heal', keys.map((k) => `${this.nodes[Math.floor(k / MAX_NODES)]!.id} ---> ${this.nodes[k % MAX_NODES]!.id}`).join(', '));
  }

  // ---- sending ----

  /** Sends a copy of `body` from `from` to `to` (node programs use `ctx.send`). */
  send(from: NodeId, to: NodeId, body: unknown, opts?: SendOptions): void {
    this.sendFrom(this.node(from), to, body, opts);
  }

  /** `send` for a caller that holds the source node (NodeContext): one lookup fewer. */
  sendFrom(src: SimNode, to: NodeId, body: unknown, opts?: SendOptions): void {
    const dst = this.byId.get(to);
    assert(dst !== undefined, `unknown node ${to}`);
    if (this.sendTaps.length > 0) for (const tap of this.sendTaps) tap(src, to, body);
    const now = this.sim.now;
    const k = src.index * MAX_NODES + dst.index;
    const l = this.linkRows[src.index]![dst.index] ?? this.link(src.index, dst.index);
    const c = l.config;
    this.stats.sent++;
    if (this.blocked.size > 0 && this.blocked.has(k)) {
      this.stats.droppedPartition++;
      this.sim.logLazy(src.id, 'drop', describeBlockedSend, { from: src.id, to, sentAtNs: now, body });
      return;
    }
    // The message's ordinal on its link names it in a script ("drop the 3rd message n1>n2").
    const n = ++l.sent;
    const d = this.sim.decisions;
    const lostDrawn = c.lossRate > 0 && this.rng.chance(c.lossRate);
    if (d.active ? d.decide({ kind: 'drop', from: src.id, to, n }, lostDrawn) !== null : lostDrawn) {
      this.stats.lost++;
      this.sim.logLazy(src.id, 'drop', describeLost, { from: src.id, to, sentAtNs: now, body });
      return;
    }
    const sizeBytes = opts?.sizeBytes ?? (c.bandwidthBytesPerSec > 0 ? estimateSize(body) : 64);
    let departNs = l.cloggedUntilNs > now ? l.cloggedUntilNs : now;
    if (c.bandwidthBytesPerSec > 0) {
      departNs = Math.max(departNs, l.busyUntilNs) + Math.ceil((sizeBytes * 1e9) / c.bandwidthBytesPerSec);
      l.busyUntilNs = departNs;
    }
    const env: InFlight = {
      from: src.id,
      to,
      body: deepCopy(body),
      rpcId: opts?.rpcId,
      replyTo: opts?.replyTo,
      sizeBytes,
      sentAtNs: now,
      link: k,
    };
    this.schedule(l, env, departNs, n, 0);
    const dupDrawn = c.duplicateRate > 0 && this.rng.chance(c.duplicateRate);
    if (d.active ? d.decide({ kind: 'duplicate', from: src.id, to, n }, dupDrawn) !== null : dupDrawn) {
      this.stats.duplicated++;
      this.schedule(l, { ...env, body: deepCopy(body) }, departNs, n, 1);
    }
  }

  private schedule(l: LinkState, env: InFlight, departNs: Nanos, n: number, copy: number): void {
    const c = l.config;
    let at = departNs + drawLatency(c.latency, this.rng);
    const reorderDrawn = c.reorderRate > 0 && this.rng.chance(c.reorderRate);
    const extraNs = reorderDrawn ? Math.floor(this.rng.next() * (c.reorderDelayNsMax + 1)) : 0;
    const d = this.sim.decisions;
    const reorder = d.active ? d.decide({ kind: 'reorder', from: env.from, to: env.to, n, copy, extraNs }, reorderDrawn) : reorderDrawn ? { extraNs } : null;
    if (reorder !== null) {
      this.stats.reordered++;
      at += reorder.extraNs;
    } else {
      if (at < l.lastDeliveryNs) at = l.lastDeliveryNs;
      l.lastDeliveryNs = at;
    }
    this.sim.atWith(at, this.arriveFn, env);
  }

  /** Bound once: the callback of every message's arrival event. */
  private readonly arriveFn = (env: InFlight): void => this.arrive(env);

  private arrive(env: InFlight): void {
    const di = env.link % MAX_NODES;
    const dst = this.nodes[di]!;
    if (this.blocked.size > 0 && this.blocked.has(env.link)) {
      this.stats.droppedPartition++;
      this.sim.logLazy(env.to, 'drop', describeCut, env);
      return;
    }
    if (!dst.up) {
      this.stats.droppedNodeDown++;
      this.sim.logLazy(env.to, 'drop', describeDown, env);
      return;
    }
    this.stats.delivered++;
    this.sim.logPrehashed(env.to, this.nodeHashes[di]!, 'recv', RECV_HASH, describeMessage, env);
    dst.deliver(env);
  }

  private key(from: number, to: number): number {
    return from * MAX_NODES + to;
  }

  private link(from: number, to: number): LinkState {
    const k = this.key(from, to);
    let l = this.links.get(k);
    if (l === undefined) {
      l = { config: this.defaults, busyUntilNs: 0, lastDeliveryNs: 0, cloggedUntilNs: 0, sent: 0 };
      this.links.set(k, l);
      this.linkRows[from]![to] = l;
    }
    return l;
  }
}
