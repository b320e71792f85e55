import { statSync } from 'node:fs';
import path from 'node:path';

/**
 * A user error: bad input the user can fix. The CLI prints its message as one line and exits 2.
 * Never a stack trace.
 */
export class UserError extends Error {
  override name = 'UserError';
}

/** An option given twice arrives as a list: say so rather than quote "1,2". */
function once(raw: unknown, flag: string): void {
  if (Array.isArray(raw)) throw new UserError(`${flag} is given ${raw.length} times; give it once`);
}

/** Parses a seed: a non-negative integer that fits exactly in a double. */
export function parseSeed(raw: unknown, flag = '--seed'): number {
  once(raw, flag);
  const s = String(raw);
  if (!/^\d+$/.test(s)) throw new UserError(`${flag} must be a non-negative integer written in decimal digits, got "${excerpt(s)}"`);
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw new UserError(`${flag} must be at most ${Number.MAX_SAFE_INTEGER}, got ${excerpt(s)}`);
  return n;
}

export function parsePositiveInt(raw: unknown, flag: string): number {
  once(raw, flag);
  const s = String(raw);
  if (!/^\d+$/.test(s) || Number(s) < 1 || !Number.isSafeInteger(Number(s))) throw new UserError(`${flag} must be a positive integer (at most ${Number.MAX_SAFE_INTEGER}), got "${excerpt(s)}"`);
  return Number(s);
}

/**
 * A number of seconds: a non-negative decimal (digits, optionally a fraction: `90`, `0.5`) up to
 * `max`. 0 means "no limit" where the option says so.
 */
export function parseSeconds(raw: unknown, flag: string, max: number): number {
  once(raw, flag);
  const s = String(raw);
  const n = Number(s);
  if (!/^\d+(\.\d+)?$/.test(s) || !(n <= max)) throw new UserError(`${flag} must be a number of seconds from 0 (no limit) to ${max}, got "${excerpt(s)}"`);
  return n;
}

/** An integer written in decimal digits, within [min, max]. */
export function parseIntInRange(raw: unknown, flag: string, min: number, max: number, unit = ''): number {
  once(raw, flag);
  const s = String(raw);
  const n = Number(s);
  if (!/^\d+$/.test(s) || n < min || n > max) throw new UserError(`${flag} must be an integer from ${min} to ${max}${unit ? ` (${unit})` : ''}, got "${excerpt(s)}"`);
  return n;
}

/**
 * Text from the user's input, fit to quote in a one-line message: control characters and
 * anything not printable escaped (\n, \x1b, \u0000...), cut to `max` characters.
 */
export function excerpt(s: string, max = 60): string {
  const cut = s.length > max ? s.slice(0, max) : s;
  // Control, format (bidi overrides too), private-use and lone surrogate characters, and the
  // replacement character that stands for undecodable bytes.
  const esc = cut.replace(/[\p{Cc}\p{Cf}\p{Co}\p{Cs}\u2028\u2029\ufffd]/gu, (ch) => {
    const code = ch.codePointAt(0)!;
    if (ch === '\n') return '\\n';
    if (ch === '\r') return '\\r';
    if (ch === '\t') return '\\t';
    if (ch === '\ufffd') return '\\ufffd';
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : code < 0x10000 ? `\\u${code.toString(16).padStart(4, '0')}` : `\\u{${code.toString(16)}}`;
  });
  return s.length > max ? `${esc}…` : esc;
}

/**
 * An output file named by an option (`--trace FILE`...), checked before any work: its folder
 * must exist and the name must not be a folder. Returns the name as given (undefined if absent).
 */
export function outputFile(raw: unknown, flag: string): string | undefined {
  if (raw === undefined) return undefined;
  if (Array.isArray(raw)) throw new UserError(`${flag} is given more than once; give it once`);
  const file = String(raw);
  if (file === '') throw new UserError(`${flag} needs a file name`);
  const dir = path.dirname(path.resolve(file));
  let st;
  try {
    st = statSync(dir);
  } catch {
    throw new UserError(`${flag} ${excerpt(file, 200)}: the folder ${excerpt(path.dirname(file), 200)} does not exist; create it first (mkdir -p ${excerpt(path.dirname(file), 200)}) or name a file in an existing folder`);
  }
  if (!st.isDirectory()) throw new UserError(`${flag} ${excerpt(file, 200)}: ${excerpt(path.dirname(file), 200)} is not a folder`);
  let target;
  try {
    target = statSync(file);
  } catch {
    return file;
  }
  if (target.isDirectory()) throw new UserError(`${flag} ${excerpt(file, 200)} is a folder; name a file`);
  return file;
}

/**
 * What a thread or a callback threw, as one line: scenario code may throw anything (a string, a
 * plain object, a symbol), and an error from a thread arrives as what was thrown, cloned.
 */
export function describeThrown(err: unknown): string {
  if (err instanceof Error || (typeof err === 'object' && err !== null && typeof (err as Error).message === 'string')) {
    const e = err as Error;
    return `${typeof e.name === 'string' ? e.name : 'Error'}: ${e.message.split('\n')[0]}`;
  }
  let s: string;
  try {
    s = typeof err === 'object' && err !== null ? JSON.stringify(err) : String(err);
  } catch {
    s = Object.prototype.toString.call(err);
  }
  return `a thrown ${err === null ? 'null' : typeof err}: ${excerpt(s ?? String(err), 120)}`;
}

/** Why a run's report could not be sent from its thread (postMessage threw: a value in it is not plain data). */
export function unsentReport(e: unknown): string {
  return `the run's report could not be sent from its thread (${describeThrown(e)}): a value the scenario put in it (a violation message, a metric, a check's answer) is not plain data`;
}
