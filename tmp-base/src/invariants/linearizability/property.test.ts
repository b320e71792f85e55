/**
 * Properties: a history produced by really executing operations one at a time (each at an instant
 * inside its [call, return] interval, with random overlap between operations) is linearizable;
 * corrupting one read to a value never written makes it not. Some operations have unknown outcomes:
 * they took effect at their instant, or never.
 *
 * The executions use small reference implementations written here, independent of the models.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkHistory } from './checker.ts';
import { etcdModel, type EtcdInput, type EtcdOutput } from './models/etcd.ts';
import { kvModel, type KvInput, type KvOutput } from './models/kv.ts';
import { revisionedKvModel, type RkvInput, type RkvOutput } from './models/revisioned-kv.ts';
import type { Model, Operation } from './types.ts';

/** How one generated operation is timed and whether its reply was seen. */
interface Timing {
  readonly leadNs: number;
  readonly lagNs: number;
  /** Reply lost: outcome unknown. */
  readonly lost: boolean;
  /** For a lost reply: whether it took effect anyway. */
  readonly tookEffect: boolean;
}

const timingArb: fc.Arbitrary<Timing> = fc.record({
  leadNs: fc.integer({ min: 0, max: 250 }),
  lagNs: fc.integer({ min: 0, max: 250 }),
  lost: fc.integer({ min: 0, max: 7 }).map((x) => x === 0),
  tookEffect: fc.boolean(),
});

/** Operation i takes effect at 100*(i+1) ns; its interval contains that instant. */
function execute<St, I, O>(
  init: St,
  apply: (state: St, input: I) => [St, O],
  steps: readonly { input: I; timing: Timing }[],
): Operation<I, O>[] {
  let state = init;
  return steps.map(({ input, timing }, i) => {
    const atNs = 100 * (i + 1);
    const callNs = atNs - timing.leadNs;
    if (timing.lost && !timing.tookEffect) return { clientId: i % 5, input, output: undefined, callNs, returnNs: Infinity };
    const [next, output] = apply(state, input);
    state = next;
    return { clientId: i % 5, input, output: timing.lost ? undefined : output, callNs, returnNs: timing.lost ? Infinity : atNs + timing.lagNs };
  });
}

function corruptOneRead<I, O>(h: Operation<I, O>[], pick: number, isRead: (i: I) => boolean, bad: O): Operation<I, O>[] | null {
  const reads = h.flatMap((o, i) => (isRead(o.input) && o.returnNs !== Infinity ? [i] : []));
  if (reads.length === 0) return null;
  const target = reads[pick % reads.length]!;
  return h.map((o, i) => (i === target ? { ...o, output: bad } : o));
}

function checkProperty<S, I, O>(model: Model<S, I, O>, h: Operation<I, O>[], corrupted: Operation<I, O>[] | null): void {
  expect(checkHistory(model, h).result).toBe('linearizable');
  if (corrupted !== null) expect(checkHistory(model, corrupted).result).toBe('not');
}

const RUNS = Number(process.env.LIN_PROPERTY_RUNS ?? 150);

describe('generated sequential executions', () => {
  it('etcd register', () => {
    const inputArb: fc.Arbitrary<EtcdInput> = fc.oneof(
      fc.constant({ op: 'read' as const }),
      fc.record({ op: fc.constant('write' as const), value: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ op: fc.constant('cas' as const), from: fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 3 })), to: fc.integer({ min: 0, max: 3 }) }),
    );
    const apply = (s: number | null, input: EtcdInput): [number | null, EtcdOutput] => {
      if (input.op === 'read') return [s, { value: s }];
      if (input.op === 'write') return [input.value as number, {}];
      return s === input.from ? [input.to as number, { ok: true }] : [s, { ok: false }];
    };
    fc.assert(
      fc.property(fc.array(fc.record({ input: inputArb, timing: timingArb }), { maxLength: 30 }), fc.nat(), (steps, pick) => {
        const h = execute<number | null, EtcdInput, EtcdOutput>(null, apply, steps);
        checkProperty(etcdModel, h, corruptOneRead(h, pick, (i) => i.op === 'read', { value: 99 }));
      }),
      { numRuns: RUNS },
    );
  });

  it('kv map (get / put / append)', () => {
    const key = fc.constantFrom('a', 'b', 'c');
    const val = fc.constantFrom('x', 'y', 'z', 'xy');
    const inputArb: fc.Arbitrary<KvInput> = fc.oneof(
      fc.record({ op: fc.constant('get' as const), key }),
      fc.record({ op: fc.constantFrom('put' as const, 'append' as const), key, value: val }),
    );
    const apply = (s: ReadonlyMap<string, string>, input: KvInput): [ReadonlyMap<string, string>, KvOutput] => {
      const cur = s.get(input.key) ?? '';
      if (input.op === 'get') return [s, { value: cur }];
      const next = new Map(s);
      next.set(input.key, input.op === 'put' ? input.value : cur + input.value);
      return [next, {}];
    };
    fc.assert(
      fc.property(fc.array(fc.record({ input: inputArb, timing: timingArb }), { maxLength: 40 }), fc.nat(), fc.boolean(), (steps, pick, partition) => {
        const h = execute<ReadonlyMap<string, string>, KvInput, KvOutput>(new Map(), apply, steps);
        const corrupted = corruptOneRead(h, pick, (i) => i.op === 'get', { value: '#' });
        expect(checkHistory(kvModel, h, { partition }).result).toBe('linearizable');
        if (corrupted !== null) expect(checkHistory(kvModel, corrupted, { partition }).result).toBe('not');
      }),
      { numRuns: RUNS },
    );
  });

  it('revisioned kv (get / put / delete / cas with versions)', () => {
    const key = fc.constantFrom('a', 'b');
    const val = fc.constantFrom('x', 'y');
    const inputArb: fc.Arbitrary<RkvInput> = fc.oneof(
      fc.record({ op: fc.constant('get' as const), key }),
      fc.record({ op: fc.constant('put' as const), key, value: val }),
      fc.record({ op: fc.constant('delete' as const), key }),
      fc.record({ op: fc.constant('cas' as const), key, value: val, expectedVersion: fc.integer({ min: 0, max: 3 }) }),
    );
    type Cell = { value: string; version: number };
    const apply = (s: ReadonlyMap<string, Cell>, input: RkvInput): [ReadonlyMap<string, Cell>, RkvOutput] => {
      const cur = s.get(input.key);
      const next = new Map(s);
      switch (input.op) {
        case 'get':
          return [s, { value: cur?.value ?? null, version: cur?.version ?? 0 }];
        case 'put':
          next.set(input.key, { value: input.value, version: (cur?.version ?? 0) + 1 });
          return [next, { version: (cur?.version ?? 0) + 1 }];
        case 'delete':
          next.delete(input.key);
          return [next, { existed: cur !== undefined }];
        case 'cas':
          if ((cur?.version ?? 0) !== input.expectedVersion) return [s, { ok: false }];
          next.set(input.key, { value: input.value, version: (cur?.version ?? 0) + 1 });
          return [next, { ok: true, version: (cur?.version ?? 0) + 1 }];
      }
    };
    fc.assert(
      fc.property(fc.array(fc.record({ input: inputArb, timing: timingArb }), { maxLength: 30 }), fc.nat(), (steps, pick) => {
        const h = execute<ReadonlyMap<string, Cell>, RkvInput, RkvOutput>(new Map(), apply, steps);
        checkProperty(revisionedKvModel, h, corruptOneRead(h, pick, (i) => i.op === 'get', { value: '#', version: 0 }));
      }),
      { numRuns: RUNS },
    );
  });
});
