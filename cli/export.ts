/**
 * `detsim export <repro> --out FILE.ts`: a repro's script as a vitest test a person reads and
 * edits. Every fault and client operation is a named step at its simulated time
 * (`at(sec(1.204), crash('n3', { for: ms(300) }))`), played by meaning (testing/script.ts), so the
 * test does not depend on the PRNG draws of the build that found the bug: it still runs after the
 * code under test changes, and a user can move a crash or delete a partition to see what the bug
 * needs. The expected verdict is the recorded failure; flip it to `hold` once the bug is fixed.
 */
import path from 'node:path';
import type { ScriptEntry } from '../sim/decisions.ts';
import type { Repro } from '../reports/repro.ts';

/** The test file's text. `scenarioImport` is the module to import a non-built-in scenario from (relative to the file). */
export function exportTest(repro: Repro, o: { source: string; scenarioImport?: string }): string {
  const script = repro.script ?? [];
  const invariant = repro.violations[0]?.invariant ?? null;
  const used = new Set<string>(['at', 'runScript', 'expectVerdict']);
  const steps = script.map((e) => step(e, used));
  const time = new Set<string>();
  for (const s of steps) for (const f of ['sec', 'ms']) if (s.includes(`${f}(`)) time.add(f);
  const lines: string[] = [];
  const title = `${repro.scenario} seed ${repro.seed}${repro.params.bug !== undefined ? ` (bug=${String(repro.params.bug)})` : ''}`;
  lines.push('/**');
  lines.push(` * ${title}: ${invariant !== null ? `${invariant} fails` : `the run ends ${repro.outcome}`}.`);
  lines.push(` * Exported by \`detsim export\` from ${o.source}${repro.commit ? ` (made at commit ${repro.commit})` : ''}.`);
  lines.push(' *');
  lines.push(' * The faults and client operations below are played by meaning, not drawn from the PRNG: the');
  lines.push(' * nemesis of the scenario is silenced, and the network, BUGGIFY and the clients do exactly what');
  lines.push(' * the script names ({ event: k }: the fault lands after the first k events of its instant, as');
  lines.push(' * recorded). Edit it (move a crash, delete a partition) to see what the bug needs; once');
  lines.push(" * the bug is fixed, set EXPECTED to { verdict: 'hold' } and keep the test as a regression.");
  lines.push(' */');
  lines.push("import { describe, it } from 'vitest';");
  if (time.size > 0) lines.push(`import { ${[...time].sort().join(', ')} } from 'detsim';`);
  lines.push(`import { ${[...used].sort().join(', ')}, type Verdict } from 'detsim/testing';`);
  if (o.scenarioImport !== undefined) lines.push(`import scenario from '${o.scenarioImport}';`);
  lines.push('');
  lines.push(`const SEED = ${repro.seed};`);
  lines.push('');
  lines.push('/** Every parameter of the run (edit one to try a variant). */');
  lines.push(`const PARAMS: Record<string, unknown> = ${objectLiteral(repro.params)};`);
  lines.push('');
  lines.push(`/** ${countLine(script)} */`);
  lines.push('const SCRIPT = [');
  for (const s of steps) lines.push(`  ${s},`);
  lines.push('];');
  lines.push('');
  lines.push(`const EXPECTED: Verdict = ${invariant !== null ? `{ verdict: 'fail', invariant: ${q(invariant)} }` : "{ verdict: 'hold' }"};`);
  lines.push('');
  lines.push(`describe(${q(title)}, () => {`);
  lines.push(`  it(EXPECTED.verdict === 'fail' ? \`fails \${EXPECTED.invariant}\` : 'holds every invariant', async () => {`);
  lines.push(`    const r = await runScript({ scenario: ${o.scenarioImport !== undefined ? 'scenario' : q(repro.scenario)}, seed: SEED, params: PARAMS, buggify: ${repro.buggify}, script: SCRIPT });`);
  lines.push('    expectVerdict(r, EXPECTED);');
  lines.push('  }, 120_000);');
  lines.push('});');
  return lines.join('\n') + '\n';
}

function countLine(script: readonly ScriptEntry[]): string {
  const faults = script.filter((e) => e.kind !== 'op').length;
  return `The script: ${faults} fault(s) and ${script.length - faults} client operation(s), in simulated time.`;
}

/** ns as `sec(1.204)` or `ms(300)`, exact to the ns. */
function t(ns: number): string {
  if (ns >= 1e9) return `sec(${trim(ns / 1e9)})`;
  return `ms(${trim(ns / 1e6)})`;
}

function trim(x: number): string {
  return String(Number(x.toFixed(9)));
}

function lasting(d: number | null): string {
  return d === null ? '' : `{ for: ${t(d)} }`;
}

function healed(d: number | undefined): string {
  return d === undefined ? '' : `{ healedAfter: ${t(d)} }`;
}

function args(...xs: string[]): string {
  return xs.filter((x) => x !== '').join(', ');
}

const q = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
const list = (xs: readonly string[]): string => `[${xs.map(q).join(', ')}]`;

