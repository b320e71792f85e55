import { describe, it, expect } from 'vitest';
import { AssertionError } from '../../sim/assert.ts';
import { SeededRng } from '../../sim/prng.ts';
import { BUGGIFY_SITES, RaftConfigError, leaseTicks, resolveConfig, hardStateForDisk } from './config.ts';
import { RaftNode } from './raft.ts';
import { SafetyViolation, TestNetwork } from './test-network.ts';
import type { AppendMessage, Entry, Message, Ready } from './types.ts';

const ABC = ['a', 'b', 'c'];
const FIVE = ['s1', 's2', 's3', 's4', 's5'];
/** Raw Raft of the paper: no PreVote, no CheckQuorum, so tests can force elections at will. */
const RAW = { preVote: false, checkQuorum: false };

function leaders(net: TestNetwork): string[] {
  return net.live().filter((n) => n.role === 'leader').map((n) => n.id);
}

/** Runs `fn`; returns what it threw (a bug caught by an assertion or a safety check), or null. */
function caught(fn: () => void): Error | null {
  try {
    fn();
    return null;
  } catch (e) {
    if (e instanceof AssertionError || e instanceof SafetyViolation) return e;
    throw e;
  }
}

describe('leader election (§5.2)', () => {
  it('elects exactly one leader that every node follows, for several seeds and sizes', () => {
    for (const ids of [ABC, FIVE]) {
      for (let seed = 1; seed <= 5; seed++) {
        const net = new TestNetwork({ ids, seed });
        net.runUntil(() => leaders(net).length > 0, 100);
        net.run(10);
        const ls = leaders(net);
        expect(ls).toHaveLength(1);
        const l = net.node(ls[0] as string);
        for (const n of net.live()) {
          expect(n.leader).toBe(l.id);
          expect(n.term).toBe(l.term);
        }
      }
    }
  });

  it('first election happens within the configured election timeout range', () => {
    const net = new TestNetwork({ ids: ABC, seed: 3 });
    let rounds = 0;
    net.runUntil(() => {
      rounds++;
      return leaders(net).length > 0;
    }, 100);
    // Election timeouts are 15-30 ticks; with PreVote one more message round trip is needed.
    expect(rounds).toBeGreaterThanOrEqual(15);
    expect(rounds).toBeLessThanOrEqual(31 + 1);
  });

  it('re-elects after the leader is isolated, and the isolated leader steps down (CheckQuorum)', () => {
    const net = new TestNetwork({ ids: FIVE, seed: 11 });
    net.runUntil(() => leaders(net).length > 0);
    const old = net.leader()!;
    const oldTerm = old.term;
    net.isolate(old.id);
    net.runUntil(() => net.live().some((n) => n.id !== old.id && n.role === 'leader'), 200);
    const fresh = net.live().find((n) => n.id !== old.id && n.role === 'leader')!;
    expect(fresh.term).toBeGreaterThan(oldTerm);
    net.runUntil(() => old.role !== 'leader', 40);
    expect(old.role).toBe('follower');
    net.recover();
    net.run(20);
    expect(leaders(net)).toEqual([fresh.id]);
    expect(old.leader).toBe(fresh.id);
  });

  it('a candidate with a stale log does not win (§5.4.1 election restriction)', () => {
    const net = new TestNetwork({ ids: ABC, config: RAW });
    net.elect('a');
    net.cut('a', 'c');
    net.propose('a', 'x');
    net.deliverAll();
    net.isolate('a');
    net.node('c').campaign();
    net.process('c');
    net.deliverAll();
    expect(net.node('c').role).not.toBe('leader');
    net.node('b').campaign();
    net.process('b');
    net.deliverAll();
    expect(net.node('b').role).toBe('leader');
  });
});

