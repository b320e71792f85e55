/**
 * The Raft safety checker forgets its per-index memory below every node's snapshot (in memory and
 * on disk), so a long run's checker stays bounded; these tests show it still catches a divergent
 * entry above that point, never forgets what a node could still recover, and stays bounded over
 * a long synthetic history (a structure size, not a time).
 */
import { describe, expect, it } from 'vitest';
import type { RaftHost } from '../../systems/raft/host.ts';
import type { Ready } from '../../systems/raft/types.ts';
import { RaftSafetyChecker } from './safety.ts';

/** A host as the checker sees it: chain hashes from `base` (its snapshot) on, a commit index, a disk snapshot. */
class FakeHost {
  base = 0;
  chain: number[] = [0];
  diskSnapshot: number | null = null;
  raft = { commitIndex: 0, role: 'follower' as const };
  readonly ctx = {
    disk: {
      readDurable: () => (this.diskSnapshot === null ? { records: [], corrupt: [], error: null } : { records: [{ index: this.diskSnapshot, term: 1, data: '' }], corrupt: [], error: null }),
    },
    now: () => 0,
  };
  readonly opts = { peers: [] as string[] };
  constructor(readonly id: string) {}
  get snapshotIndex(): number {
    return this.base;
  }
  get chainLast(): number {
    return this.base + this.chain.length - 1;
  }
  chainAt(i: number): number | undefined {
    return i < this.base || i > this.chainLast ? undefined : this.chain[i - this.base];
  }
  /** Appends entries up to `last`, chain hash `hash(i)` each. */
  appendTo(last: number, hash: (i: number) => number): void {
    for (let i = this.chainLast + 1; i <= last; i++) this.chain.push(hash(i));
  }
  /** Compacts through `index` (memory); `durable`: the disk's snapshot too. */
  compact(index: number, durable: boolean): void {
    this.chain = this.chain.slice(index - this.base);
    this.base = index;
    if (durable) this.diskSnapshot = index;
  }
}

const emptyReady = (): Ready => ({ softState: null, hardState: null, snapshot: null, truncateFrom: null, entries: [], messages: [], committedEntries: [], readStates: [], mustSync: false });
const hashOf = (i: number): number => (i * 2654435761) >>> 0;

function setup(): { checker: RaftSafetyChecker; a: FakeHost; b: FakeHost; violations: string[] } {
  const violations: string[] = [];
  const checker = new RaftSafetyChecker((inv, msg) => violations.push(`${inv}: ${msg}`));
  const a = new FakeHost('a');
  const b = new FakeHost('b');
  for (const h of [a, b]) checker.onRecover(h as unknown as RaftHost);
  return { checker, a, b, violations };
}

/** Both nodes hold and commit entries up to `last`, then compact through `snap` (`durable`: on disk too). */
function advance(checker: RaftSafetyChecker, hosts: FakeHost[], last: number, snap: number, durable: boolean): void {
  for (const h of hosts) {
    h.appendTo(last, hashOf);
    h.raft.commitIndex = last;
    checker.onReady(h as unknown as RaftHost, emptyReady());
    if (snap > h.base) h.compact(snap, durable);
  }
}

describe('RaftSafetyChecker pruning', () => {
  it('forgets below every node\'s snapshot, and still flags a divergent committed entry above it after compaction', () => {
    const { checker, a, b, violations } = setup();
    advance(checker, [a, b], 1000, 900, true);
    checker.prune();
    expect(checker.prunedBelow).toBe(900);
    expect(checker.retained().committed).toBeLessThanOrEqual(101);
    // b applies a different entry at 950 (above the snapshots): state machine safety must fire.
    checker.onApply(b as unknown as RaftHost, { index: 950, term: 1, data: '' } as never, hashOf(950) ^ 1);
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatch(/^state-machine-safety: b applies a different entry .* at index 950/);
    expect(checker.stats.prunedQueries).toBe(0);
  });

  it('keeps what a node could still recover: a snapshot in memory only does not move the floor', () => {
    const { checker, a, b, violations } = setup();
    advance(checker, [a, b], 500, 100, true);
    advance(checker, [a, b], 1000, 900, false); // compacted through 900 in memory; the disk still says 100
    checker.prune();
    expect(checker.prunedBelow).toBe(100);
    // After a crash b recovers from its disk (snapshot 100) and replays a different entry at 150.
    b.base = 100;
    b.chain = [hashOf(100)];
    b.appendTo(1000, (i) => (i === 150 ? hashOf(i) ^ 7 : hashOf(i)));
    b.raft.commitIndex = 1000;
    checker.onRecover(b as unknown as RaftHost);
    expect(violations.some((v) => v.startsWith('state-machine-safety: b commits a different entry (or log prefix) at index 150'))).toBe(true);
  });

  it('a node whose disk has no snapshot holds the floor at 0', () => {
    const { checker, a, b } = setup();
    advance(checker, [a], 1000, 900, true);
    b.appendTo(10, hashOf);
    checker.onReady(b as unknown as RaftHost, emptyReady());
    checker.prune();
    expect(checker.prunedBelow).toBe(0);
    expect(checker.retained().committed).toBe(1000);
  });

  it('stays bounded over a long history: per-index memory follows the nodes\' log span, not the run', () => {
    const { checker, a, b, violations } = setup();
    const sizes: number[] = [];
    for (let last = 1000; last <= 200_000; last += 1000) {
      advance(checker, [a, b], last, last - 300, true);
      checker.prune();
      const r = checker.retained();
      sizes.push(r.committed + r.acked + r.chains + r.held);
    }
    expect(violations).toEqual([]);
    expect(checker.prunedBelow).toBe(199_700);
    // Without pruning this is 200,000 committed indices (and as many held per node); with it, the
    // last 1,300 indices at most, whatever the length of the run.
    expect(Math.max(...sizes)).toBeLessThanOrEqual(3 * 1300 + 10);
    expect(checker.retained().committed).toBeLessThanOrEqual(1301);
  });
});
