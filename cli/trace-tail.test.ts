import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatRecord, type TraceRecord } from '../sim/trace.ts';
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

/** What a report showed before the ring kept raw fields: the formatted line, cut at 170 units with '…' (whole characters). */
function shown(r: TraceRecord): string {
  const line = formatRecord(r);
  if (line.length <= 170) return line;
  const cut = line.slice(0, 169);
  return (/[\ud800-\udbff]$/.test(cut) ? cut.slice(0, -1) : cut) + '…';
}

describe('RecentLines keeps raw fields and formats them when read', () => {
  // A small deterministic generator: lengths and characters that cross every boundary of a slot.
  let x = 12345;
  const next = (n: number): number => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x % n;
  };
  const alphabet = ['a', 'Z', ' ', '=', 'é', 'ß', '中', '→', '😀', '𝄞', '\u0301', '…', '"', '\\'];
  const text = (max: number): string => {
    let s = '';
    for (let k = next(max + 1); k > 0; k--) s += alphabet[next(alphabet.length)];
    return s;
  };
  const randomRecord = (i: number): TraceRecord => ({
    atNs: i * 1_000_003 + (i % 7 === 0 ? 2 ** 45 : 0),
    eventIndex: i % 11 === 0 ? 2 ** 33 + i : i,
    node: next(20) === 0 ? text(200) : `n${next(5)}${text(3)}`,
    kind: next(20) === 0 ? text(200) : ['recv', 'send', 'crash', 'liveness-check-long'][next(4)]!,
    detail: next(10) === 0 ? text(600) : text(60),
  });

  it('shows, after wrapping round many times, exactly the lines formatting each record would have shown', () => {
    const shared = recentLinesBuffer();
    const r = new RecentLines(shared);
    const all: TraceRecord[] = [];
    for (let i = 0; i < 2_345; i++) {
      const rec = randomRecord(i);
      all.push(rec);
      r.sink(rec);
    }
    expect(readRecentLines(shared, 10_000)).toEqual(all.slice(-400).map(shown));
    expect(readRecentLines(shared, 7)).toEqual(all.slice(-7).map(shown));
    const longest = all.slice(-400).map(shown);
    expect(longest.some((l) => l.endsWith('…'))).toBe(true); // the cut was exercised
    expect(longest.some((l) => !l.endsWith('…') && /[^\x00-\x7f]/.test(l))).toBe(true); // non-ASCII kept whole
    expect(lastTraced(shared)).toEqual({ lines: 2_345, atNs: all.at(-1)!.atNs, eventIndex: all.at(-1)!.eventIndex });
  });

  it('keeps a long node or kind, and cuts a line between characters, never inside a surrogate pair', () => {
    const shared = recentLinesBuffer();
    const r = new RecentLines(shared);
    const longNode = { atNs: 1, eventIndex: 2, node: 'node-'.repeat(50), kind: 'k', detail: 'never shown' };
    r.sink(longNode);
    // The emoji's two units straddle the cut: it is dropped whole.
    const prefix = formatRecord({ atNs: 3, eventIndex: 4, node: 'n1', kind: 'k', detail: '' });
    const straddle = { atNs: 3, eventIndex: 4, node: 'n1', kind: 'k', detail: 'x'.repeat(168 - prefix.length) + '😀'.repeat(10) };
    r.sink(straddle);
    const short = { atNs: 5, eventIndex: 6, node: 'n2', kind: 'recv', detail: 'héllo → 世界 😀' };
    r.sink(short);
    const [a, b, c] = readRecentLines(shared, 3);
    expect(a).toBe(formatRecord(longNode).slice(0, 169) + '…');
    expect(b).toBe(formatRecord(straddle).slice(0, 168) + '…');
    expect(b).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/); // no lone high surrogate
    expect(c).toBe(formatRecord(short));
  });

  it('never shows a slot the worker was stopped while filling, even one that overwrote the oldest line', () => {
    const shared = recentLinesBuffer();
    const r = new RecentLines(shared);
    const all: TraceRecord[] = [];
    for (let i = 0; i < 1_000; i++) {
      all.push(randomRecord(i));
      r.sink(all[i]!);
    }
    const before = readRecentLines(shared, 10_000);
    // A stop mid-record: the time, index, node and kind are written, then the detail never comes.
    const stopped = { atNs: 1e12, eventIndex: 1e6, node: 'STOPPED', kind: 'STOPPED', get detail(): string { throw new Error('stopped'); } };
    expect(() => r.sink(stopped)).toThrow('stopped');
    expect(readRecentLines(shared, 10_000)).toEqual(before);
    expect(before).toEqual(all.slice(-400).map(shown));
    expect(lastTraced(shared).eventIndex).toBe(all.at(-1)!.eventIndex);
  });
});
