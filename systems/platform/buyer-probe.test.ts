/**
 * a-customer-can-buy-in-every-region counts a region as served when no seat is left that its
 * buyers can get. Each escrow replica keeps a lending floor for its own buyers, so a sale can end
 * with its last seat at another region's floor for good: "no token free anywhere" then never
 * comes, and the probe held out for that seat until the deadline, failing a correct platform.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../sim/runner.ts';
import scn from '../../scenarios/platform-global-sale.ts';

describe('the platform buyer probe', () => {
  // Seeds 33 and 70 end with one seat at a replica's floor, none the probe's region can borrow.
  for (const seed of [33, 70]) {
    it(`does not wait for a seat another region keeps at its floor (seed ${seed}, a correct platform)`, () => {
      const r = runScenario(scn, { seed });
      expect(r.violations.map((v) => `${v.invariant}: ${v.message}`)).toEqual([]);
      expect(r.ok).toBe(true);
    });
  }
});
