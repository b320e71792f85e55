/**
 * hw-latency-table: reproduces seed 004's hardware tables (§8.5.2-8.5.4) in simulated time, from
 * the models: PUT, GET, Paxos round, a 100k-key range scan and a TPC-H-Q1-like aggregate,
 * accelerated (SmartNIC + SmartSSD) against traditional (host stack + fsync + RocksDB), ours next
 * to the seed's. The figures are in `metrics.table` (one line a row) and `metrics.latencyTable`.
 *
 * A sixth line, with no seed figure, is an encrypted PUT of a `cryptoValueBytes` value: replica
 * traffic sealed on the NIC's engine vs on a host core (`nicCryptoGBps`, `hostCryptoGBps`).
 *
 * Every device figure is a parameter: pin one (`--param hostFsyncUs=1000`) and the table moves.
 * The KV rows are medians under the run's faults (standard and hardware nemeses on the clusters).
 *
 * Parameters at their edges (docs/mutation.md, twelfth round): every figure may go from 10⁻⁶ to
 * 10¹², but the clusters' timings are fixed at LAN scale (heartbeat 2 ms, election 12 ms) and a
 * run simulates every heartbeat of the time it measures. So the liveness bound (the table
 * measured) is 5 s or the longest scan's model time plus a second, and `checkParams` refuses
 * figures no correct cluster could measure: a peer round trip with a durable answer (network,
 * processing and crypto at both ends, twice, and a promise made durable) longer than an election
 * timeout less a heartbeat period (10 ms),
 * a PUT's store write longer than the measuring client waits for a command (440 ms), and a scan of
 * more than 600 simulated seconds (`tableLimits`).
 */
import { hardwareFaultParams, hardwareNemesis } from '../sim/hardware/nemesis.ts';
import { SSD_OFFLOAD_REQUEST_NS, HOST_CRYPTO_BYTES_PER_SEC, HOST_CRYPTO_SETUP_NS, NIC_CRYPTO_BYTES_PER_SEC, NIC_CRYPTO_SETUP_NS, HOST_CPU_NS_PER_ROW, HOST_SCAN_BYTES_PER_SEC, HOST_STACK_NS_MAX, HOST_STACK_NS_MIN, NETWORK_ONE_WAY_NS, NIC_PROCESSING_NS_MAX, NIC_PROCESSING_NS_MIN, NVDIMM_WRITE_NS, ROCKSDB_GET_NS, ROCKSDB_PUT_NS, SSD_COMPUTE_NS_PER_ROW, SSD_KV_GET_NS, SSD_KV_PUT_NS, SSD_NAND_BYTES_PER_SEC, SSD_RESULT_BYTES_PER_SEC } from '../sim/hardware/figures.ts';
import { standardNemesis } from '../sim/nemesis.ts';
import { param } from '../sim/params.ts';
import { defineScenario } from '../sim/scenario.ts';
import { ms, sec, type Nanos } from '../sim/time.ts';
import { shortFaultParams } from '../systems/hwkv/kv-scenario.ts';
import { buildLatencyTable, METER, TABLE_TIMING } from '../systems/hwkv/latency-table.ts';

const f = (doc: string, def: number) => param.float({ doc, default: def, min: 0.000001, max: 1e12 });

/** The longest a table's measurement may run (simulated): as lb-churn's longest workload. */
export const TABLE_MEASURE_MAX_NS = sec(600);

/** A scan's model time for the refusal: whole seconds, but never rounded down to the limit it is over. */
function scanSeconds(ns: number): string {
  const whole = Math.round(ns / 1e9);
  return whole * 1e9 > TABLE_MEASURE_MAX_NS ? String(whole) : (Math.ceil((ns / 1e9) * 1000) / 1000).toFixed(3);
}
/** A nominal peer message without a value (a heartbeat, an accept's ack), sealed and opened. */
const SMALL_MESSAGE_BYTES = 256;

