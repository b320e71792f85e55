/**
 * `runOnNic`: an unchanged program whose disk is a SmartNIC's NVDIMM. Its fsyncs take the NIC's
 * time; a NIC crash takes the program down and keeps exactly the completed fsyncs; a wedge hangs
 * the fsync until the NIC's restart reboots the program; a program started on a dead NIC
 * fail-stops instead of spinning on failed writes.
 */
import { describe, expect, it } from 'vitest';
import { LocalClock, PERFECT_CLOCK } from '../clock.ts';
import { Disk, type DiskError } from '../disk/disk.ts';
import { Simulation } from '../kernel.ts';
import { Network } from '../network/network.ts';
import { SimNode } from '../node.ts';
import { NIC_PROCESSING_NS_MAX, NIC_PROCESSING_NS_MIN, NVDIMM_WRITE_NS } from './figures.ts';
import { runOnNic, SmartNic } from './smart-nic.ts';

function setup() {
  const sim = new Simulation({ seed: 1, buggify: { enabled: false } });
  const net = new Network(sim);
  const node = new SimNode(sim, net, 'r1', 0, 'server', () => ({}), new LocalClock(PERFECT_CLOCK), new Disk(sim, 'r1', sim.rng('d')));
  net.attach(node);
  const nic = new SmartNic(sim, { name: 'r1' });
  runOnNic(nic, node);
  node.startNow();
  return { sim, node, nic };
}

/** Appends `value` and fsyncs it; returns what the fsync reported (undefined: never) and when. */
function write(sim: Simulation, node: SimNode, value: string): { err: DiskError | null | undefined; at: number } {
  const out: { err: DiskError | null | undefined; at: number } = { err: undefined, at: -1 };
  node.disk.append('log', value);
  node.disk.fsync((err) => {
    out.err = err;
    out.at = sim.now;
  });
  return out;
}

describe('runOnNic', () => {
  it('an fsync is NIC processing then an NVDIMM write (2.3-3.3 us, not an NVMe fsync)', () => {
    const { sim, node } = setup();
    expect(node.disk.backedBy).toBe('nic/r1');
    for (let i = 0; i < 20; i++) {
      const t0 = sim.now;
      const w = write(sim, node, `v${i}`);
      sim.run();
      expect(w.err).toBeNull();
      expect(w.at - t0).toBeGreaterThanOrEqual(NIC_PROCESSING_NS_MIN + NVDIMM_WRITE_NS);
      expect(w.at - t0).toBeLessThanOrEqual(NIC_PROCESSING_NS_MAX + NVDIMM_WRITE_NS);
    }
    expect(node.disk.readDurable('log').records.length).toBe(20);
    expect(node.disk.stats.syncsTimed).toBe(20);
  });

  it('a NIC crash takes the program down, keeps the completed fsyncs and loses the one in flight; its return starts the program', () => {
    const { sim, node, nic } = setup();
    write(sim, node, 'durable');
    sim.run();
    const inFlight = write(sim, node, 'in-flight');
    sim.run({ untilNs: sim.now + 1000 }); // still on the NIC core
    nic.crash();
    expect(node.state).toBe('down');
    sim.run();
    expect(inFlight.err).toBeUndefined(); // the program that asked is gone
    expect(node.disk.readDurable('log').records).toEqual(['durable']);
    nic.restart();
    expect(node.state).toBe('up');
  });

  it('a wedged NIC hangs the fsync; restarting the NIC reboots the program', () => {
    const { sim, node, nic } = setup();
    nic.wedge();
    const w = write(sim, node, 'stuck');
    sim.run({ untilNs: sim.now + 50_000_000 });
    expect(w.err).toBeUndefined();
    expect(node.state).toBe('up');
    const inc = node.incarnation;
    nic.restart();
    expect(node.state).toBe('up');
    expect(node.incarnation).toBe(inc + 1);
    expect(node.disk.readDurable('log').records).toEqual([]);
  });

  it('a program started while its NIC is down fail-stops at its first fsync (no busy loop), and runs again once the NIC is back', () => {
    const { sim, node, nic } = setup();
    nic.crash();
    expect(node.state).toBe('down');
    node.startNow(); // a supervisor or a nemesis starts it regardless
    write(sim, node, 'x');
    const stop = sim.run({ untilNs: sim.now + 20_000_000 });
    expect(stop).toBeDefined();
    expect(node.state).toBe('down');
    expect(sim.now).toBeLessThanOrEqual(20_000_000 + 1);
    nic.restart();
    expect(node.state).toBe('up');
    const w = write(sim, node, 'y');
    sim.run();
    expect(w.err).toBeNull();
  });
});
