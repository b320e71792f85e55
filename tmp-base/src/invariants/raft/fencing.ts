/**
 * Fencing, as an external resource sees it (seed 001, "lease expiry during partition"): a lock
 * holder whose lease expired while it was cut off may still believe it holds the lock; the
 * fencing token (the lock key's create revision) lets the resource reject it.
 *
 *  - fencing: the resource never accepts a write with an older token after one with a newer token;
 *  - mutual-exclusion: every accepted token is one the store really granted, to the writer that
 *    presents it (one token, one holder), so accepted writes of different holders never
 *    interleave.
 *
 * Grants are read from the applied log (kvHooks.onApply): a `lock` that created the key at its
 * revision is a grant of token = that revision to its owner.
 */
import type { NodeId } from '../../sim/node.ts';
import type { Nanos } from '../../sim/time.ts';
import type { KvCommand, KvResult, WatchEvent } from '../../systems/kv/types.ts';

export class FencingChecker {
  /** token -> owner, from the applied log. */
  private readonly grants = new Map<number, string>();
  private newestToken = 0;
  private newestOwner = '';
  private newestAtNs: Nanos = 0;
  readonly stats = { grants: 0, accepted: 0, holders: 0 };

  constructor(private readonly report: (invariant: string, message: string) => void) {}

  onApply(node: NodeId, _index: number, cmd: KvCommand, result: KvResult, _events: WatchEvent[]): void {
    if (cmd.kind !== 'client' || cmd.op.op !== 'lock' || result.op !== 'lock' || !result.ok) return;
    // A retried lock is answered from the session record with the same result: same grant.
    if (result.token !== result.rev) return;
    const owner = this.grants.get(result.token);
    if (owner === undefined) {
      this.grants.set(result.token, cmd.op.owner);
      this.stats.grants++;
    } else if (owner !== cmd.op.owner) this.report('mutual-exclusion', `${node} granted token ${result.token} to ${cmd.op.owner}; it was granted to ${owner}`);
  }

  /** The resource accepted a write of `owner` fenced by `token` at true time `atNs`. */
  onAccept(owner: string, token: number, atNs: Nanos): void {
    this.stats.accepted++;
    const granted = this.grants.get(token);
    if (granted === undefined) return this.report('mutual-exclusion', `the resource accepted ${owner}'s write with token ${token}, which the store never granted`);
    if (granted !== owner) return this.report('mutual-exclusion', `the resource accepted ${owner}'s write with token ${token}, which was granted to ${granted}`);
    if (token < this.newestToken)
      return this.report('fencing', `the resource accepted ${owner}'s write with token ${token} after accepting ${this.newestOwner}'s with the newer token ${this.newestToken} (at ${(this.newestAtNs / 1e6).toFixed(3)} ms): a stale lock holder wrote`);
    if (token > this.newestToken) {
      this.stats.holders++;
      this.newestToken = token;
      this.newestOwner = owner;
    }
    this.newestAtNs = atNs;
  }
}
