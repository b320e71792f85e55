/**
 * `checkHistory`: is a history of concurrent operations linearizable with respect to a model?
 *
 * The history is split into independent partitions when the model allows it (P-compositionality),
 * each partition is searched (search.ts), smallest first so that a cheap violation is found before
 * an expensive partition eats the budget. On a violation the failing partition is shrunk to its
 * shortest failing time prefix (see `Violation` in types.ts), which is what a person needs to read.
 */
import { AssertionError } from '../../sim/assert.ts';
import { Budget } from './budget.ts';
import { InvalidHistoryError } from './errors.ts';
import { entryOrder, searchPartition, type SearchOutcome } from './search.ts';
import type { CheckOptions, CheckResult, History, Model, Operation, Violation } from './types.ts';

export function checkHistory<S, I, O>(model: Model<S, I, O>, history: History<I, O>, options: CheckOptions = {}): CheckResult {
  // The budget starts first: validating and partitioning a large history take time too.
  const budget = new Budget(options);
  validateHistory(history);
  const groups = budget.checkpoint() ? partitionsOf(model, history, options.partition !== false) : [];
  if (budget.stopped !== null) return { operations: history.length, partitions: groups.length, result: 'unknown', steps: budget.steps, unknownReason: budget.stopped };
  // Smallest partitions first (ties by position, so the order is deterministic).
  const schedule = groups.map((_, i) => i).sort((a, b) => groups[a]!.length - groups[b]!.length || a - b);
  const base = { operations: history.length, partitions: groups.length };
  for (const gi of schedule) {
    const group = groups[gi]!;
    const ops = group.map((i) => history[i]!);
    // Each partition's set-up is work outside the step count: look at the clock before it.
    const outcome = budget.checkpoint() ? searchPartition(model, ops, budget) : ({ kind: 'stopped' } as const);
    if (outcome.kind === 'stopped') {
      return { ...base, result: 'unknown', steps: budget.steps, unknownReason: budget.stopped ?? 'step-budget' };
    }
    if (outcome.kind === 'fail') {
      const violation = explainViolation(model, history, gi, group, outcome, budget, options.minimize !== false);
      return { ...base, result: 'not', steps: budget.steps, violation };
    }
  }
  return { ...base, result: 'linearizable', steps: budget.steps };
}

/** Rejects histories no client could have observed. */
function validateHistory<I, O>(history: History<I, O>): void {
  history.forEach((op, i) => {
    if (!Number.isFinite(op.callNs)) throw new InvalidHistoryError(`operation ${i}: callNs must be finite, got ${op.callNs}`);
    if (Number.isNaN(op.returnNs) || op.returnNs < op.callNs) {
      throw new InvalidHistoryError(`operation ${i}: returnNs (${op.returnNs}) is before callNs (${op.callNs})`);
    }
  });
}

function partitionsOf<S, I, O>(model: Model<S, I, O>, history: History<I, O>, usePartition: boolean): readonly (readonly number[])[] {
  if (history.length === 0) return [];
  if (!usePartition || model.partition === undefined) return [history.map((_, i) => i)];
  const groups = model.partition(history).filter((g) => g.length > 0);
  const seen = new Uint8Array(history.length);
  for (const g of groups) {
    for (const i of g) {
      if (!(Number.isInteger(i) && i >= 0 && i < history.length) || seen[i] === 1) {
        throw new AssertionError(`model ${model.name}: partition() returned index ${i} twice or out of range`);
      }
      seen[i] = 1;
    }
  }
  if (seen.includes(0)) throw new AssertionError(`model ${model.name}: partition() left operations out`);
  return groups;
}

type Failed = Extract<SearchOutcome, { kind: 'fail' }>;

interface Prefix<I, O> {
  /** Local indices (into the partition) of the operations kept. */
  readonly members: readonly number[];
  /** Local indices of members whose reply comes after the cut. */
  readonly pending: readonly number[];
  readonly ops: readonly Operation<I, O>[];
}

/**
 * The prefix of a partition cut just after the `k`-th reply (1-based) in time order: every
 * operation invoked before the cut, with replies after the cut turned into unknown outcomes.
 */
function prefixAt<I, O>(ops: readonly Operation<I, O>[], order: readonly number[], k: number): Prefix<I, O> {
  let seenReturns = 0;
  let cut = -1;
  for (let p = 0; p < order.length; p++) {
    const e = order[p]!;
    if ((e & 1) === 1 && ops[e >>> 1]!.returnNs !== Infinity && ++seenReturns === k) {
      cut = p;
      break;
    }
  }
  if (cut < 0) throw new AssertionError(`prefixAt: no reply number ${k}`);
  const returned = new Set<number>();
  const members: number[] = [];
  for (let p = 0; p <= cut; p++) {
    const e = order[p]!;
    if ((e & 1) === 0) members.push(e >>> 1);
    else returned.add(e >>> 1);
  }
  const pending = members.filter((m) => !returned.has(m));
  const prefixOps = members.map((m) => (returned.has(m) ? ops[m]! : { ...ops[m]!, returnNs: Infinity }));
  return { members, pending, ops: prefixOps };
}

/**
 * Binary search for the shortest failing prefix. Failing is monotone in the cut: a linearization
 * of a longer prefix, truncated after its last operation that replied before the shorter cut, is
 * a linearization of the shorter prefix (later invocations cannot precede those replies).
 */