describe('PreVote and CheckQuorum (thesis §9.6, §6.2)', () => {
  function partitionAndRejoin(config: object): { before: number; after: number; isolatedTerm: number; sameLeader: boolean; victimLeads: boolean } {
    const net = new TestNetwork({ ids: ABC, seed: 5, config });
    net.runUntil(() => leaders(net).length > 0);
    const l = net.leader()!;
    const victim = ABC.find((x) => x !== l.id)!;
    const before = l.term;
    net.isolate(victim);
    for (let i = 0; i < 3; i++) net.propose(l.id, `during${i}`); // the victim's log falls behind
    net.run(200);
    const isolatedTerm = net.node(victim).term;
    net.recover();
    net.run(50);
    const now = net.leader()!;
    return { before, after: now.term, isolatedTerm, sameLeader: now.id === l.id, victimLeads: now.id === victim };
  }

  it('with PreVote a rejoining partitioned node neither bumps its term nor deposes the leader', () => {
    const r = partitionAndRejoin({ preVote: true, checkQuorum: true });
    expect(r.isolatedTerm).toBe(r.before);
    expect(r.after).toBe(r.before);
    expect(r.sameLeader).toBe(true);
  });

  it('with CheckQuorum alone the rejoining node still forces a new term, but cannot win it', () => {
    const r = partitionAndRejoin({ preVote: false, checkQuorum: true });
    expect(r.isolatedTerm).toBeGreaterThan(r.before);
    // Followers ignore its vote requests (they hear from a live leader), but its higher term
    // reaches the leader in a response and deposes it: the disruption PreVote exists to prevent.
    expect(r.after).toBeGreaterThanOrEqual(r.isolatedTerm);
    expect(r.victimLeads).toBe(false); // its log is behind: §5.4.1
  });

  it('without either, the rejoining node disrupts the cluster (the term jumps)', () => {
    const r = partitionAndRejoin(RAW);
    expect(r.isolatedTerm).toBeGreaterThan(r.before + 3);
    expect(r.after).toBeGreaterThan(r.before);
  });
});

describe('log replication (§5.3)', () => {
  it('replicates and commits proposals in order on every node', () => {
    const net = new TestNetwork({ ids: FIVE, seed: 2 });
    net.runUntil(() => leaders(net).length > 0);
    const l = net.leader()!;
    for (let i = 0; i < 20; i++) expect(net.propose(l.id, `v${i}`).ok).toBe(true);
    net.deliverAll();
    expect(l.commitIndex).toBe(l.lastIndex);
    // Followers learn the last commit advance from the next heartbeat (it is not broadcast).
    for (const n of net.live()) expect(n.commitIndex).toBeLessThanOrEqual(l.commitIndex);
    net.run(l.config.heartbeatTicks);
    for (const n of net.live()) {
      expect(n.commitIndex).toBe(l.lastIndex);
      const data = net.apps.get(n.id)!.applied.map((e) => e.data).filter((d) => d !== null);
      expect(data).toEqual(Array.from({ length: 20 }, (_, i) => `v${i}`));
    }
  });

  it('commits with a bare majority and not without one', () => {
    const net = new TestNetwork({ ids: ABC, config: RAW });
    net.elect('a');
    net.cut('a', 'c');
    const r = net.propose('a', 'maj');
    net.deliverAll();
    expect(r.ok && net.node('a').commitIndex).toBe(r.ok ? r.index : -1);
    net.cut('a', 'b');
    const r2 = net.propose('a', 'minority');
    net.deliverAll();
    expect(r2.ok).toBe(true);
    expect(net.node('a').commitIndex).toBe(r.ok ? r.index : -1);
  });

  it('followers refuse proposals and name the leader', () => {
    const net = new TestNetwork({ ids: ABC, config: RAW });
    net.elect('a');
    expect(net.node('b').propose('x')).toEqual({ ok: false, reason: 'not-leader', leader: 'a' });
  });

  it('batches at most maxEntriesPerMsg entries and keeps at most maxInflightMsgs appends in flight', () => {
    const net = new TestNetwork({ ids: ABC, config: { ...RAW, maxEntriesPerMsg: 3, maxInflightMsgs: 2 } });
    net.elect('a');
    net.propose('a', 'warm');
    net.deliverAll(); // b and c are now in replicate state
    expect(net.node('a').progress('b')!.state).toBe('replicate');
    net.drop('b', 'a'); // b's acknowledgements are lost: b's window fills up
    for (let i = 0; i < 20; i++) net.propose('a', `p${i}`);
    const toB = net.queue.filter((m): m is AppendMessage => m.type === 'app' && m.to === 'b' && m.entries.length > 0);
    expect(toB.length).toBe(2);
    net.deliverAll();
    net.recover();
    net.run(10); // heartbeat responses reveal the stalled pipeline; the leader probes and resends
    const a = net.node('a');
    expect(net.node('b').lastIndex).toBe(a.lastIndex);
    expect(net.node('c').commitIndex).toBe(a.commitIndex);
    net.record = true;
    for (let i = 0; i < 10; i++) net.propose('a', `q${i}`);
    const before = net.queue.length;
    for (const m of net.queue) if (m.type === 'app') expect(m.entries.length).toBeLessThanOrEqual(3);
    expect(before).toBeGreaterThan(0);
  });

  it('fast backtracking finds the match point of a divergent follower in few round trips', () => {
    // Figure 7 style: the leader has terms 1,1,1,4,4,5,5,6,6,6; the follower 1,1,1,2,2,2,3,3,3,3,3.
    const ent = (terms: number[]): Entry[] => terms.map((term, i) => ({ term, index: i + 1, data: `t${term}i${i + 1}` }));
    const lead = ent([1, 1, 1, 4, 4, 5, 5, 6, 6, 6]);
    const foll = ent([1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3]);
    const net = new TestNetwork({
      ids: ABC,
      config: RAW,
      initial: {
        a: { hardState: { term: 6, vote: null, commit: 3 }, snapshot: { index: 0, term: 0, data: null }, entries: lead },
        b: { hardState: { term: 6, vote: null, commit: 3 }, snapshot: { index: 0, term: 0, data: null }, entries: lead },
        c: { hardState: { term: 3, vote: null, commit: 3 }, snapshot: { index: 0, term: 0, data: null }, entries: foll },
      },
    });
    net.record = true;
    net.elect('a');
    expect(net.node('a').role).toBe('leader');
    const rejects = net.delivered.filter((m) => m.type === 'appResp' && m.from === 'c' && m.reject).length;
    expect(rejects).toBeGreaterThanOrEqual(1);
    expect(rejects).toBeLessThanOrEqual(2); // naive decrement-by-one would need 8
    const c = net.node('c');
    expect(c.lastIndex).toBe(net.node('a').lastIndex);
    for (let i = 1; i <= 10; i++) expect(c.log.term(i)).toBe(lead[i - 1]!.term);
  });
});

