/**
 * hwkv: the latency table comes out of the models (within 20% of seed 004 with the defaults, and
 * it moves when a device figure is pinned); the bug zoo is caught by seed sweeps while the correct
 * variants pass the same seeds; the leader fails over when its NIC crashes or wedges; runs are
 * deterministic.
 */
import { describe, expect, it } from 'vitest';
import { param } from '../../sim/params.ts';
import { runScenario, type RunResult } from '../../sim/runner.ts';
import { findCatchingSeed } from '../../sim/bug-zoo.ts';
import { defineScenario, type Scenario } from '../../sim/scenario.ts';
import { ms, sec, us } from '../../sim/time.ts';
import type { ParamDefs } from '../../sim/params.ts';
import accelerated from '../../scenarios/hw-accelerated-kv.ts';
import traditional from '../../scenarios/hw-traditional-kv.ts';
import cxlEscrow from '../../scenarios/hw-cxl-escrow.ts';
import latencyTable from '../../scenarios/hw-latency-table.ts';
import { buildCluster } from './cluster.ts';
import { addWorkload } from './workload.ts';
import { SEED_TABLE, type EncryptedPutRow, type RowName, type TableRow } from './latency-table.ts';

type Table = Record<RowName, TableRow>;
const tableOf = (r: RunResult): Table => r.metrics.latencyTable as Table;

describe('latency table (seed 004 §8.5.2-8.5.4)', () => {
  const base = runScenario(latencyTable, { seed: 1, swarm: false });

  it('with default figures every row is within 20% of the seed, for both systems', () => {
    expect(base.ok).toBe(true);
    const t = tableOf(base);
    // GET, the scans and Q1 are the models' figures, the same in every run: one run says it.
    for (const name of ['get', 'rangeScan100k', 'tpchQ1'] as const) {
      expect(Math.abs(t[name].acceleratedVsSeedPct), `${name} accelerated`).toBeLessThanOrEqual(20);
      expect(Math.abs(t[name].traditionalVsSeedPct), `${name} traditional`).toBeLessThanOrEqual(20);
    }
    // And the comparison goes the seed's way on every row.
    for (const row of Object.values(t)) expect(row.acceleratedNs).toBeLessThan(row.traditionalNs);
  });

  // PUT and the Paxos round are sums of random device and network times measured under faults:
  // one run's median rests on 5-40 operations and moves by several percent from seed to seed
  // (traditional PUT: -10% to -26% over seeds 1-20 around a centre of about -18.5%), so a single
  // run says little about the model. The samples of 12 seeds are pooled (some 250 PUTs a system)
  // and their median compared, which pins the model's centre to about 1% (standard error).
  it('PUT and Paxos round: the median of the samples pooled over 12 seeds is within 20% of the seed', () => {
    type Pool = Record<'put' | 'paxosRound', Record<'accelerated' | 'traditional', number[]>>;
    const pool: Pool = { put: { accelerated: [], traditional: [] }, paxosRound: { accelerated: [], traditional: [] } };
    for (let seed = 1; seed <= 12; seed++) {
      const r = seed === 1 ? base : runScenario(latencyTable, { seed, swarm: false });
      expect(r.ok, `seed ${seed}`).toBe(true);
      const s = r.metrics.samplesNs as Pool;
      for (const row of ['put', 'paxosRound'] as const) for (const sys of ['accelerated', 'traditional'] as const) pool[row][sys].push(...s[row][sys]);
    }
    const median = (xs: number[]): number => {
      const s = xs.slice().sort((a, b) => a - b);
      return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
    };
    const lines: string[] = [];
    for (const row of ['put', 'paxosRound'] as const)
      for (const sys of ['accelerated', 'traditional'] as const) {
        const xs = pool[row][sys];
        expect(xs.length, `${row} ${sys}: samples pooled`).toBeGreaterThanOrEqual(200);
        const pct = ((median(xs) - SEED_TABLE[row][sys]) / SEED_TABLE[row][sys]) * 100;
        lines.push(`${row} ${sys}: ${(median(xs) / 1e3).toFixed(1)} us over ${xs.length} samples (${pct.toFixed(1)}% vs the seed)`);
        expect(Math.abs(pct), `${row} ${sys}`).toBeLessThanOrEqual(20);
      }
    console.log(lines.join('\n'));
  }, 60_000);

  it('moves when device figures are pinned (the figures come from the models)', () => {
    const moved = runScenario(latencyTable, { seed: 1, swarm: false, pins: { hostFsyncUs: 1000, ssdGetUs: 40, netOneWayUs: 500, ssdNandGBps: 1 } });
    expect(moved.ok).toBe(true);
    const a = tableOf(base);
    const b = tableOf(moved);
    // GET: the SmartSSD lookup is the pinned figure; the host engine's did not change.
    expect(b.get.acceleratedNs).toBe(40_000);
    expect(b.get.traditionalNs).toBe(a.get.traditionalNs);
    // Network +250 us each way: a round costs ~0.5 ms more on both.
    expect(b.paxosRound.acceleratedNs - a.paxosRound.acceleratedNs).toBeGreaterThan(450_000);
    expect(b.paxosRound.acceleratedNs - a.paxosRound.acceleratedNs).toBeLessThan(550_000);
    // fsync 0.3 -> 1 ms: three fsyncs lie on the traditional PUT's path (local accept, the remote
    // quorum's, the commit mark), so it grows by well over 1 ms plus the network's 0.5 ms.
    expect(b.put.traditionalNs - a.put.traditionalNs).toBeGreaterThan(1_500_000);
    // NAND 4 -> 1 GB/s: 100 MB of media time grows from 25 ms to 100 ms.
    expect(b.rangeScan100k.acceleratedNs - a.rangeScan100k.acceleratedNs).toBeGreaterThan(70_000_000);
    expect(b.rangeScan100k.traditionalNs).toBe(a.rangeScan100k.traditionalNs);
  });
});

