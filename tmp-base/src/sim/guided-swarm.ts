/**
 * Coverage-guided swarm: after an initial batch of plain swarm seeds, bias each new seed's
 * parameter draws (swarm ranges, fault kinds on or off, BUGGIFY on or off) toward the
 * configurations of past runs that reached rare probes, as Antithesis steers toward what it has
 * not yet seen much of.
 *
 * The policy is a pure function: `chooseGuided(defs, seed, history)` draws only from a stream
 * named after the seed, and reads only the results of seeds at least `lag` below it (sorted by
 * seed). So a guided sweep is the same sweep whatever the worker count or finishing order, and a
 * seed's choice is written out whole as pins: `detsim run <scenario> --seed S --param ...` with
 * those pins replays it exactly, without the policy.
 *
 * Rarity: a target (a probe hit, a sometimes-assertion that held, a BUGGIFY site that fired) hit
 * by k of the n past runs weighs 1/k; a run's score is the sum over the targets it hit with
 * k/n <= `rareFraction`, plus a little for every run so none is impossible. A parent run is drawn
 * in proportion to its score, and its configuration mutated: each swarm parameter is kept
 * (numbers nudged within the swarm range), or with `redrawProbability` drawn afresh.
 */
import type { Coverage } from './probes.ts';
import type { BuggifyReport } from './buggify.ts';
import type { ParamDef, ParamDefs } from './params.ts';
import { RngRoot } from './prng.ts';

export interface GuidedOptions {
  /** Plain swarm seeds before guidance starts (default 10). */
  initial: number;
  /** Probability that a guided seed is drawn plainly anyway (exploration; default 0.25). */
  explore: number;
  /** A target hit by at most this fraction of past runs counts as rare (default 0.2). */
  rareFraction: number;
  /** Probability that a kept parameter is drawn afresh from its swarm range (default 0.3). */
  redrawProbability: number;
  /** Probability that BUGGIFY's master switch is flipped from the parent's (default 0.1). */
  buggifyFlip: number;
  /** A seed's choice reads only results of seeds below `seed - lag` (default 4; the sweep pipelines up to this many seeds). */
  lag: number;
}

export const DEFAULT_GUIDED: GuidedOptions = { initial: 10, explore: 0.25, rareFraction: 0.2, redrawProbability: 0.3, buggifyFlip: 0.1, lag: 4 };

/** What the policy needs of a finished run. */
export interface GuidedObservation {
  seed: number;
  ok: boolean;
  /** The run's parameter values (all of them, drawn or pinned). */
  params: Record<string, unknown>;
  buggify: Pick<BuggifyReport, 'enabled' | 'fired'>;
  coverage: Pick<Coverage, 'probes' | 'sometimes'>;
}

export interface GuidedChoice {
  /** Parameter pins for this seed: every swarm parameter's value when guided, {} when plain. */
  pins: Record<string, unknown>;
  /** BUGGIFY's master switch for this seed. */
  buggify: boolean;
  /** Why: 'initial', 'explore', or 'guided from seed N (targets: ...)'. */
  why: string;
}

/** The targets one run reached. */
export function targetsOf(o: GuidedObservation): string[] {
  const t: string[] = [];
  for (const [p, n] of Object.entries(o.coverage.probes)) if (n > 0) t.push(p);
  for (const [s, v] of Object.entries(o.coverage.sometimes)) if (v) t.push(`sometimes:${s}`);
  for (const [b, n] of Object.entries(o.buggify.fired)) if (n > 0) t.push(`buggify:${b}`);
  return t.sort();
}

/**
 * The configuration for `seed`. `history` may hold any results; only those of seeds below
 * `seed - lag` are read. `userPins` (e.g. `{ bug: 'x' }`) always win and are never mutated.
 */
export function chooseGuided(defs: ParamDefs, seed: number, history: readonly GuidedObservation[], userPins: Record<string, unknown> = {}, buggifyDefault = true, o: Partial<GuidedOptions> = {}): GuidedChoice {
  const opts = { ...DEFAULT_GUIDED, ...o };
  const past = history.filter((h) => h.seed < seed - opts.lag).sort((a, b) => a.seed - b.seed);
  if (past.length < opts.initial) return { pins: {}, buggify: buggifyDefault, why: 'initial' };
  const rng = new RngRoot(`guided/${seed}`).stream('policy');
  if (rng.chance(opts.explore)) return { pins: {}, buggify: buggifyDefault, why: 'explore' };

  // Rarity of every target over the past runs.
  const counts = new Map<string, number>();
  const targets = past.map((h) => targetsOf(h));
  for (const ts of targets) for (const t of ts) counts.set(t, (counts.get(t) ?? 0) + 1);
  const n = past.length;
  const scores = targets.map((ts) => {
    let s = 0.05;
    for (const t of ts) {
      const k = counts.get(t)!;
      if (k / n <= opts.rareFraction) s += 1 / k;
    }
    return s;
  });
  const total = scores.reduce((a, b) => a + b, 0);
  let u = rng.next() * total;
  let pi = 0;
  while (pi < scores.length - 1 && u >= scores[pi]!) u -= scores[pi++]!;
  const parent = past[pi]!;
  const rare = targets[pi]!.filter((t) => counts.get(t)! / n <= opts.rareFraction);

  const pins: Record<string, unknown> = {};
  // In definition order, one fixed number of draws per parameter: the choice depends on nothing else.
  for (const [name, def] of Object.entries(defs)) {
    const a = rng.next();
    const b = rng.next();
    const c = rng.next();
    if (name in userPins || !swarmable(def)) continue;
    const from = parent.params[name];
    pins[name] = a < opts.redrawProbability || from === undefined ? draw(def, b, c) : nudge(def, from, b, c);
  }
  const flip = rng.chance(opts.buggifyFlip);
  const buggify = flip ? !parent.buggify.enabled : parent.buggify.enabled;
  return { pins, buggify, why: `guided from seed ${parent.seed}${rare.length > 0 ? ` (rare: ${rare.slice(0, 4).join(', ')}${rare.length > 4 ? ', ...' : ''})` : ''}` };
}

