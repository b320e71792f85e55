/**
 * Tests of the mutation harness itself: generation is deterministic and finds the operators it
 * claims, never touches bug-zoo code; a mutant known to break the system is caught by the sweep;
 * a mutant that changes nothing is judged likely equivalent, one in code no run executes is judged
 * not reached; unit-test failures are read; results resume; scratch copies are removed.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relocate } from './again.ts';
import { applyEdits, candidatePool, handMutant, MutantTypeChecker, sampleMutants } from './generate.ts';
import { parseArgs } from './main.ts';
import { buildReport, renderMarkdown } from './report.ts';
import { classify, measureBaseline, measureMutant, measureSystem, readResults, unitTests, UsageError, type Baseline, type RunOptions } from './run.ts';
import { ScratchCopy, SCRATCH_PREFIX } from './scratch.ts';
import { systemSpec, type SystemSpec } from './systems.ts';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const GOSSIP = 'systems/broadcast/gossip.ts';

describe('applyEdits', () => {
  it('applies edits in position order, inserts before a replacement at the same offset', () => {
    expect(applyEdits('a < b', [{ start: 2, end: 3, text: '<=' }, { start: 0, end: 0, text: '(' }, { start: 5, end: 5, text: ')' }])).toBe('(a <= b)');
  });
  it('refuses overlapping edits', () => {
    expect(() => applyEdits('abcdef', [{ start: 0, end: 3, text: 'x' }, { start: 2, end: 4, text: 'y' }])).toThrow(/overlapping/);
  });
});

describe('mutant generation', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'detsim-mutgen-test-'));
    writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', noEmit: true, types: [] } }));
    writeFileSync(path.join(dir, 'sys.ts'), [
      'export function total(a: number, b: number, bug: string): number {',
      "  if (bug === 'off') return a - b;",
      '  let s = 0;',
      '  for (let i = 0; i < a; i++) s += b;',
      '  if (a > 3 && b >= 2) s = s + 1;',
      '  return Math.max(s, 0);',
      '}',
      '',
    ].join('\n'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the realistic operators, and none in bug-zoo code', () => {
    const pool = candidatePool('toy', ['sys.ts'], new MutantTypeChecker(dir, ['sys.ts']));
    const ops = new Set(pool.map((c) => c.operator));
    for (const op of ['boundary', 'and-or', 'drop-condition', 'off-by-one', 'min-max', 'wrong-variable', 'drop-statement']) expect(ops, op).toContain(op);
    expect(pool.filter((c) => c.line === 2)).toEqual([]); // the `bug` line
    const boundary = pool.find((c) => c.operator === 'boundary' && c.before.includes('i < a'))!;
    expect(boundary.after).toContain('i <= a');
    expect(boundary.probes.length).toBeGreaterThan(0);
  });

  it('samples the same mutants from the same seed, others from another, and a larger count extends a smaller', () => {
    const a = sampleMutants('toy', ['sys.ts'], dir, 7, 5);
    const b = sampleMutants('toy', ['sys.ts'], dir, 7, 5);
    const c = sampleMutants('toy', ['sys.ts'], dir, 8, 5);
    const more = sampleMutants('toy', ['sys.ts'], dir, 7, 8);
    expect(a.mutants.map((m) => m.key)).toEqual(b.mutants.map((m) => m.key));
    expect(c.mutants.map((m) => m.key)).not.toEqual(a.mutants.map((m) => m.key));
    expect(more.mutants.slice(0, 5).map((m) => m.key)).toEqual(a.mutants.map((m) => m.key));
    expect(a.mutants).toHaveLength(5);
    expect(a.sourcesHash).toBe(b.sourcesHash);
  });

  it('keeps only mutants that type-check and counts the others', () => {
    writeFileSync(path.join(dir, 'typed.ts'), 'export function f(s: string, n: number): number {\n  return s.length + n;\n}\n');
    const s = sampleMutants('toy', ['typed.ts'], dir, 1, 50);
    const tc = new MutantTypeChecker(dir, ['typed.ts']);
    for (const m of s.mutants) expect(tc.errorsWith('typed.ts', applyEdits(readFileSync(path.join(dir, 'typed.ts'), 'utf8'), m.edits))).toEqual([]);
    expect(s.mutants.length + s.notCompiling.length).toBe(s.pool);
  });

  it('moves a mutant to where its lines are in newer sources, or gives up if they changed', () => {
    writeFileSync(path.join(dir, 'moving.ts'), 'export function g(a: number, b: number): boolean {\n  return a < b && b > 0;\n}\n');
    const oldText = readFileSync(path.join(dir, 'moving.ts'), 'utf8');
    const pool = candidatePool('toy', ['moving.ts'], new MutantTypeChecker(dir, ['moving.ts']));
    const m = { id: 'toy-001', ...pool.find((c) => c.operator === 'and-or')! };
    const newText = `// a new first line\n${oldText.replace('export function g', 'export function h(): void {}\nexport function g')}`;
    writeFileSync(path.join(dir, 'moving.ts'), newText);
    const moved = relocate(m, oldText, newText, dir)!;
    expect(applyEdits(newText, moved.edits)).toContain('return a < b || b > 0;');
    expect(moved.line).toBe(m.line + 2);
    expect(moved.id).toBe('toy-001');
    expect(moved.probes.length).toBeGreaterThan(0);
    expect(relocate(m, oldText, newText.replace('a < b && b > 0', 'a <= b && b > 0'), dir)).toBeNull();
  });
});

describe('classification', () => {
  const sweepBase = { runs: 10, scenario: null, seed: null, invariant: null, message: '', cutByWall: false, wallMs: 1 };
  const unit = { verdict: 'survived' as const, test: null, wallMs: 1 };
  it('says why a survivor survived', () => {
    expect(classify({ ...sweepBase, verdict: 'survived', reachedRuns: 0, changedRuns: 0 }, unit, null).why).toBe('not-reached');
    expect(classify({ ...sweepBase, verdict: 'survived', reachedRuns: 4, changedRuns: 0 }, unit, null).why).toBe('equivalent?');
    expect(classify({ ...sweepBase, verdict: 'survived', reachedRuns: 4, changedRuns: 2 }, unit, null).why).toBe('no-invariant');
    expect(classify({ ...sweepBase, verdict: 'survived', reachedRuns: 4, changedRuns: 2, cutByWall: true }, unit, null).why).toBe('cut-short');
    const confirm = { ...sweepBase, verdict: 'caught' as const, reachedRuns: 1, changedRuns: 1, scenario: 's', seed: 300, invariant: 'x' };
    expect(classify({ ...sweepBase, verdict: 'survived', reachedRuns: 4, changedRuns: 2 }, unit, confirm).why).toBe('too-rare');
    // No probe (module-level code): reached whenever anything ran.
    expect(classify({ ...sweepBase, verdict: 'survived', reachedRuns: 0, changedRuns: 0 }, unit, null, false).why).toBe('equivalent?');
    const c = classify({ ...sweepBase, verdict: 'hang', reachedRuns: 1, changedRuns: 1 }, { verdict: 'timeout', test: null, wallMs: 1 }, null);
    expect(c).toEqual({ caughtBySweep: true, caughtByUnit: true, why: null });
  });
});

describe('a mutant measured in a scratch copy (broadcast, 3 seeds)', () => {
  const spec = systemSpec('broadcast')!;
  const o = { seeds: 3, unit: 'never' as const, runTimeoutS: 60, mutantWallS: 120, confirmSeeds: 0 };
  let scratch: ScratchCopy;
  let baseline: Baseline;
  beforeAll(async () => {
    scratch = new ScratchCopy(ROOT);
    baseline = await measureBaseline(scratch, spec, o);
  }, 120_000);
  afterAll(() => scratch.remove());

  it('the unmutated build passes and records one trace hash per run', () => {
    // The family is broadcast and broadcast-busy (its many clients reach restarts from checkpoints).
    expect(spec.family.map((f) => path.basename(f))).toEqual(['broadcast-busy.ts', 'broadcast.ts']);
    expect(Object.keys(baseline.hashes).sort()).toEqual(['broadcast#1', 'broadcast#2', 'broadcast#3', 'broadcast-busy#1', 'broadcast-busy#2', 'broadcast-busy#3'].sort());
    expect(baseline.failing).toEqual([]);
  });

  it('a mutant that invents values is caught, with the seed and invariant', async () => {
    const m = handMutant('broadcast', ROOT, GOSSIP, 'state.add([m.value])', 'state.add([m.value, -m.value])');
    const r = await measureMutant(scratch, spec, m, baseline, o);
    expect(r.caughtBySweep).toBe(true);
    expect(r.sweep.scenario).toBe('broadcast-busy'); // the family's first scenario
    expect(r.sweep.seed).toBe(1);
    expect(r.sweep.invariant).toMatch(/phantom/);
    expect(r.why).toBeNull();
    // The scratch copy is back to the original.
    expect(readFileSync(path.join(scratch.dir, GOSSIP), 'utf8')).toBe(readFileSync(path.join(ROOT, GOSSIP), 'utf8'));
  }, 120_000);

  it('a mutant that changes nothing is a survivor, likely equivalent, reached on every run', async () => {
    const m = handMutant('broadcast', ROOT, GOSSIP, 'state.seen.size} value(s) from disk', 'state.seen.size} value(s) from disk');
    const r = await measureMutant(scratch, spec, m, baseline, o);
    expect(r.caughtBySweep).toBe(false);
    expect(r.why).toBe('equivalent?');
    expect(r.sweep.reachedRuns).toBe(6);
    expect(r.sweep.changedRuns).toBe(0);
  }, 120_000);

  it('a mutant that changes only what a message says is not judged equivalent', async () => {
    const m = handMutant('broadcast', ROOT, GOSSIP, "{ type: 'broadcast_ok' } satisfies", "{ type: 'broadcast_ok', note: 1 } satisfies");
    const r = await measureMutant(scratch, spec, m, baseline, o);
    expect(r.caughtBySweep).toBe(false);
    expect(r.why).toBe('no-invariant');
    expect(r.sweep.changedRuns).toBe(6);
  }, 120_000);

  it('a mutant in code no run executes is not reached', async () => {
    // Only the bug-zoo variant runs this branch; the family sweep runs bug=none.
    const m = handMutant('broadcast', ROOT, GOSSIP, 'state.add([-m.value])', 'state.add([m.value])');
    const r = await measureMutant(scratch, spec, m, baseline, o);
    expect(r.why).toBe('not-reached');
    expect(r.sweep.reachedRuns).toBe(0);
  }, 120_000);
});

describe('unit tests in a scratch copy', () => {
  it('reads the first failing test, and a green run as survived', async () => {
    const scratch = new ScratchCopy(ROOT);
    try {
      mkdirSync(path.join(scratch.dir, 'tools/mutation/fixture'), { recursive: true });
      writeFileSync(path.join(scratch.dir, 'tools/mutation/fixture/red.test.ts'), "import { it, expect } from 'vitest';\nit('adds', () => { expect(1 + 1).toBe(3); });\n");
      writeFileSync(path.join(scratch.dir, 'tools/mutation/fixture/green.test.ts'), "import { it, expect } from 'vitest';\nit('adds', () => { expect(1 + 1).toBe(2); });\n");
      const red = await unitTests(scratch.dir, ['tools/mutation/fixture/red.test.ts'], 120_000);
      expect(red.verdict).toBe('caught');
      expect(red.test).toContain('red.test.ts: adds');
      const green = await unitTests(scratch.dir, ['tools/mutation/fixture/green.test.ts'], 120_000);
      expect(green.verdict).toBe('survived');
    } finally {
      scratch.remove();
    }
  }, 180_000);
});

describe('a resumable run', () => {
  it('appends one line per mutant, resumes where it stopped, refuses other options, and cleans up', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'detsim-mutrun-test-'));
    // Its own scratch folder: other processes' copies in the shared temp folder cannot move the count.
    const scratchRoot = mkdtempSync(path.join(os.tmpdir(), 'detsim-mutrun-scratch-'));
    const spec: SystemSpec = systemSpec('broadcast')!;
    const logs: string[] = [];
    const o: RunOptions = { root: ROOT, out, mutants: 2, seeds: 2, seed: 3, mutantWallS: 120, runTimeoutS: 60, unit: 'never', confirmSeeds: 0, jobs: 1, log: (l) => logs.push(l), scratchRoot };
    try {
      const first = await measureSystem(spec, o);
      expect(first.results).toHaveLength(2);
      const file = path.join(out, 'broadcast.jsonl');
      expect(readResults(file).mutants).toHaveLength(2);
      // An interrupted write leaves a cut line: it is skipped, never fatal.
      writeFileSync(file, `${readFileSync(file, 'utf8')}{"kind":"mutant","mut`);
      const second = await measureSystem(spec, { ...o, mutants: 3 });
      expect(second.results).toHaveLength(3);
      expect(logs.some((l) => l.includes('2 already measured, 1 to go'))).toBe(true);
      expect(second.results.slice(0, 2).map((r) => r.mutant.key)).toEqual(first.results.map((r) => r.mutant.key));
      await expect(measureSystem(spec, { ...o, seeds: 5 })).rejects.toThrow(UsageError);
      const report = buildReport(out);
      expect(report.systems[0]!.measured).toBe(3);
      expect(renderMarkdown(report)).toContain('| broadcast | 2 | 3 |');
      expect(readdirSync(scratchRoot).filter((f) => f.startsWith(SCRATCH_PREFIX))).toEqual([]);
    } finally {
      rmSync(out, { recursive: true, force: true });
      rmSync(scratchRoot, { recursive: true, force: true });
    }
  }, 300_000);
});

describe('scratch copies', () => {
  it('copy the repo, restore a mutated file, and are removed', () => {
    const s = new ScratchCopy(ROOT);
    expect(existsSync(path.join(s.dir, GOSSIP))).toBe(true);
    s.write(GOSSIP, '// mutated\n');
    expect(readFileSync(path.join(s.dir, GOSSIP), 'utf8')).toBe('// mutated\n');
    expect(readFileSync(path.join(ROOT, GOSSIP), 'utf8')).not.toBe('// mutated\n');
    s.restore();
    expect(readFileSync(path.join(s.dir, GOSSIP), 'utf8')).toBe(readFileSync(path.join(ROOT, GOSSIP), 'utf8'));
    s.remove();
    expect(existsSync(s.dir)).toBe(false);
  });
});

describe('command line', () => {
  it('rejects bad input with a message that says what to do', () => {
    expect(() => parseArgs([], ROOT)).toThrow(/name a system/);
    expect(() => parseArgs(['--system', 'nope'], ROOT)).toThrow(/unknown system "nope": use one of broadcast, raft/);
    expect(() => parseArgs(['--system', 'raft', '--seeds', '0'], ROOT)).toThrow(/--seeds needs an integer of at least 1/);
    expect(() => parseArgs(['--system', 'raft', '--confirm-seeds', '100'], ROOT)).toThrow(/must be larger than --seeds/);
    expect(parseArgs(['--system', 'all', '--mutants=5'], ROOT).systems).toEqual(['broadcast', 'raft', 'crdt', 'lb', 'escrow', 'hwkv']);
  });
});