describe('encrypted PUT (replica traffic sealed on the NIC engine vs a host core)', () => {
  const enc = (r: RunResult): EncryptedPutRow => r.metrics.encryptedPut as EncryptedPutRow;
  const base = runScenario(latencyTable, { seed: 1, swarm: false });

  it('costs the host far more than the NIC, and each side pays what its model says', () => {
    expect(base.ok).toBe(true);
    const e = enc(base);
    // 64 KiB sealed by the leader and opened by a follower: 2 x (setup + bytes / rate), plus the
    // JSON framing around the value; the NIC at 12.5 GB/s, a host core at 2 GB/s.
    expect(e.acceleratedCryptoOnPathNs).toBeGreaterThan(2 * (500 + 65_536 / 12.5));
    expect(e.acceleratedCryptoOnPathNs).toBeLessThan(2 * (500 + 66_000 / 12.5) + 1_000);
    expect(e.traditionalCryptoOnPathNs).toBeGreaterThan(2 * (1_000 + 65_536 / 2));
    expect(e.traditionalCryptoOnPathNs).toBeLessThan(2 * (1_000 + 66_000 / 2) + 2_000);
    expect(e.acceleratedHostCryptoBusyNs).toBe(0);
    expect(e.traditionalHostCryptoBusyNs).toBeGreaterThan(0);
    expect(e.acceleratedNs).toBeGreaterThan(e.acceleratedPlainNs);
    expect(e.acceleratedNs).toBeLessThan(e.traditionalNs);
    expect((base.metrics.table as string[]).some((l) => l.startsWith('encrypted PUT'))).toBe(true);
  });

  it('moves when the crypto throughputs are pinned', () => {
    const slow = runScenario(latencyTable, { seed: 1, swarm: false, pins: { hostCryptoGBps: 0.2, nicCryptoGBps: 1 } });
    expect(slow.ok, slow.violations[0]?.message).toBe(true);
    const a = enc(base);
    const b = enc(slow);
    // Host 2 -> 0.2 GB/s: each 64 KiB seal or open grows from ~33 us to ~328 us.
    expect(b.traditionalCryptoOnPathNs - a.traditionalCryptoOnPathNs).toBeGreaterThan(2 * 290_000);
    expect(b.traditionalNs - a.traditionalNs).toBeGreaterThan(400_000);
    // NIC 12.5 -> 1 GB/s: each grows from ~5 us to ~66 us.
    expect(b.acceleratedCryptoOnPathNs - a.acceleratedCryptoOnPathNs).toBeGreaterThan(2 * 55_000);
    expect(b.acceleratedNs - a.acceleratedNs).toBeGreaterThan(80_000);
  });

  it('under a corrupting NIC engine every refused message is recovered and nothing altered applies', () => {
    for (const seed of [1, 2]) {
      const r = runScenario(accelerated, { seed, swarm: false, pins: { nicCryptoCorruptRate: 0.2 } });
      expect(r.ok, r.violations[0]?.message).toBe(true);
      expect(r.metrics.macRejections as number).toBeGreaterThan(10);
      expect((r.metrics.acceleratedOps as { ok: number }).ok).toBeGreaterThan(50);
    }
  });
});