describe('Figure 8: committing entries from previous terms (§5.4.2)', () => {
  /**
   * (a) s1 leads, replicates X at index 2 to s2 only. (b) s5 wins with s3, s4, appends its own
   * entry at index 2 locally, crashes. (c) s1 returns, wins, copies X to s3 (one entry per
   * message, and its new-term entry is lost): X is on a majority. (d) s1 crashes; s5 returns and
   * wins with s2, s3, s4 (its last term is higher) and overwrites index 2.
   */
  function figure8(bug: boolean): { xApplied: boolean; error: Error | null; net: TestNetwork } {
    const net = new TestNetwork({ ids: FIVE, config: { ...RAW, maxEntriesPerMsg: 1, bugCommitPrevTermByCounting: bug } });
    let xApplied = false;
    const error = caught(() => {
      net.elect('s1');
      for (const o of ['s3', 's4', 's5']) net.drop('s1', o);
      net.propose('s1', 'X');
      net.deliverAll();
      net.crash('s1');
      net.recover();
      net.filter = (m) => m.from === 's5' && m.type === 'app';
      net.elect('s5');
      expect(net.node('s5').role).toBe('leader');
      net.crash('s5');
      net.filter = null;
      net.restart('s1');
      // Entries of s1's new term are stored nowhere else: appends carrying them are lost unless
      // the consistency check will reject them anyway (that rejection sends s1 back to index 2).
      net.filter = (m) =>
        m.type === 'app' && m.from === 's1' && m.entries.some((e) => e.term > 1) && net.nodes.get(m.to)?.log.term(m.index) === m.logTerm;
      net.elect('s1'); // term 2: s3 and s4 already voted for s5 in term 2, so this round is lost
      if (net.node('s1').role !== 'leader') net.elect('s1');
      expect(net.node('s1').role).toBe('leader');
      expect(net.node('s3').log.term(2)).toBe(1); // X reached s3: a majority holds it
      xApplied = net.apps.get('s1')!.applied.some((e) => e.data === 'X');
      net.crash('s1');
      net.filter = null;
      net.restart('s5');
      net.elect('s5');
      if (net.node('s5').role !== 'leader') net.elect('s5'); // first try may lose to a higher term
      expect(net.node('s5').role).toBe('leader');
      net.deliverAll();
    });
    return { xApplied, error, net };
  }

  it('correct Raft does not commit X by counting, and s5 overwrites it safely', () => {
    const r = figure8(false);
    expect(r.error).toBeNull();
    expect(r.xApplied).toBe(false);
    expect(r.net.node('s2').log.term(2)).toBe(2); // s5's entry won index 2
  });

  it('bugCommitPrevTermByCounting commits X, then X is lost: state machine safety breaks', () => {
    const r = figure8(true);
    expect(r.xApplied).toBe(true);
    expect(r.error).toBeInstanceOf(SafetyViolation);
    expect((r.error as SafetyViolation).kind).toBe('state-machine-safety');
  });
});

