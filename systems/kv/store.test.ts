import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { KvStore, snapshotTextStats } from './store.ts';
import type { KvCommand, KvResult, KvWriteOp, WatchEvent } from './types.ts';

/** A client session driving a store directly (what the Raft log would deliver). */
function session(st: KvStore, client = 'c1') {
  let seq = 0;
  return (op: KvWriteOp): { result: KvResult; events: WatchEvent[] } => st.apply({ kind: 'client', client, seq: ++seq, op });
}

const expire = (st: KvStore, lease: number) => st.apply({ kind: 'expire', lease } satisfies KvCommand);

describe('KvStore writes and reads', () => {
  it('gives every changing write the next revision, and tracks version, createRev and modRev', () => {
    const st = new KvStore();
    const w = session(st);
    expect(w({ op: 'put', key: 'a', value: '1' }).result).toMatchObject({ op: 'put', rev: 1, version: 1 });
    expect(w({ op: 'put', key: 'b', value: '2' }).result.rev).toBe(2);
    expect(w({ op: 'put', key: 'a', value: '3' }).result).toMatchObject({ rev: 3, version: 2 });
    expect(st.get('a')).toMatchObject({ value: '3', version: 2, createRev: 1, modRev: 3 });
    expect(st.read({ op: 'get', key: 'a' })).toEqual({ op: 'get', rev: 3, value: '3', version: 2, modRev: 3 });
    // Deleting an absent key changes nothing: no revision.
    expect(w({ op: 'delete', key: 'zz' }).result).toEqual({ op: 'delete', rev: 3, existed: false });
    expect(w({ op: 'delete', key: 'a' }).result).toEqual({ op: 'delete', rev: 4, existed: true });
    expect(st.read({ op: 'get', key: 'a' })).toEqual({ op: 'get', rev: 4, value: null, version: 0, modRev: 0 });
    // Re-created: version starts again and createRev is the new revision.
    w({ op: 'put', key: 'a', value: '5' });
    expect(st.get('a')).toMatchObject({ version: 1, createRev: 5, modRev: 5 });
  });

  it('ranges by prefix, sorted by key', () => {
    const st = new KvStore();
    const w = session(st);
    for (const k of ['app/b', 'app/a', 'apq', 'app/c/d', 'b']) w({ op: 'put', key: k, value: k.toUpperCase() });
    const r = st.read({ op: 'range', prefix: 'app/' });
    expect(r.op === 'range' && r.kvs.map((kv) => kv.key)).toEqual(['app/a', 'app/b', 'app/c/d']);
    expect(r.rev).toBe(5);
  });

  it('compare-and-swap on value and on version; a failed compare changes nothing', () => {
    const st = new KvStore();
    const w = session(st);
    expect(w({ op: 'cas', key: 'x', value: 'v1', expectedValue: null }).result).toMatchObject({ ok: true, rev: 1, version: 1 });
    expect(w({ op: 'cas', key: 'x', value: 'v2', expectedValue: null }).result).toMatchObject({ ok: false, rev: 1, version: 1 });
    expect(w({ op: 'cas', key: 'x', value: 'v2', expectedVersion: 2 }).result).toMatchObject({ ok: false, rev: 1 });
    expect(w({ op: 'cas', key: 'x', value: 'v2', expectedValue: 'v1', expectedVersion: 1 }).result).toMatchObject({ ok: true, rev: 2, version: 2 });
    expect(w({ op: 'cas', key: 'y', value: 'w', expectedVersion: 0 }).result).toMatchObject({ ok: true, rev: 3 });
    expect(st.get('x')?.value).toBe('v2');
    expect(st.rev).toBe(3);
  });
});

