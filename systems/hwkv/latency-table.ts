/**
 * Reproduces seed 004's comparison tables (§8.5.2-8.5.4) in simulated time, from the models:
 *
 *   row                  accelerated        traditional        where the seed gives it
 *   PUT latency          520 µs             2.15 ms            §8.5.4 test_hardware_accelerated_operations
 *   GET latency          10 µs              50 µs              §8.5.4
 *   range scan 100k keys 60 ms              600 ms             §8.5.4 benchmark_range_scan
 *   Paxos round          0.51 ms            0.8 ms             §8.5.3 SmartNIC-accelerated consensus
 *   TPC-H Q1 aggregate   0.2 s              2.6 s              §8.5.2 SmartSSD TPC-H Q1
 *
 * What each row measures (as the seed decomposes it):
 * - PUT: at the leader, from the request's arrival to its reply leaving: ingress processing,
 *   durable local accept, the accept round, the durable commit mark, the store write, egress.
 * - GET: the store lookup at the leader (SmartSSD NVMe-KV vs the host engine).
 * - Paxos round: from the leader's accepts leaving to the reply that makes the majority arriving.
 * - Range scan: 1M rows of 100 bytes, 10% selected, pushed down (filter in storage, results
 *   cross) vs pulled through the host (every row crosses, the CPU filters).
 * - Q1: a sum over a lineitem-like table (3.5M rows of 128 bytes, 98% selected), pushed down (an
 *   8-byte result crosses) vs pulled through the host.
 *
 * And one row the seed gives no figure for: an encrypted PUT (§8.5.4 "SmartNIC: Consensus,
 * replication, encryption"). Replica traffic is always sealed; this row puts a large value
 * (`cryptoValueBytes`, 64 KiB by default), so the per-byte cost shows: the leader seals the accept
 * carrying it and a follower opens it, on the NIC's engine at line rate (12.5 GB/s) or on a host
 * core (2 GB/s). `metrics.encryptedPut` holds the medians, the crypto time on the PUT's path
 * (measured seal + open of the value-carrying accept) and the host CPU time spent on crypto.
 *
 * The medians of the KV rows are taken over a run of sequential operations (no queueing), under
 * the run's faults; the scans run on devices the nemesis leaves alone.
 */
import type { DiskProfile } from '../../sim/disk/profiles.ts';
import { HostKvStore } from '../../sim/hardware/host.ts';
import type { HwResult } from '../../sim/hardware/result.ts';
import type { ScanResult, ScanSpec, SyntheticTable } from '../../sim/hardware/scan.ts';
import { SmartSsd } from '../../sim/hardware/smart-ssd.ts';
import { checksum } from '../../sim/hardware/result.ts';
import { Future, wait } from '../../sim/process.ts';
import type { CallResult } from '../../sim/node.ts';
import type { World } from '../../sim/scenario.ts';
import type { Nanos } from '../../sim/time.ts';
import type { LatencyModel } from '../../sim/network/latency.ts';
import { buildCluster, type Cluster, type ClusterKind } from './cluster.ts';
import { keyName } from './workload.ts';
import type { KvReply, KvRequest, Observer } from './types.ts';

export type RowName = 'put' | 'get' | 'rangeScan100k' | 'paxosRound' | 'tpchQ1';

/** The seed's figures, in ns: [accelerated, traditional]. */
export const SEED_TABLE: Record<RowName, { label: string; accelerated: Nanos; traditional: Nanos }> = {
  put: { label: 'PUT latency', accelerated: 520_000, traditional: 2_150_000 },
  get: { label: 'GET latency', accelerated: 10_000, traditional: 50_000 },
  rangeScan100k: { label: 'range scan, 100k keys', accelerated: 60_000_000, traditional: 600_000_000 },
  paxosRound: { label: 'Paxos round', accelerated: 510_000, traditional: 800_000 },
  tpchQ1: { label: 'TPC-H Q1-like aggregate', accelerated: 200_000_000, traditional: 2_600_000_000 },
};

