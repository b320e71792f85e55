/**
 * hw-traditional-kv: the traditional store beside the accelerated one (seed 004 §8.5.4): the same
 * Paxos on the host CPU (~50 µs a message through the kernel stack), acceptor state fsynced to
 * the node's disk, rows in a RocksDB-like host engine rebuilt from the log at restart. Standard
 * node faults (crashes with torn writes, partitions, pauses). Same invariants as hw-accelerated-kv.
 */
import { kvScenario } from '../systems/hwkv/kv-scenario.ts';

export default kvScenario('traditional');