describe('KvStore watch history', () => {
  it('answers events from a revision for a key or a prefix, and "compacted" once they are gone', () => {
    const st = new KvStore(4);
    const w = session(st);
    w({ op: 'put', key: 'k1', value: 'a' }); // 1
    w({ op: 'put', key: 'k2', value: 'b' }); // 2
    w({ op: 'delete', key: 'k1' }); // 3
    expect(st.eventsFrom(1, 'k1', false)).toEqual([
      { rev: 1, key: 'k1', type: 'put', value: 'a' },
      { rev: 3, key: 'k1', type: 'delete', value: null },
    ]);
    expect(st.eventsFrom(2, 'k', true)).toEqual([
      { rev: 2, key: 'k2', type: 'put', value: 'b' },
      { rev: 3, key: 'k1', type: 'delete', value: null },
    ]);
    expect(st.eventsFrom(4, 'k', true)).toEqual([]);
    w({ op: 'put', key: 'k3', value: 'c' }); // 4
    w({ op: 'put', key: 'k4', value: 'd' }); // 5: history keeps revs 2..5
    w({ op: 'put', key: 'k5', value: 'e' }); // 6: keeps 3..6
    expect(st.compactRev).toBe(2);
    expect(st.eventsFrom(1, 'k', true)).toBe('compacted');
    expect(st.eventsFrom(2, 'k1', false)).toBe('compacted');
    expect(st.eventsFrom(3, 'k1', false)).toEqual([{ rev: 3, key: 'k1', type: 'delete', value: null }]);
  });

  it('survives snapshot and restore (history, compaction point, sessions, leases)', () => {
    const st = new KvStore(3);
    const w = session(st);
    const g = w({ op: 'leaseGrant', ttlMs: 100 }).result;
    expect(g.op).toBe('leaseGrant');
    const lease = g.op === 'leaseGrant' ? g.id : 0;
    for (let i = 0; i < 6; i++) w({ op: 'put', key: `k${i % 2}`, value: `${i}`, lease: i === 5 ? lease : 0 });
    const copy = KvStore.restore(JSON.parse(JSON.stringify(st.snapshot())), 3);
    expect(copy.snapshot()).toEqual(st.snapshot());
    expect(copy.eventsFrom(st.compactRev, 'k', true)).toBe('compacted');
    expect(copy.eventsFrom(st.compactRev + 1, 'k', true)).toEqual(st.eventsFrom(st.compactRev + 1, 'k', true));
    // Both continue identically: the lease expiry deletes the same key at the same revision.
    expect(expire(copy, lease)).toEqual(expire(st, lease));
    expect(copy.lastSeq('c1')).toBe(7);
  });

  it('stores restored from one snapshot text share nothing they change (the restore memo)', () => {
    const st = new KvStore(4);
    const w = session(st);
    const g = w({ op: 'leaseGrant', ttlMs: 100 }).result;
    const lease = g.op === 'leaseGrant' ? g.id : 0;
    for (let i = 0; i < 6; i++) w({ op: 'put', key: `k${i % 3}`, value: `${i}`, lease: i % 2 === 0 ? lease : 0 });
    const text = st.snapshotJson();
    // a and b come from the memo snapshotJson filled; fresh is built from a parse of the text.
    const a = KvStore.fromJson(text, 4);
    const b = KvStore.fromJson(text, 4);
    const fresh = KvStore.restore(JSON.parse(text), 4);
    // a changes what a shared record would carry: a lease's key list, keys, sessions, history.
    const wa = session(a, 'c2');
    wa({ op: 'put', key: 'k1', value: 'x', lease });
    wa({ op: 'delete', key: 'k0' });
    expire(a, lease);
    session(a)({ op: 'put', key: 'k2', value: 'y' });
    // b and the original are untouched, and still equal to the parsed text.
    expect(b.snapshotJson()).toBe(text);
    expect(st.snapshotJson()).toBe(text);
    expect(b.snapshot()).toEqual(fresh.snapshot());
    // b then evolves exactly as a store parsed from the text does.
    const wb = session(b, 'c2');
    const wf = session(fresh, 'c2');
    expect(wb({ op: 'put', key: 'k1', value: 'x', lease })).toEqual(wf({ op: 'put', key: 'k1', value: 'x', lease }));
    expect(expire(b, lease)).toEqual(expire(fresh, lease));
    expect(b.snapshotJson()).toBe(JSON.stringify(fresh.snapshot()));
    expect(b.snapshotJson()).not.toBe(a.snapshotJson());
  });

  it('the records restores share are frozen: a change in place throws instead of reaching another store', () => {
    const st = new KvStore(4);
    session(st)({ op: 'put', key: 'k', value: 'v' });
    const a = KvStore.fromJson(st.snapshotJson(), 4);
    const inside = a as unknown as { kvs: Map<string, { value: string }>; events: { value: string | null }[]; sessions: Map<string, { seq: number; result: object }> };
    expect(() => { inside.kvs.get('k')!.value = 'changed'; }).toThrow(TypeError);
    expect(() => { inside.events[0]!.value = 'changed'; }).toThrow(TypeError);
    expect(() => { inside.sessions.values().next().value!.seq = 99; }).toThrow(TypeError);
    expect(st.get('k')?.value).toBe('v');
  });
});

