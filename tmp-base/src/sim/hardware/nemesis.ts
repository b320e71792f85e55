/**
 * The hardware nemesis: faults of the hardware models on a schedule, next to the standard nemesis
 * (which crashes, pauses and partitions nodes). Every fault here is one the systems should
 * survive: at most a minority of NICs is down or wedged at once, SSD controllers come back,
 * wrong scan results are caught by checksums, at most one SSD wears out, a failed CXL pool
 * returns, a corrupt ciphertext fails its MAC at the receiver, and poisoned lines are replaced by the next full-line write. The liveness phase undoes
 * what can be undone (World.heal restarts devices and resets slowness; we also clear rates).
 */
import type { ParamValues } from '../params.ts';
import { param } from '../params.ts';
import { sleep } from '../process.ts';
import type { World } from '../scenario.ts';
import { ms, type Nanos } from '../time.ts';
import type { CxlPool } from './cxl.ts';
import type { SmartNic } from './smart-nic.ts';
import type { SmartSsd } from './smart-ssd.ts';

/** Parameters of the hardware nemesis; `defaults` overrides their defaults for one scenario. */
export function hardwareFaultParams(defaults: Partial<{ nicCrashMsMean: number; nicWedgeMsMean: number; ssdFailMsMean: number; cxlFailMsMean: number; cxlPoisonMsMean: number; hwDownMsMean: number }> = {}) {
  return {
    nicCrashMsMean: param.float({ doc: 'mean time between SmartNIC crashes/reboots (ms); 0 = none', default: defaults.nicCrashMsMean ?? 150, min: 0, max: 1e7, swarm: [20, 400], swarmOffProbability: 0.2 }),
    nicWedgeMsMean: param.float({ doc: 'mean time between SmartNIC wedges, host alive (ms); 0 = none', default: defaults.nicWedgeMsMean ?? 300, min: 0, max: 1e7, swarm: [50, 800], swarmOffProbability: 0.3 }),
    nicCryptoCorruptRate: param.float({ doc: 'probability that a SmartNIC crypto engine returns a corrupt ciphertext (the MAC must catch it)', default: 0.02, min: 0, max: 1, swarm: [0, 0.1], swarmOffProbability: 0.2 }),
    hwDownMsMean: param.float({ doc: 'mean time a crashed/wedged/failed device stays out (ms)', default: defaults.hwDownMsMean ?? 20, min: 0.001, max: 1e7, swarm: [2, 60] }),
    ssdFailMsMean: param.float({ doc: 'mean time between SmartSSD controller failures (ms); 0 = none', default: defaults.ssdFailMsMean ?? 300, min: 0, max: 1e7, swarm: [50, 800], swarmOffProbability: 0.3 }),
    ssdWrongResultRate: param.float({ doc: 'probability that an in-storage scan returns a wrong value', default: 0.05, min: 0, max: 1, swarm: [0, 0.3], swarmOffProbability: 0.2 }),
    ssdPartialResultRate: param.float({ doc: 'probability that an in-storage scan drops rows', default: 0.05, min: 0, max: 1, swarm: [0, 0.3], swarmOffProbability: 0.2 }),
    ssdSlowFactorMax: param.float({ doc: 'largest slow-NAND factor a slow SSD episode applies (1 = never slow)', default: 4, min: 1, max: 1000, swarm: [1, 20] }),
    ssdWearOut: param.bool({ doc: 'one SSD wears out during the fault phase (writes fail after a budget)', default: false, swarm: 0.3 }),
    cxlFailMsMean: param.float({ doc: 'mean time between CXL pool failures (ms); 0 = none', default: defaults.cxlFailMsMean ?? 200, min: 0, max: 1e7, swarm: [30, 600], swarmOffProbability: 0.2 }),
    cxlPoisonMsMean: param.float({ doc: 'mean time between poisoned CXL lines (ms); 0 = none', default: defaults.cxlPoisonMsMean ?? 100, min: 0, max: 1e7, swarm: [10, 400], swarmOffProbability: 0.2 }),
    cxlTornWriteRate: param.float({ doc: 'probability that a multi-word CXL write silently tears', default: 0.01, min: 0, max: 1, swarm: [0, 0.05], swarmOffProbability: 0.3 }),
  };
}

export type HardwareFaultParams = ParamValues<ReturnType<typeof hardwareFaultParams>>;

export interface HardwareTargets {
  nics?: SmartNic[];
  ssds?: SmartSsd[];
  pools?: CxlPool[];
  /** CXL words the poison nemesis aims at (default: the whole pool). */
  poisonAddrs?: number[];
  /** At most this many NICs crashed or wedged at once (default: a minority). */
  maxNicsDown?: number;
}

