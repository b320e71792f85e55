/**
 * Merge-cost and metadata-overhead measurements for the CRDT types. `benchCrdt(clock)` takes the
 * clock as a parameter (detsim code never reads a real one); `npm run bench` passes a real
 * millisecond clock such as `performance.now`. Every workload is built from a fixed seed and runs
 * a fixed number of iterations, so only the timings vary between runs; the metadata figures are
 * deterministic.
 *
 * Metadata overhead is reported two ways: metadata/value (bookkeeping per byte of data) and
 * (value + metadata)/value, which is how seed 004 quotes Riak's OR-Set shopping cart (500 B of
 * items, 2.1 KB with metadata = 4.2x; 800 B = 1.6x after a weekly GC).
 */
import { type Rng, SeededRng } from '../../sim/prng.ts';
import { GCounter, type GCounterData } from './g-counter.ts';
import { Hlc } from './hlc.ts';
import { LwwMap, type LwwMapData } from './lww-map.ts';
import { MVRegister, type MVRegisterData } from './mv-register.ts';
import { ORSet, type ORSetData } from './or-set.ts';
import { PNCounter, type PNCounterData } from './pn-counter.ts';
import { Rga, type RgaData } from './rga.ts';
import { vvMin } from './version-vector.ts';
import { fnv1a64 } from './fnv.ts';
import { DIGEST_BYTES, MerkleTree, diffMerkle } from './merkle.ts';

/** One merge measurement. */
export interface MergeFigure {
  /** What was merged into what. */
  workload: string;
  merges: number;
  elapsedMs: number;
  mergesPerSec: number;
}

/** One metadata measurement. */
export interface MetadataFigure {
  workload: string;
  valueBytes: number;
  metadataBytes: number;
  /** metadataBytes / valueBytes. */
  metadataPerValue: number;
  /** (valueBytes + metadataBytes) / valueBytes: comparable with seed 004's Riak figures. */
  totalPerValue: number;
}

/** One anti-entropy measurement: a Merkle comparison of two replicas' key spaces. */
export interface MerkleFigure {
  keys: number;
  divergentKeys: number;
  fanOut: number;
  depth: number;
  bytesExchanged: number;
  /** Bytes to ship every (key, digest) pair instead. */
  bytesFullExchange: number;
  rounds: number;
}

/** Everything `benchCrdt` measures, as plain JSON. */
export interface CrdtBenchResult {
  clockUnit: 'ms';
  merge: MergeFigure[];
  metadata: MetadataFigure[];
  merkle: MerkleFigure[];
  reference: { riakCartBeforeGc: number; riakCartAfterGc: number; automergeDocBeforeGc: number; automergeDocAfterGc: number };
}

/** Times `merges` merges: `prepare(i)` builds the target outside the timing, `run` merges. */
function timeMerges<T>(clock: () => number, workload: string, merges: number, prepare: (i: number) => T, run: (t: T, i: number) => void): MergeFigure {
  const targets: T[] = [];
  for (let i = 0; i < merges; i++) targets.push(prepare(i));
  const t0 = clock();
  for (let i = 0; i < merges; i++) run(targets[i] as T, i);
  const elapsedMs = clock() - t0;
  return { workload, merges, elapsedMs, mergesPerSec: elapsedMs > 0 ? Math.round((merges / elapsedMs) * 1000) : Number.POSITIVE_INFINITY };
}

function figure(workload: string, valueBytes: number, metadataBytes: number): MetadataFigure {
  const r = (x: number): number => Math.round(x * 100) / 100;
  return { workload, valueBytes, metadataBytes, metadataPerValue: r(metadataBytes / valueBytes), totalPerValue: r((valueBytes + metadataBytes) / valueBytes) };
}

