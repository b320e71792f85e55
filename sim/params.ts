/**
 * Typed scenario parameters, with swarm testing. Each parameter has a default and, optionally, a
 * swarm range: by default every seed draws its own value from that range (TigerBeetle's VOPR
 * draws its whole fault mix per seed), so a sweep explores different weather rather than one
 * configuration. `--param k=v` pins a value; `--no-swarm` uses the defaults.
 */
import type { Rng } from './prng.ts';

interface Base<T> {
  /** One line for `detsim list`. */
  doc: string;
  default: T;
}

export interface IntParam extends Base<number> {
  type: 'int';
  min: number;
  max: number;
  /** Inclusive range drawn per seed, or absent to keep the default. */
  swarm?: [number, number];
}
export interface FloatParam extends Base<number> {
  type: 'float';
  min: number;
  max: number;
  swarm?: [number, number];
  /**
   * Probability that the swarm draw is exactly 0 (a fault kind switched off for the seed),
   * so sweeps include calm seeds as well as stormy ones.
   */
  swarmOffProbability?: number;
}
export interface BoolParam extends Base<boolean> {
  type: 'bool';
  /** Probability of true when drawn per seed. */
  swarm?: number;
}
export interface EnumParam<V extends string = string> extends Base<V> {
  type: 'enum';
  values: readonly V[];
  /** Values drawn from per seed (uniformly). */
  swarm?: readonly V[];
}

export type ParamDef = IntParam | FloatParam | BoolParam | EnumParam;
export type ParamDefs = Record<string, ParamDef>;

export type ParamValue<D extends ParamDef> = D extends EnumParam<infer V> ? V : D['default'];
export type ParamValues<P extends ParamDefs> = { [K in keyof P]: ParamValue<P[K]> };

/** Builders with the type tag filled in. */
export const param = {
  int: (o: Omit<IntParam, 'type'>): IntParam => ({ type: 'int', ...o }),
  float: (o: Omit<FloatParam, 'type'>): FloatParam => ({ type: 'float', ...o }),
  bool: (o: Omit<BoolParam, 'type'>): BoolParam => ({ type: 'bool', ...o }),
  // `const V` and NoInfer: infer the value union from `values` alone, not from the context.
  enum: <const V extends string>(values: readonly V[], o: { doc: string; default: NoInfer<V>; swarm?: readonly NoInfer<V>[] }): EnumParam<V> => ({ type: 'enum', values, ...o }),
};

/** A user error in a parameter: reported as one line, exit code 2. */
export class ParamError extends Error {
  override name = 'ParamError';
}

/** Parses one `k=v` value for `def`, or throws ParamError saying what is accepted. */
export function parseParamValue(name: string, def: ParamDef, raw: string): number | boolean | string {
  switch (def.type) {
    case 'int': {
      const v = raw.trim() === '' ? NaN : Number(raw);
      if (!Number.isInteger(v)) throw new ParamError(`parameter ${name} must be an integer, got "${raw}"`);
      if (v < def.min || v > def.max) throw new ParamError(`parameter ${name} must be in [${def.min}, ${def.max}], got ${v}`);
      return v;
    }
    case 'float': {
      const v = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(v)) throw new ParamError(`parameter ${name} must be a number, got "${raw}"`);
      if (v < def.min || v > def.max) throw new ParamError(`parameter ${name} must be in [${def.min}, ${def.max}], got ${v}`);
      return v;
    }
    case 'bool':
      if (raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      throw new ParamError(`parameter ${name} must be true or false, got "${raw}"`);
    case 'enum':
      if (!def.values.includes(raw)) throw new ParamError(`parameter ${name} must be one of ${def.values.join(', ')}; got "${raw}"`);
      return raw;
  }
}

/** Parses `k=v` strings against `defs`; unknown names and bad values throw ParamError. */
export function parsePins(defs: ParamDefs, scenario: string, pins: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of pins) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new ParamError(`--param expects name=value, got "${p}"`);
    const name = p.slice(0, eq);
    const def = defs[name];
    if (def === undefined) {
      const known = Object.keys(defs).join(', ') || '(none)';
      throw new ParamError(`scenario ${scenario} has no parameter "${name}"; its parameters are: ${known}`);
    }
    out[name] = parseParamValue(name, def, p.slice(eq + 1));
  }
  return out;
}

/**
 * The run's parameter values: pinned ones as given; the others drawn from their swarm ranges
 * (when `swarm` is on) or left at their defaults. Draws come from the `swarm` stream in the
 * order of the definitions, one draw per parameter whether pinned or not, so pinning one
 * parameter never changes the draws of the others.
 */
export function resolveParams<P extends ParamDefs>(defs: P, pinned: Record<string, unknown>, rng: Rng, swarm: boolean): ParamValues<P> {
  const out: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(defs)) {
    const drawn = drawOne(def, rng);
    if (name in pinned) out[name] = pinned[name];
    else out[name] = swarm && drawn !== undefined ? drawn : def.default;
  }
  return out as ParamValues<P>;
}

function drawOne(def: ParamDef, rng: Rng): unknown {
  // Always consume the same number of draws for a definition, drawn or not.
  const u = rng.next();
  const u2 = rng.next();
  switch (def.type) {
    case 'int':
      return def.swarm ? def.swarm[0] + Math.floor(u * (def.swarm[1] - def.swarm[0] + 1)) : undefined;
    case 'float':
      if (!def.swarm) return undefined;
      if (def.swarmOffProbability !== undefined && u2 < def.swarmOffProbability) return 0;
      return round6(def.swarm[0] + u * (def.swarm[1] - def.swarm[0]));
    case 'bool':
      return def.swarm === undefined ? undefined : u < def.swarm;
    case 'enum':
      return def.swarm && def.swarm.length > 0 ? def.swarm[Math.floor(u * def.swarm.length)] : undefined;
  }
}

/** Drawn floats are rounded so printed parameters replay exactly when pinned. */
function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
