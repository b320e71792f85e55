/**
 * The escrow's reply checks (systems/escrow/reply-checks.ts, reply-durable) judge what the escrow
 * tells whoever calls it, so they must see the platform's sales too: its application servers are
 * the escrow's clients there, not the escrow scenarios' buyers. Installed only in addBuyers, an
 * escrow that parked every hold inside the platform passed every platform check.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../sim/runner.ts';
import { defineScenario } from '../../sim/scenario.ts';
import { ms, sec } from '../../sim/time.ts';
import { addPlatform, platformParams } from './kit.ts';

const withEscrowBug = defineScenario({
  name: 'platform-escrow-holds-wait-for-tick',
  description: 'the platform with the escrow bug-zoo variant holds-wait-for-tick inside it',
  params: platformParams(),
  durationNs: (p) => sec(p.durationS),
  livenessBoundNs: sec(30),
  checkIntervalNs: ms(50),
  setup(w, p) {
    addPlatform(w, p, { escrowBugs: { holdsWaitForTick: true } });
  },
});

describe('the escrow reply checks inside the platform', () => {
  it('catch an escrow that parks holds it could sell at once (hold-served-locally, through the application servers)', () => {
    const r = runScenario(withEscrowBug, { seed: 1 });
    expect(r.violations.map((v) => v.invariant)).toContain('esc-hold-served-locally');
    expect(r.violations.find((v) => v.invariant === 'esc-hold-served-locally')?.message).toMatch(/^hold \S+ of \d+ seat\(s\) at esc-r\d was answered pending, but esc-r\d had \d+ spare token/);
  });
});
