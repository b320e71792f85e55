import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { ConnTrack, flowId } from './conntrack.ts';
import { buildMaglevTable } from './maglev.ts';
import { xxHash64 } from './xxhash64.ts';

describe('ConnTrack', () => {
  it('names a flow by its 5-tuple', () => {
    expect(flowId({ srcIp: '1.2.3.4', srcPort: 5000, dstIp: '9.9.9.9', dstPort: 80, protocol: 'tcp' })).toBe('tcp:1.2.3.4:5000->9.9.9.9:80');
  });

  it('keeps established flows on their backend across Maglev table changes (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 12 }), fc.integer({ min: 1, max: 5 }), fc.nat(), (n, added, seed) => {
        const keys = Array.from({ length: n + added }, (_, i) => `b${i}`);
        const before = buildMaglevTable(keys.slice(0, n).map((key) => ({ key })), { tableSize: 251 });
        const after = buildMaglevTable(keys.map((key) => ({ key })), { tableSize: 251 });
        const ct = new ConnTrack();
        const flows = Array.from({ length: 200 }, (_, i) => `f${seed}-${i}`);
        const first = flows.map((f) => ct.route(f, 0, () => before.lookup(xxHash64(f))).backend);
        let movedByHash = 0;
        flows.forEach((f, i) => {
          const r = ct.route(f, 1, () => after.lookup(xxHash64(f)));
          expect(r.source).toBe('tracked');
          expect(r.backend).toBe(first[i]);
          if (after.lookup(xxHash64(f)) !== first[i]) movedByHash++;
        });
        // Without tracking some flows would have moved; the table really changed under them.
        expect(movedByHash).toBeGreaterThan(0);
      }),
      { numRuns: 30 },
    );
  });

  it('re-routes a flow whose backend is no longer usable, and forgets flows on close', () => {
    const ct = new ConnTrack();
    expect(ct.route('f', 0, () => 'a').source).toBe('new');
    expect(ct.route('f', 1, () => 'b').backend).toBe('a');
    const r = ct.route('f', 2, () => 'b', (b) => b !== 'a');
    expect(r).toEqual({ backend: 'b', source: 'new' });
    expect(ct.flowsOf('a')).toEqual([]);
    expect(ct.close('f')).toBe(true);
    expect(ct.close('f')).toBe(false);
    expect(ct.size).toBe(0);
    expect(ct.route('g', 3, () => undefined)).toEqual({ backend: undefined, source: 'none' });
  });

  it('removes every entry of a removed or force-drained backend', () => {
    const ct = new ConnTrack();
    ['f1', 'f2', 'f3'].forEach((f, i) => ct.insert(f, i === 1 ? 'b' : 'a', 0));
    expect(ct.removeBackend('a')).toEqual(['f1', 'f3']);
    expect(ct.lookup('f1')).toBeUndefined();
    expect(ct.lookup('f2')).toBe('b');
    expect(ct.size).toBe(1);
  });

  it('stops tracking new flows when full, and expires idle ones', () => {
    const ct = new ConnTrack({ capacity: 2, idleTimeoutNs: 100 });
    ct.route('f1', 0, () => 'a');
    ct.route('f2', 50, () => 'a');
    expect(ct.route('f3', 60, () => 'b')).toEqual({ backend: 'b', source: 'untracked-full' });
    expect(ct.lookup('f3')).toBeUndefined();
    ct.route('f2', 90, () => 'x'); // refreshes f2
    expect(ct.expireIdle(120)).toEqual(['f1']);
    expect(ct.expireIdle(189)).toEqual([]);
    expect(ct.expireIdle(190)).toEqual(['f2']);
  });

  it('index by backend always agrees with the flow map (random operation sequences)', () => {
    const op = fc.oneof(
      fc.record({ t: fc.constant('insert' as const), f: fc.integer({ min: 0, max: 9 }), b: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ t: fc.constant('close' as const), f: fc.integer({ min: 0, max: 9 }) }),
      fc.record({ t: fc.constant('remove' as const), b: fc.integer({ min: 0, max: 3 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const ct = new ConnTrack();
        const model = new Map<string, string>();
        for (const o of ops) {
          if (o.t === 'insert') {
            ct.insert(`f${o.f}`, `b${o.b}`, 0);
            model.set(`f${o.f}`, `b${o.b}`);
          } else if (o.t === 'close') {
            expect(ct.close(`f${o.f}`)).toBe(model.delete(`f${o.f}`));
          } else {
            const removed = ct.removeBackend(`b${o.b}`);
            for (const f of removed) expect(model.get(f)).toBe(`b${o.b}`);
            for (const f of removed) model.delete(f);
          }
        }
        expect(ct.size).toBe(model.size);
        for (const [f, b] of model) expect(ct.lookup(f)).toBe(b);
        for (let b = 0; b < 4; b++) expect(ct.flowsOf(`b${b}`).length).toBe([...model.values()].filter((x) => x === `b${b}`).length);
      }),
    );
  });
});
