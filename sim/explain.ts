/**
 * Why a run failed, for people: the moment that matters and the trace around it, not the last
 * lines of the run. A liveness failure is reported at its deadline, long after its cause; what
 * points at the cause is the moment the pending property last changed (the last repair that
 * happened, the last time a leader was seen) and the faults before that moment.
 *
 * The runner hands every liveness evaluation it makes to a {@link RunStory} (no extra
 * evaluations: a check may have side effects, and the run must not depend on whether anyone
 * watches). A change of a property's answer is a transition: an unhashed trace note (kind
 * `property`), so `--trace` files and timelines show it, and a mark that keeps the trace records
 * before and after it. A mark copies its records only when the trace ring is about to lose them
 * (a property whose answer changes at every poll, a countdown, replaces its mark first: nothing is
 * copied); formatting happens only when the run failed. Faults are taken from the kernel's log records as they happen (a few kept).
 *
 * Nothing here changes a run: no randomness, no events, nothing hashed.
 */
import type { Simulation } from './kernel.ts';
import type { Nanos } from './time.ts';
import { formatInstant, formatNs } from './time.ts';
import { formatRecord, type TraceRecord, type TraceSlice } from './trace.ts';

/**
 * Trace kinds that are faults or the world's reaction to them (a node restarting, a partition
 * healing), listed before a failure's focus. Message loss is left out: it is weather, not an event.
 */
export const FAULT_TRACE_KINDS: ReadonlySet<string> = new Set([
  'crash', 'start', 'pause', 'resume', 'fail-stop', 'clock-step', 'clock-drift',
  'partition', 'heal', 'clog', 'region-cut',
  'disk-full', 'disk-slow', 'disk-error', 'disk-corrupt',
  'device-crash', 'device-restart', 'device-wedge', 'ssd-wrong-result', 'ssd-partial-result', 'ssd-wear', 'cxl-torn-write', 'cxl-poison',
  'directed', 'transfer-crash', 'buggify', 'liveness',
]);

/** Trace lines shown before a failure's focus record (the focus included), and after it. */
export const WINDOW_BEFORE = 40;
/** Trace lines shown after a failure's focus record. */
export const WINDOW_AFTER = 15;
/** Faults kept (the last ones before the focus). */
export const FAULTS_KEPT = 12;
/** The most faults RunStory's log holds before it starts a new array (see RunStory.faultLog). */
const FAULT_LOG_MAX = 4 * FAULTS_KEPT;
/** Transitions kept per liveness property (the last ones). */
export const TRANSITIONS_KEPT = 12;

/** One change of a liveness property's answer, as the runner evaluated it. */
export interface LivenessTransition {
  /** When (true simulated time). */
  atNs: Nanos;
  /** The kernel event of the evaluation. */
  eventIndex: number;
  /** True when the property now holds. */
  held: boolean;
  /** Why it does not hold (its check's message); empty when it holds. */
  reason: string;
}

/** What a liveness property did during the liveness phase. */
export interface PropertyHistory {
  /** The property's name. */
  property: string;
  /** When the runner first evaluated it (properties are evaluated in order, each only while the ones before it hold). */
  firstCheckedAtNs: Nanos;
  /** The last time it held, or null if it never did. */
  lastHeldAtNs: Nanos | null;
  /** How many times its answer changed (the first answer counts as one). */
  changes: number;
  /** The last transitions, oldest first (at most TRANSITIONS_KEPT). */
  transitions: LivenessTransition[];
}

/** Why a run failed: the moment to look at, the trace around it, the faults before it. */
export interface Explanation {
  /** The moment the window is centred on, and what happened then. */
  focus: {
    /** When (true simulated time). */
    atNs: Nanos;
    /** The kernel event. */
    eventIndex: number;
    /** What happened, e.g. "converged pending: eu holds keys [...] (its last change)". */
    what: string;
  };
  /** Trace lines around the focus (formatted as in the short log). */
  window: string[];
  /** The index in `window` of the focus record. */
  focusLine: number;
  /** The last faults before the focus (formatted trace lines, oldest first). */
  faultsBefore: string[];
  /** For a liveness failure: the story of each pending property. */
  liveness?: PropertyHistory[];
}

interface Mark {
  seq: number;
  /**
   * The trace records around the mark ([seq + 1 - WINDOW_BEFORE, seq + 1 + WINDOW_AFTER)),
   * copied only when the ring is about to push the first of them out (Trace.guard); null while
   * they are all still in the ring. A property whose answer changes at every poll (a countdown)
   * replaces its mark long before then, so most marks are never copied.
   */
  window: TraceSlice | null;
  /** The faults before the mark: the last FAULTS_KEPT of `faultLog` before `faultEnd` (a range appends never change). */
  faultLog: readonly TraceRecord[];
  faultEnd: number;
  transition: LivenessTransition;
}

