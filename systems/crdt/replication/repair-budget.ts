/**
 * ae-repair-budget (safety, at the delivery of every anti-entropy repair): a repair ships a key's
 * state only when the two regions held different states of it when their digests were compared.
 * Budget: zero repairs of a state that the receiver holds, that it already held at the comparison,
 * and that the sender held then too.
 *
 * Why: anti-entropy repairs whatever the deltas missed, so a Merkle tree that disagrees with the
 * store (a key merged without being marked dirty, a digest of the wrong state) passes every other
 * check: the needless repair merges to nothing and convergence holds. Users pay for it in repair
 * traffic, and a tree that lies one way may lie the other (a divergent key it calls equal).
 *
 * Judged from what the regions actually held, not from the sender's belief (its tree, which is
 * what such a bug gets wrong). The comparison point is when the initiator's `ae-leaves` leaves (a
 * send tap): its leaf entries are its digests of that moment, and the responder compares them with
 * its own on delivery. The judge then takes both regions' store digests of every key. At a
 * repair's delivery (a tap in front of the region's `onMessage`), a shipped state is needless when
 * its digest equals the receiver's digest now, and both regions' digests at the comparison point.
 *
 * What a correct system does and this excuses: a repair overtaken by deltas (a write in flight when
 * the digests were compared arrives before the repair, so the repair ships a state the receiver
 * already has) changed one region's state after the comparison point: not judged. The answer of a
 * region whose state dominated (the initiator sends back the joined state, equal to the responder's)
 * is not equal at the comparison point. A duplicated `ae-nodes` makes the initiator compare twice, at
 * two moments, and the repairs may answer either comparison: a state is needless only if it was
 * equal at every comparison of the session. A session whose `ae-leaves` the responder received from an
 * older incarnation of the initiator (session ids restart at a crash) is not judged, nor a repair
 * sent before the comparison point.
 */
import type { Envelope, NodeId, SimNode } from '../../../sim/node.ts';
import type { World } from '../../../sim/scenario.ts';
import { digestOf, type Digest } from '../fnv.ts';
import type { RegionMessage, RegionProgram } from './region.ts';

/** Sessions remembered per initiator and responder (a region keeps 16 open). */
const SESSIONS_KEPT = 32;

interface Comparison {
  /** When the initiator's ae-leaves left. */
  t0: number;
  /** Store digests of the initiator and the responder at t0, by key. */
  initiator: Map<string, Digest>;
  responder: Map<string, Digest>;
}

interface Session {
  /**
   * Every ae-leaves of the session: a duplicated ae-nodes makes the initiator send two, at two
   * moments, and the repairs may answer either; a state is judged needless only if it was so at each.
   */
  comparisons: Comparison[];
  /** The responder compared entries of an ae-leaves not recorded here (an older incarnation's): not judged. */
  tainted: boolean;
}

/** Comparisons kept per session: more (a message duplicated again and again) and the session is not judged. */
const COMPARISONS_KEPT = 4;

function storeDigests(p: RegionProgram): Map<string, Digest> {
  const out = new Map<string, Digest>();
  for (const k of p.store.keys()) out.set(k, p.store.digest(k));
  return out;
}

/**
 * Installs the judge on the regions of `w` (filled in by the caller as they are added). Returns the
 * delivery tap to wrap each region program with, and counters for tests and metrics.
 */
export function checkRepairBudget(
  w: World<unknown>,
  regions: readonly SimNode<RegionProgram>[],
): { wrap: (id: NodeId, p: RegionProgram) => RegionProgram; stats: { sessions: number; statesJudged: number; needless: number } } {
  const stats = { sessions: 0, statesJudged: 0, needless: 0 };
  /** initiator>responder -> session id -> session. */
  const sessions = new Map<string, Map<number, Session>>();
  let failed = false;
  w.declareCheck('ae-repair-budget');

  const programOf = (id: NodeId): RegionProgram | undefined => {
    const n = regions.find((r) => r.id === id);
    return n !== undefined && n.up ? (n.program ?? undefined) : undefined;
  };

  w.net.sendTaps.push((from, to, body) => {
    if ((body as { type?: unknown }).type !== 'ae-leaves') return;
    const a = programOf(from.id);
    const b = programOf(to);
    if (a === undefined || b === undefined) return;
    const pair = `${from.id}>${to}`;
    let m = sessions.get(pair);
    if (m === undefined) sessions.set(pair, (m = new Map()));
    const sid = (body as { sid: number }).sid;
    const c: Comparison = { t0: w.now, initiator: storeDigests(a), responder: storeDigests(b) };
    const s = m.get(sid);
    if (s !== undefined) {
      // A duplicate's answer, or a session id used again after the initiator restarted.
      s.comparisons.push(c);
      if (s.comparisons.length > COMPARISONS_KEPT) s.tainted = true;
      return;
    }
    m.set(sid, { comparisons: [c], tainted: false });
    if (m.size > SESSIONS_KEPT) m.delete(m.keys().next().value!);
    stats.sessions++;
  });

  function delivered(id: NodeId, p: RegionProgram, env: Envelope): void {
    const m = env.body as RegionMessage;
    if (m.type === 'ae-leaves') {
      const s = sessions.get(`${env.from}>${id}`)?.get(m.sid);
      if (s !== undefined && !s.comparisons.some((c) => c.t0 === env.sentAtNs)) s.tainted = true;
      return;
    }
    if (m.type !== 'ae-repair' || m.states.length === 0 || failed) return;
    // The first repair goes from the responder to the initiator, the final one back.
    const initiator = m.final ? env.from : id;
    const responder = m.final ? id : env.from;
    const s = sessions.get(`${initiator}>${responder}`)?.get(m.sid);
    if (s === undefined || s.tainted || env.sentAtNs < s.comparisons[0]!.t0) return;
    for (const [k, data] of m.states) {
      stats.statesJudged++;
      if (!p.store.has(k)) continue;
      const now = p.store.digest(k);
      // Equal at every comparison of the session, on both sides, and at the receiver now.
      if (!s.comparisons.every((c) => c.initiator.get(k) === now && c.responder.get(k) === now)) continue;
      if (digestOf(data) !== now) continue;
      stats.needless++;
      failed = true;
      w.violation(
        'ae-repair-budget',
        `${env.from} repaired ${k} at ${id} in anti-entropy session ${initiator}#${m.sid} with a state ${id} already held, as both did when they compared digests (${s.comparisons.map((c) => (c.t0 / 1e6).toFixed(1)).join(', ')} ms): the Merkle tree disagrees with the store (a key never marked dirty?), so anti-entropy ships state for nothing`,
      );
      return;
    }
  }

  return {
    stats,
    wrap(id, p) {
      const inner = p.onMessage;
      if (inner === undefined) return p;
      p.onMessage = (env: Envelope): void => {
        delivered(id, p, env);
        inner.call(p, env);
      };
      return p;
    },
  };
}
