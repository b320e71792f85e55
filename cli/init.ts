/**
 * `detsim init <name>`: writes a commented scenario, its vitest test and a tsconfig.json into a
 * folder, ready to run (`npx detsim run ./<name>.ts --seed 1`), to test (`npx vitest run`) and to
 * type-check (`npx tsc -p .`). Nothing is overwritten.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PACKAGE_ROOT } from './scenarios.ts';
import { UserError } from './errors.ts';

/** What init wrote, for the user's next steps. */
export interface InitResult {
  dir: string;
  files: string[];
  /** Whether `detsim` resolves from the folder through node_modules (else tsconfig maps it by path). */
  installed: boolean;
  /** Whether `@types/node` resolves from the folder (detsim's own sources need Node's types to type-check). */
  nodeTypes: boolean;
}

/** Whether `specifier` resolves from `dir` through node_modules (an installed package). */
function resolvesFrom(dir: string, specifier: string): boolean {
  try {
    createRequire(path.join(dir, 'noop.js')).resolve(specifier);
    return true;
  } catch {
    return false;
  }
}

/** The tsconfig.json of a folder of scenarios: strict, ESM, no emit; detsim mapped by path when not installed. */
export function tsconfigFor(dir: string): { json: string; installed: boolean; nodeTypes: boolean } {
  const installed = resolvesFrom(dir, 'detsim/package.json');
  const nodeTypes = resolvesFrom(dir, '@types/node/package.json');
  const compilerOptions: Record<string, unknown> = {
    target: 'ES2022',
    module: 'ESNext',
    moduleResolution: 'Bundler',
    lib: ['ES2023'],
    // A scenario needs no Node types; a test that uses Node APIs needs @types/node installed.
    types: nodeTypes ? ['node'] : [],
    strict: true,
    noEmit: true,
    allowImportingTsExtensions: true,
    verbatimModuleSyntax: true,
    isolatedModules: true,
    skipLibCheck: true,
  };
  if (!installed) {
    // detsim is not in node_modules: point the type-checker at the detsim that wrote this file
    // (and at its vitest, for the test file, unless vitest is installed here).
    const paths: Record<string, string[]> = { detsim: [path.join(PACKAGE_ROOT, 'index.ts')], 'detsim/kits': [path.join(PACKAGE_ROOT, 'kits', 'index.ts')], 'detsim/testing': [path.join(PACKAGE_ROOT, 'testing', 'index.ts')] };
    const ownVitest = path.join(PACKAGE_ROOT, 'node_modules', 'vitest');
    if (!resolvesFrom(dir, 'vitest/package.json') && existsSync(ownVitest)) paths.vitest = [ownVitest];
    compilerOptions.paths = paths;
    // detsim's sources (the kits in particular) use Node's globals: their types come from the
    // detsim that wrote this file when the folder has none of its own.
    const ownNodeTypes = path.join(PACKAGE_ROOT, 'node_modules', '@types');
    if (!nodeTypes && existsSync(path.join(ownNodeTypes, 'node'))) {
      compilerOptions.typeRoots = [ownNodeTypes];
      compilerOptions.types = ['node'];
    }
  }
  return { json: JSON.stringify({ compilerOptions, include: ['*.ts', '*.mts'] }, null, 2) + '\n', installed, nodeTypes };
}

/** Writes the scenario, its test and (if absent) a tsconfig.json into `dir`. */
export function initScenario(name: string, dir: string): InitResult {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new UserError(`a scenario name is lower-case letters, digits and dashes, starting with a letter (e.g. my-counter); got "${name}"`);
  const abs = path.resolve(dir);
  const files: [string, string][] = [
    [`${name}.ts`, scenarioTemplate(name)],
    [`${name}.test.ts`, testTemplate(name)],
  ];
  for (const [f] of files) {
    if (existsSync(path.join(abs, f))) throw new UserError(`${path.join(dir, f)} exists already; pick another name or folder (init never overwrites)`);
  }
  mkdirSync(abs, { recursive: true });
  const written: string[] = [];
  for (const [f, text] of files) {
    writeFileSync(path.join(abs, f), text);
    written.push(f);
  }
  const ts = tsconfigFor(abs);
  if (!existsSync(path.join(abs, 'tsconfig.json'))) {
    writeFileSync(path.join(abs, 'tsconfig.json'), ts.json);
    written.push('tsconfig.json');
  }
  return { dir: abs, files: written, installed: ts.installed, nodeTypes: ts.nodeTypes };
}

