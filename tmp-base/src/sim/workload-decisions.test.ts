/**
 * Every system's workload is recorded by meaning and scriptable (sim/decisions.ts), not only the
 * Raft register clients: the CRDT sessions, the load balancer's clients, the escrow buyers and
 * scalpers, the hardware KV clients and CXL buyers, the platform's shoppers and operators, and the
 * broadcast clients. For each:
 *  - a run records its clients' operations, named by client and ordinal, with their meaning;
 *  - the run driven by its own recorded script is the same run: the same trace, record for record
 *    (what a kernel's event numbering and the silenced nemeses' own wording aside: see `digest`),
 *    and the same verdict;
 *  - a script without the operations silences the workload: the clients send no request during the
 *    fault phase, though their timing draws still happen;
 *  - an edited operation runs as edited.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { resolveScenario } from '../cli/scenarios.ts';
import type { ScriptEntry, WorkloadOp } from './decisions.ts';
import type { ParamDefs } from './params.ts';
import { runScenario, type RunResult } from './runner.ts';
import type { Scenario } from './scenario.ts';
import type { TraceRecord } from './trace.ts';
import { ZOO } from '../tools/bug-zoo-entries.ts';

interface Case {
  system: string;
  scenario: string;
  seed: number;
  pins: Record<string, unknown>;
  /** The workload's clients, as the script names them. */
  clients: RegExp;
  /** What every recorded operation of those clients looks like. */
  shape: (op: Record<string, unknown>) => boolean;
  /** The request messages the operations send (the workload's own; not DNS, leases, ...). */
  requests: string[];
  /** Senders of those requests (a client, or the server a shopper's request is forwarded by). */
  senders: RegExp;
}

const isStr = (x: unknown): x is string => typeof x === 'string';

const CASES: Case[] = [
  {
    system: 'crdt', scenario: 'crdt-orset-churn', seed: 1, pins: { bug: 'none' }, clients: /^c-/, requests: ['op', 'read'], senders: /^c-/,
    shape: (o) => isStr(o.region) && ['add', 'remove', 'read', 'incr', 'set', 'insert'].includes(o.kind as string) && isStr(o.key),
  },
  { system: 'lb', scenario: 'lb-crash', seed: 1, pins: { bug: 'none' }, clients: /^c\d+\/conn\d+$/, requests: ['req'], senders: /^c\d+$/, shape: (o) => isStr(o.lb) && /^lb/.test(o.lb) },
  {
    system: 'escrow', scenario: 'escrow-flash-sale', seed: 1, pins: { bug: 'none' }, clients: /^b-/, requests: ['hold', 'confirm', 'cancel'], senders: /^b-/,
    shape: (o) => (o.op === 'hold' && Number.isInteger(o.seats) && (o.seats as number) >= 1) || ['pay', 'cancel', 'walk-away'].includes(o.op as string),
  },
  { system: 'escrow scalpers', scenario: 'escrow-reaper', seed: 1, pins: { bug: 'none' }, clients: /^scalper-/, requests: ['hold'], senders: /^scalper-/, shape: (o) => o.op === 'hold' && Number.isInteger(o.seats) },
  {
    system: 'hwkv', scenario: 'hw-accelerated-kv', seed: 1, pins: { bug: 'none' }, clients: /-client\d+$/, requests: ['req'], senders: /-client\d+$/,
    shape: (o) => (['put', 'get'].includes(o.op as string) && isStr(o.key)) || (o.op === 'scan' && isStr(o.lo) && isStr(o.hi) && ['rows', 'sum'].includes(o.agg as string)),
  },
  { system: 'hw cxl', scenario: 'hw-cxl-escrow', seed: 1, pins: { bug: 'none' }, clients: /^buyer\d+$/, requests: ['sell'], senders: /^buyer\d+$/, shape: (o) => o.op === 'buy' && isStr(o.at) },
  {
    system: 'platform shoppers', scenario: 'platform-global-sale', seed: 1, pins: { bug: 'none' }, clients: /^shop-/, requests: ['cart', 'checkout'], senders: /^shop-/,
    shape: (o) => (['add', 'remove'].includes(o.op as string) && isStr(o.item)) || o.op === 'checkout',
  },
  { system: 'broadcast', scenario: 'broadcast', seed: 1, pins: { bug: 'none' }, clients: /^c\d+$/, requests: ['broadcast'], senders: /^c\d+$/, shape: (o) => o.op === 'broadcast' && Number.isInteger(o.value) && isStr(o.via) },
];

