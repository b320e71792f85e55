/**
 * The operator: operations as workload. Two operator processes compete for the config store's
 * lock (a key attached to a lease, kept alive while held; fencing token = the key's create
 * revision) and, while they hold it, change the platform through the store with fenced writes:
 *  - rolling deploy of a server: drain it, set its version flag to the next version
 *    (`platform/flags/version/<id>`), wait out the drain bound, restart it (it boots into the version
 *    its flag holds), readmit it;
 *  - remove a server and, later, add it back;
 *  - evacuate a region (GeoDNS stops sending clients there) and, later, return it;
 *  - re-allocate escrow tokens between regions: write the allocation policy (fenced), and only
 *    once the store accepted it, order the giving region's escrow replica to move the tokens
 *    (escrow's own rebalance order and transfer protocol: conservation and never-oversell hold).
 * A holder that finds a drain another operator left half-done finishes it when the server's
 * version flag was already moved on (restart, readmit), and rolls it back otherwise. After the heal the
 * operators only put things back: every server active, no region evacuated.
 */
import type { NodeContext, NodeId } from '../../sim/node.ts';
import type { Future } from '../../sim/process.ts';
import { ms, type Nanos } from '../../sim/time.ts';
import { KvClient } from '../kv/client.ts';
import type { KvReadOp, KvResult, KvWriteOp } from '../kv/types.ts';
import { KEYS, versionFlagKey, type AllocationPolicy, type BackendsConfig, type PlatformBug, type RegionsConfig, type VersionFlag } from './types.ts';

export interface OperatorOptions {
  configServers: readonly NodeId[];
  regions: readonly string[];
  /** Every application server and its region. */
  servers: readonly { id: NodeId; region: string }[];
  leaseTtlMs: number;
  /** Mean pause between two turns at the lock. */
  intervalNs: Nanos;
  /** How long a drain waits before the server is restarted (the balancers' propagation bound). */
  drainWaitNs: Nanos;
  /** Orchestrator: restart a server (it boots into its version flag; `version` is what the operator expects); false if it is down. */
  deploy: (id: NodeId, version: number) => boolean;
  faultPhase: () => boolean;
  /** The escrow replica of a region (re-allocations are ordered there). */
  escrowOf: (region: string) => NodeId;
  /** An operator orders re-allocation `a` (the end-to-end check). */
  onReallocate: (a: AllocationPolicy) => void;
  bug: PlatformBug;
  /** History hooks for the linearizability checker: called at the start, completed at the end. */
  onOp?: (op: KvReadOp | KvWriteOp) => (r: KvResult | null) => void;
  /**
   * Each action an operator takes at the lock is a recorded decision (sim/decisions.ts): in a
   * run driven by a script, the script's action (null: skipped). The kit passes `w.sim.decisions.operation`.
   * A token re-allocation is one too (`{ action: 'reallocate', from, to, amount }`), so a shrink can
   * drop it and an exported test shows it.
   */
  decide?: (operator: string, n: number, a: OperatorAction) => OperatorAction | null;
  counts: { deploys: number; finished: number; reallocations: number; removes: number; adds: number; evacuations: number; returns: number; rollbacks: number; lockTurns: number; aborted: number };
}

type Gen<T> = Generator<Future<unknown>, T, unknown>;

/**
 * An operator's action as a script names it (sim/decisions.ts): a rolling deploy of a server
 * (drain, restart with the next version, readmit), removing or readmitting one, evacuating a
 * region from GeoDNS, returning every evacuated region, or re-allocating `amount` escrow tokens
 * from one region to another.
 */
export type OperatorAction =
  | { action: 'deploy' | 'remove' | 'readmit'; backend: NodeId }
  | { action: 'evacuate'; region: string }
  | { action: 'return-regions' }
  | { action: 'reallocate'; from: string; to: string; amount: number };

/** Why the operator's rules forbid `a` on this config now (a script's action the run has moved past), or null. */
function refused(a: OperatorAction, backends: BackendsConfig['backends'], spareable: readonly NodeId[], evacuated: readonly string[], regions: readonly string[]): string | null {
  switch (a.action) {
    case 'reallocate':
      if (!regions.includes(a.from) || !regions.includes(a.to) || a.from === a.to) return `${a.from} -> ${a.to} is not a move between two regions`;
      return Number.isSafeInteger(a.amount) && a.amount >= 1 ? null : `amount ${a.amount} is not a positive whole number of tokens`;
    case 'deploy':
    case 'remove':
      return spareable.includes(a.backend) ? null : `${a.backend} is not an active server its region can spare`;
    case 'readmit':
      return backends[a.backend]?.state === 'removed' ? null : `${a.backend} is not removed`;
    case 'return-regions':
      return evacuated.length > 0 ? null : 'no region is evacuated';
    case 'evacuate':
      return evacuated.length === 0 ? null : `${evacuated.join(', ')} already evacuated`;
  }
}

