/**
 * Builds the picture of a non-linearizable history (sim/history-view.ts) from a checker result:
 * the failing partition's operations around the minimal failing prefix.
 */
import { HISTORY_VIEW_MAX_OPS, type HistoryView } from '../../sim/history-view.ts';
import { describeOp } from './checker.ts';
import type { CheckResult, History, Model } from './types.ts';

export function historyView<S, I, O>(model: Model<S, I, O>, history: History<I, O>, res: CheckResult): HistoryView | null {
  const v = res.violation;
  if (res.result !== 'not' || v === undefined) return null;
  const groups = model.partition !== undefined ? model.partition(history) : [history.map((_, i) => i)];
  const group = groups[v.partitionIndex] ?? v.operations;
  const inPrefix = new Set(v.operations);
  // Keep the prefix and its neighbours in call order, at most HISTORY_VIEW_MAX_OPS in all.
  const sorted = [...group].sort((a, b) => history[a]!.callNs - history[b]!.callNs || a - b);
  const lastPrefixPos = sorted.findIndex((i) => i === v.lastOp);
  const end = Math.min(sorted.length, Math.max(lastPrefixPos + 1 + 20, HISTORY_VIEW_MAX_OPS));
  let shown = sorted.slice(Math.max(0, end - HISTORY_VIEW_MAX_OPS), end);
  const missing = v.operations.filter((i) => !shown.includes(i));
  if (missing.length > 0) shown = [...missing, ...shown.slice(missing.length)].sort((a, b) => history[a]!.callNs - history[b]!.callNs || a - b);
  const pos = new Map(shown.map((h, k) => [h, k]));
  const pending = new Set(v.pendingOps);
  return {
    ops: shown.map((i) => {
      const op = history[i]!;
      const unknown = op.returnNs === Infinity || pending.has(i);
      return { client: `c${op.clientId}`, callNs: op.callNs, returnNs: unknown ? null : op.returnNs, label: `#${i} ${describeOp(model, op)}` };
    }),
    prefix: v.operations.filter((i) => pos.has(i)).map((i) => pos.get(i)!),
    closing: pos.get(v.lastOp) ?? null,
    note: `${v.operations.length} of the partition's ${v.partitionSize} operations cannot be linearized${v.minimal ? ' (a minimal failing prefix)' : ''}; the reply of #${v.lastOp} cannot be explained`,
  };
}
