/**
 * detsim's CRDT types: delta-state CRDTs (Almeida, Shoker, Baquero, "Delta state replicated data
 * types", JPDC 2018) for the replication layer and the simulator scenarios.
 *
 * Every type follows one shape, so replication code can treat them alike:
 *  - a local op (increment, add, set, insertAt...) mutates the replica and RETURNS ITS DELTA, a
 *    small state of the same type; ship it to peers;
 *  - `merge(data)` joins a full state or a delta (join is commutative, associative, idempotent,
 *    so re-sent, duplicated and reordered messages are all safe);
 *  - `toData()` gives canonical plain data (objects, arrays, numbers, strings, bigint, Map) for
 *    messages and digests; `new Type(replicaId, data)` rebuilds a replica from it;
 *  - `value()` is the user-visible value; `valueBytes()` and `metadataBytes()` estimate sizes
 *    under the compact-encoding model of size.ts (deterministic, for overhead reports).
 * Types with tombstone-like metadata offer `collect(stableVersionVector)` (see ORSet.collect for
 * the stability precondition the replication layer must meet).
 *
 * Nothing here reads a clock or a random source: HLC calls take the node's physical time.
 */

// Shared building blocks.
/** A dot (replica id, per-replica counter): the unique tag of an add or a write. */
export { type Dot, dotKey, compareDots, dotBytes } from './dot.ts';
/** Version vectors as plain Maps, with join, pointwise minimum (causal stability) and comparison. */
export { type VersionVector, type VvOrder, vvGet, vvCopy, vvMerge, vvMin, vvDominates, vvCompare, vvBytes } from './version-vector.ts';
/** Compact causal context (vector + out-of-order dot cloud): what replaces OR-Set tombstones. */
export { CausalContext, type CausalContextData } from './causal-context.ts';
/** Dots-to-payload store with causal context; the OR-Set and MV-Register are built on it. */
export { DotKernel, type DotKernelData, type DotEntry } from './dot-kernel.ts';
/** Size model used by every metadataBytes()/valueBytes(). */
export { plainBytes, utf8Bytes, bigintBytes, COUNTER_BYTES, HLC_BYTES } from './size.ts';

// Counters and sets.
/** Grow-only counter (bigint, pointwise-max join). */
export { GCounter, type GCounterData } from './g-counter.ts';
/** Increment/decrement counter (two G-Counters, bigint). */
export { PNCounter, type PNCounterData } from './pn-counter.ts';
/** Grow-only set (union join). */
export { GSet, type GSetData, type SetElement, compareElements } from './g-set.ts';
/** Add-wins observed-remove set with unique dots, causal-context removal and stability GC. */
export { ORSet, type ORSetData } from './or-set.ts';

// Clocks and registers.
/** Hybrid logical clock: now(physicalNs), update(remote, physicalNs), compareHlc. */
export { Hlc, type HlcTimestamp, type HlcUpdateResult, HLC_ZERO, compareHlc } from './hlc.ts';
/** Last-writer-wins register on (HLC timestamp, replica id). */
export { LwwRegister, type LwwRegisterData, type LwwEntry, compareLww, lwwJoin } from './lww-register.ts';
/** Multi-value register: concurrent writes kept as siblings until a write that saw them. */
export { MVRegister, type MVRegisterData } from './mv-register.ts';
/** LWW-per-field map with delete tombstones (the user-profile store of seed 002). */
export { LwwMap, type LwwMapData, type LwwFieldEntry } from './lww-map.ts';

// Sequences.
/** RGA text sequence: insert after an id, tombstone removal, order-independent convergence. */
export { Rga, type RgaData, type RgaNode, type RgaId, compareRgaIds } from './rga.ts';

// Anti-entropy.
/** FNV-1a 64 (non-cryptographic) and a canonical digest of plain data. */
export { fnv1a64, digestOf, canonical, Fnv1a64, type Digest } from './fnv.ts';
/** Merkle tree over a hashed key space and the divergent-range comparison with its byte cost. */
export { MerkleTree, diffMerkle, type MerkleOptions, type MerkleDiff, DIGEST_BYTES, INDEX_BYTES, EMPTY_DIGEST } from './merkle.ts';

// Deliberately broken variants, for invariant and bug-hunting tests only.
/**
 * The bug zoo: BuggyGCounterAddMerge (non-idempotent merge), BuggyORSetRemoveUnseen (remove
 * deletes unseen tags), BuggyORSetEarlyGc (GC ignores causal stability), BuggyWallClockLwwRegister
 * (LWW on raw wall-clock time). Each class's doc comment says what breaks.
 */
export { BuggyGCounterAddMerge, BuggyORSetRemoveUnseen, type BuggyORSetData, BuggyORSetEarlyGc, BuggyWallClockLwwRegister } from './bug-zoo.ts';

// Measurements.
/** benchCrdt(clock: () => ms, { scale }) -> plain JSON merge-rate, metadata and Merkle figures. */
export { benchCrdt, type CrdtBenchResult, type CrdtBenchOptions, type MergeFigure, type MetadataFigure, type MerkleFigure } from './crdt.bench.ts';
