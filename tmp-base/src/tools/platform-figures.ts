/**
 * The platform's figures for docs/platform.md, measured: runs seeds `from..from+seeds-1` of a
 * platform scenario in-process (swarm and BUGGIFY on, as a sweep runs them) and reports
 *
 *  - simulated seconds per wall second and seeds per second (one process, this machine);
 *  - messages per confirmed order (every message of a run over its confirmed orders);
 *  - failover time by layer, each from the run's own trace, read by a god's-eye observer that
 *    draws no randomness and schedules nothing (the trace hash is the plain run's; checked):
 *      GeoDNS: a balancer's death to its region leaving the answers (the platform's
 *        `dnsFailoverMs`); a client sees it a TTL later at most (sticky clients: after 3 failures);
 *      balancer health: an app server's crash to its leaving its balancer's rotation;
 *      Raft election: the config store's leader lost (crashed, stepped down, or cut off from a
 *        majority of the store's servers) to a new leader elected;
 *      config watch: a config change's propagation to a balancer (the platform's `watchPropagationMs`).
 *
 *   npx tsx tools/platform-figures.ts [platform-global-sale] [--seeds 30] [--from 1] [--json out.json]
 *
 * Wall clock is read outside the simulation only.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { runScenario } from '../sim/runner.ts';
import type { Scenario, World } from '../sim/scenario.ts';
import type { TraceRecord } from '../sim/trace.ts';
import type { ParamDefs } from '../sim/params.ts';
import type { BalancerProgram } from '../systems/platform/balancer.ts';
import type { KvProgram } from '../systems/kv/server.ts';
import { resolveScenarios } from '../cli/scenarios.ts';

function usage(msg: string): never {
  process.stderr.write(`platform-figures: ${msg}\nusage: npx tsx tools/platform-figures.ts [scenario] [--seeds 30] [--from 1] [--json out.json]\n`);
  process.exit(2);
}

/** Median of a list (the mean of the two middle values for an even count). */
function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Failover samples (ms) by layer, from one run's trace. */
interface Failovers {
  lbHealthMs: number[];
  raftMs: number[];
  /** App-server crashes that ended (restart) before the balancer took the server out. */
  lbHealthUndetected: number;
}

/**
 * A god's-eye observer of one run: reads node states and link blocks at each trace record (no
 * events, no randomness) and times each layer's failover.
 */
function observer(w: () => World<unknown> | null): { sink: (r: TraceRecord) => void; out: Failovers } {
  const out: Failovers = { lbHealthMs: [], raftMs: [], lbHealthUndetected: 0 };
  // Balancer health: app server -> crash time, while it is still in its balancer's rotation.
  const crashed = new Map<string, number>();
  // Raft: the leader (milestones), when it was lost, and the term it led.
  let leader: { id: string; term: number } | null = null;
  let lostAt: number | null = null;
  let lostTerm = 0;
  const cfgIds = (world: World<unknown>): string[] => world.nodes.map((n) => n.id).filter((id) => /^cfg\d+$/.test(id));
  const leaderHealthy = (world: World<unknown>, id: string): boolean => {
    const me = world.node(id);
    if (!me.up) return false;
    const ids = cfgIds(world);
    const reach = ids.filter((s) => s === id || (world.node(s).up && !world.net.isBlocked(id, s) && !world.net.isBlocked(s, id))).length;
    return reach * 2 > ids.length;
  };
  const inRotation = (world: World<unknown>, app: string): boolean => {
    const region = app.split('-')[1]!;
    const lb = world.node(`lb-${region}`);
    const prog = lb.up ? (lb.program as BalancerProgram | null) : null;
    return prog !== null && prog.eligible().includes(app);
  };
  const sink = (r: TraceRecord): void => {
    const world = w();
    if (world === null || world.phase !== 'fault') return;
    const t = r.atNs;
    if (r.kind === 'crash' && /^app-/.test(r.node) && inRotation(world, r.node)) crashed.set(r.node, t);
    if (r.kind === 'start' && crashed.delete(r.node)) out.lbHealthUndetected++;
    for (const [app, t0] of crashed) {
      if (!inRotation(world, app)) {
        out.lbHealthMs.push((t - t0) / 1e6);
        crashed.delete(app);
      }
    }
    if (r.kind === 'milestone' && r.detail.startsWith('role-change ')) {
      const [, role, , term] = r.detail.split(' ');
      if (role === 'leader') {
        if (lostAt !== null && Number(term) > lostTerm) out.raftMs.push((t - lostAt) / 1e6);
        leader = { id: r.node, term: Number(term) };
        lostAt = null;
        return;
      }
      if (leader !== null && r.node === leader.id && lostAt === null) {
        lostAt = t;
        lostTerm = leader.term;
      }
    }
    if (leader !== null) {
      const ok = leaderHealthy(world, leader.id);
      if (!ok && lostAt === null) {
        lostAt = t;
        lostTerm = leader.term;
      } else if (ok && lostAt !== null && world.node(leader.id).up) {
        // Back in touch with a majority before anyone else was elected: no failover happened.
        const prog = world.node(leader.id).program as KvProgram | null;
        if (prog?.host.raft.role === 'leader') lostAt = null;
      }
    }
  };
  return { sink, out };
}

