/**
 * Typed scenario parameters, with swarm testing. Each parameter has a default and, optionally, a
 * swarm range: by default every seed draws its own value from that range (TigerBeetle's VOPR
 * draws its whole fault mix per seed), so a sweep explores different weather rather than one
 * configuration. `--param k=v` pins a value; `--no-swarm` uses the defaults.
 */
import type { Rng } from './prng.ts';

/** What every parameter definition has. */
export interface ParamBase<T> {
  /** One line for `detsim list`. */
  doc: string;
  /** The value when neither pinned nor drawn (and with --no-swarm). */
  default: T;
  /**
   * Which way `detsim shrink` simplifies a number: 'down' (default: fewer, shorter, smaller) or
   * 'up' (a mean time between faults: larger means fewer faults).
   */
  shrink?: 'down' | 'up';
}

/** An integer parameter. */
export interface IntParam extends ParamBase<number> {
  /** The type tag. */
  type: 'int';
  /** Smallest value allowed. */
  min: number;
  /** Largest value allowed. */
  max: number;
  /** Inclusive range drawn per seed, or absent to keep the default. */
  swarm?: [number, number];
}
/** A number parameter. */
export interface FloatParam extends ParamBase<number> {
  /** The type tag. */
  type: 'float';
  /** Smallest value allowed. */
  min: number;
  /** Largest value allowed. */
  max: number;
  /** Range drawn per seed (uniformly), or absent to keep the default. */
  swarm?: [number, number];
  /**
   * Probability that the swarm draw is exactly 0 (a fault kind switched off for the seed),
   * so sweeps include calm seeds as well as stormy ones.
   */
  swarmOffProbability?: number;
}
/** A boolean parameter. */
export interface BoolParam extends ParamBase<boolean> {
  /** The type tag. */
  type: 'bool';
  /** Probability of true when drawn per seed. */
  swarm?: number;
}
/** A parameter taking one of a list of strings. */
export interface EnumParam<V extends string = string> extends ParamBase<V> {
  /** The type tag. */
  type: 'enum';
  /** The values allowed. */
  values: readonly V[];
  /** Values drawn from per seed (uniformly). */
  swarm?: readonly V[];
}

/** One parameter's definition: made by `param.int`, `param.float`, `param.bool` or `param.enum`. */
export type ParamDef = IntParam | FloatParam | BoolParam | EnumParam;
/** A scenario's parameters by name. */
export type ParamDefs = Record<string, ParamDef>;

/** The value type of one parameter definition. */
export type ParamValue<D extends ParamDef> = D extends EnumParam<infer V> ? V : D['default'];
/** The values a scenario's setup receives: one per parameter, typed from its definition. */
export type ParamValues<P extends ParamDefs> = { [K in keyof P]: ParamValue<P[K]> };

/** Builders with the type tag filled in. */
export const param = {
  /** An integer in [min, max]. */
  int: (o: Omit<IntParam, 'type'>): IntParam => ({ type: 'int', ...o }),
  /** A number in [min, max]. */
  float: (o: Omit<FloatParam, 'type'>): FloatParam => ({ type: 'float', ...o }),
  /** A boolean. */
  bool: (o: Omit<BoolParam, 'type'>): BoolParam => ({ type: 'bool', ...o }),
  // `const V` and NoInfer: infer the value union from `values` alone, not from the context.
  /** One of `values` (e.g. a `bug` parameter's variants). */
  enum: <const V extends string>(values: readonly V[], o: { doc: string; default: NoInfer<V>; swarm?: readonly NoInfer<V>[] }): EnumParam<V> => ({ type: 'enum', values, ...o }),
};

/** A user error in a parameter: reported as one line, exit code 2. */
export class ParamError extends Error {
  /** Always `'ParamError'`. */
  override name = 'ParamError';
}

/**
 * How a number is written in `--param k=v` (and in a repro file's params): plain decimal. An int
 * is an optional minus and digits; a float may add a fraction and an exponent (0.5, .5, 5., 1e-3).
 * Hex, octal and binary prefixes, a plus sign, spaces, Infinity and NaN are refused, so what
 * is typed is what runs and what a repro file records.
 */
