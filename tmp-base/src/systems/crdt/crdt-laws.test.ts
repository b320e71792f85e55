// Lattice laws and delta guarantees for every correct CRDT type (Almeida et al. 2018, sections
// 2-4: a delta-state CRDT is a join-semilattice whose mutators return join-irreducible deltas;
// joining every delta equals joining every full state, in any order, with duplicates).
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GCounter, type GCounterData } from './g-counter.ts';
import { GSet, type GSetData } from './g-set.ts';
import { Hlc } from './hlc.ts';
import { type LawReplica, type LawSubject, checkLaws, historyArb } from './laws-harness.ts';
import { LwwMap, type LwwMapData } from './lww-map.ts';
import { LwwRegister, type LwwRegisterData } from './lww-register.ts';
import { MVRegister, type MVRegisterData } from './mv-register.ts';
import { ORSet, type ORSetData } from './or-set.ts';
import { PNCounter, type PNCounterData } from './pn-counter.ts';
import { Rga, type RgaData } from './rga.ts';

const RUNS = 150;

function lawProperty<D, V, Op>(s: LawSubject<D, V, Op>): void {
  fc.assert(
    fc.property(historyArb(s.op), fc.integer(), fc.integer(), (steps, a, b) => {
      const r = checkLaws(s, steps, a, b, isDeepStrictEqual);
      if (!r.ok) throw new Error(`${r.law} broken:\n${String(JSON.stringify(r.left, replacer))}\n!=\n${String(JSON.stringify(r.right, replacer))}`);
    }),
    { numRuns: RUNS },
  );
}

function replacer(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return `${v}n`;
  if (v instanceof Map) return [...v.entries()];
  if (v instanceof Set) return [...v];
  return v;
}

/** Skew of each replica's physical clock, ns: r1 runs 5 ms behind, r2 3 ms ahead. */
const SKEW_NS: Record<string, number> = { r0: 0, r1: -5_000_000, r2: 3_000_000, observer: 0 };

/** A node with an HLC and a skewed physical clock around a CRDT that needs timestamps. */
class TimedNode<C extends { merge(d: D): void; value(): V; toData(): D }, D, V> implements LawReplica<D, V> {
  readonly hlc = new Hlc();
  physicalNs: number;
  constructor(
    readonly crdt: C,
    readonly replicaId: string,
    private readonly maxTs: (c: C) => { l: number; c: number } | undefined,
  ) {
    this.physicalNs = 10_000_000 + (SKEW_NS[replicaId] ?? 0);
    const t = maxTs(crdt);
    if (t !== undefined) this.hlc.update(t, this.physicalNs);
  }
  tick(advanceNs: number): { l: number; c: number } {
    this.physicalNs += advanceNs;
    return this.hlc.now(this.physicalNs);
  }
  merge(d: D): void {
    this.crdt.merge(d);
    const t = this.maxTs(this.crdt);
    if (t !== undefined) this.hlc.update(t, this.physicalNs);
  }
  value(): V {
    return this.crdt.value();
  }
  toData(): D {
    return this.crdt.toData();
  }
}

describe('CRDT lattice laws and delta guarantees (fast-check)', () => {
  it('G-Counter', () => {
    lawProperty<GCounterData, bigint, bigint>({
      make: (id, d) => new GCounter(id, d),
      apply: (r, by) => (r as GCounter).increment(by),
      op: fc.bigInt(0n, 1n << 80n),
    });
  });

  it('PN-Counter', () => {
    lawProperty<PNCounterData, bigint, bigint>({
      make: (id, d) => new PNCounter(id, d),
      apply: (r, by) => (r as PNCounter).add(by),
      op: fc.bigInt(-(1n << 80n), 1n << 80n),
    });
  });

  it('G-Set', () => {
    lawProperty<GSetData<string>, string[], number>({
      make: (id, d) => new GSet<string>(id, d),
      apply: (r, e) => (r as GSet<string>).add(`e${e}`),
      op: fc.integer({ min: 0, max: 6 }),
    });
  });

  it('OR-Set', () => {
    lawProperty<ORSetData<string>, string[], { add: boolean; e: number }>({
      make: (id, d) => new ORSet<string>(id, d),
      apply: (r, o) => (o.add ? (r as ORSet<string>).add(`e${o.e}`) : (r as ORSet<string>).remove(`e${o.e}`)),
      op: fc.record({ add: fc.boolean(), e: fc.integer({ min: 0, max: 3 }) }),
    });
  });

  it('MV-Register', () => {
    lawProperty<MVRegisterData<number>, number[], number>({
      make: (id, d) => new MVRegister<number>(id, d),
      apply: (r, v) => (r as MVRegister<number>).write(v),
      op: fc.integer({ min: 0, max: 9 }),
    });
  });

  it('LWW-Register on HLC with skewed clocks', () => {
    type N = TimedNode<LwwRegister<number>, LwwRegisterData<number>, number | undefined>;
    lawProperty<LwwRegisterData<number>, number | undefined, { v: number; dt: number }>({
      make: (id, d) => new TimedNode(new LwwRegister<number>(id, d), id, (c) => c.timestamp()),
      apply: (r, o) => {
        const n = r as N;
        return n.crdt.set(o.v, n.tick(o.dt));
      },
      op: fc.record({ v: fc.integer({ min: 0, max: 9 }), dt: fc.integer({ min: 0, max: 2_000_000 }) }),
    });
  });

  it('LWW map (user profile fields)', () => {
    type N = TimedNode<LwwMap<string>, LwwMapData<string>, Map<string, string>>;
    lawProperty<LwwMapData<string>, Map<string, string>, { del: boolean; f: number; v: number; dt: number }>({
      make: (id, d) => new TimedNode(new LwwMap<string>(id, d), id, (c) => c.maxTimestamp()),
      apply: (r, o) => {
        const n = r as N;
        const ts = n.tick(o.dt);
        return o.del ? n.crdt.delete(`f${o.f}`, ts) : n.crdt.set(`f${o.f}`, `v${o.v}`, ts);
      },
      op: fc.record({
        del: fc.boolean(),
        f: fc.integer({ min: 0, max: 3 }),
        v: fc.integer({ min: 0, max: 9 }),
        dt: fc.integer({ min: 0, max: 2_000_000 }),
      }),
    });
  });

  it('RGA text', () => {
    lawProperty<RgaData, string, { ins: boolean; pos: number; ch: string }>({
      make: (id, d) => new Rga(id, d),
      apply: (r, o) => {
        const g = r as Rga;
        const len = g.value().length;
        if (!o.ins && len > 0) return g.removeAt(o.pos % len);
        return g.insertAt(o.pos % (len + 1), o.ch);
      },
      op: fc.record({ ins: fc.boolean(), pos: fc.nat({ max: 50 }), ch: fc.constantFrom('a', 'b', 'c', 'é') }),
    });
  });

  it('the harness itself catches a broken law (sanity check)', () => {
    // A "join" that keeps the last state seen is not commutative; the harness must say so.
    const lastWins: LawSubject<{ v: number }, number, number> = {
      make: (_id, d) => {
        let cur = d ?? { v: 0 };
        return { merge: (x) => (cur = x), value: () => cur.v, toData: () => cur };
      },
      apply: (r, v) => {
        r.merge({ v });
        return { v };
      },
      op: fc.integer({ min: 1, max: 5 }),
    };
    const steps = [
      { kind: 'op' as const, replica: 0, op: 1 },
      { kind: 'op' as const, replica: 1, op: 2 },
    ];
    const r = checkLaws(lastWins, steps, 1, 2, isDeepStrictEqual);
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.law).toBe('commutativity');
  });
});
