/**
 * LWW-Register on hybrid logical clock timestamps: the write with the greatest (HLC timestamp,
 * replica id) wins. The replica id breaks ties between different nodes that drew one timestamp,
 * so the order is total and every replica picks the same winner.
 *
 * Why HLC and not the wall clock: a node whose physical clock is behind would otherwise lose its
 * causally later writes (seed 002, "LWW problems: clock skew"). The node must feed its Hlc with
 * `hlc.update(register.timestamp(), physicalNs)` after merging remote state; `set` asserts that,
 * because a local write that does not beat what the replica has already seen means the clock was
 * not fed.
 */
import { assert } from '../../sim/assert.ts';
import { type HlcTimestamp, compareHlc } from './hlc.ts';
import { HLC_BYTES, plainBytes, utf8Bytes } from './size.ts';

/** One write: its value, HLC timestamp and writer. */
export interface LwwEntry<V> {
  value: V;
  ts: HlcTimestamp;
  replica: string;
}

/** Plain-data form of an LWW-Register state or delta (null before the first write). */
export interface LwwRegisterData<V> {
  entry: LwwEntry<V> | null;
}

/** Order of two writes: by timestamp, then replica id. */
export function compareLww(a: { ts: HlcTimestamp; replica: string }, b: { ts: HlcTimestamp; replica: string }): number {
  const t = compareHlc(a.ts, b.ts);
  if (t !== 0) return t;
  return a.replica < b.replica ? -1 : a.replica > b.replica ? 1 : 0;
}

/** The winning write of two (either may be null). */
export function lwwJoin<V>(a: LwwEntry<V> | null, b: LwwEntry<V> | null): LwwEntry<V> | null {
  if (a === null) return b;
  if (b === null) return a;
  return compareLww(a, b) >= 0 ? a : b;
}

/** A last-writer-wins register owned by one replica. */
export class LwwRegister<V> {
  readonly replicaId: string;
  protected entry: LwwEntry<V> | null = null;

  constructor(replicaId: string, data?: LwwRegisterData<V>) {
    this.replicaId = replicaId;
    if (data !== undefined) this.merge(data);
  }

  /** Writes `value` at `ts` (from this node's Hlc.now); returns the delta (the new entry). */
  set(value: V, ts: HlcTimestamp): LwwRegisterData<V> {
    const delta: LwwRegisterData<V> = { entry: { value, ts, replica: this.replicaId } };
    assert(
      this.entry === null || compareLww(delta.entry as LwwEntry<V>, this.entry) > 0,
      () => `LwwRegister.set: local write at ${ts.l}.${ts.c} does not beat ${this.entry?.ts.l}.${this.entry?.ts.c}: feed the node's Hlc with update() after merges`,
    );
    this.merge(delta);
    return delta;
  }

  /** Joins a state or delta: keeps the greater write. */
  merge(other: LwwRegisterData<V>): void {
    const o = other.entry;
    if (o !== null && this.entry !== null && compareLww(o, this.entry) === 0) {
      // One writer never issues two writes with one timestamp, so equal keys are the same write.
      assert(sameValue(o.value, this.entry.value), 'LwwRegister.merge: two values under one (timestamp, replica)');
    }
    this.entry = lwwJoin(this.entry, o);
  }

  /** The winning value (undefined before any write). */
  value(): V | undefined {
    return this.entry?.value;
  }

  /** The winning write's timestamp: feed it to the node's Hlc after a merge. */
  timestamp(): HlcTimestamp | undefined {
    return this.entry?.ts;
  }

  valueBytes(): number {
    return this.entry === null ? 0 : plainBytes(this.entry.value);
  }

  /** The timestamp and the writer's id. */
  metadataBytes(): number {
    return this.entry === null ? 0 : HLC_BYTES + utf8Bytes(this.entry.replica);
  }

  /** Plain-data copy. */
  toData(): LwwRegisterData<V> {
    return { entry: this.entry === null ? null : { ...this.entry } };
  }
}

/** Structural equality of plain data, for assertions only. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
