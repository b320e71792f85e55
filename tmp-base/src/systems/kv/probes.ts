/** The etcd-like KV store's rare conditions (sim/probes.ts), beside the Raft core's RAFT_PROBES. */
import { defineProbes } from '../../sim/probes.ts';

export const KV_PROBES = defineProbes('kv', {
  'lease-expired': 'a leader found a lease past its TTL and proposed its expiry: its keys go at one revision',
  'lessor-promoted': 'a new leader restarted every lease\'s TTL at its election (a lease must never expire early on a new leader)',
  'watch-compacted': 'a watch asked for history the store had compacted: the stream ends with "compacted", never silently skips',
  'watchers-dropped-on-restore': 'a snapshot replaced a node\'s state while watch streams were open: they are dropped and clients re-watch',
  'watch-gap-rewatch': 'a watch client saw a batch that does not chain to what it has (lost or reordered): it re-watches from where it is',
  'watch-stall-rewatch': 'a watch stream went silent (server down or cut off): the client re-watches on another server',
});