function explainViolation<S, I, O>(
  model: Model<S, I, O>,
  history: History<I, O>,
  partitionIndex: number,
  group: readonly number[],
  full: Failed,
  budget: Budget,
  minimize: boolean,
): Violation {
  const ops = group.map((i) => history[i]!);
  const order = entryOrder(ops);
  const knownReplies = ops.filter((o) => o.returnNs !== Infinity).length;
  const whole: Prefix<I, O> = {
    members: ops.map((_, i) => i),
    pending: ops.flatMap((o, i) => (o.returnNs === Infinity ? [i] : [])),
    ops,
  };
  let best: { prefix: Prefix<I, O>; outcome: Failed } = { prefix: whole, outcome: full };
  let minimal = true;
  if (minimize) {
    let lo = 1;
    let hi = knownReplies; // invariant: prefix `hi` fails; every prefix below `lo` is linearizable
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const prefix = prefixAt(ops, order, mid);
      const outcome = searchPartition(model, prefix.ops, budget);
      if (outcome.kind === 'stopped') {
        minimal = false;
        break;
      }
      if (outcome.kind === 'fail') {
        hi = mid;
        best = { prefix, outcome };
      } else {
        lo = mid + 1;
      }
    }
  } else {
    minimal = false;
  }
  // Explain the (small) failing prefix: one more search, recording its deepest dead end.
  const explained = searchPartition(model, best.prefix.ops, budget, true);
  const outcome: Failed = explained.kind === 'fail' ? explained : best.outcome;
  return describeViolation(model, history, partitionIndex, group, best.prefix, outcome, minimal, explained.kind === 'fail');
}

function describeViolation<S, I, O>(
  model: Model<S, I, O>,
  history: History<I, O>,
  partitionIndex: number,
  group: readonly number[],
  prefix: Prefix<I, O>,
  outcome: Failed,
  minimal: boolean,
  explained: boolean,
): Violation {
  // Map prefix-local indices to partition-local, then to history indices.
  const toHistory = (local: number): number => group[prefix.members[local]!]!;
  const operations = prefix.members.map((m) => group[m]!);
  const pendingOps = prefix.pending.map((m) => group[m]!);
  const lastOp = lastReplied(prefix, group);
  const longestPrefix = outcome.longestPrefix.map(toHistory);
  const blockedCandidates = outcome.blockedCandidates.map(toHistory);
  const describe = (i: number): string => describeOp(model, history[i]!);
  const pendingSet = new Set(pendingOps);
  const description: string[] = [
    `partition ${partitionIndex} (${group.length} operations): its first ${operations.length} operations, ` +
      `up to the reply of #${lastOp}, cannot be linearized${minimal ? '; one reply earlier they can' : ''}:`,
    ...operations.map((i) => {
      const op = history[i]!;
      const end = pendingSet.has(i) ? 'pending' : String(op.returnNs);
      const mark = i === lastOp ? '  <- this reply cannot be explained' : '';
      return `  #${i} client ${op.clientId} [${op.callNs}, ${end}] ${describe(i)}${mark}`;
    }),
  ];
  if (!explained) {
    description.push('(the budget ran out before the longest partial linearization could be recorded)');
  } else {
    description.push(`longest linearization found: ${longestPrefix.length === 0 ? '(none)' : longestPrefix.map((i) => `#${i}`).join(' ')}`);
  }
  if (explained) {
    const state = replay(model, longestPrefix.map((i) => history[i]!));
    if (state !== undefined && model.describeState !== undefined) description.push(`state after it: ${model.describeState(state)}`);
    description.push(`no candidate could come next: ${blockedCandidates.map((i) => `#${i} ${describe(i)}`).join('; ')}`);
  }
  return {
    partitionIndex,
    partitionSize: group.length,
    operations,
    lastOp,
    pendingOps,
    longestPrefix,
    blockedCandidates,
    minimal,
    description,
  };
}

/** The member of the prefix whose reply is last in time (ties: as entryOrder breaks them). */
function lastReplied<I, O>(prefix: Prefix<I, O>, group: readonly number[]): number {
  const order = entryOrder(prefix.ops);
  for (let p = order.length - 1; p >= 0; p--) {
    const e = order[p]!;
    if ((e & 1) === 1 && prefix.ops[e >>> 1]!.returnNs !== Infinity) return group[prefix.members[e >>> 1]!]!;
  }
  throw new AssertionError('a failing prefix has no reply');
}

/** The state after applying `ops` in order, if the model is deterministic along the way. */
function replay<S, I, O>(model: Model<S, I, O>, ops: readonly Operation<I, O>[]): S | undefined {
  let state = model.init();
  for (const op of ops) {
    const r = model.step(state, op.input, op.returnNs === Infinity ? undefined : op.output);
    if (!r.ok || !('state' in r)) return undefined;
    state = r.state;
  }
  return state;
}

export function describeOp<S, I, O>(model: Model<S, I, O>, op: Operation<I, O>): string {
  const output = op.returnNs === Infinity ? undefined : op.output;
  if (model.describeOperation !== undefined) return model.describeOperation(op.input, output);
  return `${JSON.stringify(op.input)} -> ${output === undefined ? '?' : JSON.stringify(output)}`;
}
