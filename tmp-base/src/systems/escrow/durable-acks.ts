/**
 * ack-not-durable (escrow): the two messages of a token transfer are promises about disk, judged
 * on the wire (invariants/wire-acks.ts) against the sender's durable state record as it leaves:
 *
 *  - transfer (from -> to, seq): the sender's durable outbox holds (to, seq), i.e. the debit is
 *    durable (else a crash re-creates the tokens the receiver is about to credit);
 *  - transfer-ack (from -> to, seq): the acknowledging receiver's durable state has credited
 *    (to, seq) (else the sender forgets the transfer and a crash destroys the tokens).
 *
 * Conservation sees such a bug only when a crash lands in the window between the message and the
 * fsync; this sees every early message on any run.
 */
import type { World } from '../../sim/scenario.ts';
import { checkWireAcks } from '../../invariants/wire-acks.ts';
import type { EscrowDurable } from './replica.ts';
import type { EscrowMsg } from './types.ts';

/** `stateFile`: the host's state record file (host.ts STATE_FILE; its last record is the state). */
export function checkEscrowAcksDurable(w: World<unknown>, nodeIds: readonly string[], stateFile: string): { judged: number } {
  const ids = new Set(nodeIds);
  return checkWireAcks(w, 'ack-not-durable', (from, to, body) => {
    if (!ids.has(from.id)) return null;
    const m = body as EscrowMsg;
    if (m === null || typeof m !== 'object' || (m.type !== 'transfer' && m.type !== 'transfer-ack')) return null;
    const recs = from.disk.readDurable<{ state: { kind: string } }>(stateFile).records;
    const last = recs[recs.length - 1];
    const state = last === null || last === undefined ? null : last.state;
    if (state !== null && state.kind !== 'escrow') return null;
    const s = state as EscrowDurable | null;
    if (m.type === 'transfer') {
      if (s === null || !s.outbox.some((e) => e.to === to && e.seq === m.seq))
        return `${from.id} sent transfer #${m.seq} of ${m.amount} token(s) to ${to}, but its durable outbox does not hold it: a crash now would undo the debit of tokens ${to} may credit`;
    } else {
      const c = s?.credited.find((x) => x.from === to);
      if (c === undefined || (m.seq > c.upTo && !c.above.includes(m.seq)))
        return `${from.id} acknowledged transfer #${m.seq} from ${to}, but its durable state has not credited it: a crash now would destroy the tokens ${to} is about to forget`;
    }
    return null;
  });
}
