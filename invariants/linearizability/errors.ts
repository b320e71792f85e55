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
    super(line > 0 ? `${file}:${line}: ${reason}` : `${file}: ${reason}`);
  }
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
