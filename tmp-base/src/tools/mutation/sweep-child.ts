/**
 * The "test" of a mutant: a bounded seed sweep of one system's scenario family, run in a child
 * process inside a scratch copy (so it imports the mutated sources). Seeds are interleaved across
 * the family (seed 1 of every scenario, then seed 2, ...) so a failure anywhere shows early.
 *
 * Input: one argument, a JSON file with SweepRequest. Output: JSON Lines on stdout, one `start`
 * before each run (a parent watchdog that kills a hung run knows which one hung), one `run` after
 * it, and a final `done`. The sweep stops at its first failure (when asked) and at its wall bound.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Network } from '../../sim/network/network.ts';
import { runScenario } from '../../sim/runner.ts';
import type { Scenario } from '../../sim/scenario.ts';
import { HIT_FN } from './generate.ts';

export interface SweepRequest {
  /** Scenario files, relative to the scratch root. */
  family: string[];
  from: number;
  seeds: number;
  stopAtFirstFailure: boolean;
  /** Stop starting runs after this many wall milliseconds (0 = no bound). */
  wallMs: number;
  /** `scenario#seed` pairs that fail without any mutant: never counted as a catch. */
  skip?: string[];
  /**
   * Seeds (from `from`) whose runs also hash every message body sent: the trace hash covers
   * when, where and what kind of event happened, not what a message said, so a mutant that only
   * changes values would otherwise look equivalent.
   */
  fingerprintSeeds?: number;
}

export interface RunLine {
  kind: 'run';
  scenario: string;
  seed: number;
  ok: boolean;
  outcome: string;
  invariant: string | null;
  message: string;
  traceHash: string;
  /** Hash of every message body sent (seeds within `fingerprintSeeds` only), else null. */
  bodyHash: string | null;
  /** How often the mutated code ran (0 without a mutant's probes). */
  hits: number;
  wallMs: number;
}

export interface DoneLine {
  kind: 'done';
  runs: number;
  cutByWall: boolean;
  failed: boolean;
}

async function main(): Promise<void> {
  const req = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as SweepRequest;
  const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
  const scenarios: Scenario[] = [];
  for (const f of req.family) {
    const mod = (await import(pathToFileURL(path.join(root, f)).href)) as { default: Scenario };
    scenarios.push(mod.default);
  }
  let hits = 0;
  (globalThis as Record<string, unknown>)[HIT_FN] = () => {
    hits++;
  };
  const skip = new Set(req.skip ?? []);
  // Message-body fingerprint: FNV-1a over a stable JSON of each body, in two lanes.
  let h1: number | null = null;
  let h2 = 0;
  const fold = (str: string) => {
    let a = h1!;
    let b = h2;
    for (let i = 0; i < str.length; i++) {
      const c = str.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x01000193) ^ (b >>> 13);
    }
    h1 = a;
    h2 = b;
  };
  const stable = (v: unknown): string => {
    try {
      return JSON.stringify(v, (_k, x: unknown) => (x instanceof Map ? [...x.entries()] : x instanceof Set ? [...x] : typeof x === 'bigint' ? `${x}n` : x === undefined ? null : x)) ?? 'undefined';
    } catch {
      return String(v);
    }
  };
  const proto = Network.prototype as unknown as { sendFrom: (src: { id: string }, to: string, body: unknown, opts?: unknown) => void };
  const sendFrom = proto.sendFrom;
  proto.sendFrom = function (this: unknown, src, to, body, opts) {
    if (h1 !== null) fold(`${src.id}>${to}:${stable(body)}\n`);
    sendFrom.call(this, src, to, body, opts);
  };
  const t0 = Date.now(); // wallclock-ok: bounds the sweep, outside the simulation
  let runs = 0;
  let failed = false;
  let cutByWall = false;
  const out = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
  outer: for (let seed = req.from; seed < req.from + req.seeds; seed++) {
    for (const scn of scenarios) {
      if (req.wallMs > 0 && Date.now() - t0 > req.wallMs) { // wallclock-ok
        cutByWall = true;
        break outer;
      }
      out({ kind: 'start', scenario: scn.name, seed });
      hits = 0;
      h1 = seed - req.from < (req.fingerprintSeeds ?? 0) ? 0x811c9dc5 : null;
      h2 = 0x9747b28c;
      const r0 = Date.now(); // wallclock-ok
      const r = runScenario(scn, { seed, logLines: 0 });
      runs++;
      const v = r.violations[0];
      const line: RunLine = {
        kind: 'run', scenario: scn.name, seed, ok: r.ok, outcome: r.outcome,
        invariant: v?.invariant ?? (r.ok ? null : r.outcome), message: (v?.message ?? r.pending.map((p) => `${p.property}: ${p.reason}`).join('; ')).slice(0, 300),
        traceHash: r.traceHash, bodyHash: h1 === null ? null : `${(h1 >>> 0).toString(16)}${(h2 >>> 0).toString(16)}`, hits, wallMs: Date.now() - r0, // wallclock-ok
      };
      out(line);
      if (!r.ok && !skip.has(`${scn.name}#${seed}`)) {
        failed = true;
        if (req.stopAtFirstFailure) break outer;
      }
    }
  }
  out({ kind: 'done', runs, cutByWall, failed } satisfies DoneLine);
}

await main();
