/**
 * A SmartNIC/DPU (a BlueField-2 in seed 004 §8.5.3): ARM cores on the NIC that process messages in
 * 2-3 µs instead of ~50 µs through the host, and an NVDIMM that persists a record in ~300 ns.
 * A consensus acceptor can run here, off the host.
 *
 * What it may do, and why a system on it must survive it:
 * - crash independently of its host (its own failure domain, `nic/<host>` by default): work in
 *   flight fails; the NIC's DRAM (`volatile`) is lost; the NVDIMM keeps every write that
 *   *completed* (an NVDIMM-N saves DRAM to flash on power loss) and none that had not;
 * - reboot (crash then restart): the same, and it comes back empty but for the NVDIMM;
 * - wedge: it takes work and never finishes it, while the host runs on (a hung NIC firmware);
 * - be slow (Device.slowFactor), and stall an NVDIMM write for milliseconds (buggify site
 *   `hw.nic.nvdimm_stall`: a save/restore or a media retry), which is what makes
 *   acknowledging before the write completes dangerous.
 *
 * - encrypt and decrypt at line rate (nic-crypto.ts): its engine may return corrupt ciphertext
 *   (`cryptoFaults.corruptRate`, buggify `hw.nic.crypto_corrupt`; the receiver's MAC check
 *   catches it), and a crash or reboot loses the session keys, which live in its DRAM: until the
 *   host provisions them again (`provisionKey`, ~50 µs through the host) crypto fails `'no-key'`.
 *
 * A SimNode may be attached: the program that runs on the NIC. A NIC crash crashes it (its
 * volatile state is the NIC's DRAM) and a restart starts it again, to recover from the NVDIMM.
 */
import { NIC_PROBES } from './probes.ts';
import { deepCopy, estimateSize } from '../clone.ts';
import { Device } from '../device.ts';
import type { Simulation } from '../kernel.ts';
import type { LatencyModel } from '../network/latency.ts';
import { SUPERVISOR_RESTART_NS, type SimNode } from '../node.ts';
import { NIC_CORES, NIC_CRYPTO_BYTES_PER_SEC, NIC_CRYPTO_SETUP_NS, NIC_KEY_PROVISION_NS, NIC_PROCESSING_NS_MAX, NIC_PROCESSING_NS_MIN, NVDIMM_CAPACITY_BYTES, NVDIMM_WRITE_NS, constantNs, uniformNs } from './figures.ts';
import { newCryptoStats, openOn, sealOn, type CipherKey, type CryptoCost, type KeyTable, type Sealed } from './nic-crypto.ts';
import { unwrap, type HwDone, type HwResult } from './result.ts';

export interface SmartNicOptions {
  name: string;
  /** Failure domain; default `nic/<name>`, never the host's. */
  domain?: string;
  /** Per-message processing on the NIC. Default 2-3 µs (seed 004 §8.5.3). */
  processing?: LatencyModel;
  /** One NVDIMM write. Default 300 ns (seed 004 §8.5.3). */
  nvdimmWrite?: LatencyModel;
  /** ARM cores. Default 8. */
  cores?: number;
  /** NVDIMM capacity in bytes (estimated record sizes). Default 16 GiB (seed 004 §8.5.3). */
  nvdimmCapacityBytes?: number;
  /** The crypto engine. Default 500 ns + 12.5 GB/s (line rate, seed 004 §8.3.1, §8.5.1). */
  crypto?: Partial<CryptoCost>;
  /** Provisioning a session key from the host. Default 50 µs (one trip through the host). */
  keyProvision?: LatencyModel;
}

/** The crypto engine's fault rates (the hardware nemesis sets them). */
export interface NicCryptoFaults {
  /** Probability that a seal returns ciphertext with a corrupted byte (its tag is of the true one). */
  corruptRate: number;
}

const KEY_PREFIX = 'crypto-key/';

/** How long a stalled NVDIMM write takes (buggify `hw.nic.nvdimm_stall`): 1-5 ms. */
export const NVDIMM_STALL = uniformNs(1_000_000, 5_000_000);