describe('KvStore leases, locks and fencing tokens', () => {
  it('deletes every key attached to a lease at one revision when it expires', () => {
    const st = new KvStore();
    const w = session(st);
    const g = w({ op: 'leaseGrant', ttlMs: 500 }).result;
    const id = g.op === 'leaseGrant' ? g.id : -1;
    expect(st.hasLease(id)).toBe(true);
    w({ op: 'put', key: 'e/1', value: 'x', lease: id });
    w({ op: 'put', key: 'e/2', value: 'y', lease: id });
    w({ op: 'put', key: 'e/3', value: 'z', lease: id });
    w({ op: 'put', key: 'e/3', value: 'z2' }); // detached from the lease: survives
    w({ op: 'put', key: 'plain', value: 'p' });
    const before = st.rev;
    const { result, events } = expire(st, id);
    expect(result).toEqual({ op: 'leaseRevoke', rev: before + 1, existed: true });
    expect(events.map((e) => [e.key, e.type, e.rev])).toEqual([['e/1', 'delete', before + 1], ['e/2', 'delete', before + 1]]);
    expect(st.get('e/3')?.value).toBe('z2');
    expect(st.get('plain')).toBeDefined();
    expect(st.hasLease(id)).toBe(false);
    // Expiring again, or putting with the dead lease, changes nothing.
    expect(expire(st, id).result).toEqual({ op: 'leaseRevoke', rev: before + 1, existed: false });
    expect(w({ op: 'put', key: 'late', value: 'v', lease: id }).result).toMatchObject({ op: 'error', error: 'lease-not-found' });
    expect(st.rev).toBe(before + 1);
  });

  it('hands out fencing tokens that grow with every new holder', () => {
    const st = new KvStore();
    const a = session(st, 'a');
    const b = session(st, 'b');
    const la = a({ op: 'leaseGrant', ttlMs: 100 }).result;
    const lb = b({ op: 'leaseGrant', ttlMs: 100 }).result;
    const ida = la.op === 'leaseGrant' ? la.id : -1;
    const idb = lb.op === 'leaseGrant' ? lb.id : -1;
    const got = a({ op: 'lock', key: 'L', owner: 'a', lease: ida }).result;
    expect(got).toMatchObject({ op: 'lock', ok: true, holder: 'a' });
    const t1 = got.op === 'lock' ? got.token : 0;
    expect(t1).toBe(st.get('L')!.createRev);
    // b is refused and told who holds it.
    expect(b({ op: 'lock', key: 'L', owner: 'b', lease: idb }).result).toMatchObject({ ok: false, holder: 'a', token: t1 });
    expect(b({ op: 'unlock', key: 'L', owner: 'b' }).result).toMatchObject({ ok: false });
    // a's lease expires: the lock key goes, and b gets a strictly newer token.
    expire(st, ida);
    const got2 = b({ op: 'lock', key: 'L', owner: 'b', lease: idb }).result;
    expect(got2).toMatchObject({ ok: true, holder: 'b' });
    const t2 = got2.op === 'lock' ? got2.token : 0;
    expect(t2).toBeGreaterThan(t1);
    expect(b({ op: 'unlock', key: 'L', owner: 'b' }).result).toMatchObject({ ok: true });
    expect(st.get('L')).toBeUndefined();
    // Locking with a lease that is gone is refused.
    expect(a({ op: 'lock', key: 'L', owner: 'a', lease: ida }).result).toMatchObject({ op: 'error', error: 'lease-not-found' });
  });

  it('applies a fenced put only under the current holder\'s token', () => {
    const st = new KvStore();
    const a = session(st, 'a');
    const b = session(st, 'b');
    const la = a({ op: 'leaseGrant', ttlMs: 100 }).result;
    const lb = b({ op: 'leaseGrant', ttlMs: 100 }).result;
    const ida = la.op === 'leaseGrant' ? la.id : -1;
    const idb = lb.op === 'leaseGrant' ? lb.id : -1;
    const g = a({ op: 'lock', key: 'L', owner: 'a', lease: ida }).result;
    const ta = g.op === 'lock' ? g.token : 0;
    expect(a({ op: 'fencedPut', key: 'cfg', value: 'a1', lockKey: 'L', token: ta }).result).toMatchObject({ ok: true, version: 1 });
    expire(st, ida);
    // a's lease is gone: its write is refused even before anyone else locks.
    expect(a({ op: 'fencedPut', key: 'cfg', value: 'a2', lockKey: 'L', token: ta }).result).toMatchObject({ ok: false, holderToken: 0 });
    const h = b({ op: 'lock', key: 'L', owner: 'b', lease: idb }).result;
    const tb = h.op === 'lock' ? h.token : 0;
    expect(a({ op: 'fencedPut', key: 'cfg', value: 'a3', lockKey: 'L', token: ta }).result).toMatchObject({ ok: false, holderToken: tb });
    expect(b({ op: 'fencedPut', key: 'cfg', value: 'b1', lockKey: 'L', token: tb }).result).toMatchObject({ ok: true, version: 2 });
    expect(st.get('cfg')!.value).toBe('b1');
  });
});

