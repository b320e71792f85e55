/**
 * The probe table of a system's doc: each declared probe, its doc line, and the share of seeds
 * that hit it in a probe-rates sweep (tools/probe-rates.ts --json).
 *
 *   npx tsx tools/probe-doc-table.ts /tmp/raft.json raft
 */
import { readFileSync } from 'node:fs';
import { HW_PROBES } from '../sim/hardware/probes.ts';
import { RAFT_PROBES } from '../systems/raft/config.ts';
import { KV_PROBES } from '../systems/kv/probes.ts';
import { CRDT_PROBES } from '../systems/crdt/replication/probes.ts';
import { LB_PROBES } from '../systems/lb/sim/probes.ts';
import { ESCROW_PROBES } from '../systems/escrow/probes.ts';
import { HWKV_PROBES } from '../systems/hwkv/probes.ts';

const docs: Record<string, string> = { ...RAFT_PROBES, ...KV_PROBES, ...CRDT_PROBES, ...LB_PROBES, ...ESCROW_PROBES, ...HW_PROBES, ...HWKV_PROBES };
const [file] = process.argv.slice(2);
const j = JSON.parse(readFileSync(file!, 'utf8')) as { runs: number; rows: { probe: string; seeds: number; first: string | null }[] };
const rows = [...j.rows].sort((a, b) => a.probe.localeCompare(b.probe));
console.log(`| probe | the condition, and why it matters | seeds hitting it (of ${j.runs}) | first |`);
console.log('|---|---|---:|---|');
for (const r of rows) {
  const pct = ((100 * r.seeds) / j.runs).toFixed(1);
  console.log(`| \`${r.probe}\` | ${docs[r.probe] ?? '(not in a table)'} | ${r.seeds === 0 ? '**0 (never)**' : `${r.seeds} (${pct}%)`} | ${r.first ? `\`${r.first.replace(' ', ' --seed ')}\`` : '-'} |`);
}
