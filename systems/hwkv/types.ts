/**
 * Messages and commands of the hwkv store (seed 004 §8.5.4): a replicated key-value store whose
 * consensus is multi-Paxos with a preferred leader. Every message is plain data.
 */
import type { ScanSpec, StoredValue } from '../../sim/hardware/scan.ts';
import type { NodeId } from '../../sim/node.ts';

export type Cmd =
  | { id: string; op: 'put'; key: string; value: StoredValue }
  | { id: string; op: 'get'; key: string }
  | { id: string; op: 'scan'; spec: ScanSpec & { kind: 'kv' } }
  | { id: string; op: 'noop' };

/** An accepted log entry: the ballot it was accepted in and its command. */
export interface Entry {
  b: number;
  cmd: Cmd;
}

export type KvRequest = { type: 'req'; cmd: Cmd };

export type KvReply =
  | { type: 'res'; ok: true; value?: StoredValue | null; rows?: [string, StoredValue][]; sum?: number; count?: number }
  | { type: 'res'; ok: false; reason: 'not-leader' | 'bad-checksum' | 'corrupt'; leader: NodeId | null };

export type PeerMsg =
  | { type: 'prepare'; b: number; fromSlot: number }
  | { type: 'promise'; b: number; entries: [number, Entry][] }
  | { type: 'accept'; b: number; slot: number; entry: Entry; committed: number }
  | { type: 'accepted'; b: number; slot: number }
  | { type: 'reject'; b: number; promised: number }
  | { type: 'heartbeat'; b: number; committed: number }
  | { type: 'hb-ack'; b: number; needFrom: number };

/** Known-broken variants (the bug zoo). */
export type HwkvBug = 'none' | 'trust-ssd-result' | 'ack-before-nvdimm';

/** God's-eye instrumentation: what invariants and the latency table see. Not protocol. */
export interface Observer {
  /** An acceptor acknowledged (slot, ballot): it must never forget it. */
  acceptAcked?(replica: NodeId, slot: number, b: number): void;
  /** A replica recovered this log at start. */
  recovered?(replica: NodeId, log: ReadonlyMap<number, Entry>): void;
  /** A replica applied `cmd` at `slot`. */
  applied?(replica: NodeId, slot: number, cmd: Cmd): void;
  /** A scan result is about to be served (after any verification). */
  scanServed?(replica: NodeId, spec: ScanSpec & { kind: 'kv' }, served: { rows?: [string, StoredValue][]; sum?: number; count?: number }): void;
  /** A PUT's server-side latency (request arrival to reply), true ns. */
  putLatency?(replica: NodeId, ns: number): void;
  /** A GET's storage lookup latency. */
  getLatency?(replica: NodeId, ns: number): void;
  /** A phase-2 round: from the accepts leaving to the quorum's reply arriving. */
  roundLatency?(replica: NodeId, ns: number): void;
}