describe('snapshots (§7)', () => {
  it('a follower that fell behind the compacted log catches up by InstallSnapshot', () => {
    const net = new TestNetwork({ ids: ABC, seed: 4, compactAbove: 5 });
    net.runUntil(() => leaders(net).length > 0);
    const l = net.leader()!;
    const lag = ABC.find((x) => x !== l.id)!;
    net.isolate(lag);
    for (let i = 0; i < 30; i++) net.propose(l.id, `s${i}`);
    net.deliverAll();
    expect(l.log.snapshot.index).toBeGreaterThan(net.node(lag).lastIndex);
    net.recover();
    net.record = true;
    net.runUntil(() => net.node(lag).appliedIndex === l.appliedIndex, 100);
    expect(net.delivered.some((m) => m.type === 'snap' && m.to === lag)).toBe(true);
    expect(net.durable.get(lag)!.snapshot.index).toBeGreaterThan(0);
    expect(net.apps.get(lag)!.applied).toEqual(net.apps.get(l.id)!.applied);
  });

  it('a lost snapshot is resent after snapshotRetryTicks', () => {
    const net = new TestNetwork({ ids: ABC, config: { ...RAW, snapshotRetryTicks: 10 }, compactAbove: 3 });
    net.elect('a');
    net.isolate('c');
    for (let i = 0; i < 10; i++) net.propose('a', `s${i}`);
    net.deliverAll();
    net.recover();
    let snaps = 0;
    net.filter = (m) => m.type === 'snap' && ++snaps === 1; // lose the first one
    net.runUntil(() => net.node('c').appliedIndex === net.node('a').appliedIndex, 100);
    expect(snaps).toBeGreaterThanOrEqual(2);
  });
});

