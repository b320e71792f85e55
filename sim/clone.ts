/**
 * Messages between nodes are copies made at send time, so a node can never touch another node's
 * memory. `structuredClone` would do, but it is several times slower than a walk specialised to
 * the plain data messages are made of, and message copying is on the hot path of every run.
 *
 * Supported: primitives (including bigint), arrays, plain objects, Map, Set, Uint8Array. Anything
 * else (functions, class instances with behaviour, symbols) is a bug in the sender: a message must be data.
 *
 * One exception to copying: a frozen plain object whose values are all primitives is deeply
 * immutable, so it is shared, not copied (by `copySized`, the send path, when it is inside a
 * message: a frozen message itself is copied) (nobody, sender or receiver, can change it: a write
 * throws in strict code). Raft's log entries are made so: an entry travels in appends to every
 * follower and into every disk, and copying it each time was a large share of a loaded run's
 * allocations. Other frozen objects are copied (freezing is shallow: their children may still be
 * mutable), and so is every array and container holding a shared object.
 */
import { AssertionError } from './assert.ts';

/** A deep copy of plain data (objects, arrays, Maps, Sets, Uint8Arrays): what the network does to every message. Throws an {@link AssertionError} for anything else (class instances, functions, cycles). */
export function deepCopy<T>(value: T): T {
  // Fast path: a flat plain object of primitives (most messages) in one pass, no recursion.
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const src = value as Record<string, unknown>;
    if (Object.isFrozen(src) && flatPrimitives(src)) return value;
    const out: Record<string, unknown> = {};
    for (const k in src) {
      const x = src[k];
      if (x !== null && (typeof x === 'object' || typeof x === 'function' || typeof x === 'symbol')) return copy(value, 0) as T;
      if (k === '__proto__') return copy(value, 0) as T;
      out[k] = x;
    }
    return out as T;
  }
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
  // Primitive fields are copied inline (no call per field): messages are mostly flat.
  if (Array.isArray(v)) {
    const n = v.length;
    const out = new Array(n);
    for (let i = 0; i < n; i++) {
      const x = v[i];
      out[i] = x !== null && (typeof x === 'object' || typeof x === 'function' || typeof x === 'symbol') ? copy(x, depth + 1) : x;
    }
    return out;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto === Object.prototype || proto === null) {
    const src = v as Record<string, unknown>;
    if (Object.isFrozen(src) && flatPrimitives(src)) return src;
    const out: Record<string, unknown> = {};
    for (const k in src) {
      const x = src[k];
      const c = x !== null && (typeof x === 'object' || typeof x === 'function' || typeof x === 'symbol') ? copy(x, depth + 1) : x;
      // An own "__proto__" key (JSON.parse makes them) must stay a key, not set the prototype.
      if (k === '__proto__') Object.defineProperty(out, k, { value: c, enumerable: true, writable: true, configurable: true });
      else out[k] = c;
    }
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
  // Uint8Array's own slice copies; a Buffer's slice() is a view of the same memory.
  if (v instanceof Uint8Array) return Uint8Array.prototype.slice.call(v);
  throw new AssertionError(`a message must be plain data, but it holds a ${proto?.constructor?.name ?? 'non-plain'} object`);
}

/** True if every value of `src` (own and inherited enumerable) is a primitive other than a symbol: frozen, it is then deeply immutable. */
function flatPrimitives(src: Record<string, unknown>): boolean {
  for (const k in src) {
    const x = src[k];
    if (x !== null && (typeof x === 'object' || typeof x === 'function' || typeof x === 'symbol')) return false;
  }
  return true;
}

