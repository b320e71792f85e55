/**
 * A region's keyed CRDT store: key -> one CRDT value, with the kind named by the key's prefix
 * (`ctr:` G-Counter, `set:` OR-Set of strings, `reg:` LWW-Register on HLC, `txt:` RGA text).
 * Pure: no clock, no I/O. The region node (region.ts) owns the store and the HLC it feeds.
 *
 * Every mutation goes through `apply` (a local op, returning its delta) or `merge` (a delta or a
 * full state from a peer), so the caller can log it, ship it and digest it the same way. The
 * bug-zoo variants are chosen per store, so a scenario's `bug` parameter swaps one type for its
 * broken twin and leaves everything else alone.
 */
import { assert } from '../../../sim/assert.ts';
import type { Nanos } from '../../../sim/time.ts';
import { BuggyGCounterAddMerge, BuggyORSetEarlyGc, BuggyORSetRemoveUnseen, BuggyWallClockLwwRegister } from '../bug-zoo.ts';
import { digestOf, type Digest } from '../fnv.ts';
import { GCounter, type GCounterData } from '../g-counter.ts';
import { Hlc, type HlcTimestamp } from '../hlc.ts';
import { LwwRegister, type LwwRegisterData } from '../lww-register.ts';
import { ORSet, type ORSetData } from '../or-set.ts';
import { CausalContext, type CausalContextData } from '../causal-context.ts';
import { type Dot, dotKey } from '../dot.ts';
import { Rga, type RgaData } from '../rga.ts';
import { plainBytes } from '../size.ts';
import type { VersionVector } from '../version-vector.ts';

/** The bug-zoo variants a store can be built with ('none' = the correct types). */
export type CrdtBug = 'none' | 'non-idempotent-counter-merge' | 'or-set-remove-unseen' | 'tombstone-gc-before-stability' | 'lww-wall-clock' | 'anti-entropy-skips-subtree' | 'resync-skipped' | 'lww-merge-no-clock-feed' | 'deltas-ack-past-durable' | 'deltas-left-to-anti-entropy' | 'absorbed-never-pruned' | 'snapshot-keys-not-dirty';
export const CRDT_BUGS: readonly CrdtBug[] = ['none', 'non-idempotent-counter-merge', 'or-set-remove-unseen', 'tombstone-gc-before-stability', 'lww-wall-clock', 'anti-entropy-skips-subtree', 'resync-skipped', 'lww-merge-no-clock-feed', 'deltas-ack-past-durable', 'deltas-left-to-anti-entropy', 'absorbed-never-pruned', 'snapshot-keys-not-dirty'];

export type Kind = 'ctr' | 'set' | 'reg' | 'txt';

/** A client operation on one key. */
export type Op =
  | { kind: 'incr'; key: string; by: number }
  | { kind: 'add'; key: string; elem: string }
  | { kind: 'remove'; key: string; elem: string }
  | { kind: 'set'; key: string; value: string }
  | { kind: 'insert'; key: string; index: number; char: string };

/** Plain data of one key's state or delta (the shape depends on the kind). */
export type KeyData = GCounterData | ORSetData<string> | LwwRegisterData<string> | RgaData;

/** A value as a reader sees it. */
export type ReadValue =
  | { kind: 'ctr'; value: number }
  | { kind: 'set'; value: string[] }
  | { kind: 'reg'; value: string | null; ts: HlcTimestamp | null; replica: string | null }
  | { kind: 'txt'; value: string };

/**
 * The wall-clock bug as a deployment would run it: two writes of one region in one nanosecond get
 * one timestamp, so ties between different values are settled by the value (no assertion): the
 * visible symptom stays the lost causally-later write, not a crash.
 */
class WallClockRegister extends BuggyWallClockLwwRegister<string> {
  override merge(other: LwwRegisterData<string>): void {
    const o = other.entry;
    const e = this.entry;
    if (o !== null && e !== null && o.ts.l === e.ts.l && o.ts.c === e.ts.c && o.replica === e.replica) {
      if (o.value > e.value) this.entry = { ...o };
      return;
    }
    super.merge(other);
  }
}

type Value = GCounter | ORSet<string> | LwwRegister<string> | Rga;

export function kindOf(key: string): Kind {
  const k = key.slice(0, key.indexOf(':'));
  assert(k === 'ctr' || k === 'set' || k === 'reg' || k === 'txt', `store: key ${key} has no known kind prefix`);
  return k;
}