/** Seeds from 1 until a run fails; returns the failing run, or null within `cap`. */
function sweepUntilCaught<P extends ParamDefs>(scn: Scenario<P>, pins: Record<string, unknown>, cap: number): RunResult | null {
  for (let seed = 1; seed <= cap; seed++) {
    const r = runScenario(scn, { seed, pins });
    if (!r.ok) return r;
  }
  return null;
}

describe('bug zoo: each bug is caught by a sweep; the correct variant passes the same seeds', () => {
  const cases: [string, Scenario<ParamDefs>, string, string[]][] = [
    ['trust-ssd-result', accelerated as unknown as Scenario<ParamDefs>, 'trust-ssd-result', ['no-corrupt-scan-served']],
    ['ack-before-nvdimm', accelerated as unknown as Scenario<ParamDefs>, 'ack-before-nvdimm', ['ack-not-durable', 'acceptor-durability', 'linearizable', 'state-machine-safety']],
    ['retransmit-ack-from-memory', accelerated as unknown as Scenario<ParamDefs>, 'retransmit-ack-from-memory', ['ack-not-durable']],
    ['skip-mac-check', accelerated as unknown as Scenario<ParamDefs>, 'skip-mac-check', ['no-unauthenticated-value-applied', 'state-machine-safety', 'linearizable']],
    ['ignore-poison', cxlEscrow as unknown as Scenario<ParamDefs>, 'ignore-poison', ['no-poisoned-data-served', 'no-oversell']],
    ['minority-quorum', accelerated as unknown as Scenario<ParamDefs>, 'minority-quorum', ['chosen-needs-majority']],
    ['redirect-to-self', traditional as unknown as Scenario<ParamDefs>, 'redirect-to-self', ['redirect-names-another']],
    ['replay-through-engine', traditional as unknown as Scenario<ParamDefs>, 'replay-through-engine', ['store-writes-per-put']],
  ];
  for (const [name, scn, bug, invariants] of cases) {
    it(`${name} is caught within 200 seeds`, () => {
      const caught = sweepUntilCaught(scn, { bug }, 200);
      expect(caught, `${name} not caught in 200 seeds`).not.toBeNull();
      expect(invariants).toContain(caught!.violations[0]!.invariant);
      console.log(`bug ${name}: caught at seed ${caught!.seed} by ${caught!.violations[0]!.invariant}`);
      for (let seed = 1; seed <= caught!.seed; seed++) {
        const ok = runScenario(scn, { seed, pins: { bug: 'none' } });
        expect(ok.ok, `correct variant failed seed ${seed}: ${ok.violations[0]?.message}`).toBe(true);
      }
    });
  }
});

describe('ack-not-durable alone (acks judged on the wire)', () => {
  // retransmit-ack-from-memory acknowledges a retransmitted accept from the in-memory log: no
  // observer callback runs on that path, so acceptor-durability never hears of the ack. Measured
  // when written: caught at seed 1 (traditional) / 2 (accelerated) by ack-not-durable; with it
  // off, seeds 1-30 (traditional) and 1-10 (accelerated) all pass.
  for (const scn of [traditional, accelerated] as unknown as Scenario<ParamDefs>[]) {
    it(`${scn.name}: only ack-not-durable catches retransmit-ack-from-memory`, () => {
      const c = findCatchingSeed(scn, { pins: { bug: 'retransmit-ack-from-memory' }, cap: 10 });
      expect(c.invariant).toBe('ack-not-durable');
      const without = findCatchingSeed(scn, { pins: { bug: 'retransmit-ack-from-memory' }, cap: Math.max(c.seed!, 3), ignore: ['ack-not-durable'] });
      expect(without.seed, `${without.invariant}: ${without.result?.violations[0]?.message}`).toBeNull();
    }, 120_000);
  }
});