/**
 * A digest of a trace by meaning: every record (message deliveries and drops with their bodies,
 * crashes, restarts, pauses, partitions, BUGGIFY fires, violations) but its kernel event number
 * (a script's player adds events of its own, so the kernel's trace hash, which folds in every
 * event's time, differs), a silenced nemesis's commentary ('directed', 'transfer-crash': it no
 * longer strikes),
 * and heal lines (a nemesis's heal also logs when nothing was cut, and words it differently from a
 * scripted partition's end; what a heal changes shows in the deliveries that follow).
 */
function digest(sink: (fn: (r: TraceRecord) => void) => RunResult): { hash: string; records: number; result: RunResult } {
  const h = createHash('sha256');
  let records = 0;
  const result = sink((r) => {
    if (r.kind === 'directed' || r.kind === 'transfer-crash' || r.kind === 'heal') return;
    const { eventIndex: _, ...rest } = r;
    h.update(JSON.stringify(rest));
    records++;
  });
  return { hash: h.digest('hex'), records, result };
}

async function load(name: string): Promise<Scenario<ParamDefs>> {
  return (await resolveScenario(name)).scenario as Scenario<ParamDefs>;
}

const ops = (s: readonly ScriptEntry[] | undefined): (WorkloadOp & { atNs: number })[] => (s ?? []).filter((e): e is WorkloadOp & { atNs: number } => e.kind === 'op');

/** Workload requests sent during the fault phase (when operations are decisions), from the trace. */
function requestsSent(c: Case, run: (sink: (r: TraceRecord) => void) => RunResult): { count: number; result: RunResult; bodies: string[] } {
  const sent: { atNs: number; body: string }[] = [];
  const result = run((r) => {
    const m = r.msg;
    if (m === undefined || m.reply || !c.requests.includes(m.type) || !c.senders.test(m.from)) return;
    if (r.kind !== 'recv' && r.kind !== 'drop') return;
    sent.push({ atNs: m.sentAtNs, body: m.body });
  });
  const inFault = sent.filter((x) => x.atNs < result.faultPhaseNs);
  return { count: inFault.length, result, bodies: inFault.map((x) => x.body) };
}

