/**
 * Plays a script's timed faults (sim/decisions.ts) into a world: each at its recorded time, after
 * every other event of that instant, through the same fault API the nemeses use; a fault with a
 * length ends on its own (a crashed node restarts, one partition's links heal while others stay
 * cut). Message faults, BUGGIFY fires and workload operations need no player: the network,
 * BUGGIFY and the workload ask the script when they get there.
 *
 * A script may name what no longer makes sense on this build or after an edit (a crash of a node
 * already down, a node the scenario does not have): such an entry is skipped with a trace line,
 * never an error, so an edited or shrunk script always runs.
 */
import type { DeviceEpisode, ScriptEntry, TimedFault } from './decisions.ts';
import type { CxlPool } from './hardware/cxl.ts';
import type { SmartSsd } from './hardware/smart-ssd.ts';
import { diskFull, diskFullEnd, diskSlow, diskSlowEnd } from './nemesis.ts';
import type { SimNode } from './node.ts';
import type { World } from './scenario.ts';

/** Schedules every timed fault of `script` in `w` (call after setup, before the run). */
export function playScript(w: World<unknown>, script: readonly ScriptEntry[]): void {
  const ids = new Set(w.nodes.map((n) => n.id));
  for (const e of script) {
    if (!isTimed(e)) continue;
    const names = 'device' in e ? [] : nodesOf(e);
    const missing = names.filter((x) => !ids.has(x));
    if ('device' in e && !w.devices.some((d) => d.label === e.device)) missing.push(`device ${e.device}`);
    if (missing.length > 0) {
      w.sim.log('-', 'script-skip', `${e.kind}: no ${missing.map((m) => (m.startsWith('device ') ? m : `node ${m}`)).join(', ')}`);
      continue;
    }
    w.sim.atEventOfInstant(Math.max(e.atNs, w.sim.now), e.event ?? 0, () => {
      if (w.phase !== 'fault') return;
      const d = w.sim.decisions;
      d.playing = true;
      try {
        apply(w, e);
      } finally {
        d.playing = false;
      }
      for (const f of w.faultListeners) f();
    }, 1, e.tail ?? -1);
  }
}

function isTimed(e: ScriptEntry): e is ScriptEntry & TimedFault {
  return ['crash', 'start', 'pause', 'partition', 'uncut', 'clog', 'clog-node', 'clock-step', 'clock-drift', 'disk-full', 'disk-slow', 'device-down', 'device-slow', 'device-wear-out', 'cxl-poison'].includes(e.kind);
}

function nodesOf(e: Exclude<TimedFault, DeviceEpisode>): string[] {
  switch (e.kind) {
    case 'uncut':
    case 'clog':
      return [e.from, e.to];
    case 'partition':
      switch (e.shape) {
        case 'partition':
        case 'split':
          return e.groups.flat();
        case 'isolate':
          return [e.node];
        case 'cut':
          return [e.a, e.b];
        case 'one-way':
          return [e.from, e.to];
        case 'bridge':
          return [...e.sideA, ...e.sideB, e.bridge];
        case 'ring':
          return e.order;
      }
      return [];
    default:
      return [e.node];
  }
}

/** How many scripted partitions hold each cut link, per world: one partition's end uncuts only what no other holds. */
const holds = new WeakMap<World<unknown>, Map<number, number>>();

