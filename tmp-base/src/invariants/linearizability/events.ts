/**
 * The event-list form of a history (Porcupine's `Event`s): calls and returns in the order they
 * happened. Converts it to operations, using each event's position as its time.
 */
import { InvalidHistoryError } from './errors.ts';
import type { HistoryEvent, Operation } from './types.ts';

/** Operations in order of their call events; a call with no return gets returnNs = Infinity. */
export function eventsToHistory<I, O>(events: readonly HistoryEvent<I, O>[]): Operation<I, O>[] {
  const ops: Operation<I, O>[] = [];
  const open = new Map<number, number>(); // event id -> index in ops
  const closed = new Set<number>();
  events.forEach((ev, t) => {
    if (ev.kind === 'call') {
      if (open.has(ev.id) || closed.has(ev.id)) throw new InvalidHistoryError(`event ${t}: operation id ${ev.id} is called twice`);
      open.set(ev.id, ops.length);
      ops.push({ clientId: ev.clientId, input: ev.input, output: undefined, callNs: t, returnNs: Infinity });
      return;
    }
    const i = open.get(ev.id);
    if (i === undefined) throw new InvalidHistoryError(`event ${t}: return of operation id ${ev.id}, which is not open`);
    open.delete(ev.id);
    closed.add(ev.id);
    ops[i] = { ...ops[i]!, output: ev.output, returnNs: t };
  });
  return ops;
}
