/**
 * An escrow counter in pooled CXL memory (seed 004 §8.3.2 and §8.5.6: "simplified distributed
 * consensus (shared memory)", with its "new failure modes (memory pool failure)").
 *
 * A stock of units is sold by several hosts. The pool holds a global word G (units not yet handed
 * to any host) and, per host, an escrow slot (units that host may sell without asking anyone).
 * A host sells from its slot; when the slot is empty it refills by taking a chunk from G with a
 * compare-and-swap, the pool being the point of coherence for every host.
 *
 * Failure semantics, and why no unit is ever sold twice:
 * - Each slot is a record (value, check word) stored twice, each copy a full cache line. Its value
 *   is the minimum over the copies that read back valid (not poisoned, check word right).
 *   Decrements write the lower value to the mirror first, increments write the primary first:
 *   either way a crash or a tear between the two writes leaves the minimum at the safe (lower)
 *   value, and a sale is acknowledged only after both writes.
 * - Poisoned or torn copies are skipped; if both are bad the slot counts as empty (units are lost
 *   to the host, never invented) and the next refill rewrites both lines, clearing the poison.
 * - A poisoned G cannot be CASed: refills stop (sold out, conservatively).
 * - A pool failure takes the pool from every host at once: sales fail ("unavailable"), nothing is
 *   served from a stale copy, and hosts resume when it returns.
 *
 * Bug zoo: 'ignore-poison' reads lines without checking poison or check words and trusts them.
 */
import { CXL_ESCROW_PROBES } from './probes.ts';
import type { CxlPool, CxlPort } from '../../sim/hardware/cxl.ts';
import { CXL_WORDS_PER_LINE } from '../../sim/hardware/figures.ts';
import type { HwResult } from '../../sim/hardware/result.ts';
import type { Envelope, NodeContext, NodeProgram } from '../../sim/node.ts';
import { gate } from './platform.ts';

export type EscrowBug = 'none' | 'ignore-poison' | 'always-sold-out';

export const G_ADDR = 0;
/** Address of host `h`'s slot copy (0 primary, 1 mirror): one line each after G's line. */
export const slotAddr = (h: number, copy: 0 | 1): number => (1 + 2 * h + copy) * CXL_WORDS_PER_LINE;
/** The check word of a record holding `value` at `addr`. */
export const checkWord = (value: number, addr: number): number => (Math.imul(value + 1, 0x5bd1e995) ^ (addr * 0x27d4eb2d)) >>> 0;
export const record = (value: number, addr: number): number[] => {
  const r = new Array<number>(CXL_WORDS_PER_LINE).fill(0);
  r[0] = value;
  r[1] = checkWord(value, addr);
  return r;
};

export type SellReply = { type: 'sell-res'; result: 'sold' | 'sold-out' | 'unavailable' };

export interface EscrowOptions {
  host: number;
  port: CxlPort;
  chunk: number;
  bug: EscrowBug;
  /** God's eye: a sale was acknowledged. */
  onSold(): void;
}

export interface EscrowProgram extends NodeProgram {
  readonly busy: () => boolean;
}

type Step<T> = (r: HwResult<T>) => void;

/** Initialises the pool: G = stock, every slot 0 (both copies). */
export function initPool(pool: CxlPool, stock: number, hosts: number): void {
  const port = pool.port('init', 0);
  port.cas(G_ADDR, 0, stock, () => {});
  for (let h = 0; h < hosts; h++) for (const c of [0, 1] as const) port.write(slotAddr(h, c), record(0, slotAddr(h, c)), () => {});
}

