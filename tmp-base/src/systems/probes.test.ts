/**
 * Every system declares at least ten probes, each one placed in code (its name appears at a
 * probe call outside the table), and a small sweep of each family hits several of them and no
 * probe outside the tables (a typo in a probe name would show up here).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../sim/runner.ts';
import type { ProbeTable } from '../sim/probes.ts';
import type { Scenario } from '../sim/scenario.ts';
import { HW_PROBES } from '../sim/hardware/probes.ts';
import { RAFT_PROBES } from './raft/config.ts';
import { KV_PROBES } from './kv/probes.ts';
import { CRDT_PROBES } from './crdt/replication/probes.ts';
import { LB_PROBES } from './lb/sim/probes.ts';
import { ESCROW_PROBES } from './escrow/probes.ts';
import { HWKV_PROBES } from './hwkv/probes.ts';
import { PLATFORM_PROBES } from './platform/probes.ts';
import raftChurn from '../scenarios/raft-churn.ts';
import raftFigure8 from '../scenarios/raft-figure8.ts';
import crdtBurst from '../scenarios/crdt-burst.ts';
import crdtLongPartition from '../scenarios/crdt-long-partition-gc.ts';
import lbChurn from '../scenarios/lb-churn.ts';
import lbDrain from '../scenarios/lb-drain.ts';
import escrowFlash from '../scenarios/escrow-flash-sale.ts';
import escrowTransferCrash from '../scenarios/escrow-transfer-crash.ts';
import hwKv from '../scenarios/hw-accelerated-kv.ts';
import hwCxl from '../scenarios/hw-cxl-escrow.ts';
import raftSnapshot from '../scenarios/raft-snapshot.ts';
import escrowReaper from '../scenarios/escrow-reaper.ts';
import platformGlobalSale from '../scenarios/platform-global-sale.ts';
import platformRegionOutages from '../scenarios/platform-region-outages.ts';
import { reached } from '../sim/probes.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (p.endsWith('.ts') && !p.endsWith('.test.ts') && path.basename(p) !== 'probes.ts') out.push(readFileSync(p, 'utf8'));
  }
  return out;
}

const families: { system: string; tables: ProbeTable[]; scenarios: Scenario[]; minHit: number }[] = [
  { system: 'raft/kv', tables: [RAFT_PROBES, KV_PROBES], scenarios: [raftChurn as Scenario, raftFigure8 as Scenario], minHit: 6 },
  { system: 'crdt', tables: [CRDT_PROBES], scenarios: [crdtBurst as Scenario, crdtLongPartition as Scenario], minHit: 6 },
  { system: 'lb', tables: [LB_PROBES], scenarios: [lbChurn as Scenario, lbDrain as Scenario], minHit: 4 },
  { system: 'escrow', tables: [ESCROW_PROBES], scenarios: [escrowFlash as Scenario, escrowTransferCrash as Scenario], minHit: 4 },
  { system: 'hardware', tables: [HW_PROBES, HWKV_PROBES], scenarios: [hwKv as Scenario, hwCxl as Scenario], minHit: 6 },
  { system: 'platform', tables: [PLATFORM_PROBES], scenarios: [platformGlobalSale as Scenario, platformRegionOutages as Scenario], minHit: 5 },
];

const allNames = new Set(families.flatMap((f) => f.tables.flatMap((t) => Object.keys(t))));

describe('probes in every system', () => {
  const code = [...sources(path.join(ROOT, 'systems')), ...sources(path.join(ROOT, 'sim'))].join('\n');

  for (const f of families) {
    const names = f.tables.flatMap((t) => Object.keys(t));
    it(`${f.system}: at least ten declared probes, each with a doc line and placed in code`, () => {
      expect(names.length).toBeGreaterThanOrEqual(10);
      for (const t of f.tables) for (const [n, doc] of Object.entries(t)) expect(doc.length, n).toBeGreaterThan(20);
      for (const n of names) expect(code.includes(`'${n}'`), `probe ${n} is declared but no code hits it`).toBe(true);
    });

    it(`${f.system}: a small sweep hits several declared probes and only declared ones`, () => {
      const hit = new Set<string>();
      for (const scn of f.scenarios) {
        for (const seed of [1, 2, 3]) {
          const r = runScenario(scn, { seed });
          for (const p of Object.keys(r.coverage.probes)) hit.add(p);
          for (const n of r.coverage.declared) expect(allNames.has(n), `${n} hit by ${scn.name} but in no probe table`).toBe(true);
        }
      }
      const own = [...hit].filter((p) => names.includes(p));
      expect(own.length, `hit: ${[...hit].join(', ')}`).toBeGreaterThanOrEqual(f.minHit);
    });
  }

  // 200-seed sweeps reach every target (docs/coverage.md); here: each within the first 8 seeds.
  for (const scn of [raftFigure8, raftSnapshot, crdtLongPartition, escrowReaper] as Scenario[]) {
    it(`${scn.name}: declares mustReach, and each target is reached within seeds 1..8`, () => {
      expect(scn.mustReach?.length ?? 0).toBeGreaterThan(0);
      const missing = new Set(scn.mustReach);
      for (let seed = 1; seed <= 8 && missing.size > 0; seed++) {
        const r = runScenario(scn, { seed });
        expect(r.coverage.mustReach).toEqual(scn.mustReach);
        for (const m of [...missing]) if (reached(r.coverage, m)) missing.delete(m);
      }
      expect([...missing]).toEqual([]);
      for (const m of scn.mustReach!) expect(allNames.has(m), `${m} is in no probe table`).toBe(true);
    });
  }
});