interface Tracked {
  history: PropertyHistory;
  last: string | true | undefined;
  mark: Mark | null;
}

/** The runner's notebook of a run: faults as they happen, liveness transitions with their trace windows. */
export class RunStory {
  /**
   * The faults so far, as records: formatted only if a failure is explained (most runs pass).
   * Only appended to, so a mark keeps the list it saw as this array and its length then; once it
   * holds FAULT_LOG_MAX records, a new array starts from the last FAULTS_KEPT - 1 (the old one,
   * which marks may hold, is never touched again). A copy of the last twelve at every fault was a
   * share of a loaded run's allocations (BUGGIFY's sites are faults, and fire often).
   */
  private faultLog: TraceRecord[] = [];
  private readonly props = new Map<string, Tracked>();

  constructor(private readonly sim: Simulation) {
    sim.logTap = (node, kind, detail) => {
      if (!FAULT_TRACE_KINDS.has(kind) || (kind === 'start' && detail === 'incarnation 1')) return;
      const rec: TraceRecord = { atNs: sim.now, eventIndex: Math.max(0, sim.events - 1), node, kind, detail };
      if (this.faultLog.length >= FAULT_LOG_MAX) this.faultLog = this.faultLog.slice(this.faultLog.length - FAULTS_KEPT + 1);
      this.faultLog.push(rec);
    };
  }

  /** Records one evaluation of a liveness property by the runner (`true`, or why not). */
  observe(property: string, result: unknown): void {
    const answer: string | true = result === true ? true : typeof result === 'string' ? result : String(result);
    let t = this.props.get(property);
    if (t === undefined) {
      t = { history: { property, firstCheckedAtNs: this.sim.now, lastHeldAtNs: null, changes: 0, transitions: [] }, last: undefined, mark: null };
      this.props.set(property, t);
    }
    if (answer === true) t.history.lastHeldAtNs = this.sim.now;
    if (answer === t.last) return;
    t.last = answer;
    const eventIndex = Math.max(0, this.sim.events - 1);
    const transition: LivenessTransition = { atNs: this.sim.now, eventIndex, held: answer === true, reason: answer === true ? '' : answer };
    t.history.changes++;
    t.history.transitions.push(transition);
    if (t.history.transitions.length > TRANSITIONS_KEPT) t.history.transitions.shift();
    const trace = this.sim.trace;
    trace.note(this.sim.now, eventIndex, '-', 'property', answer === true ? `${property} holds` : `${property} pending: ${answer}`);
    t.mark = { seq: trace.written - 1, window: null, faultLog: this.faultLog, faultEnd: this.faultLog.length, transition };
    this.guardMarks();
  }

  /** The first record of a mark's window. */
  private static windowStart(m: Mark): number {
    return Math.max(0, m.seq + 1 - WINDOW_BEFORE);
  }

  /** Asks the trace to call back before the first record of a window not yet copied leaves the ring. */
  private guardMarks(): void {
    let lowest = Infinity;
    for (const t of this.props.values()) {
      if (t.mark !== null && t.mark.window === null) lowest = Math.min(lowest, RunStory.windowStart(t.mark));
    }
    this.sim.trace.guard(lowest, lowest === Infinity ? null : () => this.copyEndangered());
  }

  /** Copies the windows whose first record is about to leave the ring (their later records are all written by then). */
  private copyEndangered(): void {
    const trace = this.sim.trace;
    const leaving = trace.written - trace.capacity;
    for (const t of this.props.values()) {
      const m = t.mark;
      if (m !== null && m.window === null && RunStory.windowStart(m) <= leaving) m.window = trace.slice(RunStory.windowStart(m), m.seq + 1 + WINDOW_AFTER);
    }
    this.guardMarks();
  }

  /** A mark's window: its copy, or the ring (which still holds it all). */
  private windowOf(m: Mark): TraceSlice {
    return m.window ?? this.sim.trace.slice(RunStory.windowStart(m), m.seq + 1 + WINDOW_AFTER);
  }

  /** The history of a property, if the runner evaluated it. */
  history(property: string): PropertyHistory | undefined {
    return this.props.get(property)?.history;
  }

