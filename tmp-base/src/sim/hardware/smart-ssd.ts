/**
 * A SmartSSD / computational storage device (seed 004 §8.5.2): NVMe key-value commands (GET
 * 10 µs, PUT 20 µs, atomic increment in the controller) and in-storage scans and aggregates that
 * read NAND inside the device and send back only the results, with a transfer cost by bytes.
 *
 * What it may do, and why a system on it must survive it:
 * - controller failure (crash): commands in flight fail; the device answers nothing until it is
 *   restarted. Rows that were written (a completed PUT) survive: NAND with power-loss protection.
 * - wrong or partial scan results (`faults.wrongResultRate`, `faults.partialResultRate`, buggify
 *   `hw.ssd.scan_wrong` / `hw.ssd.scan_partial`): the in-storage engine is a program on an ARM/FPGA
 *   and can be wrong; a row's value comes back altered or rows go missing. End-to-end checksums
 *   on values and a digest of the rows covered let the requester notice and fall back to a raw
 *   read (`rawScan`), which goes through the plain NVMe path and is modelled as correct.
 * - slow NAND (Device.slowFactor, which scales every media time);
 * - wear-out: after `enduranceWrites` writes, writes fail with 'worn-out' (reads still work).
 *
 * Its failure domain is `ssd/<name>` by default.
 */
import { SSD_PROBES } from './probes.ts';
import { Device } from '../device.ts';
import type { Simulation } from '../kernel.ts';
import type { LatencyModel } from '../network/latency.ts';
import { SSD_COMPUTE_NS_PER_ROW, SSD_ENDURANCE_WRITES, SSD_KV_GET_NS, SSD_KV_PUT_NS, SSD_NAND_BYTES_PER_SEC, SSD_OFFLOAD_REQUEST_NS, SSD_PARALLELISM, SSD_RESULT_BYTES_PER_SEC, constantNs } from './figures.ts';
import { checksum, unwrap, type HwDone, type HwResult } from './result.ts';
import { evalScan, scanSize, type ScanResult, type ScanSpec, type StoredValue, type SyntheticTable } from './scan.ts';

export interface SmartSsdOptions {
  name: string;
  domain?: string;
  get?: LatencyModel;
  put?: LatencyModel;
  /** Fixed cost of an offloaded request. Default 10 µs (seed 004 §8.5.2). */
  offloadRequestNs?: number;
  /** NAND to controller, bytes/s. Default 4 GB/s. */
  nandBytesPerSec?: number;
  /** Controller compute per row. Default 25 ns. */
  computeNsPerRow?: number;
  /** Results to the requester, bytes/s. Default 1 GB/s. */
  resultBytesPerSec?: number;
  /** Writes before wear-out. Default unlimited. */
  enduranceWrites?: number;
  parallelism?: number;
  /** Whether the buggify sites may damage this device's scans. Default true. */
  buggify?: boolean;
}

export interface SmartSsdFaults {
  /** Probability that an in-storage scan returns a wrong value (or a wrong aggregate). */
  wrongResultRate: number;
  /** Probability that an in-storage scan silently drops rows. */
  partialResultRate: number;
}

export class SmartSsd extends Device {
  /** The NVMe-KV rows: durable. */
  readonly rows = new Map<string, StoredValue>();
  readonly tables = new Map<string, SyntheticTable>();
  faults: SmartSsdFaults = { wrongResultRate: 0, partialResultRate: 0 };
  readonly getLatency: LatencyModel;
  readonly putLatency: LatencyModel;
  readonly offloadRequestNs: number;
  readonly nandBytesPerSec: number;
  readonly computeNsPerRow: number;
  readonly resultBytesPerSec: number;
  /** Writes left before wear-out. */
  writesLeft: number;
  private readonly buggifyOn: boolean;
  readonly ssdStats = { gets: 0, puts: 0, scans: 0, wrongResults: 0, partialResults: 0, wornOutWrites: 0 };

  constructor(sim: Simulation, opts: SmartSsdOptions) {
    super(sim, { name: opts.name, domain: opts.domain ?? `ssd/${opts.name}`, parallelism: opts.parallelism ?? SSD_PARALLELISM });
    this.getLatency = opts.get ?? constantNs(SSD_KV_GET_NS);
    this.putLatency = opts.put ?? constantNs(SSD_KV_PUT_NS);
    this.offloadRequestNs = opts.offloadRequestNs ?? SSD_OFFLOAD_REQUEST_NS;
    this.nandBytesPerSec = opts.nandBytesPerSec ?? SSD_NAND_BYTES_PER_SEC;
    this.computeNsPerRow = opts.computeNsPerRow ?? SSD_COMPUTE_NS_PER_ROW;
    this.resultBytesPerSec = opts.resultBytesPerSec ?? SSD_RESULT_BYTES_PER_SEC;
    this.writesLeft = opts.enduranceWrites ?? SSD_ENDURANCE_WRITES;
    this.buggifyOn = opts.buggify ?? true;
    sim.probes.declare(SSD_PROBES);
  }

  /** NVMe-KV retrieve. */
  kvGet(key: string, done: HwDone<StoredValue | undefined>): void {
    this.submit(this.serviceTime(this.getLatency), () => {
      this.ssdStats.gets++;
      const v = this.rows.get(key);
      return { ok: true as const, value: v === undefined ? undefined : { ...v } };
    }, unwrap(done));
  }

