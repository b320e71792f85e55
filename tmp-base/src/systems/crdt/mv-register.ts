/**
 * MV-Register (multi-value register), delta-state (Almeida et al. 2018): concurrent writes are
 * all kept as siblings, each tagged with its dot; a write replaces every sibling its replica has
 * seen, so a later write that has seen the siblings resolves them. This is the dotted form of the
 * classic "set of (value, version vector)" register (seed 002), as used by Riak's DVVs: the
 * causal context is the version vector, and dots tell "seen" apart from "sibling".
 */
import type { Dot } from './dot.ts';
import { DotKernel, type DotKernelData } from './dot-kernel.ts';
import { plainBytes } from './size.ts';
import type { VersionVector } from './version-vector.ts';

/** Plain-data form of an MV-Register state or delta. */
export type MVRegisterData<V> = DotKernelData<V>;

/** A multi-value register owned by one replica. */
export class MVRegister<V> {
  readonly replicaId: string;
  private readonly kernel: DotKernel<V>;

  constructor(replicaId: string, data?: MVRegisterData<V>) {
    this.replicaId = replicaId;
    this.kernel = new DotKernel<V>(replicaId, data);
  }

  /** Writes `value`, resolving every sibling seen here; returns the delta. */
  write(value: V): MVRegisterData<V> {
    const seen: Dot[] = this.kernel.entries().map((e) => e.dot);
    const delta = this.kernel.addDelta(value, seen);
    this.kernel.join(delta);
    return delta;
  }

  /** Joins a state or delta. */
  merge(other: MVRegisterData<V>): void {
    this.kernel.join(other);
  }

  /** The siblings' values, ordered by their dots (one value when there is no conflict). */
  value(): V[] {
    return this.kernel.entries().map((e) => e.value);
  }

  /** The siblings with their dots. */
  siblings(): { dot: Dot; value: V }[] {
    return this.kernel.entries();
  }

  /** What this replica has seen. */
  versionVector(): VersionVector {
    return this.kernel.context().versionVector();
  }

  valueBytes(): number {
    let n = 0;
    for (const v of this.value()) n += plainBytes(v);
    return n;
  }

  /** The siblings' dots and the causal context. */
  metadataBytes(): number {
    return this.kernel.dotBytes();
  }

  /** Canonical plain-data copy. */
  toData(): MVRegisterData<V> {
    return this.kernel.toData();
  }
}