export class SmartNic extends Device {
  /** Durable: survives crashes and reboots. Only completed `persist` calls land here. */
  private readonly nvdimm = new Map<string, unknown>();
  private nvdimmBytes = 0;
  /** The NIC's DRAM: lost on every crash. Programs on the NIC may keep state here. */
  readonly volatile = new Map<string, unknown>();
  readonly processing: LatencyModel;
  readonly nvdimmWrite: LatencyModel;
  readonly capacityBytes: number;
  private attached: SimNode | null = null;
  /** Bumped by `fence()`: NVDIMM writes submitted before it never land. */
  private fenceEpoch = 0;
  readonly nicStats = { processed: 0, persisted: 0, stalls: 0, reboots: 0 };
  readonly crypto: CryptoCost;
  readonly keyProvision: LatencyModel;
  cryptoFaults: NicCryptoFaults = { corruptRate: 0 };
  readonly cryptoStats = newCryptoStats();
  /** Session keys are in the NIC's DRAM: a crash loses them. */
  private readonly keys: KeyTable = { get: (id) => this.volatile.get(`${KEY_PREFIX}${id}`) as CipherKey | undefined };

  constructor(sim: Simulation, opts: SmartNicOptions) {
    super(sim, { name: opts.name, domain: opts.domain ?? `nic/${opts.name}`, parallelism: opts.cores ?? NIC_CORES });
    this.processing = opts.processing ?? uniformNs(NIC_PROCESSING_NS_MIN, NIC_PROCESSING_NS_MAX);
    this.nvdimmWrite = opts.nvdimmWrite ?? constantNs(NVDIMM_WRITE_NS);
    this.capacityBytes = opts.nvdimmCapacityBytes ?? NVDIMM_CAPACITY_BYTES;
    this.crypto = { setupNs: opts.crypto?.setupNs ?? NIC_CRYPTO_SETUP_NS, bytesPerSec: opts.crypto?.bytesPerSec ?? NIC_CRYPTO_BYTES_PER_SEC };
    this.keyProvision = opts.keyProvision ?? constantNs(NIC_KEY_PROVISION_NS);
    sim.probes.declare(NIC_PROBES);
  }

  /** The host hands the NIC a session key (at start, and again after every reboot). */
  provisionKey(key: CipherKey, done: HwDone<void>): void {
    const copy = deepCopy(key);
    this.submit(this.serviceTime(this.keyProvision), () => {
      this.volatile.set(`${KEY_PREFIX}${copy.id}`, copy);
      return { ok: true as const, value: undefined };
    }, unwrap(done));
  }

  hasKey(id: number): boolean {
    return this.volatile.has(`${KEY_PREFIX}${id}`);
  }

  /** Seals `plain` with session key `keyId` on the crypto engine; `'no-key'` if it is not provisioned. */
  encrypt(keyId: number, nonce: string, plain: Uint8Array, done: HwDone<Sealed>): void {
    const corrupt = (): boolean => {
      // BUGGIFY first (its own decision); the stream's corruption, drawn when it did not fire, is recorded.
      const fired = this.sim.buggify.fire('hw.nic.crypto_corrupt');
      const drawn = !fired && this.cryptoFaults.corruptRate > 0 && this.rng.chance(this.cryptoFaults.corruptRate);
      return this.decideFault('nic-corrupt', drawn) !== null || fired;
    };
    sealOn(this, this.crypto, this.keys, this.cryptoStats, keyId, nonce, plain, corrupt, done);
  }

  /** Opens `s` on the crypto engine: `'bad-mac'` for a tampered or wrongly keyed message. */
  decrypt(s: Sealed, done: HwDone<Uint8Array>, verifyMac = true): void {
    openOn(this, this.crypto, this.keys, this.cryptoStats, s, verifyMac, done);
  }

  /** The program that runs on this NIC: crashed and restarted with it. */
  attach(node: SimNode): void {
    this.attached = node;
  }

