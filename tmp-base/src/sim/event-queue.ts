/**
 * The kernel's event queue: a binary min-heap ordered by (time, insertion sequence), so events at
 * equal times pop in the order they were scheduled (SimPy's rule, and what makes runs repeatable).
 *
 * Cancellation is lazy: a cancelled event stays in the heap with its callback cleared and is
 * skipped when popped. That keeps cancel O(1), which matters because most timers (election
 * timeouts, RPC deadlines) are cancelled before they fire.
 *
 * This is the hot loop of every run, so the heap is hand-written over a plain array.
 */
import type { Nanos } from './time.ts';

/**
 * A scheduled event. Treat as opaque outside the kernel; `cancel()` is the only public verb.
 * An event carries its callback and one argument, so hot paths (message delivery) schedule a
 * shared function with data instead of allocating a closure per event.
 */
export class ScheduledEvent {
  constructor(
    /** @internal */
    readonly time: Nanos,
    /** @internal */
    readonly seq: number,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    /** @internal */
    public fn: ((arg?: any) => void) | null,
    /** @internal */
    public arg: unknown = undefined,
  ) {}
  /** Cancels the event; a no-op if it already fired or was cancelled. */
  cancel(): void {
    this.fn = null;
  }
  /** True once cancelled (or fired). */
  get cancelled(): boolean {
    return this.fn === null;
  }
}

/** The kernel's queue of scheduled events, in (time, sequence) order. */
export class EventQueue {
  private heap: ScheduledEvent[] = [];

  /** Events queued, cancelled ones included. */
  get size(): number {
    return this.heap.length;
  }

  /** Queues an event. */
  push(ev: ScheduledEvent): void {
    const h = this.heap;
    let i = h.length;
    h.push(ev);
    // Sift up.
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pe = h[p]!;
      if (pe.time < ev.time || (pe.time === ev.time && pe.seq < ev.seq)) break;
      h[i] = pe;
      i = p;
    }
    h[i] = ev;
  }

  /** The earliest event, or undefined when empty. */
  peek(): ScheduledEvent | undefined {
    return this.heap[0];
  }

  /** Removes and returns the earliest live event, skipping cancelled ones. */
  pop(): ScheduledEvent | undefined {
    const h = this.heap;
    const n = h.length;
    if (n === 0) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (n > 1) {
      // Sift down from the root with `last`.
      const m = n - 1;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= m) break;
        const r = l + 1;
        let c = l;
        let ce = h[l]!;
        if (r < m) {
          const re = h[r]!;
          if (re.time < ce.time || (re.time === ce.time && re.seq < ce.seq)) {
            c = r;
            ce = re;
          }
        }
        if (last.time < ce.time || (last.time === ce.time && last.seq < ce.seq)) break;
        h[i] = ce;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }

  /** Drops every event. */
  clear(): void {
    this.heap = [];
  }
}
