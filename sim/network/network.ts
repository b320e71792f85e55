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
 * - Message rules (`addMessageFault`): faults aimed at kinds of messages rather than links, e.g.
 *   delay only replies, drop only votes, by message type, reply-ness, endpoints or a predicate.
 * - Counting: messages and bytes per node and per message type (`messageMetrics`), which the
 *   runner puts in each run's `metrics.messages`.
 *
 * A message is deep-copied at send time: no node can reach another node's memory.
 */
import { assert } from '../assert.ts';
import { copySized, deepCopy, estimateSize, lastCopySize } from '../clone.ts';
import type { Simulation } from '../kernel.ts';
import type { Envelope, NodeId, SimNode } from '../node.ts';
import type { Rng } from '../prng.ts';
import type { Nanos } from '../time.ts';
import { describeLatency, drawLatency, type LatencyModel } from './latency.ts';
import { bodyJson, hashString, type Formatter, type MessageInfo } from '../trace.ts';
import { MessageDescriber, messageType, type MessageSummaries } from './message-summary.ts';

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
  /** Messages dropped by a message rule (`addMessageFault` with a dropRate). */
  droppedByRule: number;
}

/**
 * A fault aimed at kinds of messages (issue 15, scripted tests): "delay only replies", "drop only
 * votes". A message matches when every field given matches; a matching message is dropped with
 * probability `dropRate` and otherwise travels with `latency` instead of its link's latency.
 */
export interface MessageFault {
  /** Message types (the body's `type` field, as the trace shows it); absent: every type. */
  types?: readonly string[];
  /** true: only messages sent as replies (ctx.reply); false: only the others; absent: both. */
  replies?: boolean;
  /** Only messages from these nodes. */
  from?: readonly NodeId[];
  /** Only messages to these nodes. */
  to?: readonly NodeId[];
  /** Any other test on the message (must not change it or draw randomness). */
  match?: (body: unknown, from: NodeId, to: NodeId) => boolean;
  /** Probability that a matching message is lost (0 or absent: never; 1: always). */
  dropRate?: number;
  /** One-way latency of a matching message, replacing its link's (e.g. withFloor(ms(200), uniform)). */
  latency?: LatencyModel;
}

/** Messages and bytes one node sent and received. */
export interface NodeMessageCounts {
  /** Messages the node sent (dropped ones too). */
  sent: number;
  /** Their estimated bytes. */
  bytesSent: number;
  /** Messages delivered to the node. */
  received: number;
  /** Their estimated bytes. */
  bytesReceived: number;
}

/** Messages of one type: how many, and their estimated bytes. */
export interface TypeMessageCounts {
  /** Messages sent. */
  count: number;
  /** Their estimated bytes. */
  bytes: number;
}

/**
 * What the nodes said to each other (a run's `metrics.messages`): every message a node sent
 * (dropped or not) counts once, with its body's estimated size (sim/clone.ts estimateSize: 8 per
 * number, 2 + length per string, 1 per boolean, 4 per object or array plus each key's length + 1;
 * a deterministic estimate of the copied body, not a wire encoding).
 */
export interface MessageMetrics {
  /** Messages sent. */
  total: number;
  /** Estimated bytes of those messages' bodies. */
  bytes: number;
  /** By message type (the body's `type` field, or its first keys), sorted by name. */
  byType: Record<string, TypeMessageCounts>;
  /** By node id, in the order nodes were added. */
  byNode: Record<string, NodeMessageCounts>;
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
  /** Source and destination indexes (the stream's name). */
  from: number;
  to: number;
  /**
   * The link's own random stream (`network/n1>n2`: loss, duplication, latency, reorder, message
   * rules), made on its first draw: a change on one link does not move any other link's draws.
   */
  rng: Rng | null;
}

const MAX_NODES = 1 << 15;

const RECV_HASH = hashString('recv');

/** A send's copy when the body could not be copied (not plain data): deepCopy throws its error at the copy. */
const NOT_COPIED: unique symbol = Symbol('not copied');

/** A message in flight: the envelope plus its link (from * MAX_NODES + to). */
interface InFlight extends Envelope {
  link: number;
  /** The body's estimated size (MessageMetrics), counted again on delivery. */
  bodyBytes: number;
}

/** A message dropped at its send (link cut, or lost): its envelope is never made. */
interface DroppedAtSend {
  from: string;
  to: string;
  sentAtNs: Nanos;
  body: unknown;
}

