/**
 * Random schedules for Raft tests (and for anyone wiring Raft to another harness): a schedule is a
 * list of operations on a TestNetwork — deliver any in-flight message (reordering), tick one node
 * or all, lose or duplicate a message, isolate/cut/recover links, crash-restart a node from its
 * durable state, propose, read — with per-run swarm weights. TestNetwork checks the safety
 * properties after every step; `runSchedule` then optionally checks liveness after healing.
 */
import fc from 'fast-check';
import { SeededRng } from '../../sim/prng.ts';
import type { RaftConfig } from './config.ts';
import { TestNetwork } from './test-network.ts';
import type { Message } from './types.ts';

export interface Op {
  k: number;
  a: number;
  b: number;
}

export interface Schedule {
  size: 3 | 5;
  /** Swarm testing: per-run relative weights of [deliver, tick, lose, duplicate, isolate, cut,
   *  recover, restart, propose, read, isolate-the-leader, crash-the-leader, tickAll], so some
   *  runs crash a lot and others never. Leader faults are Jepsen-style targeted nemeses. */
  weights: number[];
  seed: number;
  preVote: boolean;
  checkQuorum: boolean;
  lease: boolean;
  buggify: boolean;
  /** Entries per append: 1 makes a new leader ship old-term entries apart from its own. */
  maxEntriesPerMsg: number;
  ops: Op[];
}

export const opArb = fc.record({ k: fc.nat(99), a: fc.nat(1000), b: fc.nat(1000) });

export const scheduleArb = (maxOps: number): fc.Arbitrary<Schedule> =>
  fc.record({
    size: fc.constantFrom(3 as const, 5 as const),
    weights: fc.tuple(fc.integer({ min: 5, max: 40 }), fc.integer({ min: 5, max: 30 }), ...Array.from({ length: 11 }, () => fc.integer({ min: 0, max: 15 }))),
    seed: fc.nat(),
    preVote: fc.boolean(),
    checkQuorum: fc.boolean(),
    lease: fc.boolean(),
    buggify: fc.boolean(),
    maxEntriesPerMsg: fc.integer({ min: 1, max: 3 }),
    ops: fc.array(opArb, { minLength: Math.floor(maxOps / 2), maxLength: maxOps, size: 'max' }),
  });

function takeMessage(net: TestNetwork, b: number): Message | undefined {
  if (net.queue.length === 0) return undefined;
  return net.queue.splice(b % net.queue.length, 1)[0];
}

/** Runs one schedule; throws on any safety violation, protocol assertion or liveness failure. */
export function runSchedule(s: Schedule, bugs: Partial<RaftConfig> = {}, liveness = true): void {
  const ids = s.size === 3 ? ['n1', 'n2', 'n3'] : ['n1', 'n2', 'n3', 'n4', 'n5'];
  const fire = new SeededRng(s.seed, 'buggify');
  let faultsOn = s.buggify;
  const net = new TestNetwork({
    ids,
    seed: s.seed,
    compactAbove: 8,
    config: {
      // Short timeouts so that a few hundred steps see many elections.
      electionTicksMin: 4,
      electionTicksMax: 8,
      heartbeatTicks: 1,
      snapshotRetryTicks: 6,
      maxEntriesPerMsg: s.maxEntriesPerMsg,
      maxInflightMsgs: 3,
      preVote: s.preVote,
      checkQuorum: s.checkQuorum || s.lease,
      readOnlyOption: s.lease ? 'lease' : 'safe',
      buggify: (site) => faultsOn && fire.chance(0.1) && site.length > 0,
      ...bugs,
    },
  });
  let proposals = 0;
  let reads = 0;
  const total = s.weights.reduce((x, y) => x + y, 0);
  for (const op of s.ops) {
    const id = ids[op.a % ids.length] as string;
    const other = ids[op.b % ids.length] as string;
    // Map op.k (0-99) onto the weighted op kinds.
    let r = (op.k / 100) * total;
    let kind = 0;
    while (kind < s.weights.length - 1 && r >= (s.weights[kind] as number)) r -= s.weights[kind++] as number;
    switch (kind) {
      case 0: {
        const m = takeMessage(net, op.b); // any in-flight message: reordering
        if (m) net.deliver(m);
        break;
      }
      case 1:
        // Lease reads assume clocks run at the same rate: tick everyone together then.
        if (s.lease) net.tickAll();
        else net.tick(id);
        break;
      case 2:
        takeMessage(net, op.b); // lost
        break;
      case 3: {
        const m = net.queue[op.b % Math.max(1, net.queue.length)];
        if (m) net.queue.push(m); // duplicated
        break;
      }
      case 4:
        net.isolate(id);
        break;
      case 5:
        if (id !== other) net.cut(id, other);
        break;
      case 6:
        net.recover();
        break;
      case 7:
        net.restart(id); // crash, losing in-flight messages and un-fsynced writes, then restart
        break;
      case 8: {
        const target = net.nodes.get(id)?.role === 'leader' ? id : net.leader()?.id;
        if (target !== undefined) net.propose(target, `p${proposals++}`);
        break;
      }
      case 9:
        if (net.nodes.get(id)) net.readIndex(id, `r${reads++}`);
        break;
      case 10: {
        const l = net.leader();
        if (l !== undefined) net.isolate(l.id);
        break;
      }
      case 11: {
        const l = net.leader();
        if (l !== undefined) net.restart(l.id);
        break;
      }
      default:
        net.tickAll();
    }
  }
  if (!liveness) return;
  // Liveness: heal everything; a leader must emerge and commit a new entry on every node.
  faultsOn = false;
  net.recover();
  net.filter = null;
  net.runUntil(() => {
    const l = net.leader();
    return l !== undefined && l.log.term(l.commitIndex) === l.term;
  }, 300, () => describeCluster(net));
  // A proposal may legitimately be lost when leadership changes; re-propose now and then.
  let attempt = 0;
  let rounds = 0;
  const done = (): boolean => ids.every((id) => (net.apps.get(id)?.applied ?? []).some((e) => typeof e.data === 'string' && e.data.startsWith('final')));
  net.runUntil(
    () => {
      if (rounds++ % 30 === 0 && !done()) {
        const l = net.leader();
        if (l !== undefined) net.propose(l.id, `final${attempt++}`);
      }
      return done();
    },
    300,
    () => describeCluster(net),
  );
}

/** One line per node: why a cluster has not converged (TigerBeetle's `pending()`). */
export function describeCluster(net: TestNetwork): string {
  const l = net.leader();
  return net
    .live()
    .map((n) => {
      const pr = l && l !== n ? l.progress(n.id) : undefined;
      const prs = pr ? ` pr{${pr.state} match=${pr.match} next=${pr.next} inflight=${pr.inflights.length} probeSent=${pr.probeSent}}` : '';
      return `${n.id} ${n.role} term=${n.term} lead=${n.leader} commit=${n.commitIndex} applied=${n.appliedIndex} last=${n.lastIndex}/${n.log.lastTerm()} snap=${n.log.snapshot.index}${prs}`;
    })
    .join('\n');
}