export interface TableRow {
  label: string;
  acceleratedNs: number;
  traditionalNs: number;
  seedAcceleratedNs: number;
  seedTraditionalNs: number;
  /** (ours - seed) / seed, in percent. */
  acceleratedVsSeedPct: number;
  traditionalVsSeedPct: number;
}

export interface LatencyTableOptions {
  /** Sequential put+get pairs per cluster. */
  kvOps: number;
  scanRows: number;
  scanRowBytes: number;
  /** Selected fraction of the range scan (seed: 100k of 1M). */
  scanSelectivity: number;
  q1Rows: number;
  q1RowBytes: number;
  /** Value size of the encrypted-PUT row, bytes. */
  cryptoValueBytes: number;
  devices: {
    nic: { processingNsMean: number; nvdimmWriteNs: number; cryptoBytesPerSec: number; cryptoSetupNs: number };
    ssd: { getNs: number; putNs: number; nandBytesPerSec: number; computeNsPerRow: number; resultBytesPerSec: number };
    host: { stackNsMean: number; rocksGetNs: number; rocksPutNs: number; scanBytesPerSec: number; cpuNsPerRow: number; fsyncNsMean: number; cryptoBytesPerSec: number; cryptoSetupNs: number };
  };
}

/** The encrypted-PUT row (no seed figure). */
export interface EncryptedPutRow {
  valueBytes: number;
  acceleratedNs: number;
  traditionalNs: number;
  /** The plain PUT row's medians, for the difference. */
  acceleratedPlainNs: number;
  traditionalPlainNs: number;
  /** Median seal + median open of a value-carrying message: the crypto on the PUT's path. */
  acceleratedCryptoOnPathNs: number;
  traditionalCryptoOnPathNs: number;
  /** Host CPU time spent on crypto over the run (the accelerated hosts spend none: the NIC does it). */
  acceleratedHostCryptoBusyNs: number;
  traditionalHostCryptoBusyNs: number;
}

/** A uniform model around a mean, +-20% (NIC) or as given. */
const around = (mean: number, spread: number) => ({ kind: 'uniform' as const, minNs: Math.round(mean * (1 - spread)), maxNs: Math.round(mean * (1 + spread)) });

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** A deterministic row value (a multiplicative hash of the row index). */
const rowValue = (i: number): number => (Math.imul(i + 1, 2654435761) >>> 0) % 1_000_000;

/** The clusters' timings (ns): LAN scale, whatever the device figures (the scenario refuses figures they cannot carry). */
export const TABLE_TIMING = { heartbeatNs: 2_000_000, electionNs: 12_000_000, electionStaggerNs: 8_000_000 } as const;

