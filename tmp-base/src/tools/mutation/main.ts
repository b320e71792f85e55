/**
 * `npm run mutation -- --system raft --mutants 40 --seeds 200`: the mutation score of detsim's
 * systems, measured by detsim itself. See docs/mutation.md.
 *
 * Exit codes: 0 the run finished (whatever the score; `--min-score` makes a low score exit 1),
 * 1 score below `--min-score`, 2 bad input (one line, what to do next).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { measureAgain } from './again.ts';
import { buildReport, renderCaught, renderMarkdown } from './report.ts';
import { defaultOut, measureSystem, UsageError, type RunOptions } from './run.ts';
import { systemSpecs } from './systems.ts';

const USAGE = `usage: npm run mutation -- --system NAME|all [--system NAME ...] [--mutants 40] [--seeds 200]
    [--seed 1] [--out mutation-out] [--jobs 1] [--mutant-wall 600] [--run-timeout 120]
    [--unit always|never] [--confirm-seeds 0] [--min-score 0..1] [--report-only]
    [--again DIR --again-rev REV]   (measure DIR's sweep survivors again on the current sources)`;

interface Parsed {
  systems: string[];
  mutants: number;
  seeds: number;
  seed: number;
  out: string;
  jobs: number;
  mutantWallS: number;
  runTimeoutS: number;
  unit: 'always' | 'never';
  confirmSeeds: number;
  minScore: number | null;
  reportOnly: boolean;
  again: string | null;
  againRev: string | null;
}

function int(flag: string, raw: string | undefined, min: number): number {
  if (raw === undefined || !/^\d+$/.test(raw) || Number(raw) < min) throw new UsageError(`${flag} needs an integer of at least ${min}, got "${raw ?? ''}"`);
  return Number(raw);
}

export function parseArgs(argv: string[], root: string): Parsed {
  const p: Parsed = { systems: [], mutants: 40, seeds: 200, seed: 1, out: defaultOut(root), jobs: 1, mutantWallS: 600, runTimeoutS: 120, unit: 'always', confirmSeeds: 0, minScore: null, reportOnly: false, again: null, againRev: null };
  const known = systemSpecs().map((s) => s.name);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const val = () => inline ?? argv[++i];
    switch (flag) {
      case '--system': {
        const v = val();
        if (v === 'all') p.systems.push(...known);
        else if (v !== undefined && known.includes(v)) p.systems.push(v);
        else throw new UsageError(`unknown system "${v ?? ''}": use one of ${known.join(', ')} or all`);
        break;
      }
      case '--mutants': p.mutants = int(flag, val(), 1); break;
      case '--seeds': p.seeds = int(flag, val(), 1); break;
      case '--seed': p.seed = int(flag, val(), 0); break;
      case '--out': p.out = path.resolve(val() ?? ''); break;
      case '--jobs': p.jobs = int(flag, val(), 1); break;
      case '--mutant-wall': p.mutantWallS = int(flag, val(), 1); break;
      case '--run-timeout': p.runTimeoutS = int(flag, val(), 1); break;
      case '--confirm-seeds': p.confirmSeeds = int(flag, val(), 0); break;
      case '--unit': {
        const v = val();
        if (v !== 'always' && v !== 'never') throw new UsageError(`--unit takes always or never, got "${v ?? ''}"`);
        p.unit = v;
        break;
      }
      case '--min-score': {
        const v = Number(val());
        if (!(v >= 0 && v <= 1)) throw new UsageError('--min-score takes a fraction between 0 and 1, e.g. 0.95');
        p.minScore = v;
        break;
      }
      case '--report-only': p.reportOnly = true; break;
      case '--again': p.again = path.resolve(val() ?? ''); break;
      case '--again-rev': p.againRev = val() ?? null; break;
      case '--help': case '-h': throw new UsageError(USAGE);
      default: throw new UsageError(`unknown option "${a}"\n${USAGE}`);
    }
  }
  if (p.systems.length === 0 && !p.reportOnly) throw new UsageError(`name a system: --system raft (or all)\n${USAGE}`);
  p.systems = [...new Set(p.systems)];
  if ((p.again === null) !== (p.againRev === null)) throw new UsageError('--again DIR needs --again-rev REV (the git revision the results in DIR were measured at), and the other way round');
  if (p.confirmSeeds > 0 && p.confirmSeeds <= p.seeds) throw new UsageError(`--confirm-seeds (${p.confirmSeeds}) must be larger than --seeds (${p.seeds}): it sweeps the seeds after them`);
  return p;
}

export async function main(argv: string[], root = process.cwd()): Promise<number> {
  let p: Parsed;
  try {
    p = parseArgs(argv, root);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`mutation: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const log = (l: string) => process.stdout.write(`${l}\n`);
  const o: RunOptions = { root, out: p.out, mutants: p.mutants, seeds: p.seeds, seed: p.seed, mutantWallS: p.mutantWallS, runTimeoutS: p.runTimeoutS, unit: p.unit, confirmSeeds: p.confirmSeeds, jobs: p.jobs, log };
  if (!p.reportOnly) {
    for (const name of p.systems) {
      try {
        const spec = systemSpecs().find((s) => s.name === name)!;
        if (p.again !== null) await measureAgain(spec, o, p.again, p.againRev!);
        else await measureSystem(spec, o);
      } catch (e) {
        if (e instanceof UsageError) {
          process.stderr.write(`mutation: ${e.message}\n`);
          return 2;
        }
        throw e;
      }
    }
  }
  mkdirSync(p.out, { recursive: true });
  const report = buildReport(p.out, p.systems.length ? p.systems : undefined);
  writeFileSync(path.join(p.out, 'mutation.json'), `${JSON.stringify(report, null, 2)}\n`);
  const md = `${renderMarkdown(report)}\n### Caught mutants\n\n${renderCaught(report)}`;
  writeFileSync(path.join(p.out, 'mutation.md'), md);
  log('');
  log(renderMarkdown(report).split('\n\nSweep survivors')[0]!);
  log(`results: ${path.relative(root, path.join(p.out, 'mutation.json'))}, table: ${path.relative(root, path.join(p.out, 'mutation.md'))}`);
  const score = report.total.sweepScore;
  if (p.minScore !== null && score !== null && score < p.minScore) {
    log(`sweep score ${(100 * score).toFixed(0)}% is below --min-score ${(100 * p.minScore).toFixed(0)}%: see the survivors in ${path.relative(root, path.join(p.out, 'mutation.md'))}`);
    return 1;
  }
  return 0;
}