export class CrdtStore {
  private readonly values = new Map<string, Value>();
  private readonly digests = new Map<string, Digest>();
  readonly hlc = new Hlc();
  /** Observer for invariant checkers: called after every merge of `key` (never changes the run). */
  onMerge: ((key: string) => void) | null = null;
  /** Observer for invariant checkers: called with the dots a GC collapse of `key` dropped. */
  onCollect: ((key: string, dropped: readonly Dot[]) => void) | null = null;

  constructor(
    readonly replicaId: string,
    readonly bug: CrdtBug = 'none',
  ) {}

  /** Keys held, sorted. */
  keys(): string[] {
    return [...this.values.keys()].sort();
  }

  has(key: string): boolean {
    return this.values.has(key);
  }

  /** Applies a local op at physical time `physicalNs`; returns its delta. */
  apply(op: Op, physicalNs: Nanos): KeyData {
    const v = this.get(op.key);
    let delta: KeyData;
    switch (op.kind) {
      case 'incr':
        assert(v instanceof GCounter && op.by >= 0, `store.apply: incr on ${op.key}`);
        delta = v.increment(BigInt(op.by));
        break;
      case 'add':
        assert(v instanceof ORSet, `store.apply: add on ${op.key}`);
        delta = v.add(op.elem);
        break;
      case 'remove':
        assert(v instanceof ORSet, `store.apply: remove on ${op.key}`);
        delta = v.remove(op.elem);
        break;
      case 'set':
        assert(v instanceof LwwRegister, `store.apply: set on ${op.key}`);
        if (v instanceof WallClockRegister) delta = v.setAtWallClock(op.value, physicalNs);
        else delta = v.set(op.value, this.hlc.now(physicalNs));
        break;
      case 'insert': {
        assert(v instanceof Rga, `store.apply: insert on ${op.key}`);
        const len = v.visibleNodes().length;
        delta = v.insertAt(Math.max(0, Math.min(op.index, len)), op.char);
        break;
      }
    }
    this.digests.delete(op.key);
    return delta;
  }

  /** Joins a delta or full state of `key` (rule 1: the HLC is fed with what was merged). */
  merge(key: string, data: KeyData, physicalNs: Nanos): void {
    const v = this.get(key);
    (v as { merge(d: KeyData): void }).merge(data);
    // BUG (lww-merge-no-clock-feed): rule 1 dropped; the next local write may not beat the merged one.
    if (v instanceof LwwRegister && this.bug !== 'lww-merge-no-clock-feed') {
      const ts = v.timestamp();
      if (ts !== undefined) this.hlc.update(ts, physicalNs);
    }
    this.digests.delete(key);
    this.onMerge?.(key);
  }

  /** The full state of `key` as plain data. */
  state(key: string): KeyData {
    return this.get(key).toData() as KeyData;
  }

  /** A digest of `key`'s state, cached until the key changes. */
  digest(key: string): Digest {
    let d = this.digests.get(key);
    if (d === undefined) {
      d = digestOf(this.state(key));
      this.digests.set(key, d);
    }
    return d;
  }

  read(key: string): ReadValue {
    const v = this.get(key);
    if (v instanceof GCounter) return { kind: 'ctr', value: Number(v.value()) };
    if (v instanceof ORSet) return { kind: 'set', value: v.value() };
    if (v instanceof LwwRegister) {
      const d = v.toData().entry;
      return { kind: 'reg', value: d?.value ?? null, ts: d?.ts ?? null, replica: d?.replica ?? null };
    }
    return { kind: 'txt', value: v.value() };
  }

  /** The OR-Set keys, sorted. */
  setKeys(): string[] {
    return this.keys().filter((k) => kindOf(k) === 'set');
  }

  /** The context version vector of an OR-Set key (what this replica has seen of its dots). */
  setVv(key: string): VersionVector {
    const v = this.get(key);
    assert(v instanceof ORSet, `store.setVv: ${key} is not a set`);
    return v.versionVector();
  }

  /**
   * Causal-stability GC of one OR-Set key. Returns the dropped dots as an OR-Set delta (a removal
   * of exactly those dots), or null when nothing was dropped. The caller must replicate it in its
   * op stream: a later remove from this replica names only the kept dot, so a peer that has not
   * collapsed yet would otherwise keep a dropped dot alive and show the removed element.
   */
  collect(key: string, stable: VersionVector): ORSetData<string> | null {
    const v = this.get(key);
    assert(v instanceof ORSet, `store.collect: ${key} is not a set`);
    const before = v.toData().entries.map((e) => e.dot);
    const n = v.collect(stable);
    if (n === 0) return null;
    this.digests.delete(key);
    const kept = new Set(v.toData().entries.map((e) => dotKey(e.dot)));
    const cloud = new CausalContext();
    for (const d of before) if (!kept.has(dotKey(d))) cloud.add(d);
    return { entries: [], context: cloud.toData() };
  }

