/**
 * Hardware models: SmartNIC/DPU, SmartSSD (computational storage), CXL memory pool, and the
 * traditional host (network stack, RocksDB-like engine) they are compared with. Defaults are seed
 * 004's figures (figures.ts). See docs/hardware.md.
 */
export * from './figures.ts';
export { checksum, type HwDone, type HwError, type HwResult } from './result.ts';
export { evalScan, rowDigest, scanSize, type ScanResult, type ScanSpec, type StoredValue, type SyntheticTable } from './scan.ts';
export { SmartNic, NVDIMM_STALL, runOnNic, type NicCryptoFaults, type SmartNicOptions } from './smart-nic.ts';
export { cryptoNs, fromUtf8, makeKey, open, seal, utf8, type CipherKey, type CryptoCost, type CryptoStats, type Sealed } from './nic-crypto.ts';
export { SmartSsd, type SmartSsdFaults, type SmartSsdOptions } from './smart-ssd.ts';
export { CxlPool, CxlPort, POISON_PATTERN, type CxlFaults, type CxlPoolOptions } from './cxl.ts';
export { HostCpu, HostKvStore, type HostCpuOptions, type HostKvOptions } from './host.ts';
export { hardwareFaultParams, hardwareNemesis, type HardwareFaultParams, type HardwareTargets } from './nemesis.ts';
