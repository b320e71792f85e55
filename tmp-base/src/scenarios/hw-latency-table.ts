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
 */
import { hardwareFaultParams, hardwareNemesis } from '../sim/hardware/nemesis.ts';
import { HOST_CRYPTO_BYTES_PER_SEC, HOST_CRYPTO_SETUP_NS, NIC_CRYPTO_BYTES_PER_SEC, NIC_CRYPTO_SETUP_NS, HOST_CPU_NS_PER_ROW, HOST_SCAN_BYTES_PER_SEC, HOST_STACK_NS_MAX, HOST_STACK_NS_MIN, NETWORK_ONE_WAY_NS, NIC_PROCESSING_NS_MAX, NIC_PROCESSING_NS_MIN, NVDIMM_WRITE_NS, ROCKSDB_GET_NS, ROCKSDB_PUT_NS, SSD_COMPUTE_NS_PER_ROW, SSD_KV_GET_NS, SSD_KV_PUT_NS, SSD_NAND_BYTES_PER_SEC, SSD_RESULT_BYTES_PER_SEC } from '../sim/hardware/figures.ts';
import { standardNemesis } from '../sim/nemesis.ts';
import { param } from '../sim/params.ts';
import { defineScenario } from '../sim/scenario.ts';
import { ms, sec } from '../sim/time.ts';
import { shortFaultParams } from '../systems/hwkv/kv-scenario.ts';
import { buildLatencyTable } from '../systems/hwkv/latency-table.ts';

const f = (doc: string, def: number) => param.float({ doc, default: def, min: 0.000001, max: 1e12 });

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
  durationNs: ms(350),
  livenessBoundNs: sec(5),
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
