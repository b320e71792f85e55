/**
 * Unit tests of the hardware models: latencies within their configured bounds, each fault as
 * documented, failure domains taking out all their members at once.
 */
import { describe, expect, it } from 'vitest';
import { FailureDomains } from '../device.ts';
import { Simulation } from '../kernel.ts';
import { LocalClock, PERFECT_CLOCK } from '../clock.ts';
import { Disk } from '../disk/disk.ts';
import { Network } from '../network/network.ts';
import { SimNode } from '../node.ts';
import { CxlPool, POISON_PATTERN } from './cxl.ts';
import { CXL_1HOP_NS_MAX, CXL_1HOP_NS_MIN, CXL_MULTIHOP_NS_MAX, CXL_MULTIHOP_NS_MIN, DRAM_NS_MAX, DRAM_NS_MIN, HOST_STACK_NS_MAX, HOST_STACK_NS_MIN, NIC_PROCESSING_NS_MAX, NIC_PROCESSING_NS_MIN, NVDIMM_WRITE_NS, ROCKSDB_GET_NS, SSD_KV_GET_NS, SSD_KV_PUT_NS } from './figures.ts';
import { HostCpu, HostKvStore } from './host.ts';
import type { HwResult } from './result.ts';
import type { ScanResult } from './scan.ts';
import { checksum } from './result.ts';
import { SmartNic } from './smart-nic.ts';
import { SmartSsd } from './smart-ssd.ts';

const noBuggify = (seed = 1): Simulation => new Simulation({ seed, buggify: { enabled: false } });

/** Runs `start(done)` and returns the simulated time until done, and the result. */
function timed<T>(sim: Simulation, start: (done: (r: HwResult<T>) => void) => void): { ns: number; r: HwResult<T> | undefined } {
  const t0 = sim.now;
  let r: HwResult<T> | undefined;
  let at = -1;
  start((x) => {
    r = x;
    at = sim.now;
  });
  sim.run();
  return { ns: at - t0, r };
}

describe('SmartNic', () => {
  it('processes a message in 2-3 us and persists to NVDIMM in 300 ns', () => {
    const sim = noBuggify();
    const nic = new SmartNic(sim, { name: 'nic1' });
    for (let i = 0; i < 50; i++) {
      const p = timed<number>(sim, (d) => nic.process(() => 7, d));
      expect(p.r).toEqual({ ok: true, value: 7 });
      expect(p.ns).toBeGreaterThanOrEqual(NIC_PROCESSING_NS_MIN);
      expect(p.ns).toBeLessThanOrEqual(NIC_PROCESSING_NS_MAX);
    }
    const w = timed<void>(sim, (d) => nic.persist('k', { a: 1 }, d));
    expect(w.ns).toBe(NVDIMM_WRITE_NS);
    expect(nic.nvdimmGet('k')).toEqual({ a: 1 });
  });

  it('a reboot keeps completed NVDIMM writes, loses volatile state and writes in flight', () => {
    const sim = noBuggify();
    const nic = new SmartNic(sim, { name: 'nic1' });
    nic.persist('done', 1, () => {});
    sim.run();
    nic.volatile.set('cache', 5);
    let inflight: HwResult<void> | undefined;
    nic.persist('inflight', 2, (r) => (inflight = r));
    nic.reboot();
    sim.run();
    expect(nic.nvdimmGet('done')).toBe(1);
    expect(nic.nvdimmGet('inflight')).toBeUndefined();
    expect(nic.volatile.size).toBe(0);
    expect(inflight).toEqual({ ok: false, error: 'crashed' });
    expect(nic.state).toBe('up');
  });

  it('crashes independently of its host; crashes and restarts an attached node', () => {
    const sim = noBuggify();
    const net = new Network(sim);
    const node = new SimNode(sim, net, 'n1.nic', 0, 'server', () => ({}), new LocalClock(PERFECT_CLOCK), new Disk(sim, 'n1.nic', sim.rng('d')));
    net.attach(node);
    const domains = new FailureDomains();
    const nic = new SmartNic(sim, { name: 'n1' });
    const host = new HostCpu(sim, { name: 'n1' });
    domains.register(nic);
    domains.register(host);
    expect(nic.options.domain).not.toBe(host.options.domain);
    nic.attach(node);
    node.start();
    domains.fail(host.options.domain);
    expect(host.state).toBe('crashed');
    expect(nic.state).toBe('up');
    expect(node.state).toBe('up');
    domains.fail(nic.options.domain);
    expect(nic.state).toBe('crashed');
    expect(node.state).toBe('down');
    domains.recover(nic.options.domain);
    expect(node.state).toBe('up');
  });

  it('fence: NVDIMM writes submitted before it never land (a restarted program cannot be overwritten by its predecessor)', () => {
    const sim = noBuggify();
    const nic = new SmartNic(sim, { name: 'nic1' });
    let r: HwResult<void> | undefined;
    nic.persist('k', 'old', (x) => (r = x));
    nic.fence();
    nic.persist('k2', 'new', () => {});
    sim.run();
    expect(r).toEqual({ ok: false, error: 'crashed' });
    expect(nic.nvdimmGet('k')).toBeUndefined();
    expect(nic.nvdimmGet('k2')).toBe('new');
  });

  it('wedged: accepts work, never finishes it; a restart fails it', () => {
    const sim = noBuggify();
    const nic = new SmartNic(sim, { name: 'nic1' });
    nic.wedge();
    let r: HwResult<number> | undefined;
    nic.process(() => 1, (x) => (r = x));
    sim.run();
    expect(r).toBeUndefined();
    nic.restart();
    sim.run();
    expect(r).toEqual({ ok: false, error: 'crashed' });
  });

  it('an NVDIMM stall (buggify) delays the write by milliseconds', () => {
    // Find a seed whose buggify enables the site; the stall is then >= 1 ms on some writes.
    let maxNs = 0;
    for (let seed = 1; seed < 40 && maxNs < 1_000_000; seed++) {
      const sim = new Simulation({ seed, buggify: { enabled: true, enableProbability: 1, fireProbability: 0.5 } });
      const nic = new SmartNic(sim, { name: 'nic1' });
      for (let i = 0; i < 10; i++) maxNs = Math.max(maxNs, timed<void>(sim, (d) => nic.persist('k', i, d)).ns);
    }
    expect(maxNs).toBeGreaterThanOrEqual(1_000_000);
  });
});

