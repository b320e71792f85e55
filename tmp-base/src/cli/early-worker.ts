/**
 * A worker thread started before its work is known, so its boot (a V8 isolate, detsim's modules)
 * overlaps the main thread's own start-up (parsing, finding scenarios, checking outputs). It waits
 * for its first message. Until it is taken it does not keep the process alive, and what it does
 * meanwhile (an error, an exit) is kept for whoever takes it: nothing it does is lost.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

export class EarlyWorker {
  readonly worker: Worker;
  /** An 'error' or 'exit' before the worker was taken. */
  early: { error: Error & { code?: string } } | { exit: number } | null = null;
  private taken = false;
  private readonly release: () => void;

  constructor(
    readonly entry: string,
    readonly options: WorkerOptions,
  ) {
    this.worker = new Worker(entry, options);
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