describe('KvStore sessions', () => {
  it('applies a retried write once and answers it from the session record', () => {
    const st = new KvStore();
    const cmd: KvCommand = { kind: 'client', client: 'c', seq: 1, op: { op: 'put', key: 'a', value: 'x' } };
    const first = st.apply(cmd);
    const again = st.apply(cmd);
    expect(again.result).toEqual(first.result);
    expect(again.events).toEqual([]);
    expect(st.rev).toBe(1);
    expect(st.get('a')!.version).toBe(1);
    st.apply({ kind: 'client', client: 'c', seq: 2, op: { op: 'put', key: 'a', value: 'y' } });
    // An older sequence number than the last is stale (the client moved on; never re-applied).
    expect(st.apply(cmd).result).toEqual({ op: 'error', rev: 2, error: 'stale-sequence' });
    // Other clients have their own sequence.
    expect(st.apply({ kind: 'client', client: 'd', seq: 1, op: { op: 'delete', key: 'a' } }).result).toMatchObject({ existed: true, rev: 3 });
    expect(st.lastSeq('c')).toBe(2);
  });
});

// ------------------------------------------------------------------ property: a reference model

interface RefKv {
  value: string;
  version: number;
  createRev: number;
  modRev: number;
  lease: number;
}

/** The simplest model of the store: a map, a revision counter, lease key sets, an event list. */
class Ref {
  rev = 0;
  kvs = new Map<string, RefKv>();
  leases = new Map<number, Set<string>>();
  nextLease = 1;
  events: WatchEvent[] = [];
  private bumped = false;
  private touch(): number {
    if (!this.bumped) {
      this.rev++;
      this.bumped = true;
    }
    return this.rev;
  }
  private set(key: string, value: string, lease: number): void {
    const cur = this.kvs.get(key);
    const rev = this.touch();
    if (cur && cur.lease !== lease) this.leases.get(cur.lease)?.delete(key);
    this.kvs.set(key, { value, version: (cur?.version ?? 0) + 1, createRev: cur?.createRev ?? rev, modRev: rev, lease });
    if (lease !== 0 && cur?.lease !== lease) this.leases.get(lease)!.add(key);
    this.events.push({ rev, key, type: 'put', value });
  }
  private del(key: string): void {
    const cur = this.kvs.get(key);
    if (!cur) return;
    const rev = this.touch();
    if (cur.lease !== 0) this.leases.get(cur.lease)?.delete(key);
    this.kvs.delete(key);
    this.events.push({ rev, key, type: 'delete', value: null });
  }
  apply(op: KvWriteOp | { op: 'expire'; id: number }): void {
    this.bumped = false;
    switch (op.op) {
      case 'put':
        if (!op.lease || this.leases.has(op.lease)) this.set(op.key, op.value, op.lease ?? 0);
        return;
      case 'delete':
        return this.del(op.key);
      case 'cas': {
        const cur = this.kvs.get(op.key);
        const ok = (op.expectedValue === undefined || op.expectedValue === (cur?.value ?? null)) && (op.expectedVersion === undefined || op.expectedVersion === (cur?.version ?? 0));
        if (ok && (!op.lease || this.leases.has(op.lease))) this.set(op.key, op.value, op.lease ?? 0);
        return;
      }
      case 'leaseGrant':
        this.leases.set(this.nextLease++, new Set());
        return;
      case 'expire':
      case 'leaseRevoke': {
        const id = op.op === 'expire' ? op.id : op.id;
        const keys = this.leases.get(id);
        if (!keys) return;
        for (const k of [...keys]) this.del(k); // in attach order, as the store does
        this.leases.delete(id);
        return;
      }
      case 'lock':
        if (!this.kvs.has(op.key) && this.leases.has(op.lease)) this.set(op.key, op.owner, op.lease);
        return;
      case 'unlock':
        if (this.kvs.get(op.key)?.value === op.owner) this.del(op.key);
        return;
    }
  }
}

