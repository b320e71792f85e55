/**
 * Probes: marks on rare or interesting conditions (FoundationDB's CODE_PROBE), so a sweep can say
 * what it explored, not just that nothing broke. `ctx.probe(name)` / `w.probe(name)` /
 * `sim.probe(name)` count a hit; systems declare their probes with a one-line doc each
 * (`defineProbes`) when their cluster is set up, so a run also knows which declared probes it
 * never reached. Sometimes-assertions (`w.sometimes(name, cond)`) are the other half of
 * Antithesis' pair: a condition that must hold in at least one run of a sweep.
 *
 * Determinism: a probe draws no randomness and schedules nothing. Its first hit in a run is
 * written to the trace (kind `probe`, so the timeline and `--trace` show it) as an *unhashed*
 * record: adding or moving a probe never changes a run's trace hash, so repro files and
 * recorded hashes stay valid across probe edits. Hit counts are plain integers in a Map read in
 * sorted order.
 */

/** A system's probes: name -> one line on why the condition matters. */
export type ProbeTable = Readonly<Record<string, string>>;

/** Probe names are `system:kebab-name` so two systems never collide. */
const PROBE_NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*:[a-z0-9]+(?:[-.][a-z0-9]+)*$/;

/**
 * Declares a system's probe table: each key is prefixed `system:` (what `probe()` takes and what
 * reports show). Register it for a run with `w.declareProbes(table)` (a system's kit does this when
 * it sets up its cluster), so the run's coverage lists the declared probes it never hit.
 */
export function defineProbes(system: string, table: Record<string, string>): ProbeTable {
  const full: Record<string, string> = {};
  for (const [k, doc] of Object.entries(table)) {
    const name = `${system}:${k}`;
    if (!PROBE_NAME.test(name)) throw new Error(`probe "${name}": names are system:kebab-case (letters, digits, dashes)`);
    if (doc.trim() === '') throw new Error(`probe "${name}" has no doc line: say in one line why the condition matters`);
    full[name] = doc;
  }
  return Object.freeze(full);
}

/** A run's coverage (RunResult.coverage; INTERFACES.md section 1). */
export interface Coverage {
  /** probe name -> times hit in this run (only probes hit at least once). */
  probes: Record<string, number>;
  /** Every probe the run's systems/scenario declared (hit or not), sorted; undeclared hits too. */
  declared: string[];
  /** sometimes-assertion name -> true if its condition held at least once in this run. */
  sometimes: Record<string, boolean>;
  /** The scenario's `mustReach` list (probe or sometimes names), [] if none. */
  mustReach: string[];
}

/** A run's probe counters. Lives on the Simulation so every layer (nodes, devices, world) reaches it. */
export class Probes {
  private readonly hits = new Map<string, number>();
  private readonly declaredDocs = new Map<string, string>();
  private readonly sometimesState = new Map<string, boolean>();

  constructor(private readonly onFirstHit: (name: string, node: string) => void = () => {}) {}

  /** Marks that the condition `name` happened (on `node`, for the trace line of its first hit). */
  hit(name: string, node = '-'): void {
    const n = this.hits.get(name);
    if (n === undefined) {
      this.hits.set(name, 1);
      this.onFirstHit(name, node);
    } else this.hits.set(name, n + 1);
  }

  /** Registers probes (idempotent: a kit set up twice declares once). */
  declare(table: ProbeTable): void {
    for (const [name, doc] of Object.entries(table)) this.declaredDocs.set(name, doc);
  }

  /** Times `name` was hit so far. */
  count(name: string): number {
    return this.hits.get(name) ?? 0;
  }

  /** The doc line of a declared probe. */
  doc(name: string): string | undefined {
    return this.declaredDocs.get(name);
  }

  /** Registers a sometimes-assertion (false until its condition holds once). */
  registerSometimes(name: string): void {
    if (!this.sometimesState.has(name)) this.sometimesState.set(name, false);
  }

  /** Records the condition's value now; once true it stays true for the run. */
  observeSometimes(name: string, cond: boolean): void {
    if (cond) this.sometimesState.set(name, true);
    else this.registerSometimes(name);
  }

  /** True once the sometimes-assertion `name` has held in this run. */
  sometimesHeld(name: string): boolean {
    return this.sometimesState.get(name) === true;
  }

  /** The run's coverage (RunResult.coverage): probes hit, declared, sometimes-assertions, mustReach. */
  report(mustReach: readonly string[] = []): Coverage {
    const probes: Record<string, number> = {};
    for (const k of [...this.hits.keys()].sort()) probes[k] = this.hits.get(k)!;
    const declared = [...new Set([...this.declaredDocs.keys(), ...this.hits.keys()])].sort();
    const sometimes: Record<string, boolean> = {};
    for (const k of [...this.sometimesState.keys()].sort()) sometimes[k] = this.sometimesState.get(k)!;
    return { probes, declared, sometimes, mustReach: [...mustReach] };
  }
}

/** True if `name` (a probe or a sometimes-assertion) was reached in `c`. */
export function reached(c: Coverage, name: string): boolean {
  return (c.probes[name] ?? 0) > 0 || c.sometimes[name] === true;
}
