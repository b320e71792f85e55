/**
 * The watch guarantees, measured against the revisions the state machine actually applied:
 *
 *  - watch-no-duplicates: an event at or below the revision a watch is already complete through
 *    is never delivered again;
 *  - watch-fifo: events arrive in revision order;
 *  - watch-no-gaps: when a watch says it is complete through revision R, every applied change to a
 *    watched key (or prefix) after its start revision and up to R has been delivered, once, in
 *    revision order, with the value that was applied;
 *  - watch-events: nothing is delivered that was not applied (no phantom events, no progress
 *    beyond the last applied revision);
 *  - watch-compacted: a "compacted" answer only when the revision the watch needs really is gone
 *    (at or below the compaction point, which is at most `historyRevs` behind the newest revision).
 *
 * The reference is the god's-eye log of applied changes: revision -> events, filled by the first
 * node to apply each revision (every later application must agree). Liveness: `lagging(rev)` says
 * which watch has not caught up with the newest revision.
 */
import type { NodeId } from '../../sim/node.ts';
import { matches } from '../../systems/kv/store.ts';
import type { KvCommand, KvResult, WatchEvent } from '../../systems/kv/types.ts';

export interface WatchSpec {
  key: string;
  prefix: boolean;
}

interface WatchState {
  spec: WatchSpec;
  fromRev: number;
  through: number;
  delivered: number;
  open: boolean;
}

export class WatchChecker {
  /** byRev[r]: the events of revision r (index 0 unused). */
  private readonly byRev: (WatchEvent[] | undefined)[] = [undefined];
  private readonly watches = new Map<string, WatchState>();
  /** Counters for the run's metrics. */
  readonly stats = { opened: 0, batches: 0, events: 0, compacted: 0 };

  constructor(
    private readonly report: (invariant: string, message: string) => void,
    readonly historyRevs: number,
  ) {}

  /** The newest revision any node has applied. */
  get maxRev(): number {
    return this.byRev.length - 1;
  }

  /** kvHooks.onApply: extends (or cross-checks) the reference. */
  onApply(node: NodeId, _index: number, _cmd: KvCommand, result: KvResult, events: WatchEvent[]): void {
    if (events.length === 0) return;
    const rev = events[0]!.rev;
    if (result.rev !== rev || events.some((e) => e.rev !== rev)) {
      this.report('watch-events', `${node} applied one transaction as several revisions: ${events.map(fmt).join(', ')} (result at rev ${result.rev})`);
      return;
    }
    const known = this.byRev[rev];
    if (known !== undefined) {
      if (JSON.stringify(known) !== JSON.stringify(events)) this.report('watch-events', `${node} applied rev ${rev} as ${events.map(fmt).join(', ')}; it was first applied as ${known.map(fmt).join(', ')}`);
      return;
    }
    if (rev !== this.maxRev + 1) {
      this.report('watch-events', `${node} applied rev ${rev} but no node has applied rev ${this.maxRev + 1}`);
      return;
    }
    this.byRev.push(events.map((e) => ({ ...e })));
  }

  /** A watch starts: it wants every matching event with rev >= fromRev. */
  open(watch: string, spec: WatchSpec, fromRev: number): void {
    this.watches.set(watch, { spec, fromRev, through: fromRev - 1, delivered: 0, open: true });
    this.stats.opened++;
  }

  close(watch: string): void {
    const w = this.watches.get(watch);
    if (w !== undefined) w.open = false;
  }

