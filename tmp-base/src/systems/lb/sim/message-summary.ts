/**
 * How the load balancer's messages read in the trace (see sim/network/message-summary.ts): a
 * request's id and flow, a response's status and backend, a health view's verdicts, a config's
 * version and drains.
 *
 *   req c1-5 flow c1/2 work 3
 *   resp c1-5 200 from b2
 *   view DOWN b2; 2 up
 */
import type { MessageSummaries } from '../../../sim/network/message-summary.ts';
import { names } from '../../../sim/network/message-summary.ts';
import type { LbMessage } from './messages.ts';

type Of<T> = Extract<LbMessage, { type: T }>;

/** The load balancer's message summaries, by type. */
export const LB_MESSAGE_SUMMARIES: MessageSummaries = {
  req: (m: Of<'req'>) => (typeof m.reqId === 'string' ? `${m.reqId} flow ${m.flow} work ${m.work}` : undefined),
  resp: (m: Of<'resp'>) => (typeof m.reqId === 'string' ? `${m.reqId} ${m.status}${m.backend !== null ? ` from ${m.backend}` : ''}${m.closeConn ? ' close' : ''}${m.ok ? '' : ` (${m.reason})`}` : undefined),
  fin: (m: Of<'fin'>) => `flow ${m.flow}`,
  breq: (m: Of<'breq'>) => `${m.reqId} on ${m.conn} work ${m.work}`,
  bresp: (m: Of<'bresp'>) => `${m.status}`,
  close: (m: Of<'close'>) => `${m.conn}`,
  'probe-reply': (m: Of<'probe-reply'>) => `${m.status}`,
  view: (m: Of<'view'>) => {
    const down = m.statuses.filter(([, ok]) => !ok).map(([b]) => b);
    return down.length === 0 ? `all ${m.statuses.length} up` : `DOWN ${names(down)}; ${m.statuses.length - down.length} up`;
  },
  config: (m: Of<'config'>) => (Array.isArray(m.backends) ? `v${m.version} ${m.algorithm} ${m.backends.length} backend(s)${m.draining.length > 0 ? ` draining ${names(m.draining)}` : ''}` : undefined),
  'config-ack': (m: Of<'config-ack'>) => `v${m.version}${m.drained.length > 0 ? ` drained ${names(m.drained)}` : ''}`,
};
