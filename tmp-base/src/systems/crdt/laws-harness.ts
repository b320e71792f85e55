/**
 * Test support (not part of the public API): checks the join-semilattice laws and the delta
 * guarantees of a CRDT on random histories. A history is a list of local ops on three replicas
 * interleaved with full-state syncs between them; each op returns its delta.
 *
 * Checked, on the replicas' final states S0, S1, S2 and the list of every delta:
 *  - commutativity   S0 ⊔ S1 = S1 ⊔ S0
 *  - associativity   (S0 ⊔ S1) ⊔ S2 = S0 ⊔ (S1 ⊔ S2)
 *  - idempotence     S0 ⊔ S0 = S0
 *  - deltas          joining every delta (shuffled, some duplicated) = joining every full state
 *  - delivery order  two different delivery orders of the deltas give one value
 */
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { SeededRng } from '../../sim/prng.ts';
import type { ORSet } from './or-set.ts';
import { type VersionVector, vvMin } from './version-vector.ts';

/** A replica as the harness sees it: a CRDT plus whatever per-node state it needs (an Hlc...). */
export interface LawReplica<D, V> {
  merge(d: D): void;
  value(): V;
  toData(): D;
}

/** What a type supplies to be checked. */
export interface LawSubject<D, V, Op> {
  /** A new replica, optionally starting from a state. */
  make(replicaId: string, data?: D): LawReplica<D, V>;
  /** Applies a local op and returns its delta; ops are interpreted against the current state. */
  apply(r: LawReplica<D, V>, op: Op): D;
  /** Random local ops. */
  op: fc.Arbitrary<Op>;
}

type Step<Op> = { kind: 'op'; replica: number; op: Op } | { kind: 'sync'; from: number; to: number };

/** Runs a history and returns the final states and every delta, in generation order. */
export function runHistory<D, V, Op>(s: LawSubject<D, V, Op>, steps: Step<Op>[]): { states: D[]; deltas: D[] } {
  const rs = [0, 1, 2].map((i) => s.make(`r${i}`));
  const deltas: D[] = [];
  for (const st of steps) {
    if (st.kind === 'op') deltas.push(s.apply(rs[st.replica] as LawReplica<D, V>, st.op));
    else if (st.from !== st.to) (rs[st.to] as LawReplica<D, V>).merge((rs[st.from] as LawReplica<D, V>).toData());
  }
  return { states: rs.map((r) => r.toData()), deltas };
}

/** Arbitrary histories of up to `maxSteps` steps. */
export function historyArb<Op>(op: fc.Arbitrary<Op>, maxSteps = 30): fc.Arbitrary<Step<Op>[]> {
  const idx = fc.integer({ min: 0, max: 2 });
  const step: fc.Arbitrary<Step<Op>> = fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('op' as const), replica: idx, op }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('sync' as const), from: idx, to: idx }) },
  );
  return fc.array(step, { maxLength: maxSteps });
}

function joinAll<D, V, Op>(s: LawSubject<D, V, Op>, ds: readonly D[]): LawReplica<D, V> {
  const r = s.make('observer');
  for (const d of ds) r.merge(d);
  return r;
}

/** One delivery order of the deltas: shuffled, with about a quarter delivered twice. */
function deliveryOrder<D>(deltas: readonly D[], seed: number): D[] {
  const rng = new SeededRng(seed, 'delivery');
  const withDups = deltas.slice();
  for (const d of deltas) if (rng.chance(0.25)) withDups.push(d);
  return rng.shuffle(withDups);
}

/** The outcome of one law check: which law failed, if any, with both sides. */
export type LawResult = { ok: true } | { ok: false; law: string; left: unknown; right: unknown };

/** Checks every law on one history and two delivery seeds; `eq` compares data or values. */
export function checkLaws<D, V, Op>(
  s: LawSubject<D, V, Op>,
  steps: Step<Op>[],
  seedA: number,
  seedB: number,
  eq: (a: unknown, b: unknown) => boolean,
): LawResult {
  const { states, deltas } = runHistory(s, steps);
  const [s0, s1, s2] = states as [D, D, D];
  const fail = (law: string, left: unknown, right: unknown): LawResult => ({ ok: false, law, left, right });
  const m = (...ds: D[]): D => joinAll(s, ds).toData();

  let l: unknown = m(s0, s1);
  let r: unknown = m(s1, s0);
  if (!eq(l, r)) return fail('commutativity', l, r);
  l = m(m(s0, s1), s2);
  r = m(s0, m(s1, s2));
  if (!eq(l, r)) return fail('associativity', l, r);
  l = m(s0, s0);
  if (!eq(l, s0)) return fail('idempotence', l, s0);
  const full = joinAll(s, states);
  const viaA = joinAll(s, deliveryOrder(deltas, seedA));
  if (!eq(viaA.toData(), full.toData())) return fail('deltas equal full states', viaA.toData(), full.toData());
  const viaB = joinAll(s, deliveryOrder(deltas, seedB));
  if (!eq(viaA.value(), viaB.value())) return fail('delivery order', viaA.value(), viaB.value());
  return { ok: true };
}

/** One step of an OR-Set history with garbage collection. */
export type GcStep = { kind: 'add' | 'rm' | 'sync' | 'gc'; r: number; to: number; e: number };

/** Random OR-Set steps on three replicas and four elements. */
export const gcStepArb: fc.Arbitrary<GcStep> = fc.record({
  kind: fc.constantFrom<GcStep['kind']>('add', 'add', 'rm', 'sync', 'sync', 'gc'),
  r: fc.integer({ min: 0, max: 2 }),
  to: fc.integer({ min: 0, max: 2 }),
  e: fc.integer({ min: 0, max: 3 }),
});

/**
 * Runs one history twice, once with `collect` at the `gc` steps and once without, and says
 * whether the values agree at every step and after a full exchange. The stable vector of
 * replica i is the pointwise minimum over peers j of the version vector of the latest full state
 * i merged from j (its own vector for j = i): a matrix clock's row minimum.
 */
export function gcAgreesWithReference(make: (id: string) => ORSet<string>, steps: readonly GcStep[]): boolean {
  const gc = [0, 1, 2].map((i) => make(`r${i}`));
  const ref = [0, 1, 2].map((i) => make(`r${i}`));
  const heard: VersionVector[][] = [0, 1, 2].map(() => [0, 1, 2].map(() => new Map()));
  for (const s of steps) {
    const g = gc[s.r] as ORSet<string>;
    const f = ref[s.r] as ORSet<string>;
    if (s.kind === 'add') {
      g.add(`e${s.e}`);
      f.add(`e${s.e}`);
    } else if (s.kind === 'rm') {
      g.remove(`e${s.e}`);
      f.remove(`e${s.e}`);
    } else if (s.kind === 'sync' && s.r !== s.to) {
      const sent = g.toData();
      (gc[s.to] as ORSet<string>).merge(sent);
      (ref[s.to] as ORSet<string>).merge(f.toData());
      (heard[s.to] as VersionVector[])[s.r] = new Map(sent.context.vv);
    } else if (s.kind === 'gc') {
      const rows = (heard[s.r] as VersionVector[]).map((v, j) => (j === s.r ? g.versionVector() : v));
      g.collect(vvMin(rows));
    }
    if (!isDeepStrictEqual(g.value(), f.value())) return false;
  }
  for (const set of [gc, ref]) for (let k = 0; k < 2; k++) for (const x of set) for (const y of set) y.merge(x.toData());
  return isDeepStrictEqual(gc[0]?.value(), ref[0]?.value()) && isDeepStrictEqual(gc[0]?.value(), gc[2]?.value());
}
