/**
 * leader-stable (Raft), a liveness-side stability property: once the faults stop and a leader is
 * followed by every server, a healthy cluster keeps that leader and stays quiet. No server may
 * campaign (send a PreVote or a Vote) while it hears a live leader's heartbeats.
 *
 * Why: election churn is invisible to every safety check (terms and logs stay consistent, PreVote
 * and the followers' lease refuse a disruptive candidate), and to the other liveness properties
 * (a leader exists at almost every instant). Yet a follower that campaigns on a heartbeat's normal
 * jitter, or a leader that steps down without cause, costs messages, fsyncs of a new term and
 * availability (no writes between leaders); a user would call it a defect.
 *
 * The property: after the heal, some leader L of term T must be followed by every server (all up)
 * and no server of the cluster may send a PreVote or a Vote, for STABLE_WINDOW_FACTOR election
 * timeouts in a row (electionTicksMax ticks each, stretched by the clock drift bound ρ). Any
 * campaign, leader change or server not following L starts the window again; the run's liveness
 * bound (30 s by default) gives it many chances, so only a cluster that keeps campaigning fails.
 *
 * Margin: a correct follower hears a heartbeat every heartbeatTicks (5) and campaigns only after
 * electionTicksMin (15) ticks of silence, so with every fault healed (no loss, partition, pause,
 * clog; BUGGIFY quiesced) and clock rates within ρ (5%) of true time, a heartbeat always arrives
 * with about two heartbeat periods to spare: a correct cluster never campaigns once stable. A
 * follower whose timer expires too early, or a leader that leaves without cause, campaigns or is
 * replaced within one election timeout; two give every follower's timer (drawn anywhere in
 * [min, max)) a full expiry inside the window.
 */
import type { NodeId } from '../../sim/node.ts';
import type { World } from '../../sim/scenario.ts';
import { isRaftMessage, type RaftHost } from '../../systems/raft/host.ts';
import { resolveConfig } from '../../systems/raft/config.ts';
import type { RaftConfig } from '../../systems/raft/config.ts';

/** How many (maximum, drift-stretched) election timeouts the leader must stay unchallenged. */
export const STABLE_WINDOW_FACTOR = 2;

/** The stability window, in ns, for a cluster's Raft timings. */
export function stableWindowNs(config: Partial<RaftConfig>): number {
  const c = resolveConfig(config);
  return Math.ceil(STABLE_WINDOW_FACTOR * c.electionTicksMax * c.tickNs * (1 + c.maxDriftRatio));
}

export interface LeaderStability {
  /** The liveness check: true once the leader has been unchallenged for the window. */
  check(): true | string;
  /** Campaign messages (PreVote/Vote requests) sent by the cluster's servers after the heal. */
  readonly stats: { campaignsAfterHeal: number };
}

/**
 * Watches the cluster's servers `ids` on the wire (a send tap: every PreVote or Vote request
 * leaving one of them, whatever code path sends it) and returns the liveness check. `hosts` gives
 * each server's RaftHost (undefined while it is down).
 */
export function leaderStability(w: World<unknown>, ids: readonly NodeId[], hosts: () => readonly (RaftHost | undefined)[], config: Partial<RaftConfig>): LeaderStability {
  const windowNs = stableWindowNs(config);
  const members = new Set(ids);
  const stats = { campaignsAfterHeal: 0 };
  let lastCampaign: { at: number; from: NodeId; type: string; term: number } | null = null;
  let since: { at: number; leader: NodeId; term: number } | null = null;
  w.net.sendTaps.push((from, _to, body) => {
    if (w.phase !== 'liveness' || !members.has(from.id) || !isRaftMessage(body)) return;
    if (body.type !== 'vote' && body.type !== 'preVote') return;
    // One campaign sends a request to every peer: count it once.
    if (lastCampaign?.at === w.now && lastCampaign.from === from.id && lastCampaign.type === body.type) return;
    stats.campaignsAfterHeal++;
    lastCampaign = { at: w.now, from: from.id, type: body.type, term: body.term };
  });
  const check = (): true | string => {
    let leader: RaftHost | undefined;
    const hs = hosts();
    for (const h of hs) if (h && h.raft.role === 'leader' && (!leader || h.raft.term > leader.raft.term)) leader = h;
    const unstable = (why: string): string => {
      since = null;
      return why;
    };
    if (!leader) return unstable('no leader');
    for (let i = 0; i < hs.length; i++) {
      const h = hs[i];
      if (!h) return unstable(`${ids[i]} is down`);
      if (h.raft.term !== leader.raft.term || h.raft.leader !== leader.id) return unstable(`${h.id} follows ${h.raft.leader ?? 'nobody'} in term ${h.raft.term}; leader ${leader.id} is in term ${leader.raft.term}`);
    }
    if (since === null || since.leader !== leader.id || since.term !== leader.raft.term || (lastCampaign !== null && lastCampaign.at >= since.at)) {
      const campaigned = since !== null && lastCampaign !== null && lastCampaign.at >= since.at ? lastCampaign : null;
      since = { at: w.now, leader: leader.id, term: leader.raft.term };
      if (campaigned !== null)
        return `${campaigned.from} campaigned (${campaigned.type} for term ${campaigned.term}) at ${(campaigned.at / 1e6).toFixed(1)} ms though leader ${leader.id} of term ${leader.raft.term} was followed by every server and the faults had stopped (${stats.campaignsAfterHeal} campaigns since the heal): elections in a healthy cluster`;
    }
    const stable = w.now - since.at;
    if (stable >= windowNs) return true;
    const last = lastCampaign === null ? '' : `; ${stats.campaignsAfterHeal} campaigns since the heal, the last by ${lastCampaign.from} (${lastCampaign.type} for term ${lastCampaign.term}) at ${(lastCampaign.at / 1e6).toFixed(1)} ms`;
    return `leader ${leader.id} of term ${leader.raft.term} unchallenged for ${(stable / 1e6).toFixed(1)} ms of the ${(windowNs / 1e6).toFixed(1)} ms required${last}`;
  };
  return { check, stats };
}
