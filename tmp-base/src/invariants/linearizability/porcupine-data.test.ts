/**
 * Every history in Porcupine's test data must get the verdict Porcupine's own tests establish
 * (EXPECTED.tsv). These are real Jepsen etcd histories and generated kv histories.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkHistory } from './checker.ts';
import { loadHistoryFile, readExpected } from '../../cli/history-file.ts';
import type { CheckResult } from './types.ts';

const DATA_DIR = fileURLToPath(new URL('../../../shared/porcupine-data/', import.meta.url));
const rows = readExpected(DATA_DIR);

describe('porcupine-data', () => {
  it('EXPECTED.tsv lists every history file in the data set', () => {
    const onDisk = ['jepsen', 'kv'].flatMap((d) => readdirSync(DATA_DIR + d).map((f) => `${d}/${f}`)).sort();
    expect(rows.map((r) => r.path).sort()).toEqual(onDisk);
    expect(rows.length).toBe(109);
  });

  for (const row of rows) {
    it(`${row.path} is ${row.expected}`, () => {
      const loaded = loadHistoryFile(DATA_DIR + row.path, row.model);
      const r: CheckResult =
        loaded.model === 'etcd' ? checkHistory(loaded.spec, loaded.history) : checkHistory(loaded.spec, loaded.history);
      if (row.expected === 'none') {
        expect(loaded.history.length).toBe(0);
        expect(r.result).toBe('linearizable');
        return;
      }
      expect(loaded.history.length).toBeGreaterThan(0);
      expect(r.result).toBe(row.expected);
      if (r.result === 'not') {
        const v = r.violation!;
        expect(v.operations).toContain(v.lastOp);
        expect(v.operations.length).toBeLessThanOrEqual(v.partitionSize);
        expect(v.minimal).toBe(true);
      }
    });
  }
});
