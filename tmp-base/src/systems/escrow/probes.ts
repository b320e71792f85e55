/** The escrow service's rare conditions (sim/probes.ts): a sweep that never hits one did not test it. */
import { defineProbes } from '../../sim/probes.ts';

export const ESCROW_PROBES = defineProbes('escrow', {
  'borrow-timed-out': 'a borrow request got no answer within the borrow timeout (lender down or cut off) and is re-sent, maybe elsewhere',
  'borrow-refused': 'a lender had nothing to spare and refused a borrow: the borrower backs off',
  'borrow-cascades-up': 'a region that cannot lend asks its own parent: demand travels up the escrow tree',
  'duplicate-transfer': 'a transfer already credited arrives again (retransmit or duplicate): acked, never credited twice',
  'transfer-retransmitted': 'an unacknowledged transfer is re-sent from the durable outbox',
  'hold-waits-for-tokens': 'a hold did not fit the local tokens and waits (pending) for a borrow',
  'pending-hold-granted': 'a pending hold was granted once tokens arrived',
  'hold-expired-reaped': 'a hold expired and the reaper returned its tokens',
  'consume-short': 'a direct consume found too few tokens and was refused',
  'rebalance-transfer': 'a coordinator ordered a child with a surplus to give tokens to a needy one',
  'restart-with-outbox': 'a replica restarted with unacknowledged transfers in its durable outbox: it must retransmit them',
  'fsync-failed-retried': 'an fsync failed; the host retries with the newest state and holds back every output meanwhile',
});
