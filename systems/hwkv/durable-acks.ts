/**
 * ack-not-durable (hwkv): every promise and accepted acknowledgement an acceptor sends is judged
 * on the wire (invariants/wire-acks.ts) against what its stable storage durably holds as it
 * leaves: the NVDIMM (accelerated: a write is durable once it completes) or the durable records
 * of the stable file (traditional: fsync). Sealed messages are opened with the cluster key (the
 * checker's god's-eye view; one that fails its MAC was altered in flight and is not judged).
 *
 *  - promise(b): the durable promised ballot is at least b;
 *  - accepted(b, slot): the durable entry at slot has ballot at least b.
 *
 * acceptor-durability (cluster.ts) checks accepts reported through the observer callback when a
 * crashed acceptor recovers; this checks every acknowledgement whatever path sends it, and needs
 * no crash.
 */
import { fromUtf8, open, type CipherKey, type Sealed } from '../../sim/hardware/nic-crypto.ts';
import type { SmartNic } from '../../sim/hardware/smart-nic.ts';
import type { NodeId, SimNode } from '../../sim/node.ts';
import type { World } from '../../sim/scenario.ts';
import { checkWireAcks } from '../../invariants/wire-acks.ts';
import { isPeerMsg, type Entry, type PeerMsg } from './types.ts';

export interface DurableView {
  /** The durable value of a stable-storage key, or undefined. */
  get(node: SimNode, key: string): unknown;
}

/** Durable view of accelerated replicas: their NICs' NVDIMM. */
export function nvdimmView(nicOf: (id: NodeId) => SmartNic | undefined): DurableView {
  return { get: (node, key) => nicOf(node.id)?.nvdimmGet(key) };
}

/**
 * Durable view of traditional replicas: the latest durable record of `file` holding the key. Read
 * in place from the end (the key sought is nearly always in the last records): a copy of the whole
 * file per acknowledgement made the check cost the run's length per message.
 */
export function stableFileView(file: string): DurableView {
  return {
    get(node, key) {
      const f = node.disk.durableFile(file);
      for (let i = f.length - 1; i >= 0; i--) {
        if (f.isCorrupt(i)) continue;
        const r = f.value(i) as [string, unknown][];
        for (let j = r.length - 1; j >= 0; j--) if (r[j]![0] === key) return r[j]![1];
      }
      return undefined;
    },
  };
}

export function checkHwkvAcksDurable(w: World<unknown>, replicas: readonly NodeId[], key: CipherKey | null, view: DurableView): { judged: number } {
  const ids = new Set(replicas);
  const chosen = chosenNeedsMajority(w, replicas);
  return checkWireAcks(w, 'ack-not-durable', (from, to, body) => {
    if (!ids.has(from.id)) return null;
    const m = plain(body, key);
    if (m === null) return null;
    // Decoded once for both checks: opening a sealed message is the costly part.
    // The mark first, then the accept: a catch-up accept re-sends a slot its own mark covers,
    // which the leader did not accept again in this ballot.
    if (m.type === 'heartbeat' || m.type === 'accept') chosen.announced(from.id, m.b, m.committed);
    if (m.type === 'accepted' || (m.type === 'accept' && m.entry.b === m.b)) chosen.accepted(from.id, m.b, m.slot);
    if (m.type === 'promise') {
      const p = (view.get(from, 'promised') as number | undefined) ?? 0;
      if (p < m.b) return `${from.id} promised ballot ${m.b} to ${to}, but its stable storage durably holds promised ${p}: a crash now would let it accept a lower ballot`;
    } else if (m.type === 'accepted') {
      const e = view.get(from, `acc/${m.slot}`) as Entry | undefined;
      if (e === undefined || e.b < m.b) return `${from.id} told ${to} it accepted slot ${m.slot} in ballot ${m.b}, but its stable storage durably holds ${e === undefined ? 'nothing' : `ballot ${e.b}`} there`;
    }
    return null;
  });
}

/**
 * chosen-needs-majority: a leader announces slots chosen through the commit mark its heartbeats
 * and accepts carry (followers apply up to it). Paxos lets a slot be called chosen only once a
 * majority of acceptors accepted it in one ballot (accepts of one value in different ballots
 * choose nothing: a later leader may pick another value). Every accept is visible on the wire:
 * an acceptor's `accepted(b, s)`, and the proposer's own accept by its `accept(b, s)` messages,
 * sent only once its own copy is durable. So when a commit mark first covers s, some ballot must
 * have been accepted at s by a majority, as seen on the wire. A leader counting an
 * acknowledgement from another ballot, a duplicate, or a minority announces a slot no ballot
 * chose: seen at the announcement, with no crash needed to lose it.
 *
 * Each slot is judged once, at the first commit mark covering it (a later mark covering it again
 * adds nothing: the acceptances seen are only ever more).
 */
function chosenNeedsMajority(w: World<unknown>, replicas: readonly NodeId[]): { accepted(from: NodeId, b: number, slot: number): void; announced(from: NodeId, b: number, committed: number): void } {
  const majority = Math.floor(replicas.length / 2) + 1;
  const invariant = 'chosen-needs-majority';
  w.declareCheck(invariant);
  let judgedUpTo = -1;
  /** slot -> ballot -> the acceptors seen accepting it in that ballot. */
  const seen = new Map<number, Map<number, Set<NodeId>>>();
  return {
    accepted(from, b, slot) {
      if (slot <= judgedUpTo) return;
      let byBallot = seen.get(slot);
      if (byBallot === undefined) seen.set(slot, (byBallot = new Map()));
      let who = byBallot.get(b);
      if (who === undefined) byBallot.set(b, (who = new Set()));
      who.add(from);
    },
    announced(from, b, committed) {
      if (committed <= judgedUpTo) return;
      for (let s = judgedUpTo + 1; s <= committed; s++) {
        let best: [number, Set<NodeId>] | undefined;
        for (const e of seen.get(s) ?? []) if (best === undefined || e[1].size > best[1].size) best = e;
        seen.delete(s);
        if (best === undefined || best[1].size < majority) {
          const holders = best === undefined ? 'no acceptor was seen accepting it' : `at most ${best[1].size} acceptor(s) accepted it in one ballot (${[...best[1]].sort().join(', ')} in ballot ${best[0]})`;
          w.violation(invariant, `${from} announced slot ${s} chosen (commit mark ${committed}, ballot ${b}), but ${holders}; a majority is ${majority} of ${replicas.length}`);
          for (let t = s + 1; t <= committed; t++) seen.delete(t);
          break;
        }
      }
      judgedUpTo = committed;
    },
  };
}

function plain(body: unknown, key: CipherKey | null): PeerMsg | null {
  if (isPeerMsg(body)) return body;
  const b = body as { type?: unknown; s?: Sealed } | null;
  if (key === null || b === null || typeof b !== 'object' || b.type !== 'sealed' || b.s === undefined) return null;
  const r = open(key, b.s);
  if (!r.ok) return null;
  try {
    const inner: unknown = JSON.parse(fromUtf8(r.value));
    return isPeerMsg(inner) ? inner : null;
  } catch {
    return null;
  }
}
