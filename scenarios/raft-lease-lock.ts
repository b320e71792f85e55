/**
 * raft-lease-lock: seed 001's "lease expiry during partition". Clients take a lock in the store
 * (a key attached to their lease; fencing token = the key's create revision) and, while they hold
 * it, write to an external resource that rejects any token older than the newest it accepted. The
 * nemesis cuts the current holder off from the cluster (not from the resource), or pauses it, or
 * also isolates the leader, for longer than the lease TTL: the lease expires, another client
 * takes the lock with a newer token, and the stale holder, which learns of its loss only after
 * three missed keep-alives (seed 001's client loop), keeps writing. Its writes must be rejected.
 *
 * Invariants (invariants/raft/fencing.ts): fencing (never an older token after a newer one) and
 * mutual exclusion as the resource sees it (each accepted token was granted, to its presenter).
 * Liveness: after the faults stop, every lease is revoked or expires and the lock is free.
 *
 * Lease safety (invariants/raft/lease.ts, clocks perfect here): a lease never expires while an
 * acknowledged renewal still covers it (TTL from the renewal's send time). A fourth nemesis shape
 * cuts the leader from the other servers but not from the clients, so a deposed leader that has
 * not noticed yet is asked to renew leases; a fifth crashes the leader.
 *
 * Lease ownership (invariants/raft/lease-ownership.ts): clients also attach their leases to
 * shared keys that often exist already (or take them off any lease); revoking or expiring a lease
 * must delete exactly the keys it owns.
 *
 * Bug zoo: `no-fencing`, a resource that ignores tokens; `unconfirmed-keepalive`, servers that
 * renew a lease without confirming leadership (the bug this scenario found in server.ts);
 * `lease-attach-on-create`, a store whose lease owns a key only if the put created it.
 */
import type { NodeContext } from '../sim/node.ts';
import { param } from '../sim/params.ts';
import { sleep, wait } from '../sim/process.ts';
import { defineScenario } from '../sim/scenario.ts';
import { ms, sec } from '../sim/time.ts';
import { raftParams, setupRaftCluster } from '../systems/kv/kit.ts';
import { FencingChecker } from '../invariants/raft/fencing.ts';
import { LeaseChecker } from '../invariants/raft/lease.ts';
import { LeaseOwnershipChecker } from '../invariants/raft/lease-ownership.ts';
import { KvClient } from '../systems/kv/client.ts';

export const LOCK_BUGS = ['none', 'no-fencing', 'unconfirmed-keepalive', 'lease-attach-on-create'] as const;
const LOCK_KEY = 'lock';
const RESOURCE = 'res';

/** A write to the resource, fenced by the writer's lock token. */
interface FencedWrite {
  type: 'fencedWrite';
  owner: string;
  token: number;
  value: string;
}
type FencedReply = { ok: true } | { ok: false; newest: number };

interface Holder {
  lost: boolean;
  done: boolean;
}

