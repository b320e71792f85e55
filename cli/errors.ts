/**
 * A user error: bad input the user can fix. The CLI prints its message as one line and exits 2.
 * Never a stack trace.
 */
export class UserError extends Error {
  override name = 'UserError';
}

/** Parses a seed: a non-negative integer that fits exactly in a double. */
export function parseSeed(raw: unknown, flag = '--seed'): number {
  const s = String(raw);
  if (!/^\d+$/.test(s)) throw new UserError(`${flag} must be a non-negative integer, got "${s}"`);
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw new UserError(`${flag} must be at most ${Number.MAX_SAFE_INTEGER}, got ${s}`);
  return n;
}

export function parsePositiveInt(raw: unknown, flag: string): number {
  const s = String(raw);
  if (!/^\d+$/.test(s) || Number(s) < 1 || !Number.isSafeInteger(Number(s))) throw new UserError(`${flag} must be a positive integer, got "${s}"`);
  return Number(s);
}
