/**
 * How fast the heap of a run's thread may grow between full garbage collections. V8 lets a heap
 * grow by a factor between collections that depends on its limit: up to 4 when the limit is 2 GB
 * or more (detsim's default --max-memory is 4 GB), so a long run's garbage piled up to several
 * times what it held alive (a 10-million-event raft-churn run: about 60 MB alive, a peak of 350 MB
 * of RSS). A fixed factor of 1.5 keeps the peak near what is alive at no measured cost in time
 * (docs/performance.md, "Sixth round"), and the limit stays the one the user asked for:
 * --max-memory still decides when a run is out of memory.
 *
 * V8's flags are the process's, not one thread's: the main thread grows by the same factor (it
 * allocates little). A factor the user set (node --heap-growing-percent=N, or in NODE_OPTIONS) is
 * left as it is.
 */
import { setFlagsFromString } from 'node:v8';

/** The run's heap may grow by this percentage between full collections (V8's --heap-growing-percent). */
export const RUN_HEAP_GROWING_PERCENT = 50;

const FLAG = /--heap[-_]growing[-_]percent\b/;

let applied: number | null = null;

/** The percentage this process set (null: not yet, or the user's own factor is in force). */
export function heapGrowthInForce(): number | null {
  return applied;
}

/**
 * Sets V8's heap growing factor for the threads started from now on (once per process); returns
 * the percentage in force, or null when the user set one of their own.
 */
export function boundHeapGrowth(execArgv: readonly string[] = process.execArgv, nodeOptions: string = process.env.NODE_OPTIONS ?? ''): number | null {
  if (execArgv.some((a) => FLAG.test(a)) || FLAG.test(nodeOptions)) return null;
  if (applied === null) {
    setFlagsFromString(`--heap-growing-percent=${RUN_HEAP_GROWING_PERCENT}`);
    applied = RUN_HEAP_GROWING_PERCENT;
  }
  return applied;
}
