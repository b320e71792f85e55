import { describe, expect, it } from 'vitest';
import { KvStore } from './store.ts';
import type { KvCommand, KvWriteOp } from './types.ts';

/** The commands of one client session, as the Raft log would deliver them. */
function commands(ops: KvWriteOp[]): KvCommand[] {
  return ops.map((op, i) => ({ kind: 'client', client: 'c1', seq: i + 1, op }));
}

describe('snapshot text sharing (KvStore.snapshotJson)', () => {
  // A replica is handed a recent snapshot text only when its content equals the store's. The
  // order of a lease's keys is part of that content (the text lists them, and revoking the lease
  // deletes them in that order, one watch event each), so two stores equal in everything but that
  // order must not share a text.
  it("does not hand a store the text of a snapshot whose lease lists the same keys in another order", () => {
    const cmds = commands([
      { op: 'leaseGrant', ttlMs: 1000 },
      { op: 'put', key: 'a', value: '1', lease: 1 },
      { op: 'put', key: 'b', value: '2', lease: 1 },
    ]);
    const a = new KvStore(4);
    for (const c of cmds) a.apply(c);
    const text = a.snapshotJson();
    expect(text).toContain('"keys":["a","b"]');

    // The same state with the lease's keys the other way round, restored from its text: it is now
    // the most recent text the store knows.
    const swapped = text.replace('"keys":["a","b"]', '"keys":["b","a"]');
    expect(swapped).not.toBe(text);
    const b = KvStore.fromJson(swapped, 4);
    expect(b.snapshotJson()).toBe(swapped);

    // A replica that applied the same log as `a` gets a's text, not the more recent swapped one.
    const c = new KvStore(4);
    for (const cmd of cmds) c.apply(cmd);
    expect(c.snapshotJson()).toBe(JSON.stringify(c.snapshot()));
    expect(c.snapshotJson()).toBe(text);
  });
});