describe('chosen-needs-majority (chosen judged on the wire)', () => {
  // minority-quorum chooses a slot on one acceptor of three. The other checks see it only once
  // two replicas apply different commands there (state-machine-safety: at seed 1 of
  // hw-traditional-kv, seed 3 of hw-accelerated-kv, measured when written); this check sees the
  // first slot announced chosen, before anything diverges.
  for (const scn of [traditional, accelerated] as unknown as Scenario<ParamDefs>[]) {
    it(`${scn.name}: minority-quorum is caught at its first announcement, before any divergence`, () => {
      const c = findCatchingSeed(scn, { pins: { bug: 'minority-quorum' }, cap: 3 });
      expect(c.seed).toBe(1);
      expect(c.invariant).toBe('chosen-needs-majority');
      const without = findCatchingSeed(scn, { pins: { bug: 'minority-quorum' }, cap: 3, ignore: ['chosen-needs-majority'] });
      if (without.seed === 1) expect(without.result!.violations[0]!.atNs).toBeGreaterThan(c.result!.violations[0]!.atNs);
    }, 120_000);
  }
});

describe('failover', () => {
  const failover = defineScenario({
    name: 'hw-failover-test',
    description: 'the leader NIC fails at 60 ms and stays out; another replica must lead and serve',
    params: { fault: param.enum(['crash', 'wedge'] as const, { doc: 'what happens to a1', default: 'crash' }) },
    durationNs: ms(300),
    livenessBoundNs: sec(1),
    setup(w, p) {
      const c = buildCluster(w, { kind: 'accelerated', prefix: 'a', replicas: 3, bug: 'none', heartbeatNs: ms(2), electionNs: ms(12), electionStaggerNs: ms(8) });
      const wl = addWorkload(w, c, { clients: 2, keys: 4, opIntervalNs: ms(2), attemptTimeoutNs: ms(15), opDeadlineNs: ms(100), scanFraction: 0.1 });
      let leaderAtCrash = '';
      let ackedAtCrash = 0;
      w.sim.schedule(ms(60), () => {
        leaderAtCrash = c.leader()?.id ?? '';
        ackedAtCrash = wl.stats.ok;
        if (p.fault === 'crash') c.nics[0]!.crash();
        else c.nics[0]!.wedge();
      });
      w.onHeal(() => {
        w.metrics.leaderAtCrash = leaderAtCrash;
        w.metrics.leaderAtHeal = c.leader()?.id ?? '';
        w.metrics.ackedAfterCrash = wl.stats.ok - ackedAtCrash;
      });
    },
  });
  for (const fault of ['crash', 'wedge'] as const) {
    it(`leader NIC ${fault}: another replica takes over and the store keeps serving`, () => {
      const r = runScenario(failover, { seed: 3, pins: { fault }, buggify: false });
      expect(r.ok, r.violations[0]?.message).toBe(true);
      expect(r.metrics.leaderAtCrash).toBe('a1');
      expect(['a2', 'a3']).toContain(r.metrics.leaderAtHeal);
      expect(r.metrics.ackedAfterCrash as number).toBeGreaterThan(20);
    });
  }
});

