/**
 * P-compositionality helper: a model whose state is a product of independent objects (one per key)
 * partitions a history by key, and the checker searches each key's sub-history alone.
 */
import type { History } from './types.ts';

/** Groups history indices by a key (a helper for `Model.partition`), in order of first appearance. */
export function partitionByKey<I, O>(history: History<I, O>, keyOf: (input: I) => string): number[][] {
  const groups = new Map<string, number[]>();
  history.forEach((op, i) => {
    const key = keyOf(op.input);
    const g = groups.get(key);
    if (g === undefined) groups.set(key, [i]);
    else g.push(i);
  });
  return [...groups.values()];
}
