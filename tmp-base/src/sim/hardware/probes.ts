/**
 * The hardware models' rare conditions (sim/probes.ts). Each device declares the probes of its
 * kind when it is built (`hw:cxl-*` by a CXL pool, `hw:nic-*` by a SmartNIC, `hw:ssd-*` by a
 * SmartSSD), so a run lists only the hardware it has.
 */
import { defineProbes, type ProbeTable } from '../probes.ts';

export const HW_PROBES = defineProbes('hw', {
  'cxl-poisoned-read': 'a read hit a poisoned CXL line (uncorrectable media error) and failed instead of returning garbage',
  'cxl-atomic-on-poison': 'a CAS or fetch-add hit a poisoned CXL line and failed',
  'cxl-poison-cleared': 'a full-line write replaced a poisoned CXL line (the only repair)',
  'cxl-torn-write': 'a multi-word CXL write was torn (a fault or a pool failure mid-write): only a prefix landed',
  'nic-key-lost': 'a crypto operation found no session key on the SmartNIC (it rebooted): the host must provision it again',
  'nic-crypto-corrupt': 'the SmartNIC crypto engine produced corrupt ciphertext: the receiver\'s MAC check must catch it',
  'ssd-scan-wrong': 'a SmartSSD pushed-down scan returned a wrong result: end-to-end verification must reject it',
  'ssd-scan-partial': 'a SmartSSD pushed-down scan returned a partial result: end-to-end verification must reject it',
});

/** The subset of `table` whose names start with `prefix` (a device declares only its own probes). */
export function probesWithPrefix(table: ProbeTable, prefix: string): ProbeTable {
  return Object.fromEntries(Object.entries(table).filter(([k]) => k.startsWith(prefix)));
}

export const CXL_PROBES = probesWithPrefix(HW_PROBES, 'hw:cxl-');
export const NIC_PROBES = probesWithPrefix(HW_PROBES, 'hw:nic-');
export const SSD_PROBES = probesWithPrefix(HW_PROBES, 'hw:ssd-');