describe('linearizable reads (thesis §6.4)', () => {
  it('ReadIndex on the leader answers after a heartbeat round, at the commit index', () => {
    const net = new TestNetwork({ ids: ABC, config: RAW });
    net.elect('a');
    net.propose('a', 'w');
    net.deliverAll();
    expect(net.readIndex('a', 'r1')).toEqual({ ok: true });
    expect(net.readStates.get('a') ?? []).toHaveLength(0); // not before the quorum confirms
    net.deliverAll();
    expect(net.readStates.get('a')).toEqual([{ index: net.node('a').commitIndex, context: 'r1' }]);
  });

  it('followers forward ReadIndex to the leader; with no leader they refuse', () => {
    const net = new TestNetwork({ ids: ABC, config: RAW });
    expect(net.readIndex('b', 'early')).toEqual({ ok: false, reason: 'no-leader' });
    net.elect('a');
    net.propose('a', 'w');
    net.deliverAll();
    expect(net.readIndex('b', 'r2')).toEqual({ ok: true });
    net.deliverAll();
    expect(net.readStates.get('b')).toEqual([{ index: net.node('a').commitIndex, context: 'r2' }]);
  });

  it('a new leader refuses reads until an entry of its term commits', () => {
    const net = new TestNetwork({ ids: ABC, config: RAW });
    net.node('a').campaign();
    net.process('a');
    net.filter = (m) => m.type === 'app';
    net.deliverAll();
    expect(net.node('a').role).toBe('leader');
    expect(net.readIndex('a', 'r')).toEqual({ ok: false, reason: 'leader-not-ready' });
  });

  it('an isolated leader never confirms a read', () => {
    const net = new TestNetwork({ ids: ABC, config: RAW });
    net.elect('a');
    net.isolate('a');
    net.readIndex('a', 'lost');
    net.run(50);
    expect(net.readStates.get('a') ?? []).toHaveLength(0);
  });

  it('lease reads answer at once, and the lease ends before any other leader can exist', () => {
    const net = new TestNetwork({ ids: FIVE, seed: 9, config: { readOnlyOption: 'lease' } });
    net.runUntil(() => leaders(net).length > 0);
    net.run(10);
    const l = net.leader()!;
    expect(l.leaseValid()).toBe(true);
    expect(net.readIndex(l.id, 'fast')).toEqual({ ok: true });
    expect(net.readStates.get(l.id)).toEqual([{ index: l.commitIndex, context: 'fast' }]);
    net.isolate(l.id);
    let sawLeaseEnd = false;
    for (let round = 0; round < 200; round++) {
      net.tickAll();
      net.deliverAll();
      if (!l.leaseValid()) sawLeaseEnd = true;
      const other = net.live().find((n) => n.id !== l.id && n.role === 'leader');
      if (other) {
        expect(l.leaseValid()).toBe(false);
        break;
      }
    }
    expect(sawLeaseEnd).toBe(true);
  });

  it('lease length follows the drift formula', () => {
    expect(leaseTicks({ electionTicksMin: 15, maxDriftRatio: 0.05 })).toBe(12);
    expect(leaseTicks({ electionTicksMin: 15, maxDriftRatio: 0 })).toBe(14);
    expect(leaseTicks({ electionTicksMin: 100, maxDriftRatio: 0.2 })).toBe(66);
  });
});

describe('restart from durable state', () => {
  it('a whole-cluster crash keeps terms, votes and committed entries; the cluster carries on', () => {
    const net = new TestNetwork({ ids: ABC, seed: 8 });
    net.runUntil(() => leaders(net).length > 0);
    const l = net.leader()!;
    for (let i = 0; i < 5; i++) net.propose(l.id, `d${i}`);
    net.deliverAll();
    const before = new Map(ABC.map((id) => [id, { term: net.node(id).term, vote: net.node(id).vote, last: net.node(id).lastIndex }]));
    for (const id of ABC) net.crash(id);
    for (const id of ABC) net.restart(id);
    for (const id of ABC) {
      const n = net.node(id);
      expect(n.term).toBe(before.get(id)!.term);
      expect(n.vote).toBe(before.get(id)!.vote);
      expect(n.lastIndex).toBe(before.get(id)!.last);
      expect(n.role).toBe('follower');
    }
    net.runUntil(() => leaders(net).length > 0);
    const l2 = net.leader()!;
    expect(l2.term).toBeGreaterThan(l.term);
    net.propose(l2.id, 'after');
    net.deliverAll();
    net.run(10);
    for (const n of net.live()) {
      const data = net.apps.get(n.id)!.applied.map((e) => e.data).filter((d) => d !== null);
      expect(data).toEqual(['d0', 'd1', 'd2', 'd3', 'd4', 'after']);
    }
  });

  it('ignores durable entries a durable snapshot already covers', () => {
    const entries: Entry[] = [1, 2, 3, 4].map((i) => ({ term: 1, index: i, data: `e${i}` }));
    const n = new RaftNode({ id: 'a', peers: ['a', 'b', 'c'], hardState: { term: 1, vote: null, commit: 3 }, snapshot: { index: 2, term: 1, data: 'snap' }, entries, rng: new SeededRng(1, 'a') });
    expect(n.log.firstIndex()).toBe(3);
    expect(n.lastIndex).toBe(4);
    expect(n.appliedIndex).toBe(2);
    expect(n.ready().committedEntries.map((e) => e.index)).toEqual([3]);
  });

  it('rejects inconsistent durable state with a typed error', () => {
    const rng = new SeededRng(1, 'x');
    expect(() => new RaftNode({ id: 'a', peers: ['a', 'b'], hardState: { term: 1, vote: null, commit: 5 }, rng })).toThrow(RaftConfigError);
    expect(() => new RaftNode({ id: 'z', peers: ['a', 'b'], rng })).toThrow(/peers must list/);
  });
});

