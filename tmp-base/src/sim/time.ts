/**
 * Virtual time. Every duration and instant in detsim is an integer number of nanoseconds held in a
 * JS number: exact up to 2^53 ns (about 104 days of simulated time), which is far beyond any run,
 * and much faster on the hot path than bigint.
 */
export type Nanos = number;

/** Nanoseconds in a microsecond. */
export const NS_PER_US = 1_000;
/** Nanoseconds in a millisecond. */
export const NS_PER_MS = 1_000_000;
/** Nanoseconds in a second. */
export const NS_PER_SEC = 1_000_000_000;

/** Microseconds to nanoseconds (rounded to an integer). */
export const us = (x: number): Nanos => Math.round(x * NS_PER_US);
/** Milliseconds to nanoseconds (rounded to an integer). */
export const ms = (x: number): Nanos => Math.round(x * NS_PER_MS);
/** Seconds to nanoseconds (rounded to an integer). */
export const sec = (x: number): Nanos => Math.round(x * NS_PER_SEC);
/** Minutes to nanoseconds. */
export const minutes = (x: number): Nanos => Math.round(x * 60 * NS_PER_SEC);

/** A short human form of a duration or instant, for logs: 150ns, 2.5us, 100ms, 61.2s. */
export function formatNs(t: Nanos): string {
  const a = Math.abs(t);
  if (a < NS_PER_US) return `${t}ns`;
  if (a < NS_PER_MS) return `${trim(t / NS_PER_US)}us`;
  if (a < NS_PER_SEC) return `${trim(t / NS_PER_MS)}ms`;
  return `${trim(t / NS_PER_SEC)}s`;
}

function trim(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(3).replace(/0+$/, '').replace(/\.$/, '');
}

/** A fixed-width instant for the short log: seconds with nanosecond precision, e.g. 12.000150000. */
export function formatInstant(t: Nanos): string {
  const s = Math.floor(t / NS_PER_SEC);
  const frac = String(t - s * NS_PER_SEC).padStart(9, '0');
  return `${s}.${frac}`;
}
