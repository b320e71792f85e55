/**
 * How Raft messages read in the trace (see sim/network/message-summary.ts): the term, and for
 * each message what a person debugging an election or a replication bug looks at first.
 *
 *   vote t4 last 9/3           (candidate's last log index/term)
 *   voteResp t4 granted
 *   app t4 prev 9/3 entries 10..12 commit 9
 *   appResp t4 reject 12 hint 7/2
 */
import type { MessageSummaries } from '../../sim/network/message-summary.ts';
import { span } from '../../sim/network/message-summary.ts';
import type { Message } from './types.ts';

type Of<T extends Message['type']> = Extract<Message, { type: T }>;

/** A Raft message (every one has a numeric term): else undefined, so another system's message of the same type name reads by default. */
function raft<T extends Message['type']>(f: (m: Of<T>) => string): (m: unknown) => string | undefined {
  return (m) => (typeof (m as { term?: unknown }).term === 'number' ? f(m as Of<T>) : undefined);
}

const vote = raft<'vote' | 'preVote'>((m) => `t${m.term} last ${m.index}/${m.logTerm}`);
const voteResp = raft<'voteResp' | 'preVoteResp'>((m) => `t${m.term} ${m.reject ? 'rejected' : 'granted'}`);

/** Raft's message summaries, by type. */
export const RAFT_MESSAGE_SUMMARIES: MessageSummaries = {
  app: raft<'app'>((m) => `t${m.term} prev ${m.index}/${m.logTerm} ${m.entries.length === 0 ? 'no entries' : `entries ${span(m.entries.map((e) => e.index))}`} commit ${m.commit}`),
  appResp: raft<'appResp'>((m) => (m.reject ? `t${m.term} reject ${m.index} hint ${m.rejectHint}/${m.logTerm}` : `t${m.term} ok match ${m.index}`)),
  vote,
  preVote: vote,
  voteResp,
  preVoteResp: voteResp,
  heartbeat: raft<'heartbeat'>((m) => `t${m.term} commit ${m.commit} round ${m.round}${m.context !== null ? ` read ${m.context}` : ''}`),
  heartbeatResp: raft<'heartbeatResp'>((m) => `t${m.term} round ${m.round}${m.context !== null ? ` read ${m.context}` : ''}`),
  snap: raft<'snap'>((m) => `t${m.term} snapshot ${m.snapshot.index}/${m.snapshot.term}`),
  readIndex: raft<'readIndex'>((m) => `read ${m.context}`),
  readIndexResp: raft<'readIndexResp'>((m) => `t${m.term} index ${m.index} read ${m.context}`),
};
