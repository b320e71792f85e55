import { describe, it, expect } from 'vitest';
import * as lb from './index.ts';
import { SeededRng } from '../../sim/prng.ts';
import { ms } from '../../sim/time.ts';

describe('systems/lb public door', () => {
  it('exports the pieces the simulator wires together, and they compose', () => {
    const store = new lb.ConfigStore({ backends: ['a', 'b', 'c'].map((id) => ({ id, weight: 1 })), algorithm: 'maglev', maglevTableSize: 251 });
    const board = new lb.StatusBoard(store.current().backends);
    const ct = new lb.ConnTrack();
    const cfg = store.acquire();
    const table = store.maglevTable(cfg);
    const flow = lb.flowId({ srcIp: '1.1.1.1', srcPort: 1234, dstIp: '2.2.2.2', dstPort: 80, protocol: 'tcp' });
    const usable = (id: string) => lb.eligible(board.current()).some((b) => b.id === id);
    const first = ct.route(flow, 0, () => table.lookupKey(flow), usable);
    expect(first.source).toBe('new');
    // The backend goes down: the tracked flow is re-routed to a healthy one.
    board.update(first.backend as string, { healthy: false });
    const healthy = lb.eligible(board.current()).map((b) => b.id);
    const rr = new lb.RoundRobin();
    const second = ct.route(flow, ms(1), () => rr.pick(healthy.map((id) => ({ id, weight: 1 }))), usable);
    expect(second.source).toBe('new');
    expect(second.backend).not.toBe(first.backend);
    store.release(cfg);
    expect(new lb.LeastRequest(new SeededRng(0, 'x')).pick([{ id: 'z', weight: 1 }], new lb.BackendStats())).toBe('z');
    expect(lb.detectionTimeNs({ intervalNs: 5, unhealthyThreshold: 3, timeoutNs: 2 })).toBe(17);
  });
});