function apply(w: World<unknown>, e: ScriptEntry & TimedFault): void {
  const node = (id: string): SimNode => w.node(id);
  const later = (durNs: number | null, fn: () => void): void => {
    if (durNs === null) return;
    w.sim.atEventOfInstant(e.atNs + durNs, e.endEvent ?? 0, () => {
      if (w.phase !== 'fault') return;
      const d = w.sim.decisions;
      d.playing = true;
      try {
        fn();
      } finally {
        d.playing = false;
      }
      for (const f of w.faultListeners) f();
    }, 0, e.endTail ?? -1);
  };
  switch (e.kind) {
    case 'crash': {
      const n = node(e.node);
      if (n.state === 'down') return void w.sim.log(n.id, 'script-skip', 'crash: already down');
      n.crash(e.mode);
      const epoch = n.epoch;
      later(e.durNs, () => {
        if (n.state === 'down' && n.epoch === epoch) n.start();
      });
      return;
    }
    case 'start': {
      const n = node(e.node);
      if (n.state !== 'down') return void w.sim.log(n.id, 'script-skip', 'start: not down');
      n.start();
      return;
    }
    case 'pause':
      node(e.node).pause(e.durNs);
      // A nemesis tells its oracle when a pause is over (the lb nemesis re-reads the ground
      // truth then); the player does too, after the node's own resume at that instant.
      w.sim.schedule(e.durNs, () => {
        if (w.phase === 'fault') for (const f of w.faultListeners) f();
      });
      return;
    case 'partition': {
      const before = new Set(w.net.blockedLinks());
      switch (e.shape) {
        case 'partition': w.net.partition(e.groups); break;
        case 'split': w.net.split(e.groups); break;
        case 'isolate': w.net.isolate(e.node); break;
        case 'cut': w.net.cut(e.a, e.b); break;
        case 'one-way': w.net.blockOneWay(e.from, e.to); break;
        case 'bridge': w.net.bridge(e.sideA, e.sideB, e.bridge); break;
        case 'ring': w.net.ring(e.order); break;
      }
      let h = holds.get(w);
      if (h === undefined) holds.set(w, (h = new Map()));
      const mine = w.net.blockedLinks().filter((k) => !before.has(k) || (h.get(k) ?? 0) > 0);
      for (const k of mine) h.set(k, (h.get(k) ?? 0) + 1);
      later(e.durNs, () => {
        const free: number[] = [];
        for (const k of mine) {
          const c = (h.get(k) ?? 1) - 1;
          if (c <= 0) {
            h.delete(k);
            free.push(k);
          } else h.set(k, c);
        }
        w.net.unblockLinks(free);
      });
      return;
    }
    case 'uncut':
      w.net.unblockOneWay(e.from, e.to);
      return;
    case 'clog':
      w.net.clog(e.from, e.to, e.durNs);
      // A heal cleared it before its planned end (Decisions.end): clear it at the same point.
      if (e.healNs !== undefined) later(e.healNs, () => w.net.unclog(e.from, e.to));
      return;
    case 'clog-node':
      w.net.clogNode(e.node, e.durNs);
      if (e.healNs !== undefined) later(e.healNs, () => w.net.unclogNode(e.node));
      return;
    case 'clock-step':
      node(e.node).stepClock(e.deltaNs);
      return;
    case 'clock-drift':
      node(e.node).setDrift(e.ppm);
      return;
    case 'disk-full': {
      const n = node(e.node);
      diskFull(w, n);
      later(e.durNs, () => diskFullEnd(n));
      return;
    }
    case 'disk-slow': {
      const n = node(e.node);
      diskSlow(w, n, e.factor);
      later(e.durNs, () => diskSlowEnd(n));
      return;
    }
    case 'device-down': {
      const dev = w.devices.find((x) => x.label === e.device)!;
      if (dev.state !== 'up') return void w.sim.log(dev.name, 'script-skip', `${e.how}: not up`);
      if (e.how === 'domain') {
        w.domains.fail(dev.options.domain);
        later(e.durNs, () => w.domains.recover(dev.options.domain));
        return;
      }
      if (e.how === 'crash') dev.crash();
      else dev.wedge();
      later(e.durNs, () => dev.restart());
      return;
    }
    case 'device-slow': {
      const dev = w.devices.find((x) => x.label === e.device)!;
      dev.slowFactor = e.factor;
      later(e.durNs, () => (dev.slowFactor = 1));
      return;
    }
    case 'device-wear-out': {
      const dev = w.devices.find((x) => x.label === e.device)!;
      if (!('wearOut' in dev)) return void w.sim.log(dev.name, 'script-skip', 'wear-out: not a SmartSSD');
      (dev as SmartSsd).wearOut(e.budget);
      return;
    }
    case 'cxl-poison': {
      const dev = w.devices.find((x) => x.label === e.device)!;
      if (!('poison' in dev) || !(e.addr >= 0 && e.addr < (dev as CxlPool).words)) return void w.sim.log(dev.name, 'script-skip', `poison: no word ${e.addr} in a CXL pool`);
      (dev as CxlPool).poison(e.addr);
      return;
    }
  }
}
