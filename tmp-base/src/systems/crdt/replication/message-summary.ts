/**
 * How the CRDT regions' messages read in the trace (see sim/network/message-summary.ts): a
 * client's operation and its key, a delta batch's sequence range and keys, and each step of an
 * anti-entropy session (its id, the Merkle level and nodes it descends into, the keys repaired),
 * so a session that stops short of a divergent subtree can be seen in the trace.
 *
 *   deltas 3 delta(s) seq 12..14 keys ctr:k1,set:k4
 *   ae-descend s17 level 1 into [2,5]
 *   ae-repair s17 2 key(s) ctr:k3,set:k9 want none final
 */
import type { MessageSummaries } from '../../../sim/network/message-summary.ts';
import { names, span } from '../../../sim/network/message-summary.ts';
import type { ClientReply, ClientRequest, RegionBody } from './region.ts';
import type { Op } from './store.ts';

type Of<U, T> = Extract<U, { type: T }>;

function vector(v: Map<string, number> | undefined): string {
  if (!(v instanceof Map)) return '';
  return `{${[...v].map(([k, n]) => `${k}:${n}`).join(' ')}}`;
}

function op(o: Op): string {
  switch (o.kind) {
    case 'incr':
      return `incr ${o.key} by ${o.by}`;
    case 'add':
    case 'remove':
      return `${o.kind} ${o.key} ${o.elem}`;
    case 'set':
      return `set ${o.key}=${o.value}`;
    case 'insert':
      return `insert ${o.key}[${o.index}] ${JSON.stringify(o.char)}`;
  }
}

/** The CRDT regions' message summaries, by type. */
export const CRDT_MESSAGE_SUMMARIES: MessageSummaries = {
  op: (m: Of<ClientRequest, 'op'>) => (typeof m.op === 'object' && m.op !== null && 'kind' in m.op ? `${m.client}#${m.req} ${op(m.op)}` : undefined),
  read: (m: Of<ClientRequest, 'read'>) => (typeof m.key === 'string' ? `${m.key} token ${vector(m.token)}` : undefined),
  'op-ok': (m: Of<ClientReply, 'op-ok'>) => `${m.origin}#${m.seq}`,
  'read-ok': (m: Of<ClientReply, 'read-ok'>) => `applied ${vector(m.applied)}`,
  deltas: (m: Of<RegionBody, 'deltas'>) => `${m.items.length} delta(s) seq ${span(m.items.map((i) => i.seq))} keys ${names([...new Set(m.items.map((i) => i.key))])}`,
  'deltas-ack': (m: Of<RegionBody, 'deltas-ack'>) => `up to ${m.upTo}`,
  'ae-root': (m: Of<RegionBody, 'ae-root'>) => `s${m.sid} root ${String(m.root).slice(0, 8)} applied ${vector(m.applied)}`,
  'ae-equal': (m: Of<RegionBody, 'ae-equal'>) => `s${m.sid}`,
  'ae-nodes': (m: Of<RegionBody, 'ae-nodes'>) => `s${m.sid} level ${m.level} under [${m.parents.join(',')}] ${m.digests.length} digest(s)`,
  'ae-descend': (m: Of<RegionBody, 'ae-descend'>) => `s${m.sid} level ${m.level} into [${m.nodes.join(',')}]`,
  'ae-leaves': (m: Of<RegionBody, 'ae-leaves'>) => `s${m.sid} leaves [${m.leaves.map((l) => l.leaf).join(',')}] ${m.leaves.reduce((a, l) => a + l.entries.length, 0)} key(s)`,
  'ae-repair': (m: Of<RegionBody, 'ae-repair'>) => `s${m.sid} ${m.states.length} key(s) ${names(m.states.map(([k]) => k))} want ${m.want.length === 0 ? 'none' : names(m.want)}${m.final ? ' final' : ''}`,
  'snap-req': (m: Of<RegionBody, 'snap-req'>) => `r${m.rid}`,
  snap: (m: Of<RegionBody, 'snap'>) => (Array.isArray(m.store) && typeof m.rid === 'number' ? `r${m.rid} ${m.store.length} key(s)` : undefined),
};
