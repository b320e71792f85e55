import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { DrainTracker } from './drain.ts';
import { ConnTrack } from './conntrack.ts';
import { sec } from '../../sim/time.ts';

describe('DrainTracker', () => {
  it('a draining backend takes no new connections; existing ones finish and the drain completes', () => {
    const d = new DrainTracker({ drainTimeoutNs: sec(30) });
    expect(d.open('b', 'c1')).toEqual({ ok: true });
    expect(d.open('b', 'c2')).toEqual({ ok: true });
    expect(d.startDrain('b', sec(1))).toEqual([]);
    expect(d.state('b')).toBe('draining');
    expect(d.canAccept('b')).toBe(false);
    expect(d.open('b', 'c3')).toEqual({ ok: false, reason: 'draining' });
    expect(d.close('c1', sec(2))).toEqual([]);
    expect(d.close('c2', sec(3))).toEqual([{ type: 'drain-complete', backend: 'b', forced: false, atNs: sec(3) }]);
    expect(d.open('b', 'c4')).toEqual({ ok: false, reason: 'drained' });
    expect(d.nextWakeNs()).toBe(Infinity);
  });

  it('force-closes what is left at the drain timeout, and the kernel drops those flows', () => {
    const d = new DrainTracker({ drainTimeoutNs: sec(10) });
    const ct = new ConnTrack();
    for (const c of ['c1', 'c2']) {
      d.open('b', c);
      ct.insert(c, 'b', 0);
    }
    d.startDrain('b', sec(5));
    expect(d.nextWakeNs()).toBe(sec(15));
    expect(d.tick(sec(15) - 1)).toEqual([]);
    const acts = d.tick(sec(20));
    expect(acts).toEqual([
      { type: 'force-close', backend: 'b', connIds: ['c1', 'c2'], atNs: sec(15) },
      { type: 'drain-complete', backend: 'b', forced: true, atNs: sec(15) },
    ]);
    expect(ct.removeBackend('b')).toEqual(['c1', 'c2']);
    expect(d.activeConnections('b')).toBe(0);
    expect(d.close('c1', sec(21))).toEqual([]); // late close of a force-closed connection
  });

  it('an idle backend drains at once; reactivate puts it back', () => {
    const d = new DrainTracker({ drainTimeoutNs: sec(10) });
    expect(d.startDrain('b', 7)).toEqual([{ type: 'drain-complete', backend: 'b', forced: false, atNs: 7 }]);
    d.reactivate('b');
    expect(d.open('b', 'c')).toEqual({ ok: true });
  });

  it('bug zoo: acceptWhileDraining lets new connections in, which are then cut at the deadline', () => {
    const d = new DrainTracker({ drainTimeoutNs: sec(10), acceptWhileDraining: true });
    d.open('b', 'old');
    d.startDrain('b', 0);
    expect(d.open('b', 'new')).toEqual({ ok: true });
    d.close('old', sec(1));
    expect(d.state('b')).toBe('draining');
    expect(d.tick(sec(10))[0]).toEqual({ type: 'force-close', backend: 'b', connIds: ['new'], atNs: sec(10) });
  });

  it('without the bug, no connection is ever accepted by a backend after its drain started (property)', () => {
    const op = fc.oneof(
      fc.record({ t: fc.constant('open' as const), b: fc.integer({ min: 0, max: 2 }) }),
      fc.record({ t: fc.constant('close' as const), c: fc.nat(30) }),
      fc.record({ t: fc.constant('drain' as const), b: fc.integer({ min: 0, max: 2 }) }),
      fc.record({ t: fc.constant('tick' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const d = new DrainTracker({ drainTimeoutNs: 5 });
        const drainStarted = new Set<string>();
        let now = 0;
        let next = 0;
        for (const o of ops) {
          now++;
          if (o.t === 'open') {
            const r = d.open(`b${o.b}`, `c${next++}`);
            if (drainStarted.has(`b${o.b}`)) expect(r.ok).toBe(false);
            else expect(r.ok).toBe(true);
          } else if (o.t === 'close') d.close(`c${o.c}`, now);
          else if (o.t === 'drain') {
            d.startDrain(`b${o.b}`, now);
            drainStarted.add(`b${o.b}`);
          } else {
            for (const a of d.tick(now)) if (a.type === 'drain-complete') expect(a.atNs).toBeLessThanOrEqual(now);
          }
          for (let b = 0; b < 3; b++) if (d.state(`b${b}`) === 'drained') expect(d.activeConnections(`b${b}`)).toBe(0);
        }
      }),
    );
  });
});
