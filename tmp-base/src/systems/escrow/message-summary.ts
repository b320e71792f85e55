/**
 * How the escrow hosts' messages read in the trace (see sim/network/message-summary.ts): the
 * tokens a transfer moves and its sequence number, what a borrow asks and a refusal offers.
 *
 *   transfer #4 12 token(s)
 *   borrow-refused req 7: 3 available
 */
import type { MessageSummaries } from '../../sim/network/message-summary.ts';
import type { ClientRequest } from './host.ts';
import type { EscrowMsg } from './types.ts';

type Of<T> = Extract<EscrowMsg, { type: T }>;

/** The escrow hosts' message summaries, by type. */
export const ESCROW_MESSAGE_SUMMARIES: MessageSummaries = {
  transfer: (m: Of<'transfer'>) => `#${m.seq} ${m.amount} token(s)`,
  'transfer-ack': (m: Of<'transfer-ack'>) => `#${m.seq}`,
  'borrow-request': (m: Of<'borrow-request'>) => `req ${m.requestId}: ${m.amount} token(s)`,
  'borrow-refused': (m: Of<'borrow-refused'>) => `req ${m.requestId}: ${m.availableTokens} available`,
  'status-report': (m: Of<'status-report'>) => `${m.tokens} token(s), wants ${m.wantedTokens}, ${m.refusalStreak} refusal(s) in a row`,
  'rebalance-order': (m: Of<'rebalance-order'>) => `give ${m.amount} to ${m.giveTo}`,
  'sold-update': (m: Of<'sold-update'>) => `v${m.version} sold ${m.sold}`,
  hold: (m: Extract<ClientRequest, { type: 'hold' }>) => (typeof m.reservationId === 'string' ? `${m.reservationId} ${m.count} seat(s)` : undefined),
};
