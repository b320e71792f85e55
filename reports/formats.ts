/**
 * The names and versions of detsim's machine formats (the `format` field of each); their JSON
 * Schemas are in schemas/. Adding a field keeps a version; changing or removing one bumps it.
 */
/** `detsim run --json` and `detsim replay --json`: schemas/run.schema.json. */
export const RUN_FORMAT = 'detsim-run/1';
/** `detsim sweep --json`: schemas/sweep.schema.json. /2: the `partial` flag is gone, `incomplete` (its reasons) says it. */
export const SWEEP_FORMAT = 'detsim-sweep/2';
/** One run's line in a sweep's results stream: schemas/result.schema.json. */
export const RESULT_FORMAT = 'detsim-result/1';
/** The header line of a sweep's results stream: schemas/result.schema.json. */
export const RESULTS_HEADER_FORMAT = 'detsim-results/1';