/** Two concurrent OR-Set states of `n` elements on three replicas, with some concurrent edits. */
function orSetPair(rng: Rng, n: number): [ORSetData<string>, ORSetData<string>] {
  const rs = ['a', 'b', 'c'].map((id) => new ORSet<string>(id));
  for (let i = 0; i < n; i++) (rs[i % 3] as ORSet<string>).add(`sku-${String(i).padStart(6, '0')}`);
  for (const x of rs) for (const y of rs) y.merge(x.toData());
  for (let k = 0; k < n / 5; k++) {
    const r = rng.pick(rs);
    const e = `sku-${String(rng.int(0, n * 2)).padStart(6, '0')}`;
    if (rng.chance(0.5)) r.add(e);
    else r.remove(e);
  }
  return [(rs[0] as ORSet<string>).toData(), (rs[1] as ORSet<string>).toData()];
}

export function mergeFigures(clock: () => number, scale: number): MergeFigure[] {
  const n = (x: number): number => Math.max(5, Math.round(x * scale));
  const rng = new SeededRng(1, 'crdt-bench');
  const out: MergeFigure[] = [];

  const gA = new GCounter('r0');
  const gB = new GCounter('r1');
  for (let i = 0; i < 16; i++) {
    gA.merge({ counts: new Map([[`r${i}`, BigInt(rng.int(0, 1e9))]]) });
    gB.merge({ counts: new Map([[`r${i}`, BigInt(rng.int(0, 1e9))]]) });
  }
  const gBData: GCounterData = gB.toData();
  out.push(timeMerges(clock, 'G-Counter, 16 replica entries, full state', n(20_000), () => new GCounter('x', gA.toData()), (t) => t.merge(gBData)));

  const pA = new PNCounter('r0');
  const pB = new PNCounter('r1');
  for (let i = 0; i < 16; i++) {
    new PNCounter(`r${i}`).add(1n);
    pA.merge(new PNCounter(`r${i}`, { p: { counts: new Map([[`r${i}`, BigInt(rng.int(0, 1e9))]]) }, n: { counts: new Map([[`r${i}`, 7n]]) } }).toData());
    pB.merge(new PNCounter(`r${i}`, { p: { counts: new Map([[`r${i}`, BigInt(rng.int(0, 1e9))]]) }, n: { counts: new Map([[`r${i}`, 9n]]) } }).toData());
  }
  const pBData: PNCounterData = pB.toData();
  out.push(timeMerges(clock, 'PN-Counter, 16 replica entries, full state', n(20_000), () => new PNCounter('x', pA.toData()), (t) => t.merge(pBData)));

  const [sA, sB] = orSetPair(rng, 100);
  out.push(timeMerges(clock, 'OR-Set, 100 elements, concurrent full states', n(2_000), () => new ORSet<string>('x', sA), (t) => t.merge(sB)));
  const [bigA] = orSetPair(rng, 1000);
  const adder = new ORSet<string>('d', bigA);
  const deltas: ORSetData<string>[] = [];
  for (let i = 0; i < n(2_000); i++) deltas.push(adder.add(`new-${i}`));
  const big = new ORSet<string>('x', bigA);
  out.push(timeMerges(clock, 'OR-Set, 1000 elements, one add delta', n(2_000), () => big, (t, i) => t.merge(deltas[i] as ORSetData<string>)));

  const mA = new MVRegister<string>('a');
  const mB = new MVRegister<string>('b');
  mA.write('Alice');
  mB.write('Bob');
  const mBData: MVRegisterData<string> = mB.toData();
  out.push(timeMerges(clock, 'MV-Register, two concurrent siblings', n(20_000), () => new MVRegister<string>('x', mA.toData()), (t) => t.merge(mBData)));

  const lA = new LwwMap<string>('us');
  const lB = new LwwMap<string>('eu');
  const [hA, hB] = [new Hlc(), new Hlc()];
  for (let f = 0; f < 20; f++) {
    lA.set(`field${f}`, `value-a-${f}`, hA.now(1000 + f));
    lB.set(`field${f}`, `value-b-${f}`, hB.now(1000 + rng.int(0, 40)));
  }
  const lBData: LwwMapData<string> = lB.toData();
  out.push(timeMerges(clock, 'LWW map, 20 fields, full state', n(20_000), () => new LwwMap<string>('x', lA.toData()), (t) => t.merge(lBData)));

  const doc = new Rga('o');
  for (let i = 0; i < 1000; i++) doc.insertAt(i, String.fromCharCode(97 + (i % 26)));
  const [eA, eB] = [new Rga('a', doc.toData()), new Rga('b', doc.toData())];
  for (let k = 0; k < 50; k++) {
    eA.insertAt(rng.int(0, eA.value().length), 'X');
    eB.removeAt(rng.int(0, eB.value().length - 1));
  }
  const eBData: RgaData = eB.toData();
  out.push(timeMerges(clock, 'RGA, 1000-char doc, 50 concurrent edits a side, full state', n(200), () => new Rga('x', eA.toData()), (t) => t.merge(eBData)));
  return out;
}

