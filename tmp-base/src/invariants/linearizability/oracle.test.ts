/**
 * The checker against brute force on small arbitrary histories (not only valid ones): every order
 * of every subset of operations that includes all known-outcome ones, checked for real-time order
 * and against the model. This is what guards the search's shortcuts (memoisation, subsumption of
 * unknown-outcome operations, the known-first scan order) against unsoundness.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkHistory } from './checker.ts';
import { etcdModel, type EtcdInput, type EtcdOutput, type RegisterValue } from './models/etcd.ts';
import type { Operation } from './types.ts';

type Op = Operation<EtcdInput, EtcdOutput>;

function bruteForceLinearizable(ops: readonly Op[]): boolean {
  const n = ops.length;
  const used = new Array<boolean>(n).fill(false);
  const order: number[] = [];
  const search = (state: RegisterValue): boolean => {
    if (ops.every((o, i) => used[i] || o.returnNs === Infinity)) return true;
    for (let i = 0; i < n; i++) {
      if (used[i]) continue;
      // i may come next only if no unplaced known-outcome op returned before i was called.
      if (ops.some((o, j) => !used[j] && j !== i && o.returnNs < ops[i]!.callNs)) continue;
      const o = ops[i]!;
      const r = etcdModel.step(state, o.input, o.returnNs === Infinity ? undefined : o.output);
      if (!r.ok || !('state' in r)) continue;
      used[i] = true;
      order.push(i);
      if (search(r.state)) return true;
      used[i] = false;
      order.pop();
    }
    return false;
  };
  return search(null);
}

const value = fc.integer({ min: 0, max: 2 });
const opArb: fc.Arbitrary<Op> = fc
  .record({
    kind: fc.constantFrom('read', 'write', 'cas'),
    a: value,
    b: value,
    readValue: fc.option(value, { nil: null }),
    ok: fc.boolean(),
    callNs: fc.integer({ min: 0, max: 20 }),
    durNs: fc.integer({ min: 0, max: 10 }),
    unknown: fc.integer({ min: 0, max: 3 }).map((x) => x === 0),
  })
  .map(({ kind, a, b, readValue, ok, callNs, durNs, unknown }): Op => {
    const returnNs = unknown ? Infinity : callNs + durNs;
    if (kind === 'read') return { clientId: 0, input: { op: 'read' }, output: { value: readValue }, callNs, returnNs };
    if (kind === 'write') return { clientId: 0, input: { op: 'write', value: a }, output: {}, callNs, returnNs };
    return { clientId: 0, input: { op: 'cas', from: a, to: b }, output: { ok }, callNs, returnNs };
  });

describe('checker vs brute force (etcd register)', () => {
  it('agrees on random small histories, with unknown outcomes', () => {
    let nots = 0;
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 7 }), (ops) => {
        const expected = bruteForceLinearizable(ops) ? 'linearizable' : 'not';
        if (expected === 'not') nots++;
        expect(checkHistory(etcdModel, ops).result).toBe(expected);
      }),
      { numRuns: Number(process.env.LIN_PROPERTY_RUNS ?? 400) },
    );
    expect(nots).toBeGreaterThan(0); // the generator does produce violations
  });
});
