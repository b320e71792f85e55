/**
 * What each command takes and writes, shown at the end of its `--help`: the input formats a
 * user has to get right, and the machine formats (JSON Schemas in schemas/) a tool can rely on.
 */
export const INPUT_FORMATS = {
  list: 'Scenarios: built-in names, globs of names (raft-*), all, .ts/.mts scenario files, folders (their scenario files) or quoted file globs (\'./my/*.ts\'). --json: each scenario with its parameter table.',
  run: '<scenario>: a built-in name (detsim list) or a .ts/.mts file, anywhere, that default-exports defineScenario({...}) and may import from \'detsim\'. --param name=value takes the types of detsim list <scenario>: int, float, true|false, or one of an enum\'s values. --json: format detsim-run/1 (schemas/run.schema.json); --repro: detsim-repro/2 (schemas/repro.schema.json); --trace: JSON lines {t, i, node, kind, detail}.',
  sweep: '<scenarios..>: built-in names, globs of names (raft-*), all, .ts/.mts files, folders or quoted file globs (\'./my-scenarios/*.ts\'). Writes <out>/<run id>.results.jsonl (detsim-result/1 lines, schemas/result.schema.json) and a repro file per failure (detsim-repro/2); --json: detsim-sweep/2 (schemas/sweep.schema.json), with --per-seed one entry per run.',
  replay: '<target>: a repro file (detsim-repro/2 or /1, schemas/repro.schema.json; fields it does not name are reported and ignored; a shrunk one is driven by its script), or a scenario name or file with --seed N. --json: detsim-run/1. Exit codes of a repro file: 1 the recorded failure reproduced (same trace hash, same outcome and first violation); 4 not reproduced (another trace hash, or the same trace with another verdict: "NOT REPRODUCED" says what happened and what to do; never PASS); 2 bad input. A failure is shown with its explanation: for a liveness failure, the moments the pending property changed, the faults before its last change and the trace around it.',
  shrink: '<repro>: a repro file (detsim-repro/2 or /1) of a failing run; writes another repro file (detsim-repro/2) carrying the shrunk script of faults and operations.',
  export: '<repro>: a repro file (detsim-repro/2) with a script, best a shrunk one (detsim shrink); writes a vitest test (TypeScript) importing from \'detsim\' and \'detsim/testing\'.',
  check: '<history>: with --model etcd, a Jepsen etcd history log (one register); with --model kv, EDN lines, one operation a line, over a key-value map.',
  init: 'Writes <dir>/<name>.ts (a commented scenario importing from \'detsim\'), <dir>/<name>.test.ts (vitest, detsim/testing) and, if absent, <dir>/tsconfig.json.',
} as const;
