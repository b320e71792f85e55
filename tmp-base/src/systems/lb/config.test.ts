import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { ConfigStore, type LbSettings } from './config.ts';
import { StatusBoard, eligible } from './status-board.ts';
import { LbConfigError } from './errors.ts';

const settings = (ids: string[], algorithm: LbSettings['algorithm'] = 'round-robin'): LbSettings => ({
  backends: ids.map((id) => ({ id, weight: 1 })),
  algorithm,
  maglevTableSize: 101,
});

describe('ConfigStore (race 3: config update during a request)', () => {
  it('a request keeps the config it started with across publishes', () => {
    const store = new ConfigStore(settings(['a', 'b']));
    const req = store.acquire();
    const v2 = store.publish((c) => ({ ...c, backends: [...c.backends, { id: 'c', weight: 2 }], algorithm: 'least-request' }));
    expect(v2.version).toBe(2);
    expect(req.version).toBe(1);
    expect(req.backends.map((b) => b.id)).toEqual(['a', 'b']);
    expect(req.algorithm).toBe('round-robin');
    expect(store.current()).toBe(v2);
    expect(store.get(1)).toBe(req);
    store.release(req);
    expect(store.retainedVersions()).toEqual([2]);
    expect(() => store.get(1)).toThrow(LbConfigError);
  });

  it('configs are deeply frozen and validated', () => {
    const store = new ConfigStore(settings(['a']));
    const c = store.current();
    expect(Object.isFrozen(c) && Object.isFrozen(c.backends) && Object.isFrozen(c.backends[0])).toBe(true);
    expect(() => store.publish(settings(['a', 'a']))).toThrow(LbConfigError);
    expect(() => store.publish({ ...settings(['a']), backends: [{ id: 'a', weight: 0 }] })).toThrow(LbConfigError);
    expect(store.current()).toBe(c); // a rejected publish changes nothing
  });

  it('builds one Maglev table per version, from that version\'s backends', () => {
    const store = new ConfigStore(settings(['a', 'b']));
    const v1 = store.acquire();
    const t1 = store.maglevTable(v1);
    expect(store.maglevTable(v1)).toBe(t1);
    const v2 = store.publish(settings(['a', 'b', 'c']));
    expect(store.maglevTable(v2).backends).toEqual(['a', 'b', 'c']);
    expect(store.maglevTable(v1)).toBe(t1);
    expect(t1.tableSize).toBe(101);
  });

  it('retains exactly the current version and the pinned ones (property)', () => {
    const op = fc.oneof(fc.constant('acquire' as const), fc.constant('publish' as const), fc.nat().map((k) => ({ release: k })));
    fc.assert(
      fc.property(fc.array(op, { maxLength: 50 }), (ops) => {
        const store = new ConfigStore(settings(['a']));
        const held: ReturnType<ConfigStore['acquire']>[] = [];
        for (const o of ops) {
          if (o === 'acquire') held.push(store.acquire());
          else if (o === 'publish') store.publish((c) => ({ ...c }));
          else if (held.length > 0) store.release(held.splice(o.release % held.length, 1)[0]!);
          const want = new Set([store.current().version, ...held.map((h) => h.version)]);
          expect(store.retainedVersions()).toEqual([...want].sort((a, b) => a - b));
          for (const h of held) expect(store.get(h.version)).toBe(h);
        }
      }),
    );
  });
});

describe('StatusBoard (copy-on-write snapshots)', () => {
  it('an update makes a new snapshot and leaves the old one as it was', () => {
    const board = new StatusBoard([{ id: 'a' }, { id: 'b', weight: 3 }]);
    const s1 = board.current();
    const s2 = board.update('a', { healthy: false });
    expect(s1.backends[0]?.healthy).toBe(true);
    expect(s2.backends[0]?.healthy).toBe(false);
    expect(s2.version).toBe(s1.version + 1);
    expect(s2.backends[1]).toBe(s1.backends[1]); // unchanged entries are shared
    expect(Object.isFrozen(s2) && Object.isFrozen(s2.backends)).toBe(true);
    expect(eligible(s2).map((b) => b.id)).toEqual(['b']);
    board.update('b', { draining: true });
    expect(eligible(board.current())).toEqual([]);
    expect(() => board.update('zzz', { healthy: true })).toThrow();
  });

  it('setBackends keeps known backends\' status and adds new ones healthy', () => {
    const board = new StatusBoard([{ id: 'a' }, { id: 'b' }]);
    board.update('b', { healthy: false });
    const s = board.setBackends([{ id: 'b' }, { id: 'c' }]);
    expect(s.backends.map((b) => [b.id, b.healthy])).toEqual([
      ['b', false],
      ['c', true],
    ]);
  });
});
