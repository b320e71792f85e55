/** The CRDT replication's rare conditions (sim/probes.ts): a sweep that never hits one did not test it. */
import { defineProbes } from '../../../sim/probes.ts';

export const CRDT_PROBES = defineProbes('crdt', {
  'delta-past-gap': 'a delta batch arrives after a gap in its origin\'s op stream: merged, but the applied vector must not advance past the gap',
  'anti-entropy-repair': 'a Merkle anti-entropy session found divergent keys and shipped state the delta stream had missed',
  'outbox-overflow': 'a long partition overflowed the outbox: the oldest unacknowledged ops are left to anti-entropy',
  'delta-resent': 'an unacknowledged delta batch is re-sent (lost, or the peer was away)',
  'gc-collapse': 'causal-stability GC collapsed OR-Set tags: a later remove must still see the kept tag',
  'gc-windowed-collapse': 'GC collapsed tags while some region was evicted (the GC window): the absorbed dots must survive for its re-sync',
  'gc-eviction': 'a region silent longer than the GC window is evicted from GC stability',
  'evicted-message-refused': 'replication from an evicted epoch is refused: the region must re-sync from a snapshot first',
  'snapshot-resync': 'an evicted region re-synced from a peer\'s snapshot and re-applied its own unacknowledged ops',
  'resync-kept-collapsed-tag': 'a re-sync replay kept a collapsed tag standing for an add the region never saw (add-wins must hold)',
  'read-parked': 'a request carrying a read-your-writes token waited for replication to catch up',
  'read-token-expired': 'a parked read-your-writes request timed out and was answered "stale"',
  'wal-torn-tail': 'a restarted region found a torn record at its WAL tail (never acknowledged) and recovered without it',
});
