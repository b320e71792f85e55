/**
 * Hand-written histories for each model: linearizable and not, and operations of unknown outcome,
 * which may take effect late, or never, but not before they were invoked.
 */
import { describe, expect, it } from 'vitest';
import { checkHistory } from './checker.ts';
import { etcdModel, type EtcdInput, type EtcdOutput } from './models/etcd.ts';
import { kvModel, type KvInput, type KvOutput } from './models/kv.ts';
import { revisionedKvModel, type RkvInput, type RkvOutput } from './models/revisioned-kv.ts';
import type { Operation } from './types.ts';

const U = Infinity; // reply never seen: outcome unknown

function op<I, O>(callNs: number, returnNs: number, input: I, output?: O, clientId = 0): Operation<I, O> {
  return { clientId, input, output: returnNs === U ? undefined : output, callNs, returnNs };
}

describe('etcd model (one register)', () => {
  type E = Operation<EtcdInput, EtcdOutput>;
  const w = (c: number, r: number, value: number): E => op(c, r, { op: 'write', value }, {});
  const rd = (c: number, r: number, value: number | null): E => op(c, r, { op: 'read' }, { value });
  const cas = (c: number, r: number, from: number | null, to: number, ok?: boolean): E =>
    op(c, r, { op: 'cas', from, to }, ok === undefined ? undefined : { ok });
  const verdict = (h: E[]): string => checkHistory(etcdModel, h).result;

  it('starts nil; a read overlapping a write may see either value', () => {
    expect(verdict([rd(0, 1, null)])).toBe('linearizable');
    expect(verdict([rd(0, 1, 5)])).toBe('not');
    expect(verdict([w(0, 10, 1), rd(5, 15, 1)])).toBe('linearizable');
    expect(verdict([w(0, 10, 1), rd(5, 15, null)])).toBe('linearizable');
  });

  it('rejects a stale read after the write completed', () => {
    expect(verdict([w(0, 10, 1), rd(20, 30, null)])).toBe('not');
  });

  it('rejects a new-old inversion between two reads during one write', () => {
    // r1 sees the new value, then a later read (starting after r1 returned) sees the old one.
    expect(verdict([w(0, 100, 1), rd(10, 20, 1), rd(30, 40, null)])).toBe('not');
    expect(verdict([w(0, 100, 1), rd(10, 20, null), rd(30, 40, 1)])).toBe('linearizable');
  });

  it('judges cas replies, including definite failures', () => {
    expect(verdict([w(0, 1, 1), cas(2, 3, 1, 2, true), rd(4, 5, 2)])).toBe('linearizable');
    expect(verdict([w(0, 1, 1), cas(2, 3, 1, 2, false)])).toBe('not'); // it held 1, so cas must succeed
    expect(verdict([w(0, 1, 1), cas(2, 3, 7, 2, false), rd(4, 5, 1)])).toBe('linearizable');
    expect(verdict([w(0, 1, 1), cas(2, 3, 7, 2, true)])).toBe('not');
  });

  it('lets a write of unknown outcome take effect late, or never', () => {
    expect(verdict([w(0, U, 1), rd(5, 6, null), rd(10, 11, 1)])).toBe('linearizable'); // late
    expect(verdict([w(0, U, 1), rd(5, 6, null), rd(10, 11, null)])).toBe('linearizable'); // never
    expect(verdict([w(0, U, 1), rd(5, 6, 1), rd(10, 11, null)])).toBe('not'); // it cannot be undone
    expect(verdict([rd(0, 1, 1), w(5, U, 1)])).toBe('not'); // nor take effect before its call
  });

  it('applies a cas of unknown outcome only if it would succeed', () => {
    expect(verdict([w(0, 1, 1), cas(2, U, 1, 2), rd(5, 6, 2)])).toBe('linearizable');
    expect(verdict([w(0, 1, 1), cas(2, U, 3, 2), rd(5, 6, 2)])).toBe('not');
    expect(verdict([w(0, 1, 1), cas(2, U, 1, 2), rd(5, 6, 2), rd(7, 8, 1)])).toBe('not');
  });

  it('reports the minimal failing prefix and the reply that cannot be explained', () => {
    const h = [w(0, 10, 1), rd(20, 30, 1), w(40, 50, 2), rd(60, 70, 1), rd(80, 90, 2)];
    const r = checkHistory(etcdModel, h);
    expect(r.result).toBe('not');
    expect(r.violation!.lastOp).toBe(3);
    expect(r.violation!.operations).toEqual([0, 1, 2, 3]);
    expect(r.violation!.longestPrefix).toEqual([0, 1, 2]);
    expect(r.violation!.blockedCandidates).toEqual([3]);
    expect(r.violation!.description.join('\n')).toContain('#3');
  });
});