  /** NVMe-KV store. Fails with 'worn-out' once the endurance budget is spent. */
  kvPut(key: string, value: StoredValue, done: HwDone<void>): void {
    this.submit(this.serviceTime(this.putLatency), (): HwResult<void> => {
      if (!this.spendWrite()) return { ok: false, error: 'worn-out' };
      this.ssdStats.puts++;
      this.rows.set(key, { v: value.v, cs: value.cs });
      return { ok: true, value: undefined };
    }, unwrap(done));
  }

  /** Atomic read-modify-write in the controller: adds `delta` to a numeric value; returns the new value. */
  kvIncrement(key: string, delta: number, done: HwDone<number>): void {
    this.submit(this.serviceTime(this.putLatency), (): HwResult<number> => {
      if (!this.spendWrite()) return { ok: false, error: 'worn-out' };
      const old = Number(this.rows.get(key)?.v ?? '0');
      const v = String((Number.isFinite(old) ? old : 0) + delta);
      this.rows.set(key, { v, cs: checksum(v) });
      return { ok: true, value: Number(v) };
    }, unwrap(done));
  }

  /** Adds a synthetic table (for large scans without holding the rows). */
  addTable(name: string, table: SyntheticTable): void {
    this.tables.set(name, table);
  }

  /** Device time of an in-storage scan: request + media and compute per row + results by bytes. */
  scanCostNs(rowsScanned: number, bytesScanned: number, resultBytes: number): number {
    const media = ((bytesScanned * 1e9) / this.nandBytesPerSec) * this.slowFactor;
    return Math.max(1, Math.round(this.offloadRequestNs + media + rowsScanned * this.computeNsPerRow + (resultBytes * 1e9) / this.resultBytesPerSec));
  }

  /** An in-storage scan or aggregate: only the results cross. May be wrong or partial (faults). */
  scan(spec: ScanSpec, done: HwDone<ScanResult>): void {
    const probe = evalScan(spec, this.rows, this.tables);
    const ns = this.scanCostNs(probe.rowsScanned, probe.bytesScanned, probe.resultBytes);
    this.submit(ns, () => {
      this.ssdStats.scans++;
      // Synthetic tables never change: the probe is the answer. Key-value rows are read at completion.
      const r = spec.kind === 'table' ? probe : evalScan(spec, this.rows, this.tables);
      return { ok: true as const, value: this.maybeDamage(r) };
    }, unwrap(done));
  }

  /**
   * A scan the plain way: every row in range crosses to the requester at the result rate and is
   * filtered there. Slower, but it is the ordinary NVMe read path and is never wrong.
   */
  rawScan(spec: ScanSpec, done: HwDone<ScanResult>): void {
    const size = scanSize(spec, this.rows, this.tables);
    const ns = this.scanCostNs(size.rows, size.bytes, size.bytes) - size.rows * this.computeNsPerRow;
    this.submit(Math.max(1, ns), () => ({ ok: true as const, value: evalScan(spec, this.rows, this.tables) }), unwrap(done));
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

  /** Fault hook: the next `writes` writes succeed, then the device is worn out. */
  wearOut(writes = 0): void {
    this.writesLeft = Math.max(0, writes);
    this.sim.log(this.name, 'ssd-wear', `${this.writesLeft} write(s) left`);
  }

  get wornOut(): boolean {
    return this.writesLeft <= 0;
  }

  private spendWrite(): boolean {
    if (this.writesLeft <= 0) {
      this.ssdStats.wornOutWrites++;
      return false;
    }
    this.writesLeft--;
    return true;
  }

  private maybeDamage(r: ScanResult): ScanResult {
    // The stream's damage is a recorded decision; BUGGIFY's (asked when the stream drew none) is its own.
    const wrongDrawn = this.rng.chance(this.faults.wrongResultRate);
    const wrong = this.decideFault('ssd-wrong', wrongDrawn) !== null || (!wrongDrawn && this.buggifyOn && this.sim.buggify.fire('hw.ssd.scan_wrong'));
    const partialDrawn = this.rng.chance(this.faults.partialResultRate);
    const partial = this.decideFault('ssd-partial', partialDrawn) !== null || (!partialDrawn && this.buggifyOn && this.sim.buggify.fire('hw.ssd.scan_partial'));
    if (wrong && r.count > 0) {
      this.sim.probe('hw:ssd-scan-wrong');
      this.ssdStats.wrongResults++;
      r.sum += 1;
      if (r.rows.length > 0) {
        const i = this.rng.int(0, r.rows.length - 1);
        const [k, v] = r.rows[i]!;
        r.rows[i] = [k, { v: `${v.v}~`, cs: v.cs }];
      } else r.digest = (r.digest ^ 1) >>> 0;
      this.sim.log(this.name, 'ssd-wrong-result');
    }
    if (partial && r.count > 0) {
      this.sim.probe('hw:ssd-scan-partial');
      this.ssdStats.partialResults++;
      r.count -= 1;
      if (r.rows.length > 0) r.rows.splice(this.rng.int(0, r.rows.length - 1), 1);
      else r.digest = (r.digest ^ 2) >>> 0;
      this.sim.log(this.name, 'ssd-partial-result');
    }
    return r;
  }
}
