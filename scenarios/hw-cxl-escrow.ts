/**
 * hw-cxl-escrow: an escrow counter in a CXL memory pool shared by four hosts (seed 004 §8.3.2,
 * §8.5.6). Hosts sell units from escrow slots in pooled memory and refill them from a global word
 * with compare-and-swap. Faults: the standard nemesis on the hosts; pool failures (all hosts lose
 * the pool at once, multi-word writes in flight tear), poisoned lines, silently torn writes.
 *
 * Safety: never more units sold than the stock; no poisoned data served (every read of a poisoned
 * line is refused). Liveness: once healed, every host gives a definite answer (sold / sold out).
 * Bug zoo: bug=ignore-poison.
 */
import { CxlPool } from '../sim/hardware/cxl.ts';
import { hardwareFaultParams, hardwareNemesis } from '../sim/hardware/nemesis.ts';
import { standardNemesis } from '../sim/nemesis.ts';
import type { CallResult, SimNode } from '../sim/node.ts';
import { param } from '../sim/params.ts';
import { defineScenario } from '../sim/scenario.ts';
import { ms, sec, us } from '../sim/time.ts';
import { G_ADDR, escrowHost, initPool, slotAddr, type EscrowProgram, type SellReply } from '../systems/hwkv/cxl-escrow.ts';
import { shortFaultParams } from '../systems/hwkv/kv-scenario.ts';

export default defineScenario({
  name: 'hw-cxl-escrow',
  description: 'Escrow counter in pooled CXL memory shared by hosts (CAS refills, mirrored checked records): no oversell, no poisoned data served, under pool failure/poison/tears',
  params: {
    hosts: param.int({ doc: 'hosts sharing the pool', default: 4, min: 1, max: 16, swarm: [2, 6] }),
    clients: param.int({ doc: 'clients buying', default: 3, min: 1, max: 16 }),
    stock: param.int({ doc: 'units for sale', default: 600, min: 0, max: 1e9, swarm: [100, 1500] }),
    chunk: param.int({ doc: 'units a refill takes from the global word', default: 10, min: 1, max: 1e6, swarm: [1, 40] }),
    buyIntervalUs: param.float({ doc: "mean time between a client's purchases (µs)", default: 400, min: 1, max: 1e7 }),
    durationMs: param.float({ doc: 'length of the fault phase (ms)', default: 400, min: 1, max: 1e6 }),
    bug: param.enum(['none', 'ignore-poison', 'always-sold-out'] as const, { doc: 'bug-zoo variant: ignore-poison (read poisoned lines as data, skip check words), always-sold-out (every host refuses every sale)', default: 'none' }),
    ...shortFaultParams(),
    ...hardwareFaultParams(),
  },
  durationNs: (p) => ms(p.durationMs),
  livenessBoundNs: sec(2),
  setup(w, p) {
    const pool = w.addDevice((sim) => new CxlPool(sim, { name: 'pool', words: (1 + 2 * p.hosts) * 8 }));
    initPool(pool, p.stock, p.hosts);
    let sold = 0;
    const hosts: SimNode<EscrowProgram>[] = [];
    for (let h = 0; h < p.hosts; h++) {
      const port = pool.port(`h${h + 1}`, h < 2 ? 1 : 2);
      hosts.push(w.addNode(`h${h + 1}`, (ctx) => escrowHost(ctx, { host: h, port, chunk: p.chunk, bug: p.bug, onSold: () => sold++ })));
    }
    const ids = hosts.map((n) => n.id);
    const results = { acked: 0, soldOut: 0, unavailable: 0, timeout: 0 };
    for (let c = 0; c < p.clients; c++)
      w.addClient(`buyer${c + 1}`, function* (ctx) {
        for (let n = 1; ; n++) {
          yield ctx.sleep(Math.max(1, Math.round(ctx.rng.exponential(us(p.buyIntervalUs)))));
          if (w.phase !== 'fault') return;
          // A recorded decision (sim/decisions.ts): "buyer2's 7th purchase: one unit at h3".
          const d = w.sim.decisions.operation(`buyer${c + 1}`, n, { op: 'buy', at: ctx.rng.pick(ids) });
          if (d === null) continue;
          const r: CallResult<SellReply> = yield ctx.call<SellReply>(d.at, { type: 'sell' }, ms(20));
          if (!r.ok) results.timeout++;
          else if (r.body.result === 'sold') results.acked++;
          else if (r.body.result === 'sold-out') results.soldOut++;
          else results.unavailable++;
        }
      });

    w.safety('no-oversell', () => (sold > p.stock ? `${sold} units sold of a stock of ${p.stock}` : null));
    w.safety('no-poisoned-data-served', () => (pool.cxlStats.poisonServed > 0 ? `${pool.cxlStats.poisonServed} read(s) of poisoned lines were served as data` : null));

    // Once healed, every host must answer definitely (sold or sold out), not "unavailable"; and
    // "sold out" only truly: while the global word is readable and holds units, a host refills
    // from it. A host that refuses every sale oversells nothing: this is what catches it.
    const definite = new Set<string>();
    let falseSoldOut: string | null = null;
    w.addClient('prober', function* (ctx) {
      while (w.phase !== 'liveness') yield ctx.sleep(ms(5));
      for (;;) {
        for (const id of ids) {
          if (definite.has(id)) continue;
          const r: CallResult<SellReply> = yield ctx.call<SellReply>(id, { type: 'sell' }, ms(20));
          if (!r.ok || r.body.result === 'unavailable') continue;
          const left = pool.isPoisoned(G_ADDR) ? 0 : pool.peek(G_ADDR);
          if (r.body.result === 'sold-out' && left > 0) falseSoldOut = `${id} answered sold out with ${left} unit(s) left in the global word`;
          else definite.add(id);
        }
        if (definite.size === ids.length) return;
        yield ctx.sleep(ms(5));
      }
    });
    w.liveness('every-host-answers', () => (definite.size === ids.length ? true : `${ids.length - definite.size} host(s) have not given a definite answer${falseSoldOut !== null ? ` (last: ${falseSoldOut})` : ''}`));

    const poisonAddrs = [G_ADDR];
    for (let h = 0; h < p.hosts; h++) poisonAddrs.push(slotAddr(h, 0), slotAddr(h, 1));
    standardNemesis(w, p);
    hardwareNemesis(w, p, { pools: [pool], poisonAddrs });
    w.onHeal(() => {
      w.metrics.escrow = { stock: p.stock, sold, ...results, cxl: { ...pool.cxlStats } };
    });
  },
});
