/**
 * The checker itself: budgets and time limits that end in 'unknown' instead of hanging, option and
 * history validation, nondeterministic models, the event-list form, and that what it returns can
 * be trusted: a found linearization is valid, and a reported violation is minimal.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Budget } from './budget.ts';
import { checkHistory } from './checker.ts';
import { CheckerOptionError, InvalidHistoryError } from './errors.ts';
import { eventsToHistory } from './events.ts';
import { hashPrimitive } from './hash.ts';
import { loadHistoryFile } from '../../cli/history-file.ts';
import { etcdModel, type EtcdInput, type EtcdOutput } from './models/etcd.ts';
import { searchPartition } from './search.ts';
import type { History, Model, Operation } from './types.ts';
import { SeededRng } from '../../sim/prng.ts';

const DATA_DIR = fileURLToPath(new URL('../../../shared/porcupine-data/', import.meta.url));
const etcdFile = (n: string): History<EtcdInput, EtcdOutput> => {
  const loaded = loadHistoryFile(`${DATA_DIR}jepsen/etcd_${n}.log`, 'etcd');
  if (loaded.model !== 'etcd') throw new Error('expected an etcd history');
  return loaded.history;
};
/**
 * A long single-register history with ~5% of writes timing out (unknown outcome, pending forever),
 * valid except, if `corrupt`, for its last read. Proving the corrupted one non-linearizable means
 * exhausting every placement of the pending writes over a thousand operations: far beyond the
 * default budget, so a good case for budgets and time limits.
 */
function longRegisterHistory(n: number, corrupt: boolean): Operation<EtcdInput, EtcdOutput>[] {
  const rng = new SeededRng(1, 'long-register');
  let reg: number | null = null;
  const h: Operation<EtcdInput, EtcdOutput>[] = [];
  for (let i = 0; i < n; i++) {
    const at = 100 * (i + 1);
    const callNs = at - rng.int(0, 300);
    const returnNs = at + rng.int(0, 300);
    const kind = rng.int(0, 2);
    if (kind === 0) h.push({ clientId: i % 5, input: { op: 'read' }, output: { value: reg }, callNs, returnNs });
    else if (kind === 1) {
      const value = rng.int(0, 5);
      reg = value;
      h.push({ clientId: i % 5, input: { op: 'write', value }, output: {}, callNs, returnNs: rng.chance(0.05) ? Infinity : returnNs });
    } else {
      const from = rng.int(0, 5);
      const to = rng.int(0, 5);
      const ok = reg === from;
      if (ok) reg = to;
      h.push({ clientId: i % 5, input: { op: 'cas', from, to }, output: { ok }, callNs, returnNs });
    }
  }
  const last = h.findLastIndex((o) => o.input.op === 'read');
  if (corrupt) h[last] = { ...h[last]!, output: { value: 99 } };
  return h;
}
const HARD = longRegisterHistory(1000, true);

/** Independent validation of a linearization: real-time order respected and every reply explained. */
function isValidLinearization<S, I, O>(model: Model<S, I, O>, ops: History<I, O>, order: readonly number[]): boolean {
  const placed = new Set(order);
  for (let i = 0; i < ops.length; i++) if (ops[i]!.returnNs !== Infinity && !placed.has(i)) return false;
  for (let a = 0; a < order.length; a++) {
    for (let b = a + 1; b < order.length; b++) if (ops[order[b]!]!.returnNs < ops[order[a]!]!.callNs) return false;
  }
  let state = model.init();
  for (const i of order) {
    const o = ops[i]!;
    const r = model.step(state, o.input, o.returnNs === Infinity ? undefined : o.output);
    if (!r.ok || !('state' in r)) return false;
    state = r.state;
  }
  return true;
}

describe('checkHistory budgets', () => {
  it('answers unknown when the step budget runs out, and never exceeds it by much', () => {
    const r = checkHistory(etcdModel, HARD, { maxSteps: 1000 });
    expect(r.result).toBe('unknown');
    expect(r.unknownReason).toBe('step-budget');
    expect(r.steps).toBeLessThanOrEqual(1001);
    expect(checkHistory(etcdModel, longRegisterHistory(1000, false)).result).toBe('linearizable');
  });

  it('answers unknown on a timeout measured by the caller-supplied clock', () => {
    let nowMs = 0;
    const clock = (): number => (nowMs += 1); // every reading advances 1 ms
    const r = checkHistory(etcdModel, HARD, { timeoutMs: 50, clock });
    expect(r.result).toBe('unknown');
    expect(r.unknownReason).toBe('timeout');
    expect(nowMs).toBeGreaterThanOrEqual(50);
  });

  it('proves a 300-operation history with timed-out writes non-linearizable within budget', () => {
    // Subsumption of unknown-outcome operations in the memo keeps this small (see MemoTable).
    const h = longRegisterHistory(300, true);
    const r = checkHistory(etcdModel, h, { maxSteps: 5_000_000 });
    expect(r.result).toBe('not');
    expect(r.violation!.lastOp).toBe(h.findLastIndex((o) => o.input.op === 'read'));
  });

  it('answers unknown instead of exhausting memory', () => {
    const r = checkHistory(etcdModel, HARD, { maxMemoEntries: 1000 });
    expect(r).toMatchObject({ result: 'unknown', unknownReason: 'memory' });
    expect(r.steps).toBeGreaterThan(1000);
  });

  it('answers unknown when aborted', () => {
    const ac = new AbortController();
    ac.abort();
    const r = checkHistory(etcdModel, HARD, { signal: ac.signal });
    expect(r).toMatchObject({ result: 'unknown', unknownReason: 'aborted' });
  });

  it('rejects a timeout without a clock, and nonsense budgets', () => {
    expect(() => checkHistory(etcdModel, HARD, { timeoutMs: 100 })).toThrow(CheckerOptionError);
    expect(() => new Budget({ maxSteps: -1 })).toThrow(CheckerOptionError);
    expect(() => new Budget({ maxMemoEntries: 0 })).toThrow(CheckerOptionError);
  });
});

