/**
 * Measuring the same mutants again on newer sources (`--again DIR --again-rev REV`): the sweep
 * survivors of an earlier run, each moved to where its lines are now, measured against the current
 * build. This is the before/after of a change to faults, checkers or workloads: which of the bugs
 * that escaped are caught now.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { applyEdits, handMutant, type Mutant } from './generate.ts';
import { appendLine, measureBaseline, measureMutant, readResults, UsageError, type Header, type RunOptions } from './run.ts';
import { ScratchCopy } from './scratch.ts';
import type { SystemSpec } from './systems.ts';

/** The text of `file` at git revision `rev` of the repository at `root`. */
export function textAt(root: string, rev: string, file: string): string {
  return execFileSync('git', ['show', `${rev}:${file}`], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
}

/**
 * Moves a mutant measured on `oldText` to `newText`: finds the lines its edits touch (whole
 * lines, unchanged) in the new text, nearest its old line if they occur more than once, and
 * shifts the edits; the probes are recomputed there. Null if those lines changed.
 */
export function relocate(m: Mutant, oldText: string, newText: string, root: string): Mutant | null {
  const first = Math.min(...m.edits.map((e) => e.start));
  const last = Math.max(...m.edits.map((e) => e.end));
  const lineStart = oldText.lastIndexOf('\n', first - 1) + 1;
  const nl = oldText.indexOf('\n', last);
  const lineEnd = nl < 0 ? oldText.length : nl;
  const span = oldText.slice(lineStart, lineEnd);
  const hits: number[] = [];
  for (let at = newText.indexOf(span); at >= 0; at = newText.indexOf(span, at + 1)) {
    if (at === 0 || newText[at - 1] === '\n') hits.push(at);
  }
  if (hits.length === 0) return null;
  const best = hits.reduce((a, b) => (Math.abs(b - lineStart) < Math.abs(a - lineStart) ? b : a));
  const delta = best - lineStart;
  // One edit from the character before the first change to the end of the last: handMutant
  // then finds the node (for the probes) and describes the lines as the generator does.
  const s = first + delta - 1;
  const e = last + delta;
  const find = newText.slice(s, e);
  const replace = applyEdits(find, m.edits.map((x) => ({ start: x.start + delta - s, end: x.end + delta - s, text: x.text })));
  let occurrence = 0;
  for (let at = newText.indexOf(find); at >= 0 && at < s; at = newText.indexOf(find, at + 1)) occurrence++;
  const moved = handMutant(m.system, root, m.file, find, replace, occurrence);
  return { ...moved, id: m.id, operator: m.operator, description: m.description };
}

/** Reads the current text of a repo file. */
export function currentText(root: string, file: string): string {
  return readFileSync(path.join(root, file), 'utf8');
}

/**
 * Measures again, on the current sources, the sweep survivors recorded in `<fromDir>/<system>.jsonl`
 * (measured at git revision `rev`). Results go to `<o.out>/<system>.jsonl` as usual (resumable).
 */
export async function measureAgain(spec: SystemSpec, o: RunOptions, fromDir: string, rev: string): Promise<void> {
  const prev = readResults(path.join(fromDir, `${spec.name}.jsonl`));
  if (!prev.header) throw new UsageError(`no results for ${spec.name} in ${fromDir}: measure it first (npm run mutation -- --system ${spec.name})`);
  const survivors = prev.mutants.filter((r) => !r.caughtBySweep);
  const moved: Mutant[] = [];
  const lost: string[] = [];
  for (const r of survivors) {
    let m: Mutant | null = null;
    try {
      m = relocate(r.mutant, textAt(o.root, rev, r.mutant.file), currentText(o.root, r.mutant.file), o.root);
    } catch {
      m = null;
    }
    if (m) moved.push(m);
    else lost.push(r.mutant.id);
  }
  mkdirSync(o.out, { recursive: true });
  const file = path.join(o.out, `${spec.name}.jsonl`);
  const done = readResults(file);
  if (done.header && (done.header.again?.rev !== rev || done.header.seeds !== o.seeds)) {
    throw new UsageError(`${file} holds results of another run: pass another --out, or delete it to start again`);
  }
  const header: Header = done.header ?? { ...prev.header, seeds: o.seeds, notCompiling: [], again: { from: fromDir, rev, survivors: survivors.length, lost } };
  if (!done.header) {
    writeFileSync(file, '');
    appendLine(file, header);
  }
  const measured = new Set(done.mutants.map((r) => r.mutant.id));
  const todo = moved.filter((m) => !measured.has(m.id));
  o.log(`${spec.name}: ${survivors.length} survivors of ${fromDir} (at ${rev}); ${moved.length} found in the current sources${lost.length ? ` (${lost.join(', ')} changed)` : ''}, ${todo.length} to measure`);
  if (todo.length === 0) return;
  const scratch = new ScratchCopy(o.root);
  try {
    let baseline = done.baseline;
    if (!baseline) {
      baseline = await measureBaseline(scratch, spec, o);
      appendLine(file, baseline);
      o.log(`${spec.name}: baseline ${Object.keys(baseline.hashes).length} runs in ${(baseline.sweepMs / 1000).toFixed(0)} s`);
    }
    for (const m of todo) {
      const res = await measureMutant(scratch, spec, m, baseline, o);
      appendLine(file, res);
      const was = survivors.find((r) => r.mutant.id === m.id)!;
      o.log(`${spec.name} ${m.id} ${m.file}:${m.line} ${m.operator}: was ${was.why}, now ${res.caughtBySweep ? `caught by ${res.sweep.scenario} seed ${res.sweep.seed} (${res.sweep.invariant})` : res.why}`);
    }
  } finally {
    scratch.remove();
  }
}