describe('Ready contract', () => {
  it('hands out state once, refuses ready() before advance(), and reports truncation', () => {
    const net = new TestNetwork({ ids: ABC, config: RAW });
    net.elect('a');
    const b = net.node('b');
    expect(b.hasReady()).toBe(false);
    // A term-1 follower entry at index 2 that a later leader overwrites.
    b.step({ type: 'app', from: 'a', to: 'b', term: 1, index: 1, logTerm: 1, entries: [{ term: 1, index: 2, data: 'old' }], commit: 1 });
    const rd1 = b.ready();
    expect(rd1.entries.map((e) => e.index)).toEqual([2]);
    expect(rd1.messages).toHaveLength(1);
    expect(() => b.ready()).toThrow(AssertionError);
    b.advance();
    b.step({ type: 'app', from: 'c', to: 'b', term: 2, index: 1, logTerm: 1, entries: [{ term: 2, index: 2, data: 'new' }], commit: 1 });
    const rd2 = b.ready();
    expect(rd2.truncateFrom).toBe(2);
    expect(rd2.entries).toEqual([{ term: 2, index: 2, data: 'new' }]);
    expect(rd2.hardState).toEqual({ term: 2, vote: null, commit: 1 });
    expect(rd2.mustSync).toBe(true);
    b.advance();
  });

  it('validates configuration', () => {
    expect(() => resolveConfig({ heartbeatTicks: 20 })).toThrow(RaftConfigError);
    expect(() => resolveConfig({ readOnlyOption: 'lease', checkQuorum: false })).toThrow(/checkQuorum/);
    expect(resolveConfig().electionTicksMin * resolveConfig().tickNs).toBe(150_000_000);
    expect(hardStateForDisk({ term: 3, vote: 'a', commit: 2 }, { bugForgetVotedFor: true }).vote).toBeNull();
  });
});

