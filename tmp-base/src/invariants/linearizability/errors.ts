/**
 * User errors of the linearizability checker: bad input files, malformed histories, bad options.
 * Each has a stable `code` and a one-line message that says where the problem is; none of them is
 * a bug in detsim (those are AssertionErrors).
 */

/** A history file could not be parsed. The message is `file:line: what is wrong`. */
export class HistoryParseError extends Error {
  override name = 'HistoryParseError';
  readonly code = 'E_HISTORY_PARSE';
  constructor(
    readonly file: string,
    /** 1-based line number; 0 when the problem is the file as a whole. */
    readonly line: number,
    readonly reason: string,
  ) {
    // The reason may quote the file's bytes: escaped and cut, so garbage never reaches a terminal raw.
    const shown = escapeUnprintable(reason.length > 300 ? `${reason.slice(0, 300)}...` : reason);
    super(line > 0 ? `${file}:${line}: ${shown}` : `${file}: ${shown}`);
  }
}

/**
 * Text fit to print: control, format (bidi overrides too), private-use and lone surrogate
 * characters and the replacement character (undecodable bytes) written as escapes.
 */
export function escapeUnprintable(s: string): string {
  return s.replace(/[\p{Cc}\p{Cf}\p{Co}\p{Cs}\u2028\u2029\ufffd]/gu, (ch) => {
    const code = ch.codePointAt(0)!;
    if (ch === '\n') return '\\n';
    if (ch === '\r') return '\\r';
    if (ch === '\t') return '\\t';
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : code < 0x10000 ? `\\u${code.toString(16).padStart(4, '0')}` : `\\u{${code.toString(16)}}`;
  });
}

/** A history handed to `checkHistory` breaks the rules (e.g. a reply before its invocation). */
export class InvalidHistoryError extends Error {
  override name = 'InvalidHistoryError';
  readonly code = 'E_INVALID_HISTORY';
}

/** `checkHistory` options that cannot work together (e.g. a timeout with no clock). */
export class CheckerOptionError extends Error {
  override name = 'CheckerOptionError';
  readonly code = 'E_CHECKER_OPTION';
}

/** Parsing was stopped by its caller's budget (a time limit), after `lines` lines. Not a user error. */
export class ParseStoppedError extends Error {
  override name = 'ParseStoppedError';
  constructor(
    readonly file: string,
    readonly lines: number,
  ) {
    super(`${file}: parsing stopped after ${lines} lines (the time budget ran out)`);
  }
}
