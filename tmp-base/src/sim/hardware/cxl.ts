/**
 * A CXL memory pool (seed 004 §8.3.2, §8.5.6): byte-addressable memory shared by several hosts
 * through CXL switches, cache coherent, so hosts can share words with atomic compare-and-swap and
 * fetch-add. A host reaches it through a port whose latency depends on how many switches are in
 * the way: 1 hop 150-300 ns, multi-hop 300-600 ns, against local DRAM's 80-100 ns (hops 0).
 *
 * What it may do, and why a system on it must survive it:
 * - fail as a whole (Device.crash, or failing its failure domain `cxl/<name>`): every host loses
 *   it at once; a new failure domain that no single host's crash explains. Operations fail with
 *   'crashed'/'unavailable' until it restarts. Contents survive (we model the loss of the pool's
 *   switch or controller, not of its media); a multi-word write in flight when it fails is torn
 *   (a prefix of its words lands).
 * - poison a line (`poison(addr)`, or at `faults.poisonRate` per write: an uncorrectable media
 *   error): reads, CAS and fetch-add on the line fail with 'poisoned' until a full-line write
 *   replaces its contents. `readIgnoringPoison` is what a system that does not check gets: the
 *   poison pattern as data.
 * - tear a multi-word write silently (`faults.tornWriteRate`, buggify `hw.cxl.torn_write`): only a
 *   prefix of the words lands, yet the write reports success. Records must carry a check word.
 * - be slow (Device.slowFactor).
 *
 * Coherence: every operation takes effect atomically at its completion instant, in completion
 * order, and every later operation from any host sees it (the pool is the point of coherence;
 * host caches are not modelled, as if every access were uncached or snooped).
 */
import { CXL_PROBES } from './probes.ts';
import { assert } from '../assert.ts';
import { Device } from '../device.ts';
import type { Simulation } from '../kernel.ts';
import type { LatencyModel } from '../network/latency.ts';
import { CXL_WORDS_PER_LINE, cxlLatency } from './figures.ts';
import { unwrap, type HwDone, type HwResult } from './result.ts';

/** What a poisoned word reads as when poison is ignored. */
export const POISON_PATTERN = 0x7eadbeef;

export interface CxlPoolOptions {
  name: string;
  domain?: string;
  /** Size in 8-byte words. */
  words: number;
  /** Operations served at once. Default 16. */
  parallelism?: number;
}

export interface CxlFaults {
  /** Probability that a write leaves its line poisoned (a media error). */
  poisonRate: number;
  /** Probability that a multi-word write lands only a prefix but reports success. */
  tornWriteRate: number;
}

interface PendingWrite {
  addr: number;
  values: number[];
}

export class CxlPool extends Device {
  private readonly mem: number[];
  private readonly poisoned = new Set<number>();
  private readonly pendingWrites = new Set<PendingWrite>();
  faults: CxlFaults = { poisonRate: 0, tornWriteRate: 0 };
  readonly cxlStats = { reads: 0, writes: 0, atomics: 0, poisonedReads: 0, poisonServed: 0, tornWrites: 0 };

  constructor(sim: Simulation, opts: CxlPoolOptions) {
    super(sim, { name: opts.name, domain: opts.domain ?? `cxl/${opts.name}`, parallelism: opts.parallelism ?? 16 });
    assert(opts.words > 0 && Number.isInteger(opts.words), `cxl ${opts.name}: words must be a positive integer`);
    this.mem = new Array<number>(opts.words).fill(0);
    sim.probes.declare(CXL_PROBES);
  }

  get words(): number {
    return this.mem.length;
  }

  /** A host's way in, `hops` switches away (0: local-DRAM latency, for comparison). */
  port(host: string, hops: number, latency: LatencyModel = cxlLatency(hops)): CxlPort {
    return new CxlPort(this, host, latency);
  }

  static lineOf(addr: number): number {
    return Math.floor(addr / CXL_WORDS_PER_LINE);
  }

  /** Fault hook: poisons the line holding `addr`. */
  poison(addr: number): void {
    this.checkAddr(addr, 1);
    this.poisoned.add(CxlPool.lineOf(addr));
    this.sim.log(this.name, 'cxl-poison', `line ${CxlPool.lineOf(addr)}`);
  }

  isPoisoned(addr: number): boolean {
    return this.poisoned.has(CxlPool.lineOf(addr));
  }

  /** God's-eye read (for invariants and tests), poison or not. */
  peek(addr: number): number {
    this.checkAddr(addr, 1);
    return this.mem[addr]!;
  }

  /** @internal Runs one operation of `port` on the pool. */
  op<T>(port: CxlPort, effect: () => HwResult<T>, done: HwDone<T>): void {
    this.submit(this.serviceTime(port.latency), effect, unwrap(done));
  }

  /** @internal */
  readWords(addr: number, n: number, ignorePoison: boolean): HwResult<number[]> {
    this.checkAddr(addr, n);
    this.cxlStats.reads++;
    const bad = this.anyPoisoned(addr, n);
    if (bad && !ignorePoison) {
      this.sim.probe('hw:cxl-poisoned-read');
      this.cxlStats.poisonedReads++;
      return { ok: false, error: 'poisoned' };
    }
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(this.poisoned.has(CxlPool.lineOf(addr + i)) ? POISON_PATTERN : this.mem[addr + i]!);
    if (bad) this.cxlStats.poisonServed++;
    return { ok: true, value: out };
  }

