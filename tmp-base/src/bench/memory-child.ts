/**
 * One long run in a process of its own, for the memory figure of bench/systems.ts:
 *   node --import tsx bench/memory-child.ts raft|broadcast [events]
 * prints one JSON line: events, simulated seconds, outcome, peak RSS (MB, from the OS: the whole
 * process, heap and all: by getrusage, and by /proc VmHWM where there is one) and the heap used
 * at the end.
 *
 * The run is long enough for `events` (default 10 million): its fault phase is set far longer than
 * needed and the event limit stops it (outcome `no-progress` then only means "the limit was hit").
 */
import { readFileSync } from 'node:fs';
import { runScenario } from '../sim/runner.ts';
import broadcast from '../scenarios/broadcast.ts';
import raftChurn from '../scenarios/raft-churn.ts';

/** Broadcast runs at its defaults (two clients, a value every 50 ms each, the standard faults). */
export const BROADCAST_PINS: Record<string, unknown> = {};

const which = process.argv[2];
const events = Number(process.argv[3] ?? 10_000_000);
if (which !== 'raft' && which !== 'broadcast') {
  process.stderr.write('usage: memory-child.ts raft|broadcast [events]\n');
  process.exit(2);
}
const cpu0 = process.cpuUsage();
const r =
  which === 'raft'
    ? runScenario(raftChurn, { seed: 1, swarm: false, pins: { durationS: 86400, maxOps: 100_000 }, maxEvents: events })
    : runScenario(broadcast, { seed: 1, swarm: false, pins: { durationS: 86400, ...BROADCAST_PINS }, maxEvents: events });
const cpu = process.cpuUsage(cpu0);
process.stdout.write(
  `${JSON.stringify({
    scenario: which === 'raft' ? 'raft-churn' : 'broadcast',
    events: r.events,
    simSeconds: Math.round(r.simTimeNs / 1e6) / 1e3,
    outcome: r.outcome,
    cpuSeconds: Math.round((cpu.user + cpu.system) / 1e4) / 100,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    heapUsedMbAtEnd: Math.round(process.memoryUsage().heapUsed / 1048576),
    vmHwmMb: vmHwmMb(),
  })}\n`,
);

/** The kernel's own peak RSS of this process (VmHWM in /proc/self/status), where there is one (Linux). */
function vmHwmMb(): number | null {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}
