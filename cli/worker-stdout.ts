/**
 * For the threads that run scenarios (`run`'s and a sweep's workers): whatever the scenario prints
 * (console.log, process.stdout.write) goes to stderr. stdout carries detsim's own output, which
 * --json makes one JSON object that a print in the middle would break.
 *
 * A thread's stderr reaches the main thread as messages of their own, not in order with the
 * thread's replies: a thread ended (terminated) right after its last reply dropped prints still on
 * their way. `scenarioPrintsDelivered` waits until the main thread has taken every print so far
 * (a write's callback runs when it has), so a reply is sent only after the prints of its run.
 */
let pending = 0;
let waiters: (() => void)[] = [];

function settled(): void {
  pending--;
  if (pending === 0) for (const f of waiters.splice(0)) f();
}

/** Wraps a stream's write so that each chunk is counted until the main thread has it. */
function counted(write: typeof process.stderr.write): typeof process.stderr.write {
  return function (this: unknown, chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
    const done = typeof encoding === 'function' ? encoding : cb;
    const enc = typeof encoding === 'function' ? undefined : encoding;
    pending++;
    const after = (err?: Error | null): void => {
      settled();
      if (typeof done === 'function') (done as (e?: Error | null) => void)(err);
    };
    return enc === undefined ? Reflect.apply(write, process.stderr, [chunk, after]) as boolean : Reflect.apply(write, process.stderr, [chunk, enc, after]) as boolean;
  } as typeof process.stderr.write;
}

export function scenarioPrintsToStderr(): void {
  const write = process.stderr.write.bind(process.stderr) as typeof process.stderr.write;
  process.stderr.write = counted(write);
  process.stdout.write = counted(write) as typeof process.stdout.write;
}

/** Resolves once every print made so far has reached the main thread (at once when none is on its way). */
export function scenarioPrintsDelivered(): Promise<void> {
  if (pending === 0) return Promise.resolve();
  return new Promise((resolve) => waiters.push(resolve));
}
