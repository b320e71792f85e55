/**
 * lease-expired-early: a store lease must not expire while its holder may still believe it valid.
 * The client rule (docs/raft.md): a lease is valid until `TTL` after the *send* time of the last
 * keep-alive (or of the grant request) that was acknowledged. Checked in true time, so the
 * scenario must run with perfect clocks (with drift, the rule shrinks by the drift bound).
 *
 * Checked both ways: when an expiry is first applied (a holder's acknowledged renewal still
 * covers that instant), and when a renewal is acknowledged (the lease was already expired, or
 * expired within the time the acknowledgement promises).
 */
import type { NodeId } from '../../sim/node.ts';
import type { Nanos } from '../../sim/time.ts';
import type { KvCommand, KvResult, WatchEvent } from '../../systems/kv/types.ts';

interface Belief {
  validUntilNs: Nanos;
  sentNs: Nanos;
  what: string;
}

export class LeaseChecker {
  private readonly beliefs = new Map<number, Belief>();
  private readonly expiredAt = new Map<number, Nanos>();
  readonly stats = { renewals: 0, expiries: 0 };

  constructor(
    private readonly report: (invariant: string, message: string) => void,
    private readonly now: () => Nanos,
  ) {}

  /** The holder of `lease` sent a grant or keep-alive at true time `sentNs`, acknowledged with `ttlMs`. */
  acknowledged(lease: number, sentNs: Nanos, ttlMs: number, what: 'grant' | 'keep-alive', by: NodeId): void {
    this.stats.renewals++;
    const validUntilNs = sentNs + ttlMs * 1e6;
    const exp = this.expiredAt.get(lease);
    if (exp !== undefined && exp < validUntilNs)
      return this.report('lease-expired-early', `${by} acknowledged the ${what} of lease ${lease} sent at ${fmt(sentNs)} (TTL ${ttlMs} ms: valid until ${fmt(validUntilNs)}), but the lease had expired at ${fmt(exp)}`);
    const b = this.beliefs.get(lease);
    if (b === undefined || b.validUntilNs < validUntilNs) this.beliefs.set(lease, { validUntilNs, sentNs, what: `${what} acknowledged by ${by}` });
  }

  /** kvHooks.onApply: the first application of each expiry. */
  onApply(node: NodeId, _index: number, cmd: KvCommand, result: KvResult, _events: WatchEvent[]): void {
    if (cmd.kind !== 'expire' || result.op !== 'leaseRevoke' || !result.existed || this.expiredAt.has(cmd.lease)) return;
    const t = this.now();
    this.stats.expiries++;
    this.expiredAt.set(cmd.lease, t);
    const b = this.beliefs.get(cmd.lease);
    if (b !== undefined && t < b.validUntilNs)
      this.report('lease-expired-early', `lease ${cmd.lease} expired on ${node} at ${fmt(t)}, but its holder's ${b.what} (sent at ${fmt(b.sentNs)}) makes it valid until ${fmt(b.validUntilNs)}`);
  }
}

function fmt(ns: Nanos): string {
  return `${(ns / 1e6).toFixed(3)} ms`;
}
