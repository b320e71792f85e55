/**
 * Version flags in the config store: the rolling deploy sets `platform/flags/version/<server>`
 * (fenced) before it restarts the server, and the server boots into the version its flag holds
 * (a linearizable read). `version-flagged` checks each start against the flag history;
 * `servers-run-flagged-version` checks, after the heal, that every server runs its flag.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../sim/runner.ts';
import type { World } from '../../sim/scenario.ts';
import { ms } from '../../sim/time.ts';
import scn from '../../scenarios/platform-global-sale.ts';
import { PlatformChecks } from './invariants.ts';

function fakeWorld() {
  const violations: { name: string; msg: string }[] = [];
  const w = { now: 0, violation: (name: string, msg: string) => violations.push({ name, msg }) };
  return { w, violations, checks: new PlatformChecks(w as unknown as World<unknown>, { drainBoundNs: ms(1000), healthBoundNs: ms(1000), capacity: 10 }) };
}

const flagPut = (server: string, rev: number, version: number) => ({ type: 'put' as const, key: `platform/flags/version/${server}`, value: JSON.stringify({ token: 0, version }), rev });

describe('version-flagged (unit)', () => {
  it('accepts a start at the flag the server read, and refuses a version the store never set, or a stale read', () => {
    const { w, violations, checks } = fakeWorld();
    checks.deployedFlag('app-us-1', 3, 1);
    checks.onVersion('app-us-1', 1, 3, 0);
    expect(violations).toEqual([]);
    w.now = ms(500);
    checks.onApply('cfg1', () => null, { kind: 'noop' } as never, { op: 'put' } as never, [flagPut('app-us-1', 7, 2)] as never);
    w.now = ms(900);
    checks.onVersion('app-us-1', 2, 7, ms(800)); // read at revision 7 after the flag moved: fine
    expect(violations).toEqual([]);
    checks.onVersion('app-us-1', 3, 7, ms(800)); // a version the store never set
    expect(violations.map((v) => v.name)).toEqual(['version-flagged']);
    checks.onVersion('app-us-1', 1, 5, ms(800)); // the flag at revision 5 was 1, but revision 7 (applied at 500 ms) was before the read
    expect(violations.map((v) => v.name)).toEqual(['version-flagged', 'version-flagged']);
    expect(violations[1]!.msg).toMatch(/stale flag/);
    checks.onVersion('app-us-1', 1, 5, ms(400)); // a read asked before revision 7 was applied anywhere may see 5
    expect(violations.length).toBe(2);
    checks.onVersion('app-us-1', 2, null, ms(900)); // not read from the store, but it is the flag as committed now
    expect(violations.length).toBe(2);
  });
});

describe('version flags in the platform', () => {
  it('every deploy moves a flag, the server boots into it, and after the heal every server runs its flag (seeds 1-8)', () => {
    let deploys = 0;
    let starts = 0;
    let flagged = 0;
    for (let seed = 1; seed <= 8; seed++) {
      const r = runScenario(scn, { seed });
      expect(r.violations).toEqual([]);
      expect(r.ok).toBe(true);
      const m = r.metrics.platform as { flagChanges: number; versionStarts: number; operator: { deploys: number; finished: number }; flagToServerMs: { n: number } | null };
      // (flag figures are as of the heal; the operator's counts run to the end of the run)
      if (m.flagToServerMs !== null) expect(m.flagChanges).toBeGreaterThanOrEqual(1);
      deploys += m.operator.deploys + m.operator.finished;
      flagged += m.flagToServerMs?.n ?? 0;
      starts += m.versionStarts;
    }
    expect(deploys).toBeGreaterThan(0);
    expect(flagged).toBeGreaterThan(0); // servers restarted into a flag the operator moved
    expect(starts).toBeGreaterThan(8 * 6); // every server's first incarnation, and the restarts
  });
});