export function* operatorProcess(ctx: NodeContext, o: OperatorOptions): Gen<void> {
  const kc = new KvClient(ctx, { servers: o.configServers, clientId: ctx.id, maxAttempts: 6, attemptTimeoutNs: ms(600) });
  const ka = new KvClient(ctx, { servers: o.configServers, clientId: `${ctx.id}-ka`, maxAttempts: 1, attemptTimeoutNs: ms(o.leaseTtlMs / 4) });
  /** Actions decided so far (the n of the recorded decisions). */
  let actions = 0;

  function* write(op: KvWriteOp): Gen<KvResult | null> {
    const done = o.onOp?.(op);
    const r = yield* kc.write(op);
    done?.(r.ok ? r.value : null);
    return r.ok ? r.value : null;
  }
  function* read(op: KvReadOp): Gen<KvResult | null> {
    const done = o.onOp?.(op);
    const r = yield* kc.read(op);
    done?.(r.ok ? r.value : null);
    return r.ok ? r.value : null;
  }

  for (let first = true; ; first = false) {
    // The first turn at once: it writes the initial config the balancers wait for.
    if (!first) yield ctx.sleep(Math.max(1, Math.round(ctx.rng.exponential(o.faultPhase() ? o.intervalNs : ms(200)))));
    const g = yield* kc.write({ op: 'leaseGrant', ttlMs: o.leaseTtlMs });
    if (!g.ok || g.value.op !== 'leaseGrant') {
      ctx.log('op-lease-failed', 'no lease granted (no leader answered)');
      continue;
    }
    const lease = g.value.id;
    const l = yield* kc.write({ op: 'lock', key: KEYS.lock, owner: ctx.id, lease });
    if (!l.ok || l.value.op !== 'lock' || !l.value.ok) {
      ctx.log('op-lock-failed', l.ok && l.value.op === 'lock' ? `held by ${l.value.holder}` : 'no answer');
      yield* kc.write({ op: 'leaseRevoke', id: lease });
      continue;
    }
    const token = l.value.token;
    o.counts.lockTurns++;
    const held = { alive: true };
    ctx.spawn(`keepalive-${lease}`, (function* () {
      while (held.alive) {
        yield ctx.sleep(ms(o.leaseTtlMs / 4));
        const t = yield* ka.keepAlive(lease, 1);
        if (t === -1 && held.alive) {
          ctx.probe('platform:operator-lease-lost');
          held.alive = false;
        }
      }
    })());

    const fenced = function* (key: string, value: object): Gen<boolean> {
      const v = JSON.stringify({ ...value, token });
      // BUG (unfenced-operator): a plain put; the token rides along in the value but nothing checks it.
      const op: KvWriteOp = o.bug === 'unfenced-operator' ? { op: 'put', key, value: v } : { op: 'fencedPut', key, value: v, lockKey: KEYS.lock, token };
      const r = yield* write(op);
      const ok = r !== null && (r.op === 'put' || (r.op === 'fencedPut' && r.ok));
      if (!ok) o.counts.aborted++;
      if (r !== null && r.op === 'fencedPut' && !r.ok) ctx.probe('platform:operator-write-fenced');
      return ok;
    };

    // Up to three actions per turn at the lock (each re-reads the config it changes).
    for (let k = 0; k < 3 && held.alive; k++) if (!(yield* turn(fenced, token))) break;
    held.alive = false;
    yield* kc.write({ op: 'unlock', key: KEYS.lock, owner: ctx.id });
    yield* kc.write({ op: 'leaseRevoke', id: lease });
  }

  /** One action; false when the turn should end (a failed read or write, or nothing to do). */
  function* turn(fenced: (key: string, value: object) => Gen<boolean>, token: number): Gen<boolean> {
    const br = yield* read({ op: 'get', key: KEYS.backends });
    const rr = yield* read({ op: 'get', key: KEYS.regions });
    if (br === null || br.op !== 'get' || rr === null || rr.op !== 'get') {
      ctx.log('op-read-failed', 'the config could not be read');
      return false;
    }
    const backends: BackendsConfig['backends'] = br.value === null ? {} : (JSON.parse(br.value) as BackendsConfig).backends;
    const evacuated: string[] = rr.value === null ? [] : (JSON.parse(rr.value) as RegionsConfig).evacuated;
    if (br.value === null) {
      for (const s of o.servers) backends[s.id] = { region: s.region, state: 'active', version: 1 };
      for (const s of o.servers) if (!(yield* fenced(versionFlagKey(s.id), { version: 1 }))) return false;
      if (!(yield* fenced(KEYS.backends, { backends }))) return false;
      return rr.value !== null || (yield* fenced(KEYS.regions, { evacuated: [] }));
    }
    const ids = Object.keys(backends).sort();
    const draining = ids.filter((b) => backends[b]!.state === 'draining');
    // A deploy left between its flag and its readmit (or whose flag write landed after another
    // holder rolled its drain back) is finished: the server must run what its flag says. Any other
    // drain is rolled back.
    const fr = yield* read({ op: 'range', prefix: versionFlagKey('') });
    if (fr === null || fr.op !== 'range') return false;
    const behind = new Map<string, number>();
    const flagOf = new Map<string, number>();
    for (const kv of fr.kvs) {
      const b = kv.key.slice(versionFlagKey('').length);
      const v = (JSON.parse(kv.value) as VersionFlag).version;
      flagOf.set(b, v);
      if (backends[b] !== undefined && backends[b]!.version !== v) behind.set(b, v);
    }
    if (draining.length > 0 || behind.size > 0) {
      if (behind.size > 0) {
        const active = [...behind.keys()].filter((b) => backends[b]!.state === 'active');
        if (active.length > 0) {
          for (const b of active) backends[b]!.state = 'draining';
          if (!(yield* fenced(KEYS.backends, { backends }))) return false;
        }
        yield ctx.sleep(o.drainWaitNs);
        // A server that is not up now (paused, down) was not restarted: it stays draining, its
        // entry a version behind its flag, and a later turn finishes it. Recording it as
        // deployed would leave it on its old version for good (platform-global-sale seed 17034).
        for (const [b, v] of [...behind]) if (!o.deploy(b, v)) behind.delete(b);
        yield ctx.sleep(ms(300));
        o.counts.finished += behind.size;
      }
      const pending = (b: string): boolean => backends[b]!.state === 'draining' && !behind.has(b) && backends[b]!.version !== flagOf.get(b);
      const rolledBack = draining.filter((b) => !behind.has(b) && !pending(b));
      for (const b of new Set([...draining, ...behind.keys()])) if (!pending(b)) backends[b] = { ...backends[b]!, state: backends[b]!.state === 'removed' ? 'removed' : 'active', version: behind.get(b) ?? backends[b]!.version };
      if (!(yield* fenced(KEYS.backends, { backends }))) return false;
      if (rolledBack.length > 0) {
        o.counts.rollbacks++;
        ctx.probe('platform:operator-rollback-drain');
      }
      return true;
    }
    if (!o.faultPhase()) {
      // After the heal: put everything back.
      const removed = ids.filter((b) => backends[b]!.state !== 'active');
      if (removed.length > 0) {
        for (const b of removed) backends[b]!.state = 'active';
        if (yield* fenced(KEYS.backends, { backends })) o.counts.adds += removed.length;
      }
      if (evacuated.length > 0 && (yield* fenced(KEYS.regions, { evacuated: [] }))) {
        o.counts.returns++;
        ctx.probe('platform:region-returned');
      }
      return false;
    }
    const activeIn = (r: string) => ids.filter((b) => backends[b]!.region === r && backends[b]!.state === 'active');
    const spareable = ids.filter((b) => backends[b]!.state === 'active' && activeIn(backends[b]!.region).length >= 2);
    const u = ctx.rng.next();
    let drawn: OperatorAction | null = null;
    /** The allocation policy's next sequence number, once read. */
    let seq: number | null = null;
    if (u >= 0.45 && u < 0.6) {
      // The policy is read before the regions and the amount are drawn (as it always was, so no
      // run's draws move).
      seq = yield* nextAllocationSeq();
      if (seq === null) return false;
      const from = ctx.rng.pick(o.regions);
      const to = ctx.rng.pick(o.regions.filter((r) => r !== from));
      drawn = { action: 'reallocate', from, to, amount: ctx.rng.int(1, 10) };
    } else if (u < 0.45 && spareable.length > 0) drawn = { action: 'deploy', backend: ctx.rng.pick(spareable) };
    else if (u < 0.8) {
      const removed = ids.filter((b) => backends[b]!.state === 'removed');
      if (removed.length > 0) drawn = { action: 'readmit', backend: ctx.rng.pick(removed) };
      else if (spareable.length > 0) drawn = { action: 'remove', backend: ctx.rng.pick(spareable) };
    } else if (evacuated.length > 0) drawn = { action: 'return-regions' };
    else drawn = { action: 'evacuate', region: ctx.rng.pick(o.regions) };
    if (drawn === null) return true;
    // A recorded decision (sim/decisions.ts): "op1's 3rd action: deploy app-eu-2"; a script may
    // skip it or name another, which runs only if the operator's own rules allow it now.
    const a = o.decide === undefined ? drawn : o.decide(ctx.id, ++actions, drawn);
    if (a === null) return true;
    const why = refused(a, backends, spareable, evacuated, o.regions);
    if (why !== null) {
      ctx.log('script-skip', `${a.action}: ${why}`);
      return true;
    }
    if (a.action === 'reallocate') {
      // A script's re-allocation where the seed drew another action: read the policy now.
      seq ??= yield* nextAllocationSeq();
      if (seq === null) return false;
      return yield* reallocate(fenced, token, seq, a);
    }
    if (a.action === 'deploy') {
      const b = a.backend;
      const v = backends[b]!.version;
      backends[b]!.state = 'draining';
      if (!(yield* fenced(KEYS.backends, { backends }))) return false;
      // BUG (deploy-before-flag): restart into the version the operator has in mind and set the
      // flag only after the readmit (the server runs a version the store has not set).
      const flagFirst = o.bug !== 'deploy-before-flag';
      if (flagFirst && !(yield* fenced(versionFlagKey(b), { version: v + 1 }))) return false;
      yield ctx.sleep(o.drainWaitNs);
      if (!o.deploy(b, v + 1)) {
        // Not up (paused, down): not restarted. Its flag is ahead of its entry, so a later turn
        // (this operator's or the other's) finishes the deploy; the entry says what runs.
        ctx.log('op-deploy-deferred', `${b} is not up; the deploy is finished by a later turn`);
        return false;
      }
      yield ctx.sleep(ms(300));
      backends[b] = { ...backends[b]!, state: 'active', version: v + 1 };
      if (!(yield* fenced(KEYS.backends, { backends }))) return false;
      if (!flagFirst && !(yield* fenced(versionFlagKey(b), { version: v + 1 }))) return false;
      o.counts.deploys++;
    } else if (a.action === 'readmit') {
      backends[a.backend]!.state = 'active';
      if (yield* fenced(KEYS.backends, { backends })) o.counts.adds++;
    } else if (a.action === 'remove') {
      backends[a.backend]!.state = 'removed';
      if (yield* fenced(KEYS.backends, { backends })) o.counts.removes++;
    } else if (a.action === 'return-regions') {
      if (yield* fenced(KEYS.regions, { evacuated: [] })) {
        o.counts.returns++;
        ctx.probe('platform:region-returned');
      }
    } else if (a.action === 'evacuate') {
      if (yield* fenced(KEYS.regions, { evacuated: [a.region] })) o.counts.evacuations++;
    }
    return true;
  }

  /** The sequence number the next allocation policy gets (the current one's plus one), or null if the store did not answer. */
  function* nextAllocationSeq(): Gen<number | null> {
    const cur = yield* read({ op: 'get', key: KEYS.allocation });
    if (cur === null || cur.op !== 'get') return null;
    return cur.value === null ? 1 : (JSON.parse(cur.value) as AllocationPolicy).seq + 1;
  }

  /** Re-allocates escrow tokens between two regions: the policy first (fenced), then the order. */
  function* reallocate(fenced: (key: string, value: object) => Gen<boolean>, token: number, seq: number, r: { from: string; to: string; amount: number }): Gen<boolean> {
    const { from, to } = r;
    const a: AllocationPolicy = { token, seq, from, to, amount: r.amount };
    const ok = yield* fenced(KEYS.allocation, { seq, from, to, amount: a.amount });
    // BUG (reallocation-unfenced): the order goes out whether or not the store took the policy.
    if (!ok && o.bug !== 'reallocation-unfenced') return false;
    o.onReallocate(a);
    ctx.send(o.escrowOf(from), { type: 'rebalance-order', from: ctx.id, to: o.escrowOf(from), giveTo: o.escrowOf(to), amount: a.amount });
    o.counts.reallocations++;
    return ok;
  }
}