/** The figures a table's parameters imply for its clusters and scans (ns), from the device models. */
export interface TableLimits {
  /**
   * A peer round trip with a durable answer (a prepare and its promise, an accept and its ack), on
   * each cluster: two messages (network one way, processing and crypto at both ends) and a durable
   * write (the accelerated NIC's NVDIMM; the traditional host's fsync, 5/3 of its mean at the longest).
   */
  roundTripNs: { accelerated: number; traditional: number };
  /** The slower store write of a PUT (RocksDB or NVMe-KV). */
  storePutNs: number;
  /** The longest of the four scans (an upper bound: every row's bytes counted as results). */
  longestScanNs: number;
}

type TableParams = Record<'netOneWayUs' | 'nicProcessingUs' | 'nvdimmWriteNs' | 'ssdPutUs' | 'ssdNandGBps' | 'ssdComputeNsPerRow' | 'ssdResultGBps' | 'hostStackUs' | 'hostFsyncUs' | 'rocksPutUs' | 'hostScanMBps' | 'hostCpuNsPerRow' | 'scanRows' | 'scanRowBytes' | 'q1Rows' | 'q1RowBytes' | 'nicCryptoGBps' | 'nicCryptoSetupNs' | 'hostCryptoGBps' | 'hostCryptoSetupNs', number>;

/** The device models' costs at their slowest draws (latency-table.ts: NIC ±20%, host stack ±10%, fsync ±2/3). */
export function tableLimits(p: TableParams): TableLimits {
  const crypto = (setupNs: number, gbps: number): number => setupNs + SMALL_MESSAGE_BYTES / gbps;
  const trip = (procNs: number, cryptoNs: number): number => p.netOneWayUs * 1e3 + 2 * (procNs + cryptoNs);
  const ssdScan = (rows: number, bytes: number): number => SSD_OFFLOAD_REQUEST_NS + bytes / p.ssdNandGBps + rows * p.ssdComputeNsPerRow + bytes / p.ssdResultGBps;
  const hostScan = (rows: number, bytes: number): number => (bytes * 1e3) / p.hostScanMBps + rows * p.hostCpuNsPerRow;
  const scans = [[p.scanRows, p.scanRows * p.scanRowBytes], [p.q1Rows, p.q1Rows * p.q1RowBytes]] as const;
  return {
    roundTripNs: {
      accelerated: 2 * trip(p.nicProcessingUs * 1e3 * 1.2, crypto(p.nicCryptoSetupNs, p.nicCryptoGBps)) + p.nvdimmWriteNs,
      traditional: 2 * trip(p.hostStackUs * 1e3 * 1.1, crypto(p.hostCryptoSetupNs, p.hostCryptoGBps)) + (p.hostFsyncUs * 1e3 * 5) / 3,
    },
    storePutNs: Math.max(p.rocksPutUs, p.ssdPutUs) * 1e3,
    longestScanNs: Math.max(...scans.map(([rows, bytes]) => Math.max(ssdScan(rows, bytes), hostScan(rows, bytes)))),
  };
}