describe('restarts read what is above the marks, not the whole log', () => {
  // Four clients, no nemesis: by 250 ms some 300 slots are applied. `reboot` restarts a NIC's
  // replica synchronously, so the NVDIMM reads counted around it are its recovery's (and the
  // acceptor-durability check's, which reads through the replica's reader).
  const restarts = defineScenario({
    name: 'hw-restart-reads-test',
    description: 'replica NICs rebooted after a long history; a3, down from 20 ms to 200 ms, must catch up from replicas that no longer hold its slots in memory',
    params: { a3Down: param.bool({ doc: 'a3 down from 20 ms to 200 ms', default: false }) },
    durationNs: ms(300),
    livenessBoundNs: sec(1),
    setup(w, p) {
      // The commands each replica applied, in every incarnation (the observer is god's-eye).
      const appliedBy = new Map<string, string[]>();
      const observer = { applied: (r: string, _slot: number, cmd: { id: string }) => void (appliedBy.get(r) ?? appliedBy.set(r, []).get(r)!).push(cmd.id) };
      const c = buildCluster(w, { kind: 'accelerated', prefix: 'a', replicas: 3, bug: 'none', heartbeatNs: ms(2), electionNs: ms(12), electionStaggerNs: ms(8), observer });
      addWorkload(w, c, { clients: 4, keys: 4, opIntervalNs: us(500), attemptTimeoutNs: ms(15), opDeadlineNs: ms(100), scanFraction: 0.1 });
      let accReads = 0;
      for (const nic of c.nics) {
        const get = nic.nvdimmGet.bind(nic);
        nic.nvdimmGet = <T>(key: string): T | undefined => {
          if (key.startsWith('acc/')) accReads++;
          return get<T>(key);
        };
      }
      const reboot = (i: number, name: string): void => {
        accReads = 0;
        c.nics[i]!.reboot();
        w.metrics[`${name}EntriesRead`] = accReads;
        const program = c.nodes[i]!.program!;
        w.metrics[`${name}Applied`] = program.applied();
        // A command applied before the reboot and chosen again at a later slot must not apply twice.
        const before = appliedBy.get(`a${i + 1}`) ?? [];
        w.metrics[`${name}IdsForgotten`] = before.filter((id) => !program.wasApplied(id)).length;
        w.metrics[`${name}IdsBefore`] = before.length;
      };
      if (p.a3Down) {
        w.sim.schedule(ms(20), () => c.nics[2]!.crash());
        w.sim.schedule(ms(115), () => {
          w.metrics.committedWhileA3Down = c.leader()?.program?.committed() ?? -1;
        });
        w.sim.schedule(ms(200), () => c.nics[2]!.restart());
      }
      // Each rebooted twice: acceptor-durability reads (through the same NVDIMM) every slot the
      // replica acknowledged since its last recovery, so the second reboot's reads are the
      // recovery's and the check's for 6 ms of traffic.
      // With a3 down, both reboot before it comes back, so what it lacks is below what they hold.
      const at = p.a3Down ? 120 : 250;
      w.sim.schedule(ms(at), () => c.nics[1]!.reboot());
      w.sim.schedule(ms(at + 6), () => reboot(1, 'a2'));
      w.sim.schedule(ms(at + 20), () => c.nics[0]!.reboot());
      w.sim.schedule(ms(at + 26), () => reboot(0, 'a1'));
      w.sim.schedule(ms(299), () => {
        w.metrics.a3AppliedAtEnd = c.nodes[2]!.program?.applied() ?? -1;
      });
    },
  });

  it('a replica rebooted after some 300 applied slots reads only the entries above its marks, and knows every command it applied', () => {
    const r = runScenario(restarts, { seed: 1, buggify: false });
    expect(r.ok, r.violations[0]?.message).toBe(true);
    // Measured when written: a2 recovered applied 326 reading 9 entries, a1 applied 347 reading 2.
    // Reading the whole log (as before hwlog), or checking every acknowledged slot again at each
    // recovery, reads every one of them.
    for (const n of ['a1', 'a2']) {
      expect(r.metrics[`${n}Applied`] as number, n).toBeGreaterThan(250);
      expect(r.metrics[`${n}EntriesRead`] as number, n).toBeLessThan(40);
      expect(r.metrics[`${n}IdsBefore`] as number, n).toBeGreaterThan(250);
      expect(r.metrics[`${n}IdsForgotten`] as number, n).toBe(0);
    }
  });

  it('a replica far behind catches up from peers that hold its slots only in stable storage', () => {
    const r = runScenario(restarts, { seed: 1, buggify: false, pins: { a3Down: true } });
    expect(r.ok, r.violations[0]?.message).toBe(true);
    // a1 and a2 restarted after a3 fell behind: every slot a3 lacks is below what they hold in
    // memory, so the leader's answers to its catch-up read them from the NVDIMM.
    expect(r.metrics.committedWhileA3Down as number).toBeGreaterThan(100);
    expect(r.metrics.a1Applied as number).toBeGreaterThan(100);
    expect(r.metrics.a1EntriesRead as number).toBeLessThan(40);
    expect(r.metrics.a3AppliedAtEnd as number).toBeGreaterThan(r.metrics.committedWhileA3Down as number);
  });
});

describe('determinism', () => {
  for (const scn of [accelerated, traditional, cxlEscrow] as Scenario<ParamDefs>[]) {
    it(`${scn.name}: one seed, one trace hash`, () => {
      const a = runScenario(scn, { seed: 5 });
      const b = runScenario(scn, { seed: 5 });
      expect(b.traceHash).toBe(a.traceHash);
      expect(b.metrics).toEqual(a.metrics);
      expect(runScenario(scn, { seed: 6 }).traceHash).not.toBe(a.traceHash);
    });
  }
});