const args = process.argv.slice(2);
let seeds = 30;
let from = 1;
let json: string | null = null;
const patterns: string[] = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  const n = (): number => {
    const v = Number(args[++i]);
    if (!Number.isInteger(v) || v < 1) usage(`${a} wants a positive whole number, got ${args[i] ?? 'nothing'}`);
    return v;
  };
  if (a === '--seeds') seeds = n();
  else if (a === '--from') from = n();
  else if (a === '--json') json = args[++i] ?? usage('--json wants a file name');
  else if (a.startsWith('--')) usage(`unknown option ${a}`);
  else patterns.push(a);
}
if (patterns.length > 1) usage('name one platform scenario');
const loaded = (await resolveScenarios(patterns.length === 0 ? ['platform-global-sale'] : patterns).catch((e: unknown) => usage(e instanceof Error ? e.message : String(e))))[0]!;
const base = loaded.scenario as unknown as Scenario<ParamDefs>;

const q = (xs: number[]): string => {
  if (xs.length === 0) return 'no samples';
  const s = [...xs].sort((a, b) => a - b);
  return `median ${median(s).toFixed(0)} ms, p90 ${s[Math.min(s.length - 1, Math.ceil(0.9 * s.length) - 1)]!.toFixed(0)} ms, max ${s[s.length - 1]!.toFixed(0)} ms (n=${s.length})`;
};

let simNs = 0;
let wallMs = 0;
let messages = 0;
let confirmed = 0;
let failed = 0;
let hashChecked = false;
const perRunMsgsPerOrder: number[] = [];
const dnsMs: number[] = [];
const ttlMs: number[] = [];
const watchP50: number[] = [];
const all: Failovers = { lbHealthMs: [], raftMs: [], lbHealthUndetected: 0 };
for (let seed = from; seed < from + seeds; seed++) {
  let world: World<unknown> | null = null;
  const scn: Scenario<ParamDefs> = { ...base, setup: (w, p) => ((world = w as World<unknown>), base.setup(w, p)) };
  const obs = observer(() => world);
  const t0 = performance.now(); // wallclock-ok
  const r = runScenario(scn, { seed, traceSink: obs.sink });
  wallMs += performance.now() - t0; // wallclock-ok
  if (!hashChecked) {
    // The observer must not change the run: same trace hash as the plain run.
    const plain = runScenario(base, { seed });
    if (plain.traceHash !== r.traceHash) usage(`the observer changed seed ${seed}'s trace (${plain.traceHash} vs ${r.traceHash}); its figures would not be the scenario's`);
    hashChecked = true;
  }
  if (!r.ok) failed++;
  simNs += r.simTimeNs;
  const m = r.metrics.platform as { messages: number; confirmed: number; dnsFailoverMs: number[]; watchPropagationMs: { p50?: number } | null };
  messages += m.messages;
  confirmed += m.confirmed;
  if (m.confirmed > 0) perRunMsgsPerOrder.push(m.messages / m.confirmed);
  dnsMs.push(...m.dnsFailoverMs);
  ttlMs.push(Number((r.params as Record<string, unknown>).ttlMs));
  if (m.watchPropagationMs?.p50 !== undefined) watchP50.push(m.watchPropagationMs.p50);
  all.lbHealthMs.push(...obs.out.lbHealthMs);
  all.raftMs.push(...obs.out.raftMs);
  all.lbHealthUndetected += obs.out.lbHealthUndetected;
}

const when = new Date().toISOString().slice(0, 16).replace('T', ' '); // wallclock-ok
const cpu = os.cpus();
const machine = `${cpu.length} x ${cpu[0]?.model.trim() ?? 'cpu'}, load average ${os.loadavg()[0]!.toFixed(1)} at the end`;
const ttlS = [...ttlMs].sort((a, b) => a - b);
const cmd = `npx tsx tools/platform-figures.ts ${base.name} --seeds ${seeds}${from !== 1 ? ` --from ${from}` : ''}`;
console.log(`${base.name}, seeds ${from}-${from + seeds - 1} (${failed} failed), ${when} UTC, ${machine}; \`${cmd}\``);
console.log('');
console.log('| figure | value |');
console.log('|---|---|');
console.log(`| simulated seconds per wall second | ${(simNs / 1e9 / (wallMs / 1000)).toFixed(1)} (one process; ${(simNs / 1e9 / seeds).toFixed(1)} s simulated a run) |`);
console.log(`| seeds per second | ${(seeds / (wallMs / 1000)).toFixed(2)} (one process) |`);
console.log(`| messages per confirmed order | ${confirmed === 0 ? 'no orders' : (messages / confirmed).toFixed(0)} overall (${messages} messages, ${confirmed} orders); median of runs ${perRunMsgsPerOrder.length === 0 ? '-' : median(perRunMsgsPerOrder).toFixed(0)} |`);
console.log(`| failover, GeoDNS (a balancer's death to its region out of the answers) | ${q(dnsMs)}; clients see it up to a TTL later (TTL ${ttlS[0]!.toFixed(0)}-${ttlS[ttlS.length - 1]!.toFixed(0)} ms in these runs, median ${median(ttlS).toFixed(0)} ms) |`);
console.log(`| failover, balancer health (an app server's crash to out of its balancer's rotation) | ${q(all.lbHealthMs)}; ${all.lbHealthUndetected} crash(es) restarted before detection |`);
console.log(`| failover, Raft election (config store leader lost to a new leader) | ${q(all.raftMs)} |`);
console.log(`| config change to a balancer (watch propagation, per-run p50) | ${q(watchP50)} |`);
if (json !== null)
  writeFileSync(json, JSON.stringify({ scenario: base.name, from, seeds, failed, when, machine, simS: simNs / 1e9, wallS: wallMs / 1000, messages, confirmed, dnsMs, ttlMs, lbHealthMs: all.lbHealthMs, lbHealthUndetected: all.lbHealthUndetected, raftMs: all.raftMs, watchP50 }, null, 2) + '\n');
