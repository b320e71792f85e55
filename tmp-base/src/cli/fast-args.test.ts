/**
 * The fast path of the command line (cli/fast-args.ts) reads exactly what yargs reads for every
 * input it accepts, and leaves everything else (help, errors, unusual forms) to yargs.
 */
import { describe, expect, it } from 'vitest';
import { fastParse } from './fast-args.ts';
import { COMMAND_SPECS, parseWithYargs } from './main.ts';

type Parsed = { command: string; argv: Record<string, unknown> } | { output: string } | { error: string };

/** What yargs makes of `args`: the command and its argv, help/version text, or the usage error. */
async function viaYargs(args: string[]): Promise<Parsed> {
  let seen: { command: string; argv: Record<string, unknown> } | null = null;
  try {
    const { output } = await parseWithYargs(args, async (command, argv) => {
      seen = { command, argv: { ...argv } };
      return 0;
    });
    return seen ?? { output };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** yargs' argv without its own bookkeeping ($0) for comparison. */
function comparable(argv: Record<string, unknown>): Record<string, unknown> {
  const { $0: _script, ...rest } = argv;
  return rest;
}

const ACCEPTED: string[][] = [
  ['list'],
  ['list', 'broadcast'],
  ['list', 'raft-*', 'broadcast', '--params'],
  ['list', '--json'],
  ['list', '--no-json', 'all'],
  ['run', 'broadcast', '--seed', '1'],
  ['run', 'broadcast', '--seed=12345678901234567890'],
  ['run', './my/scenario.ts', '--seed', '0', '--param', 'nodes=3'],
  ['run', 'raft-churn', '--seed', '2', '--param', 'nodes=3', '--param', 'clients=2', '--no-swarm', '--no-buggify', '--json'],
  ['run', 'broadcast', '--seed', '1', '--trace', 't.jsonl', '--timeline', 't.html', '--repro', 'r.json', '--timeout', '5', '--max-memory', '256', '--lines', '10', '--check-determinism'],
  ['run', '--seed', '4', 'broadcast'],
  ['run', 'broadcast', '--seed', 'abc'],
  ['sweep', 'broadcast', '--seeds', '200', '--jobs', '2'],
  ['sweep', 'raft-*', 'crdt-*', '--seeds', '20', '--from', '5', '--shard', '2/4', '--out', 'o', '--run-id', 'x1', '--junit', 'j.xml', '--markdown', 'm.md', '--html', 'h.html', '--seed-timeout', '0', '--max-memory', '512', '--guided', '--per-seed', '--json'],
  ['sweep', 'broadcast', '--seeds', '3', '--param', 'a=1', '--param=b=2', '--no-swarm'],
  ['check', 'h.txt', '--model', 'kv'],
  ['check', 'h.edn', '--model=etcd', '--json', '--timeout', '50'],
];

const DECLINED: string[][] = [
  [],
  ['--help'],
  ['--version'],
  ['run', '--help'],
  ['list', '--help'],
  ['frob'],
  ['merge', 'x'],
  ['replay', 'r.json'],
  ['run', 'broadcast'],
  ['run', 'broadcast', '--seed'],
  ['run', 'broadcast', '--seed', '-1'],
  ['run', 'broadcast', '--seed', '1', '--seed', '2'],
  ['run', 'broadcast', '--seed', '1', 'extra'],
  ['run', 'broadcast', '--seed', '1', '--bogus'],
  ['run', 'broadcast', '--seed', '1', '-x'],
  ['run', 'broadcast', '--seed', '1', '--json', 'false'],
  ['run', 'broadcast', '--seed', '1', '--json=true'],
  ['run', 'broadcast', '--seed', '1', '--no-seed'],
  ['run', 'broadcast', '--seed', '1', '--checkDeterminism'],
  ['run', 'broadcast', '--seed', '1', '--', 'x'],
  ['run', 'broadcast', '--seed='],
  ['sweep', 'broadcast'],
  ['sweep', '--seeds', '3'],
  ['check', 'h.txt'],
  ['check', 'h.txt', '--model', 'raft'],
  ['list', '--json', '--json'],
  ['list', '--params', 'true'],
];

describe('the fast command line', () => {
  it('reads every plain form exactly as yargs does (the same argv, defaults included)', async () => {
    for (const args of ACCEPTED) {
      const fast = fastParse(args, COMMAND_SPECS);
      expect(fast, args.join(' ')).not.toBeNull();
      const y = await viaYargs(args);
      expect('command' in y, `${args.join(' ')}: yargs ${JSON.stringify(y)}`).toBe(true);
      if (!('command' in y)) continue;
      expect(fast!.command).toBe(y.command);
      expect(fast!.argv, args.join(' ')).toEqual(comparable(y.argv));
    }
  });

  it('leaves help, version, other commands and every input yargs rejects or reads its own way to yargs', async () => {
    for (const args of DECLINED) expect(fastParse(args, COMMAND_SPECS), args.join(' ')).toBeNull();
    // Whatever yargs rejects, the fast path never accepts (it would run a command yargs refuses).
    for (const args of DECLINED) {
      const y = await viaYargs(args);
      if ('error' in y) expect(fastParse(args, COMMAND_SPECS), args.join(' ')).toBeNull();
    }
  });

  it('agrees with yargs on random mixes of the commands\' words', async () => {
    // Tokens from every table plus a few strangers; each accepted mix must parse as yargs parses it.
    const words = ['list', 'run', 'sweep', 'check', 'broadcast', 'raft-*', 'h.txt', '1', '7', 'kv', 'etcd', 'x=1', '--seed', '--seeds', '--jobs', '--param', '--json', '--no-json', '--params', '--model', '--timeout', '--out', '--no-swarm', '--guided', '--bogus', '--seed=3', '-j', 'true'];
    let state = 12345;
    const rand = (n: number): number => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state % n;
    };
    let accepted = 0;
    for (let i = 0; i < 1500; i++) {
      const args = [['list', 'run', 'sweep', 'check'][rand(4)]!, ...Array.from({ length: rand(7) }, () => words[rand(words.length)]!)];
      const fast = fastParse(args, COMMAND_SPECS);
      if (fast === null) continue;
      accepted++;
      const y = await viaYargs(args);
      expect('command' in y, `${args.join(' ')}: yargs ${JSON.stringify(y)}`).toBe(true);
      if ('command' in y) expect(fast.argv, args.join(' ')).toEqual(comparable(y.argv));
    }
    expect(accepted).toBeGreaterThan(50);
  });
});
