/**
 * hw-accelerated-kv: the hardware-accelerated key-value store of seed 004 §8.5.4 under faults.
 * Paxos acceptors run on SmartNICs and persist to NVDIMM; rows live on SmartSSDs; scans are pushed
 * down and verified end to end. The standard nemesis crashes (reboots), pauses and partitions the
 * NICs; the hardware nemesis crashes and wedges NICs, fails SSD controllers, slows NAND, wears out
 * an SSD, makes pushed-down scans wrong or partial, and makes the NICs' crypto engines return
 * corrupt ciphertext (replica traffic is sealed on the NICs; a message failing its MAC is refused
 * and asked for again).
 *
 * Safety: acceptor durability, state machine safety, no corrupt scan served, no unauthenticated
 * value applied, linearizable history. Liveness: once healed, every key can be read.
 * Bug zoo: bug=trust-ssd-result, bug=ack-before-nvdimm, bug=skip-mac-check.
 */
import { kvScenario } from '../systems/hwkv/kv-scenario.ts';

export default kvScenario('accelerated');