describe('kv model', () => {
  type K = Operation<KvInput, KvOutput>;
  const get = (c: number, r: number, key: string, value: string): K => op(c, r, { op: 'get', key }, { value });
  const put = (c: number, r: number, key: string, value: string): K => op(c, r, { op: 'put', key, value }, {});
  const app = (c: number, r: number, key: string, value: string): K => op(c, r, { op: 'append', key, value }, {});
  const verdict = (h: K[]): string => checkHistory(kvModel, h).result;

  it('reads "" for a missing key, then what was put and appended', () => {
    expect(verdict([get(0, 1, 'x', '')])).toBe('linearizable');
    expect(verdict([put(0, 1, 'x', 'a'), app(2, 3, 'x', 'b'), get(4, 5, 'x', 'ab'), get(6, 7, 'y', '')])).toBe('linearizable');
    expect(verdict([put(0, 1, 'x', 'a'), app(2, 3, 'x', 'b'), get(4, 5, 'x', 'ba')])).toBe('not');
    expect(verdict([put(0, 1, 'x', 'a'), get(2, 3, 'y', 'a')])).toBe('not');
  });

  it('orders concurrent appends either way, but consistently', () => {
    expect(verdict([app(0, 10, 'x', 'a'), app(0, 10, 'x', 'b'), get(20, 21, 'x', 'ba')])).toBe('linearizable');
    expect(verdict([app(0, 10, 'x', 'a'), app(0, 10, 'x', 'b'), get(20, 21, 'x', 'ab'), get(22, 23, 'x', 'ba')])).toBe('not');
  });

  it('partitions by key and names the failing partition', () => {
    const h = [put(0, 1, 'x', 'a'), put(0, 1, 'y', 'b'), get(2, 3, 'x', 'a'), get(2, 3, 'y', 'zzz')];
    const r = checkHistory(kvModel, h);
    expect(r.partitions).toBe(2);
    expect(r.result).toBe('not');
    expect(r.violation!.partitionIndex).toBe(1); // groups in order of first appearance: x, y
    expect(r.violation!.operations).toEqual([1, 3]);
    // Unpartitioned, the same history is still not linearizable.
    expect(checkHistory(kvModel, h, { partition: false }).result).toBe('not');
    expect(checkHistory(kvModel, h, { partition: false }).partitions).toBe(1);
  });

  it('lets an append of unknown outcome land late or never', () => {
    expect(verdict([put(0, 1, 'x', 'a'), app(2, U, 'x', 'b'), get(5, 6, 'x', 'a'), get(7, 8, 'x', 'ab')])).toBe('linearizable');
    expect(verdict([put(0, 1, 'x', 'a'), app(2, U, 'x', 'b'), get(5, 6, 'x', 'a')])).toBe('linearizable');
    expect(verdict([put(0, 1, 'x', 'a'), app(2, U, 'x', 'b'), get(5, 6, 'x', 'ab'), get(7, 8, 'x', 'a')])).toBe('not');
  });

  it('treats an empty value as absent', () => {
    expect(verdict([put(0, 1, 'x', 'a'), put(2, 3, 'x', ''), get(4, 5, 'x', '')])).toBe('linearizable');
  });
});

describe('revisioned-kv model', () => {
  type R = Operation<RkvInput, RkvOutput>;
  const get = (c: number, r: number, key: string, value: string | null, version?: number): R =>
    op(c, r, { op: 'get', key }, version === undefined ? { value } : { value, version });
  const put = (c: number, r: number, key: string, value: string, version?: number): R =>
    op(c, r, { op: 'put', key, value }, version === undefined ? {} : { version });
  const del = (c: number, r: number, key: string, existed?: boolean): R => op(c, r, { op: 'delete', key }, existed === undefined ? {} : { existed });
  const cas = (c: number, r: number, key: string, value: string, cond: { expectedValue?: string | null; expectedVersion?: number }, ok?: boolean): R =>
    op(c, r, { op: 'cas', key, value, ...cond }, ok === undefined ? undefined : { ok });
  const verdict = (h: R[]): string => checkHistory(revisionedKvModel, h).result;

  it('counts versions per key and resets them on delete', () => {
    expect(verdict([get(0, 1, 'k', null, 0), put(2, 3, 'k', 'a', 1), put(4, 5, 'k', 'b', 2), get(6, 7, 'k', 'b', 2)])).toBe('linearizable');
    expect(verdict([put(0, 1, 'k', 'a'), put(2, 3, 'k', 'b'), get(4, 5, 'k', 'b', 1)])).toBe('not');
    expect(verdict([put(0, 1, 'k', 'a'), del(2, 3, 'k', true), get(4, 5, 'k', null, 0), put(6, 7, 'k', 'c', 1)])).toBe('linearizable');
    expect(verdict([del(0, 1, 'k', true)])).toBe('not');
  });

  it('judges cas by expected value and version', () => {
    const base = [put(0, 1, 'k', 'a')];
    expect(verdict([...base, cas(2, 3, 'k', 'b', { expectedValue: 'a' }, true), get(4, 5, 'k', 'b', 2)])).toBe('linearizable');
    expect(verdict([...base, cas(2, 3, 'k', 'b', { expectedVersion: 1 }, false)])).toBe('not');
    expect(verdict([...base, cas(2, 3, 'k', 'b', { expectedVersion: 2 }, false), get(4, 5, 'k', 'a')])).toBe('linearizable');
    expect(verdict([cas(0, 1, 'k', 'b', { expectedValue: null }, true), get(2, 3, 'k', 'b', 1)])).toBe('linearizable');
  });

  it('applies unknown outcomes late or never, keyed independently', () => {
    expect(verdict([put(0, U, 'k', 'a'), get(2, 3, 'k', null), get(4, 5, 'k', 'a', 1), get(4, 5, 'j', null)])).toBe('linearizable');
    expect(verdict([put(0, U, 'k', 'a'), get(2, 3, 'k', 'a'), get(4, 5, 'k', null)])).toBe('not');
    expect(checkHistory(revisionedKvModel, [put(0, 1, 'a', 'x'), put(0, 1, 'b', 'y')]).partitions).toBe(2);
  });
});