/** Starts the hardware nemesis for `targets`, driven by `p`. Call in setup. */
export function hardwareNemesis(w: World<unknown>, p: HardwareFaultParams, t: HardwareTargets): void {
  const rng = w.rng('hw-nemesis');
  const d = w.sim.decisions;
  const mean = (x: number): Nanos => Math.max(1, Math.round(rng.exponential(ms(x))));
  const nics = t.nics ?? [];
  const ssds = t.ssds ?? [];
  const pools = t.pools ?? [];
  for (const s of ssds) s.faults = { wrongResultRate: p.ssdWrongResultRate, partialResultRate: p.ssdPartialResultRate };
  for (const c of pools) c.faults = { poisonRate: 0, tornWriteRate: p.cxlTornWriteRate };
  for (const n of nics) n.cryptoFaults = { corruptRate: p.nicCryptoCorruptRate };
  if (nics.length > 0 && p.nicCryptoCorruptRate > 0) w.enableFault('device-wrong-result');
  if (ssds.length > 0 && (p.ssdWrongResultRate > 0 || p.ssdPartialResultRate > 0)) w.enableFault('device-wrong-result');
  if (pools.length > 0 && p.cxlTornWriteRate > 0) w.enableFault('device-torn-write');
  w.onHeal(() => {
    for (const n of nics) n.cryptoFaults = { corruptRate: 0 };
    for (const s of ssds) s.faults = { wrongResultRate: 0, partialResultRate: 0 };
    for (const c of pools) c.faults = { poisonRate: 0, tornWriteRate: 0 };
  });

  const maxNicsDown = t.maxNicsDown ?? Math.floor((nics.length - 1) / 2);
  const nicsOut = new Set<SmartNic>();
  const nicFault = (name: string, meanMs: number, act: (n: SmartNic) => void): void => {
    if (meanMs <= 0 || nics.length === 0 || maxNicsDown <= 0) return;
    w.enableFault(name === 'nic-crash' ? 'device-crash' : 'device-wedge');
    w.nemesis(name, (function* () {
      for (;;) {
        yield sleep(w.sim, mean(meanMs));
        const candidates = nics.filter((n) => n.state === 'up' && !nicsOut.has(n));
        if (candidates.length === 0 || nicsOut.size >= maxNicsDown) continue;
        const victim = rng.pick(candidates);
        const down = mean(p.hwDownMsMean);
        let applied = false;
        d.fault({ kind: 'device-down', device: victim.label, how: name === 'nic-crash' ? 'crash' : 'wedge', durNs: null }, () => {
          applied = true;
          act(victim);
        });
        if (!applied) continue; // a scripted run: the script's player makes the device faults
        nicsOut.add(victim);
        w.sim.schedule(down, () => {
          nicsOut.delete(victim);
          if (w.phase === 'fault') d.end('device-down', victim.label, () => victim.restart());
        });
      }
    })());
  };
  nicFault('nic-crash', p.nicCrashMsMean, (n) => n.crash());
  nicFault('nic-wedge', p.nicWedgeMsMean, (n) => n.wedge());

  if (p.ssdFailMsMean > 0 && ssds.length > 0) {
    w.enableFault('device-crash');
    if (p.ssdSlowFactorMax > 1) w.enableFault('device-slow');
  }
  if (p.ssdFailMsMean > 0 && ssds.length > 0)
    w.nemesis('ssd', (function* () {
      for (;;) {
        yield sleep(w.sim, mean(p.ssdFailMsMean));
        const victim = rng.pick(ssds);
        const kind = rng.int(0, 1);
        if (kind === 0 && victim.state === 'up') {
          const down = mean(p.hwDownMsMean);
          let applied = false;
          d.fault({ kind: 'device-down', device: victim.label, how: 'crash', durNs: null }, () => {
            applied = true;
            victim.crash(); // controller failure
          });
          if (applied) w.sim.schedule(down, () => { if (w.phase === 'fault') d.end('device-down', victim.label, () => victim.restart()); });
        } else if (p.ssdSlowFactorMax > 1) {
          const factor = rng.uniform(1, p.ssdSlowFactorMax); // slow NAND
          const down = mean(p.hwDownMsMean);
          let applied = false;
          d.fault({ kind: 'device-slow', device: victim.label, factor, durNs: null }, () => {
            applied = true;
            victim.slowFactor = factor;
          });
          if (applied) w.sim.schedule(down, () => d.end('device-slow', victim.label, () => (victim.slowFactor = 1)));
        }
      }
    })());

  if (p.ssdWearOut && ssds.length > 0) {
    w.enableFault('device-wear-out');
    const victim = rng.pick(ssds);
    const atNs = mean(p.ssdFailMsMean > 0 ? p.ssdFailMsMean : 100);
    const budget = rng.int(0, 200);
    w.sim.schedule(atNs, () => { if (w.phase === 'fault') d.fault({ kind: 'device-wear-out', device: victim.label, budget }, () => victim.wearOut(budget)); });
  }

  if (p.cxlFailMsMean > 0 && pools.length > 0) w.enableFault('device-crash');
  if (p.cxlPoisonMsMean > 0 && pools.length > 0) w.enableFault('device-poison');
  if (p.cxlFailMsMean > 0 && pools.length > 0)
    w.nemesis('cxl-fail', (function* () {
      for (;;) {
        yield sleep(w.sim, mean(p.cxlFailMsMean));
        const victim = rng.pick(pools);
        if (victim.state !== 'up') continue;
        const down = mean(p.hwDownMsMean);
        let applied = false;
        d.fault({ kind: 'device-down', device: victim.label, how: 'domain', durNs: null }, () => {
          applied = true;
          w.domains.fail(victim.options.domain);
        });
        yield sleep(w.sim, down);
        if (applied) d.end('device-down', victim.label, () => w.domains.recover(victim.options.domain));
      }
    })());

  if (p.cxlPoisonMsMean > 0 && pools.length > 0)
    w.nemesis('cxl-poison', (function* () {
      for (;;) {
        yield sleep(w.sim, mean(p.cxlPoisonMsMean));
        const victim = rng.pick(pools);
        const addrs = t.poisonAddrs ?? [];
        const addr = addrs.length > 0 ? rng.pick(addrs) : rng.int(0, victim.words - 1);
        d.fault({ kind: 'cxl-poison', device: victim.label, addr }, () => victim.poison(addr));
      }
    })());
}
