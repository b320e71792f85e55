/**
 * The `detsim check` command module: exit codes 0/1/2/3, the human summary and the JSON object.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { benchPorcupineData, formatBenchReport, stats } from './bench.ts';
import {
  EXIT_LINEARIZABLE,
  EXIT_NOT_LINEARIZABLE,
  EXIT_UNKNOWN,
  EXIT_UNUSABLE_INPUT,
  runCheckCommand,
  type CheckCommandOptions,
} from './check-command.ts';

const DATA_DIR = fileURLToPath(new URL('../../../shared/porcupine-data/', import.meta.url));

function run(opts: Partial<CheckCommandOptions> & Pick<CheckCommandOptions, 'file' | 'model'>): { code: number; lines: string[] } {
  const lines: string[] = [];
  let nowMs = 0;
  const code = runCheckCommand({ json: false, timeoutMs: 0, clock: () => (nowMs += 0.5), ...opts }, (l) => lines.push(l));
  return { code, lines };
}

describe('runCheckCommand', () => {
  it('exits 0 for a linearizable history, with a one-line summary', () => {
    const { code, lines } = run({ file: `${DATA_DIR}kv/c10-ok.txt`, model: 'kv' });
    expect(code).toBe(EXIT_LINEARIZABLE);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/c10-ok\.txt: linearizable \(model kv; 337 operations, 10 partitions/);
  });

  it('exits 1 for a violation and prints the operations that cannot be ordered', () => {
    const { code, lines } = run({ file: `${DATA_DIR}jepsen/etcd_000.log`, model: 'etcd' });
    expect(code).toBe(EXIT_NOT_LINEARIZABLE);
    expect(lines[0]).toMatch(/NOT linearizable/);
    expect(lines.some((l) => l.includes('cannot be explained'))).toBe(true);
  });

  it('prints one JSON object with the verdict and the violating operations', () => {
    const { code, lines } = run({ file: `${DATA_DIR}jepsen/etcd_000.log`, model: 'etcd', json: true });
    expect(code).toBe(EXIT_NOT_LINEARIZABLE);
    expect(lines).toHaveLength(1);
    const j = JSON.parse(lines[0]!);
    expect(j).toMatchObject({ model: 'etcd', linearizable: false, partitions: 1 });
    expect(j.operations).toBeGreaterThan(70);
    expect(typeof j.timeMs).toBe('number');
    expect(j.violation.ops.map((o: { index: number }) => o.index)).toContain(j.violation.lastOp);
    expect(j.violation.ops[0]).toHaveProperty('op');

    const ok = JSON.parse(run({ file: `${DATA_DIR}jepsen/etcd_005.log`, model: 'etcd', json: true }).lines[0]!);
    expect(ok.linearizable).toBe(true);
    expect(ok).not.toHaveProperty('violation');
  });

  it('exits 2 with a one-line error for unreadable or malformed input', () => {
    const cases: [string, 'kv' | 'etcd', RegExp][] = [
      [`${DATA_DIR}no-such-file.log`, 'etcd', /cannot read the file \(ENOENT\)/],
      [DATA_DIR, 'etcd', /cannot read the file \(EISDIR\)/],
      [`${DATA_DIR}kv/c01-ok.txt`, 'etcd', /no Jepsen history lines/],
      [`${DATA_DIR}jepsen/etcd_000.log`, 'kv', /etcd_000\.log:1: not an EDN map/],
    ];
    for (const [file, model, message] of cases) {
      const { code, lines } = run({ file, model });
      expect(code).toBe(EXIT_UNUSABLE_INPUT);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^detsim: /);
      expect(lines[0]).toMatch(message);
      const j = JSON.parse(run({ file, model, json: true }).lines[0]!);
      expect(j.error.code).toBe('E_HISTORY_PARSE');
    }
  });

  it('exits 2 for a history with no operation (nothing was checked), and still 0 for one whose operations never completed', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'detsim-check-'));
    try {
      const inv = (p: number): string => `{:process ${p}, :type :invoke, :f :put, :key "k", :value "v${p}"}`;
      const cases: [string, string, 'kv' | 'etcd'][] = [
        ['empty.edn', '', 'kv'],
        ['blank.edn', '\n\n', 'kv'],
        ['empty.log', '', 'etcd'],
        // Every operation a definite failure: none happened.
        ['failed.edn', `${inv(0)}\n{:process 0, :type :fail, :f :put, :key "k", :value "v0"}\n`, 'kv'],
      ];
      for (const [name, text, model] of cases) {
        writeFileSync(path.join(dir, name), text);
        const { code, lines } = run({ file: path.join(dir, name), model });
        expect(code, name).toBe(EXIT_UNUSABLE_INPUT);
        expect(lines).toEqual([`detsim: ${path.join(dir, name)} holds no operations: nothing to check (the file is empty, or every operation in it definitely failed and so did not happen); record a history with at least one invoked operation`]);
        expect(JSON.parse(run({ file: path.join(dir, name), model, json: true }).lines[0]!).error.code).toBe('E_EMPTY_HISTORY');
      }
      // Invoked, never answered (the outcome unknown): a history the search orders, as documented.
      writeFileSync(path.join(dir, 'pending.edn'), `${inv(0)}\n${inv(1)}\n`);
      const pending = run({ file: path.join(dir, 'pending.edn'), model: 'kv' });
      expect(pending.code).toBe(EXIT_LINEARIZABLE);
      expect(pending.lines[0]).toMatch(/linearizable \(model kv; 2 operations/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 3 when the time budget runs out', () => {
    const { code, lines } = run({ file: `${DATA_DIR}jepsen/etcd_002.log`, model: 'etcd', timeoutMs: 5, clock: (() => { let t = 0; return () => (t += 1); })() });
    expect(code).toBe(EXIT_UNKNOWN);
    expect(lines[0]).toMatch(/UNKNOWN \(timed out after 5 ms\)/);
    const j = JSON.parse(run({ file: `${DATA_DIR}jepsen/etcd_002.log`, model: 'etcd', json: true, timeoutMs: 5, clock: (() => { let t = 0; return () => (t += 1); })() }).lines[0]!);
    expect(j.linearizable).toBe('unknown');
  });
});

describe('bench helpers', () => {
  it('summarises times as min / median / max', () => {
    expect(stats([5, 1, 3])).toEqual({ count: 3, minMs: 1, medianMs: 3, maxMs: 5, totalMs: 9 });
    expect(stats([4, 1, 3, 2]).medianMs).toBe(2.5);
  });
  it('runs the Porcupine data with a step budget and reports per-group statistics', () => {
    let t = 0;
    // A tiny step budget keeps this fast; hard files come out 'unknown', which the report must show.
    const r = benchPorcupineData(() => (t += 1), { check: { maxSteps: 2000, minimize: false } });
    expect(r.files).toHaveLength(109);
    expect(Object.keys(r.groups)).toEqual(['jepsen', 'kv/c01-bad.txt', 'kv/c01-ok.txt', 'kv/c10-bad.txt', 'kv/c10-ok.txt', 'kv/c50-bad.txt', 'kv/c50-ok.txt']);
    expect(r.groups['jepsen']!.count).toBe(103);
    expect(r.mismatches).toBe(r.files.filter((f) => f.verdict !== (f.expected === 'none' ? 'linearizable' : f.expected)).length);
    expect(r.files.some((f) => f.verdict === 'unknown')).toBe(true);
    expect(formatBenchReport(r).at(-1)).toMatch(/verdict mismatches/);
  });
});