/** Builds both clusters, the measuring clients and the scan devices; fills `w.metrics` at the end. */
export function buildLatencyTable(w: World<unknown>, o: LatencyTableOptions): { accelerated: Cluster; traditional: Cluster } {
  const samples: Record<ClusterKind, { put: number[]; get: number[]; round: number[]; eput: number[]; seal: number[]; open: number[] }> = {
    accelerated: { put: [], get: [], round: [], eput: [], seal: [], open: [] },
    traditional: { put: [], get: [], round: [], eput: [], seal: [], open: [] },
  };
  const observer = (kind: ClusterKind): Observer => ({
    putLatency: (_r, ns, cmd) => samples[kind][cmd.id.endsWith('.eput') ? 'eput' : 'put'].push(ns),
    // Only the messages that carry the large value: the accepts of encrypted PUTs.
    crypto: (_r, op, bytes, ns) => { if (bytes >= o.cryptoValueBytes) samples[kind][op].push(ns); },
    getLatency: (_r, ns) => samples[kind].get.push(ns),
    roundLatency: (_r, ns) => samples[kind].round.push(ns),
  });
  const d = o.devices;
  // The kernel's time is whole ns: a pinned 10.0005 µs or 0.000001 µs is one (a fraction crashed the run).
  const constant = (ns: number): LatencyModel => ({ kind: 'constant', ns: Math.round(ns) });
  const fsync: DiskProfile = { name: 'host-nvme', fsync: around(d.host.fsyncNsMean, 2 / 3), readPerRecordNs: 500 };
  const timing = TABLE_TIMING;
  const accelerated = buildCluster(w, {
    kind: 'accelerated', prefix: 'a', replicas: 3, bug: 'none', ...timing, observer: observer('accelerated'),
    devices: {
      nic: { processing: around(d.nic.processingNsMean, 0.2), nvdimmWrite: constant(d.nic.nvdimmWriteNs), crypto: { bytesPerSec: d.nic.cryptoBytesPerSec, setupNs: d.nic.cryptoSetupNs } },
      ssd: { get: constant(d.ssd.getNs), put: constant(d.ssd.putNs) },
    },
  });
  const traditional = buildCluster(w, {
    kind: 'traditional', prefix: 't', replicas: 3, bug: 'none', ...timing, observer: observer('traditional'),
    devices: {
      cpu: { stack: around(d.host.stackNsMean, 0.1), crypto: { bytesPerSec: d.host.cryptoBytesPerSec, setupNs: d.host.cryptoSetupNs } },
      kv: { get: constant(d.host.rocksGetNs), put: constant(d.host.rocksPutNs) },
      disk: fsync,
    },
  });
  for (const c of [accelerated, traditional]) measuringClient(w, c, o.kvOps, o.cryptoValueBytes, () => samples[c.kind].put.length > 0);

  // Scans on devices of their own (the nemesis leaves them alone, so the figure is the model's).
  const ssd = w.addDevice((sim) => new SmartSsd(sim, { name: 'scan-ssd', buggify: false, nandBytesPerSec: d.ssd.nandBytesPerSec, computeNsPerRow: d.ssd.computeNsPerRow, resultBytesPerSec: d.ssd.resultBytesPerSec }));
  const host = w.addDevice((sim) => new HostKvStore(sim, { name: 'scan-host', scanBytesPerSec: d.host.scanBytesPerSec, cpuNsPerRow: d.host.cpuNsPerRow }));
  const range: SyntheticTable = { rows: o.scanRows, rowBytes: o.scanRowBytes, value: rowValue };
  const lineitem: SyntheticTable = { rows: o.q1Rows, rowBytes: o.q1RowBytes, value: rowValue };
  for (const t of [ssd.tables, host.tables]) {
    t.set('range', range);
    t.set('lineitem', lineitem);
  }
  const selected = Math.max(1, Math.round(o.scanSelectivity * 1000));
  const rangeSpec: ScanSpec = { kind: 'table', table: 'range', where: { mod: 1000, lt: selected }, agg: 'rows' };
  const q1Spec: ScanSpec = { kind: 'table', table: 'lineitem', where: { mod: 100, lt: 98 }, agg: 'sum' };
  const scanNs: Partial<Record<string, number>> = {};
  const answers: Partial<Record<string, ScanResult>> = {};
  const timeScan = (name: string, run: (done: (r: HwResult<ScanResult>) => void) => void): Future<void> => {
    const f = new Future<void>(w.sim);
    const t0 = w.now;
    run((r) => {
      if (r.ok) {
        scanNs[name] = w.now - t0;
        answers[name] = r.value;
      }
      f.resolve(undefined);
    });
    return f;
  };
  // All four at once: they run on different devices (or in parallel slots of one), so none waits.
  timeScan('accelerated.range', (done) => ssd.scan(rangeSpec, done));
  timeScan('traditional.range', (done) => host.scan(rangeSpec, done));
  timeScan('accelerated.q1', (done) => ssd.scan(q1Spec, done));
  timeScan('traditional.q1', (done) => host.scan(q1Spec, done));
  // Both engines must agree on every answer, or the comparison means nothing.
  w.safety('scan-answers-agree', () => {
    for (const q of ['range', 'q1']) {
      const a = answers[`accelerated.${q}`];
      const t = answers[`traditional.${q}`];
      if (a !== undefined && t !== undefined && (a.count !== t.count || a.sum !== t.sum)) return `${q}: pushed-down ${a.count}/${a.sum} vs host ${t.count}/${t.sum}`;
    }
    return null;
  });

  const row = (name: RowName, accNs: number, tradNs: number): TableRow => {
    const s = SEED_TABLE[name];
    const pct = (ours: number, seed: number): number => Math.round(((ours - seed) / seed) * 1000) / 10;
    return { label: s.label, acceleratedNs: accNs, traditionalNs: tradNs, seedAcceleratedNs: s.accelerated, seedTraditionalNs: s.traditional, acceleratedVsSeedPct: pct(accNs, s.accelerated), traditionalVsSeedPct: pct(tradNs, s.traditional) };
  };
  const fill = (): void => {
    const a = samples.accelerated;
    const t = samples.traditional;
    const rows: Record<RowName, TableRow> = {
      put: row('put', median(a.put), median(t.put)),
      get: row('get', median(a.get), median(t.get)),
      rangeScan100k: row('rangeScan100k', scanNs['accelerated.range'] ?? NaN, scanNs['traditional.range'] ?? NaN),
      paxosRound: row('paxosRound', median(a.round), median(t.round)),
      tpchQ1: row('tpchQ1', scanNs['accelerated.q1'] ?? NaN, scanNs['traditional.q1'] ?? NaN),
    };
    w.metrics.latencyTable = rows;
    const e: EncryptedPutRow = {
      valueBytes: o.cryptoValueBytes,
      acceleratedNs: median(a.eput),
      traditionalNs: median(t.eput),
      acceleratedPlainNs: rows.put.acceleratedNs,
      traditionalPlainNs: rows.put.traditionalNs,
      acceleratedCryptoOnPathNs: median(a.seal) + median(a.open),
      traditionalCryptoOnPathNs: median(t.seal) + median(t.open),
      acceleratedHostCryptoBusyNs: 0,
      traditionalHostCryptoBusyNs: traditional.cpus.reduce((s, c) => s + c.cryptoStats.busyNs, 0),
    };
    w.metrics.encryptedPut = e;
    w.metrics.samples = { put: [a.put.length, t.put.length], get: [a.get.length, t.get.length], paxosRound: [a.round.length, t.round.length], encryptedPut: [a.eput.length, t.eput.length] };
    // The samples themselves (ns, in the order measured): one run's medians rest on a few dozen
    // operations under faults, so a figure that must be precise pools them over seeds.
    w.metrics.samplesNs = {
      put: { accelerated: a.put.slice(), traditional: t.put.slice() },
      get: { accelerated: a.get.slice(), traditional: t.get.slice() },
      paxosRound: { accelerated: a.round.slice(), traditional: t.round.slice() },
    };
    w.metrics.table = [...formatTable(rows), formatEncryptedPut(e)];
    for (const line of w.metrics.table as string[]) w.log('table', line);
  };
  // Filled once everything is measured (the scans run on past the fault phase).
  let filled = false;
  w.liveness('table-measured', () => {
    const missing = ['accelerated.range', 'traditional.range', 'accelerated.q1', 'traditional.q1'].filter((k) => scanNs[k] === undefined);
    if (missing.length > 0) return `scans still running: ${missing.join(', ')}`;
    if (samples.accelerated.put.length === 0 || samples.traditional.put.length === 0) return 'no PUT measured yet';
    if (!filled) {
      filled = true;
      fill();
    }
    return true;
  });
  return { accelerated, traditional };
}