  /** Runs `work` on a NIC core (one message's processing); `done` gets its value. */
  process<T>(work: () => T, done: HwDone<T>): void {
    this.submit(this.serviceTime(this.processing), () => {
      this.nicStats.processed++;
      return { ok: true as const, value: work() };
    }, unwrap(done));
  }

  /**
   * Writes `value` under `key` to the NVDIMM. It is durable when `done` reports ok, not before:
   * a crash first loses it. Writes are applied in completion order.
   */
  persist(key: string, value: unknown, done: HwDone<void>): void {
    this.persistMany([[key, value]], done);
  }

  /** Writes several records in one NVDIMM write: all land together or none does. */
  persistMany(entries: [string, unknown][], done: HwDone<void>): void {
    let ns = this.serviceTime(this.nvdimmWrite);
    if (this.sim.buggify.fire('hw.nic.nvdimm_stall')) {
      this.nicStats.stalls++;
      ns += this.serviceTime(NVDIMM_STALL);
    }
    const copy = deepCopy(entries);
    const epoch = this.fenceEpoch;
    this.submit(ns, (): HwResult<void> => {
      if (epoch !== this.fenceEpoch) return { ok: false, error: 'crashed' };
      for (const [key, value] of copy) {
        const old = this.nvdimm.get(key);
        this.nvdimmBytes += estimateSize(value) - (old === undefined ? 0 : estimateSize(old));
        this.nvdimm.set(key, value);
      }
      this.nicStats.persisted++;
      return { ok: true, value: undefined };
    }, unwrap(done));
  }

  /** Reads the NVDIMM (at recovery, synchronously: it is memory). */
  nvdimmGet<T>(key: string): T | undefined {
    const v = this.nvdimm.get(key);
    return v === undefined ? undefined : (deepCopy(v) as T);
  }

  /** NVDIMM keys with `prefix`, sorted. */
  nvdimmKeys(prefix = ''): string[] {
    return [...this.nvdimm.keys()].filter((k) => k.startsWith(prefix)).sort();
  }

  get nvdimmUsedBytes(): number {
    return this.nvdimmBytes;
  }

  /**
   * Called when the program on the NIC restarts without the NIC itself crashing (an OS reboot of
   * the NIC's cores): NVDIMM writes the previous program submitted and that have not completed
   * are aborted, so they cannot land after the new program has recovered.
   */
  fence(): void {
    this.fenceEpoch++;
  }

  /** Crash and restart: everything but the NVDIMM is gone. */
  reboot(): void {
    this.nicStats.reboots++;
    this.crash();
    this.restart();
  }

  protected override onCrash(): void {
    this.volatile.clear();
    if (this.attached !== null && this.attached.state !== 'down') this.attached.crashNow();
  }

  protected override onRestart(): void {
    if (this.attached !== null && this.attached.state === 'down') this.attached.startNow();
  }
}

/**
 * Runs a node's program on `nic` (seed 004 §8.5.3: a replica on the NIC's ARM cores, persisting
 * to its NVDIMM) without changing the program: the NIC carries the node (a NIC crash, reboot or
 * the restart that ends a wedge crashes it; the NIC coming back starts it), and the node's disk is
 * the NVDIMM: an fsync is one message's processing on a NIC core (2-3 µs) then one NVDIMM write
 * (300 ns, or 1-5 ms when `hw.nic.nvdimm_stall` fires), and it hangs while the NIC is wedged.
 * What a crash keeps is what the disk keeps: the completed fsyncs (an NVDIMM-N saves them).
 *
 * A program cannot run on a crashed NIC: a node that a supervisor or a nemesis started while its
 * NIC was down fail-stops at its first fsync and is started again by the NIC's return.
 */
export function runOnNic(nic: SmartNic, node: SimNode): void {
  nic.attach(node);
  node.disk.backOnto({
    name: nic.label,
    persist(_bytes, done) {
      if (nic.state === 'crashed') {
        node.failStop(`its SmartNIC ${nic.label} is down`, SUPERVISOR_RESTART_NS);
        return;
      }
      nic.process(() => undefined, (r) => (r.ok ? nic.persistMany([], (w) => done(w.ok)) : done(false)));
    },
  });
}
