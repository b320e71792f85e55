/**
 * The command line of the commands people run most (list, run, sweep, check) read without yargs,
 * which costs about 0.1 s of CPU to load before any work. It accepts only the plain forms:
 * `--name value`, `--name=value`, `--flag`, `--no-flag` for the options of the command's table
 * (cli/main.ts COMMAND_SPECS), `--param` repeated, and the positionals the command takes. Anything
 * else (--help, --version, an unknown or repeated option, a missing value or argument, a value
 * that starts with '-', `--`, short options, a bad choice) returns null and goes through yargs,
 * so help, errors and every edge case behave exactly as before. What it accepts it reads into the
 * same argv yargs gives the command (cli/fast-args.test.ts compares the two on many inputs).
 */
import type { CommandSpec } from './main.ts';

/** Options that may be given more than once (yargs then gives an array). */
const REPEATABLE = new Set(['param']);

export interface FastParsed {
  command: string;
  argv: Record<string, unknown>;
}

/** `args` read as yargs would read them, or null when only yargs should (see above). */
export function fastParse(args: readonly string[], specs: Record<string, CommandSpec>): FastParsed | null {
  const command = args[0];
  if (command === undefined || !Object.hasOwn(specs, command)) return null;
  const spec = specs[command]!;
  const argv: Record<string, unknown> = { _: [command] };
  const given = new Set<string>();
  const positionals: string[] = [];
  for (let i = 1; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('-')) {
      positionals.push(a);
      continue;
    }
    if (!a.startsWith('--') || a === '--') return null;
    let name = a.slice(2);
    let value: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(name)) return null;
    let negated = false;
    if (!Object.hasOwn(spec.options, name) && name.startsWith('no-')) {
      name = name.slice(3);
      negated = true;
    }
    if (!Object.hasOwn(spec.options, name)) return null;
    const def = spec.options[name]!;
    if (def.type === 'boolean') {
      // `--json true` / `--json=false`: yargs reads these its own way.
      if (value !== undefined) return null;
      const next = args[i + 1];
      if (next === 'true' || next === 'false') return null;
      if (given.has(name)) return null;
      given.add(name);
      argv[name] = !negated;
      continue;
    }
    if (negated) return null;
    if (value === undefined) {
      i++;
      value = args[i];
      if (value === undefined) return null;
    }
    if (value === '' || value.startsWith('-')) return null;
    if (def.choices !== undefined && !def.choices.includes(value)) return null;
    if (given.has(name)) {
      if (!REPEATABLE.has(name)) return null;
      const prev = argv[name];
      argv[name] = [...(Array.isArray(prev) ? prev : [prev]), value];
    } else argv[name] = value;
    given.add(name);
  }
  for (const [name, def] of Object.entries(spec.options)) {
    if (given.has(name)) continue;
    if (def.demandOption) return null;
    if (def.default !== undefined) argv[name] = def.default;
  }
  let p = 0;
  for (const { name, def } of spec.positionals) {
    if (def.array) {
      const rest = positionals.slice(p);
      p = positionals.length;
      if (rest.length === 0 && def.demandOption) return null;
      argv[name] = rest;
    } else {
      const v = positionals[p++];
      if (v === undefined) return null;
      argv[name] = v;
    }
  }
  if (p < positionals.length) return null;
  // yargs also gives every dashed option in camelCase (check-determinism: checkDeterminism).
  for (const k of Object.keys(argv)) {
    if (k.includes('-')) argv[k.replace(/-([a-z0-9])/g, (_m, ch: string) => ch.toUpperCase())] = argv[k];
  }
  return { command, argv };
}
