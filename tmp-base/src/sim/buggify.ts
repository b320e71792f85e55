/**
 * BUGGIFY, with FoundationDB's semantics. Protocol code marks places where the world may be
 * unkind (a heartbeat dropped, a timeout shortened, an fsync delayed) with a stable site name.
 * Each site is enabled or not once per run (with `enableProbability`), the first time it is
 * reached; an enabled site then fires with `fireProbability` each time it is reached. So one seed
 * explores a few sites hard instead of every site a little, and rarely-reached code gets pushed.
 *
 * Each site draws from its own stream named after the site, so whether a site is enabled does
 * not depend on which other sites were reached first.
 */
import type { Rng, RngRoot } from './prng.ts';

/** How BUGGIFY chooses sites: each is enabled for a run with one probability, then fires with another. */
export interface BuggifyOptions {
  /** Master switch (`--no-buggify` turns it off). */
  enabled: boolean;
  /** Probability that a site is enabled for the run. FoundationDB uses 0.25. */
  enableProbability: number;
  /** Probability that an enabled site fires each time it is reached. FoundationDB uses 0.25. */
  fireProbability: number;
}

/** FoundationDB's figures: a site is enabled for a run with probability 0.25, then fires with probability 0.25. */
export const DEFAULT_BUGGIFY: BuggifyOptions = { enabled: true, enableProbability: 0.25, fireProbability: 0.25 };

interface SiteState {
  enabled: boolean;
  rng: Rng;
  reached: number;
  fired: number;
}

/** What BUGGIFY did in a run (part of every run's result). */
export interface BuggifyReport {
  /** Whether BUGGIFY was on for the run. */
  enabled: boolean;
  /** Sites enabled for this run, sorted. */
  enabledSites: string[];
  /** How often each enabled site fired. */
  fired: Record<string, number>;
  /** How often each site was reached, enabled or not. */
  reached: Record<string, number>;
}

/** BUGGIFY fault injection in protocol code (FoundationDB's): `ctx.buggify(site)` is true when the site fires. Reached through `sim.buggify`. */
export class Buggify {
  private sites = new Map<string, SiteState>();
  /** Set when the faults stop (the liveness phase): sites are still counted but never fire. */
  private quiet = false;

  /**
   * Stops every site from firing from now on, as the liveness phase stops every other fault:
   * a system must recover once the weather clears, not while BUGGIFY keeps shortening timeouts.
   */
  quiesce(): void {
    this.quiet = true;
  }

  constructor(
    private readonly root: RngRoot,
    /** The probabilities in force. */
    readonly options: BuggifyOptions = DEFAULT_BUGGIFY,
  ) {}

  /**
   * Called each time a site fires, with the node that reached it ('-' for the world): the kernel
   * records it in the trace, so a timeline shows where BUGGIFY bent the run.
   */
  onFire: ((site: string, node: string) => void) | null = null;

  /**
   * Whether a reach fires, given what the site's stream drew (sim/decisions.ts records it, or a
   * script decides): set by the kernel. `n` counts the site's reaches from 1.
   */
  decide: ((site: string, node: string, n: number, drawn: boolean) => boolean) | null = null;

  /** True if this site fires now. Always false when buggify is off. */
  fire(site: string, node = '-'): boolean {
    if (!this.options.enabled) return false;
    let s = this.sites.get(site);
    if (s === undefined) {
      const rng = this.root.stream(`buggify/${site}`);
      s = { enabled: rng.chance(this.options.enableProbability), rng, reached: 0, fired: 0 };
      this.sites.set(site, s);
    }
    s.reached++;
    const drawn = s.enabled && !this.quiet && s.rng.chance(this.options.fireProbability);
    if (!(this.decide === null ? drawn : this.decide(site, node, s.reached, drawn))) return false;
    s.fired++;
    if (this.onFire !== null) this.onFire(site, node);
    return true;
  }

  /** `buggy` when the site fires, else `normal`. */
  value<T>(site: string, normal: T, buggy: T): T {
    return this.fire(site) ? buggy : normal;
  }

  /** What BUGGIFY did so far: sites enabled, fired and reached. */
  report(): BuggifyReport {
    const names = [...this.sites.keys()].sort();
    const fired: Record<string, number> = {};
    const reached: Record<string, number> = {};
    const enabledSites: string[] = [];
    for (const n of names) {
      const s = this.sites.get(n)!;
      reached[n] = s.reached;
      if (s.enabled) {
        enabledSites.push(n);
        fired[n] = s.fired;
      }
    }
    return { enabled: this.options.enabled, enabledSites, fired, reached };
  }
}
