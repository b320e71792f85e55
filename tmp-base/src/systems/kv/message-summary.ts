/**
 * How the config store's client messages read in the trace (see sim/network/message-summary.ts):
 * the operation and its key, the result's revision, the watch's range.
 *
 *   kvWrite c2#7 put k1=2.7
 *   kvReply ok put rev 41
 *   watchBatch w3 (40..44] 2 event(s)
 */
import type { MessageSummaries } from '../../sim/network/message-summary.ts';
import type { KvReply, KvRequest, WatchMessage } from './protocol.ts';
import type { KvOp, KvResult } from './types.ts';

type Of<U, T> = Extract<U, { type: T }>;

function op(o: KvOp): string {
  const r = o as unknown as Record<string, unknown>;
  const key = typeof r.key === 'string' ? ` ${r.key}` : '';
  const value = typeof r.value === 'string' ? `=${r.value}` : '';
  const extra = 'expectedVersion' in r ? ` if v${String(r.expectedVersion)}` : 'expectedValue' in r ? ` if =${String(r.expectedValue)}` : '';
  return `${o.op}${key}${value}${extra}`;
}

function result(x: KvResult): string {
  const r = x as unknown as Record<string, unknown>;
  const parts = [x.op, `rev ${x.rev}`];
  if ('ok' in r) parts.push(r.ok ? 'ok' : 'failed');
  if (x.op === 'get') parts.push(x.value === null ? 'absent' : `=${x.value} v${x.version}`);
  if (x.op === 'range') parts.push(`${x.kvs.length} key(s)`);
  return parts.join(' ');
}

/** The config store's client message summaries, by type. */
export const KV_MESSAGE_SUMMARIES: MessageSummaries = {
  kvWrite: (m: Of<KvRequest, 'kvWrite'>) => `${m.client}#${m.seq} ${op(m.op)}`,
  kvRead: (m: Of<KvRequest, 'kvRead'>) => `${op(m.op)}${m.serializable === true ? ' (serializable)' : ''}`,
  keepAlive: (m: Of<KvRequest, 'keepAlive'>) => `lease ${m.lease}`,
  watch: (m: Of<KvRequest, 'watch'>) => `w${m.watchId} ${m.key}${m.prefix ? '*' : ''} from rev ${m.fromRev}`,
  kvReply: (m: KvReply & { type: 'kvReply' }) => (m.ok ? `ok ${result(m.result)}` : `${m.reason}${m.leader !== null ? `, leader ${m.leader}` : ''}`),
  keepAliveReply: (m: KvReply & { type: 'keepAliveReply' }) => (m.ok ? (m.ttlMs < 0 ? 'lease gone' : `ttl ${m.ttlMs}ms`) : `not leader${m.leader !== null ? `, leader ${m.leader}` : ''}`),
  watchAck: (m: KvReply & { type: 'watchAck' }) => (m.ok ? 'ok' : 'refused'),
  watchBatch: (m: Of<WatchMessage, 'watchBatch'>) => `w${m.watchId} (${m.after}..${m.upTo}] ${m.events.length} event(s)`,
  watchCompacted: (m: Of<WatchMessage, 'watchCompacted'>) => `w${m.watchId} compacted at ${m.compactRev}, now rev ${m.rev}`,
};
