/**
 * A worker thread started before its work is known, so its boot (a V8 isolate, detsim's modules)
 * overlaps the main thread's own start-up (parsing, finding scenarios, checking outputs). It waits
 * for its first message. Until it is taken it does not keep the process alive, and what it does
 * meanwhile (an error, an exit) is kept for whoever takes it: nothing it does is lost.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** What a worker did before it was taken: it failed, or it ended. */
export type EarlyEvent = { error: Error & { code?: string } } | { exit: number };

/**
 * A thread bin/detsim.js started before detsim's modules loaded (bin/early-run.js, a `detsim run`'s
 * thread): it boots with the options it was given and imports nothing until `load` names its module.
 */
export interface BootThread {
  readonly worker: Worker;
  /** The options it was started with. */
  readonly options: WorkerOptions;
  /** An 'error' or 'exit' before it was given its module (it failed to boot). */
  readonly early: EarlyEvent | null;
  /** Imports `entry` (a file path) in the thread, once; `early` is no longer kept from then on. */
  load(entry: string): void;
  /** Ends it unused. */
  discard(): Promise<void>;
}

export class EarlyWorker {
  readonly worker: Worker;
  /** An 'error' or 'exit' before the worker was taken. */
  early: EarlyEvent | null = null;
  private taken = false;
  private readonly release: () => void;

  /**
   * Starts a worker on `entry`, or, given a `boot` thread already booting with these options, has
   * that one import `entry`.
   */
  constructor(
    readonly entry: string,
    readonly options: WorkerOptions,
    boot?: BootThread,
  ) {
    this.worker = boot?.worker ?? new Worker(entry, options);
    this.worker.unref();
    const onError = (error: Error): void => {
      this.early ??= { error };
    };
    const onExit = (code: number): void => {
      this.early ??= { exit: code };
    };
    this.worker.on('error', onError);
    this.worker.on('exit', onExit);
    this.release = () => {
      this.worker.off('error', onError);
      this.worker.off('exit', onExit);
    };
    if (boot !== undefined) {
      // Watched above before the boot thread's own watch ends in `load`: nothing it does is missed.
      this.early = boot.early;
      boot.load(entry);
    }
  }

  /** The worker, once (null after that); it keeps the process alive again. Check `early` after taking it. */
  take(): Worker | null {
    if (this.taken) return null;
    this.taken = true;
    this.release();
    this.worker.ref();
    return this.worker;
  }

  /** Ends the worker if nobody took it. */
  async discard(): Promise<void> {
    if (this.taken) return;
    this.taken = true;
    this.release();
    this.worker.on('error', () => {});
    await this.worker.terminate();
  }
}
