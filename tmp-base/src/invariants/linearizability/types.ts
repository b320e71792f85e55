/**
 * The vocabulary of the linearizability checker: operations, histories, models, results.
 *
 * A history is what clients observed: for each operation, when it was invoked, when (if ever) its
 * reply arrived, and what the reply said. A model is the sequential specification the history must
 * be explainable by (Herlihy & Wing 1990): the checker looks for one total order of the operations
 * that respects real time and in which every operation's reply is what the model would have said.
 */
import type { Nanos } from '../../sim/time.ts';

/**
 * One operation as a client observed it. `returnNs === Infinity` marks an operation whose outcome is
 * unknown (it timed out, or Jepsen logged it `:info`): it may have taken effect at any instant after
 * `callNs`, or never, and its `output` is ignored.
 */
export interface Operation<I, O> {
  /** Who issued it (a client or Jepsen process id). Informational: the checker orders by time only. */
  readonly clientId: number;
  readonly input: I;
  /** The reply; `undefined` (or anything) when the outcome is unknown. */
  readonly output: O | undefined;
  /** Invocation instant, in nanoseconds (or any monotone unit; only the order matters). */
  readonly callNs: Nanos;
  /** Reply instant, >= callNs; `Infinity` when the outcome is unknown. */
  readonly returnNs: Nanos;
}

export type History<I, O> = readonly Operation<I, O>[];

/**
 * The event-list form of a history (Porcupine's `Event`): calls and returns in the order they
 * happened, matched by `id`. A call with no return is an operation of unknown outcome.
 */
export type HistoryEvent<I, O> =
  | { readonly kind: 'call'; readonly id: number; readonly clientId: number; readonly input: I }
  | { readonly kind: 'return'; readonly id: number; readonly output: O };

/**
 * What a model says an operation does from one state. `{ ok: false }`: the reply is impossible from
 * this state. `{ ok: true, state }`: it is possible and leads there. `{ ok: true, states }`: a
 * nondeterministic specification; every listed state is possible (the checker tries each).
 */
export type StepResult<S> =
  | { readonly ok: false }
  | { readonly ok: true; readonly state: S }
  | { readonly ok: true; readonly states: readonly S[] };

/**
 * A sequential specification. States must be treated as immutable values: the checker keeps old
 * states to backtrack to and memoises (linearized set, state) pairs.
 */
export interface Model<S, I, O> {
  /** Short name for reports, e.g. "kv". */
  readonly name: string;
  init(): S;
  /**
   * Apply `input` to `state` and judge the observed `output`. `output === undefined` means the
   * outcome is unknown: the model must accept it and return the state the operation would leave if
   * it took effect.
   */
  step(state: S, input: I, output: O | undefined): StepResult<S>;
  /** Value equality of states. */
  equal(a: S, b: S): boolean;
  /** A 32-bit hash; equal states must hash equal. */
  hash(state: S): number;
  /**
   * P-compositionality (Herlihy & Wing): if the specification is a product of independent objects
   * (a map is a product of registers, one per key), a history is linearizable iff each object's
   * sub-history is, so each can be searched alone: much smaller searches. Returns groups of indices
   * into `history`; every index must appear in exactly one group. Omit for a single object.
   */
  partition?(history: History<I, O>): readonly (readonly number[])[];
  /** One line describing an operation, e.g. `put("x", "1")` or `get("x") -> "1"`. */
  describeOperation?(input: I, output: O | undefined): string;
  describeState?(state: S): string;
}

/** Options of `checkHistory`; every field is optional. */
export interface CheckOptions {
  /**
   * Upper bound on search steps (one step = one node of the search visited), summed over all
   * partitions. Default: 50,000,000 when no `timeoutMs` is given, otherwise unbounded. Exhausting it
   * yields `result: 'unknown'`, never a hang.
   */
  readonly maxSteps?: number;
  /**
   * Cap on memoised (linearized set, state) pairs in one partition's search; reaching it yields
   * 'unknown' (reason 'memory') instead of exhausting the heap. Default 4,000,000.
   */
  readonly maxMemoEntries?: number;
  /** Wall-clock budget in ms; requires `clock` (the checker never reads a clock of its own). */
  readonly timeoutMs?: number;
  /** Milliseconds from any origin, supplied by the caller (a CLI); read every few thousand steps. */
  readonly clock?: () => number;
  /** Stops the search with 'unknown' when aborted (polled together with the clock). */
  readonly signal?: AbortSignal;
  /** Use the model's `partition` if it has one. Default true. */
  readonly partition?: boolean;
  /**
   * On a violation, shrink the failing partition to its shortest failing time prefix (see
   * `Violation`). Costs about log2(operations) extra searches of that partition. Default true.
   */
  readonly minimize?: boolean;
}

/**
 * Why a history is not linearizable, as a small set of operations (indices into the history given
 * to `checkHistory`).
 *
 * `operations` is the shortest *time prefix* of the failing partition that is already not
 * linearizable: cut the partition just after the reply of `lastOp`; keep every operation invoked
 * before the cut; operations that had not replied by the cut (`pendingOps`) are treated as of
 * unknown outcome (they may or may not have taken effect). One reply earlier, the prefix is
 * linearizable; so `lastOp`'s reply is the one that cannot be explained.
 *
 * `longestPrefix` is the longest partial linearization the search of that prefix found (the
 * operations in the order it placed them) and `blockedCandidates` are the operations it could try
 * next and all of which failed (from that prefix's state, or because every continuation failed).
 */
export interface Violation {
  readonly partitionIndex: number;
  /** The failing partition's size (all of its operations, before the prefix cut). */
  readonly partitionSize: number;
  /** Operations of the minimal failing prefix, in invocation order. */
  readonly operations: readonly number[];
  /** The operation whose reply closes the minimal failing prefix. */
  readonly lastOp: number;
  /** Operations of `operations` without a reply by the cut (treated as unknown outcome). */
  readonly pendingOps: readonly number[];
  /** The longest partial linearization found, in linearization order. */
  readonly longestPrefix: readonly number[];
  /** Operations that were candidates to extend `longestPrefix` (all failed). */
  readonly blockedCandidates: readonly number[];
  /** True if the prefix was shrunk to minimal; false if the step budget ran out while shrinking. */
  readonly minimal: boolean;
  /**
   * Human lines: the operations with times, the longest prefix and the state it reached. (If the
   * budget ran out while shrinking, `longestPrefix` and `blockedCandidates` may be empty.)
   */
  readonly description: readonly string[];
}

export type Verdict = 'linearizable' | 'not' | 'unknown';

export interface CheckResult {
  readonly result: Verdict;
  /** Operations in the history. */
  readonly operations: number;
  /** Partitions searched (1 if the model does not partition). */
  readonly partitions: number;
  /** Search steps taken, summed over partitions (and minimisation). */
  readonly steps: number;
  /** Present when result is 'unknown'. */
  readonly unknownReason?: 'step-budget' | 'timeout' | 'aborted' | 'memory';
  /** Present when result is 'not'. */
  readonly violation?: Violation;
}
