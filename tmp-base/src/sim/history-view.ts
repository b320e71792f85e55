/**
 * A client history as a picture: one bar per operation, from its call to its reply, on one lane
 * per client, with the operations that cannot be linearized highlighted (as Porcupine draws it).
 * A violation may carry one (`World.violation(name, message, { history })`); the timeline page
 * shows it under the space-time diagram.
 */
import type { Nanos } from './time.ts';

/** One operation of a history view: a bar from its call to its reply. */
export interface HistoryViewOp {
  /** The client lane, e.g. "c3". */
  client: string;
  /** When the client called. */
  callNs: Nanos;
  /** Null when the outcome is unknown (no reply). */
  returnNs: Nanos | null;
  /** What the operation did, e.g. `put k1=7 -> ok`. */
  label: string;
}

/** A client history as a picture (see the file comment). */
export interface HistoryView {
  /** The operations shown (the failing key's, in call order; bounded). */
  ops: HistoryViewOp[];
  /** Indices into `ops`: the minimal non-linearizable prefix. */
  prefix: number[];
  /** Index into `ops` of the operation whose reply cannot be explained, if known. */
  closing: number | null;
  /** What the picture shows, for people (e.g. "key k1: 4 of 37 operations cannot be ordered"). */
  note: string;
}

/** Operations a history view keeps at most (the prefix's neighbourhood); the rest are cut. */
export const HISTORY_VIEW_MAX_OPS = 400;
