/**
 * LWW-per-field map: each field is its own LWW-Register on HLC timestamps (seed 002, scenario
 * "Active-active user profile store": "Last-Write-Wins per field ... avoid whole-record LWW").
 * Concurrent updates to different fields both survive; concurrent updates to one field resolve
 * to the greatest (timestamp, replica). A delete is a timestamped tombstone, so a delete that is
 * later than an update wins over it wherever the two meet.
 */
import { assert } from '../../sim/assert.ts';
import { sortedKeys } from './dot.ts';
import type { HlcTimestamp } from './hlc.ts';
import { compareLww, sameValue } from './lww-register.ts';
import { HLC_BYTES, plainBytes, utf8Bytes } from './size.ts';

/** One field's winning write; `deleted` marks a tombstone (then `value` is null). */
export interface LwwFieldEntry<V> {
  value: V | null;
  deleted: boolean;
  ts: HlcTimestamp;
  replica: string;
}

/** Plain-data form of an LWW map state or delta: field -> winning write. */
export interface LwwMapData<V> {
  fields: Map<string, LwwFieldEntry<V>>;
}

/** A map of independently last-writer-wins fields, owned by one replica. */
export class LwwMap<V> {
  readonly replicaId: string;
  private readonly fields: Map<string, LwwFieldEntry<V>> = new Map();

  constructor(replicaId: string, data?: LwwMapData<V>) {
    this.replicaId = replicaId;
    if (data !== undefined) this.merge(data);
  }

  /** Sets one field at `ts` (from this node's Hlc.now); returns the delta. */
  set(field: string, value: V, ts: HlcTimestamp): LwwMapData<V> {
    return this.write(field, { value, deleted: false, ts, replica: this.replicaId });
  }

  /** Sets several fields under one timestamp (one user action); returns one delta. */
  setMany(values: ReadonlyMap<string, V>, ts: HlcTimestamp): LwwMapData<V> {
    const delta: LwwMapData<V> = { fields: new Map() };
    for (const f of sortedKeys(values)) {
      const d = this.set(f, values.get(f) as V, ts);
      for (const [k, e] of d.fields) delta.fields.set(k, e);
    }
    return delta;
  }

  /** Deletes a field with a tombstone at `ts`; returns the delta. */
  delete(field: string, ts: HlcTimestamp): LwwMapData<V> {
    return this.write(field, { value: null, deleted: true, ts, replica: this.replicaId });
  }

  /** Joins a state or delta, field by field. */
  merge(other: LwwMapData<V>): void {
    for (const [f, e] of other.fields) {
      const mine = this.fields.get(f);
      if (mine === undefined) {
        this.fields.set(f, e);
        continue;
      }
      const c = compareLww(e, mine);
      if (c === 0) assert(e.deleted === mine.deleted && sameValue(e.value, mine.value), `LwwMap.merge: two writes of ${f} under one key`);
      else if (c > 0) this.fields.set(f, e);
    }
  }

  /** One field's value (undefined when never set or deleted). */
  get(field: string): V | undefined {
    const e = this.fields.get(field);
    return e === undefined || e.deleted ? undefined : (e.value as V);
  }

  /** The live fields, sorted by name. */
  value(): Map<string, V> {
    const out = new Map<string, V>();
    for (const f of sortedKeys(this.fields)) {
      const e = this.fields.get(f) as LwwFieldEntry<V>;
      if (!e.deleted) out.set(f, e.value as V);
    }
    return out;
  }

  /** The greatest timestamp held: feed it to the node's Hlc after a merge. */
  maxTimestamp(): HlcTimestamp | undefined {
    let best: LwwFieldEntry<V> | undefined;
    for (const e of this.fields.values()) if (best === undefined || compareLww(e, best) > 0) best = e;
    return best?.ts;
  }

  /** Number of deleted fields still held as tombstones. */
  tombstoneCount(): number {
    let n = 0;
    for (const e of this.fields.values()) if (e.deleted) n++;
    return n;
  }

  /** Live field names and values. */
  valueBytes(): number {
    let n = 0;
    for (const [f, v] of this.value()) n += utf8Bytes(f) + plainBytes(v);
    return n;
  }

  /** Timestamps and writer ids of every field, plus tombstones' names. */
  metadataBytes(): number {
    let n = 0;
    for (const [f, e] of this.fields) n += HLC_BYTES + utf8Bytes(e.replica) + 1 + (e.deleted ? utf8Bytes(f) : 0);
    return n;
  }

  /** Canonical plain-data copy. */
  toData(): LwwMapData<V> {
    const fields = new Map<string, LwwFieldEntry<V>>();
    for (const f of sortedKeys(this.fields)) fields.set(f, { ...(this.fields.get(f) as LwwFieldEntry<V>) });
    return { fields };
  }

  private write(field: string, e: LwwFieldEntry<V>): LwwMapData<V> {
    const mine = this.fields.get(field);
    assert(
      mine === undefined || compareLww(e, mine) > 0,
      () => `LwwMap: local write of ${field} at ${e.ts.l}.${e.ts.c} does not beat the held one: feed the node's Hlc after merges`,
    );
    const delta: LwwMapData<V> = { fields: new Map([[field, e]]) };
    this.merge(delta);
    return delta;
  }
}