describe('SmartSsd', () => {
  const put = (ssd: SmartSsd, sim: Simulation, k: string, v: string) => timed<void>(sim, (d) => ssd.kvPut(k, { v, cs: checksum(v) }, d));

  it('NVMe-KV get 10 us, put 20 us, atomic increment', () => {
    const sim = noBuggify();
    const ssd = new SmartSsd(sim, { name: 's1' });
    expect(put(ssd, sim, 'a', '1').ns).toBe(SSD_KV_PUT_NS);
    const g = timed(sim, (d) => ssd.kvGet('a', d));
    expect(g.ns).toBe(SSD_KV_GET_NS);
    expect(g.r).toEqual({ ok: true, value: { v: '1', cs: checksum('1') } });
    const inc = timed<number>(sim, (d) => ssd.kvIncrement('a', 5, d));
    expect(inc.r).toEqual({ ok: true, value: 6 });
  });

  it('in-storage scan cost: per row plus result bytes, and results only for matching rows', () => {
    const sim = noBuggify();
    const ssd = new SmartSsd(sim, { name: 's1' });
    ssd.addTable('t', { rows: 100_000, rowBytes: 100, value: (i) => i });
    const all = timed<ScanResult>(sim, (d) => ssd.scan({ kind: 'table', table: 't', where: null, agg: 'count' }, d));
    const tenth = timed<ScanResult>(sim, (d) => ssd.scan({ kind: 'table', table: 't', where: { mod: 10, lt: 1 }, agg: 'rows' }, d));
    expect(all.r!.ok && all.r!.value.count).toBe(100_000);
    expect(tenth.r!.ok && tenth.r!.value.count).toBe(10_000);
    // Same rows scanned; the rows query also pays for 1 MB of results at 1 GB/s = 1 ms.
    expect(tenth.ns - all.ns).toBeGreaterThan(900_000);
    expect(tenth.ns - all.ns).toBeLessThan(1_100_000);
    // 100k rows at 50 ns each: 5 ms (+10 us request).
    expect(all.ns).toBeGreaterThan(4_900_000);
    expect(all.ns).toBeLessThan(5_100_000);
  });

  it('slow NAND scales the media time', () => {
    const sim = noBuggify();
    const ssd = new SmartSsd(sim, { name: 's1' });
    ssd.addTable('t', { rows: 100_000, rowBytes: 100, value: (i) => i });
    const a = timed(sim, (d) => ssd.scan({ kind: 'table', table: 't', where: null, agg: 'count' }, d)).ns;
    ssd.slowFactor = 3;
    const b = timed(sim, (d) => ssd.scan({ kind: 'table', table: 't', where: null, agg: 'count' }, d)).ns;
    expect(b).toBeGreaterThan(a * 1.9);
  });

  it('wrong and partial results are visible in values and digests; rawScan is right', () => {
    const sim = noBuggify();
    const ssd = new SmartSsd(sim, { name: 's1' });
    for (let i = 0; i < 20; i++) put(ssd, sim, `k${String(i).padStart(2, '0')}`, String(i));
    const spec = { kind: 'kv', lo: 'k00', hi: 'k99', agg: 'rows' } as const;
    const good = timed<ScanResult>(sim, (d) => ssd.rawScan(spec, d)).r!;
    ssd.faults = { wrongResultRate: 1, partialResultRate: 0 };
    const wrong = timed<ScanResult>(sim, (d) => ssd.scan(spec, d)).r!;
    ssd.faults = { wrongResultRate: 0, partialResultRate: 1 };
    const partial = timed<ScanResult>(sim, (d) => ssd.scan(spec, d)).r!;
    if (!good.ok || !wrong.ok || !partial.ok) throw new Error('scan failed');
    expect(good.value.rows.every(([, v]) => checksum(v.v) === v.cs)).toBe(true);
    expect(wrong.value.rows.some(([, v]) => checksum(v.v) !== v.cs)).toBe(true);
    expect(partial.value.rows.length).toBe(19);
  });

  it('wears out: writes fail after the endurance budget, reads still work', () => {
    const sim = noBuggify();
    const ssd = new SmartSsd(sim, { name: 's1', enduranceWrites: 3 });
    const rs = [1, 2, 3, 4].map((i) => put(ssd, sim, `k${i}`, 'v').r);
    expect(rs.slice(0, 3).every((r) => r?.ok)).toBe(true);
    expect(rs[3]).toEqual({ ok: false, error: 'worn-out' });
    expect(timed(sim, (d) => ssd.kvGet('k1', d)).r?.ok).toBe(true);
  });

  it('resetQueues aborts commands in flight (they never take effect) and leaves a crashed device crashed', () => {
    const sim = noBuggify();
    const ssd = new SmartSsd(sim, { name: 's1' });
    let r: HwResult<void> | undefined;
    ssd.kvPut('a', { v: '1', cs: checksum('1') }, (x) => (r = x));
    ssd.resetQueues();
    sim.run();
    expect(r).toEqual({ ok: false, error: 'crashed' });
    expect(ssd.rows.has('a')).toBe(false);
    ssd.crash();
    ssd.resetQueues();
    expect(ssd.state).toBe('crashed');
  });

  it('controller failure: commands fail until restart; written rows survive', () => {
    const sim = noBuggify();
    const ssd = new SmartSsd(sim, { name: 's1' });
    put(ssd, sim, 'a', '1');
    ssd.crash();
    expect(timed(sim, (d) => ssd.kvGet('a', d)).r).toEqual({ ok: false, error: 'unavailable' });
    ssd.restart();
    expect(timed(sim, (d) => ssd.kvGet('a', d)).r).toEqual({ ok: true, value: { v: '1', cs: checksum('1') } });
  });
});