/** One line a row: ours vs the seed's, for both systems. */
export function formatTable(rows: Record<RowName, TableRow>): string[] {
  const f = (ns: number): string => (!Number.isFinite(ns) ? 'n/a' : ns >= 1e9 ? `${(ns / 1e9).toFixed(3)} s` : ns >= 1e6 ? `${(ns / 1e6).toFixed(3)} ms` : `${(ns / 1e3).toFixed(1)} us`);
  const sign = (x: number): string => (x >= 0 ? `+${x}` : `${x}`);
  return (Object.keys(rows) as RowName[]).map((k) => {
    const r = rows[k];
    return `${r.label}: accelerated ${f(r.acceleratedNs)} (seed ${f(r.seedAcceleratedNs)}, ${sign(r.acceleratedVsSeedPct)}%) | traditional ${f(r.traditionalNs)} (seed ${f(r.seedTraditionalNs)}, ${sign(r.traditionalVsSeedPct)}%)`;
  });
}

/** The encrypted-PUT line of the table. */
export function formatEncryptedPut(e: EncryptedPutRow): string {
  const f = (ns: number): string => (!Number.isFinite(ns) ? 'n/a' : ns >= 1e6 ? `${(ns / 1e6).toFixed(3)} ms` : `${(ns / 1e3).toFixed(1)} us`);
  return `encrypted PUT, ${e.valueBytes} B value: accelerated ${f(e.acceleratedNs)} (crypto on path ${f(e.acceleratedCryptoOnPathNs)}, NIC engine) | traditional ${f(e.traditionalNs)} (crypto on path ${f(e.traditionalCryptoOnPathNs)}, host CPU; ${f(e.traditionalHostCryptoBusyNs)} of host CPU over the run) [no seed figure]`;
}

