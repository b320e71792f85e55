/**
 * The default figures of the hardware models, each from seed 004 (design notes, /work/shared/seeds/
 * 004_*.txt, sections 8.3 and 8.5). Every model takes these as defaults and lets a scenario
 * override them, so the reproduced tables come out of the models and move when a figure moves.
 *
 * Where the seed gives a range we keep the range (a uniform draw); where it gives one number we
 * keep that number. Figures the seed only gives as a total (a scan of N keys in T ms) are split
 * into rates here, and the split is said next to the constant.
 */
import type { LatencyModel } from '../network/latency.ts';

// ---- SmartNIC / DPU (seed 004 §8.5.3 "Paxos Acceptor on SmartNIC") ----

/** On-NIC processing of one message: "Latency: 2-3μs (vs 50μs through host)" (§8.5.3). */
export const NIC_PROCESSING_NS_MIN = 2_000;
export const NIC_PROCESSING_NS_MAX = 3_000;
/** NVDIMM-N write on the NIC: "Write latency: 300ns" (§8.5.3). */
export const NVDIMM_WRITE_NS = 300;
/** ARM cores on a BlueField-2 ("ARM A72 cores", §8.5.3): how many messages the NIC handles at once. */
export const NIC_CORES = 8;
/** NVDIMM on the NIC: "NVDIMM-N on BlueField: 16GB" (§8.5.3). */
export const NVDIMM_CAPACITY_BYTES = 16 * 2 ** 30;

/**
 * The NIC's crypto engine: line rate. Seed 004 gives no crypto throughput as a number, only "line
 * rate": §8.3.1 DPU security functions "AES-GCM acceleration, TLS offload, Line-rate encryption",
 * §8.5.1 Nitro "Hardware encryption at line rate" with "100 Gbps network per instance". 100 Gb/s
 * is 12.5 GB/s (BlueField-2's inline IPsec/TLS engine is also sold at 100 Gb/s).
 */
export const NIC_CRYPTO_BYTES_PER_SEC = 12.5e9;
/** Fixed cost of one operation on the NIC engine (descriptor and doorbell). Not in the seed: our choice. */
export const NIC_CRYPTO_SETUP_NS = 500;
/**
 * Re-provisioning a session key from the host after a NIC reboot: one message through the host's
 * kernel stack (~50 µs, §8.5.3). Not in the seed as such: our composition.
 */
export const NIC_KEY_PROVISION_NS = 50_000;

// ---- Host (seed 004 §8.5.3 traditional Paxos) ----

/**
 * One message through the host's kernel network stack: "vs 50μs through host" (§8.5.3), which is
 * also the traditional Paxos table's "Host processing: 0.1ms per node" (one message in, one out).
 * Drawn in 45-55 µs.
 */
export const HOST_STACK_NS_MIN = 45_000;
export const HOST_STACK_NS_MAX = 55_000;
/** Host cores serving the network stack. */
export const HOST_CORES = 4;
/**
 * AES-GCM on one host core. Not in seed 004 (it says only "Security/encryption overhead is high",
 * §8.5.4): a documented default. `openssl speed -evp aes-256-gcm` on a server core with AES-NI
 * reports roughly 2-5 GB/s at 16 KiB blocks; we take 2 GB/s, the low end, because the kernel
 * TLS/IPsec path adds a copy. Change it with the `hostCryptoGBps` parameter.
 */
export const HOST_CRYPTO_BYTES_PER_SEC = 2e9;
/** Fixed cost of one operation on a host core (record setup, key schedule lookup). Our choice. */
export const HOST_CRYPTO_SETUP_NS = 1_000;

// ---- Network (seed 004 §8.5.3) ----

/** "Network RTT: 0.5ms" in both Paxos tables (§8.5.3): 250 µs each way. */
export const NETWORK_ONE_WAY_NS = 250_000;

// ---- SmartSSD / NVMe-KV (seed 004 §8.5.2) ----

/** NVMe-KV native GET: "GET latency: 10μs" (§8.5.2). */
export const SSD_KV_GET_NS = 10_000;
/** NVMe-KV native PUT: "PUT latency: 20μs" (§8.5.2); an atomic increment is a put to the controller. */
export const SSD_KV_PUT_NS = 20_000;
/** "Application → SmartSSD Controller: 10μs offload request" (§8.5.2). */
export const SSD_OFFLOAD_REQUEST_NS = 10_000;
/**
 * In-storage scan: the seed's "SmartSSD in-storage filter: 50ms" over 1M keys (§8.5.4) is 50 ns a
 * row. We split it into media time (NAND to the controller at 4 GB/s: 25 ns for a 100-byte row)
 * and compute (25 ns a row on the controller's FPGA/ARM).
 */
export const SSD_NAND_BYTES_PER_SEC = 4e9;
export const SSD_COMPUTE_NS_PER_ROW = 25;
/** Results to the host: "Transfer 100k results: 10ms" (§8.5.4), 100-byte rows: 1 GB/s. */
export const SSD_RESULT_BYTES_PER_SEC = 1e9;
/** Program/erase budget before writes fail (wear-out); in puts, scaled down for simulation. */
export const SSD_ENDURANCE_WRITES = Number.POSITIVE_INFINITY;
/** Controllers' queue depth served at once. */
export const SSD_PARALLELISM = 8;

// ---- Traditional host storage (RocksDB on NVMe, seed 004 §8.5.2, §8.5.4) ----

/** "Traditional RocksDB on NVMe: GET latency: 50μs" (§8.5.2). */
export const ROCKSDB_GET_NS = 50_000;
/** "PUT latency: 150μs" (§8.5.2; also "RocksDB write: 150μs" in §8.5.4). */
export const ROCKSDB_PUT_NS = 150_000;
/** Host read path for scans: "Transfer 1M keys: 500ms" (§8.5.4), 100-byte rows: 200 MB/s. */
export const HOST_SCAN_BYTES_PER_SEC = 200e6;
/** Host CPU filter/aggregate: "CPU filter: 100ms" over 1M keys (§8.5.4): 100 ns a row. */
export const HOST_CPU_NS_PER_ROW = 100;

// ---- CXL memory (seed 004 §8.3.2 "Latency Characteristics") ----

/** "Local DDR5: 80-100ns". */
export const DRAM_NS_MIN = 80;
export const DRAM_NS_MAX = 100;
/** "CXL memory: 150-300ns (1-hop)". */
export const CXL_1HOP_NS_MIN = 150;
export const CXL_1HOP_NS_MAX = 300;
/** "Multi-hop: 300-600ns". */
export const CXL_MULTIHOP_NS_MIN = 300;
export const CXL_MULTIHOP_NS_MAX = 600;
/** Words per cache line (64-byte lines of 8-byte words): poison is per line. */
export const CXL_WORDS_PER_LINE = 8;

/** A uniform latency in [min, max] ns. */
export function uniformNs(minNs: number, maxNs: number): LatencyModel {
  return { kind: 'uniform', minNs, maxNs };
}

/** A constant latency. */
export function constantNs(ns: number): LatencyModel {
  return { kind: 'constant', ns };
}

/** The CXL access latency for a port `hops` switches away (0 = local DRAM, for comparison). */
export function cxlLatency(hops: number): LatencyModel {
  if (hops <= 0) return uniformNs(DRAM_NS_MIN, DRAM_NS_MAX);
  if (hops === 1) return uniformNs(CXL_1HOP_NS_MIN, CXL_1HOP_NS_MAX);
  return uniformNs(CXL_MULTIHOP_NS_MIN, CXL_MULTIHOP_NS_MAX);
}
