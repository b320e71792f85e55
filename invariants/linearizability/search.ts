/**
 * The search for one partition: Wing & Gong's algorithm with Lowe's memoisation ("Testing for
 * linearizability", 2017), as Porcupine implements it.
 *
 * The history is a doubly linked list of call and return entries in time order. Scanning from the
 * front, each call entry is a candidate to linearize next: if the model accepts its reply from the
 * current state, the operation is "lifted" out of the list (call and return both) and the scan
 * restarts from the front. Reaching a return entry means that operation had to be linearized
 * already: a dead end, so the search backtracks (unlifts the last operation and tries the next
 * candidate after it). The list is empty, or every operation with a known outcome is lifted: a
 * linearization exists. A set of (linearized operations, model state) pairs already explored
 * prunes the search: reaching the same pair twice cannot lead anywhere new (nor reaching a pair
 * that differs only by more unknown-outcome operations placed: see memo-table.ts).
 *
 * Operations of unknown outcome have their return entry at +Infinity, so they never force a dead
 * end: they may be lifted at any point after their call (took effect then) or never (never took
 * effect); the search succeeds once every operation with a known outcome is lifted.
 */
import { assert } from '../../sim/assert.ts';
import type { Budget } from './budget.ts';
import { mix32 } from './hash.ts';
import { LinearizedSet, MemoTable } from './memo-table.ts';
import type { Model, Operation } from './types.ts';

export type SearchOutcome =
  | {
      readonly kind: 'ok';
      readonly steps: number;
      /** Local indices of a linearization (operations of unknown outcome that never took effect are absent). */
      readonly linearization: readonly number[];
    }
  | {
      readonly kind: 'fail';
      readonly steps: number;
      /** Local indices, in linearization order, of the deepest partial linearization explored (empty unless explained). */
      readonly longestPrefix: readonly number[];
      /** Local indices of the operations that were candidates at that dead end. */
      readonly blockedCandidates: readonly number[];
      /** The operation whose return entry ended that dead end (-1 unless explained). */
      readonly blockedBy: number;
    }
  | { readonly kind: 'stopped'; readonly steps: number };

/** The list head is node 0; entries are nodes 1..2n in time order; NIL ends the list. */
const HEAD = 0;
const NIL = -1;

/**
 * Sort order of entries: time, then calls before returns at equal times (equal instants count as
 * concurrent, the permissive reading), then operation index. Entry 2k is op k's call, 2k+1 its return.
 */
export function entryOrder<I, O>(ops: readonly Operation<I, O>[]): number[] {
  const time = (e: number): number => {
    const op = ops[e >>> 1]!;
    return (e & 1) === 0 ? op.callNs : op.returnNs;
  };
  const order = Array.from({ length: 2 * ops.length }, (_, i) => i);
  order.sort((a, b) => {
    const ta = time(a);
    const tb = time(b);
    if (ta !== tb) return ta < tb ? -1 : 1;
    return (a & 1) - (b & 1) || a - b;
  });
  return order;
}

/** Searches for a linearization of `ops` (one partition) under `model`, within `budget`. */
/**
 * Searches for a linearization of `ops` (one partition) under `model`, within `budget`. With
 * `explain`, a failure carries the deepest dead end (longestPrefix, blockedCandidates, blockedBy);
 * recording it costs O(n) per new depth, so O(n^2) on long histories, and is off by default: the
 * checker first finds a failure, shrinks it, then explains only the small failing prefix.
 */
export function searchPartition<S, I, O>(
  model: Model<S, I, O>,
  ops: readonly Operation<I, O>[],
  budget: Budget,
  explain = false,
): SearchOutcome {
  return new PartitionSearch(model, ops, budget, explain).run();
}

class PartitionSearch<S, I, O> {
  private readonly n: number;
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  private readonly nodeOp: Int32Array;
  private readonly isCall: Uint8Array;
  /** For a call node, its return node. */
  private readonly matchOf: Int32Array;
  private readonly unknown: Uint8Array;
  private readonly zobrist: Uint32Array;
  /** The operations linearized so far. */
  private readonly linearized: LinearizedSet;
  private bitsHash = 0;
  private state: S;
  /** Operations with a known outcome not yet linearized; 0 means success. */
  private remaining = 0;
  /** Operations of unknown outcome not yet linearized. */
  private unknownLeft = 0;
  private readonly memo: MemoTable<S>;
  // The backtracking stack, as parallel arrays.
  private readonly stackNode: number[] = [];
  private readonly stackState: S[] = [];
  private readonly stackAlts: (readonly S[] | null)[] = [];
  private readonly stackAltIndex: number[] = [];
  private stepsAtStart: number;
  private bestDepth = -1;
  private bestPrefix: number[] = [];
  private bestCandidates: number[] = [];
  private bestBlockedBy = -1;

