import { describe, it, expect } from 'vitest';
import { Device, FailureDomains, type DeviceResult } from './device.ts';
import { Simulation } from './kernel.ts';

const newDevice = (parallelism = 1, domain = 'rack1', name = 'dev'): { sim: Simulation; d: Device } => {
  const sim = new Simulation({ seed: 1 });
  return { sim, d: new Device(sim, { name, domain, parallelism }) };
};

describe('Device', () => {
  it('serves `parallelism` operations at once, the rest FIFO; run() takes effect at completion', () => {
    const { sim, d } = newDevice(2);
    const effects: string[] = [];
    const done: [string, number, DeviceResult<string>][] = [];
    for (const name of ['a', 'b', 'c', 'd', 'e']) {
      d.submit(10, () => {
        effects.push(`${name}@${sim.now}`);
        return name.toUpperCase();
      }, (r) => done.push([name, sim.now, r]));
    }
    expect(effects).toEqual([]); // nothing happens at submit time
    sim.run();
    expect(done).toEqual([
      ['a', 10, { ok: true, value: 'A' }],
      ['b', 10, { ok: true, value: 'B' }],
      ['c', 20, { ok: true, value: 'C' }],
      ['d', 20, { ok: true, value: 'D' }],
      ['e', 30, { ok: true, value: 'E' }],
    ]);
    expect(effects).toEqual(['a@10', 'b@10', 'c@20', 'd@20', 'e@30']);
    expect(d.stats.completed).toBe(5);
  });

  it('a crash fails work in flight and queued with "crashed" (no effect); a crashed device answers "unavailable"', () => {
    const { sim, d } = newDevice(1);
    const results: [number, DeviceResult<number>][] = [];
    let effects = 0;
    for (let i = 0; i < 3; i++) d.submit(100, () => ++effects, (r) => results.push([sim.now, r]));
    sim.schedule(150, () => d.crash()); // op 0 done at 100; op 1 in flight; op 2 queued
    sim.schedule(160, () => d.submit(5, () => ++effects, (r) => results.push([sim.now, r])));
    sim.run();
    expect(results).toEqual([
      [100, { ok: true, value: 1 }],
      [150, { ok: false, error: 'crashed' }],
      [150, { ok: false, error: 'crashed' }],
      [160, { ok: false, error: 'unavailable' }],
    ]);
    expect(effects).toBe(1);
    expect(d.state).toBe('crashed');
    expect(d.stats).toMatchObject({ completed: 1, failed: 3, crashes: 1 });
    d.restart();
    expect(d.state).toBe('up');
    d.submit(5, () => 7, (r) => results.push([sim.now, r]));
    sim.run();
    expect(results.at(-1)).toEqual([165, { ok: true, value: 7 }]);
  });

  it('a wedged device accepts work and never finishes it; restart fails it and serves again', () => {
    const { sim, d } = newDevice(1);
    const results: [number, DeviceResult<number>][] = [];
    let effects = 0;
    d.submit(100, () => ++effects, (r) => results.push([sim.now, r]));
    sim.schedule(50, () => d.wedge());
    sim.schedule(60, () => d.submit(10, () => ++effects, (r) => results.push([sim.now, r])));
    sim.schedule(10_000, () => {});
    sim.run();
    expect(sim.now).toBe(10_000);
    expect(results).toEqual([]);
    expect(effects).toBe(0);
    expect(d.state).toBe('wedged');
    d.restart();
    sim.run();
    expect(results).toEqual([
      [10_000, { ok: false, error: 'crashed' }],
      [10_000, { ok: false, error: 'crashed' }],
    ]);
    d.submit(10, () => ++effects, (r) => results.push([sim.now, r]));
    sim.run();
    expect(results.at(-1)).toEqual([10_010, { ok: true, value: 1 }]);
  });

  it('slowFactor scales drawn service times', () => {
    const { d } = newDevice();
    const model = { kind: 'uniform' as const, minNs: 100, maxNs: 200 };
    for (let i = 0; i < 100; i++) {
      const t = d.serviceTime(model);
      expect(t >= 100 && t <= 200).toBe(true);
    }
    d.slowFactor = 10;
    for (let i = 0; i < 100; i++) {
      const t = d.serviceTime(model);
      expect(t >= 1000 && t <= 2000).toBe(true);
    }
  });

  it('subclass hooks run on crash and restart', () => {
    const sim = new Simulation({ seed: 1 });
    class Cache extends Device {
      entries = new Map<string, number>();
      restarts = 0;
      protected override onCrash(): void {
        this.entries.clear();
      }
      protected override onRestart(): void {
        this.restarts++;
      }
    }
    const c = new Cache(sim, { name: 'cache', domain: 'd', parallelism: 1 });
    c.entries.set('k', 1);
    c.crash();
    expect(c.entries.size).toBe(0);
    c.restart();
    expect(c.restarts).toBe(1);
    c.restart(); // already up: no-op
    expect(c.restarts).toBe(1);
  });

  it('rejects parallelism below 1', () => {
    expect(() => newDevice(0)).toThrow(/parallelism/);
  });
});

describe('FailureDomains', () => {
  it('failing a domain crashes every device in it and no other; recover restarts them', () => {
    const sim = new Simulation({ seed: 1 });
    const fd = new FailureDomains();
    const mk = (name: string, domain: string): Device => {
      const d = new Device(sim, { name, domain, parallelism: 1 });
      fd.register(d);
      return d;
    };
    const a = mk('cxl-a', 'pool');
    const b = mk('cxl-b', 'pool');
    const c = mk('nic', 'host1');
    expect(fd.domains()).toEqual(['host1', 'pool']);
    expect(fd.fail('pool')).toBe(2);
    expect([a.state, b.state, c.state]).toEqual(['crashed', 'crashed', 'up']);
    expect(fd.fail('nowhere')).toBe(0);
    fd.recover('pool');
    expect([a.state, b.state, c.state]).toEqual(['up', 'up', 'up']);
  });
});
