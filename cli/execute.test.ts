import { describe, expect, it } from 'vitest';
import { executeRun } from './execute.ts';
import broadcast from '../scenarios/broadcast.ts';
import type { Scenario } from '../sim/scenario.ts';

describe('executeRun', () => {
  it('leaves the recorded script unbuilt until read (a passing run in a sweep never reads it), and builds it when read', () => {
    const r = executeRun(broadcast as unknown as Scenario, { seed: 1, pins: {}, swarm: true, buggify: true, checkDeterminism: false, linkStreams: true });
    expect(r.ok).toBe(true);
    expect(r.wallMs).toBeGreaterThanOrEqual(0);
    const d = Object.getOwnPropertyDescriptor(r, 'script');
    expect(typeof d?.get).toBe('function');
    expect(Array.isArray(r.script)).toBe(true);
    expect(r.script!.length).toBeGreaterThan(0);
  });
});