  /** The watch delivered `events` and claims to be complete through `upTo`. */
  deliver(watch: string, events: readonly WatchEvent[], upTo: number): void {
    const w = this.watches.get(watch);
    if (w === undefined || !w.open) return this.report('watch-events', `${watch} delivered events while not open`);
    this.stats.batches++;
    this.stats.events += events.length;
    const name = `${watch} (${describe(w.spec)} from rev ${w.fromRev})`;
    let prev = w.through;
    for (const e of events) {
      if (e.rev <= w.through) return this.report('watch-no-duplicates', `${name}: ${fmt(e)} delivered again; the watch was already complete through rev ${w.through}`);
      if (e.rev < prev) return this.report('watch-fifo', `${name}: ${fmt(e)} delivered after an event of rev ${prev}`);
      if (!matches(e.key, w.spec.key, w.spec.prefix)) return this.report('watch-events', `${name}: ${fmt(e)} does not match the watch`);
      prev = e.rev;
    }
    if (upTo > this.maxRev) return this.report('watch-events', `${name}: complete through rev ${upTo}, but no node has applied beyond rev ${this.maxRev}`);
    if (upTo < prev) return this.report('watch-fifo', `${name}: an event of rev ${prev} in a batch that ends at rev ${upTo}`);
    const expected = this.expected(w.spec, w.through, upTo);
    const n = Math.max(expected.length, events.length);
    for (let i = 0; i < n; i++) {
      const want = expected[i];
      const got = events[i];
      if (want !== undefined && got !== undefined && sameEvent(want, got)) continue;
      if (got !== undefined && events.slice(0, i).some((x) => sameEvent(x, got))) return this.report('watch-no-duplicates', `${name}: ${fmt(got)} delivered twice in one batch`);
      if (want !== undefined && (got === undefined || expected.slice(i + 1).some((x) => sameEvent(x, got))))
        return this.report('watch-no-gaps', `${name}: ${fmt(want)} was never delivered (the watch moved from rev ${w.through} to ${upTo}${got ? `, delivering ${fmt(got)} next` : ''})`);
      return this.report('watch-events', `${name}: delivered ${got ? fmt(got) : 'nothing'} where ${want ? `rev ${want.rev} applied ${fmt(want)}` : `no matching change was applied up to rev ${upTo}`}`);
    }
    w.through = upTo;
    w.delivered += events.length;
  }

  /** The watch was answered "compacted"; it ends. */
  compacted(watch: string, fromRev: number, compactRev: number): void {
    const w = this.watches.get(watch);
    if (w === undefined || !w.open) return this.report('watch-compacted', `${watch} answered compacted while not open`);
    this.stats.compacted++;
    w.open = false;
    const name = `${watch} (${describe(w.spec)} from rev ${w.fromRev})`;
    if (fromRev !== w.through + 1) return this.report('watch-compacted', `${name}: compacted answer for rev ${fromRev}, but the watch needs rev ${w.through + 1}`);
    if (fromRev > compactRev) return this.report('watch-compacted', `${name}: answered compacted through rev ${compactRev}, but it needs rev ${fromRev}, which is still in the history`);
    const floor = this.maxRev - this.historyRevs;
    if (compactRev > floor) return this.report('watch-compacted', `${name}: compacted through rev ${compactRev}, but the history keeps ${this.historyRevs} revisions and the newest is ${this.maxRev} (at most ${floor} may be compacted)`);
  }

  /** Null if every open watch is complete through `rev`; else which one is behind. */
  lagging(rev: number): string | null {
    for (const [name, w] of this.watches) if (w.open && w.through < rev) return `${name} is complete through rev ${w.through}, the store is at rev ${rev}`;
    return null;
  }

  private expected(spec: WatchSpec, after: number, upTo: number): WatchEvent[] {
    const out: WatchEvent[] = [];
    for (let r = after + 1; r <= upTo; r++) for (const e of this.byRev[r] ?? []) if (matches(e.key, spec.key, spec.prefix)) out.push(e);
    return out;
  }
}

function sameEvent(a: WatchEvent, b: WatchEvent): boolean {
  return a.rev === b.rev && a.key === b.key && a.type === b.type && a.value === b.value;
}

function fmt(e: WatchEvent): string {
  return e.type === 'put' ? `put ${e.key}=${e.value} at rev ${e.rev}` : `delete ${e.key} at rev ${e.rev}`;
}

function describe(s: WatchSpec): string {
  return s.prefix ? `prefix "${s.key}"` : `key "${s.key}"`;
}
