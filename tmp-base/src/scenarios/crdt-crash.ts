/**
 * crdt-crash: regions crash often (torn writes in half the seeds) and recover from their disks.
 * Every ack, delta and anti-entropy reply leaves only after the fsync covering it, so a restarted
 * region holds every dot, counter entry and timestamp anyone has seen and never reuses one; its
 * outbox and client de-duplication table come back from the WAL too.
 *
 * Safety and liveness: those of every crdt scenario (counter, read-your-writes, resurrection,
 * LWW causality, convergence), under a crash every second or two.
 */
import { param } from '../sim/params.ts';
import { defineScenario } from '../sim/scenario.ts';
import { ms, sec } from '../sim/time.ts';
import { crdtFaultParams, mixedSession, startCrdt } from '../systems/crdt/replication/scenario-kit.ts';

const base = crdtFaultParams({ bugs: ['none', 'non-idempotent-counter-merge', 'or-set-remove-unseen', 'lww-wall-clock', 'deltas-ack-past-durable'] });

export default defineScenario({
  name: 'crdt-crash',
  description: 'CRDT regions crash and recover from disk (WAL + snapshots, fsync before anything leaves)',
  params: {
    opMsMean: param.float({ doc: 'mean time between a client\'s ops (ms)', default: 40, min: 1, max: 1e6, swarm: [10, 100] }),
    durationS: param.float({ doc: 'length of the fault phase (s)', default: 8, min: 0.1, max: 3600 }),
    ...base,
    crashMsMean: param.float({ ...base.crashMsMean, default: 1500, swarm: [300, 3000] }),
    downMsMean: param.float({ ...base.downMsMean, default: 300, swarm: [50, 2000] }),
  },
  durationNs: (p) => sec(p.durationS),
  livenessBoundNs: sec(60),
  checkIntervalNs: ms(50),
  setup(w, p) {
    const cw = startCrdt(w, p, { region: { walRecordsMax: 64 } });
    for (const home of cw.regionIds) cw.client(`c-${home}`, home, (s) => mixedSession(s, home, cw.regionIds, ms(p.opMsMean), () => w.phase === 'fault'));
  },
});
