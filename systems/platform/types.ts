/**
 * The platform's vocabulary: its bug zoo, the configuration it keeps in the config store, and the
 * messages between shoppers, regional balancers and application servers. Plain data only.
 */

/**
 * Cross-system bug zoo: each variant lives at a seam between two systems, so no single-system
 * scenario can find it.
 *  - geodns-ignores-health: GeoDNS answers the nearest region whatever its monitors say (DNS x LB);
 *  - unfenced-operator: the operator holds the store's lock but writes without its fencing token,
 *    so a paused operator whose lease expired still changes the config (operator x Raft lease);
 *  - order-before-escrow-confirm: the application server records the order and answers the shopper
 *    without waiting for the escrow confirm (app x escrow);
 *  - lb-stale-config-read: the balancer reads the backend set with a serializable (local, possibly
 *    stale) read and treats it as fresh (LB x Raft);
 *  - checkout-retry-not-idempotent: a retried checkout gets a fresh reservation id and order entry
 *    (app x escrow x CRDT);
 *  - cart-read-ignores-token: checkout reads the cart without the shopper's causal token, so a
 *    replica that has not seen its last remove sells the removed item (app x CRDT);
 *  - deploy-before-flag: the rolling deploy restarts the server into the version the operator has
 *    in mind (the orchestrator's), and writes the version flag only when it readmits the server:
 *    the server runs a version the config store has not set, and never will if the operator loses
 *    its lock before the readmit (operator x orchestrator x Raft);
 *  - reallocation-unfenced: the operator orders an escrow re-allocation even when its fenced write
 *    of the allocation policy was refused (its lock was lost): a stale operator moves tokens the
 *    store never agreed to move (operator x Raft lease x escrow).
 */
export const PLATFORM_BUGS = ['none', 'geodns-ignores-health', 'unfenced-operator', 'order-before-escrow-confirm', 'lb-stale-config-read', 'checkout-retry-not-idempotent', 'cart-read-ignores-token', 'deploy-before-flag', 'reallocation-unfenced', 'escrow-refuses-all', 'checkout-always-sold-out', 'geodns-answers-nothing', 'lb-rewatch-on-duplicate'] as const;
export type PlatformBug = (typeof PLATFORM_BUGS)[number];

export const REGION_NAMES = ['us', 'eu', 'ap', 'sa'] as const;

/** Config store keys. */
export const KEYS = {
  backends: 'platform/backends',
  regions: 'platform/regions',
  lock: 'platform/oplock',
  /** Feature flags live under this prefix; `platform/flags/version/<server>`: the version a server runs. */
  flags: 'platform/flags/',
  /** The escrow allocation policy: the last re-allocation ordered ({@link AllocationPolicy}). */
  allocation: 'platform/escrow/allocation',
} as const;

/**
 * The value of `platform/escrow/allocation` (JSON): re-allocation number `seq` moves up to
 * `amount` tokens from region `from`'s escrow replica to region `to`'s (through escrow's own
 * rebalance order and transfer protocol: the giver keeps its lending floor and pending holds).
 */
export interface AllocationPolicy {
  token: number;
  seq: number;
  from: string;
  to: string;
  amount: number;
}

/** The config-store key of a server's version flag. */
export const versionFlagKey = (server: string): string => `${KEYS.flags}version/${server}`;

/** The value of a version flag (JSON). `token`: the fencing token of the operator that wrote it. */
export interface VersionFlag {
  token: number;
  version: number;
}

export type BackendState = 'active' | 'draining' | 'removed';

export interface BackendEntry {
  region: string;
  state: BackendState;
  /** Software version; a rolling deploy bumps it. */
  version: number;
}

/** The value of `platform/backends` (JSON). `token`: the fencing token of the operator that wrote it. */
export interface BackendsConfig {
  token: number;
  backends: Record<string, BackendEntry>;
}

/** The value of `platform/regions` (JSON): regions evacuated by the operator. */
export interface RegionsConfig {
  token: number;
  evacuated: string[];
}

/** A shopper's causal token for the carts (the CRDT's op vector, as entries). */
export type CartToken = [string, number][];

export type AppRequest =
  | { type: 'health' }
  /**
   * A cart change. `seq` is the shopper's serial of the change; the app server makes (user, seq)
   * the CRDT op's (client, req), so a request the network duplicated, or a retry of an op its
   * replica lost in a crash, is applied at most once and never after a later change of the same
   * cart (the replica answers a request older than the last it applied as a retry).
   */
  | { type: 'cart'; user: string; op: 'add' | 'remove'; item: string; token: CartToken; seq: number }
  | { type: 'checkout'; user: string; orderId: string; token: CartToken };

export type AppReply =
  | { type: 'health'; ok: boolean; version?: number }
  | { type: 'cart-ok'; token: CartToken }
  | { type: 'confirmed'; orderId: string; items: string[]; token: CartToken }
  | { type: 'refused'; reason: 'empty' | 'sold-out' | 'unavailable' | 'no-config' | 'config-stale' | 'no-backend' | 'timeout' };

export const ORDERS_KEY = 'set:orders';
export const cartKey = (user: string): string => `set:cart:${user}`;

/**
 * An order's entry in the replicated order view: `o:<orderId>@<reservationId>`. A retried
 * checkout adds the same entry again (a no-op in an OR-Set view once merged).
 */
export function orderEntry(orderId: string, reservationId: string): string {
  return `o:${orderId}@${reservationId}`;
}

export function parseOrderEntry(e: string): { orderId: string; reservationId: string } | null {
  const m = /^o:([^@]+)@(.+)$/.exec(e);
  if (!m) return null;
  return { orderId: m[1]!, reservationId: m[2]! };
}