const keyArb = fc.constantFrom('a', 'b', 'ab', 'c');
const leaseArb = fc.integer({ min: 0, max: 4 });
const opArb: fc.Arbitrary<KvWriteOp | { op: 'expire'; id: number }> = fc.oneof(
  fc.record({ op: fc.constant('put' as const), key: keyArb, value: fc.constantFrom('x', 'y', 'z'), lease: leaseArb }),
  fc.record({ op: fc.constant('delete' as const), key: keyArb }),
  fc.record({ op: fc.constant('cas' as const), key: keyArb, value: fc.constantFrom('x', 'y'), expectedValue: fc.constantFrom('x', 'y', null) }),
  fc.record({ op: fc.constant('cas' as const), key: keyArb, value: fc.constantFrom('x', 'y'), expectedVersion: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ op: fc.constant('leaseGrant' as const), ttlMs: fc.constantFrom(100, 200) }),
  fc.record({ op: fc.constant('leaseRevoke' as const), id: leaseArb }),
  fc.record({ op: fc.constant('expire' as const), id: leaseArb }),
  fc.record({ op: fc.constant('lock' as const), key: fc.constant('L'), owner: fc.constantFrom('o1', 'o2'), lease: leaseArb }),
  fc.record({ op: fc.constant('unlock' as const), key: fc.constant('L'), owner: fc.constantFrom('o1', 'o2') }),
);

