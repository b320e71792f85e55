/**
 * Anti-entropy budgets of the gossip broadcast (systems/broadcast), judged from what the sender
 * knew when it sent: the messages its program was handed, not the ones its peers sent (a lost or
 * late answer is not knowledge). Like Raft's append budget (invariants/raft/append-budget.ts),
 * they catch waste that no safety or liveness property sees: a node that resends what its peer
 * already holds, or bounces syncs with it, still converges, only slower and dearer.
 *
 *  - **sync-budget**: a node sends a peer a `sync` only in its own anti-entropy round (a timer,
 *    outside any message) or in answer to that peer's message that asks for one: a sync that is not itself an answer (the pull half of push-pull)
 *    or a `sync_ok` that asks for more (the answer to a probe, a summary, a slice that was cut).
 *    At most one sync a message. An answer never answers an answer: two nodes that did would
 *    bounce syncs, each resending what is in flight to the other (values the first sync
 *    carried), until their marks catch up.
 *  - **resend-listed**: a sync filtered against the peer's summary (`filtered`: the peer had no
 *    mark, and said what it holds) carries no value that summary lists: the newest summary the
 *    sender was handed from that incarnation of the peer (the one the node filters against). The
 *    summary is read with a page lookup of this file's own, not the system's `inPageSummary`, so
 *    a bug there does not blind the check.
 *
 * Both budgets are zero (no slack): each message that asks is answered with at most one sync,
 * and the correct node never resends a listed value. Network duplicates are handed to the
 * program twice and each copy may be answered.
 */
import type { Envelope, NodeId, SimNode } from '../../sim/node.ts';
import type { World } from '../../sim/scenario.ts';
import { checkWireAcks } from '../wire-acks.ts';
import type { GossipMessage, GossipProgram } from '../../systems/broadcast/gossip.ts';

/** Values per bitmap page of a summary, and its 32-bit words (systems/broadcast/number-set.ts, `pageSummary`). */
const PAGE_BITS = 256;
const PAGE_WORDS = PAGE_BITS / 32;

/** What one incarnation of a node was handed (a restart starts afresh, as the node does). */
interface Knowledge {
  program: GossipProgram;
  /**
   * The message being handled (the node's onMessage is running), or null: a timer or callback.
   * Kept in fields, not an object a message: the wrapper runs on every delivery.
   */
  body: GossipMessage | null;
  from: NodeId;
  /** Whether a sync already answered it. */
  answered: boolean;
  /** Per `peer/incarnation`: the newest summary a sync_ok about our incarnation brought. */
  summaries: Map<string, readonly number[]>;
}

/** Whether the page summary `summary` (`[page, 8 words, page, ...]`, pages ascending) lists `v`. */
export function summaryLists(summary: readonly number[], v: number): boolean {
  if (!Number.isSafeInteger(v) || v < 0) return false;
  const page = Math.floor(v / PAGE_BITS);
  const stride = PAGE_WORDS + 1;
  let lo = 0;
  let hi = Math.floor(summary.length / stride); // pages [lo, hi) may be v's
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const p = summary[mid * stride]!;
    if (p === page) {
      const bit = v % PAGE_BITS;
      return ((summary[mid * stride + 1 + Math.floor(bit / 32)]! >>> (bit % 32)) & 1) === 1;
    }
    if (p < page) lo = mid + 1;
    else hi = mid;
  }
  return false;
}

/**
 * Installs sync-budget and resend-listed on the run. `watch` must wrap each node program as it
 * is made (in the scenario's node factory): the checks learn what a node was handed from it.
 */
export function checkSyncBudget(w: World<unknown>): {
  watch: (id: NodeId, program: GossipProgram) => GossipProgram;
  /** Syncs judged, by what allowed them; filtered values judged (for tests). */
  stats: { rounds: number; answers: number; filteredValues: number };
} {
  const stats = { rounds: 0, answers: 0, filteredValues: 0 };
  const known = new Map<NodeId, Knowledge>();

  const watch = (id: NodeId, program: GossipProgram): GossipProgram => {
    const k: Knowledge = { program, body: null, from: '', answered: false, summaries: new Map() };
    known.set(id, k);
    const inner = program.onMessage;
    if (inner === undefined) return program;
    program.onMessage = (env: Envelope): void => {
      const m = env.body as GossipMessage;
      // What a sync_ok told the node about a peer's holdings, as the node reads it: only one
      // about this incarnation's numbering (older ones it ignores).
      if (m.type === 'sync_ok' && m.summary !== null && m.forInc === program.incarnation) k.summaries.set(`${env.from}/${m.inc}`, m.summary);
      k.body = m;
      k.from = env.from;
      k.answered = false;
      try {
        inner.call(program, env);
      } finally {
        k.body = null;
      }
    };
    return program;
  };

  const asksForSync = (m: GossipMessage): boolean => (m.type === 'sync' && !m.reply) || (m.type === 'sync_ok' && (m.probe || m.summary !== null || m.more));

  checkWireAcks(w, 'sync-budget', (from, to, body) => {
    const m = body as GossipMessage;
    if (m.type !== 'sync' || to === from.id) return null; // one to itself is message-to-self's
    const k = known.get(from.id);
    if (k === undefined || k.program !== (from as SimNode<GossipProgram>).program) return null; // not a watched program
    const h = k.body;
    if (h === null) {
      stats.rounds++; // a timer's: the node's own round
      return null;
    }
    if (k.from !== to || !asksForSync(h) || k.answered) {
      const what = h.type === 'sync' ? `a sync that was itself an answer (reply)` : h.type === 'sync_ok' ? `a sync_ok that asked for nothing more` : `a ${h.type}`;
      return k.answered
        ? `${from.id} sent ${to} a second sync while handling one message from ${k.from}: a message is answered with one sync at most`
        : `${from.id} sent ${to} a sync while handling ${what} from ${k.from}: a sync answers a peer's round or a confirmation that asks for more, never an answer (two nodes would bounce syncs, resending what is in flight)`;
    }
    k.answered = true;
    stats.answers++;
    return null;
  });

  checkWireAcks(w, 'resend-listed', (from, to, body) => {
    const m = body as GossipMessage;
    if (m.type !== 'sync' || !m.filtered || m.values.length === 0) return null;
    const k = known.get(from.id);
    if (k === undefined || k.program !== (from as SimNode<GossipProgram>).program) return null;
    const summary = k.summaries.get(`${to}/${m.inc}`);
    if (summary === undefined) return null; // filtered against nothing this incarnation was handed: not judged
    for (const v of m.values) {
      stats.filteredValues++;
      if (summaryLists(summary, v)) {
        return `${from.id} resent ${to} the value ${v}, which ${to}'s summary (incarnation ${m.inc}) lists as held on its disk: a sync filtered against a summary sends only what it does not list`;
      }
    }
    return null;
  });

  return { watch, stats };
}
