/**
 * The checker's work budget. Linearizability checking is NP-complete (Gibbons & Korach 1997), so a
 * hostile history can take forever; the checker must answer 'unknown' instead of hanging. The
 * budget counts search steps and, only if the caller passes a clock, wall-clock milliseconds: code
 * under invariants/ never reads a clock itself, so a check inside a simulation stays deterministic.
 */
import { CheckerOptionError } from './errors.ts';
import type { CheckOptions } from './types.ts';

/** Default step budget when the caller gives no timeout: a few seconds of search on one core. */
export const DEFAULT_MAX_STEPS = 50_000_000;
/**
 * Default cap on memo entries in one partition's search. Each entry keeps a model state alive
 * (about 100 bytes for a kv state), so this bounds memory to a few hundred MB.
 */
export const DEFAULT_MAX_MEMO_ENTRIES = 4_000_000;
/**
 * How many steps pass between looks at the clock and the abort signal. A step may clone a large
 * model state (a kv value thousands of characters long), so 4096 steps could be tens of ms past a
 * deadline; a clock read costs well under a microsecond, so looking every 256 steps is free.
 */
const POLL_INTERVAL_STEPS = 256;

export type StopReason = 'step-budget' | 'timeout' | 'aborted' | 'memory';

export class Budget {
  /** Steps taken so far. */
  steps = 0;
  /** Why the budget ran out, once it has. */
  stopped: StopReason | null = null;
  private readonly maxSteps: number;
  /** Memo entries one partition's search may hold before it gives up with 'memory'. */
  readonly maxMemoEntries: number;
  private readonly clock: (() => number) | undefined;
  private readonly deadlineMs: number;
  private readonly signal: AbortSignal | undefined;
  private nextPollSteps = POLL_INTERVAL_STEPS;

  constructor(options: CheckOptions) {
    const { timeoutMs, clock, signal } = options;
    if (timeoutMs !== undefined) {
      if (!(timeoutMs >= 0)) throw new CheckerOptionError(`timeoutMs must be a number >= 0, got ${timeoutMs}`);
      if (clock === undefined) {
        throw new CheckerOptionError('timeoutMs needs a clock: pass options.clock (milliseconds), or use maxSteps instead');
      }
    }
    const maxSteps = options.maxSteps ?? (timeoutMs === undefined ? DEFAULT_MAX_STEPS : Infinity);
    if (!(maxSteps >= 0)) throw new CheckerOptionError(`maxSteps must be a number >= 0, got ${maxSteps}`);
    this.maxSteps = maxSteps;
    const maxMemoEntries = options.maxMemoEntries ?? DEFAULT_MAX_MEMO_ENTRIES;
    if (!(maxMemoEntries >= 1)) throw new CheckerOptionError(`maxMemoEntries must be a number >= 1, got ${maxMemoEntries}`);
    this.maxMemoEntries = maxMemoEntries;
    this.clock = clock;
    this.deadlineMs = timeoutMs !== undefined && clock !== undefined ? clock() + timeoutMs : Infinity;
    this.signal = signal;
    this.poll();
  }

  /**
   * Count `n` steps; false once the budget is spent. The hot loop calls this with batches of steps
   * so the clock and signal are read rarely.
   */
  spend(n: number): boolean {
    this.steps += n;
    if (this.steps >= this.nextPollSteps || this.steps >= this.maxSteps) {
      this.nextPollSteps = this.steps + POLL_INTERVAL_STEPS;
      this.poll();
    }
    return this.stopped === null;
  }

  /**
   * Looks at the clock and signal now (between partitions, before work that is not counted in
   * steps); false once the budget is spent.
   */
  checkpoint(): boolean {
    this.poll();
    return this.stopped === null;
  }

  /** The search's memo reached maxMemoEntries: stop rather than exhaust memory. */
  stopForMemory(): void {
    this.stopped ??= 'memory';
  }

  private poll(): void {
    if (this.stopped !== null) return;
    if (this.steps >= this.maxSteps) this.stopped = 'step-budget';
    else if (this.signal?.aborted === true) this.stopped = 'aborted';
    else if (this.clock !== undefined && this.deadlineMs !== Infinity && this.clock() >= this.deadlineMs) {
      this.stopped = 'timeout';
    }
  }
}
