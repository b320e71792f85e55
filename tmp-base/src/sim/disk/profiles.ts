/**
 * Storage latency profiles. The fsync figures are seed 001's (etcd's WAL discussion):
 *   HDD 10-20 ms, SATA SSD 1-3 ms, NVMe SSD 0.1-0.5 ms, Optane 0.01-0.1 ms.
 * Buffered writes cost only the page cache; durability costs the fsync.
 */
import type { LatencyModel } from '../network/latency.ts';

/** A storage device's latency figures. */
export interface DiskProfile {
  /** The profile's name. */
  name: string;
  /** Time for an fsync to make everything written so far durable. */
  fsync: LatencyModel;
  /** Time to read a file back at recovery, per record. */
  readPerRecordNs: number;
}

/** The names of the built-in profiles. */
export type DiskProfileName = 'hdd' | 'sata' | 'nvme' | 'optane';

/** The built-in profiles: HDD, SATA SSD, NVMe SSD (the default), Optane. */
export const DISK_PROFILES: Readonly<Record<DiskProfileName, DiskProfile>> = {
  hdd: { name: 'hdd', fsync: { kind: 'uniform', minNs: 10_000_000, maxNs: 20_000_000 }, readPerRecordNs: 10_000 },
  sata: { name: 'sata', fsync: { kind: 'uniform', minNs: 1_000_000, maxNs: 3_000_000 }, readPerRecordNs: 2_000 },
  nvme: { name: 'nvme', fsync: { kind: 'uniform', minNs: 100_000, maxNs: 500_000 }, readPerRecordNs: 500 },
  optane: { name: 'optane', fsync: { kind: 'uniform', minNs: 10_000, maxNs: 100_000 }, readPerRecordNs: 100 },
};
