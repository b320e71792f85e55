// The first module of a `detsim run`'s thread started early by bin/early-run.js: it waits for the
// module the main thread names (its first message) and imports it.
import { parentPort } from 'node:worker_threads';

parentPort.once('message', (m) => {
  // An error importing it is thrown in the thread (an unhandled rejection ends a worker thread with
  // that error), as it would be had the thread been started on that module.
  void import(m.entry);
});