/** The structured message of a record, read only when a sink (timeline, --trace) takes it. */
function envelopeInfo(env: Envelope): MessageInfo {
  return { from: env.from, to: env.to, sentAtNs: env.sentAtNs, type: messageType(env.body), reply: env.replyTo !== undefined, body: bodyJson(env.body) };
}

function droppedInfo(d: DroppedAtSend): MessageInfo {
  return { from: d.from, to: d.to, sentAtNs: d.sentAtNs, type: messageType(d.body), reply: false, body: bodyJson(d.body) };
}

/** A record's lazy detail with its structured message (see Formatter). */
function formatter<A>(describe: (a: A) => string, message: (a: A) => MessageInfo): Formatter {
  return Object.assign(describe as (a: unknown) => string, { message: message as (a: unknown) => MessageInfo });
}

/** The simulated network all nodes of a world are on: links with latency, loss, duplication, reordering, bandwidth, partitions and clogs. A scenario reaches it as `w.net`. */
export class Network {
  /** What the network did so far. */
  readonly stats: NetworkStats = { sent: 0, delivered: 0, lost: 0, duplicated: 0, reordered: 0, droppedPartition: 0, droppedNodeDown: 0, droppedByRule: 0 };
  /** Messages and bytes by type and by node index (messageMetrics). */
  private readonly byType = new Map<string, { count: number; bytes: number }>();
  private readonly nodeCounts: NodeMessageCounts[] = [];
  private bytesSent = 0;
  /** Message rules (addMessageFault), in the order added. */
  private messageFaults: { id: number; rule: MessageFault }[] = [];
  private nextFaultId = 1;
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
  private readonly describer = new MessageDescriber();
  // The trace details of deliveries and drops, formatted only when a line is read:
  // "from n2: app t3 prev 5/2 entries 6..8 commit 4", "to n3: lost: vote t4 last 9/3".
  private readonly describeMessage = formatter((env: Envelope) => `from ${env.from}: ${this.describer.describe(env.body)}${env.replyTo !== undefined ? ' (reply)' : ''}`, envelopeInfo);
  private readonly describeCut = formatter((env: Envelope) => `from ${env.from}: link cut in flight: ${this.describer.describe(env.body)}`, envelopeInfo);
  private readonly describeDown = formatter((env: Envelope) => `from ${env.from}: node down: ${this.describer.describe(env.body)}`, envelopeInfo);
  private readonly describeLost = formatter((d: DroppedAtSend) => `to ${d.to}: lost: ${this.describer.describe(d.body)}`, droppedInfo);
  private readonly describeRuleDrop = formatter((d: DroppedAtSend) => `to ${d.to}: dropped by a message rule: ${this.describer.describe(d.body)}`, droppedInfo);
  private readonly describeBlockedSend = formatter((d: DroppedAtSend) => `to ${d.to}: link cut (not sent): ${this.describer.describe(d.body)}`, droppedInfo);

  constructor(
    private readonly sim: Simulation,
    defaults: LinkConfig = LAN,
  ) {
    this.defaults = { ...defaults };
  }

  /**
   * Declares how messages of some types read in the trace: `{ vote: (m) => \`t${m.term} last ${m.index}/${m.logTerm}\` }`
   * makes a delivery line "from n1: vote t3 last 8/2". A summary returns the key fields (the
   * type is prefixed), or undefined to use the default (the body's small fields as key=value).
   * A system's kit declares its own; summaries are read only when a trace line is shown.
   */
  describeMessages(summaries: MessageSummaries): void {
    this.describer.add(summaries);
  }

  /** The trace's one-line summary of a message body (its type and key fields). */
  summarize(body: unknown): string {
    return this.describer.describe(body);
  }

