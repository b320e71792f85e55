/**
 * The adaptive selector's dwell time, judged from its picks (docs/lb.md, "adaptive-dwell-exact").
 * The selector promises hysteresis: it switches to a new mode only once the statistics have called
 * for that mode at every pick for `minDwellNs` of its balancer's clock, and then at the first such
 * pick. Too early is the flapping the dwell exists to prevent (a burst of slow replies flips every
 * balancer's algorithm); too late leaves a slow backend its full share for longer than configured.
 * Neither breaks a safety bound of its own, so without this model both passed every sweep.
 *
 * The balancer reports each adaptive pick: the mode the statistics called for and the mode it
 * used, on its local clock. This model keeps its own "wanted since" per balancer incarnation (a
 * restarted balancer starts afresh in round robin, as a new selector does) and decides on its own
 * which mode each pick must have used.
 */
import type { World } from '../../../sim/scenario.ts';
import type { Nanos } from '../../../sim/time.ts';
import type { AdaptiveMode } from '../algorithms.ts';

interface Model {
  incarnation: number;
  mode: AdaptiveMode;
  wanted: AdaptiveMode;
  wantedSinceNs: Nanos;
}

export class AdaptiveDwellOracle {
  private readonly models = new Map<string, Model>();
  readonly stats = { picks: 0, switches: 0 };

  /** `minDwellNs`: the dwell the balancers were configured with (the selector's default is 1 s). */
  constructor(
    private readonly w: World<unknown>,
    private readonly minDwellNs: Nanos,
  ) {}

  picked(lb: string, desired: AdaptiveMode, used: AdaptiveMode, atNs: Nanos): void {
    this.stats.picks++;
    const incarnation = this.w.node(lb).incarnation;
    let m = this.models.get(lb);
    if (m === undefined || m.incarnation !== incarnation) this.models.set(lb, (m = { incarnation, mode: 'round-robin', wanted: 'round-robin', wantedSinceNs: atNs }));
    if (desired !== m.wanted) {
      m.wanted = desired;
      m.wantedSinceNs = atNs;
    }
    const wantedForNs = atNs - m.wantedSinceNs;
    const due = m.wanted !== m.mode && wantedForNs >= this.minDwellNs;
    const expect = due ? m.wanted : m.mode;
    if (used === expect) {
      if (due) this.stats.switches++;
      m.mode = expect;
      return;
    }
    const msg =
      used === m.wanted
        ? `${lb} switched its adaptive selection from ${m.mode} to ${used} after ${used} had been called for at every pick for ${wantedForNs}ns; the dwell is ${this.minDwellNs}ns`
        : due
          ? `${lb} kept ${m.mode} (picked with ${used}) although ${m.wanted} had been called for at every pick for ${wantedForNs}ns; the dwell is ${this.minDwellNs}ns`
          : `${lb} picked with ${used} while in ${m.mode}, and the statistics called for ${m.wanted}`;
    this.w.violation('adaptive-dwell-exact', msg);
    // Follow the balancer from here, so that one wrong switch is one violation, not one per pick.
    m.mode = used;
  }
}