/** estimateSize of a plain object whose values are all primitives, or -1 if one is not (an object, a function, a symbol). */
function flatSize(src: Record<string, unknown>): number {
  let s = 4;
  for (const k in src) {
    const x = src[k];
    s += k.length + 1;
    switch (typeof x) {
      case 'number':
        s += 8;
        break;
      case 'string':
        s += 2 + x.length;
        break;
      case 'boolean':
        s += 1;
        break;
      case 'undefined':
        break;
      case 'bigint':
        s += 8 + Math.ceil(x.toString(16).length / 2);
        break;
      case 'object':
        if (x !== null) return -1;
        s += 1;
        break;
      default:
        return -1;
    }
  }
  return s;
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

/** The size `copySized` measured last: estimateSize of the value it copied. */
let sized = 0;

/**
 * `deepCopy(value)` and `estimateSize(value)` in one walk (the network's send path does both for
 * every message): returns the copy; `lastCopySize()` then gives the size. Same copy, same size,
 * same errors for what is not plain data as the two functions apart (clone.test.ts checks both).
 */
export function copySized<T>(value: T): T {
  sized = 0;
  return sizedCopy(value, 0) as T;
}

/** estimateSize of the value `copySized` copied last. */
export function lastCopySize(): number {
  return sized;
}

function sizedCopy(v: unknown, depth: number): unknown {
  switch (typeof v) {
    case 'number':
      sized += 8;
      return v;
    case 'string':
      sized += 2 + v.length;
      return v;
    case 'boolean':
      sized += 1;
      return v;
    case 'undefined':
      return v;
    case 'bigint':
      sized += 8 + Math.ceil(v.toString(16).length / 2);
      return v;
    case 'object':
      break;
    default:
      throw new AssertionError(`a message must be plain data, but it holds a ${typeof v}`);
  }
  if (v === null) {
    sized += 1;
    return v;
  }
  if (depth > 200) throw new AssertionError('a message is nested more than 200 levels deep (a cycle?)');
  if (Array.isArray(v)) {
    const n = v.length;
    const out = new Array(n);
    let s = 4;
    for (let i = 0; i < n; i++) {
      const x = v[i];
      // Numbers and strings inline (no call per element): most arrays are of them.
      if (typeof x === 'number') {
        s += 8;
        out[i] = x;
      } else if (typeof x === 'string') {
        s += 2 + x.length;
        out[i] = x;
      } else out[i] = sizedCopy(x, depth + 1);
    }
    sized += s;
    return out;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto === Object.prototype || proto === null) {
    const src = v as Record<string, unknown>;
    // Within a message only (depth > 0): a message itself is built fresh for each send, never
    // frozen, and the check would cost every message a call.
    if (depth > 0 && Object.isFrozen(src)) {
      const shared = flatSize(src);
      if (shared >= 0) {
        sized += shared;
        return src;
      }
    }
    const out: Record<string, unknown> = {};
    let s = 4;
    for (const k in src) {
      const x = src[k];
      s += k.length + 1;
      let c: unknown;
      if (typeof x === 'number') {
        s += 8;
        c = x;
      } else if (typeof x === 'string') {
        s += 2 + x.length;
        c = x;
      } else c = sizedCopy(x, depth + 1);
      // An own "__proto__" key (JSON.parse makes them) must stay a key, not set the prototype.
      if (k === '__proto__') Object.defineProperty(out, k, { value: c, enumerable: true, writable: true, configurable: true });
      else out[k] = c;
    }
    sized += s;
    return out;
  }
  if (v instanceof Map) {
    sized += 4;
    const out = new Map();
    for (const [k, x] of v) out.set(sizedCopy(k, depth + 1), sizedCopy(x, depth + 1));
    return out;
  }
  if (v instanceof Set) {
    sized += 4;
    const out = new Set();
    for (const x of v) out.add(sizedCopy(x, depth + 1));
    return out;
  }
  if (v instanceof Uint8Array) {
    sized += 4 + v.length;
    return Uint8Array.prototype.slice.call(v);
  }
  throw new AssertionError(`a message must be plain data, but it holds a ${proto?.constructor?.name ?? 'non-plain'} object`);
}
