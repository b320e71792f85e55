/**
 * ack-not-durable (CRDT regions): the region's durability rule ("nothing leaves the node before
 * the records it depends on are fsynced", region.ts) judged on the wire (invariants/wire-acks.ts)
 * against the durable WAL as each message leaves:
 *
 *  - a client's `op-ok` for the region's own op seq s, and a `deltas` batch whose own ops run to
 *    seq s: the durable WAL holds the region's ops up to s (an `op` record, or a `snap` past it);
 *  - a `deltas-ack` up to u to origin O: the durable WAL records O's ops merged up to u (a `merge`
 *    from O, a `snap` or a `vv` record), since O then stops re-sending them.
 *
 * A crash in the window would otherwise reuse acknowledged dots or lose acknowledged ops; this
 * needs no crash.
 */
import type { World } from '../../../sim/scenario.ts';
import { checkWireAcks } from '../../../invariants/wire-acks.ts';

/** The WAL records' fields this check reads (region.ts WalRecord). */
type Rec =
  | { t: 'snap'; seq: number; applied: [string, number][] }
  | { t: 'op'; item: { seq: number } }
  | { t: 'merge'; origin: string | null; upTo: number }
  | { t: 'vv'; applied: [string, number][] }
  | { t: 'gc' };

export function checkCrdtAcksDurable(w: World<unknown>, regions: readonly string[], walFile: string): { judged: number } {
  const ids = new Set(regions);
  return checkWireAcks(w, 'ack-not-durable', (from, to, body) => {
    if (!ids.has(from.id)) return null;
    const m = body as { type?: string; seq?: number; origin?: string; items?: { seq: number }[]; upTo?: number } | null;
    if (m === null || typeof m !== 'object') return null;
    let ownSeq = 0;
    let what = '';
    if (m.type === 'op-ok' && m.origin === from.id) {
      ownSeq = m.seq!;
      what = `acknowledged op ${from.id}#${ownSeq} to ${to}`;
    } else if (m.type === 'deltas' && m.items!.length > 0) {
      ownSeq = Math.max(...m.items!.map((it) => it.seq));
      what = `sent ${to} its ops up to #${ownSeq}`;
    } else if (m.type === 'deltas-ack') {
      const recs = from.disk.readDurable<Rec>(walFile).records;
      let durable = 0;
      for (const r of recs) {
        if (r === null) continue;
        if (r.t === 'merge' && r.origin === to) durable = Math.max(durable, r.upTo);
        else if (r.t === 'snap' || r.t === 'vv') for (const [o, n] of r.applied) if (o === to) durable = Math.max(durable, n);
      }
      if (durable < m.upTo!) return `${from.id} acknowledged ${to}'s ops up to #${m.upTo}, but its durable WAL records them merged only up to #${durable}: ${to} stops re-sending what a crash now would lose`;
      return null;
    } else return null;
    const recs = from.disk.readDurable<Rec>(walFile).records;
    let durable = 0;
    for (const r of recs) {
      if (r === null) continue;
      if (r.t === 'op') durable = Math.max(durable, r.item.seq);
      else if (r.t === 'snap') durable = Math.max(durable, r.seq);
    }
    if (durable < ownSeq) return `${from.id} ${what}, but its durable WAL holds its ops only up to #${durable}: a crash now would reuse that op's dots`;
    return null;
  });
}