function swarmable(def: ParamDef): boolean {
  return def.swarm !== undefined;
}

/** A fresh draw from the swarm range (floats keep their chance of being switched off). */
function draw(def: ParamDef, u: number, u2: number): unknown {
  switch (def.type) {
    case 'int':
      return def.swarm![0] + Math.floor(u * (def.swarm![1] - def.swarm![0] + 1));
    case 'float':
      if (def.swarmOffProbability !== undefined && u2 < def.swarmOffProbability) return 0;
      return round6(def.swarm![0] + u * (def.swarm![1] - def.swarm![0]));
    case 'bool':
      return u < def.swarm!;
    case 'enum':
      return def.swarm!.length > 0 ? def.swarm![Math.floor(u * def.swarm!.length)] : def.default;
  }
}

/** The parent's value, moved a little: numbers by up to a quarter of the swarm range. */
function nudge(def: ParamDef, from: unknown, u: number, u2: number): unknown {
  switch (def.type) {
    case 'int': {
      const [lo, hi] = def.swarm!;
      const step = Math.round((u - 0.5) * 0.5 * (hi - lo));
      return clamp(Number(from) + step, lo, hi);
    }
    case 'float': {
      if (from === 0) return 0; // a fault kind switched off stays off (a redraw may switch it on)
      const [lo, hi] = def.swarm!;
      const v = Number(from) + (u - 0.5) * 0.5 * (hi - lo);
      return round6(Math.min(Math.max(v, lo), hi));
    }
    case 'bool':
      return u2 < 0.1 ? !from : from;
    case 'enum':
      return from;
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), hi);
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/**
 * A guided job source (the sweep's JobSource seam, INTERFACES.md section 3) over one scenario's
 * seeds `from..from+count-1`: `next()` hands out the next seed once the results it depends on
 * (seeds below `seed - lag`) are in, else null (wait); `onResult` feeds results back.
 */
export class GuidedSeeds {
  private nextSeed: number;
  private readonly end: number;
  private readonly history: GuidedObservation[] = [];
  private readonly finished = new Set<number>();
  /** Lowest seed whose result has not come back yet. */
  private lowestUnfinished: number;

  constructor(
    private readonly defs: ParamDefs,
    private readonly from: number,
    count: number,
    private readonly userPins: Record<string, unknown> = {},
    private readonly buggifyDefault = true,
    private readonly opts: Partial<GuidedOptions> = {},
  ) {
    this.nextSeed = from;
    this.lowestUnfinished = from;
    this.end = from + count;
  }

  /** The next seed and its choice, or null: none left, or waiting for earlier results. */
  next(): { seed: number; choice: GuidedChoice } | null {
    if (this.nextSeed >= this.end) return null;
    const lag = this.opts.lag ?? DEFAULT_GUIDED.lag;
    // The choice reads the results of seeds below `seed - lag`: all of them must be in.
    if (this.lowestUnfinished < this.nextSeed - lag) return null;
    const seed = this.nextSeed++;
    return { seed, choice: chooseGuided(this.defs, seed, this.history, this.userPins, this.buggifyDefault, this.opts) };
  }

  onResult(o: GuidedObservation): void {
    this.history.push(o);
    this.finished.add(o.seed);
    while (this.finished.has(this.lowestUnfinished)) this.lowestUnfinished++;
  }

  /** True when every seed has been handed out. */
  done(): boolean {
    return this.nextSeed >= this.end;
  }

  total(): number {
    return this.end - this.from;
  }
}

/** Runs a guided sweep in-process (for measurement and tests): seeds in order, one at a time. */
export function runGuidedSweep<R extends GuidedObservation>(defs: ParamDefs, from: number, count: number, run: (seed: number, choice: GuidedChoice) => R, o: { userPins?: Record<string, unknown>; buggify?: boolean; opts?: Partial<GuidedOptions>; stopWhen?: (r: R) => boolean } = {}): { results: R[]; choices: GuidedChoice[] } {
  const src = new GuidedSeeds(defs, from, count, o.userPins ?? {}, o.buggify ?? true, o.opts ?? {});
  const results: R[] = [];
  const choices: GuidedChoice[] = [];
  for (;;) {
    const j = src.next();
    if (j === null) break;
    const r = run(j.seed, j.choice);
    src.onResult(r);
    results.push(r);
    choices.push(j.choice);
    if (o.stopWhen?.(r)) break;
  }
  return { results, choices };
}
