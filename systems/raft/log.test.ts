import { describe, it, expect } from 'vitest';
import { AssertionError } from '../../sim/assert.ts';
import { RaftLog, EMPTY_SNAPSHOT } from './log.ts';
import type { Entry } from './types.ts';

const ents = (from: number, terms: number[]): Entry[] => terms.map((term, i) => ({ term, index: from + i, data: `e${from + i}` }));

describe('RaftLog', () => {
  it('answers term queries across snapshot, entries and beyond the end', () => {
    const log = new RaftLog({ index: 3, term: 2, data: 's' }, ents(4, [2, 3, 3]), 4);
    expect(log.firstIndex()).toBe(4);
    expect(log.lastIndex()).toBe(6);
    expect(log.term(2)).toBeUndefined(); // compacted
    expect(log.term(3)).toBe(2); // the snapshot's last entry
    expect(log.term(5)).toBe(3);
    expect(log.term(7)).toBeUndefined();
    expect(log.isUpToDate(6, 3)).toBe(true);
    expect(log.isUpToDate(5, 3)).toBe(false);
    expect(log.isUpToDate(1, 4)).toBe(true);
  });

  it('finds conflicts and backtracks by term (etcd findConflictByTerm)', () => {
    const log = new RaftLog(EMPTY_SNAPSHOT, ents(1, [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3]), 0);
    expect(log.findConflict(ents(1, [1, 1]))).toBe(0);
    expect(log.findConflict(ents(3, [1, 4]))).toBe(4);
    expect(log.findConflict(ents(11, [3, 3]))).toBe(12); // new entries count as conflicts
    expect(log.findConflictByTerm(10, 6)).toEqual([10, 3]);
    expect(log.findConflictByTerm(10, 2)).toEqual([6, 2]);
    expect(log.findConflictByTerm(10, 0)).toEqual([0, 0]);
  });

  it('truncates and appends, remembers what the host must rewrite, and protects committed entries', () => {
    const log = new RaftLog(EMPTY_SNAPSHOT, ents(1, [1, 1, 1]), 1);
    expect(log.takeUnstable()).toEqual([]);
    log.append(ents(3, [2, 2]));
    expect(log.truncatedFrom).toBe(3);
    expect(log.takeUnstable().map((e) => e.index)).toEqual([3, 4]);
    expect(() => log.append(ents(1, [5]))).toThrow(AssertionError);
    expect(() => log.append(ents(9, [5]))).toThrow(/gap/);
  });

  it("append's checks each refuse their case, with its message, and accept the cases at their edges", () => {
    const log = new RaftLog({ index: 2, term: 1, data: 's' }, ents(3, [1, 2, 2]), 3);
    expect(() => log.append(ents(3, [3]))).toThrow(/overwriting committed entry 3 \(commit 3\)/);
    expect(() => log.append(ents(7, [3]))).toThrow(/gap appending 7 after 5/);
    expect(() => log.append([{ term: 2, index: 6, data: 'a' }, { term: 2, index: 8, data: 'b' }])).toThrow(/non-contiguous entry 8/);
    expect(log.lastIndex()).toBe(6); // the batch's first entry went in before the check refused the second
    expect(() => log.append(ents(6, [1]))).toThrow(/entry 6 term 1 below previous 2/);
    expect(log.append(ents(4, [3, 3, 3]))).toBe(6); // first = commit + 1: overwrites, as it may
    expect(log.append(ents(7, [3]))).toBe(7); // first = last + 1
    const fresh = new RaftLog({ index: 5, term: 1, data: 's' }, [], 5);
    expect(() => fresh.append(ents(5, [1]))).toThrow(/overwriting committed entry 5/);
  });

  it('slices with entry and byte limits, always at least one entry', () => {
    const big: Entry[] = [1, 2, 3, 4].map((i) => ({ term: 1, index: i, data: 'x'.repeat(100) }));
    const log = new RaftLog(EMPTY_SNAPSHOT, big, 0);
    expect(log.slice(1, 5, 10, 250)!.length).toBe(2);
    expect(log.slice(1, 5, 3, 1 << 20)!.length).toBe(3);
    expect(log.slice(1, 5, 10, 1)!.length).toBe(1);
  });

  it('commit never decreases and never passes the last index', () => {
    const log = new RaftLog(EMPTY_SNAPSHOT, ents(1, [1, 1]), 0);
    expect(log.commitTo(2)).toBe(true);
    expect(log.commitTo(1)).toBe(false);
    expect(log.committed).toBe(2);
    expect(() => log.commitTo(3)).toThrow(/beyond last index/);
  });

  it('compacts only what was applied and persisted; restore replaces the log', () => {
    const log = new RaftLog(EMPTY_SNAPSHOT, ents(1, [1, 1, 2, 2]), 3);
    log.applied = 3;
    expect(() => log.compact(4, 'x')).toThrow(AssertionError);
    const s = log.compact(2, 'upto2');
    expect(s).toEqual({ index: 2, term: 1, data: 'upto2' });
    expect(log.firstIndex()).toBe(3);
    expect(log.term(4)).toBe(2);
    log.restore({ index: 9, term: 4, data: 'remote' });
    expect(log.lastIndex()).toBe(9);
    expect(log.committed).toBe(9);
    expect(log.pendingSnapshot?.index).toBe(9);
  });
});