describe('checkHistory input validation', () => {
  const read = (callNs: number, returnNs: number): Operation<EtcdInput, EtcdOutput> => ({
    clientId: 0,
    input: { op: 'read' },
    output: { value: null },
    callNs,
    returnNs,
  });
  it('rejects replies before invocations and infinite invocations', () => {
    expect(() => checkHistory(etcdModel, [read(5, 4)])).toThrow(InvalidHistoryError);
    expect(() => checkHistory(etcdModel, [read(Infinity, Infinity)])).toThrow(InvalidHistoryError);
    expect(checkHistory(etcdModel, [read(5, 5)]).result).toBe('linearizable');
  });
  it('accepts the empty history', () => {
    expect(checkHistory(etcdModel, [])).toMatchObject({ result: 'linearizable', operations: 0, partitions: 0 });
  });
});

describe('nondeterministic models', () => {
  // A coin: `flip` leaves it heads or tails (the model cannot tell which); `look` reads it.
  type Coin = 'heads' | 'tails' | 'unflipped';
  const coin: Model<Coin, { op: 'flip' } | { op: 'look' }, { side?: Coin }> = {
    name: 'coin',
    init: () => 'unflipped',
    step: (s, input, output) => {
      if (input.op === 'flip') return { ok: true, states: ['heads', 'tails'] };
      return output === undefined || output.side === s ? { ok: true, state: s } : { ok: false };
    },
    equal: (a, b) => a === b,
    hash: hashPrimitive,
  };
  const flip = (c: number, r: number) => ({ clientId: 0, input: { op: 'flip' } as const, output: {}, callNs: c, returnNs: r });
  const look = (c: number, r: number, side: Coin) => ({ clientId: 1, input: { op: 'look' } as const, output: { side }, callNs: c, returnNs: r });
  it('tries every state a step may lead to', () => {
    expect(checkHistory(coin, [flip(0, 1), look(2, 3, 'tails'), look(4, 5, 'tails')]).result).toBe('linearizable');
    expect(checkHistory(coin, [flip(0, 1), look(2, 3, 'heads'), flip(4, 5), look(6, 7, 'tails')]).result).toBe('linearizable');
    expect(checkHistory(coin, [flip(0, 1), look(2, 3, 'heads'), look(4, 5, 'tails')]).result).toBe('not');
    expect(checkHistory(coin, [look(0, 1, 'heads')]).result).toBe('not');
  });
});

describe('event-list histories', () => {
  it('converts calls and returns by position, leaving unreturned calls unknown', () => {
    const h = eventsToHistory<EtcdInput, EtcdOutput>([
      { kind: 'call', id: 7, clientId: 0, input: { op: 'write', value: 1 } },
      { kind: 'call', id: 8, clientId: 1, input: { op: 'read' } },
      { kind: 'return', id: 8, output: { value: 1 } },
    ]);
    expect(h.map((o) => [o.callNs, o.returnNs])).toEqual([[0, Infinity], [1, 2]]);
    expect(checkHistory(etcdModel, h).result).toBe('linearizable');
    expect(() => eventsToHistory([{ kind: 'return', id: 1, output: {} }])).toThrow(InvalidHistoryError);
  });
});

describe('trustworthy answers', () => {
  it('returns valid linearizations for linearizable Jepsen histories', () => {
    for (const n of ['005', '018', '025']) {
      const h = etcdFile(n);
      const out = searchPartition(etcdModel, h, new Budget({}));
      expect(out.kind).toBe('ok');
      if (out.kind === 'ok') expect(isValidLinearization(etcdModel, h, out.linearization)).toBe(true);
    }
  });

  it('reports violations that are minimal prefixes (Jepsen histories)', () => {
    for (const n of ['000', '001', '003', '004', '006']) {
      const h = etcdFile(n);
      const v = checkHistory(etcdModel, h).violation!;
      expect(v.minimal).toBe(true);
      const prefix = (ops: readonly number[], pending: readonly number[]) =>
        ops.map((i) => (pending.includes(i) ? { ...h[i]!, returnNs: Infinity } : h[i]!));
      // The reported prefix fails...
      expect(checkHistory(etcdModel, prefix(v.operations, v.pendingOps)).result).toBe('not');
      // ...and without lastOp's reply (and anything invoked after it), it passes.
      const lastReturn = h[v.lastOp]!.returnNs;
      const shorter = v.operations.filter((i) => h[i]!.callNs < lastReturn);
      const pending = shorter.filter((i) => h[i]!.returnNs >= lastReturn);
      expect(checkHistory(etcdModel, prefix(shorter, pending)).result).toBe('linearizable');
      // The longest partial linearization is itself valid.
      const sub = v.longestPrefix.map((i) => h[i]!);
      expect(isValidLinearization(etcdModel, sub, sub.map((_, i) => i))).toBe(true);
    }
  });
});
