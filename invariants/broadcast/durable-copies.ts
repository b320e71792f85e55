/**
 * Durability checks of the gossip broadcast (systems/broadcast), judged against what each node's
 * disk durably holds at the moment a promise is made, not at the end of the run. A node's claim
 * "I hold these values on disk" is what its peers and its clients count on:
 *
 *  - **ack-not-durable** (on the wire, invariants/wire-acks.ts): a `gossip_ok` says its values
 *    are on the sender's disk; a `sync_ok` says the sender durably holds the peer's numbering
 *    below its mark, and its summary lists values it holds durably. The peer stops resending
 *    what it was told is held, and counts the copy toward a client's acknowledgement; a claim
 *    made before the fsync loses the value when the node crashes in that window.
 *  - **acked-without-copies** (when a client hears `broadcast_ok`): the value is on the disks of
 *    at least `copies` nodes (a majority by default: docs/broadcast.md, "Acknowledgements").
 *
 * all-acked-delivered-everywhere sees such a bug only when a crash or a corrupt record lands in
 * the window and no other copy brings the value back; these see every early promise on any run.
 *
 * What a node "holds on disk" is every value its value file durably holds, records that will
 * read back corrupt included: the disk decides a record's corruption when it becomes durable
 * (sim/disk), so an honest node vouches for such a record as for any other (the fault model: a
 * majority of copies is there for it).
 */
import type { NodeId, SimNode } from '../../sim/node.ts';
import type { World } from '../../sim/scenario.ts';
import type { DurableFileView } from '../../sim/disk/disk.ts';
import { checkWireAcks } from '../wire-acks.ts';
import { GOSSIP_FILE, MAX_SYNC_VALUES, type GossipMessage, type GossipProgram } from '../../systems/broadcast/gossip.ts';

/** Values per bitmap page, as in a summary (systems/broadcast/number-set.ts, `pageSummary`). */
const PAGE_BITS = 256;
const PAGE_WORDS = PAGE_BITS / 32;

/**
 * Of a `sync_ok` mark, the values checked below it: the newest this many of the range not yet
 * checked for that pair. A mark that claims too much claims the newest values (those just sent,
 * not yet fsynced), and checking a whole numbering again after each of a peer's new incarnations
 * would cost a long run values x incarnations.
 */
const MARK_CHECK_VALUES = 2 * MAX_SYNC_VALUES;

/**
 * The values a node's value file holds durably, as bitmap pages of its own (not the system's
 * NumberSet: a bug there must not blind the check), followed as the file grows.
 */
class DurableValues {
  private readonly pages = new Map<number, Uint32Array>();
  private view: DurableFileView | null = null;
  private upTo = 0;

  /** Reads the records made durable since the last call. */
  follow(view: DurableFileView): this {
    // The value file is append-only (a crash loses only what was not durable), so a record once
    // read stays: corruption flips its readability (the epoch), not the value written.
    if (view !== this.view || view.length < this.upTo) {
      this.pages.clear();
      this.view = view;
      this.upTo = 0;
    }
    for (; this.upTo < view.length; this.upTo++) {
      const v = view.value(this.upTo);
      if (typeof v !== 'number' || !Number.isInteger(v)) continue;
      const page = Math.floor(v / PAGE_BITS);
      let words = this.pages.get(page);
      if (words === undefined) this.pages.set(page, (words = new Uint32Array(PAGE_WORDS)));
      const bit = v - page * PAGE_BITS;
      words[bit >>> 5]! |= 1 << (bit & 31);
    }
    return this;
  }

  has(v: number): boolean {
    if (!Number.isInteger(v)) return false;
    const page = Math.floor(v / PAGE_BITS);
    const words = this.pages.get(page);
    const bit = v - page * PAGE_BITS;
    return words !== undefined && (words[bit >>> 5]! & (1 << (bit & 31))) !== 0;
  }

