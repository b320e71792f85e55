/**
 * Messages and commands of the hwkv store (seed 004 §8.5.4): a replicated key-value store whose
 * consensus is multi-Paxos with a preferred leader. Every message is plain data.
 */
import type { Sealed } from '../../sim/hardware/nic-crypto.ts';
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
  | { type: 'hb-ack'; b: number; needFrom: number }
  /** "Your sealed message `seq` failed its MAC here: send it again." */
  | { type: 'nack'; seq: number };

/**
 * A peer message on the wire when replicas encrypt (the default): the PeerMsg as JSON, sealed by
 * the sender's crypto engine (NIC or host core). `seq` names it for a `nack`.
 */
export type SealedMsg = { type: 'sealed'; seq: number; s: Sealed };

/** Known-broken variants (the bug zoo). */
export type HwkvBug = 'none' | 'trust-ssd-result' | 'ack-before-nvdimm' | 'skip-mac-check' | 'retransmit-ack-from-memory' | 'scans-fail' | 'pushdown-always-falls-back' | 'minority-quorum' | 'redirect-to-self' | 'replay-through-engine';

/** God's-eye instrumentation: what invariants and the latency table see. Not protocol. */
export interface Observer {
  /** An acceptor acknowledged (slot, ballot): it must never forget it. */
  acceptAcked?(replica: NodeId, slot: number, b: number): void;
  /** A replica recovered at start: `entryAt(slot)` is its durable entry at each slot. */
  recovered?(replica: NodeId, entryAt: (slot: number) => Entry | undefined): void;
  /** A replica applied `cmd` at `slot`. */
  applied?(replica: NodeId, slot: number, cmd: Cmd): void;
  /** A scan result is about to be served (after any verification); `pushedDown`: computed on the SmartSSD, not read raw. */
  scanServed?(replica: NodeId, spec: ScanSpec & { kind: 'kv' }, served: { rows?: [string, StoredValue][]; sum?: number; count?: number }, pushedDown: boolean): void;
  /** A leader took a client's command (after its checksum passed): the truth for what applies. */
  requested?(replica: NodeId, cmd: Cmd): void;
  /** A PUT's server-side latency (request arrival to reply), true ns. */
  putLatency?(replica: NodeId, ns: number, cmd: Cmd): void;
  /** One seal or open of a peer message (`bytes` of ciphertext) took `ns`, queueing included. */
  crypto?(replica: NodeId, op: 'seal' | 'open', bytes: number, ns: number): void;
  /** A sealed message failed its MAC and was refused. */
  macRejected?(replica: NodeId, from: NodeId): void;
  /** A GET's storage lookup latency. */
  getLatency?(replica: NodeId, ns: number): void;
  /** A phase-2 round: from the accepts leaving to the quorum's reply arriving. */
  roundLatency?(replica: NodeId, ns: number): void;
}

const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isStr = (x: unknown): x is string => typeof x === 'string';
const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

function isCmd(x: unknown): x is Cmd {
  if (!isObj(x) || !isStr(x.id)) return false;
  switch (x.op) {
    case 'noop': return true;
    case 'get': return isStr(x.key);
    case 'put': return isStr(x.key) && isObj(x.value) && isStr(x.value.v) && isNum(x.value.cs);
    case 'scan': return isObj(x.spec) && x.spec.kind === 'kv' && isStr(x.spec.lo) && isStr(x.spec.hi) && (x.spec.agg === 'rows' || x.spec.agg === 'sum');
    default: return false;
  }
}

const isEntry = (x: unknown): x is Entry => isObj(x) && isNum(x.b) && isCmd(x.cmd);

/**
 * The shape of a decoded peer message. A message whose MAC held always has it; the check keeps a
 * replica that skipped the MAC (the bug zoo) from crashing on a garbled one, so that what it does
 * with a well-formed but altered message is what the invariants see.
 */
export function isPeerMsg(x: unknown): x is PeerMsg {
  if (!isObj(x)) return false;
  switch (x.type) {
    case 'prepare': return isNum(x.b) && isNum(x.fromSlot);
    case 'promise': return isNum(x.b) && Array.isArray(x.entries) && x.entries.every((e) => Array.isArray(e) && e.length === 2 && isNum(e[0]) && isEntry(e[1]));
    case 'accept': return isNum(x.b) && isNum(x.slot) && isEntry(x.entry) && isNum(x.committed);
    case 'accepted': return isNum(x.b) && isNum(x.slot);
    case 'reject': return isNum(x.b) && isNum(x.promised);
    case 'heartbeat': return isNum(x.b) && isNum(x.committed);
    case 'hb-ack': return isNum(x.b) && isNum(x.needFrom);
    case 'nack': return isNum(x.seq);
    default: return false;
  }
}
