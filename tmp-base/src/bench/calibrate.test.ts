/**
 * The yardstick is frozen: BEFORE in bench/systems.ts was measured against exactly this work. If
 * this checksum changes, the workload changed, and BEFORE must be measured again on 4755ff4.
 */
import { describe, expect, it } from 'vitest';
import { referenceWork } from './calibrate.ts';

describe('bench/calibrate', () => {
  it('does the same work as when BEFORE was measured (checksum pinned)', () => {
    expect(referenceWork(1000)).toEqual({ ops: 1000, checksum: 915885807 });
    expect(referenceWork(300_000).checksum).toBe(4289894708);
  });
});