const INT_TEXT = /^-?\d+$/;
const FLOAT_TEXT = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** A value quoted in a message: short, control characters escaped. */
function quote(raw: string): string {
  const cut = raw.length > 60 ? `${raw.slice(0, 60)}…` : raw;
  return cut.replace(/[\p{Cc}\p{Cf}\p{Co}\p{Cs}]/gu, (ch) => `\\u${ch.codePointAt(0)!.toString(16).padStart(4, '0')}`);
}

/** Parses one `k=v` value for `def`, or throws ParamError saying what is accepted. */
export function parseParamValue(name: string, def: ParamDef, raw: string): number | boolean | string {
  switch (def.type) {
    case 'int': {
      // Decimal digits only, as a seed is: 0x10, 1e1, +3, " 3" and 3.0 are refused rather than guessed at.
      const v = INT_TEXT.test(raw) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(v)) throw new ParamError(`parameter ${name} must be an integer written in decimal digits (e.g. 3 or -3), got "${quote(raw)}"`);
      if (v < def.min || v > def.max) throw new ParamError(`parameter ${name} must be in [${def.min}, ${def.max}], got ${v}`);
      return v;
    }
    case 'float': {
      const v = FLOAT_TEXT.test(raw) ? Number(raw) : NaN;
      if (!Number.isFinite(v)) throw new ParamError(`parameter ${name} must be a decimal number (e.g. 0.05, 5, 1e-3), got "${quote(raw)}"`);
      if (v < def.min || v > def.max) throw new ParamError(`parameter ${name} must be in [${def.min}, ${def.max}], got ${v}`);
      return v;
    }
    case 'bool':
      if (raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      throw new ParamError(`parameter ${name} must be true or false, got "${quote(raw)}"`);
    case 'enum':
      if (!def.values.includes(raw)) throw new ParamError(`parameter ${name} must be one of ${def.values.join(', ')}; got "${quote(raw)}"`);
      return raw;
  }
}

/** Parses `k=v` strings against `defs`; unknown names, repeats and bad values throw ParamError. */
export function parsePins(defs: ParamDefs, scenario: string, pins: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of pins) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new ParamError(`--param expects name=value, got "${quote(p)}"`);
    const name = p.slice(0, eq);
    // Own properties only: "constructor=1" or "__proto__=1" must not find Object's.
    const def = Object.prototype.hasOwnProperty.call(defs, name) ? defs[name] : undefined;
    if (def === undefined) {
      const near = closest(name, Object.keys(defs));
      const known = Object.keys(defs).join(', ') || '(none)';
      throw new ParamError(`scenario ${scenario} has no parameter "${quote(name)}"${near ? `; did you mean "${near}"?` : '.'} Its parameters are: ${known}`);
    }
    if (Object.prototype.hasOwnProperty.call(out, name)) throw new ParamError(`parameter ${name} is given twice (${name}=${String(out[name])} and ${quote(p)})`);
    try {
      out[name] = parseParamValue(name, def, p.slice(eq + 1));
    } catch (e) {
      // A sweep validates one set of pins against every scenario: say which one refused it.
      if (e instanceof ParamError) throw new ParamError(`scenario ${scenario}: ${e.message}`);
      throw e;
    }
  }
  return out;
}

