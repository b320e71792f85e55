/** The hardware-accelerated KV's and CXL escrow's rare conditions (sim/probes.ts). */
import { defineProbes } from '../../sim/probes.ts';

export const HWKV_PROBES = defineProbes('hwkv', {
  'mac-rejected-nack': 'a sealed replica message failed its MAC check: refused, never applied, and asked for again',
  'scan-pushdown-rejected': 'a pushed-down SmartSSD scan failed end-to-end verification: the range is read raw instead',
  'get-checksum-mismatch': 'a value read back failed its end-to-end checksum: the read is retried, never served',
  'store-op-retried': 'a store operation failed under the replica (device crash or error) and is retried',
  'leader-step-down': 'a leader stepped down (a higher ballot, or silence): pending clients get no answer',
  'duplicate-command': 'a client command already applied arrived again (client retry): answered, not re-applied',
  'nic-key-reprovisioned': 'a crypto operation found the NIC had lost its session key: the host provisioned it and retried',
  'cxl-copy-invalid': 'one copy of a CXL escrow slot was poisoned or torn (check word wrong): the other copy is used',
  'cxl-both-copies-invalid': 'both copies of a CXL escrow slot were bad: the slot counts as empty (units lost, never invented)',
  'cxl-refill-cas-lost': 'a CXL escrow refill lost the CAS race on the global counter and retried',
  'cxl-global-poisoned': 'the CXL escrow\'s global counter was poisoned: refills stop (sold out, conservatively)',
});

/** The replicated KV's probes (declared by each replica) and the CXL escrow's (by each escrow host). */
export const KV_PROBES = Object.fromEntries(Object.entries(HWKV_PROBES).filter(([k]) => !k.startsWith('hwkv:cxl-')));
export const CXL_ESCROW_PROBES = Object.fromEntries(Object.entries(HWKV_PROBES).filter(([k]) => k.startsWith('hwkv:cxl-')));
