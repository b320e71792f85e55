/**
 * lease-owns-keys: a model of which keys each store lease owns, built from the applied log alone,
 * judging every revocation and expiry on every node. A put/cas/lock with a lease makes that lease
 * the key's owner (taking it from any earlier lease, or from none: a lease attached to a key that
 * already exists owns it from then on); a put without a lease, or a delete, ends the ownership.
 * Revoking or expiring a live lease must delete exactly the keys it owns: a key left behind
 * outlives the lease it depends on (a lock or presence key nobody will ever delete); an extra key
 * deleted was someone else's.
 *
 * The model advances on the first application of each log index (in index order: a node applying
 * i has applied everything before it, directly or through a snapshot); the deletions it expects
 * at a revocation are kept, and every node that applies that index is held to them.
 */
import type { NodeId } from '../../sim/node.ts';
import type { KvCommand, KvResult, WatchEvent } from '../../systems/kv/types.ts';

export class LeaseOwnershipChecker {
  /** key -> the lease that owns it (0: none), for every existing key. */
  private readonly owner = new Map<string, number>();
  private readonly alive = new Set<number>();
  private modelled = 0;
  /** index -> the keys (sorted, joined) a revocation there must delete. */
  private readonly expected = new Map<number, { lease: number; keys: string[] }>();
  readonly stats = { revocations: 0, keysDeletedByLeases: 0, attachedToExisting: 0 };

  constructor(private readonly report: (invariant: string, message: string) => void) {}

  onApply(node: NodeId, index: number, cmd: KvCommand, result: KvResult, events: WatchEvent[]): void {
    if (index > this.modelled) {
      this.model(index, cmd, result, events);
      this.modelled = index;
    }
    const exp = this.expected.get(index);
    if (exp === undefined) return;
    const deleted = events.filter((e) => e.type === 'delete').map((e) => e.key).sort();
    if (deleted.join('\u0000') !== exp.keys.join('\u0000')) {
      const what = cmd.kind === 'expire' ? 'expiring' : 'revoking';
      this.report('lease-owns-keys', `${node} ${what} lease ${exp.lease} (log index ${index}) deleted [${deleted.join(', ')}], but the lease owned exactly [${exp.keys.join(', ')}]`);
    }
  }

  private model(index: number, cmd: KvCommand, result: KvResult, events: WatchEvent[]): void {
    const revoked = cmd.kind === 'expire' ? cmd.lease : cmd.op.op === 'leaseRevoke' ? cmd.op.id : null;
    if (revoked !== null) {
      const keys: string[] = [];
      if (this.alive.has(revoked)) {
        for (const [k, l] of this.owner) if (l === revoked) keys.push(k);
        keys.sort();
        this.alive.delete(revoked);
        this.stats.revocations++;
        this.stats.keysDeletedByLeases += keys.length;
      }
      for (const k of keys) this.owner.delete(k);
      this.expected.set(index, { lease: revoked, keys });
      return;
    }
    if (result.op === 'leaseGrant') {
      this.alive.add(result.id);
      return;
    }
    if (cmd.kind !== 'client') return;
    const op = cmd.op;
    const lease = op.op === 'put' || op.op === 'cas' ? (op.lease ?? 0) : op.op === 'lock' ? op.lease : 0;
    for (const e of events) {
      if (e.type === 'delete') {
        this.owner.delete(e.key);
        continue;
      }
      const before = this.owner.get(e.key);
      if (lease !== 0 && before !== undefined && before !== lease) this.stats.attachedToExisting++;
      this.owner.set(e.key, lease);
    }
  }
}
