import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Simulation } from '../kernel.ts';
import { Disk, DiskReadFailed, type DiskError } from './disk.ts';
import { DISK_PROFILES } from './profiles.ts';

const newDisk = (seed: number | string = 1): { sim: Simulation; disk: Disk } => {
  const sim = new Simulation({ seed });
  return { sim, disk: new Disk(sim, 'd', sim.rng('disk/d'), DISK_PROFILES.nvme) };
};

// ---- a reference model of the disk: durable image + writes not yet durable ----

/** A record image: a value, or null for a record that reads back corrupt. */
type Img = Map<string, (number | null)[]>;
type Write =
  | { id: number; kind: 'append'; file: string; value: number }
  | { id: number; kind: 'put'; file: string; values: number[] }
  | { id: number; kind: 'truncate'; file: string; length: number };

const FILES = ['a', 'b'];

function applyWrite(img: Img, w: Write, torn = false): void {
  const recs = img.get(w.file) ?? [];
  if (w.kind === 'append') recs.push(torn ? null : w.value);
  else if (w.kind === 'put') recs.splice(0, recs.length, ...w.values);
  else recs.length = Math.min(recs.length, w.length);
  img.set(w.file, recs);
}
const cloneImg = (img: Img): Img => new Map([...img].map(([k, v]) => [k, v.slice()]));
const imageOf = (durable: Img, writes: Write[]): Img => {
  const img = cloneImg(durable);
  for (const w of writes) applyWrite(img, w);
  return img;
};
const readAll = (disk: Disk): Img => {
  const out: Img = new Map();
  for (const f of FILES) {
    const r = disk.read<number>(f);
    expect(r.error).toBeNull();
    // Corrupt records are reported by index, and their value is never handed out.
    expect(r.corrupt).toEqual(r.records.flatMap((x, i) => (x === null ? [i] : [])));
    out.set(f, r.records);
  }
  return out;
};
const norm = (img: Img): Record<string, (number | null)[]> => Object.fromEntries(FILES.map((f) => [f, img.get(f) ?? []]));

type DiskOp =
  | { k: 'append'; f: number }
  | { k: 'put'; f: number; n: number }
  | { k: 'truncate'; f: number; len: number }
  | { k: 'fsync' }
  | { k: 'advance'; ns: number }
  | { k: 'crash'; mode: 'all' | 'torn' }
  | { k: 'corrupt'; f: number; idx: number };

const diskOp: fc.Arbitrary<DiskOp> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ k: fc.constant('append' as const), f: fc.integer({ min: 0, max: 1 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('put' as const), f: fc.integer({ min: 0, max: 1 }), n: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('truncate' as const), f: fc.integer({ min: 0, max: 1 }), len: fc.integer({ min: 0, max: 4 }) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('fsync' as const) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('advance' as const), ns: fc.integer({ min: 0, max: 700_000 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('crash' as const), mode: fc.constantFrom('all' as const, 'torn' as const) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('corrupt' as const), f: fc.integer({ min: 0, max: 1 }), idx: fc.integer({ min: 0, max: 5 }) }) },
);

/**
 * Runs `ops` against a Disk and the reference model, checking after every step that reads show
 * durable + pending writes, that a crash('all') leaves exactly the durable image, and that a
 * crash('torn') leaves the durable image plus a prefix of the lost writes (the last append
 * possibly corrupt). `overlap` allows an fsync to be issued while another is in flight.
 */
