/**
 * `detsim sweep --guided`: the coverage-guided swarm (sim/guided-swarm.ts) behind the sweep's
 * JobSource seam. It hands out exactly the jobs of the plain sweep (same scenarios, seeds, shard
 * and order: the merged report counts them the same way), but after each scenario's initial batch
 * a job's swarm parameters and BUGGIFY switch are chosen by the policy from that scenario's earlier
 * results, and written into the job's pins, so its result line, repro file and replay command
 * carry the whole configuration.
 *
 * The policy reads only results of seeds below `seed - lag`; a job whose inputs are still running
 * is held back (next() returns null: wait). So the sweep is the same whatever the worker count.
 */
import { chooseGuided, DEFAULT_GUIDED, type GuidedObservation, type GuidedOptions } from '../sim/guided-swarm.ts';
import { drawParamValues } from '../sim/param-draw.ts';
import type { ParamDefs } from '../sim/params.ts';
import type { RunReport } from './execute.ts';
import type { JobSource, SweepJob } from './jobs.ts';

interface PerScenario {
  defs: ParamDefs;
  userPins: Record<string, unknown>;
  history: GuidedObservation[];
  /** Seeds handed out whose results have not come back. */
  running: Set<number>;
}

export class GuidedJobSource implements JobSource {
  private held: SweepJob | null = null;
  private readonly scenarios = new Map<string, PerScenario>();
  private readonly opts: GuidedOptions;

  /**
   * `inner` enumerates the plain sweep's jobs (e.g. a SeedRangeSource); `defs` gives each
   * scenario's parameter definitions. The user's pins (in the inner jobs) always win. `refuses`:
   * each scenario's Scenario.checkParams, for the sweeps with pins (without pins the swarm ranges
   * never make a refused combination, and the guided choice stays within them).
   */
  constructor(
    private readonly inner: JobSource,
    defs: Map<string, ParamDefs>,
    opts: Partial<GuidedOptions> = {},
    private readonly refuses: ReadonlyMap<string, (p: Record<string, unknown>) => string | null | undefined> = new Map(),
  ) {
    this.opts = { ...DEFAULT_GUIDED, ...opts };
    for (const [name, d] of defs) this.scenarios.set(name, { defs: d, userPins: {}, history: [], running: new Set() });
  }

  next(): SweepJob | null {
    const job = this.held ?? this.inner.next();
    this.held = null;
    if (job === null) return null;
    const s = this.scenarios.get(job.scenario);
    if (s === undefined) return job; // not a scenario we guide: as planned
    for (const r of s.running) {
      if (r < job.seed - this.opts.lag) {
        this.held = job; // its choice needs results still running: wait
        return null;
      }
    }
    s.userPins = job.pins;
    const c = chooseGuided(s.defs, job.seed, s.history, job.pins, job.buggify, this.opts);
    s.running.add(job.seed);
    const pins = { ...c.pins, ...job.pins };
    // Guided values that clash with the user's pins (lb's health timeout above a guided interval)
    // are pins the run cannot fall back from: the seed would fail to start, a red sweep for
    // nothing. It runs as planned instead, as a plain seed whose draws clash does (with defaults).
    const why = Object.keys(c.pins).length > 0 ? this.refuses.get(job.scenario)?.(drawParamValues(s.defs, job.seed, pins, true)) : null;
    if (typeof why === 'string' && why.length > 0) return job;
    return { ...job, pins, buggify: c.buggify };
  }

  onResult(r: RunReport): void {
    const s = this.scenarios.get(r.scenario);
    if (s === undefined) return;
    s.running.delete(r.seed);
    s.history.push({ seed: r.seed, ok: r.ok, params: r.params, buggify: r.buggify, coverage: r.coverage ?? { probes: {}, sometimes: {} } });
  }

  done(): boolean {
    return this.held === null && this.inner.done();
  }

  total(): number | null {
    return this.inner.total();
  }
}
