/**
 * Self time of a V8 CPU profile by layer of detsim (kernel, network, message copies, Raft core and
 * host, KV store, checkers, decisions tape, GC, ...): where a run's CPU goes when no function stands
 * out (the loaded Raft store's profile is flat, no function above 4%, so the question is which
 * layer to cut, not which function).
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --input-type=module -e \
 *     "const { loadedRaftHere } = await import('./dist/bench/systems.js'); for (let i = 0; i < 9; i++) loadedRaftHere([1, 2]);"
 *   npx tsx tools/profile-layers.ts /tmp/prof/*.cpuprofile [--json]
 *
 * Profile compiled code (`npm run build` first): from source, tsx's wrappers add a layer of their own.
 * Node's own start-up and module loading are reported apart and left out of the shares.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The parts of a `.cpuprofile` this reads. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string } }[];
  samples: number[];
  timeDeltas: number[];
}

/** Layers, first match wins: [name, test on the file path (after `dist/`) or the frame's name]. */
export const LAYERS: readonly (readonly [string, RegExp])[] = [
  ['GC', /^\(garbage collector\)$/],
  ['raft host', /^systems\/raft\/host\./],
  ['raft core (node, log, progress, reads)', /^systems\/raft\//],
  ['network, message copies, node context', /^sim\/(network\/|clone\.|node\.)/],
  ['disk', /^sim\/disk\//],
  ['kernel, processes, PRNG', /^sim\/(kernel|process|prng|event-queue|clock|time)\.|seedrandom/],
  ['decisions tape, BUGGIFY, nemeses', /^sim\/(decisions|buggify|nemesis)\./],
  ['trace, runner, explanations', /^sim\//],
  ['KV store', /^systems\/kv\/store\./],
  ['KV server, kit, clients', /^systems\/kv\//],
  ['linearizability check', /^invariants\/linearizability\//],
  ['safety and ack checkers', /^invariants\//],
  ['other systems and scenarios', /^(systems|scenarios)\//],
  ['node start-up and modules (not in shares)', /^(node:|\(program\)|\(idle\)|\(root\)|$)|node_modules/],
];

const NOT_IN_SHARES = LAYERS[LAYERS.length - 1]![0];

/** A frame's path for LAYERS: the file below `dist/` (or the source tree), or the frame's name when it has no file. */
export function framePath(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '';
  const i = url.lastIndexOf('/dist/');
  if (i >= 0) return url.slice(i + '/dist/'.length);
  const m = /\/(sim|systems|invariants|scenarios|cli|bench|kits)\/.*$/.exec(url);
  return m !== null && !url.includes('node_modules') ? m[0].slice(1) : url;
}

/** The layer a frame belongs to ('other' when none matches). */
export function layerOf(url: string, functionName: string): string {
  const p = framePath(url, functionName);
  for (const [name, re] of LAYERS) if (re.test(p)) return name;
  return 'other';
}

/** One layer's self time. */
export interface LayerRow {
  layer: string;
  ms: number;
  /** Share of the profile's time outside Node's start-up and module loading (null for that row itself). */
  share: number | null;
}

/** Self time per layer, largest first, summed over `profiles`. */
export function profileLayers(profiles: readonly CpuProfile[]): LayerRow[] {
  const us = new Map<string, number>();
  for (const p of profiles) {
    const layerOfNode = new Map<number, string>();
    for (const n of p.nodes) layerOfNode.set(n.id, layerOf(n.callFrame.url, n.callFrame.functionName));
    for (let i = 0; i < p.samples.length; i++) {
      const layer = layerOfNode.get(p.samples[i]!) ?? 'other';
      us.set(layer, (us.get(layer) ?? 0) + (p.timeDeltas[i] ?? 0));
    }
  }
  let counted = 0;
  for (const [layer, t] of us) if (layer !== NOT_IN_SHARES) counted += t;
  return [...us]
    .map(([layer, t]) => ({ layer, ms: Math.round(t / 100) / 10, share: layer === NOT_IN_SHARES || counted === 0 ? null : Math.round((1000 * t) / counted) / 10 }))
    .sort((a, b) => (a.share === null ? 1 : b.share === null ? -1 : b.ms - a.ms));
}

function main(argv: string[]): number {
  const json = argv.includes('--json');
  const files = argv.filter((a) => a !== '--json');
  if (files.length === 0) {
    process.stderr.write('profile-layers: give one or more .cpuprofile files (node --cpu-prof --cpu-prof-dir=DIR ...)\n');
    return 2;
  }
  let profiles: CpuProfile[];
  try {
    profiles = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as CpuProfile);
  } catch (e) {
    process.stderr.write(`profile-layers: cannot read a profile: ${(e as Error).message}\n`);
    return 2;
  }
  const rows = profileLayers(profiles);
  if (json) process.stdout.write(`${JSON.stringify(rows)}\n`);
  else for (const r of rows) process.stdout.write(`${r.share === null ? '     -' : `${r.share.toFixed(1).padStart(5)}%`} ${r.ms.toFixed(1).padStart(9)} ms  ${r.layer}\n`);
  return 0;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main(process.argv.slice(2));
