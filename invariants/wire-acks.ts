/**
 * Promises judged on the wire. A node's acknowledgement (a vote, "I hold the log up to i", a
 * promise, an accept) is a promise about its disk: once it leaves, peers count on it. Checkers
 * built on `checkWireAcks` see every message a node sends, whatever code path sends it, at the
 * moment it leaves (a kernel send tap: Network.sendTaps), and judge it against what the node's
 * disk durably holds right then (Disk.readDurable: what a crash now would leave). An
 * acknowledgement sent before its fsync completed is caught on the spot, with no crash needed to
 * expose it, and whether the program sent it from a callback, a timer or a retry path.
 */
import type { NodeId, SimNode } from '../sim/node.ts';
import type { World } from '../sim/scenario.ts';

/** Returns why the message breaks a durability promise, or null when it keeps it. */
export type WireAckJudge = (from: SimNode, to: NodeId, body: unknown) => string | null;

/**
 * Installs `judge` on every message sent by a node of `w` while the run goes; a complaint is the
 * violation `invariant`. Returns a counter of the messages judged (for tests: the checker ran).
 */
export function checkWireAcks(w: World<unknown>, invariant: string, judge: WireAckJudge): {
  /** Messages judged so far. */
  judged: number;
} {
  const stats = { judged: 0 };
  // A check that speaks only when it fails: declared, so a run relying on it alone is checked.
  w.declareCheck(invariant);
  w.net.sendTaps.push((from, to, body) => {
    if (from.kind !== 'server') return;
    stats.judged++;
    const why = judge(from, to, body);
    if (why !== null) w.violation(invariant, why);
  });
  return stats;
}