function checkDiskModel(seed: number, ops: DiskOp[], overlap: boolean, writeErrorRate: number): void {
  const { sim, disk } = newDisk(seed);
  disk.faults.writeErrorRate = writeErrorRate;
  let durable: Img = new Map();
  let pending: Write[] = [];
  let nextId = 0;
  let nextValue = 1;
  let generation = 0;
  let inFlight = 0;
  for (const op of ops) {
    switch (op.k) {
      case 'append': {
        const w: Write = { id: nextId++, kind: 'append', file: FILES[op.f]!, value: nextValue++ };
        disk.append(w.file, w.value);
        pending.push(w);
        break;
      }
      case 'put': {
        const values = Array.from({ length: op.n }, () => nextValue++);
        const w: Write = { id: nextId++, kind: 'put', file: FILES[op.f]!, values };
        disk.put(w.file, values);
        pending.push(w);
        break;
      }
      case 'truncate': {
        const w: Write = { id: nextId++, kind: 'truncate', file: FILES[op.f]!, length: op.len };
        disk.truncate(w.file, w.length);
        pending.push(w);
        break;
      }
      case 'fsync': {
        if (!overlap && inFlight > 0) break;
        const upTo = nextId; // covers every write issued so far
        const gen = generation;
        inFlight++;
        disk.fsync((err: DiskError | null) => {
          expect(gen).toBe(generation); // never called across a crash
          inFlight--;
          const covered = pending.filter((w) => w.id < upTo);
          pending = pending.filter((w) => w.id >= upTo);
          if (err === null) for (const w of covered) applyWrite(durable, w);
          else expect(err).toBe('EIO');
        });
        break;
      }
      case 'advance':
        sim.run({ untilNs: sim.now + op.ns });
        break;
      case 'crash': {
        const lost = disk.crash(op.mode);
        generation++;
        inFlight = 0;
        const after = readAll(disk);
        if (op.mode === 'all') {
          expect(lost).toBe(pending.length);
          expect(norm(after)).toEqual(norm(durable));
        } else {
          // A prefix of the pending writes survived (as many as were not reported lost); the
          // last of them, if an append, may be torn.
          const k = pending.length - lost;
          expect(k).toBeGreaterThanOrEqual(0);
          expect(k).toBeLessThanOrEqual(pending.length);
          const whole = norm(imageOf(durable, pending.slice(0, k)));
          const last = pending[k - 1];
          let tornImg: Record<string, (number | null)[]> | null = null;
          if (last?.kind === 'append') {
            const t = imageOf(durable, pending.slice(0, k - 1));
            applyWrite(t, last, true);
            tornImg = norm(t);
          }
          const got = JSON.stringify(norm(after));
          expect(got === JSON.stringify(whole) || (tornImg !== null && got === JSON.stringify(tornImg))).toBe(true);
          durable = after; // null marks a torn record
        }
        pending = [];
        break;
      }
      case 'corrupt': {
        const file = FILES[op.f]!;
        const recs = durable.get(file) ?? [];
        const ok = disk.corrupt(file, op.idx);
        expect(ok).toBe(op.idx < recs.length);
        if (ok) recs[op.idx] = null;
        break;
      }
    }
    // The program's view: durable image plus pending writes, in order (the page cache).
    expect(norm(readAll(disk))).toEqual(norm(imageOf(durable, pending)));
    expect(disk.unsyncedCount).toBe(pending.length);
    // A recovery's scan, record by record, reads what a read does (the bulk path when nothing is
    // pending for the file, the page cache's otherwise).
    // From a record on (a checkpoint covers those before), only the records from there are handed
    // over, but the count and the corrupt records are the whole file's.
    for (const f of FILES) {
      const want = disk.peek<number>(f);
      for (const from of [0, 1, Math.floor(want.records.length / 2), want.records.length, want.records.length + 2]) {
        const got: (number | null)[] = [];
        const r = disk.scanForRecovery<number>(f, (v) => got.push(v), 3, from);
        expect(got).toEqual(want.records.slice(from));
        expect(r).toEqual({ count: want.records.length, corrupt: want.corrupt });
      }
    }
  }
}

describe('Disk: crash semantics (reference model)', () => {
  it('property: fsynced writes survive; crash(all) = durable image; crash(torn) = durable + prefix', () => {
    fc.assert(
      fc.property(fc.integer(), fc.array(diskOp, { maxLength: 60 }), fc.constantFrom(0, 0.3), (seed, ops, writeErrorRate) => {
        checkDiskModel(seed, ops, false, writeErrorRate);
      }),
      { numRuns: 300 },
    );
  });

  // Was a bug, now fixed (sim/disk/disk.ts fsync(), `const ops = this.unsynced.length` ... `splice(0, ops)`):
  // an fsync remembers how many writes were pending when issued, not which ones. If an earlier
  // fsync completes first and removes its writes, the later one then removes (and makes durable,
  // or loses on EIO) writes issued *after* it. Fix: number writes with a running counter, have
  // fsync remember `coveredUpTo = writesIssued`, and at completion take only writes below it.
  it('fixed bug, property: the same holds with overlapping fsyncs', () => {
    fc.assert(
      fc.property(fc.integer(), fc.array(diskOp, { maxLength: 60 }), (seed, ops) => {
        checkDiskModel(seed, ops, true, 0);
      }),
      // A fixed fast-check seed: an expected failure must not depend on the run's luck.
      { numRuns: 1000, seed: 42 },
    );
  });

  it('fixed bug, example: a write issued after the second of two overlapping fsyncs is not made durable by it', () => {
    const { sim, disk } = newDisk();
    disk.append('f', 'a');
    disk.fsync(() => {});
    disk.append('f', 'b');
    disk.fsync(() => {});
    disk.append('f', 'c'); // never covered by an fsync
    sim.run();
    disk.crash('all');
    expect(disk.read('f').records).toEqual(['a', 'b']);
  });
});