  constructor(
    private readonly model: Model<S, I, O>,
    private readonly ops: readonly Operation<I, O>[],
    private readonly budget: Budget,
    private readonly explain: boolean,
  ) {
    const n = ops.length;
    this.n = n;
    const size = 2 * n + 1;
    this.next = new Int32Array(size);
    this.prev = new Int32Array(size);
    this.nodeOp = new Int32Array(size).fill(-1);
    this.isCall = new Uint8Array(size);
    this.matchOf = new Int32Array(size).fill(NIL);
    this.unknown = new Uint8Array(n);
    this.zobrist = new Uint32Array(n);
    this.state = model.init();
    this.stepsAtStart = budget.steps;
    for (let k = 0; k < n; k++) {
      const unknown = ops[k]!.returnNs === Infinity;
      this.unknown[k] = unknown ? 1 : 0;
      if (unknown) this.unknownLeft++;
      else this.remaining++;
      // Zobrist hashing: the linearized set's hash is the XOR of its members' keys, so adding or
      // removing one operation updates it in O(1). Unknown-outcome operations are left out of the
      // hash: the memo compares them by inclusion (see MemoTable), so they must not split buckets.
      this.zobrist[k] = unknown ? 0 : mix32(Math.imul(k + 1, 0x9e3779b9));
    }
    const unknownMask = new Uint32Array((n + 31) >>> 5);
    for (let k = 0; k < n; k++) if (this.unknown[k] === 1) unknownMask[k >>> 5] = (unknownMask[k >>> 5]! | (1 << (k & 31))) >>> 0;
    this.linearized = new LinearizedSet(unknownMask);
    this.memo = new MemoTable<S>(unknownMask.length, (a, b) => model.equal(a, b), unknownMask);
    this.buildList();
  }

  private buildList(): void {
    const order = entryOrder(this.ops);
    const nodeOfEntry = new Int32Array(order.length);
    order.forEach((entry, i) => {
      const node = i + 1;
      this.nodeOp[node] = entry >>> 1;
      this.isCall[node] = (entry & 1) === 0 ? 1 : 0;
      nodeOfEntry[entry] = node;
    });
    for (let node = 1; node <= order.length; node++) {
      if (this.isCall[node] === 1) this.matchOf[node] = nodeOfEntry[2 * this.nodeOp[node]! + 1]!;
    }
    for (let node = 0; node <= order.length; node++) {
      this.next[node] = node < order.length ? node + 1 : NIL;
      this.prev[node] = node - 1;
    }
  }

  run(): SearchOutcome {
    const { model, ops, next, isCall, nodeOp, unknown, budget } = this;
    let node = next[HEAD]!;
    // Each scan of the candidates makes two passes: operations with a known outcome first, then
    // those of unknown outcome. Every candidate is still tried, so the search stays complete; but
    // configurations with fewer unknown-outcome operations placed are explored first, and they
    // subsume the later ones with more (see MemoTable), instead of the other way round.
    let pass = 0;
    let resumeAlts: readonly S[] | null = null;
    let resumeIndex = 0;
    while (this.remaining > 0) {
      if (!budget.spend(1)) return { kind: 'stopped', steps: budget.steps - this.stepsAtStart };
      // While a known-outcome operation is unlinearized its return entry is still in the list, and
      // the scan stops there at the latest: so the scan never runs off the end.
      assert(node !== NIL, 'linearizability search ran off the end of the entry list');
      if (isCall[node] === 1) {
        const op = nodeOp[node]!;
        if (unknown[op] !== pass) {
          node = next[node]!;
          continue;
        }
        let alts: readonly S[];
        let start = 0;
        if (resumeAlts !== null) {
          alts = resumeAlts;
          start = resumeIndex;
          resumeAlts = null;
        } else {
          const o = ops[op]!;
          const r = model.step(this.state, o.input, pass === 1 ? undefined : o.output);
          if (!r.ok) {
            node = next[node]!;
            continue;
          }
          if ('state' in r) {
            if (this.tryLinearize(node, op, r.state, null, 0)) {
              node = next[HEAD]!;
              pass = 0;
            } else {
              node = next[node]!;
            }
            continue;
          }
          alts = r.states;
        }
        let lifted = false;
        for (let i = start; i < alts.length && !lifted; i++) lifted = this.tryLinearize(node, op, alts[i]!, alts, i);
        if (lifted) {
          node = next[HEAD]!;
          pass = 0;
        } else {
          node = next[node]!;
        }
      } else if (pass === 0 && this.unknownLeft > 0) {
        // End of the known-outcome pass: rescan the same candidates for unknown-outcome ones.
        pass = 1;
        node = next[HEAD]!;
      } else {
        // A return entry: its operation should have been linearized by now. Dead end.
        if (this.explain && this.stackNode.length > this.bestDepth) this.recordDeadEnd(node);
        if (this.stackNode.length === 0) return this.failure();
        const back = this.backtrack();
        pass = unknown[nodeOp[back.node]!]!; // resume the pass in which that operation was tried
        if (back.alts !== null && back.altIndex + 1 < back.alts.length) {
          resumeAlts = back.alts;
          resumeIndex = back.altIndex + 1;
          node = back.node;
        } else {
          node = next[back.node]!;
        }
      }
    }
    const linearization = this.stackNode.map((n) => nodeOp[n]!);
    return { kind: 'ok', steps: budget.steps - this.stepsAtStart, linearization };
  }