/**
 * The measuring client's patience: each command is tried `attempts` times, `callTimeoutNs` each
 * with `pauseNs` between, then given up for the next (which the store applies after it).
 */
export const METER = { attempts: 20, callTimeoutNs: 20_000_000, pauseNs: 2_000_000 } as const;

/**
 * Sequential put, get, then a put of a `bigBytes` value (the encrypted-PUT row), `n` times,
 * against whoever leads; retries elsewhere on failure. Under the faults, and past them until a
 * first PUT is measured (`putMeasured`).
 */
function measuringClient(w: World<unknown>, c: Cluster, n: number, bigBytes: number, putMeasured: () => boolean): void {
  const healed = new Future<void>(w.sim);
  w.onHeal(() => healed.resolve(undefined));
  w.addClient(`${c.ids[0]}-meter`, function* (ctx) {
    let target = 0;
    yield ctx.sleep(30_000_000); // let the preferred leader take office
    // Under the faults, `n` commands; past them (or once those ran out) only until a first PUT is
    // measured: a slow store write (a pinned rocksPutUs of 300 ms) may never finish between the
    // nemesis's crashes, nor may kvOps=1's one PUT (seed 110), and a table needs a row.
    for (let i = 0; ; i++) {
      if (i >= n && w.phase === 'fault' && !putMeasured()) yield* wait(healed);
      if ((i >= n || w.phase !== 'fault') && putMeasured()) break;
      const key = keyName(i % 4);
      const value = String(i);
      const big = `${i}:`.padEnd(bigBytes, 'abcdefghijklmnopqrstuvwxyz');
      const cmds = [
        { id: `m${i}.put`, op: 'put' as const, key, value: { v: value, cs: checksum(value) } },
        { id: `m${i}.get`, op: 'get' as const, key },
        { id: `m${i}.eput`, op: 'put' as const, key: keyName(4 + (i % 4)), value: { v: big, cs: checksum(big) } },
      ];
      for (const cmd of cmds) {
        for (let attempt = 0; attempt < METER.attempts; attempt++) {
          const r: CallResult<KvReply> = yield* wait(ctx.call<KvReply>(c.ids[target % c.ids.length]!, { type: 'req', cmd } satisfies KvRequest, METER.callTimeoutNs));
          if (r.ok && r.body.ok) break;
          if (r.ok && !r.body.ok && r.body.leader !== null) target = c.ids.indexOf(r.body.leader);
          else target++;
          yield ctx.sleep(METER.pauseNs);
        }
      }
    }
  });
}
