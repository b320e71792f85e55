import { describe, expect, it } from 'vitest';
import { runScenario } from './runner.ts';
import { sinkWithoutMessages, type TraceRecord } from './trace.ts';
import broadcast from '../scenarios/broadcast.ts';

describe('trace sinks', () => {
  it("build a record's message only for a sink that reads it; the trace hash is the same either way", () => {
    const withMsg: TraceRecord[] = [];
    const without: TraceRecord[] = [];
    const a = runScenario(broadcast, { seed: 1, pins: { durationS: 2 }, swarm: false, traceSink: (r) => withMsg.push(r) });
    const b = runScenario(broadcast, { seed: 1, pins: { durationS: 2 }, swarm: false, traceSink: sinkWithoutMessages((r) => without.push(r)) });
    const c = runScenario(broadcast, { seed: 1, pins: { durationS: 2 }, swarm: false });
    expect(withMsg.filter((r) => r.msg !== undefined).length).toBeGreaterThan(100);
    expect(without.filter((r) => r.msg !== undefined)).toEqual([]);
    expect(without.length).toBe(withMsg.length);
    expect(without.map((r) => r.detail)).toEqual(withMsg.map((r) => r.detail));
    expect(b.traceHash).toBe(a.traceHash);
    expect(c.traceHash).toBe(a.traceHash);
  });
});
