/**
 * Which runs a report has counted already, so one run given twice (two shards given overlapping
 * seed ranges, a shard's results copied into two folders, a re-run of a sweep under a new run id)
 * counts once, and two results of one run that disagree are seen.
 *
 * A run is its scenario, seed, every parameter value, BUGGIFY on or off and its network streams:
 * the same run must give the same trace and verdict. The same seed with other parameters (another
 * `--param`, a guided draw) is another run and counts on its own.
 *
 * Memory stays small on the largest merges: 12 bytes a seed in blocks of consecutive seeds (a
 * sweep's seeds are a range), holding 32-bit fingerprints of the run and of its result, and a map
 * for the rare seed that ran with a second parameter set. A fingerprint collision of two parameter
 * sets of one seed would be taken for one run (with a result that then disagrees: reported, never a
 * pass); of two results of one run, a disagreement missed (as if the run were given once).
 */
import type { ResultLine } from './results.ts';

const BLOCK = 1024;

/** What a result line is to the runs seen before it. */
export type SeenAs =
  | { kind: 'new' }
  /** The same run with the same result, first given in `firstSource` (`sameSweep`: by the same sweep, its run id). */
  | { kind: 'same'; firstSource: string; sameSweep: boolean }
  /** The same run with another result (another trace hash or verdict). */
  | { kind: 'differs'; firstSource: string; sameSweep: boolean; firstOk: boolean };

export class SeenRuns {
  private readonly blocks = new Map<string, Map<number, Uint32Array>>();
  /** `scenario \n seed \n run fingerprint` -> [result fingerprint, source index + 1], for a seed's second parameter set and later ones. */
  private readonly more = new Map<string, [number, number]>();
  /** Where a run was first given: a results file and the sweep's run id in it. */
  private readonly origins: { source: string; runId: string }[] = [];
  private readonly originIndex = new Map<string, number>();

  see(r: ResultLine, source: string): SeenAs {
    const run = fnv1a(runKey(r));
    // Bit 0 is the verdict, so a pass and a failure never share a fingerprint.
    const result = ((fnv1a(`${r.outcome}\n${r.traceHash}`) & ~1) | (r.ok ? 1 : 0)) >>> 0;
    let block = this.blocks.get(r.scenario)?.get(Math.floor(r.seed / BLOCK));
    if (block === undefined) {
      let m = this.blocks.get(r.scenario);
      if (m === undefined) this.blocks.set(r.scenario, (m = new Map()));
      m.set(Math.floor(r.seed / BLOCK), (block = new Uint32Array(BLOCK * 3)));
    }
    const i = (r.seed % BLOCK) * 3;
    if (block[i + 2] === 0) {
      block[i] = run;
      block[i + 1] = result;
      block[i + 2] = this.origin(source, r.runId) + 1;
      return { kind: 'new' };
    }
    let first: [number, number];
    if (block[i] === run) first = [block[i + 1]!, block[i + 2]!];
    else {
      const key = `${r.scenario}\n${r.seed}\n${run}`;
      const m = this.more.get(key);
      if (m === undefined) {
        this.more.set(key, [result, this.origin(source, r.runId) + 1]);
        return { kind: 'new' };
      }
      first = m;
    }
    const o = this.origins[first[1] - 1]!;
    const at = { firstSource: o.source, sameSweep: o.source === source && o.runId === r.runId };
    return first[0] === result ? { kind: 'same', ...at } : { kind: 'differs', ...at, firstOk: (first[0] & 1) === 1 };
  }

  private origin(source: string, runId: string): number {
    const key = JSON.stringify([source, runId]);
    let i = this.originIndex.get(key);
    if (i === undefined) {
      i = this.origins.length;
      this.origins.push({ source, runId });
      this.originIndex.set(key, i);
    }
    return i;
  }
}

/** What makes a run that run: the seed decides the rest. Parameters sorted, so their order in a file does not matter. */
function runKey(r: Pick<ResultLine, 'params' | 'buggify' | 'linkStreams'>): string {
  const params = Object.keys(r.params ?? {})
    .sort()
    .map((k) => [k, r.params[k]]);
  return JSON.stringify([params, r.buggify?.enabled ?? null, r.linkStreams ?? null]);
}

/** 32-bit FNV-1a over the string's UTF-16 code units. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * One run's identity as {@link SeenRuns} knows it: scenario, seed and the fingerprint of its
 * parameters (short, so a view can keep one a run).
 */
export function runIdentity(r: Pick<ResultLine, 'scenario' | 'seed' | 'params' | 'buggify' | 'linkStreams'>): string {
  return `${r.scenario}\n${r.seed}\n${fnv1a(runKey(r))}`;
}