describe('CxlPool', () => {
  it('latency by hops: DRAM 80-100, 1 hop 150-300, multi-hop 300-600 ns', () => {
    const sim = noBuggify();
    const pool = new CxlPool(sim, { name: 'p', words: 64 });
    const bounds: [number, number, number][] = [[0, DRAM_NS_MIN, DRAM_NS_MAX], [1, CXL_1HOP_NS_MIN, CXL_1HOP_NS_MAX], [2, CXL_MULTIHOP_NS_MIN, CXL_MULTIHOP_NS_MAX]];
    for (const [hops, lo, hi] of bounds) {
      const port = pool.port('h', hops);
      for (let i = 0; i < 30; i++) {
        const t = timed(sim, (d) => port.read(0, 1, d)).ns;
        expect(t).toBeGreaterThanOrEqual(lo);
        expect(t).toBeLessThanOrEqual(hi);
      }
    }
  });

  it('CAS and fetch-add are atomic and coherent across hosts', () => {
    const sim = noBuggify();
    const pool = new CxlPool(sim, { name: 'p', words: 16 });
    const ports = [pool.port('a', 1), pool.port('b', 2), pool.port('c', 1)];
    for (let i = 0; i < 30; i++) for (const p of ports) p.fetchAdd(3, 1, () => {});
    sim.run();
    expect(pool.peek(3)).toBe(90);
    // Racing CAS from 0: exactly one wins.
    let wins = 0;
    for (const p of ports) p.cas(4, 0, 1, (r) => { if (r.ok && r.value === 0) wins++; });
    sim.run();
    expect(wins).toBe(1);
    expect(pool.peek(4)).toBe(1);
  });

  it('poison: reads fail; ignoring it serves the pattern; a full-line write clears it', () => {
    const sim = noBuggify();
    const pool = new CxlPool(sim, { name: 'p', words: 16 });
    const port = pool.port('a', 1);
    pool.poison(9);
    expect(timed(sim, (d) => port.read(8, 2, d)).r).toEqual({ ok: false, error: 'poisoned' });
    expect(timed(sim, (d) => port.fetchAdd(9, 1, d)).r).toEqual({ ok: false, error: 'poisoned' });
    expect(timed(sim, (d) => port.readIgnoringPoison(9, 1, d)).r).toEqual({ ok: true, value: [POISON_PATTERN] });
    expect(timed(sim, (d) => port.write(9, [1], d)).r).toEqual({ ok: false, error: 'poisoned' });
    expect(timed(sim, (d) => port.write(8, [1, 2, 3, 4, 5, 6, 7, 8], d)).r?.ok).toBe(true);
    expect(timed(sim, (d) => port.read(8, 2, d)).r).toEqual({ ok: true, value: [1, 2] });
    // Line 0 was never poisoned.
    expect(timed(sim, (d) => port.read(0, 1, d)).r?.ok).toBe(true);
  });

  it('pool failure is one failure domain: every host loses it at once; in-flight multi-word writes tear', () => {
    let torn = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const sim = noBuggify(seed);
      const domains = new FailureDomains();
      const pool = new CxlPool(sim, { name: 'p', words: 16 });
      domains.register(pool);
      const a = pool.port('a', 1);
      const b = pool.port('b', 2);
      let ra: HwResult<void> | undefined;
      a.write(0, [1, 1, 1, 1, 1, 1, 1, 1], (r) => (ra = r));
      expect(domains.fail('cxl/p')).toBe(1);
      sim.run();
      expect(ra).toEqual({ ok: false, error: 'crashed' });
      expect(timed(sim, (d) => b.read(0, 1, d)).r).toEqual({ ok: false, error: 'unavailable' });
      domains.recover('cxl/p');
      const words = timed<number[]>(sim, (d) => b.read(0, 8, d)).r;
      if (!words?.ok) throw new Error('read after recovery failed');
      const ones = words.value.filter((x) => x === 1).length;
      expect(ones).toBeLessThan(8); // never the whole write
      if (ones > 0) torn++;
      expect(words.value.slice(0, ones).every((x) => x === 1)).toBe(true); // a prefix
    }
    expect(torn).toBeGreaterThan(0);
  });
});

