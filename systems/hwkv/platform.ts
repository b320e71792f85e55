/**
 * Where a replica runs and keeps its data: the one protocol (replica.ts) runs on either platform,
 * and only the device latencies differ, which makes the comparison of seed 004 §8.5.4 fair.
 *
 * - accelerated: the replica runs on a SmartNIC (2-3 µs a message), persists acceptor state to the
 *   NIC's NVDIMM (300 ns), keeps its rows on a SmartSSD (NVMe-KV, durable) and pushes scans down,
 *   verifying what comes back with end-to-end checksums.
 * - traditional: the replica runs on the host (~50 µs a message through the kernel stack),
 *   persists to the node's Disk with fsync, and keeps its rows in a RocksDB-like engine in host
 *   memory, rebuilt from the log at restart.
 *
 * Peer messages are sealed (nic-crypto.ts): on the accelerated platform by the NIC's crypto engine
 * at line rate, with the session key provisioned from the host at start and again whenever the
 * NIC lost it (a reboot); on the traditional one by a host core, which pays the per-byte cost.
 *
 * Every device callback is routed through the node (`gate`): it is dropped if the incarnation
 * that asked has crashed, and deferred while the node is paused, so a dead replica never writes.
 */
import type { NodeContext } from '../../sim/node.ts';
import { fromUtf8, utf8, type CipherKey, type Sealed } from '../../sim/hardware/nic-crypto.ts';
import type { HostCpu, HostKvStore } from '../../sim/hardware/host.ts';
import type { HwDone, HwResult } from '../../sim/hardware/result.ts';
import type { ScanResult, ScanSpec, StoredValue } from '../../sim/hardware/scan.ts';
import type { SmartNic } from '../../sim/hardware/smart-nic.ts';
import type { SmartSsd } from '../../sim/hardware/smart-ssd.ts';

/** Durable key-value records of the acceptor (promised ballot, accepted entries, marks). */
export interface Stable {
  /** Makes `entries` durable, in call order; `done(true)` once they are, `done(false)` if lost. */
  write(entries: [string, unknown][], done: (ok: boolean) => void): void;
  /** What is durable, for recovery and for lookups after it (a copy of each value read). */
  load(): StableReader;
}

/**
 * Reads durable records by key. A replica reads here only keys it has not written since it
 * recovered: for those, every reader answers what was durable at recovery. (The NVDIMM is read in
 * place, being memory on the NIC; the fsync platform reads its file once, at recovery.) So a
 * restart costs what it reads, not what the store has ever held.
 */
export interface StableReader {
  get(key: string): unknown;
}

/** The replica's rows. */
export interface Store {
  /** Rows survive a restart of the replica (SSD) or are rebuilt from the log (host memory). */
  readonly durable: boolean;
  get(key: string, done: HwDone<StoredValue | undefined>): void;
  put(key: string, value: StoredValue, done: HwDone<void>): void;
  /** The fast path: pushed down where the platform can (may be wrong: verify). */
  scan(spec: ScanSpec, done: HwDone<ScanResult>): void;
  /** The safe path (raw reads), for when a pushed-down result fails verification. */
  rawScan(spec: ScanSpec, done: HwDone<ScanResult>): void;
  /** True when the pushed-down results must be verified (they come from another computer). */
  readonly untrustedScans: boolean;
  /** Rebuild support for non-durable stores: drop everything / set a row without device time. */
  reset(): void;
  setRow(key: string, value: StoredValue): void;
  /** True once writes can never succeed again (a worn-out SSD). */
  readonly broken: boolean;
}

/** Sealing of peer messages on the platform's engine. */
export interface Crypto {
  /** Seals `plain` under the cluster key with a fresh nonce. Fails only if the engine crashes. */
  seal(plain: string, done: HwDone<Sealed>): void;
  /** Opens `s`: `'bad-mac'` if it was altered or keyed otherwise. `verifyMac: false` is the bug zoo's. */
  open(s: Sealed, verifyMac: boolean, done: HwDone<string>): void;
}

export interface Platform {
  readonly kind: 'accelerated' | 'traditional';
  /** Null when the cluster runs unencrypted. */
  readonly crypto: Crypto | null;
  /** One message's processing (ingress or egress) on the NIC or through the host stack. */
  process(work: () => void): void;
  readonly stable: Stable;
  readonly store: Store;
}

/** Runs `fn` on the node's incarnation that called, or never (crashed), or after a pause. */
export function gate<T>(ctx: NodeContext, fn: (x: T) => void): (x: T) => void {
  return (x) => {
    if (!ctx.alive) return;
    ctx.setTimer(0, () => fn(x));
  };
}

/** Serialises writes so that they become durable in call order. */
class SerialWriter {
  private queue: { entries: [string, unknown][]; done: (ok: boolean) => void }[] = [];
  private busy = false;
  constructor(
    private readonly ctx: NodeContext,
    private readonly writeOne: (entries: [string, unknown][], done: (ok: boolean) => void) => void,
  ) {}

  write(entries: [string, unknown][], done: (ok: boolean) => void): void {
    this.queue.push({ entries, done });
    this.pump();
  }

  private pump(): void {
    if (this.busy || this.queue.length === 0) return;
    // Group commit: everything queued goes in one write.
    const batch = this.queue;
    this.queue = [];
    this.busy = true;
    const entries = batch.flatMap((b) => b.entries);
    this.writeOne(entries, gate(this.ctx, (ok: boolean) => {
      this.busy = false;
      for (const b of batch) b.done(ok);
      this.pump();
    }));
  }
}