export function escrowHost(ctx: NodeContext, o: EscrowOptions): EscrowProgram {
  ctx.declareProbes(CXL_ESCROW_PROBES);
  const queue: Envelope[] = [];
  let busy = false;
  const p = o.port;
  const addrs = [slotAddr(o.host, 0), slotAddr(o.host, 1)] as const;

  const read = (addr: number, done: Step<number | null>): void => {
    if (o.bug === 'ignore-poison') {
      p.readIgnoringPoison(addr, 2, gate(ctx, (r: HwResult<number[]>) => done(r.ok ? { ok: true, value: r.value[0]! } : r)));
      return;
    }
    p.read(addr, 2, gate(ctx, (r: HwResult<number[]>) => {
      if (!r.ok) return done(r.error === 'poisoned' ? { ok: true, value: null } : r);
      done({ ok: true, value: r.value[1] === checkWord(r.value[0]!, addr) ? r.value[0]! : null });
    }));
  };
  const write = (addr: number, value: number, done: Step<void>): void => p.write(addr, record(value, addr), gate(ctx, done));

  /** The slot's value: the minimum of the valid copies, 0 if none is. */
  const readSlot = (done: Step<number>): void =>
    read(addrs[0], (a) => {
      if (!a.ok) return done(a);
      read(addrs[1], (b) => {
        if (!b.ok) return done(b);
        const valid = [a.value, b.value].filter((x): x is number => x !== null);
        if (valid.length < 2) ctx.probe(valid.length === 1 ? 'hwkv:cxl-copy-invalid' : 'hwkv:cxl-both-copies-invalid');
        done({ ok: true, value: valid.length === 0 ? 0 : Math.min(...valid) });
      });
    });

  /** Writes both copies, the lower-going copy first (see the file comment). */
  const writeSlot = (value: number, decreasing: boolean, done: Step<void>): void => {
    const [first, second] = decreasing ? [addrs[1], addrs[0]] : [addrs[0], addrs[1]];
    write(first, value, (r) => (r.ok ? write(second, value, done) : done(r)));
  };

  const refill = (have: number, done: (r: SellReply['result']) => void): void => {
    p.read(G_ADDR, 1, gate(ctx, (g: HwResult<number[]>) => {
      if (!g.ok && g.error === 'poisoned') ctx.probe('hwkv:cxl-global-poisoned');
      if (!g.ok) return done(g.error === 'poisoned' ? 'sold-out' : 'unavailable');
      const left = g.value[0]!;
      if (left <= 0) return done('sold-out');
      const take = Math.min(o.chunk, left);
      p.cas(G_ADDR, left, left - take, gate(ctx, (c: HwResult<number>) => {
        if (!c.ok && c.error === 'poisoned') ctx.probe('hwkv:cxl-global-poisoned');
        if (!c.ok) return done(c.error === 'poisoned' ? 'sold-out' : 'unavailable');
        if (c.value !== left) {
          ctx.probe('hwkv:cxl-refill-cas-lost');
          return refill(have, done); // lost the race: try again
        }
        writeSlot(have + take, false, (w) => (w.ok ? sell(done) : done('unavailable')));
      }));
    }));
  };

  const sell = (done: (r: SellReply['result']) => void): void =>
    readSlot((s) => {
      if (!s.ok) return done('unavailable');
      if (s.value <= 0) return refill(Math.max(0, s.value), done);
      writeSlot(s.value - 1, true, (w) => {
        if (!w.ok) return done('unavailable');
        o.onSold();
        done('sold');
      });
    });

  const pump = (): void => {
    if (busy || queue.length === 0) return;
    busy = true;
    const env = queue.shift()!;
    // BUG (always-sold-out): a dead shop: safe (nothing is ever oversold), and it sells nothing.
    const serve = o.bug === 'always-sold-out' ? (done: (r: SellReply['result']) => void) => done('sold-out') : sell;
    serve((result) => {
      busy = false;
      ctx.reply(env, { type: 'sell-res', result } satisfies SellReply);
      pump();
    });
  };

  return {
    busy: () => busy,
    onMessage(env) {
      if ((env.body as { type?: string }).type !== 'sell') return;
      queue.push(env);
      pump();
    },
  };
}