describe('Disk: behaviour', () => {
  it('readDurable shows only what a crash now would keep: nothing unsynced, corrupt records as null', () => {
    const { sim, disk } = newDisk();
    disk.append('f', 'a');
    expect(disk.read('f').records).toEqual(['a']);
    expect(disk.readDurable('f').records).toEqual([]);
    disk.fsync(() => undefined);
    disk.append('f', 'b');
    sim.run();
    expect(disk.readDurable('f').records).toEqual(['a']);
    expect(disk.read('f').records).toEqual(['a', 'b']);
    disk.corrupt('f', 0);
    expect(disk.readDurable('f')).toEqual({ records: [null], corrupt: [0], error: null });
  });

  it('fsync completes after the profile latency; fsyncs queue behind each other', () => {
    const { sim, disk } = newDisk();
    const at: number[] = [];
    disk.append('f', 1);
    disk.fsync(() => at.push(sim.now));
    disk.fsync(() => at.push(sim.now));
    sim.run();
    const { minNs, maxNs } = DISK_PROFILES.nvme.fsync as { minNs: number; maxNs: number };
    expect(at[0]).toBeGreaterThanOrEqual(minNs);
    expect(at[0]).toBeLessThanOrEqual(maxNs);
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(minNs);
    expect(disk.stats.fsyncs).toBe(2);
  });

  it('slowFactor multiplies fsync latency', () => {
    const { sim, disk } = newDisk();
    disk.faults.slowFactor = 100;
    let at = -1;
    disk.fsync(() => (at = sim.now));
    sim.run();
    expect(at).toBeGreaterThanOrEqual(100 * 100_000);
  });

  it('records are copied in and out', () => {
    const { disk } = newDisk();
    const rec = { xs: [1] };
    disk.append('f', rec);
    rec.xs.push(2);
    const r1 = disk.read<{ xs: number[] }>('f').records[0]!;
    expect(r1).toEqual({ xs: [1] });
    r1.xs.push(3);
    expect(disk.read('f').records[0]).toEqual({ xs: [1] });
  });

  it('scanForRecovery copies objects out, as a read does, and fails like readForRecovery', () => {
    const { sim, disk } = newDisk();
    disk.append('f', { xs: [1] });
    disk.fsync(() => {});
    sim.run();
    const got: { xs: number[] }[] = [];
    expect(disk.scanForRecovery<{ xs: number[] }>('f', (r) => got.push(r!))).toEqual({ count: 1, corrupt: [] });
    got[0]!.xs.push(2);
    expect(disk.read('f').records[0]).toEqual({ xs: [1] });
    disk.faults.readErrorRate = 1;
    expect(() => disk.scanForRecovery('f', () => {})).toThrow(DiskReadFailed);
  });

  it('corruptionRate=1 makes every fsynced append read back corrupt (reported, value withheld)', () => {
    const { sim, disk } = newDisk();
    disk.faults.corruptionRate = 1;
    disk.append('f', 'x');
    disk.append('f', 'y');
    disk.fsync(() => {});
    sim.run();
    expect(disk.read('f')).toEqual({ records: [null, null], corrupt: [0, 1], error: null });
    disk.heal();
    disk.append('f', 'z');
    disk.fsync(() => {});
    sim.run();
    expect(disk.read('f')).toEqual({ records: [null, null, 'z'], corrupt: [0, 1], error: null }); // corrupt stays corrupt
  });

  it('writeErrorRate=1 fails fsync with EIO and loses the covered writes', () => {
    const { sim, disk } = newDisk();
    disk.faults.writeErrorRate = 1;
    disk.append('f', 1);
    let err: DiskError | null = null;
    disk.fsync((e) => (err = e));
    sim.run();
    expect(err).toBe('EIO');
    expect(disk.read('f').records).toEqual([]);
    expect(disk.stats.fsyncErrors).toBe(1);
  });

  it('a full disk fails fsync with ENOSPC', () => {
    const { sim, disk } = newDisk();
    disk.faults.capacityBytes = 100;
    const errs: (DiskError | null)[] = [];
    disk.append('f', 'x'.repeat(40));
    disk.fsync((e) => errs.push(e));
    sim.run();
    disk.append('f', 'y'.repeat(80));
    disk.fsync((e) => errs.push(e));
    sim.run();
    expect(errs).toEqual([null, 'ENOSPC']);
    expect(disk.read('f').records).toEqual(['x'.repeat(40)]);
    expect(disk.usedBytes).toBeLessThanOrEqual(100);
  });

  it('a full disk counts the appends to one file and the rewrite of another in one fsync', () => {
    const { sim, disk } = newDisk();
    disk.faults.capacityBytes = 100;
    const errs: (DiskError | null)[] = [];
    disk.put('m', ['a'.repeat(18)]); // 20 bytes
    disk.fsync((e) => errs.push(e));
    sim.run();
    for (let i = 0; i < 5; i++) disk.append('log', 'x'.repeat(8)); // 50 bytes
    disk.put('m', ['b'.repeat(38)]); // 40 bytes instead of 20: 90 in all
    disk.fsync((e) => errs.push(e));
    sim.run();
    disk.append('log', 'y'.repeat(8)); // 10 more: 100
    disk.put('m', ['c'.repeat(39)]); // 41 instead of 40: 101, over
    disk.fsync((e) => errs.push(e));
    sim.run();
    expect(errs).toEqual([null, null, 'ENOSPC']);
    expect(disk.usedBytes).toBe(90);
  });

  // Was a bug, now fixed (sim/disk/disk.ts faultOnSync(), `add += op.bytes` for every non-truncate op): the
  // capacity check adds a put's full size without subtracting the records it replaces (and
  // ignores truncates), so rewriting a file in place on a disk over half full fails with ENOSPC
  // although usage would not grow. Fix: simulate the covered ops on sizes per file (or compute
  // the durable size after applying them) and compare that with capacityBytes.
  it('fixed bug: replacing a file with one of the same size does not fail with ENOSPC', () => {
    const { sim, disk } = newDisk();
    disk.faults.capacityBytes = 100;
    const errs: (DiskError | null)[] = [];
    disk.put('f', ['x'.repeat(50)]);
    disk.fsync((e) => errs.push(e));
    sim.run();
    disk.put('f', ['y'.repeat(50)]);
    disk.fsync((e) => errs.push(e));
    sim.run();
    expect(errs).toEqual([null, null]);
  });

  it('readErrorRate=1 fails reads with EIO and returns no data', () => {
    const { disk } = newDisk();
    disk.append('f', 1);
    disk.faults.readErrorRate = 1;
    expect(disk.read('f')).toEqual({ records: [], corrupt: [], error: 'EIO' });
  });

  // Was a bug, now fixed (sim/disk/disk.ts files(), `.filter((f) => this.read(f).records.length > 0)`): files()
  // goes through read(), so with readErrorRate > 0 it draws from the disk's stream and silently
  // omits files on an injected EIO. Fix: compute the view without fault injection (a private
  // helper shared with read()).
  it('fixed bug: files() lists every non-empty file even when reads may fail', () => {
    const { disk } = newDisk();
    disk.append('a', 1);
    disk.append('b', 2);
    disk.faults.readErrorRate = 1;
    expect(disk.files()).toEqual(['a', 'b']);
  });

  it('files() lists non-empty files, durable or not, sorted', () => {
    const { sim, disk } = newDisk();
    disk.append('z', 1);
    disk.append('m', 1);
    disk.put('e', []);
    disk.fsync(() => {});
    sim.run();
    disk.append('b', 1);
    disk.truncate('z', 0);
    expect(disk.files()).toEqual(['b', 'm']);
  });

  it('truncate rejects negative lengths', () => {
    const { disk } = newDisk();
    expect(() => disk.truncate('f', -1)).toThrow(/negative/);
  });
});
