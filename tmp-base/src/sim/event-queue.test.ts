import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { EventQueue, ScheduledEvent } from './event-queue.ts';

/** Pops every live event (skipping cancelled ones, as the kernel does). */
function drain(q: EventQueue): ScheduledEvent[] {
  const out: ScheduledEvent[] = [];
  for (let ev = q.pop(); ev !== undefined; ev = q.pop()) if (!ev.cancelled) out.push(ev);
  return out;
}

const byTimeSeq = (a: ScheduledEvent, b: ScheduledEvent): number => a.time - b.time || a.seq - b.seq;

describe('EventQueue', () => {
  it('is empty at first and pops undefined', () => {
    const q = new EventQueue();
    expect(q.size).toBe(0);
    expect(q.peek()).toBeUndefined();
    expect(q.pop()).toBeUndefined();
  });

  it('pops ties at one time in insertion (seq) order', () => {
    const q = new EventQueue();
    const evs = [5, 1, 5, 1, 5, 0].map((t, i) => new ScheduledEvent(t, i, () => {}));
    for (const e of evs) q.push(e);
    expect(drain(q).map((e) => e.seq)).toEqual([5, 1, 3, 0, 2, 4]);
  });

  it('cancel is lazy: the event stays queued but is marked cancelled', () => {
    const q = new EventQueue();
    const a = new ScheduledEvent(1, 0, () => {});
    const b = new ScheduledEvent(2, 1, () => {});
    q.push(a);
    q.push(b);
    a.cancel();
    a.cancel(); // idempotent
    expect(q.size).toBe(2);
    expect(q.peek()).toBe(a);
    expect(a.cancelled).toBe(true);
    expect(b.cancelled).toBe(false);
    expect(drain(q)).toEqual([b]);
  });

  it('clear empties the queue', () => {
    const q = new EventQueue();
    q.push(new ScheduledEvent(3, 0, () => {}));
    q.clear();
    expect(q.size).toBe(0);
    expect(q.pop()).toBeUndefined();
  });

  // Property: any interleaving of pushes (small time range, so many ties), pops and cancels pops
  // live events in (time, seq) order, exactly as a sorted reference list does.
  it('matches a sorted reference under random pushes, pops and cancels', () => {
    const op = fc.oneof(
      { weight: 5, arbitrary: fc.record({ k: fc.constant('push' as const), t: fc.integer({ min: 0, max: 12 }) }) },
      { weight: 2, arbitrary: fc.record({ k: fc.constant('pop' as const) }) },
      { weight: 2, arbitrary: fc.record({ k: fc.constant('cancel' as const), i: fc.nat() }) },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const q = new EventQueue();
        let ref: ScheduledEvent[] = []; // live events, unsorted
        const all: ScheduledEvent[] = [];
        let seq = 0;
        // Popping in the kernel skips cancelled events: mirror that.
        const popLive = (): ScheduledEvent | undefined => {
          for (;;) {
            const e = q.pop();
            if (e === undefined || !e.cancelled) return e;
          }
        };
        for (const o of ops) {
          if (o.k === 'push') {
            const e = new ScheduledEvent(o.t, seq++, () => {});
            q.push(e);
            ref.push(e);
            all.push(e);
          } else if (o.k === 'cancel') {
            if (all.length === 0) continue;
            const e = all[o.i % all.length]!;
            e.cancel();
            ref = ref.filter((x) => x !== e);
          } else {
            ref.sort(byTimeSeq);
            const want = ref.shift();
            expect(popLive()).toBe(want);
          }
        }
        const rest = drain(q);
        expect(rest).toEqual(ref.sort(byTimeSeq));
        // Every popped sequence is non-decreasing in (time, seq).
        for (let i = 1; i < rest.length; i++) expect(byTimeSeq(rest[i - 1]!, rest[i]!)).toBeLessThan(0);
      }),
      { numRuns: 300 },
    );
  });
});
