/**
 * Plain swarm vs coverage-guided swarm on the bug zoo, same seed budget: for each variant, runs
 * seeds from..from+N-1 both ways (in-process) in each window and reports the first failing seed
 * (seeds to catch) and how many seeds failed.
 *
 *   npx tsx tools/guided-vs-plain.ts --seeds 60 --windows 1,10001 raft-lease-lock:unconfirmed-keepalive ...
 *
 * A variant is `scenario:bug[:k=v,...]` (extra pins). Prints a Markdown table; --json writes the figures.
 */
import { writeFileSync } from 'node:fs';
import { runGuidedSweep } from '../sim/guided-swarm.ts';
import { runScenario, type RunResult } from '../sim/runner.ts';
import { resolveScenario } from '../cli/scenarios.ts';

const args = process.argv.slice(2);
let seeds = 60;
let windows = [1];
let json: string | null = null;
const variants: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--seeds') seeds = Number(args[++i]);
  else if (args[i] === '--windows') windows = args[++i]!.split(',').map(Number);
  else if (args[i] === '--json') json = args[++i]!;
  else variants.push(args[i]!);
}

interface Side { first: number | null; failing: number }
const rows: { variant: string; window: number; plain: Side; guided: Side }[] = [];
for (const v of variants) {
  const [name, bug, extra] = v.split(':');
  const l = await resolveScenario(name!);
  const pins: Record<string, unknown> = { bug };
  for (const kv of (extra ?? '').split(',').filter((x) => x)) {
    const [k, val] = kv.split('=');
    pins[k!] = val === 'true' ? true : val === 'false' ? false : Number.isNaN(Number(val)) ? val : Number(val);
  }
  for (const from of windows) {
    const plain: Side = { first: null, failing: 0 };
    for (let s = from; s < from + seeds; s++) {
      const r = runScenario(l.scenario, { seed: s, pins });
      if (!r.ok) {
        plain.failing++;
        plain.first ??= s - from + 1;
      }
    }
    const guided: Side = { first: null, failing: 0 };
    runGuidedSweep<RunResult>(l.scenario.params, from, seeds, (seed, choice) => {
      const r = runScenario(l.scenario, { seed, pins: { ...choice.pins, ...pins }, buggify: choice.buggify });
      if (!r.ok) {
        guided.failing++;
        guided.first ??= seed - from + 1;
      }
      return r;
    }, { userPins: pins });
    rows.push({ variant: v, window: from, plain, guided });
    process.stderr.write(`${v} from ${from}: plain ${JSON.stringify(plain)} guided ${JSON.stringify(guided)}\n`);
  }
}
const f = (s: Side): string => `${s.first ?? `not in ${seeds}`} (${s.failing}/${seeds})`;
console.log(`| variant | window | plain: seeds to catch (failing/${seeds}) | guided: seeds to catch (failing/${seeds}) |`);
console.log('|---|---|---|---|');
for (const r of rows) console.log(`| ${r.variant} | ${r.window}.. | ${f(r.plain)} | ${f(r.guided)} |`);
if (json) writeFileSync(json, JSON.stringify({ seeds, windows, rows }, null, 2));