describe('bug zoo: each known-broken variant is caught', () => {
  it('bugForgetVotedFor: a restarted voter votes twice in one term, electing two leaders', () => {
    const run = (bug: boolean): Error | null => {
      const net = new TestNetwork({ ids: ABC, config: { ...RAW, bugForgetVotedFor: bug } });
      return caught(() => {
        net.cut('a', 'b');
        net.filter = (m) => m.type === 'app'; // keep every log empty, so only the vote matters
        net.elect('a'); // term 1, with c's vote
        expect(net.node('a').role).toBe('leader');
        net.restart('c');
        net.elect('b'); // term 1 too: c votes again if it forgot
        expect(net.node('b').role).toBe(bug ? 'leader' : 'candidate');
      });
    };
    expect(run(false)).toBeNull();
    const e = run(true);
    expect(e).toBeInstanceOf(SafetyViolation);
    expect((e as SafetyViolation).kind).toBe('election-safety');
  });

  it('bugNoUpToDateCheck: a stale node wins and overwrites a committed entry', () => {
    const run = (bug: boolean): Error | null => {
      const net = new TestNetwork({ ids: ABC, config: { ...RAW, bugNoUpToDateCheck: bug } });
      return caught(() => {
        net.elect('a');
        net.cut('a', 'c');
        net.propose('a', 'X');
        net.deliverAll();
        net.propose('a', 'Y'); // carries commit of X to b
        net.deliverAll();
        net.propose('a', 'Z'); // carries commit of Y to b (a commit advance is not broadcast)
        net.deliverAll();
        net.isolate('a');
        net.elect('c');
        expect(net.node('c').role).toBe(bug ? 'leader' : 'candidate');
      });
    };
    expect(run(false)).toBeNull();
    const e = run(true);
    // Caught first by the hot-path assertion (b would truncate a committed entry).
    expect(e).toBeInstanceOf(AssertionError);
    expect(e!.message).toMatch(/committed|leader completeness/);
  });

  it('bugStaleReads: a deposed leader serves a read that misses an acknowledged write', () => {
    const run = (bug: boolean): Error | null => {
      const net = new TestNetwork({ ids: ABC, seed: 6, config: { bugStaleReads: bug } });
      return caught(() => {
        net.runUntil(() => leaders(net).length > 0);
        const old = net.leader()!;
        net.isolate(old.id);
        net.runUntil(() => net.live().some((n) => n.id !== old.id && n.role === 'leader'), 200);
        const fresh = net.live().find((n) => n.id !== old.id && n.role === 'leader')!;
        net.propose(fresh.id, 'new');
        net.deliverAll();
        net.readIndex(old.id, 'stale?');
        net.run(5);
      });
    };
    expect(run(false)).toBeNull();
    const e = run(true);
    expect(e).toBeInstanceOf(SafetyViolation);
    expect((e as SafetyViolation).kind).toBe('stale-read');
  });

  it('bugAckBeforeFsync: an acknowledged entry lost in a crash lets a committed entry vanish', () => {
    const run = (bug: boolean): { error: Error | null; cLeader: boolean } => {
      const net = new TestNetwork({ ids: ABC, config: { ...RAW, bugAckBeforeFsync: bug } });
      let cLeader = false;
      const error = caught(() => {
        net.elect('a');
        for (const id of ABC) net.flushDisk(id);
        net.cut('a', 'c');
        net.propose('a', 'X');
        net.deliverAll(); // b acknowledges X; a commits and applies it
        expect(net.apps.get('a')!.applied.some((e) => e.data === 'X')).toBe(true);
        net.crash('b'); // before b's write reached its disk (if it acked early)
        net.crash('a');
        net.restart('b');
        net.recover();
        net.elect('c');
        cLeader = net.node('c').role === 'leader';
        net.deliverAll();
      });
      return { error, cLeader };
    };
    const ok = run(false);
    expect(ok.error).toBeNull();
    expect(ok.cLeader).toBe(false); // b kept X, so c's log is not up to date
    const bad = run(true);
    expect(bad.error).toBeInstanceOf(SafetyViolation);
    expect((bad.error as SafetyViolation).kind).toBe('state-machine-safety');
  });
});

describe('hot-path assertions', () => {
  it('two leaders in one term are detected by the follower that hears both', () => {
    const net = new TestNetwork({ ids: ABC, config: RAW });
    net.elect('a');
    const forged: Message = { type: 'heartbeat', from: 'c', to: 'b', term: net.node('a').term, commit: 0, context: null, round: 1 };
    expect(() => net.node('b').step(forged)).toThrow(/two leaders/);
  });

  it('a follower told to commit beyond its log fails loudly', () => {
    const net = new TestNetwork({ ids: ABC, config: RAW });
    net.elect('a');
    const bad: Message = { type: 'heartbeat', from: 'a', to: 'b', term: net.node('a').term, commit: 99, context: null, round: 1 };
    expect(() => net.node('b').step(bad)).toThrow(AssertionError);
  });
});

describe('single-node cluster', () => {
  it('elects itself after a timeout, commits at once and reads at once', () => {
    const net = new TestNetwork({ ids: ['solo'] });
    net.runUntil(() => net.node('solo').role === 'leader', 40);
    const r = net.propose('solo', 'only');
    expect(r.ok && net.node('solo').commitIndex).toBe(r.ok ? r.index : -1);
    net.readIndex('solo', 'r');
    expect(net.readStates.get('solo')).toEqual([{ index: net.node('solo').commitIndex, context: 'r' }]);
  });
});