/** The name within edit distance 2 of `name`, if one is. */
function closest(name: string, names: string[]): string | null {
  let best: string | null = null;
  let bestD = 3;
  for (const n of names) {
    const d = editDistance(name.toLowerCase(), n.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = n;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/**
 * Checks a scenario's parameter definitions (defaults and swarm ranges inside [min, max], enum
 * defaults among the values): a mistake here is the scenario author's, reported on loading.
 */
export function validateParamDefs(defs: ParamDefs, scenario: string): void {
  for (const [name, d] of Object.entries(defs)) {
    const where = `scenario ${scenario}, parameter ${name}`;
    switch (d.type) {
      case 'int':
      case 'float':
        if (!(d.min <= d.max)) throw new ParamError(`${where}: min ${d.min} is above max ${d.max}`);
        if (!(d.default >= d.min && d.default <= d.max)) throw new ParamError(`${where}: default ${d.default} is outside [${d.min}, ${d.max}]`);
        if (d.type === 'int' && !Number.isInteger(d.default)) throw new ParamError(`${where}: default ${d.default} is not an integer`);
        if (d.swarm && !(d.swarm[0] >= d.min && d.swarm[1] <= d.max && d.swarm[0] <= d.swarm[1])) throw new ParamError(`${where}: swarm range [${d.swarm[0]}, ${d.swarm[1]}] is not inside [${d.min}, ${d.max}]`);
        break;
      case 'enum':
        if (!d.values.includes(d.default)) throw new ParamError(`${where}: default "${d.default}" is not one of ${d.values.join(', ')}`);
        for (const v of d.swarm ?? []) if (!d.values.includes(v)) throw new ParamError(`${where}: swarm value "${v}" is not one of ${d.values.join(', ')}`);
        break;
      case 'bool':
        if (d.swarm !== undefined && !(d.swarm >= 0 && d.swarm <= 1)) throw new ParamError(`${where}: swarm probability ${d.swarm} is not in [0, 1]`);
        break;
      default:
        // A definition written by hand without its type tag (`{ default: 'a', values: [...] }`)
        // would otherwise give setup `undefined` whatever was pinned.
        throw new ParamError(`${where}: its definition has no type (${JSON.stringify((d as { type?: unknown }).type ?? null)}): build it with param.int, param.float, param.bool or param.enum from 'detsim'`);
    }
  }
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

/** Why `refuses` (a Scenario.checkParams) refuses `p`: its non-empty answer, or null (any other answer accepts). */
export function whyRefused<V>(refuses: ((p: V) => string | null | undefined) | undefined, p: V): string | null {
  const r = refuses?.(p);
  return typeof r === 'string' && r.length > 0 ? r : null;
}

/**
 * `resolveParams`, for a scenario that refuses some combinations (`refuses` returns why, or
 * nothing): a seed whose draws, with the pins, make a refused combination runs with the defaults
 * of its unpinned parameters instead, so the swarm never draws one; when the pins refuse even
 * those, a ParamError says why. The stream is consumed as resolveParams consumes it.
 */
export function resolveCheckedParams<P extends ParamDefs>(defs: P, pinned: Record<string, unknown>, rng: Rng, swarm: boolean, refuses: ((p: ParamValues<P>) => string | null | undefined) | undefined, scenario: string): ParamValues<P> {
  return resolveCheckedParamsWhy(defs, pinned, rng, swarm, refuses, scenario).values;
}

/**
 * `resolveCheckedParams`, and why the seed's draws were refused when it fell back to the
 * defaults (null when it did not), so a run and a sweep can say that this seed did not run the
 * configuration its seed draws.
 */
export function resolveCheckedParamsWhy<P extends ParamDefs>(defs: P, pinned: Record<string, unknown>, rng: Rng, swarm: boolean, refuses: ((p: ParamValues<P>) => string | null | undefined) | undefined, scenario: string): { values: ParamValues<P>; fellBack: string | null } {
  const drawn = resolveParams(defs, pinned, rng, swarm);
  if (refuses === undefined) return { values: drawn, fellBack: null };
  const why = (p: ParamValues<P>): string | null => whyRefused(refuses, p);
  const drawnRefused = why(drawn);
  if (drawnRefused === null) return { values: drawn, fellBack: null };
  const defaults = Object.fromEntries(Object.entries(defs).map(([k, d]) => [k, Object.prototype.hasOwnProperty.call(pinned, k) ? pinned[k] : d.default])) as ParamValues<P>;
  const refused = why(defaults);
  if (refused !== null) throw new ParamError(`scenario ${scenario}: ${refused}`);
  return { values: defaults, fellBack: drawnRefused };
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