export default defineScenario({
  name: 'raft-lease-lock',
  description: 'Raft store: lease-backed lock with fencing tokens; the holder is cut off, its lease expires, its late writes are rejected',
  params: {
    ...raftParams({ durationS: 8 }),
    lockClients: param.int({ doc: 'clients competing for the lock', default: 3, min: 1, max: 16, swarm: [2, 4] }),
    ttlMs: param.int({ doc: 'lease TTL (ms)', default: 400, min: 10, max: 1e6, swarm: [200, 800] }),
    holdMsMean: param.float({ doc: 'mean time a client holds the lock (ms)', default: 400, min: 1, max: 1e7, swarm: [100, 1500] }),
    writeGapMs: param.int({ doc: 'pause between a holder\'s writes to the resource (ms)', default: 20, min: 1, max: 1e6, swarm: [5, 50] }),
    strikeMsMean: param.float({ doc: 'mean time between strikes on the lock holder (ms)', default: 800, min: 1, max: 1e7, swarm: [300, 2000] }),
    netLossRate: param.float({ doc: 'probability that a message is lost', default: 0.005, min: 0, max: 1, swarm: [0, 0.03], swarmOffProbability: 0.4 }),
    sharedKeys: param.int({ doc: 'shared keys the clients attach their leases to (often keys that already exist), or take off any lease (0: none)', default: 3, min: 0, max: 64, swarm: [1, 4] }),
    bug: param.enum(LOCK_BUGS, { doc: 'bug-zoo variant: no-fencing = the resource ignores tokens; unconfirmed-keepalive = leases renewed without confirming leadership; lease-attach-on-create = a lease given to an existing key does not own it', default: 'none' }),
  },
  durationNs: (p) => sec(p.durationS),
  livenessBoundNs: sec(20),
  setup(w, p) {
    const c = setupRaftCluster(w, { ...p, bug: 'none' }, { workload: false, quietBuggifyAfterHeal: true, bugUnconfirmedKeepAlive: p.bug === 'unconfirmed-keepalive', bugLeaseAttachOnCreate: p.bug === 'lease-attach-on-create' });
    const ownership = new LeaseOwnershipChecker((inv, msg) => w.violation(inv, msg));
    c.kvHooks.push({ onApply: (...a) => ownership.onApply(...a) });
    const fencing = new FencingChecker((inv, msg) => w.violation(inv, msg));
    c.kvHooks.push({ onApply: (...a) => fencing.onApply(...a) });
    // Clocks are perfect here (no skew or drift), so the lease rule is checked in true time.
    const leases = new LeaseChecker((inv, msg) => w.violation(inv, msg), () => w.now);
    c.kvHooks.push({ onApply: (...a) => leases.onApply(...a) });
    w.net.setDefaults({ lossRate: p.netLossRate });
    const counts = { rejected: 0, lostByKeepAlive: 0, expired: 0, lockTaken: 0 };
    c.kvHooks.push({ onApply: (_n, _i, cmd, r) => void (cmd.kind === 'expire' && r.op === 'leaseRevoke' && r.existed && counts.expired++) });

    // The external resource: a plain object behind a message, never crashed.
    let newest = 0;
    w.addNode(RESOURCE, (ctx) => ({
      onMessage(env) {
        const m = env.body as FencedWrite;
        if (m.type !== 'fencedWrite') return;
        if (p.bug !== 'no-fencing' && m.token < newest) {
          counts.rejected++;
          ctx.reply(env, { ok: false, newest } satisfies FencedReply);
          return;
        }
        newest = Math.max(newest, m.token);
        fencing.onAccept(m.owner, m.token, w.now);
        ctx.reply(env, { ok: true } satisfies FencedReply);
      },
    }), { kind: 'client' });

    const clientIds = Array.from({ length: p.lockClients }, (_, i) => `L${i + 1}`);
    const faultEndNs = sec(p.durationS);
    for (const id of clientIds) {
      w.addClient(id, (ctx) => (function* () {
        const kc = new KvClient(ctx, { servers: c.ids, clientId: id, attemptTimeoutNs: ms(200), maxAttempts: 15 });
        const ka = new KvClient(ctx, { servers: c.ids, clientId: `${id}-ka`, attemptTimeoutNs: ms(Math.max(20, Math.floor(p.ttlMs / 4))) });
        while (w.phase === 'fault') {
          yield ctx.sleep(ms(ctx.rng.int(10, 200)));
          const sentNs = w.now;
          const g = yield* kc.write({ op: 'leaseGrant', ttlMs: p.ttlMs });
          if (!g.ok || g.value.op !== 'leaseGrant') continue;
          const lease = g.value.id;
          leases.acknowledged(lease, sentNs, g.value.ttlMs, 'grant', 'the cluster');
          const owner = `${id}/${lease}`;
          const h: Holder = { lost: false, done: false };
          ctx.spawn(`keepalive${lease}`, keepAlive(ctx, ka, lease, p.ttlMs, h, counts, (sentNs, ttlMs) => leases.acknowledged(lease, sentNs, ttlMs, 'keep-alive', 'the leader'), () => w.now));
          // Shared keys: attach the lease to one (it often exists already, owned by another lease
          // or by none), or take one off any lease. Its revocation or expiry must delete exactly
          // the keys it still owns (lease-owns-keys).
          if (p.sharedKeys > 0) {
            const key = `shared${ctx.rng.int(0, p.sharedKeys - 1)}`;
            if (ctx.rng.chance(0.75)) yield* kc.write({ op: 'put', key, value: owner, lease });
            else yield* kc.write({ op: 'put', key, value: owner });
          }
          let token = 0;
          while (!h.lost && w.phase === 'fault') {
            const r = yield* kc.write({ op: 'lock', key: LOCK_KEY, owner, lease });
            if (r.ok && r.value.op === 'lock' && r.value.ok) {
              token = r.value.token;
              break;
            }
            if (r.ok && r.value.op === 'error') break; // the lease is gone
            yield ctx.sleep(ms(ctx.rng.int(20, 100)));
          }
          if (token > 0) {
            counts.lockTaken++;
            // Hold the lock: write to the resource until the hold ends, the lock is lost, or the
            // faults stop. A hold is drawn from an exponential, so no liveness bound covers every
            // draw (holdMsMean=1e7 held it for hours): like the loops above, a client stops using
            // the lock at the heal, and leases-settle judges the store, not the client's patience.
            const untilNs = ctx.now() + Math.round(ctx.rng.exponential(ms(p.holdMsMean)));
            for (let k = 1; ctx.now() < untilNs && !h.lost && w.phase === 'fault'; k++) {
              const r = yield* wait(ctx.call<FencedReply>(RESOURCE, { type: 'fencedWrite', owner, token, value: `${owner}#${k}` } satisfies FencedWrite, ms(100)));
              if (r.ok && !r.body.ok) h.lost = true; // a newer holder wrote: we lost the lock
              // Not past the end of the faults: a gap of writeGapMs=10^6 slept through the heal
              // and kept the lock for 1000 s more (the hold ends at the heal, above). The fault
              // phase ends at durationS of true time; the sleep is on the local clock, so a
              // drifting clock may wake a little early, and the next gap is then short.
              else yield ctx.sleep(Math.max(1, Math.min(ms(p.writeGapMs), faultEndNs - w.now + ms(1))));
            }
            yield* kc.write({ op: 'unlock', key: LOCK_KEY, owner });
          }
          h.done = true;
          yield* kc.write({ op: 'leaseRevoke', id: lease });
        }
      })());
    }

    w.liveness('leases-settle', () => {
      const l = c.leader();
      if (!l) return 'no leader';
      const st = l.program!.store;
      const held = st.get(LOCK_KEY);
      if (held !== undefined) return `the lock is still held by ${held.value} (lease ${held.lease})`;
      const leases = st.leaseList();
      return leases.length === 0 ? true : `${leases.length} lease(s) neither revoked nor expired (first: ${leases[0]!.id})`;
    });
    w.onHeal(() => {
      w.metrics.lock = { ...fencing.stats, ...counts, ...leases.stats, ...ownership.stats };
    });

    // The story: cut the holder off from the cluster (not from the resource) past its TTL.
    const rng = w.rng('lock-nemesis');
    w.nemesis('strike-holder', (function* () {
      for (;;) {
        yield sleep(w.sim, Math.max(ms(1), Math.round(rng.exponential(ms(p.strikeMsMean)))));
        const l = c.leader();
        const held = l?.program?.store.get(LOCK_KEY);
        if (held === undefined) continue;
        const holder = held.value.split('/')[0]!;
        const away = Math.round(ms(p.ttlMs) * rng.uniform(1.2, 4));
        const shape = rng.int(0, 4);
        if (shape === 4 && l !== undefined) {
          // The leader crashes: the next one restarts every lease's TTL (never early).
          l.crash(rng.chance(0.5) ? 'torn' : 'all');
          yield sleep(w.sim, away);
          if (l.state === 'down') l.start();
          continue;
        }
        if (shape === 2) {
          w.node(holder).pause(away);
          yield sleep(w.sim, away);
          continue;
        }
        if (shape === 3 && l !== undefined) {
          // The leader loses the other servers but not the clients: until CheckQuorum deposes it,
          // it still answers keep-alives while the majority elects a new leader. Then, maybe, the
          // holder is cut off too, so its last renewal is the deposed leader's.
          for (const s of c.ids) if (s !== l.id) w.net.cut(l.id, s);
          yield sleep(w.sim, ms(rng.int(100, 400)));
          if (rng.chance(0.5)) for (const s of c.ids) w.net.cut(holder, s);
          yield sleep(w.sim, away);
          w.net.heal();
          continue;
        }
        for (const s of c.ids) w.net.cut(holder, s);
        if (shape === 1 && l !== undefined) w.net.isolate(l.id);
        if (shape === 1 && l !== undefined) w.net.cut(l.id, holder);
        // The holder still reaches the resource (an isolated leader does not matter to it).
        yield sleep(w.sim, away);
        w.net.heal();
      }
    })());
  },
});

/** Seed 001's keep-alive loop: every TTL/3; the lease is lost on a -1 answer or three misses. */
function* keepAlive(ctx: NodeContext, ka: KvClient, lease: number, ttlMs: number, h: Holder, counts: { lostByKeepAlive: number }, onAck: (sentNs: number, ttlMs: number) => void, trueNow: () => number) {
  let misses = 0;
  while (!h.done && !h.lost) {
    yield ctx.sleep(ms(Math.max(1, Math.floor(ttlMs / 3))));
    if (h.done) return;
    const sentNs = trueNow();
    const t = yield* ka.keepAlive(lease, 1);
    if (t !== null && t > 0) onAck(sentNs, t);
    if (t === -1 || (t === null && ++misses >= 3)) {
      h.lost = true;
      counts.lostByKeepAlive++;
      return;
    }
    if (t !== null) misses = 0;
  }
}
