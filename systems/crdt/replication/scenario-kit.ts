/**
 * What the crdt-* scenarios share: their fault parameters (the standard ones, with crash and
 * partition rates scaled for runs of minutes or hours), the world builder wired to the standard
 * nemesis, metrics, and the mixed client session.
 */
import { faultParams, netLatencyMsMaxFor, standardNemesis, type FaultParams } from '../../../sim/nemesis.ts';
import { param } from '../../../sim/params.ts';
import type { World } from '../../../sim/scenario.ts';
import type { Nanos } from '../../../sim/time.ts';
import { buildCrdtWorld, regionStats, REGIONS, type CrdtWorld, type CrdtWorldOptions, type Gen, type Session } from './harness.ts';
import type { CrdtBug } from './store.ts';

export interface KitOptions {
  /** Hours-long runs: crashes and partitions minutes apart instead of seconds. */
  long?: boolean;
  /** The bug-zoo variants this scenario can exercise ('none' first). */
  bugs: readonly CrdtBug[];
}

export function crdtFaultParams<const B extends CrdtBug>(o: { long?: boolean; bugs: readonly B[] }) {
  const scale = o.long ? 60 : 1;
  // Corruption is off: a region has no repair-from-peers path for its own WAL (docs/crdt.md).
  // A client's call to its region times out after 1 s (harness.ts): a round trip must fit in it.
  const f = faultParams({ episodeMsScale: scale, off: ['diskCorruptionRate'], offReason: 'a region cannot rebuild a corrupt WAL record of its own ops from peers (docs/crdt.md, Faults)', netLatencyMsMax: netLatencyMsMaxFor(1000) });
  return {
    bug: param.enum(o.bugs, { doc: 'bug-zoo variant (none = the correct system)', default: o.bugs[0]! }),
    ...f,
    crashMsMean: param.float({ ...f.crashMsMean, default: 3000 * scale, swarm: [2000 * scale, 20000 * scale] }),
    pauseMsMean: param.float({ ...f.pauseMsMean, swarm: [1000 * scale, 20000 * scale] }),
    clogMsMean: param.float({ ...f.clogMsMean, swarm: [1000 * scale, 20000 * scale] }),
    partitionMsMean: param.float({ ...f.partitionMsMean, default: o.long ? 0 : 4000, swarm: o.long ? undefined : [2000, 20000] }),
  };
}

export interface StartedCrdt extends CrdtWorld {
  regionIds: string[];
}

/** Builds the regions, applies the standard nemesis to them, and reports metrics at the heal. */
export function startCrdt(w: World<unknown>, p: FaultParams & { bug: CrdtBug }, o: Omit<CrdtWorldOptions, 'bug'> = {}): StartedCrdt {
  const cw = buildCrdtWorld(w, { ...o, bug: p.bug });
  standardNemesis(w, p, { targets: cw.regions, maxDown: 1 });
  if (o.clockOffsetMs) cw.regions.forEach((r, i) => r.setClock({ offsetNs: Math.round((o.clockOffsetMs![i] ?? 0) * 1e6), driftPpm: r.clock.driftPpm }));
  w.onHeal(() => {
    w.metrics.opsAcked = cw.history.length;
  });
  w.liveness('metrics', () => {
    Object.assign(w.metrics, regionStats(cw.regions));
    return true;
  });
  return { ...cw, regionIds: [...REGIONS] };
}

/**
 * A client of `home`: increments a counter, adds/removes cart items, writes its profile, and reads
 * with its token at a random region, until `running()` turns false.
 */
export function* mixedSession(s: Session, home: string, regions: string[], opMeanNs: Nanos, running: () => boolean): Gen<void> {
  let n = 0;
  const items = ['milk', 'eggs', 'tea', 'jam'];
  while (running()) {
    yield* s.sleep(Math.max(1, Math.round(s.ctx.rng.exponential(opMeanNs))));
    if (!running()) break;
    const u = s.ctx.rng.next();
    if (u < 0.3) yield* s.op(home, { kind: 'incr', key: 'ctr:views', by: 1 + s.ctx.rng.int(0, 2) });
    else if (u < 0.5) yield* s.op(home, { kind: 'add', key: 'set:cart', elem: s.ctx.rng.pick(items) });
    else if (u < 0.65) yield* s.op(home, { kind: 'remove', key: 'set:cart', elem: s.ctx.rng.pick(items) });
    else if (u < 0.8) yield* s.op(home, { kind: 'set', key: 'reg:profile', value: `${s.id}#${++n}` });
    else yield* s.read(s.ctx.rng.pick(regions), s.ctx.rng.pick(['ctr:views', 'reg:profile', 'set:cart']));
  }
}
