/**
 * tools/profile-layers.ts: a CPU profile's self time by layer. A synthetic profile (frames from
 * compiled and source paths, GC, Node's module loading) checks the attribution and the shares.
 */
import { describe, expect, it } from 'vitest';
import { layerOf, profileLayers, type CpuProfile } from './profile-layers.ts';

const frame = (id: number, url: string, functionName = 'f') => ({ id, callFrame: { functionName, url } });

describe('tools/profile-layers.ts', () => {
  it('attributes frames by file, compiled or source, first matching layer first', () => {
    expect(layerOf('file:///w/dist/systems/raft/host.js', 'write')).toBe('raft host');
    expect(layerOf('file:///w/dist/systems/raft/raft.js', 'step')).toBe('raft core (node, log, progress, reads)');
    expect(layerOf('file:///w/systems/raft/log.ts', 'append')).toBe('raft core (node, log, progress, reads)');
    expect(layerOf('file:///w/dist/sim/clone.js', 'sizedCopy')).toBe('network, message copies, node context');
    expect(layerOf('file:///w/dist/sim/decisions.js', 'push')).toBe('decisions tape, BUGGIFY, nemeses');
    expect(layerOf('file:///w/dist/sim/trace.js', 'add')).toBe('trace, runner, explanations');
    expect(layerOf('file:///w/node_modules/seedrandom/lib/alea.js', 'impl')).toBe('kernel, processes, PRNG');
    expect(layerOf('file:///w/dist/invariants/linearizability/search.js', 'run')).toBe('linearizability check');
    expect(layerOf('file:///w/dist/invariants/raft/safety.js', 'onReady')).toBe('safety and ack checkers');
    expect(layerOf('', '(garbage collector)')).toBe('GC');
    expect(layerOf('node:internal/modules/esm/utils', 'compile')).toBe('node start-up and modules (not in shares)');
  });

  it('sums self time per layer over profiles; shares leave out Node start-up', () => {
    const p: CpuProfile = {
      nodes: [frame(1, '', '(root)'), frame(2, 'file:///w/dist/systems/raft/host.js'), frame(3, '', '(garbage collector)'), frame(4, 'node:internal/modules/esm/loader'), frame(5, 'file:///w/dist/systems/kv/store.js')],
      samples: [2, 2, 3, 4, 5, 2],
      timeDeltas: [1000, 2000, 1000, 5000, 1000, 1000],
    };
    const rows = profileLayers([p, p]);
    expect(rows).toEqual([
      { layer: 'raft host', ms: 8, share: 66.7 },
      { layer: 'GC', ms: 2, share: 16.7 },
      { layer: 'KV store', ms: 2, share: 16.7 },
      { layer: 'node start-up and modules (not in shares)', ms: 10, share: null },
    ]);
  });
});
