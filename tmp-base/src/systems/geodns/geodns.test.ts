import { describe, expect, it } from 'vitest';
import { defineScenario } from '../../sim/scenario.ts';
import { runScenario } from '../../sim/runner.ts';
import { ms, sec } from '../../sim/time.ts';
import { addGeoDns, resolve } from './kit.ts';
import { byDistance, DnsCache, GeoDnsState } from './geodns.ts';

const REGIONS = ['us', 'eu', 'ap'];

describe('GeoDnsState', () => {
  it('answers the nearest healthy region, and takes a region out only after `fall` failed probes', () => {
    const s = new GeoDnsState({ regions: REGIONS, ttlNs: ms(500), fallThreshold: 2, riseThreshold: 2 });
    expect(s.answer(byDistance(REGIONS, 'us')).region).toBe('us');
    expect(s.probe('us', false)).toBe(false);
    expect(s.answer(byDistance(REGIONS, 'us')).region).toBe('us');
    expect(s.probe('us', false)).toBe(true);
    expect(s.answer(byDistance(REGIONS, 'us'))).toMatchObject({ region: 'eu', ttlNs: ms(500), eligible: ['eu', 'ap'] });
    // Back after `rise` good probes; one good probe is not enough.
    s.probe('us', true);
    expect(s.answer(byDistance(REGIONS, 'us')).region).toBe('eu');
    s.probe('us', true);
    expect(s.answer(byDistance(REGIONS, 'us')).region).toBe('us');
    expect(s.transitions).toEqual([{ region: 'us', healthy: false }, { region: 'us', healthy: true }]);
  });

  it('skips evacuated regions, and fails open to the nearest non-evacuated one when none is healthy', () => {
    const s = new GeoDnsState({ regions: REGIONS, ttlNs: 1, fallThreshold: 1, riseThreshold: 1 });
    s.setEvacuated(['ap']);
    expect(s.answer(byDistance(REGIONS, 'ap')).region).toBe('us');
    for (const r of REGIONS) s.probe(r, false);
    expect(s.answer(byDistance(REGIONS, 'ap'))).toMatchObject({ region: 'us', eligible: [] });
  });

  it('bug zoo: ignoring health keeps answering a dead region', () => {
    const s = new GeoDnsState({ regions: REGIONS, ttlNs: 1, fallThreshold: 1, riseThreshold: 1, bugIgnoreHealth: true });
    s.probe('eu', false);
    expect(s.answer(byDistance(REGIONS, 'eu')).region).toBe('eu');
  });
});

describe('DnsCache', () => {
  it('expires an answer at its TTL; a sticky client keeps it until requests through it fail', () => {
    const polite = new DnsCache(false);
    const sticky = new DnsCache(true, 2);
    const a = { region: 'us', ttlNs: 100, eligible: ['us'] };
    polite.store(a, 0);
    sticky.store(a, 0);
    expect(polite.lookup(99)).toBe('us');
    expect(polite.lookup(100)).toBeNull();
    expect(sticky.lookup(10_000)).toBe('us');
    sticky.failed();
    expect(sticky.lookup(10_000)).toBe('us');
    sticky.failed();
    expect(sticky.lookup(10_000)).toBeNull();
  });
});

describe('the GeoDNS kit alone', () => {
  // Three entry points answering health probes; the one in eu crashes at 1 s and stays down.
  const scn = defineScenario({
    name: 'geodns-kit-alone',
    description: 'GeoDNS fails a dead region over',
    params: {},
    durationNs: sec(3),
    setup(w) {
      for (const r of REGIONS) w.addNode(`entry-${r}`, (ctx) => ({ onMessage: (env) => ctx.reply(env, { ok: true }) }));
      const dns = addGeoDns(w, { id: 'dns', regions: REGIONS, ttlNs: ms(200), fallThreshold: 2, riseThreshold: 2, entryOf: (r) => `entry-${r}`, probeNs: ms(100), probeTimeoutNs: ms(50) });
      const answers: { atNs: number; region: string }[] = [];
      w.addClient('client-eu', (ctx) => (function* () {
        for (;;) {
          yield ctx.sleep(ms(50));
          const a = yield* resolve(ctx, dns, 'eu');
          if (a) answers.push({ atNs: w.now, region: a.region });
        }
      })());
      w.sim.schedule(sec(1), () => w.node('entry-eu').crash());
      w.safety('failover', () => {
        const late = answers.find((a) => a.region === 'eu' && a.atNs > sec(1) + ms(500));
        return late ? `answered eu at ${late.atNs} though it died at 1 s` : null;
      });
      w.metrics.answers = answers;
      w.metrics.history = dns.history;
    },
  });

  it('takes the dead region out within the detection bound and sends its clients to the next one', () => {
    const r = runScenario(scn, { seed: 1 });
    expect(r.ok).toBe(true);
    const answers = r.metrics.answers as { atNs: number; region: string }[];
    expect(answers.filter((a) => a.atNs < sec(1)).every((a) => a.region === 'eu')).toBe(true);
    expect(answers.filter((a) => a.atNs > sec(1) + ms(500)).every((a) => a.region === 'ap')).toBe(true);
    const out = (r.metrics.history as { region: string; healthy: boolean; atNs: number }[]).find((h) => !h.healthy)!;
    expect(out.region).toBe('eu');
    expect(out.atNs - sec(1)).toBeGreaterThan(ms(100));
    expect(out.atNs - sec(1)).toBeLessThan(ms(400));
  });
});
