import { describe, expect, it } from 'vitest';
import { NumberSet } from '../../systems/broadcast/number-set.ts';
import { summaryLists } from './sync-budget.ts';

describe('summaryLists reads a page summary as NumberSet.pageSummary writes it', () => {
  it('lists exactly the values held, on every bit of a page and across pages', () => {
    // Every bit position of a page (0..255, both ends of each 32-bit word), pages far apart,
    // and neighbours that are not held.
    const held = [0, 1, 31, 32, 63, 255, 256, 511, 4000000, 4000031, 4000255, 13000029];
    const set = new NumberSet();
    for (const v of held) set.add(v);
    const summary = set.pageSummary();
    for (const v of held) expect({ v, listed: summaryLists(summary, v) }).toEqual({ v, listed: true });
    for (const v of [2, 30, 33, 64, 254, 257, 510, 512, 3999999, 4000001, 4000256, 13000028, -1, 0.5, 9e15 + 1]) {
      expect({ v, listed: summaryLists(summary, v) }).toEqual({ v, listed: false });
    }
  });
});