function step(e: ScriptEntry, used: Set<string>): string {
  const call = (name: string, ...a: string[]): string => {
    used.add(name);
    const p = e as { event?: number; endEvent?: number; tail?: number; endTail?: number };
    // An event of 0 is the default; a tail of 0 is the tail's first function, so only an absent tail is left out.
    const where = [p.event ? `event: ${p.event}` : '', p.endEvent ? `endEvent: ${p.endEvent}` : '', p.tail !== undefined ? `tail: ${p.tail}` : '', p.endTail !== undefined ? `endTail: ${p.endTail}` : ''];
    const place = where.some((x) => x !== '') ? `, { ${where.filter((x) => x !== '').join(', ')} }` : '';
    return `at(${t(e.atNs)}, ${name}(${args(...a)})${place})`;
  };
  switch (e.kind) {
    case 'crash':
      return call('crash', q(e.node), e.mode === 'torn' ? (e.durNs === null ? '{ torn: true }' : `{ for: ${t(e.durNs)}, torn: true }`) : lasting(e.durNs));
    case 'start':
      return call('restart', q(e.node));
    case 'pause':
      return call('pause', q(e.node), t(e.durNs));
    case 'partition':
      switch (e.shape) {
        case 'partition':
          return call('partition', `[${e.groups.map(list).join(', ')}]`, lasting(e.durNs));
        case 'split':
          return call('split', `[${e.groups.map(list).join(', ')}]`, lasting(e.durNs));
        case 'isolate':
          return call('isolate', q(e.node), lasting(e.durNs));
        case 'cut':
          return call('cut', q(e.a), q(e.b), lasting(e.durNs));
        case 'one-way':
          return call('oneWay', q(e.from), q(e.to), lasting(e.durNs));
        case 'bridge':
          return call('bridge', list(e.sideA), list(e.sideB), q(e.bridge), lasting(e.durNs));
        case 'ring':
          return call('ring', list(e.order), lasting(e.durNs));
      }
      break;
    case 'uncut':
      return call('uncut', q(e.from), q(e.to));
    case 'clog':
      return call('clog', q(e.from), q(e.to), t(e.durNs), healed(e.healNs));
    case 'clog-node':
      return call('clogNode', q(e.node), t(e.durNs), healed(e.healNs));
    case 'clock-step':
      return call('clockStep', q(e.node), String(e.deltaNs));
    case 'clock-drift':
      return call('clockDrift', q(e.node), String(e.ppm));
    case 'disk-full':
      return call('diskFull', q(e.node), lasting(e.durNs));
    case 'disk-slow':
      return call('diskSlow', q(e.node), trim(e.factor), lasting(e.durNs));
    case 'drop':
      return call('dropMessage', q(e.from), q(e.to), String(e.n));
    case 'duplicate':
      return call('duplicateMessage', q(e.from), q(e.to), String(e.n));
    case 'reorder':
      return call('reorderMessage', q(e.from), q(e.to), String(e.n), String(e.extraNs), ...(e.copy !== 0 ? [String(e.copy)] : []));
    case 'buggify':
      return call('buggifyFires', q(e.site), String(e.n), q(e.node));
    case 'op':
      return call('clientOp', q(e.client), String(e.n), objectLiteral(e.op));
    case 'device-down':
      return call('deviceDown', q(e.device), q(e.how), lasting(e.durNs));
    case 'device-slow':
      return call('deviceSlow', q(e.device), trim(e.factor), lasting(e.durNs));
    case 'device-wear-out':
      return call('deviceWearOut', q(e.device), String(e.budget));
    case 'cxl-poison':
      return call('cxlPoison', q(e.device), String(e.addr));
    case 'rule-drop':
      return call('ruleDrop', q(e.from), q(e.to), String(e.n));
    case 'delay':
      return call('delayMessage', q(e.from), q(e.to), String(e.n), String(e.latencyNs), ...(e.copy !== 0 ? [String(e.copy)] : []));
    case 'disk-error':
      return call('diskError', q(e.node), q(e.op), String(e.n));
    case 'disk-corrupt':
      return call('diskCorrupt', q(e.node), String(e.n));
    case 'disk-torn':
      return call('diskTorn', q(e.node), String(e.n), String(e.keep), String(e.torn));
    case 'device':
      return call('deviceFault', q(e.device), q(e.fault), String(e.n), ...(e.arg !== undefined ? [String(e.arg)] : []));
  }
  return `at(${t((e as ScriptEntry).atNs)}, ${JSON.stringify(e)} as never)`;
}

/** A JSON object as a TypeScript literal with bare keys where possible. */
function objectLiteral(o: Record<string, unknown>): string {
  const parts = Object.entries(o).map(([k, v]) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k)}: ${typeof v === 'string' ? q(v) : JSON.stringify(v)}`);
  return `{ ${parts.join(', ')} }`;
}

/** The import path of a scenario file from the exported test's folder. */
export function relativeImport(fromFile: string, scenarioFile: string): string {
  let rel = path.relative(path.dirname(path.resolve(fromFile)), scenarioFile).split(path.sep).join('/');
  if (!rel.startsWith('.')) rel = `./${rel}`;
  return rel;
}
