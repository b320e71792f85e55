/**
 * The traditional side of the comparison: a host CPU whose kernel network stack costs ~50 µs per
 * message (seed 004 §8.5.3), and a host key-value engine (RocksDB on NVMe: GET 50 µs, PUT 150 µs,
 * seed 004 §8.5.2) whose scans pull every row through the host and filter on the CPU (§8.5.4).
 *
 * Faults: both are Devices (crash, wedge, slow). They share the host's failure domain
 * (`host/<name>` by default): when the host goes, its stack and its engine go with it. Durability
 * of the traditional system is the node's Disk (fsync), not this engine: the engine is rebuilt
 * from the replicated log at restart, so it keeps its rows in memory.
 */
import { Device } from '../device.ts';
import type { Simulation } from '../kernel.ts';
import type { LatencyModel } from '../network/latency.ts';
import { newCryptoStats, openOn, sealOn, type CipherKey, type CryptoCost, type Sealed } from './nic-crypto.ts';
import { HOST_CORES, HOST_CRYPTO_BYTES_PER_SEC, HOST_CRYPTO_SETUP_NS, HOST_CPU_NS_PER_ROW, HOST_SCAN_BYTES_PER_SEC, HOST_STACK_NS_MAX, HOST_STACK_NS_MIN, ROCKSDB_GET_NS, ROCKSDB_PUT_NS, constantNs, uniformNs } from './figures.ts';
import { unwrap, type HwDone } from './result.ts';
import { evalScan, scanSize, type ScanResult, type ScanSpec, type StoredValue, type SyntheticTable } from './scan.ts';

export interface HostCpuOptions {
  name: string;
  domain?: string;
  /** One message through the kernel stack. Default 45-55 µs (seed 004 §8.5.3). */
  stack?: LatencyModel;
  cores?: number;
  /** Encryption on a host core. Default 1 µs + 2 GB/s (AES-GCM with AES-NI; see figures.ts). */
  crypto?: Partial<CryptoCost>;
}

/** The host's network stack (and CPU for protocol work). */
export class HostCpu extends Device {
  readonly stack: LatencyModel;
  readonly crypto: CryptoCost;
  readonly cryptoStats = newCryptoStats();
  /** The host's key store (durable: a TPM or a key service), where NICs get their keys from. */
  readonly keys = new Map<number, CipherKey>();
  constructor(sim: Simulation, opts: HostCpuOptions) {
    super(sim, { name: opts.name, domain: opts.domain ?? `host/${opts.name}`, parallelism: opts.cores ?? HOST_CORES });
    this.stack = opts.stack ?? uniformNs(HOST_STACK_NS_MIN, HOST_STACK_NS_MAX);
    this.crypto = { setupNs: opts.crypto?.setupNs ?? HOST_CRYPTO_SETUP_NS, bytesPerSec: opts.crypto?.bytesPerSec ?? HOST_CRYPTO_BYTES_PER_SEC };
  }

  /** Seals on a host core (the same transform as the NIC's, at the host's cost; never corrupt). */
  encrypt(keyId: number, nonce: string, plain: Uint8Array, done: HwDone<Sealed>): void {
    sealOn(this, this.crypto, this.keys, this.cryptoStats, keyId, nonce, plain, () => false, done);
  }

  decrypt(s: Sealed, done: HwDone<Uint8Array>, verifyMac = true): void {
    openOn(this, this.crypto, this.keys, this.cryptoStats, s, verifyMac, done);
  }

  /** One message's trip through the stack, then `work`. Same contract as SmartNic.process. */
  process<T>(work: () => T, done: HwDone<T>): void {
    this.submit(this.serviceTime(this.stack), () => ({ ok: true as const, value: work() }), unwrap(done));
  }
}

export interface HostKvOptions {
  name: string;
  domain?: string;
  get?: LatencyModel;
  put?: LatencyModel;
  /** Rows from storage to host memory, bytes/s. Default 200 MB/s (seed 004 §8.5.4). */
  scanBytesPerSec?: number;
  /** CPU filter/aggregate per row. Default 100 ns (seed 004 §8.5.4). */
  cpuNsPerRow?: number;
  parallelism?: number;
}

/** A RocksDB-like engine on the host: rows in memory, costs from the seed. */
export class HostKvStore extends Device {
  readonly rows = new Map<string, StoredValue>();
  readonly tables = new Map<string, SyntheticTable>();
  readonly getLatency: LatencyModel;
  readonly putLatency: LatencyModel;
  readonly scanBytesPerSec: number;
  readonly cpuNsPerRow: number;
  /** Puts that took effect (a put aborted by a reset or crash does not count). */
  readonly kvStats = { puts: 0 };

  constructor(sim: Simulation, opts: HostKvOptions) {
    super(sim, { name: opts.name, domain: opts.domain ?? `host/${opts.name}`, parallelism: opts.parallelism ?? 8 });
    this.getLatency = opts.get ?? constantNs(ROCKSDB_GET_NS);
    this.putLatency = opts.put ?? constantNs(ROCKSDB_PUT_NS);
    this.scanBytesPerSec = opts.scanBytesPerSec ?? HOST_SCAN_BYTES_PER_SEC;
    this.cpuNsPerRow = opts.cpuNsPerRow ?? HOST_CPU_NS_PER_ROW;
  }

  /**
   * An NVMe controller reset by a restarting host: commands still queued or in flight are
   * aborted (they fail and never take effect), so a dead incarnation's writes cannot land after
   * its successor has recovered. A crashed or wedged device is left as it is.
   */
  resetQueues(): void {
    if (this.state !== 'up') return;
    this.crash();
    this.restart();
  }

  get(key: string, done: HwDone<StoredValue | undefined>): void {
    this.submit(this.serviceTime(this.getLatency), () => ({ ok: true as const, value: this.rows.get(key) }), unwrap(done));
  }

  put(key: string, value: StoredValue, done: HwDone<void>): void {
    this.submit(this.serviceTime(this.putLatency), () => {
      this.kvStats.puts++;
      this.rows.set(key, { ...value });
      return { ok: true as const, value: undefined };
    }, unwrap(done));
  }

  /**
   * A scan the traditional way: every row in range crosses into host memory (bytes at the host
   * read rate) and the CPU filters it (per row). The cost is computed from the rows scanned.
   */
  scan(spec: ScanSpec, done: HwDone<ScanResult>): void {
    const size = scanSize(spec, this.rows, this.tables);
    const ns = ((size.bytes * 1e9) / this.scanBytesPerSec + size.rows * this.cpuNsPerRow) * this.slowFactor;
    // The answer is the rows as they are when the scan completes, like every device effect.
    this.submit(Math.max(1, Math.round(ns)), () => ({ ok: true as const, value: evalScan(spec, this.rows, this.tables) }), unwrap(done));
  }
}
