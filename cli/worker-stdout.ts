/**
 * For the threads that run scenarios (`run`'s and a sweep's workers): whatever the scenario prints
 * (console.log, process.stdout.write) goes to stderr. stdout carries detsim's own output, which
 * --json makes one JSON object that a print in the middle would break.
 */
export function scenarioPrintsToStderr(): void {
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
}