  /**
   * `collect` that also says, per collapsed element, which dot was kept and which were dropped
   * into it (the region keeps that while some region is evicted from GC, for its re-sync).
   */
  collectGroups(key: string, stable: VersionVector): { delta: ORSetData<string>; groups: [Dot, Dot[]][]; dropped: number } | null {
    const v = this.get(key);
    assert(v instanceof ORSet, `store.collectGroups: ${key} is not a set`);
    const byElem = new Map<string, Dot[]>();
    for (const e of v.toData().entries) byElem.set(e.value, [...(byElem.get(e.value) ?? []), e.dot]);
    const delta = this.collect(key, stable);
    if (delta === null) return null;
    const left = new Set(v.toData().entries.map((e) => dotKey(e.dot)));
    const dropped = new Set<string>();
    const droppedDots: Dot[] = [];
    for (const dots of byElem.values())
      for (const d of dots)
        if (!left.has(dotKey(d))) {
          dropped.add(dotKey(d));
          droppedDots.push(d);
        }
    this.onCollect?.(key, droppedDots);
    const groups: [Dot, Dot[]][] = [];
    for (const dots of byElem.values()) {
      const gone = dots.filter((d) => dropped.has(dotKey(d)));
      const kept = dots.filter((d) => !dropped.has(dotKey(d)));
      if (gone.length > 0 && kept.length === 1) groups.push([kept[0]!, gone]);
    }
    return { delta, groups, dropped: dropped.size };
  }

  /** The full causal context of an OR-Set key (what this replica has seen of its dots). */
  setContext(key: string): CausalContextData {
    const v = this.get(key);
    assert(v instanceof ORSet, `store.setContext: ${key} is not a set`);
    return v.toData().context;
  }

  /** The dots currently stored in an OR-Set key (keys of dotKey). */
  setDotKeys(key: string): Set<string> {
    if (!this.values.has(key)) return new Set();
    const v = this.get(key);
    assert(v instanceof ORSet, `store.setDotKeys: ${key} is not a set`);
    return new Set(v.toData().entries.map((e) => dotKey(e.dot)));
  }

  /** Forgets every key (a re-sync replaces the whole state with a snapshot). The HLC is kept: it never goes back. */
  clear(): void {
    this.values.clear();
    this.digests.clear();
  }

  /** OR-Set tag figures of one key. */
  tags(key: string): { dots: number; cloud: number; elements: number } {
    const v = this.get(key);
    assert(v instanceof ORSet, `store.tags: ${key} is not a set`);
    return { ...v.tagCount(), elements: v.value().length };
  }

  /** Value and metadata bytes over every key (the size model of size.ts). */
  sizes(): { valueBytes: number; metadataBytes: number } {
    let valueBytes = 0;
    let metadataBytes = 0;
    for (const k of this.keys()) {
      const v = this.values.get(k)!;
      valueBytes += v.valueBytes();
      metadataBytes += v.metadataBytes();
    }
    return { valueBytes, metadataBytes };
  }

  /** Bytes of one key's full state on the wire (plain-data model). */
  stateBytes(key: string): number {
    return plainBytes(this.state(key));
  }

  /** Every key's full state, sorted by key (snapshots). */
  snapshot(): [string, KeyData][] {
    return this.keys().map((k) => [k, this.state(k)]);
  }

  private get(key: string): Value {
    let v = this.values.get(key);
    if (v === undefined) {
      v = this.make(kindOf(key));
      this.values.set(key, v);
    }
    return v;
  }

  private make(kind: Kind): Value {
    const id = this.replicaId;
    switch (kind) {
      case 'ctr':
        return this.bug === 'non-idempotent-counter-merge' ? new BuggyGCounterAddMerge(id) : new GCounter(id);
      case 'set':
        if (this.bug === 'or-set-remove-unseen') return new BuggyORSetRemoveUnseen<string>(id);
        if (this.bug === 'tombstone-gc-before-stability') return new BuggyORSetEarlyGc<string>(id);
        return new ORSet<string>(id);
      case 'reg':
        return this.bug === 'lww-wall-clock' ? new WallClockRegister(id) : new LwwRegister<string>(id);
      case 'txt':
        return new Rga(id);
    }
  }
}