  /**
   * The explanation of a liveness failure: centred on the last change of the first pending
   * property that changed before the deadline (else the first pending one).
   */
  explainLiveness(pending: readonly string[], deadlineNs: Nanos): Explanation | undefined {
    const tracked = pending.map((p) => this.props.get(p)).filter((t): t is Tracked => t !== undefined);
    if (tracked.length === 0) return undefined;
    const focus = tracked.find((t) => t.mark !== null && t.mark.transition.atNs < deadlineNs) ?? tracked[0]!;
    const m = focus.mark;
    const histories = tracked.map((t) => t.history);
    if (m === null) return { focus: { atNs: deadlineNs, eventIndex: 0, what: `${focus.history.property} pending` }, window: [], focusLine: -1, faultsBefore: lastFaults(this.faultLog, this.faultLog.length), liveness: histories };
    const w = this.windowOf(m);
    // The records up to the mark's own note are before (the note included), the rest after.
    const records = w.records();
    const focusLine = Math.max(-1, Math.min(records.length, m.seq + 1 - w.first) - 1);
    const tr = m.transition;
    const what = `${focus.history.property} ${tr.held ? 'held' : `pending: ${tr.reason}`} (its last change)`;
    return { focus: { atNs: tr.atNs, eventIndex: tr.eventIndex, what }, window: records.map(formatRecord), focusLine, faultsBefore: lastFaults(m.faultLog, m.faultEnd), liveness: histories };
  }

  /**
   * The explanation of any other failure: the trace around its first violation (the last
   * VIOLATION or CRASH record in the ring), and the faults before it.
   */
  explainViolation(what: string, atNs: Nanos, eventIndex: number): Explanation {
    const recent: TraceRecord[] = this.sim.trace.recent();
    let at = -1;
    for (let i = recent.length - 1; i >= 0; i--) {
      const k = recent[i]!.kind;
      if (k === 'VIOLATION' || k === 'CRASH') {
        at = i;
        break;
      }
    }
    if (at < 0) at = recent.length - 1;
    const from = Math.max(0, at + 1 - WINDOW_BEFORE);
    const window = recent.slice(from, at + 1 + WINDOW_AFTER).map(formatRecord);
    return { focus: { atNs, eventIndex, what }, window, focusLine: at - from, faultsBefore: lastFaults(this.faultLog, this.faultLog.length) };
  }
}

/** The last FAULTS_KEPT faults of `log` before `end`, formatted (oldest first). */
function lastFaults(log: readonly TraceRecord[], end: number): string[] {
  return log.slice(Math.max(0, end - FAULTS_KEPT), end).map(formatRecord);
}

/** The explanation as lines for a terminal (no colour): the story, the faults, the window with its focus marked. */
export function explanationLines(e: Explanation): string[] {
  const out: string[] = [];
  for (const h of e.liveness ?? []) {
    const held = h.lastHeldAtNs === null ? 'never held' : `last held at ${formatNs(h.lastHeldAtNs)}`;
    out.push(`${h.property}: checked from ${formatNs(h.firstCheckedAtNs)}, ${held}, ${h.changes} change(s) of its answer${h.transitions.length < h.changes ? ` (the last ${h.transitions.length}):` : ':'}`);
    let prev: string | null = null;
    for (const t of h.transitions) {
      out.push(`  ${formatInstant(t.atNs)} #${String(t.eventIndex).padEnd(7)} ${t.held ? 'holds' : `pending: ${shortReason(t.reason, prev)}`}`);
      prev = t.held ? null : t.reason;
    }
  }
  return out;
}

/** Reasons longer than this are cut in the story, with what changed from the previous one. */
const REASON_SHOWN = 100;

/**
 * A long reason cut, followed by its difference from the previous reason as words added and
 * removed ("+ctr:k26 -set:k3"): two long lists of keys differ by a few, and those few are the news.
 */
export function shortReason(reason: string, previous: string | null): string {
  if (reason.length <= REASON_SHOWN) return reason;
  const cut = `${reason.slice(0, REASON_SHOWN - 1)}…`;
  if (previous === null) return cut;
  // Word counts (a key may be listed for several nodes): what appears more often, what less.
  const bag = (x: string): Map<string, number> => {
    const m = new Map<string, number>();
    for (const w of x.split(/[\s,;[\]{}()]+/)) if (w.length > 0) m.set(w, (m.get(w) ?? 0) + 1);
    return m;
  };
  const before = bag(previous);
  const after = bag(reason);
  let shared = 0;
  let total = 0;
  const changes: string[] = [];
  for (const [w, n] of after) {
    const b = before.get(w) ?? 0;
    shared += Math.min(n, b);
    total += n;
    if (n > b) changes.push(`+${w}${n - b > 1 ? `(x${n - b})` : ''}`);
  }
  for (const [w, b] of before) {
    const n = after.get(w) ?? 0;
    if (b > n) changes.push(`-${w}${b - n > 1 ? `(x${b - n})` : ''}`);
  }
  // Only a variation of the same message is worth a difference; another message is news in itself.
  if (changes.length === 0 || shared < total / 2) return cut;
  return `${cut} (vs before: ${changes.slice(0, 8).join(' ')}${changes.length > 8 ? ` +${changes.length - 8} more` : ''})`;
}
