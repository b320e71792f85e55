/**
 * One long `detsim run` in a process of its own, for the memory figure of bench/systems.ts:
 *   node --import tsx bench/memory-child.ts raft|broadcast [durationS]
 * (or `node dist/bench/memory-child.js ...`, compiled). It runs the command line's own code, as
 * `bin/detsim.js run <scenario> --seed 1 --no-swarm --param durationS=... --timeout 0 --json` does: the main
 * thread parses and prints, the seed runs in the watched worker thread with the default
 * --max-memory, and its report crosses back to the main thread. So the figure is the user's: the
 * whole process, both threads, as the OS counts it. It prints one JSON line: the command, events,
 * simulated seconds, outcome, trace hash, CPU seconds of the process and its peak RSS (MB: by
 * getrusage, and by /proc VmHWM where there is one).
 *
 * The length is pinned as simulated seconds (a `detsim run` has no event limit): DURATIONS gives
 * about 10 million events on this build; `events` in the output says how many there were.
 */
import { readFileSync } from 'node:fs';
import { main } from '../cli/main.ts';

/**
 * Simulated seconds for about 10 million events: raft-churn 9,989,637 events at 23,700 s before its
 * Ready ran at the end of its event (thirteenth round: 7,666,703 there, 10,006,347 at 33,100 s); broadcast
 * 9,904,688 at 28,000 s since its restarts resume from saved marks (fewer values resent: 6,967,156
 * at the 19,900 s pinned before; docs/performance.md, "Seventh round"). The bench's JSON says so in
 * a `note` when a build moves them.
 */
export const DURATIONS = { raft: 33_100, broadcast: 28_000 } as const;

/** The scenario and the parameters each run pins besides durationS (raft: the loaded store's operation budget). */
export const RUNS = {
  raft: { scenario: 'raft-churn', pins: ['maxOps=100000'] },
  broadcast: { scenario: 'broadcast', pins: [] as string[] },
} as const;

/** The `detsim run` arguments of one memory run. */
export function memoryRunArgs(which: 'raft' | 'broadcast', durationS: number): string[] {
  const r = RUNS[which];
  // No wall-clock limit: on a loaded machine a 10-million-event broadcast run takes longer than
  // the default 600 s, and a run stopped as hung measures nothing.
  return ['run', r.scenario, '--seed', '1', '--no-swarm', '--param', `durationS=${durationS}`, ...r.pins.flatMap((p) => ['--param', p]), '--timeout', '0', '--json'];
}

/** The kernel's own peak RSS of this process (VmHWM in /proc/self/status), where there is one (Linux). */
function vmHwmMb(): number | null {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

async function child(argv: string[]): Promise<number> {
  const which = argv[0];
  if (which !== 'raft' && which !== 'broadcast') {
    process.stderr.write('usage: memory-child.ts raft|broadcast [durationS]\n');
    return 2;
  }
  const durationS = Number(argv[1] ?? DURATIONS[which]);
  const args = memoryRunArgs(which, durationS);
  const out: string[] = [];
  const cpu0 = process.cpuUsage();
  const code = await main(args, { out: (l) => out.push(l), err: (l) => process.stderr.write(l + '\n') });
  const cpu = process.cpuUsage(cpu0);
  let r: { events?: number; simTimeNs?: number; outcome?: string; traceHash?: string; scriptEntries?: number; violations?: { invariant: string }[] } = {};
  try {
    r = JSON.parse(out.join('\n')) as typeof r;
  } catch {
    process.stderr.write(`memory-child: detsim ${args.join(' ')} printed no JSON (exit ${code})\n`);
    return 1;
  }
  process.stdout.write(
    `${JSON.stringify({
      scenario: RUNS[which].scenario,
      command: `detsim ${args.join(' ')}`,
      exitCode: code,
      events: r.events,
      simSeconds: Math.round((r.simTimeNs ?? 0) / 1e6) / 1e3,
      outcome: r.outcome,
      ...(r.outcome !== 'pass' ? { firstViolation: r.violations?.[0]?.invariant } : {}),
      traceHash: r.traceHash,
      scriptEntries: r.scriptEntries ?? 0,
      cpuSeconds: Math.round((cpu.user + cpu.system) / 1e4) / 100,
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      vmHwmMb: vmHwmMb(),
    })}\n`,
  );
  return 0;
}

// Run as a program (not when a test imports DURATIONS or memoryRunArgs).
if (/memory-child\.(ts|js)$/.test(process.argv[1] ?? '')) process.exitCode = await child(process.argv.slice(2));