describe('single-node cluster after a restart', () => {
  it('fixed bug (found by raft-churn seed 8: one member, fsync error, restart): a read waits for an entry of the new term, since the commit index on disk may lag', () => {
    // Entry 2 was committed and acknowledged before the crash; the hard state that would have
    // said commit 2 was lost with the failed fsync, so the node restarts believing commit 1.
    const entries: Entry[] = [
      { term: 1, index: 1, data: 'w1' },
      { term: 1, index: 2, data: 'w2' },
    ];
    const n = new RaftNode({ id: 'a', peers: ['a'], rng: new SeededRng(1, 'a'), config: RAW, hardState: { term: 1, vote: 'a', commit: 1 }, entries });
    n.campaign();
    expect(n.role).toBe('leader');
    expect(n.commitIndex).toBe(1); // its term-2 entry is not durable yet, so not committed
    // Served now, the read would be at index 1 and miss the acknowledged write at 2.
    expect(n.readIndex('early')).toEqual({ ok: false, reason: 'leader-not-ready' });
    const reads: { index: number; context: string }[] = [];
    while (n.hasReady()) {
      reads.push(...n.ready().readStates);
      n.advance();
    }
    expect(reads).toEqual([]);
    expect(n.commitIndex).toBe(3);
    expect(n.readIndex('late')).toEqual({ ok: true });
    expect(n.ready().readStates).toEqual([{ index: 3, context: 'late' }]);
    n.advance();
  });
});

describe('lease mode', () => {
  it('a restarted node grants no vote for electionTicksMin ticks (it may have acked a lease)', () => {
    const net = new TestNetwork({ ids: ABC, seed: 2, config: { readOnlyOption: 'lease', preVote: false } });
    net.runUntil(() => leaders(net).length > 0);
    const l = net.leader()!;
    const [x, y] = ABC.filter((id) => id !== l.id) as [string, string];
    net.isolate(l.id);
    net.restart(x);
    net.node(y).campaign();
    net.process(y);
    net.deliverAll();
    expect(net.node(y).role).toBe('candidate'); // x stayed quiet
    for (let i = 0; i < 15; i++) net.tick(x);
    net.deliverAll();
    net.node(y).campaign();
    net.process(y);
    net.deliverAll();
    expect(net.node(y).role).toBe('leader');
  });
});

describe('buggify sites', () => {
  for (const site of BUGGIFY_SITES) {
    it(`${site} is reached and the cluster survives it`, () => {
      const rng = new SeededRng(site, 'fire');
      let reached = 0;
      let fired = 0;
      let on = true;
      const net = new TestNetwork({
        ids: ABC,
        seed: 3,
        config: {
          buggify: (s) => {
            if (s !== site || !on) return false;
            reached++;
            const f = rng.chance(0.3);
            if (f) fired++;
            return f;
          },
        },
      });
      let proposed = 0;
      for (let round = 0; round < 400 && proposed < 10; round++) {
        net.tickAll();
        const l = net.leader();
        if (l && round % 5 === 0 && net.propose(l.id, `b${proposed}`).ok) proposed++;
        net.deliverAll();
      }
      on = false;
      const l = net.leader();
      if (l) net.propose(l.id, 'last');
      net.run(100);
      expect(reached).toBeGreaterThan(0);
      expect(fired).toBeGreaterThan(0);
      // After the faults stop, every node has applied the same entries, including proposals.
      const a = net.apps.get('a')!.applied;
      expect(a.some((e) => typeof e.data === 'string' && e.data.startsWith('b'))).toBe(true);
      for (const id of ABC) expect(net.apps.get(id)!.applied).toEqual(a);
    });
  }
});

describe('a leader counts its own entry once it is durable', () => {
  it('fixed bug (found by raft-churn with one member and fsync errors): a one-member leader commits an entry only after the Ready that persists it', () => {
    const n = new RaftNode({ id: 'a', peers: ['a'], rng: new SeededRng(1, 'a'), config: RAW });
    n.campaign();
    const drain = (): Ready[] => {
      const out: Ready[] = [];
      while (n.hasReady()) {
        const rd = n.ready();
        out.push(rd);
        n.advance();
      }
      return out;
    };
    drain();
    expect(n.role).toBe('leader');
    const p = n.propose('x');
    expect(p.ok).toBe(true);
    const index = p.ok ? p.index : 0;
    const rd = n.ready();
    expect(rd.entries.map((e) => e.index)).toContain(index);
    // Not committed while the entry is only in memory: a failed fsync would lose a committed entry.
    expect(n.commitIndex).toBeLessThan(index);
    expect(rd.committedEntries.map((e) => e.index)).not.toContain(index);
    n.advance(); // the host persisted it
    expect(n.commitIndex).toBe(index);
    const next = n.ready();
    expect(next.committedEntries.map((e) => e.index)).toContain(index);
    n.advance();
  });
});
