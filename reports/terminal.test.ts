import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { executeRun } from '../cli/execute.ts';
import { defineScenario, type Scenario } from '../sim/scenario.ts';
import { ms } from '../sim/time.ts';
import { formatResult } from './terminal.ts';

const plain = new Chalk({ level: 0 });

/** A scenario with a safety check that always holds, and optionally a liveness property that does. */
const quiet = (liveness: boolean): Scenario =>
  defineScenario({
    name: liveness ? 'quiet-live' : 'quiet',
    description: 'does nothing',
    params: {},
    durationNs: ms(20),
    setup(w) {
      w.safety('nothing-bad', () => null);
      if (liveness) w.liveness('something-good', () => true);
    },
  }) as unknown as Scenario;

describe('the PASS line says whether liveness was checked', () => {
  it('a scenario without a liveness property passes, and its PASS line says liveness is unchecked', () => {
    const r = executeRun(quiet(false), { seed: 1 });
    expect(r.ok).toBe(true);
    const pass = formatResult(plain, r, 'replay').find((l) => l.startsWith('PASS'));
    expect(pass).toContain('liveness unchecked');
  });

  it('with one, it says when liveness held', () => {
    const r = executeRun(quiet(true), { seed: 1 });
    const pass = formatResult(plain, r, 'replay').find((l) => l.startsWith('PASS'));
    expect(pass).toContain('liveness held');
    expect(pass).not.toContain('unchecked');
  });
});
