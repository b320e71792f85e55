/**
 * The system kits from a scenario outside the repository: a file in an empty temporary folder
 * (no package.json, no node_modules) composes two kits, `addConfigStore` and `addEscrow` from
 * 'detsim/kits' (a second file, `addConfigStore` and `addLoadBalancers`), with the kernel API from 'detsim'; it runs with `detsim run`, its checks hold,
 * both clusters are in the run, and it type-checks with the tsconfig `detsim init` writes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin', 'detsim.js');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const dir = mkdtempSync(path.join(tmpdir(), 'detsim-kits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && k !== 'NODE_OPTIONS' && k !== 'TEST'));
env.NO_COLOR = '1';
const sh = (cmd: string, ...args: string[]) => {
  const r = spawnSync(cmd, args, { cwd: dir, encoding: 'utf8', env, timeout: 300_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
};

const SCENARIO = `import { defineScenario, faultParams, sec, standardNemesis } from 'detsim';
import { addConfigStore, addEscrow, type ConfigStoreHandle, type EscrowHandle } from 'detsim/kits';

export default defineScenario({
  name: 'store-and-seats',
  description: 'a Raft config store and an escrow sale in one world, each under its own prefix',
  params: { ...faultParams() },
  durationNs: sec(4),
  livenessBoundNs: sec(30),
  setup(w, p) {
    const store: ConfigStoreHandle = addConfigStore(w, { prefix: 'cfg', nodes: 3, workload: true, domainOf: (i) => ['us', 'eu', 'ap'][i]! });
    const seats: EscrowHandle = addEscrow(w, { prefix: 'esc-', regions: 3, capacity: 60, durationS: 4, sale: true });
    standardNemesis(w, p, { targets: [...store.servers, ...seats.servers], maxDown: 1 });
    w.metrics.kits = { store: store.ids, seats: seats.regions.map((r) => seats.entryOf(r)) };
  },
});
`;

const WEB = `import { defineScenario, faultParams, sec } from 'detsim';
import { addConfigStore, addLoadBalancers, lbParams, type LoadBalancersHandle } from 'detsim/kits';

export default defineScenario({
  name: 'web-and-store',
  description: 'a load-balanced service and a Raft config store in one world, each under its own prefix',
  params: { ...faultParams(), ...lbParams() },
  durationNs: sec(3),
  livenessBoundNs: sec(30),
  setup(w, p) {
    const store = addConfigStore(w, { prefix: 'cfg', nodes: 3, workload: true });
    const web: LoadBalancersHandle = addLoadBalancers(w, p, { prefix: 'web-', domain: 'us' });
    w.metrics.kits = { store: store.ids, balancers: web.balancers.length, operator: web.operator };
  },
});
`;

describe('the system kits, from a scenario outside the repository', () => {
  it("compose in one world through 'detsim' and 'detsim/kits': the run passes its checks and type-checks", () => {
    expect(path.relative(ROOT, dir).startsWith('..')).toBe(true);
    writeFileSync(path.join(dir, 'store-and-seats.ts'), SCENARIO);
    const run = sh(process.execPath, BIN, 'run', './store-and-seats.ts', '--seed', '1', '--json');
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    const j = JSON.parse(run.out);
    expect(j.ok).toBe(true);
    expect(j.metrics.kits).toEqual({ store: ['cfg1', 'cfg2', 'cfg3'], seats: ['esc-r1', 'esc-r2', 'esc-r3'] });
    // Both kits really ran: the store's linearizability check and the sale's figures are there.
    expect(j.metrics.history.verdict).toBe('linearizable');
    expect(j.metrics['esc-']).toBeDefined();

    // The load-balancer kit composes the same way: its figures under its prefix, the store's check beside it.
    writeFileSync(path.join(dir, 'web-and-store.ts'), WEB);
    const web = sh(process.execPath, BIN, 'run', './web-and-store.ts', '--seed', '1', '--json');
    expect(web.err).toBe('');
    expect(web.code).toBe(0);
    const wj = JSON.parse(web.out);
    expect(wj.metrics.kits.store).toEqual(['cfg1', 'cfg2', 'cfg3']);
    expect(wj.metrics.kits.operator).toBe('web-operator');
    expect(wj.metrics['web-'].requests).toBeGreaterThan(0);
    expect(wj.metrics.history.verdict).toBe('linearizable');

    // The documented type-check recipe: detsim init's tsconfig (paths to this detsim), tsc -p .
    expect(sh(process.execPath, BIN, 'init', 'scratch', '--dir', '.').code).toBe(0);
    rmSync(path.join(dir, 'scratch.ts'));
    rmSync(path.join(dir, 'scratch.test.ts'));
    expect(JSON.parse(readFileSync(path.join(dir, 'tsconfig.json'), 'utf8')).compilerOptions.paths['detsim/kits']).toBeDefined();
    const ok = sh(process.execPath, TSC, '-p', '.');
    expect(ok.out + ok.err).toBe('');
    expect(ok.code).toBe(0);
    // ... and it would catch a misuse of a kit's options.
    writeFileSync(path.join(dir, 'broken.ts'), "import { addConfigStore } from 'detsim/kits';\nexport const x = (w: never) => addConfigStore(w, { nodes: 'three' });\n");
    const bad = sh(process.execPath, TSC, '-p', '.');
    expect(bad.code).not.toBe(0);
    expect(bad.out).toMatch(/broken\.ts\(2,\d+\): error TS2322/);
  }, 600_000);
});