/** An item of about `itemBytes` bytes, like a serialised cart line (product, quantity, options). */
function cartItem(i: number, itemBytes: number): string {
  const sku = `SKU-${String(i).padStart(6, '0')}`;
  const base = `{"sku":"${sku}","qty":1,"opts":"`;
  if (itemBytes < base.length + 2) return sku;
  return base + 'x'.repeat(Math.max(0, itemBytes - base.length - 2)) + '"}';
}

/**
 * A week of one shopping cart shared by three devices: items added and removed, the same item
 * often added concurrently from two devices, syncs that sometimes deliver only part of the deltas.
 * Ends with about five items in the cart. Measured on device 0 after a full sync (before GC) and
 * after `collect` with the stable vector of all three devices.
 */
export function cartFigures(itemBytes: number): MetadataFigure[] {
  const rng = new SeededRng(7, `cart-${itemBytes}`);
  const devices = ['phone', 'laptop', 'tablet'].map((id) => new ORSet<string>(id));
  const pending: ORSetData<string>[][] = devices.map(() => []);
  for (let day = 0; day < 7; day++) {
    for (let k = 0; k < 30; k++) {
      const d = rng.int(0, 2);
      const dev = devices[d] as ORSet<string>;
      const item = cartItem(rng.int(0, 11), itemBytes);
      const delta = dev.has(item) && rng.chance(0.45) ? dev.remove(item) : dev.add(item);
      for (let o = 0; o < 3; o++) if (o !== d) (pending[o] as ORSetData<string>[]).push(delta);
      // Deltas trickle in, sometimes out of order and sometimes lost until the next full sync.
      if (rng.chance(0.3)) {
        const o = rng.int(0, 2);
        const q = rng.shuffle(pending[o] as ORSetData<string>[]);
        pending[o] = [];
        for (const x of q) if (!rng.chance(0.2)) (devices[o] as ORSet<string>).merge(x);
      }
    }
    // A nightly full-state sync among the devices (anti-entropy).
    for (const x of devices) for (const y of devices) y.merge(x.toData());
  }
  // Trim to about five items, as in the Riak figure, from one device.
  const d0 = devices[0] as ORSet<string>;
  for (const item of d0.value().slice(5)) d0.remove(item);
  // Concurrent re-adds of two kept items from the other devices, then a last full sync.
  for (const item of d0.value().slice(0, 2)) for (const dev of devices.slice(1)) dev.add(item);
  for (let k = 0; k < 2; k++) for (const x of devices) for (const y of devices) y.merge(x.toData());
  const before = figure(`OR-Set cart, ${d0.value().length} items of ~${itemBytes} B, 3 devices, before GC`, d0.valueBytes(), d0.metadataBytes());
  const stable = vvMin(devices.map((d) => d.versionVector()));
  d0.collect(stable);
  const after = figure(`OR-Set cart, ${d0.value().length} items of ~${itemBytes} B, 3 devices, after GC`, d0.valueBytes(), d0.metadataBytes());
  return [before, after];
}

