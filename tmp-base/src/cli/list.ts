/**
 * `detsim list`: one line a scenario by default (fits on a screen); `--params`, or naming
 * scenarios, prints their parameter tables. The fault parameters that `faultParams()` adds to most
 * scenarios are shown once, in a table of their own, not repeated under each scenario.
 */
import path from 'node:path';
import type { ParamDef, ParamDefs } from '../sim/params.ts';
import { makeChalk } from '../reports/terminal.ts';
import type { ScenarioInfo } from './scenario-manifest.ts';

type Out = (line: string) => void;

/** Each shared parameter's definition as JSON, computed once a table (`list` compares every scenario's against them). */
const sharedJson = new WeakMap<ParamDefs, Map<string, string>>();

/** Whether `d` is the shared fault parameter `k` unchanged (a scenario that overrides one shows it as its own). */
function isShared(sharedDefs: ParamDefs, k: string, d: ParamDef): boolean {
  let m = sharedJson.get(sharedDefs);
  if (!m) sharedJson.set(sharedDefs, (m = new Map(Object.entries(sharedDefs).map(([key, def]) => [key, JSON.stringify(def)]))));
  const s = m.get(k);
  return s !== undefined && s === JSON.stringify(d);
}

/**
 * A scenario's parameters split into its own and the shared fault parameters (`sharedDefs`:
 * faultParams()) it takes unchanged.
 */
export function splitParams(params: ParamDefs, sharedDefs: ParamDefs): { own: [string, ParamDef][]; shared: string[] } {
  const own: [string, ParamDef][] = [];
  const shared: string[] = [];
  for (const [k, d] of Object.entries(params)) {
    if (isShared(sharedDefs, k, d)) shared.push(k);
    else own.push([k, d]);
  }
  return { own, shared };
}

function paramLine(c: ReturnType<typeof makeChalk>, k: string, d: ParamDef): string {
  const range = d.type === 'enum' ? d.values.join('|') : d.type === 'bool' ? 'true|false' : `${d.min}..${d.max}`;
  const swarm = d.swarm !== undefined ? c.dim(` swarm ${Array.isArray(d.swarm) ? (d.type === 'enum' ? d.swarm.join('|') : d.swarm.join('..')) : `p=${String(d.swarm)}`}`) : '';
  return `    ${k.padEnd(22)} ${c.dim(d.type.padEnd(5))} default ${String(d.default).padEnd(8)} ${c.dim(range)}${swarm}  ${d.doc}`;
}

function fit(s: string, width: number): string {
  return s.length <= width ? s : s.slice(0, Math.max(0, width - 1)) + '…';
}

export interface ListOptions {
  /** Print every parameter table (default: one line a scenario). */
  params: boolean;
  /** The shared fault parameters (faultParams()), shown once. */
  shared: ParamDefs;
  /** Line width for the one-line form (the terminal's, else 120). */
  width?: number;
}

/** Prints the scenarios; `named` says the user named them (then their tables are printed). */
export function printList(all: ScenarioInfo[], named: boolean, opts: ListOptions, out: Out): void {
  const c = makeChalk();
  const width = opts.width ?? process.stdout.columns ?? (Number(process.env.COLUMNS) || 120);
  const nameWidth = Math.min(28, Math.max(...all.map((l) => l.scenario.name.length), 4));
  let anyShared = false;
  if (!opts.params && !named) {
    for (const l of all) {
      const { own, shared } = splitParams(l.scenario.params, opts.shared);
      anyShared ||= shared.length > 0;
      const tail = `  (${own.length} param${own.length === 1 ? '' : 's'}${shared.length > 0 ? ' + faults' : ''})`;
      const desc = fit(l.scenario.description, Math.max(20, width - nameWidth - 2 - tail.length));
      out(`${c.cyan.bold(l.scenario.name.padEnd(nameWidth))}  ${desc}${c.dim(tail)}`);
    }
    out(c.dim(`${all.length} scenario(s). Parameters: detsim list <name> (or --params for all). Run one: npx detsim run <name> --seed 1`));
    return;
  }
  for (const l of all) {
    const { own, shared } = splitParams(l.scenario.params, opts.shared);
    anyShared ||= shared.length > 0;
    const where = l.builtIn ? '' : c.dim(`  (${path.relative(process.cwd(), l.file) || l.file})`);
    out(`${c.cyan.bold(l.scenario.name)}  ${l.scenario.description}${where}`);
    for (const [k, d] of own) out(paramLine(c, k, d));
    if (shared.length > 0) out(c.dim(`    + the ${shared.length} shared fault parameters (below)`));
  }
  if (anyShared) {
    out('');
    out(`${c.bold('shared fault parameters')} ${c.dim('(faultParams(): taken unchanged by the scenarios marked "+ faults"; pin them like any other, e.g. --param netLossRate=0)')}`);
    for (const [k, d] of Object.entries(opts.shared)) out(paramLine(c, k, d));
  }
  out(c.dim(`${all.length} scenario(s). Run one: npx detsim run <name> --seed 1`));
}

/** `detsim list --json`: every scenario with its full parameter table (unchanged format). */
export function listJson(all: ScenarioInfo[]): string {
  return JSON.stringify(all.map((l) => ({ name: l.scenario.name, description: l.scenario.description, file: path.relative(process.cwd(), l.file), params: l.scenario.params })), null, 2);
}