/** Nonces unique across incarnations: the node, its start time, a random word, a counter. */
function nonces(ctx: NodeContext): () => string {
  const prefix = `${ctx.id}.${ctx.now()}.${ctx.rng.int(0, 2 ** 30)}`;
  let n = 0;
  return () => `${prefix}.${n++}`;
}

/**
 * Crypto on a NIC: its session key lives in the NIC's DRAM, so after a reboot (or before the first
 * provisioning) an operation fails `'no-key'`; we provision the key from the host and retry.
 */
function nicCrypto(ctx: NodeContext, nic: SmartNic, key: CipherKey): Crypto {
  const nonce = nonces(ctx);
  let waiting: (() => void)[] = [];
  const withKey = (then: () => void): void => {
    waiting.push(then);
    if (waiting.length > 1) return; // a provisioning is under way
    nic.provisionKey(key, gate(ctx, (r: HwResult<void>) => {
      const ws = waiting;
      waiting = [];
      if (r.ok) for (const w of ws) w(); // else the NIC crashed: so did we
    }));
  };
  const retrying = <T>(op: (done: HwDone<T>) => void, done: HwDone<T>): void => {
    const attempt = (left: number): void =>
      op(gate(ctx, (r: HwResult<T>) => {
        if (!r.ok && r.error === 'no-key' && left > 0) {
          ctx.probe('hwkv:nic-key-reprovisioned');
          return withKey(() => attempt(left - 1));
        }
        done(r);
      }));
    if (nic.hasKey(key.id)) attempt(3);
    else withKey(() => attempt(3));
  };
  return {
    seal: (plain, done) => {
      const bytes = utf8(plain);
      const n = nonce();
      retrying<Sealed>((d) => nic.encrypt(key.id, n, bytes, d), done);
    },
    open: (s, verifyMac, done) => retrying<Uint8Array>((d) => nic.decrypt(s, d, verifyMac), (r) => done(r.ok ? { ok: true, value: fromUtf8(r.value) } : r)),
  };
}

/** Crypto on a host core: the key is in the host's key store, always there. */
function hostCrypto(ctx: NodeContext, cpu: HostCpu, key: CipherKey): Crypto {
  const nonce = nonces(ctx);
  cpu.keys.set(key.id, key);
  return {
    seal: (plain, done) => cpu.encrypt(key.id, nonce(), utf8(plain), gate(ctx, done)),
    open: (s, verifyMac, done) => cpu.decrypt(s, gate(ctx, (r: HwResult<Uint8Array>) => done(r.ok ? { ok: true, value: fromUtf8(r.value) } : r)), verifyMac),
  };
}

export function acceleratedPlatform(ctx: NodeContext, nic: SmartNic, ssd: SmartSsd, key: CipherKey | null = null): Platform {
  // The previous incarnation's writes must not land after we recover.
  nic.fence();
  ssd.resetQueues();
  const writer = new SerialWriter(ctx, (entries, done) => nic.persistMany(entries, (r) => done(r.ok)));
  const g = <T>(done: HwDone<T>): HwDone<T> => gate(ctx, done);
  return {
    kind: 'accelerated',
    crypto: key === null ? null : nicCrypto(ctx, nic, key),
    process: (work) => nic.process(() => undefined, gate(ctx, (r: HwResult<undefined>) => { if (r.ok) work(); })),
    stable: {
      write: (entries, done) => writer.write(entries, done),
      load: () => ({ get: (k) => nic.nvdimmGet(k) }),
    },
    store: {
      durable: true,
      untrustedScans: true,
      get: (key, done) => ssd.kvGet(key, g(done)),
      put: (key, value, done) => ssd.kvPut(key, value, g(done)),
      scan: (spec, done) => ssd.scan(spec, g(done)),
      rawScan: (spec, done) => ssd.rawScan(spec, g(done)),
      reset: () => {},
      setRow: () => {},
      get broken() {
        return ssd.wornOut;
      },
    },
  };
}

export const STABLE_FILE = 'stable';

export function traditionalPlatform(ctx: NodeContext, cpu: HostCpu, kv: HostKvStore, key: CipherKey | null = null): Platform {
  kv.resetQueues(); // the previous incarnation's writes must not land after the rebuild
  const writer = new SerialWriter(ctx, (entries, done) => {
    ctx.disk.append(STABLE_FILE, entries);
    ctx.disk.fsync((err) => done(err === null));
  });
  const g = <T>(done: HwDone<T>): HwDone<T> => gate(ctx, done);
  return {
    kind: 'traditional',
    crypto: key === null ? null : hostCrypto(ctx, cpu, key),
    process: (work) => cpu.process(() => undefined, gate(ctx, (r: HwResult<undefined>) => { if (r.ok) work(); })),
    stable: {
      write: (entries, done) => writer.write(entries, done),
      load: () => {
        const out = new Map<string, unknown>();
        // A torn last record reads back corrupt (null): it was never acknowledged, skip it.
        for (const rec of ctx.disk.readForRecovery<[string, unknown][]>(STABLE_FILE).records) if (rec !== null) for (const [k, v] of rec) out.set(k, v);
        return { get: (k) => out.get(k) };
      },
    },
    store: {
      durable: false,
      untrustedScans: false,
      get: (key, done) => kv.get(key, g(done)),
      put: (key, value, done) => kv.put(key, value, g(done)),
      scan: (spec, done) => kv.scan(spec, g(done)),
      rawScan: (spec, done) => kv.scan(spec, g(done)),
      reset: () => kv.rows.clear(),
      setRow: (key, value) => void kv.rows.set(key, { ...value }),
      broken: false,
    },
  };
}