  /** @internal A write: a whole-line write clears that line's poison; a partial one fails on poison. */
  writeWords(w: PendingWrite): HwResult<void> {
    this.pendingWrites.delete(w);
    const { addr, values } = w;
    for (let line = CxlPool.lineOf(addr); line <= CxlPool.lineOf(addr + values.length - 1); line++) {
      const whole = addr <= line * CXL_WORDS_PER_LINE && addr + values.length >= (line + 1) * CXL_WORDS_PER_LINE;
      if (this.poisoned.has(line) && !whole) return { ok: false, error: 'poisoned' };
    }
    this.cxlStats.writes++;
    let n = values.length;
    if (n > 1) {
      // The stream's tear is a recorded decision; BUGGIFY's (asked when the stream drew none) is its own.
      const drawn = this.rng.chance(this.faults.tornWriteRate);
      const tear = this.decideFault('cxl-torn', drawn, drawn ? this.rng.int(1, n - 1) : undefined);
      const fired = !drawn && this.sim.buggify.fire('hw.cxl.torn_write');
      if (tear !== null || fired) n = tear?.arg !== undefined ? Math.max(1, Math.min(n - 1, tear.arg)) : this.rng.int(1, n - 1);
    }
    if (n < values.length) {
      this.cxlStats.tornWrites++;
      this.sim.probe('hw:cxl-torn-write');
      this.sim.log(this.name, 'cxl-torn-write', `${n}/${values.length} word(s) at ${addr}`);
    }
    this.store(addr, values, n);
    if (this.decideFault('cxl-poison', this.rng.chance(this.faults.poisonRate)) !== null) this.poison(addr);
    return { ok: true, value: undefined };
  }

  /** @internal */
  beginWrite(addr: number, values: number[]): PendingWrite {
    this.checkAddr(addr, values.length);
    const w = { addr, values: values.slice() };
    this.pendingWrites.add(w);
    return w;
  }

  /** @internal Compare-and-swap and fetch-add: single words, atomic at completion. */
  atomic(addr: number, f: (old: number) => number): HwResult<number> {
    this.checkAddr(addr, 1);
    if (this.isPoisoned(addr)) {
      this.sim.probe('hw:cxl-atomic-on-poison');
      this.cxlStats.poisonedReads++;
      return { ok: false, error: 'poisoned' };
    }
    this.cxlStats.atomics++;
    const old = this.mem[addr]!;
    this.mem[addr] = f(old);
    return { ok: true, value: old };
  }

  protected override onCrash(): void {
    // Multi-word writes caught by the failure are torn: a prefix of their words lands.
    for (const w of this.pendingWrites) {
      const n = this.rng.int(0, w.values.length - 1);
      if (n > 0) {
        this.store(w.addr, w.values, n);
        this.cxlStats.tornWrites++;
        this.sim.probe('hw:cxl-torn-write');
      }
    }
    this.pendingWrites.clear();
  }

  private store(addr: number, values: number[], n: number): void {
    for (let i = 0; i < n; i++) this.mem[addr + i] = values[i]!;
    for (let line = CxlPool.lineOf(addr); line <= CxlPool.lineOf(addr + n - 1); line++) {
      if (addr <= line * CXL_WORDS_PER_LINE && addr + n >= (line + 1) * CXL_WORDS_PER_LINE && this.poisoned.delete(line)) this.sim.probe('hw:cxl-poison-cleared');
    }
  }

  private anyPoisoned(addr: number, n: number): boolean {
    for (let line = CxlPool.lineOf(addr); line <= CxlPool.lineOf(addr + n - 1); line++) if (this.poisoned.has(line)) return true;
    return false;
  }

  private checkAddr(addr: number, n: number): void {
    assert(Number.isInteger(addr) && addr >= 0 && n >= 1 && addr + n <= this.mem.length, () => `cxl ${this.name}: access [${addr}, ${addr + n}) outside ${this.mem.length} words`);
  }
}

/** One host's handle on a pool. Every operation costs one access at this port's latency. */
export class CxlPort {
  constructor(
    readonly pool: CxlPool,
    readonly host: string,
    readonly latency: LatencyModel,
  ) {}

  read(addr: number, n: number, done: HwDone<number[]>): void {
    this.pool.op(this, () => this.pool.readWords(addr, n, false), done);
  }

  /** A read that does not check poison: returns POISON_PATTERN for poisoned words. A bug to use. */
  readIgnoringPoison(addr: number, n: number, done: HwDone<number[]>): void {
    this.pool.op(this, () => this.pool.readWords(addr, n, true), done);
  }

  /** Writes consecutive words; may tear (see CxlPool). */
  write(addr: number, values: number[], done: HwDone<void>): void {
    if (this.pool.state === 'crashed') {
      this.pool.op(this, () => ({ ok: true, value: undefined }), done); // fails 'unavailable' at once
      return;
    }
    const w = this.pool.beginWrite(addr, values);
    this.pool.op(this, () => this.pool.writeWords(w), done);
  }

  /** Sets the word to `next` if it holds `expected`; returns the old value either way. */
  cas(addr: number, expected: number, next: number, done: HwDone<number>): void {
    this.pool.op(this, () => this.pool.atomic(addr, (old) => (old === expected ? next : old)), done);
  }

  /** Adds `delta`; returns the old value. */
  fetchAdd(addr: number, delta: number, done: HwDone<number>): void {
    this.pool.op(this, () => this.pool.atomic(addr, (old) => old + delta), done);
  }
}