/** Why a table's figures cannot be measured by its clusters (or in a run of sensible length), or null. */
function refusedFigures(p: TableParams): string | null {
  const l = tableLimits(p);
  const budget = TABLE_TIMING.electionNs - TABLE_TIMING.heartbeatNs;
  const msText = (ns: number): string => `${Math.round(ns / 1e4) / 100} ms`;
  // A candidate's prepare must be answered before the next replica's timer fires (or the ballots
  // duel), and a leader's round before its followers' election timeouts.
  const figures = { accelerated: 'netOneWayUs, nicProcessingUs, nvdimmWriteNs, nicCryptoSetupNs, nicCryptoGBps', traditional: 'netOneWayUs, hostStackUs, hostFsyncUs (5/3 of it at the longest), hostCryptoSetupNs, hostCryptoGBps' };
  for (const kind of ['accelerated', 'traditional'] as const)
    if (l.roundTripNs[kind] > budget) return `a peer round trip of the ${kind} cluster would take up to ${msText(l.roundTripNs[kind])} (${figures[kind]}): a promise or an ack must come back within the replicas' ${msText(TABLE_TIMING.electionNs)} election timeout less a heartbeat period (${msText(budget)}); lower those figures`;
  // The meter gives a command up after its attempts and sends the next: writes slower than that
  // queue behind each other in the log faster than the store applies them, and no PUT is answered.
  const patience = METER.attempts * (METER.callTimeoutNs + METER.pauseNs);
  if (l.storePutNs > patience) return `a PUT's store write would take ${msText(l.storePutNs)} (rocksPutUs or ssdPutUs): the measuring client gives a command up after ${msText(patience)} and sends the next, so slower writes pile up in the log and no PUT is ever answered; lower it`;
  if (l.longestScanNs > TABLE_MEASURE_MAX_NS) return `a scan would take ${scanSeconds(l.longestScanNs)} s (scanRows, q1Rows, their row bytes and the scan figures): the table's run is limited to ${TABLE_MEASURE_MAX_NS / 1e9} simulated seconds, every heartbeat of it simulated; lower the rows or raise the rates`;
  return null;
}

/** The table is measured within 5 s of the heal, or its longest scan's model time plus a second. */
function measuredWithinNs(p: TableParams): Nanos {
  return Math.max(sec(5), Math.ceil(tableLimits(p).longestScanNs) + sec(1));
}

