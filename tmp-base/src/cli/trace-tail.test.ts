import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { flushTraceTail, lastTraced, readRecentLines, RecentLines, recentLinesBuffer, traceBuffer, TraceFileWriter } from './trace-tail.ts';

const rec = (i: number, detail = `d${i}`) => ({ atNs: i * 10, eventIndex: i, node: 'n1', kind: 'k', detail });

describe('TraceFileWriter', () => {
  it('the main thread completes the file from shared memory after the writer stops mid-run, and a second flush changes nothing', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'detsim-tail-'));
    try {
      const file = path.join(dir, 't.jsonl');
      const shared = traceBuffer();
      const w = new TraceFileWriter(file, shared);
      // Enough records to force several writes, then stop without close().
      const n = 20_000;
      for (let i = 0; i < n; i++) w.sink(rec(i, 'x'.repeat(i % 50)));
      const before = readFileSync(file, 'utf8').split('\n').length - 1;
      expect(before).toBeLessThan(n); // some records were only in the buffer
      flushTraceTail(file, shared);
      const once = readFileSync(file, 'utf8');
      flushTraceTail(file, shared); // idempotent: same bytes at the same offset
      expect(readFileSync(file, 'utf8')).toBe(once);
      const lines = once.trim().split('\n');
      expect(lines).toHaveLength(n);
      expect(JSON.parse(lines.at(-1)!)).toMatchObject({ i: n - 1, t: (n - 1) * 10 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('RecentLines', () => {
  it('keeps the last lines whole, cuts long ones, and knows the last record', () => {
    const shared = recentLinesBuffer();
    const r = new RecentLines(shared);
    for (let i = 0; i < 1000; i++) r.sink(rec(i, i === 999 ? 'y'.repeat(5000) : `d${i}`));
    const last = readRecentLines(shared, 3);
    expect(last).toHaveLength(3);
    expect(last[0]).toContain('d997');
    expect(last[2]!.length).toBeLessThan(200);
    expect(last[2]!.endsWith('…')).toBe(true);
    expect(readRecentLines(shared, 10_000).length).toBe(400);
    expect(lastTraced(shared)).toEqual({ lines: 1000, atNs: 9990, eventIndex: 999 });
    expect(readRecentLines(recentLinesBuffer(), 5)).toEqual([]);
  });
});
