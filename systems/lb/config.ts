/**
 * Versioned, immutable load balancer configuration (seed 003, race condition #3: "Configuration
 * Update During Request"). A request reads `current()` once when it starts and keeps that object
 * for its whole life, so a concurrent `publish` never changes the backends, weights or algorithm
 * under it. Publishing builds a new frozen object with the next version number and swaps one
 * reference: readers see the old config or the new one, never a mixture.
 *
 * Old versions stay retrievable while pinned (a request in flight pins its version); unpinned old
 * versions are pruned on publish, keeping memory bounded in long runs.
 */
import { assert } from '../../sim/assert.ts';
import { LbConfigError } from './errors.ts';
import { buildMaglevTable, MAGLEV_DEFAULT_TABLE_SIZE, type MaglevTable } from './maglev.ts';

/** Selection algorithms a config can name. */
export type AlgorithmName = 'round-robin' | 'least-request' | 'latency-weighted' | 'adaptive' | 'maglev';

/** One backend in a config. */
export interface BackendSpec {
  /** Unique id; also the Maglev key (e.g. "10.0.0.1:8080"). */
  readonly id: string;
  /** Relative weight, > 0. */
  readonly weight: number;
}

/** The settings a config carries (everything but its version). */
export interface LbSettings {
  readonly backends: readonly BackendSpec[];
  readonly algorithm: AlgorithmName;
  /** Maglev table size, prime; default 65537. */
  readonly maglevTableSize?: number;
}

/** One immutable config version. */
export interface LbConfig extends LbSettings {
  /** 1 for the first config, +1 per publish. */
  readonly version: number;
  readonly maglevTableSize: number;
}

function freezeConfig(version: number, s: LbSettings): LbConfig {
  const seen = new Set<string>();
  for (const b of s.backends) {
    if (seen.has(b.id)) throw new LbConfigError('duplicate-backend', `backend "${b.id}" appears twice in config version ${version}`);
    seen.add(b.id);
    if (!(Number.isFinite(b.weight) && b.weight > 0)) throw new LbConfigError('maglev-bad-weight', `backend "${b.id}" has weight ${b.weight}; weights must be > 0`);
  }
  return Object.freeze({
    version,
    backends: Object.freeze(s.backends.map((b) => Object.freeze({ id: b.id, weight: b.weight }))),
    algorithm: s.algorithm,
    maglevTableSize: s.maglevTableSize ?? MAGLEV_DEFAULT_TABLE_SIZE,
  });
}

/** Holds the current config and the pinned older ones. */
export class ConfigStore {
  private latest: LbConfig;
  private readonly versions = new Map<number, LbConfig>();
  private readonly pins = new Map<number, number>();
  private readonly tables = new Map<number, MaglevTable>();
  private readonly zeroPinsKept: boolean;

  /** `zeroPinsKept` (bug zoo): a release leaves a count of 0 behind, so a version once shared by two requests is never pruned. */
  constructor(initial: LbSettings, options: { zeroPinsKept?: boolean } = {}) {
    this.zeroPinsKept = options.zeroPinsKept ?? false;
    this.latest = freezeConfig(1, initial);
    this.versions.set(1, this.latest);
  }

  /** The current config: one atomic read. Keep the returned object for the request's lifetime. */
  current(): LbConfig {
    return this.latest;
  }

  /** A retained version; throws LbConfigError('unknown-config-version') if pruned or never made. */
  get(version: number): LbConfig {
    const c = this.versions.get(version);
    if (c === undefined) throw new LbConfigError('unknown-config-version', `config version ${version} is not retained; pin a version while a request uses it`);
    return c;
  }

  /** Publishes new settings (or a function of the current config) as the next version. */
  publish(next: LbSettings | ((current: LbConfig) => LbSettings)): LbConfig {
    const settings = typeof next === 'function' ? next(this.latest) : next;
    const c = freezeConfig(this.latest.version + 1, settings);
    this.latest = c;
    this.versions.set(c.version, c);
    this.prune();
    return c;
  }

  /** Starts a request: returns the current config and pins its version until `release`. */
  acquire(): LbConfig {
    const c = this.latest;
    this.pins.set(c.version, (this.pins.get(c.version) ?? 0) + 1);
    return c;
  }

  /** Ends a request started with `acquire`. */
  release(config: LbConfig): void {
    const n = this.pins.get(config.version);
    assert(n !== undefined && n > 0, `ConfigStore.release: version ${config.version} is not pinned`);
    if (n === 1 && !this.zeroPinsKept) this.pins.delete(config.version);
    else this.pins.set(config.version, n - 1);
    this.prune();
  }

  /** Versions still retained, ascending. */
  retainedVersions(): number[] {
    return [...this.versions.keys()].sort((a, b) => a - b);
  }

  /** The Maglev table of a config version, built once per version and cached while retained. */
  maglevTable(config: LbConfig): MaglevTable {
    let t = this.tables.get(config.version);
    if (t === undefined) {
      t = buildMaglevTable(
        config.backends.map((b) => ({ key: b.id, weight: b.weight })),
        { tableSize: config.maglevTableSize },
      );
      if (this.versions.get(config.version) === config) this.tables.set(config.version, t);
    }
    return t;
  }

  private prune(): void {
    for (const v of [...this.versions.keys()]) {
      if (v !== this.latest.version && !this.pins.has(v)) {
        this.versions.delete(v);
        this.tables.delete(v);
      }
    }
  }
}
