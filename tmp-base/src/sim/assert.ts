/**
 * Assertions for protocol and kernel code. A failed assertion is a bug in the simulated system
 * (or in detsim): the run stops and is reported as a failure of its seed, with the message.
 */
export class AssertionError extends Error {
  /** Always `'AssertionError'`. */
  override name = 'AssertionError';
}

/** Throws an AssertionError with `message` unless `cond` holds. */
export function assert(cond: unknown, message: string | (() => string)): asserts cond {
  if (!cond) throw new AssertionError(typeof message === 'function' ? message() : message);
}

/** For switch exhaustiveness: the compiler proves this is unreachable. */
export function unreachable(x: never, what = 'value'): never {
  throw new AssertionError(`unexpected ${what}: ${String(x)}`);
}