  /** @internal Called when a node is created. */
  attach(node: SimNode): void {
    assert(!this.byId.has(node.id), `a node named ${node.id} already exists`);
    assert(node.index === this.nodes.length && node.index < MAX_NODES, 'node indices are dense');
    this.nodes.push(node);
    this.byId.set(node.id, node);
    this.linkRows.push([]);
    this.nodeHashes.push(hashString(node.id));
    this.nodeCounts.push({ sent: 0, bytesSent: 0, received: 0, bytesReceived: 0 });
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

  /**
   * @internal Ends the clog of from → to now, as a heal does (what it holds still leaves when
   * planned; what is sent from now leaves at once): a script's player replaying the heal that
   * cleared a recorded clog.
   */
  unclog(from: NodeId, to: NodeId): void {
    this.link(this.node(from).index, this.node(to).index).cloggedUntilNs = 0;
    this.sim.log('-', 'heal', `clog ${from} -> ${to} cleared`);
  }

  /** @internal `unclog` of every link into and out of `id`. */
  unclogNode(id: NodeId): void {
    for (const n of this.nodes)
      if (n.id !== id) {
        this.link(this.node(id).index, n.index).cloggedUntilNs = 0;
        this.link(n.index, this.node(id).index).cloggedUntilNs = 0;
      }
    this.sim.log('-', 'heal', `clogs of ${id} cleared`);
  }

  /** Turns off loss, duplication and reordering on every link (latency and bandwidth stay). */
  clearFaults(): void {
    const calm = { lossRate: 0, duplicateRate: 0, reorderRate: 0 };
    this.defaults = { ...this.defaults, ...calm };
    for (const [l, o] of this.overrides) this.overrides.set(l, { ...o, ...calm });
    for (const l of this.links.values()) l.config = { ...this.defaults, ...this.overrides.get(l) };
    // Message rules that drop are faults; those that only set a latency describe the network.
    this.messageFaults = this.messageFaults.filter((f) => !(f.rule.dropRate !== undefined && f.rule.dropRate > 0));
  }

  // ---- message rules ----

  /**
   * Adds a fault aimed at kinds of messages (see MessageFault): e.g. `{ types: ['voteResp'],
   * latency: withFloor(ms(200), uniform) }` delays only vote replies, `{ types: ['vote'],
   * dropRate: 1 }` drops every vote request. Returns an id for removeMessageFault. A rule that drops
   * is a fault (clearFaults removes it); a rule that only sets a latency describes a slow network
   * and stays until removed.
   */
  addMessageFault(rule: MessageFault): number {
    assert(rule.dropRate === undefined || (rule.dropRate >= 0 && rule.dropRate <= 1), `a message rule's dropRate must be in [0, 1], got ${rule.dropRate}`);
    const id = this.nextFaultId++;
    this.messageFaults.push({ id, rule: { ...rule } });
    const what = [rule.types ? `types ${rule.types.join(',')}` : '', rule.replies === undefined ? '' : rule.replies ? 'replies' : 'requests', rule.from ? `from ${rule.from.join(',')}` : '', rule.to ? `to ${rule.to.join(',')}` : '', rule.match ? 'matching' : '']
      .filter((x) => x !== '')
      .join(' ');
    const how = [rule.dropRate ? `drop ${rule.dropRate}` : '', rule.latency ? `latency ${describeLatency(rule.latency)}` : ''].filter((x) => x !== '').join(', ');
    this.sim.log('-', 'msg-rule', `${what || 'every message'}: ${how || 'no effect'}`);
    return id;
  }

  /** Removes the message rule `id` (a no-op if it is gone). */
  removeMessageFault(id: number): void {
    this.messageFaults = this.messageFaults.filter((f) => f.id !== id);
  }

  /** Removes every message rule. */
  clearMessageFaults(): void {
    this.messageFaults = [];
  }

  /** Whether `rule` applies to this message. */
  private static matches(rule: MessageFault, from: NodeId, to: NodeId, body: unknown, reply: boolean): boolean {
    if (rule.replies !== undefined && rule.replies !== reply) return false;
    if (rule.from !== undefined && !rule.from.includes(from)) return false;
    if (rule.to !== undefined && !rule.to.includes(to)) return false;
    if (rule.types !== undefined && !rule.types.includes(messageType(body))) return false;
    return rule.match === undefined || rule.match(body, from, to);
  }

  /** The message rules' verdict on one message: 'drop', a latency to use, or null (none apply). */
  private applyMessageFaults(rng: Rng, from: NodeId, to: NodeId, body: unknown, reply: boolean): 'drop' | LatencyModel | null {
    let latency: LatencyModel | null = null;
    for (const { rule } of this.messageFaults) {
      if (!Network.matches(rule, from, to, body, reply)) continue;
      if (rule.dropRate !== undefined && rule.dropRate > 0 && rng.chance(rule.dropRate)) return 'drop';
      if (latency === null && rule.latency !== undefined) latency = rule.latency;
    }
    return latency;
  }

  // ---- counting ----

  /** Messages and bytes so far, by type and by node (a run's `metrics.messages`). */
  messageMetrics(): MessageMetrics {
    const byType: Record<string, { count: number; bytes: number }> = {};
    for (const t of [...this.byType.keys()].sort()) byType[t] = { ...this.byType.get(t)! };
    const byNode: Record<string, NodeMessageCounts> = {};
    this.nodes.forEach((n, i) => (byNode[n.id] = { ...this.nodeCounts[i]! }));
    return { total: this.stats.sent, bytes: this.bytesSent, byType, byNode };
  }

  /** Messages sent so far of one type (the body's `type`), and their bytes. */
  messagesOfType(type: string): TypeMessageCounts {
    const c = this.byType.get(type);
    return c ? { ...c } : { count: 0, bytes: 0 };
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
    // The message is built only for an unknown node (not a string per send).
    if (dst === undefined) assert(false, `unknown node ${to}`);
    if (this.sendTaps.length > 0) for (const tap of this.sendTaps) tap(src, to, body);
    const now = this.sim.now;
    const k = src.index * MAX_NODES + dst.index;
    const l = this.linkRows[src.index]![dst.index] ?? this.link(src.index, dst.index);
    const c = l.config;
    this.stats.sent++;
    // The copy and its size in one walk. A body that is not plain data gets its size as before
    // and throws where it always did: at the copy, after the drops at send (which never copy).
    let copied: unknown = NOT_COPIED;
    let bodyBytes: number;
    try {
      copied = copySized(body);
      bodyBytes = lastCopySize();
    } catch {
      bodyBytes = estimateSize(body);
    }
    this.count(src.index, body, bodyBytes);
    if (this.blocked.size > 0 && this.blocked.has(k)) {
      this.stats.droppedPartition++;
      this.sim.logLazy(src.id, 'drop', this.describeBlockedSend, { from: src.id, to, sentAtNs: now, body });
      return;
    }
    // The message's ordinal on its link names it in a script ("drop the 3rd message n1>n2").
    const n = ++l.sent;
    const d = this.sim.decisions;
    const rng = l.rng ?? this.rngOf(l);
    const lostDrawn = c.lossRate > 0 && rng.chance(c.lossRate);
    // A keyed decision is built only when it can differ from the draw (Decisions.keyed).
    if (d.keyed(lostDrawn) ? d.decide({ kind: 'drop', from: src.id, to, n }, lostDrawn) !== null : lostDrawn) {
      this.stats.lost++;
      this.sim.logLazy(src.id, 'drop', this.describeLost, { from: src.id, to, sentAtNs: now, body });
      return;
    }
    let latency = c.latency;
    // A message rule's latency, when one applies (a scripted run: when the script names this message).
    let ruleLatency: LatencyModel | null = null;
    if (this.messageFaults.length > 0 || d.mode === 'script') {
      const verdict = this.messageFaults.length > 0 ? this.applyMessageFaults(rng, src.id, to, body, opts?.replyTo !== undefined) : null;
      if (d.active ? d.decide({ kind: 'rule-drop', from: src.id, to, n }, verdict === 'drop') !== null : verdict === 'drop') {
        this.stats.droppedByRule++;
        this.sim.logLazy(src.id, 'drop', this.describeRuleDrop, { from: src.id, to, sentAtNs: now, body });
        return;
      }
      if (verdict !== null && verdict !== 'drop') ruleLatency = verdict;
    }
    const sizeBytes = opts?.sizeBytes ?? (c.bandwidthBytesPerSec > 0 ? bodyBytes : 64);
    let departNs = l.cloggedUntilNs > now ? l.cloggedUntilNs : now;
    if (c.bandwidthBytesPerSec > 0) {
      departNs = Math.max(departNs, l.busyUntilNs) + Math.ceil((sizeBytes * 1e9) / c.bandwidthBytesPerSec);
      l.busyUntilNs = departNs;
    }
    const env: InFlight = {
      from: src.id,
      to,
      body: copied === NOT_COPIED ? deepCopy(body) : copied,
      rpcId: opts?.rpcId,
      replyTo: opts?.replyTo,
      sizeBytes,
      sentAtNs: now,
      link: k,
      bodyBytes,
    };
    this.schedule(l, rng, env, departNs, latency, ruleLatency, n, 0);
    const dupDrawn = c.duplicateRate > 0 && rng.chance(c.duplicateRate);
    if (d.keyed(dupDrawn) ? d.decide({ kind: 'duplicate', from: src.id, to, n }, dupDrawn) !== null : dupDrawn) {
      this.stats.duplicated++;
      this.schedule(l, rng, { ...env, body: deepCopy(body) }, departNs, latency, ruleLatency, n, 1);
    }
  }

  /** Counts one message `src` sent (dropped or not) by its type and by node. */
  private count(srcIndex: number, body: unknown, bytes: number): void {
    const t = messageType(body);
    let bt = this.byType.get(t);
    if (bt === undefined) this.byType.set(t, (bt = { count: 0, bytes: 0 }));
    bt.count++;
    bt.bytes += bytes;
    this.bytesSent += bytes;
    const nc = this.nodeCounts[srcIndex]!;
    nc.sent++;
    nc.bytesSent += bytes;
  }

  private schedule(l: LinkState, rng: Rng, env: InFlight, departNs: Nanos, latency: LatencyModel, ruleLatency: LatencyModel | null, n: number, copy: number): void {
    const c = l.config;
    const d = this.sim.decisions;
    let at: Nanos;
    if (ruleLatency !== null) {
      // A message rule's delay is a decision ("deliver the 3rd message n2→n1 1.2 s after it left").
      const ruleNs = drawLatency(ruleLatency, rng);
      const delay = d.active ? d.decide({ kind: 'delay', from: env.from, to: env.to, n, copy, latencyNs: ruleNs }, true) : { latencyNs: ruleNs };
      at = departNs + (delay !== null ? delay.latencyNs : drawLatency(latency, rng));
    } else {
      at = departNs + drawLatency(latency, rng);
      if (d.active && d.mode === 'script') {
        const delay = d.decide({ kind: 'delay', from: env.from, to: env.to, n, copy, latencyNs: 0 }, false);
        if (delay !== null) at = departNs + delay.latencyNs;
      }
    }
    const reorderDrawn = c.reorderRate > 0 && rng.chance(c.reorderRate);
    const extraNs = reorderDrawn ? Math.floor(rng.next() * (c.reorderDelayNsMax + 1)) : 0;
    let reordered = reorderDrawn;
    let reorderNs = extraNs;
    if (d.keyed(reorderDrawn)) {
      const reorder = d.decide({ kind: 'reorder', from: env.from, to: env.to, n, copy, extraNs }, reorderDrawn);
      reordered = reorder !== null;
      if (reorder !== null) reorderNs = reorder.extraNs;
    }
    if (reordered) {
      this.stats.reordered++;
      at += reorderNs;
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
      this.sim.logLazy(env.to, 'drop', this.describeCut, env);
      return;
    }
    if (!dst.up) {
      this.stats.droppedNodeDown++;
      this.sim.logLazy(env.to, 'drop', this.describeDown, env);
      return;
    }
    this.stats.delivered++;
    const nc = this.nodeCounts[di]!;
    nc.received++;
    nc.bytesReceived += env.bodyBytes;
    this.sim.logPrehashed(env.to, this.nodeHashes[di]!, 'recv', RECV_HASH, this.describeMessage, env);
    dst.deliver(env);
  }

  private key(from: number, to: number): number {
    return from * MAX_NODES + to;
  }

  /** The network's one stream, when links do not have their own. */
  private shared: Rng | null = null;

  /** The link's random stream (its own with SimulationOptions.linkStreams, else the network's), made on first use. */
  private rngOf(l: LinkState): Rng {
    if (!this.sim.linkStreams) return (l.rng = this.shared ??= this.sim.rng('network'));
    return (l.rng ??= this.sim.rng(`network/${this.nodes[l.from]!.id}>${this.nodes[l.to]!.id}`));
  }

  private link(from: number, to: number): LinkState {
    const k = this.key(from, to);
    let l = this.links.get(k);
    if (l === undefined) {
      l = { config: this.defaults, busyUntilNs: 0, lastDeliveryNs: 0, cloggedUntilNs: 0, sent: 0, from, to, rng: null };
      this.links.set(k, l);
      this.linkRows[from]![to] = l;
    }
    return l;
  }
}
