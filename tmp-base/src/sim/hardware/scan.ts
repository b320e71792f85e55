/**
 * Scans and aggregates over a store's rows, shared by the in-storage engine (SmartSSD) and the
 * host engine (HostKvStore) so that both compute the same answer and differ only in cost.
 *
 * Two kinds of data: the key-value rows of a store (string keys, values with an end-to-end
 * checksum `cs` computed by the writer), and synthetic tables (row i's value is a pure function
 * of i), which let a scenario scan a million rows without holding them.
 */
import { checksum } from './result.ts';

/** A value as stored: the bytes and the writer's checksum of them. */
export interface StoredValue {
  v: string;
  cs: number;
}

/** A table of `rows` rows, `rowBytes` each, row i holding `value(i)`. */
export interface SyntheticTable {
  rows: number;
  rowBytes: number;
  value(i: number): number;
}

export type ScanSpec =
  /** Key-value rows with lo <= key < hi: the rows themselves, or the sum of their numeric values. */
  | { kind: 'kv'; lo: string; hi: string; agg: 'rows' | 'sum' }
  /** A synthetic table, rows whose `value % mod < lt` (or all): how many, their sum, or the rows. */
  | { kind: 'table'; table: string; where: { mod: number; lt: number } | null; agg: 'rows' | 'count' | 'sum' };

export interface ScanResult {
  /** Matching key-value rows (kv scans with agg 'rows'), in key order. */
  rows: [string, StoredValue][];
  /** Matching rows. */
  count: number;
  /** Sum of matching values. */
  sum: number;
  /** XOR of rowDigest over matching rows: lets a verifier check which rows were covered. */
  digest: number;
  rowsScanned: number;
  bytesScanned: number;
  /** Bytes that cross to the requester. */
  resultBytes: number;
}

/** The digest of one key-value row: binds the key to its writer's checksum. */
export function rowDigest(key: string, cs: number): number {
  return (checksum(key) ^ Math.imul(cs, 0x9e3779b1)) >>> 0;
}

function kvRowBytes(key: string, v: StoredValue): number {
  return key.length + v.v.length + 8;
}

/** Rows and bytes a scan reads, without evaluating it (for its cost). */
export function scanSize(spec: ScanSpec, rows: ReadonlyMap<string, StoredValue>, tables: ReadonlyMap<string, SyntheticTable>): { rows: number; bytes: number } {
  if (spec.kind === 'table') {
    const t = tables.get(spec.table);
    return t === undefined ? { rows: 0, bytes: 0 } : { rows: t.rows, bytes: t.rows * t.rowBytes };
  }
  let n = 0;
  let bytes = 0;
  for (const [k, v] of rows) if (k >= spec.lo && k < spec.hi) { n++; bytes += kvRowBytes(k, v); }
  return { rows: n, bytes };
}

/** Answers of scans over synthetic tables, which never change: computed once per table and query. */
const tableAnswers = new WeakMap<SyntheticTable, Map<string, ScanResult>>();

/** Evaluates a scan over the current rows. Pure (a fresh result object every call). */
export function evalScan(spec: ScanSpec, rows: ReadonlyMap<string, StoredValue>, tables: ReadonlyMap<string, SyntheticTable>): ScanResult {
  if (spec.kind === 'table') {
    const t = tables.get(spec.table);
    if (t !== undefined) {
      let memo = tableAnswers.get(t);
      if (memo === undefined) tableAnswers.set(t, (memo = new Map()));
      const key = JSON.stringify([spec.where, spec.agg]);
      let r = memo.get(key);
      if (r === undefined) memo.set(key, (r = evalTable(spec, t)));
      return { ...r, rows: [] };
    }
  }
  return evalUncached(spec, rows, tables);
}

function evalTable(spec: ScanSpec & { kind: 'table' }, t: SyntheticTable): ScanResult {
  return evalUncached(spec, new Map(), new Map([[spec.table, t]]));
}

function evalUncached(spec: ScanSpec, rows: ReadonlyMap<string, StoredValue>, tables: ReadonlyMap<string, SyntheticTable>): ScanResult {
  if (spec.kind === 'table') {
    const t = tables.get(spec.table);
    const out: ScanResult = { rows: [], count: 0, sum: 0, digest: 0, rowsScanned: 0, bytesScanned: 0, resultBytes: 0 };
    if (t === undefined) return out;
    const w = spec.where;
    let count = 0;
    let sum = 0;
    let digest = 0;
    for (let i = 0; i < t.rows; i++) {
      const v = t.value(i);
      if (w !== null && v % w.mod >= w.lt) continue;
      count++;
      sum += v;
      digest = (digest ^ Math.imul(i + 1, 0x9e3779b1) ^ v) >>> 0;
    }
    out.count = count;
    out.sum = sum;
    out.digest = digest;
    out.rowsScanned = t.rows;
    out.bytesScanned = t.rows * t.rowBytes;
    out.resultBytes = spec.agg === 'rows' ? count * t.rowBytes : 8;
    return out;
  }
  const keys = [...rows.keys()].filter((k) => k >= spec.lo && k < spec.hi).sort();
  const out: ScanResult = { rows: [], count: 0, sum: 0, digest: 0, rowsScanned: keys.length, bytesScanned: 0, resultBytes: 0 };
  for (const k of keys) {
    const v = rows.get(k)!;
    const b = kvRowBytes(k, v);
    out.bytesScanned += b;
    out.count++;
    const n = Number(v.v);
    if (Number.isFinite(n)) out.sum += n;
    out.digest = (out.digest ^ rowDigest(k, v.cs)) >>> 0;
    if (spec.agg === 'rows') {
      out.rows.push([k, { v: v.v, cs: v.cs }]);
      out.resultBytes += b;
    }
  }
  if (spec.agg === 'sum') out.resultBytes = 24;
  return out;
}
