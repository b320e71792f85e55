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

describe('a stopped run that traced nothing', () => {
  const stopped = (events: number, simTimeNs: number): Parameters<typeof formatResult>[1] => {
    const r = executeRun(quiet(false), { seed: 1 });
    return {
      ...r,
      ok: false,
      outcome: 'crash',
      traceHash: '',
      events,
      simTimeNs,
      wallMs: 30_000,
      violations: [{ invariant: 'hang', atNs: simTimeNs, eventIndex: Math.max(0, events - 1), message: 'the run took more than 30s' }],
    };
  };

  it('does not give 0ns and event #0 as where it stopped', () => {
    const lines = formatResult(plain, stopped(0, 0), 'replay');
    const joined = lines.join('\n');
    expect(joined).not.toContain('event #0');
    expect(joined).not.toMatch(/stopped at 0/);
    expect(joined).toContain('hang before the first traced event');
    expect(lines.find((l) => l.startsWith('FAIL'))).toContain('where it stopped is unknown');
  });

  it('one that traced some events still names the last one', () => {
    const joined = formatResult(plain, stopped(42, 5_000_000), 'replay').join('\n');
    expect(joined).toContain('hang at 5ms (event #41)');
    expect(joined).toContain('stopped at 5ms simulated');
  });
});