  /** A value the page summary lists that is not held, or null (costs the summary's pages). */
  firstNotHeld(summary: readonly number[]): number | null {
    for (let k = 0; k + PAGE_WORDS < summary.length; k += PAGE_WORDS + 1) {
      const page = summary[k]!;
      const words = this.pages.get(page);
      for (let w = 0; w < PAGE_WORDS; w++) {
        const extra = (summary[k + 1 + w]! & ~(words === undefined ? 0 : words[w]!)) | 0;
        if (extra !== 0) return page * PAGE_BITS + w * 32 + 31 - Math.clz32(extra & -extra);
      }
    }
    return null;
  }
}

export interface BroadcastDurabilityChecks {
  /** Call when a client hears `broadcast_ok` for `value`. */
  acknowledged(value: number, via: NodeId): void;
  /** Messages judged on the wire and acknowledgements judged so far (for tests: the checks ran). */
  readonly stats: { wire: number; acks: number };
}

/**
 * Installs both checks on the broadcast nodes `nodes`; `copies` is the number of nodes that must
 * hold an acknowledged value on disk (the scenario's `ackCopies`, resolved as the nodes do).
 */
export function checkBroadcastDurability(w: World<unknown>, nodes: readonly SimNode<GossipProgram>[], copies: number): BroadcastDurabilityChecks {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const durable = new Map<NodeId, DurableValues>();
  const held = (n: SimNode<GossipProgram>): DurableValues => {
    let d = durable.get(n.id);
    if (d === undefined) durable.set(n.id, (d = new DurableValues()));
    return d.follow(n.disk.durableFile(GOSSIP_FILE));
  };
  /** Per (holder, peer): the peer's incarnation and how far into its numbering the holder's marks were checked. */
  const marksChecked = new Map<string, { inc: number; upTo: number }>();

  const wire = checkWireAcks(w, 'ack-not-durable', (from, to, body) => {
    const n = byId.get(from.id);
    if (n === undefined) return null;
    const m = body as GossipMessage;
    if (m.type === 'gossip_ok') {
      const d = held(n);
      for (const v of m.values) if (!d.has(v)) return `${n.id} told ${to} it holds ${v} on disk (gossip_ok), but its value file does not durably hold it: a crash now loses a copy ${to} counts toward a client's acknowledgement`;
      return null;
    }
    if (m.type !== 'sync_ok') return null;
    const d = held(n);
    if (m.summary !== null) {
      const v = d.firstNotHeld(m.summary);
      if (v !== null) return `${n.id}'s summary to ${to} lists ${v}, which its value file does not durably hold: ${to} will not send it again, and a crash now loses it from ${n.id}`;
    }
    const peer = byId.get(to);
    const numbering = peer?.program;
    // The mark is about the peer's numbering in incarnation forInc: judged while that incarnation
    // runs (an earlier one's numbering is gone with its memory).
    if (m.upTo === 0 || numbering === undefined || numbering === null || numbering.incarnation !== m.forInc) return null;
    const key = `${n.id}>${to}`;
    let c = marksChecked.get(key);
    if (c === undefined || c.inc !== m.forInc) marksChecked.set(key, (c = { inc: m.forInc, upTo: 0 }));
    const list = numbering.state.delivered;
    const upTo = Math.min(m.upTo, list.length);
    for (let i = Math.max(c.upTo, upTo - MARK_CHECK_VALUES); i < upTo; i++) {
      const v = list.get(i);
      if (!d.has(v)) return `${n.id} told ${to} it durably holds ${to}'s values below #${m.upTo} (sync_ok), but its value file does not hold #${i}, ${v}: ${to} will not send it again, and a crash now loses it from ${n.id}`;
    }
    if (upTo > c.upTo) c.upTo = upTo;
    return null;
  });

  w.declareCheck('acked-without-copies');
  const stats = {
    get wire() {
      return wire.judged;
    },
    acks: 0,
  };
  return {
    stats,
    acknowledged(value, via) {
      stats.acks++;
      const holders = nodes.filter((n) => held(n).has(value));
      if (holders.length < copies) {
        w.violation(
          'acked-without-copies',
          `${via} acknowledged ${value} to a client, but only ${holders.length} node(s) hold it on disk (${holders.map((n) => n.id).join(', ') || 'none'}), not the ${copies} an acknowledgement promises: one crash or corrupt record can lose it`,
        );
      }
    },
  };
}