describe('every system\'s workload as recorded decisions', () => {
  for (const c of CASES) {
    it(`${c.system} (${c.scenario} seed ${c.seed}): operations recorded by meaning; the run driven by its script is the same run; without them the clients send nothing`, async () => {
      const scn = await load(c.scenario);
      const rec = digest((sink) => runScenario(scn, { seed: c.seed, pins: c.pins, traceSink: sink }));
      const mine = ops(rec.result.script).filter((e) => c.clients.test(e.client));
      expect(mine.length, 'operations recorded').toBeGreaterThan(3);
      for (const e of mine) expect(c.shape(e.op), JSON.stringify(e)).toBe(true);
      // Named by client and ordinal: no two the same.
      expect(new Set(mine.map((e) => `${e.client}#${e.n}`)).size).toBe(mine.length);

      const params = rec.result.params;
      const replay = digest((sink) => runScenario(scn, { seed: c.seed, pins: params, swarm: false, script: rec.result.script, traceSink: sink }));
      expect(replay.result.scripted).toBe(true);
      expect(replay.records).toBe(rec.records);
      expect(replay.hash).toBe(rec.hash);
      expect(replay.result.violations.map((v) => v.invariant)).toEqual(rec.result.violations.map((v) => v.invariant));

      // The same script without the operations: the faults as before, the workload silent.
      const before = requestsSent(c, (sink) => runScenario(scn, { seed: c.seed, pins: params, swarm: false, script: rec.result.script, traceSink: sink }));
      expect(before.count).toBeGreaterThan(0);
      const noOps = (rec.result.script ?? []).filter((e) => !(e.kind === 'op' && c.clients.test(e.client)));
      const silent = requestsSent(c, (sink) => runScenario(scn, { seed: c.seed, pins: params, swarm: false, script: noOps, traceSink: sink }));
      expect(silent.count).toBe(0);
    }, 120_000);
  }

  it('every bug-zoo entry (seed 1, swarm and BUGGIFY on): the run driven by its recorded script is the same run, with the same verdict', async () => {
    const differ: string[] = [];
    for (const z of ZOO) {
      const scn = await load(z.scenario);
      const pins = { ...z.pins, bug: z.bug };
      const rec = digest((sink) => runScenario(scn, { seed: 1, pins, traceSink: sink }));
      const replay = digest((sink) => runScenario(scn, { seed: 1, pins: rec.result.params, swarm: false, script: rec.result.script, traceSink: sink }));
      const verdict = (r: RunResult): string => r.violations[0]?.invariant ?? r.outcome;
      if (replay.hash !== rec.hash || verdict(replay.result) !== verdict(rec.result)) differ.push(`${z.scenario} bug=${z.bug}: ${verdict(rec.result)} / ${verdict(replay.result)}`);
    }
    expect(differ).toEqual([]);
  }, 600_000);

  it('an edited operation runs as edited (a CRDT session adds another element; a shopper adds another item)', async () => {
    const crdt = await load('crdt-orset-churn');
    const rec = runScenario(crdt, { seed: 1, pins: { bug: 'none' } });
    const script = (rec.script ?? []).map((e) => (e.kind === 'op' && e.op.kind === 'add' ? { ...e, op: { ...e.op, elem: 'edited-elem' } } : e));
    expect(script.some((e) => e.kind === 'op' && e.op.elem === 'edited-elem')).toBe(true);
    const c = CASES[0]!;
    const edited = requestsSent(c, (sink) => runScenario(crdt, { seed: 1, pins: rec.params, swarm: false, script, traceSink: sink }));
    expect(edited.bodies.some((b) => b.includes('edited-elem'))).toBe(true);

    const platform = await load('platform-global-sale');
    const prec = runScenario(platform, { seed: 1, pins: { bug: 'none' } });
    const pscript = (prec.script ?? []).map((e) => (e.kind === 'op' && e.op.op === 'add' ? { ...e, op: { ...e.op, item: 'kettle' } } : e));
    const shop = CASES.find((x) => x.system === 'platform shoppers')!;
    const original = requestsSent(shop, (sink) => runScenario(platform, { seed: 1, pins: prec.params, swarm: false, script: prec.script, traceSink: sink }));
    expect(original.bodies.some((b) => b.includes('kettle'))).toBe(false);
    const pe = requestsSent(shop, (sink) => runScenario(platform, { seed: 1, pins: prec.params, swarm: false, script: pscript, traceSink: sink }));
    expect(pe.bodies.some((b) => b.includes('"item":"kettle"'))).toBe(true);
  }, 120_000);

  it('operator actions are recorded; a scripted action the operator\'s rules forbid now is skipped with a trace line', async () => {
    const platform = await load('platform-global-sale');
    const rec = runScenario(platform, { seed: 1, pins: { bug: 'none' } });
    const actions = ops(rec.script).filter((e) => /^op\d$/.test(e.client));
    expect(actions.length).toBeGreaterThan(0);
    for (const a of actions) expect(['deploy', 'remove', 'readmit', 'evacuate', 'return-regions']).toContain(a.op.action);
    // Every action readmits a server that was never removed: the operator refuses each one.
    const script = (rec.script ?? []).map((e) => (e.kind === 'op' && /^op\d$/.test(e.client) ? { ...e, op: { action: 'readmit', backend: 'app-us-1' } } : e));
    const skips: string[] = [];
    const r = runScenario(platform, { seed: 1, pins: rec.params, swarm: false, script, traceSink: (t) => void (t.kind === 'script-skip' && skips.push(t.detail)) });
    // Each refused action changes the run's timing (no drain wait, no restart), so the operator's
    // later turns move: one recorded near the end of the fault phase may not be reached at all.
    expect(skips.length).toBeGreaterThan(0);
    expect(skips.length).toBeLessThanOrEqual(actions.length);
    for (const s of skips) expect(s).toBe('readmit: app-us-1 is not removed');
    const m = r.metrics.platform as { operator: { deploys: number; removes: number; evacuations: number } };
    expect(m.operator.deploys + m.operator.removes + m.operator.evacuations).toBe(0);
  }, 120_000);
});