  /**
   * Linearize the operation at call node `node` with resulting state `newState`, unless the pair
   * (linearized set + op, newState) was explored before. True if it was linearized.
   */
  private tryLinearize(node: number, op: number, newState: S, alts: readonly S[] | null, altIndex: number): boolean {
    const newBitsHash = (this.bitsHash ^ this.zobrist[op]!) >>> 0;
    const key = mix32(newBitsHash ^ Math.imul(this.model.hash(newState), 0x27d4eb2f));
    if (!this.memo.addIfAbsent(key, this.linearized, op, newState)) return false;
    if (this.memo.size >= this.budget.maxMemoEntries) this.budget.stopForMemory();

    this.stackNode.push(node);
    this.stackState.push(this.state);
    this.stackAlts.push(alts);
    this.stackAltIndex.push(altIndex);
    this.state = newState;
    this.linearized.add(op);
    this.bitsHash = newBitsHash;
    if (this.unknown[op] === 0) this.remaining--;
    else this.unknownLeft--;
    this.lift(node);
    return true;
  }

  private backtrack(): { node: number; alts: readonly S[] | null; altIndex: number } {
    const node = this.stackNode.pop()!;
    this.state = this.stackState.pop()!;
    const alts = this.stackAlts.pop()!;
    const altIndex = this.stackAltIndex.pop()!;
    const op = this.nodeOp[node]!;
    this.linearized.remove(op);
    this.bitsHash = (this.bitsHash ^ this.zobrist[op]!) >>> 0;
    if (this.unknown[op] === 0) this.remaining++;
    else this.unknownLeft++;
    this.unlift(node);
    return { node, alts, altIndex };
  }

  /** Remove a call node and its return node from the list (dancing links: they remember their place). */
  private lift(call: number): void {
    const { next, prev } = this;
    const ret = this.matchOf[call]!;
    next[prev[call]!] = next[call]!;
    prev[next[call]!] = prev[call]!;
    next[prev[ret]!] = next[ret]!;
    if (next[ret] !== NIL) prev[next[ret]!] = prev[ret]!;
  }

  /** Undo `lift`, in reverse order. */
  private unlift(call: number): void {
    const { next, prev } = this;
    const ret = this.matchOf[call]!;
    next[prev[ret]!] = ret;
    if (next[ret] !== NIL) prev[next[ret]!] = ret;
    next[prev[call]!] = call;
    prev[next[call]!] = call;
  }

  /** Remember the deepest dead end: the partial linearization and the candidates that all failed. */
  private recordDeadEnd(returnNode: number): void {
    this.bestDepth = this.stackNode.length;
    this.bestPrefix = this.stackNode.map((node) => this.nodeOp[node]!);
    this.bestBlockedBy = this.nodeOp[returnNode]!;
    const candidates: number[] = [];
    for (let node = this.next[HEAD]!; node !== returnNode && node !== NIL; node = this.next[node]!) {
      if (this.isCall[node] === 1) candidates.push(this.nodeOp[node]!);
    }
    this.bestCandidates = candidates;
  }

  private failure(): SearchOutcome {
    assert(!this.explain || (this.bestBlockedBy >= 0 && this.bestBlockedBy < this.n), 'linearizability search failed without a dead end');
    return {
      kind: 'fail',
      steps: this.budget.steps - this.stepsAtStart,
      longestPrefix: this.bestPrefix,
      blockedCandidates: this.bestCandidates,
      blockedBy: this.bestBlockedBy,
    };
  }
}