export default defineScenario({
  name: 'hw-latency-table',
  description: "Seed 004's hardware tables reproduced from the models: PUT, GET, Paxos round, range scan, TPC-H Q1, accelerated vs traditional (metrics.table)",
  params: {
    kvOps: param.int({ doc: 'sequential put+get pairs measured per cluster', default: 40, min: 1, max: 10_000 }),
    netOneWayUs: f('one-way network latency (µs); seed: RTT 0.5 ms', NETWORK_ONE_WAY_NS / 1e3),
    nicProcessingUs: f('SmartNIC processing per message, mean (µs); seed: 2-3 µs', (NIC_PROCESSING_NS_MIN + NIC_PROCESSING_NS_MAX) / 2e3),
    nvdimmWriteNs: f('NVDIMM write (ns); seed: 300 ns', NVDIMM_WRITE_NS),
    ssdGetUs: f('SmartSSD NVMe-KV GET (µs); seed: 10 µs', SSD_KV_GET_NS / 1e3),
    ssdPutUs: f('SmartSSD NVMe-KV PUT (µs); seed: 20 µs', SSD_KV_PUT_NS / 1e3),
    ssdNandGBps: f('SmartSSD NAND to controller (GB/s)', SSD_NAND_BYTES_PER_SEC / 1e9),
    ssdComputeNsPerRow: f('SmartSSD compute per row (ns)', SSD_COMPUTE_NS_PER_ROW),
    ssdResultGBps: f('SmartSSD results to the host (GB/s)', SSD_RESULT_BYTES_PER_SEC / 1e9),
    hostStackUs: f('host kernel network stack per message, mean (µs); seed: ~50 µs', (HOST_STACK_NS_MIN + HOST_STACK_NS_MAX) / 2e3),
    hostFsyncUs: f('host NVMe fsync, mean (µs); seed 001: 100-500 µs', 300),
    rocksGetUs: f('RocksDB GET (µs); seed: 50 µs', ROCKSDB_GET_NS / 1e3),
    rocksPutUs: f('RocksDB PUT (µs); seed: 150 µs', ROCKSDB_PUT_NS / 1e3),
    hostScanMBps: f('host read path for scans (MB/s)', HOST_SCAN_BYTES_PER_SEC / 1e6),
    hostCpuNsPerRow: f('host CPU filter per row (ns)', HOST_CPU_NS_PER_ROW),
    scanRows: param.int({ doc: 'rows of the range-scan table; seed: 1M', default: 1_000_000, min: 1, max: 1e8 }),
    scanRowBytes: param.int({ doc: 'bytes a row of the range-scan table', default: 100, min: 1, max: 1e6 }),
    scanSelectivity: param.float({ doc: 'fraction selected by the range scan; seed: 100k of 1M', default: 0.1, min: 0.001, max: 1 }),
    q1Rows: param.int({ doc: 'rows of the Q1 lineitem-like table', default: 3_500_000, min: 1, max: 1e8 }),
    q1RowBytes: param.int({ doc: 'bytes a lineitem-like row', default: 128, min: 1, max: 1e6 }),
    cryptoValueBytes: param.int({ doc: 'value size of the encrypted-PUT row (bytes)', default: 65_536, min: 1, max: 1e7 }),
    nicCryptoGBps: f('SmartNIC crypto engine throughput (GB/s); seed: line rate, 100 Gb/s', NIC_CRYPTO_BYTES_PER_SEC / 1e9),
    nicCryptoSetupNs: param.float({ doc: 'SmartNIC crypto engine, fixed cost an operation (ns)', default: NIC_CRYPTO_SETUP_NS, min: 0, max: 1e9 }),
    hostCryptoGBps: f('AES-GCM on one host core (GB/s); not in the seed: AES-NI, 2-5 GB/s', HOST_CRYPTO_BYTES_PER_SEC / 1e9),
    hostCryptoSetupNs: param.float({ doc: 'host crypto, fixed cost an operation (ns)', default: HOST_CRYPTO_SETUP_NS, min: 0, max: 1e9 }),
    ...shortFaultParams(),
    ...hardwareFaultParams({ nicCrashMsMean: 300, nicWedgeMsMean: 600, ssdFailMsMean: 600 }),
  },
  checkParams: (p) => refusedFigures(p),
  durationNs: ms(350),
  livenessBoundNs: (p) => measuredWithinNs(p),
  setup(w, p) {
    const { accelerated, traditional } = buildLatencyTable(w, {
      kvOps: p.kvOps,
      scanRows: p.scanRows,
      scanRowBytes: p.scanRowBytes,
      scanSelectivity: p.scanSelectivity,
      q1Rows: p.q1Rows,
      q1RowBytes: p.q1RowBytes,
      cryptoValueBytes: p.cryptoValueBytes,
      devices: {
        nic: { processingNsMean: p.nicProcessingUs * 1e3, nvdimmWriteNs: p.nvdimmWriteNs, cryptoBytesPerSec: p.nicCryptoGBps * 1e9, cryptoSetupNs: p.nicCryptoSetupNs },
        ssd: { getNs: p.ssdGetUs * 1e3, putNs: p.ssdPutUs * 1e3, nandBytesPerSec: p.ssdNandGBps * 1e9, computeNsPerRow: p.ssdComputeNsPerRow, resultBytesPerSec: p.ssdResultGBps * 1e9 },
        host: { stackNsMean: p.hostStackUs * 1e3, rocksGetNs: p.rocksGetUs * 1e3, rocksPutNs: p.rocksPutUs * 1e3, scanBytesPerSec: p.hostScanMBps * 1e6, cpuNsPerRow: p.hostCpuNsPerRow, fsyncNsMean: p.hostFsyncUs * 1e3, cryptoBytesPerSec: p.hostCryptoGBps * 1e9, cryptoSetupNs: p.hostCryptoSetupNs },
      },
    });
    standardNemesis(w, p, { targets: [...accelerated.nodes, ...traditional.nodes].map((n) => n as never) });
    // The table's network is the seed's: a fixed one-way latency (faults such as loss stay on).
    w.net.setDefaults({ latency: { kind: 'constant', ns: Math.round(p.netOneWayUs * 1e3) } });
    hardwareNemesis(w, p, { nics: accelerated.nics, ssds: accelerated.ssds });
  },
});