/** A collaboratively edited text typed by three replicas: 500 edits (runs of 10-40 characters or deletions). */
export function rgaFigures(): MetadataFigure[] {
  const rng = new SeededRng(9, 'rga-doc');
  const rs = ['a', 'b', 'c'].map((id) => new Rga(id));
  const pending: RgaData[][] = rs.map(() => []);
  const ch = (): string => String.fromCharCode(97 + rng.int(0, 25));
  let edits = 0;
  while (edits < 500) {
    const i = rng.int(0, 2);
    const r = rs[i] as Rga;
    const len = r.visibleNodes().length;
    const made: RgaData[] = [];
    if (len > 20 && rng.chance(0.3)) made.push(r.removeAt(rng.int(0, len - 1)));
    else {
      // One edit types a run of characters (a word or a sentence).
      const first = r.insertAt(rng.int(0, len), ch());
      made.push(first);
      let at = first.nodes[0]?.id ?? null;
      for (let k = 1, n = rng.int(10, 40); k < n; k++) {
        const d = r.insertAfter(at, ch());
        made.push(d);
        at = d.nodes[0]?.id ?? null;
      }
    }
    edits++;
    for (let o = 0; o < 3; o++) if (o !== i) (pending[o] as RgaData[]).push(...made);
    // Replicas catch up on each other's edits now and then, in shuffled order.
    if (rng.chance(0.3)) {
      const o = rng.int(0, 2);
      for (const d of rng.shuffle(pending[o] as RgaData[])) (rs[o] as Rga).merge(d);
      pending[o] = [];
    }
  }
  for (let o = 0; o < 3; o++) for (const d of pending[o] as RgaData[]) (rs[o] as Rga).merge(d);
  const r0 = rs[0] as Rga;
  const what = `RGA text, ${r0.valueBytes()} B after ${edits} edits, ${r0.tombstoneCount()} tombstones (no GC)`;
  return [
    figure(`${what}, one id per character`, r0.valueBytes(), r0.metadataBytes()),
    figure(`${what}, run-length ids`, r0.valueBytes(), r0.metadataBytesRunLength()),
  ];
}

/** Merkle anti-entropy cost for 10,000 keys with 1, 10, 100 and 1,000 divergent keys. */
export function merkleFigures(): MerkleFigure[] {
  const rng = new SeededRng(11, 'merkle');
  const keys = 10_000;
  const base: [string, string][] = Array.from({ length: keys }, (_, i) => [`user:${i}`, fnv1a64(`v${i}`)]);
  const a = MerkleTree.build(base);
  let full = 0;
  for (const [k] of base) full += k.length + DIGEST_BYTES;
  return [1, 10, 100, 1000].map((n) => {
    const b = MerkleTree.build(base);
    for (const i of rng.shuffle(base.map((_, i) => i)).slice(0, n)) b.set(`user:${i}`, fnv1a64(`w${i}`));
    const d = diffMerkle(a, b);
    return { keys, divergentKeys: d.divergentKeys.length, fanOut: a.fanOut, depth: a.depth, bytesExchanged: d.bytesExchanged, bytesFullExchange: full, rounds: d.rounds };
  });
}

/** Options of `benchCrdt`. */
export interface CrdtBenchOptions {
  /** Multiplies every merge-iteration count (default 1; tests use a small value). */
  scale?: number;
}

/** Runs every measurement. `clock` returns milliseconds (e.g. performance.now). */
export function benchCrdt(clock: () => number, opts: CrdtBenchOptions = {}): CrdtBenchResult {
  return {
    clockUnit: 'ms',
    merge: mergeFigures(clock, opts.scale ?? 1),
    metadata: [...cartFigures(100), ...cartFigures(10), ...rgaFigures()],
    merkle: merkleFigures(),
    reference: { riakCartBeforeGc: 4.2, riakCartAfterGc: 1.6, automergeDocBeforeGc: 4.5, automergeDocAfterGc: 1.2 },
  };
}