describe('KvStore property', () => {
  it('driven by random operations (with retries and snapshot/restore), equals a reference map', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(opArb, fc.nat(9)), { maxLength: 60 }), fc.integer({ min: 1, max: 12 }), (ops, historyRevs) => {
        let st = new KvStore(historyRevs);
        const ref = new Ref();
        let seq = 0;
        for (const [op, dice] of ops) {
          const cmd: KvCommand = op.op === 'expire' ? { kind: 'expire', lease: op.id } : { kind: 'client', client: 'c', seq: ++seq, op };
          const out = st.apply(cmd);
          ref.apply(op);
          if (dice === 0 && cmd.kind === 'client') expect(st.apply(cmd)).toEqual({ result: out.result, events: [] }); // a retry
          if (dice === 1) st = KvStore.restore(JSON.parse(JSON.stringify(st.snapshot())), historyRevs);
          // The incremental serialisation (cached JSON per record) is the full one, whatever came before.
          if (dice <= 3) expect(st.snapshotJson()).toBe(JSON.stringify(st.snapshot()));
          if (dice === 2) st = KvStore.fromJson(st.snapshotJson(), historyRevs);
          expect(out.result.rev).toBe(ref.rev);
        }
        expect(st.rev).toBe(ref.rev);
        const all = st.read({ op: 'range', prefix: '' });
        const want = [...ref.kvs.entries()].sort((x, y) => (x[0] < y[0] ? -1 : 1)).map(([key, v]) => ({ key, ...v }));
        expect(all.op === 'range' && all.kvs).toEqual(want);
        expect(st.leaseList().map((l) => l.id)).toEqual([...ref.leases.keys()].sort((x, y) => x - y));
        // Watch history: exactly the model's events above the compaction point.
        expect(st.compactRev).toBe(Math.max(0, ref.rev - historyRevs));
        for (const [key, prefix] of [['a', false], ['a', true], ['', true]] as const) {
          expect(st.eventsFrom(st.compactRev + 1, key, prefix)).toEqual(ref.events.filter((e) => e.rev > st.compactRev && (prefix ? e.key.startsWith(key) : e.key === key)));
          if (st.compactRev > 0) expect(st.eventsFrom(st.compactRev, key, prefix)).toBe('compacted');
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('KvStore snapshot texts shared between replicas', () => {
  it('replicas applying one log share one text per state; a replica that differs gets its own, always equal to its full serialisation', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(opArb, opArb, fc.nat(5), fc.nat(59)), { minLength: 1, maxLength: 400, size: 'max' }),
        fc.integer({ min: 1, max: 40 }),
        (ops, historyRevs) => {
          // Three replicas apply one log, except that replica 0 sometimes applies another command
          // in a command's place (same client and sequence number): from there its state may
          // differ from the others' in any part (a value in the history only, a session's result,
          // a lease's keys), and its texts must never be another replica's.
          const reps = [new KvStore(historyRevs), new KvStore(historyRevs), new KvStore(historyRevs)];
          let seq = 0;
          const cmdOf = (op: KvWriteOp | { op: 'expire'; id: number }, s: number): KvCommand => (op.op === 'expire' ? { kind: 'expire', lease: op.id } : { kind: 'client', client: `c${s % 3}`, seq: s, op });
          for (const [op, other, who, dice] of ops) {
            const s = ++seq;
            for (let i = 0; i < 3; i++) reps[i]!.apply(cmdOf(i === 0 && who === 0 ? other : op, s));
            const i = dice % 3;
            const r = reps[i]!;
            if (dice < 20) expect(r.snapshotJson()).toBe(JSON.stringify(r.snapshot()));
            // Now and then a replica restarts from its own snapshot (rarely: the history's array
            // must also grow long enough to drop its dead prefix).
            if (dice === 20) {
              reps[i] = KvStore.fromJson(r.snapshotJson(), historyRevs);
              // What a restore shares with the store that wrote the text is frozen, every record of it.
              const inside = reps[i] as unknown as { events: object[]; kvs: Map<string, object>; sessions: Map<string, object> };
              for (const x of [...inside.events, ...inside.kvs.values(), ...inside.sessions.values()]) expect(Object.isFrozen(x)).toBe(true);
            }
            if (dice === 21) reps[i] = KvStore.restore(JSON.parse(JSON.stringify(r.snapshot())), historyRevs);
          }
          for (const r of reps) expect(r.snapshotJson()).toBe(JSON.stringify(r.snapshot()));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a replica at the same state gets the very text another built; one whose history differs in one value does not', () => {
    const a = new KvStore(4);
    const b = new KvStore(4);
    const c = new KvStore(4);
    for (let i = 0; i < 31; i++) {
      const cmd: KvCommand = { kind: 'client', client: `c${i % 2}`, seq: i + 1, op: { op: 'put', key: `k${i % 3}`, value: `${i}` } };
      a.apply(cmd);
      b.apply(cmd);
      // c writes another value at i = 27 (key k0, overwritten at i = 30): only its history differs.
      c.apply(i === 27 ? { ...cmd, op: { op: 'put', key: 'k0', value: 'xx' } } : cmd);
    }
    const before = { ...snapshotTextStats };
    const ta = a.snapshotJson();
    const tb = b.snapshotJson();
    expect(tb).toBe(ta);
    expect(snapshotTextStats.shared).toBe(before.shared + 1);
    const tc = c.snapshotJson();
    expect(tc).not.toBe(ta);
    expect(tc).toBe(JSON.stringify(c.snapshot()));
    expect(snapshotTextStats.built).toBe(before.built + 2);
    // Same length, revision, keys and sessions: only the history's event by event comparison tells.
    expect(tc.length).toBe(ta.length);
    expect(c.snapshot().kvs).toEqual(a.snapshot().kvs);
    expect(c.snapshot().sessions).toEqual(a.snapshot().sessions);
  });
});
