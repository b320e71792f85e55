/**
 * Messages between nodes are copies made at send time, so a node can never touch another node's
 * memory. `structuredClone` would do, but it is several times slower than a walk specialised to
 * the plain data messages are made of, and message copying is on the hot path of every run.
 *
 * Supported: primitives (including bigint), arrays, plain objects, Map, Set, Uint8Array, and
 * frozen objects (returned as they are: immutable data needs no copy). Anything else (functions,
 * class instances with behaviour, symbols) is a bug in the sender: a message must be data.
 */
import { AssertionError } from './assert.ts';

export function deepCopy<T>(value: T): T {
  return copy(value, 0) as T;
}

function copy(v: unknown, depth: number): unknown {
  if (v === null || typeof v !== 'object') {
    if (typeof v === 'function' || typeof v === 'symbol') {
      throw new AssertionError(`a message must be plain data, but it holds a ${typeof v}`);
    }
    return v;
  }
  if (depth > 200) throw new AssertionError('a message is nested more than 200 levels deep (a cycle?)');
  if (Object.isFrozen(v)) return v;
  if (Array.isArray(v)) {
    const n = v.length;
    const out = new Array(n);
    for (let i = 0; i < n; i++) out[i] = copy(v[i], depth + 1);
    return out;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto === Object.prototype || proto === null) {
    const out: Record<string, unknown> = {};
    for (const k in v as Record<string, unknown>) out[k] = copy((v as Record<string, unknown>)[k], depth + 1);
    return out;
  }
  if (v instanceof Map) {
    const out = new Map();
    for (const [k, x] of v) out.set(copy(k, depth + 1), copy(x, depth + 1));
    return out;
  }
  if (v instanceof Set) {
    const out = new Set();
    for (const x of v) out.add(copy(x, depth + 1));
    return out;
  }
  if (v instanceof Uint8Array) return v.slice();
  throw new AssertionError(`a message must be plain data, but it holds a ${proto?.constructor?.name ?? 'non-plain'} object`);
}

/**
 * An estimate of a value's size on the wire in bytes, for bandwidth costs. Deterministic and
 * cheap; not an exact encoding size.
 */
export function estimateSize(v: unknown): number {
  switch (typeof v) {
    case 'number':
      return 8;
    case 'boolean':
      return 1;
    case 'string':
      return 2 + v.length;
    case 'bigint':
      return 8 + Math.ceil(v.toString(16).length / 2);
    case 'undefined':
      return 0;
    case 'object': {
      if (v === null) return 1;
      if (Array.isArray(v)) {
        let s = 4;
        for (const x of v) s += estimateSize(x);
        return s;
      }
      if (v instanceof Uint8Array) return 4 + v.length;
      if (v instanceof Map) {
        let s = 4;
        for (const [k, x] of v) s += estimateSize(k) + estimateSize(x);
        return s;
      }
      if (v instanceof Set) {
        let s = 4;
        for (const x of v) s += estimateSize(x);
        return s;
      }
      let s = 4;
      for (const k in v as Record<string, unknown>) s += k.length + 1 + estimateSize((v as Record<string, unknown>)[k]);
      return s;
    }
    default:
      return 8;
  }
}
