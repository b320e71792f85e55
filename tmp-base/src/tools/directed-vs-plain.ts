/**
 * Directed faults on and off, same seeds: for each bug-zoo variant, runs seeds from..from+N-1
 * with every `directed*` parameter of the scenario pinned to 0 ("off"), and with them left to
 * the swarm ("swarm", the default) or pinned to a probability ("forced", `--forced P`), and
 * reports the first failing seed (seeds to catch), how many seeds failed, and the invariant
 * that caught the first. This measures what the directed nemeses (sim/nemesis.ts, issue 10) add
 * on the narrow windows they target.
 *
 *   npx tsx tools/directed-vs-plain.ts --seeds 200 --forced 0.5 raft-crash-restart:sync-only-entries ...
 *
 * `--ignore a,b` logs those invariants' violations only (what the other checkers catch without
 * them: e.g. without the wire checks, a durability bug is seen only when a crash lands in its window).
 * A variant is `scenario:bug[:k=v,...]` (extra pins). Prints a Markdown table; --json writes it.
 */
import { writeFileSync } from 'node:fs';
import { runScenario } from '../sim/runner.ts';
import { resolveScenario } from '../cli/scenarios.ts';

const args = process.argv.slice(2);
let seeds = 100;
let from = 1;
let forced: number | null = null;
let json: string | null = null;
let ignore: string[] = [];
const variants: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--seeds') seeds = Number(args[++i]);
  else if (args[i] === '--from') from = Number(args[++i]);
  else if (args[i] === '--forced') forced = Number(args[++i]);
  else if (args[i] === '--json') json = args[++i]!;
  else if (args[i] === '--ignore') ignore = args[++i]!.split(',');
  else variants.push(args[i]!);
}

interface Side { first: number | null; failing: number; invariant: string | null }
type Mode = 'off' | 'swarm' | 'forced';
const modes: Mode[] = forced === null ? ['off', 'swarm'] : ['off', 'swarm', 'forced'];
const rows: { variant: string; directed: string[]; sides: Record<string, Side> }[] = [];
for (const v of variants) {
  const [name, bug, extra] = v.split(':');
  const l = await resolveScenario(name!);
  const directed = Object.keys(l.scenario.params).filter((k) => k.startsWith('directed')).sort();
  const pins: Record<string, unknown> = { bug };
  for (const kv of (extra ?? '').split(',').filter((x) => x)) {
    const [k, val] = kv.split('=');
    pins[k!] = val === 'true' ? true : val === 'false' ? false : Number.isNaN(Number(val)) ? val : Number(val);
  }
  const sides: Record<string, Side> = {};
  for (const mode of modes) {
    const side: Side = { first: null, failing: 0, invariant: null };
    const modePins = { ...pins };
    if (mode !== 'swarm') for (const d of directed) modePins[d] = mode === 'off' ? 0 : forced;
    for (let s = from; s < from + seeds; s++) {
      const r = runScenario(l.scenario, { seed: s, pins: modePins, ignoreInvariants: ignore });
      if (!r.ok) {
        side.failing++;
        if (side.first === null) {
          side.first = s - from + 1;
          side.invariant = r.violations[0]?.invariant ?? r.outcome;
        }
      }
    }
    sides[mode] = side;
    process.stderr.write(`${v} ${mode}: ${JSON.stringify(side)}\n`);
  }
  rows.push({ variant: v, directed, sides });
}
const f = (s: Side | undefined): string => (s === undefined ? '' : `${s.first ?? `not in ${seeds}`} (${s.failing}/${seeds})${s.invariant ? ` ${s.invariant}` : ''}`);
console.log(`| variant | ${modes.map((m) => `directed ${m}${m === 'forced' ? ` (${forced})` : ''}: seeds to catch (failing/${seeds}), first invariant`).join(' | ')} |`);
console.log(`|---|${modes.map(() => '---').join('|')}|`);
for (const r of rows) console.log(`| ${r.variant} | ${modes.map((m) => f(r.sides[m])).join(' | ')} |`);
if (json) writeFileSync(json, JSON.stringify({ seeds, from, forced, rows }, null, 2));