describe('Host', () => {
  it('kernel stack 45-55 us per message; RocksDB get 50 us', () => {
    const sim = noBuggify();
    const cpu = new HostCpu(sim, { name: 'h' });
    for (let i = 0; i < 20; i++) {
      const t = timed(sim, (d) => cpu.process(() => 0, d)).ns;
      expect(t).toBeGreaterThanOrEqual(HOST_STACK_NS_MIN);
      expect(t).toBeLessThanOrEqual(HOST_STACK_NS_MAX);
    }
    const kv = new HostKvStore(sim, { name: 'h' });
    expect(timed(sim, (d) => kv.get('x', d)).ns).toBe(ROCKSDB_GET_NS);
  });

  it('a host scan pays for every row crossing and the CPU filter', () => {
    const sim = noBuggify();
    const kv = new HostKvStore(sim, { name: 'h' });
    kv.tables.set('t', { rows: 10_000, rowBytes: 100, value: (i) => i });
    const t = timed(sim, (d) => kv.scan({ kind: 'table', table: 't', where: { mod: 10, lt: 1 }, agg: 'rows' }, d)).ns;
    // 10k rows: 1 MB at 200 MB/s = 5 ms, plus 100 ns a row = 1 ms.
    expect(t).toBe(6_000_000);
  });
});
