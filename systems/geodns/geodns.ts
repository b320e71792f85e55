/**
 * GeoDNS (seed 000, the global traffic layer): the authoritative answer for a service name is the
 * nearest healthy region of the asking client; answers carry a TTL and clients cache them. Pure
 * state machines, no kernel: `GeoDnsState` (what the authoritative server knows: region health
 * from its monitors, regions taken out by operators, the distance ranking) and `DnsCache` (a
 * client's cache, including the misbehaving clients the seed warns about that keep an answer past
 * its TTL).
 */
import { assert } from '../../sim/assert.ts';
import type { Nanos } from '../../sim/time.ts';

export interface GeoDnsOptions {
  /** Region names, in a fixed order. */
  regions: readonly string[];
  /** Answer TTL (ns). */
  ttlNs: Nanos;
  /** Consecutive failed probes before a region is taken out of the answers. */
  fallThreshold: number;
  /** Consecutive good probes before a region is put back. */
  riseThreshold: number;
  /** Bug zoo: answer the nearest region whatever its health (the monitors' verdict is ignored). */
  bugIgnoreHealth?: boolean;
  /** Bug zoo (a dead GeoDNS): queries get no answer at all; its health view stays right. */
  bugAnswerNothing?: boolean;
}

export interface DnsAnswer {
  region: string;
  ttlNs: Nanos;
  /** Regions eligible when the answer was made (for traces and checks). */
  eligible: string[];
}

/** The authoritative server's view: health per region and operator drains ("evacuations"). */
export class GeoDnsState {
  private readonly healthy = new Map<string, boolean>();
  private readonly fails = new Map<string, number>();
  private readonly rises = new Map<string, number>();
  private readonly evacuated = new Set<string>();
  /** Region -> times it was taken out of the answers (health) and put back. */
  readonly transitions: { region: string; healthy: boolean }[] = [];

  constructor(readonly o: GeoDnsOptions) {
    assert(o.regions.length > 0, 'GeoDNS needs at least one region');
    assert(o.fallThreshold >= 1 && o.riseThreshold >= 1, 'GeoDNS thresholds must be >= 1');
    for (const r of o.regions) this.healthy.set(r, true);
  }

  isHealthy(region: string): boolean {
    return this.healthy.get(region) === true;
  }

  /** One probe result from a monitor. Returns true when the region's health changed. */
  probe(region: string, ok: boolean): boolean {
    assert(this.healthy.has(region), `GeoDNS: unknown region ${region}`);
    if (ok) {
      this.fails.set(region, 0);
      const r = (this.rises.get(region) ?? 0) + 1;
      this.rises.set(region, r);
      if (!this.healthy.get(region) && r >= this.o.riseThreshold) return this.set(region, true);
    } else {
      this.rises.set(region, 0);
      const f = (this.fails.get(region) ?? 0) + 1;
      this.fails.set(region, f);
      if (this.healthy.get(region) && f >= this.o.fallThreshold) return this.set(region, false);
    }
    return false;
  }

  private set(region: string, healthy: boolean): boolean {
    this.healthy.set(region, healthy);
    this.transitions.push({ region, healthy });
    return true;
  }

  /** The operators' evacuation list (from the config store): regions that get no new clients. */
  setEvacuated(regions: Iterable<string>): void {
    this.evacuated.clear();
    for (const r of regions) this.evacuated.add(r);
  }

  /** Regions a client may be sent to now. */
  eligible(): string[] {
    return this.o.regions.filter((r) => !this.evacuated.has(r) && (this.o.bugIgnoreHealth === true || this.isHealthy(r)));
  }

  /**
   * The answer for a client whose nearest regions are `byDistance` (nearest first). When no region
   * is eligible, the nearest non-evacuated one (fail open: an answer that may not work beats none).
   */
  answer(byDistance: readonly string[]): DnsAnswer {
    const eligible = this.eligible();
    const pick = byDistance.find((r) => eligible.includes(r)) ?? byDistance.find((r) => !this.evacuated.has(r)) ?? byDistance[0]!;
    return { region: pick, ttlNs: this.o.ttlNs, eligible };
  }
}

/** Regions ordered by distance from `home` (ring order: home, the next, ...). */
export function byDistance(regions: readonly string[], home: string): string[] {
  const i = regions.indexOf(home);
  assert(i >= 0, `byDistance: unknown region ${home}`);
  return regions.map((_, k) => regions[(i + k) % regions.length]!);
}

/**
 * A client's DNS cache. A well-behaved client re-resolves once the TTL has passed; a `sticky` one
 * (the seed's JVM that caches forever, the resolver that ignores TTLs) keeps its answer until a
 * request through it fails `stickyFailures` times in a row.
 */
export class DnsCache {
  private cached: { region: string; expiresNs: Nanos } | null = null;
  private failures = 0;

  constructor(readonly sticky: boolean, readonly stickyFailures = 3) {}

  /** The cached region if it may be used at `nowNs`, else null (resolve again). */
  lookup(nowNs: Nanos): string | null {
    if (this.cached === null) return null;
    if (!this.sticky && nowNs >= this.cached.expiresNs) return null;
    return this.cached.region;
  }

  /** True when the cached answer's TTL has passed (a sticky client may still be using it). */
  pastTtl(nowNs: Nanos): boolean {
    return this.cached !== null && nowNs >= this.cached.expiresNs;
  }

  store(a: DnsAnswer, nowNs: Nanos): void {
    this.cached = { region: a.region, expiresNs: nowNs + a.ttlNs };
    this.failures = 0;
  }

  /** A request through the cached answer failed; a sticky client gives up on it after a few. */
  failed(): void {
    if (++this.failures >= this.stickyFailures) this.cached = null;
  }

  succeeded(): void {
    this.failures = 0;
  }
}