export function scenarioTemplate(name: string): string {
  return `/**
 * ${name}: a durable counter. One server keeps a count on its disk; clients increment it over a
 * faulty network while the standard nemesis crashes, pauses and partitions the server.
 *
 * Safety: an increment the server acknowledged is never lost, even across a crash.
 * Liveness: once the faults stop, the server is up and answers.
 * Bug zoo: \`--param bug=ack-before-fsync\` acknowledges before the write is durable; a crash in
 * between loses an acknowledged increment, and the safety check catches it.
 *
 * Run it:    npx detsim run ./${name}.ts --seed 1
 * Sweep it:  npx detsim sweep ./${name}.ts --seeds 200
 * The bug:   npx detsim sweep ./${name}.ts --seeds 50 --param bug=ack-before-fsync
 * Test it:   npx vitest run        (${name}.test.ts)
 */
import { defineScenario, faultParams, ms, param, sec, standardNemesis, type CallResult, type Envelope, type NodeContext } from 'detsim';

/** The messages between clients and the server. Give each a \`type\`: the trace names it. */
type Request = { type: 'incr' } | { type: 'read' };
type Reply = { type: 'incr_ok' } | { type: 'read_ok'; value: number };

/**
 * The server's program. The object returned is its volatile state: a crash discards it, and a
 * restart runs this factory again, which must recover from \`ctx.disk\` alone. Increments are
 * written at once and made durable in groups: one fsync every \`commitMs\` (group commit).
 */
function counterServer(ctx: NodeContext, commitMs: number, bug: 'none' | 'ack-before-fsync') {
  // Recover: the count is the number of increments on disk. readForRecovery retries a failed
  // read and, if the disk keeps failing, fail-stops the node: starting from 0 would lose them all.
  const state = { value: ctx.disk.readForRecovery('increments').records.length };
  const waiting: Envelope[] = []; // increments written, not yet durable, not yet acknowledged
  let commitScheduled = false;
  const ack = (env: Envelope): void => ctx.reply(env, { type: 'incr_ok' } satisfies Reply);
  const commitSoon = (): void => {
    if (commitScheduled) return;
    commitScheduled = true;
    ctx.setTimer(ms(commitMs), () => {
      commitScheduled = false;
      const batch = waiting.splice(0);
      // The fsync covers every write made before it; acknowledge the batch once it is durable.
      ctx.disk.fsync((err) => {
        if (err === null) batch.forEach(ack);
        // A failed fsync lost writes that memory still counts: trust nothing in memory, crash and
        // recover from what is durable (as PostgreSQL does since "fsyncgate"). A supervisor restarts it.
        else ctx.failStop(\`fsync failed: \${err}\`);
      });
    });
  };
  return {
    state,
    onMessage(env: Envelope) {
      const req = env.body as Request;
      if (req.type === 'read') return ctx.reply(env, { type: 'read_ok', value: state.value } satisfies Reply);
      ctx.disk.append('increments', 1);
      state.value++;
      if (bug === 'ack-before-fsync') ack(env); // BUG: acknowledged before it is durable
      else waiting.push(env);
      commitSoon();
    },
  };
}

export default defineScenario({
  name: '${name}', // what \`detsim run\` and the repro files call it
  description: 'A durable counter under crashes and partitions: no acknowledged increment is lost',
  params: {
    // Typed parameters with defaults; a swarm range is drawn per seed (pin one with --param k=v).
    clients: param.int({ doc: 'clients incrementing', default: 3, min: 1, max: 16, swarm: [1, 5] }),
    commitMs: param.float({ doc: 'group commit: one fsync every this many ms', default: 20, min: 0.01, max: 1000, swarm: [1, 50] }),
    opMs: param.float({ doc: 'mean time between a client\\'s increments (ms)', default: 5, min: 0.1, max: 10_000 }),
    bug: param.enum(['none', 'ack-before-fsync'] as const, { doc: 'bug-zoo variant: ack-before-fsync acknowledges before the write is durable', default: 'none' }),
    ...faultParams(), // loss, duplication, reordering, crashes, partitions, pauses, clogs, clock skew
  },
  durationNs: sec(10), // the fault phase
  livenessBoundNs: sec(10), // how long liveness may take once the faults stop
  setup(w, p) {
    const server = w.addNode('server', (ctx) => counterServer(ctx, p.commitMs, p.bug));
    let acked = 0; // increments the server acknowledged
    for (let c = 1; c <= p.clients; c++) {
      w.addClient(\`c\${c}\`, function* (ctx) {
        while (w.phase === 'fault') {
          yield ctx.sleep(ctx.rng.exponential(ms(p.opMs))); // time passes only in the simulation
          const r: CallResult<Reply> = yield ctx.call<Reply>('server', { type: 'incr' } satisfies Request, ms(500));
          if (r.ok) acked++;
        }
      });
    }
    // Safety: polled every 10 ms of simulated time; return a message when violated, else null.
    w.safety('no-acked-increment-lost', () => {
      const s = server.program?.state;
      return s && s.value < acked ? \`the server counts \${s.value}, but \${acked} increments were acknowledged\` : null;
    });
    // Liveness: after the faults stop it must become true within livenessBoundNs.
    w.liveness('server-up', () => (server.program ? true : 'the server is down'));
    w.onHeal(() => {
      w.metrics.acked = acked; // figures in the run's JSON
    });
    // The fault schedule the faultParams describe. By default at most a minority of servers is down
    // at once (none of one); this counter is about crashes, so let its one server go down.
    standardNemesis(w, p, { maxDown: 1 });
  },
});
`;
}

export function testTemplate(name: string): string {
  return `/**
 * Tests of the ${name} scenario: \`npx vitest run\` in this folder finds them. Each helper runs
 * seeds in this process; a failure names the seed, the violated invariant and the command that
 * replays it.
 */
import { describe, it } from 'vitest';
import { expectBugCaught, expectSeedsPass } from 'detsim/testing';
import scenario from './${name}.ts';

// For the replay command a failure prints (relative to where vitest runs).
const file = './${name}.ts';

describe('${name}', () => {
  it('keeps every acknowledged increment over 20 seeds of faults', () => {
    expectSeedsPass(scenario, { seeds: 20, file });
  });

  it('the same seeds with the defaults (swarm off) and no BUGGIFY', () => {
    expectSeedsPass(scenario, { seeds: 5, swarm: false, buggify: false, file });
  });

  it('catches ack-before-fsync within 30 seeds, and the correct variant passes those seeds', () => {
    // Crashes are what expose this bug: pin a crash every 500 ms on average.
    expectBugCaught(scenario, { bug: 'ack-before-fsync', within: 30, pins: { crashMsMean: 500 }, invariant: 'no-acked-increment-lost', file });
  });
});
`;
}
