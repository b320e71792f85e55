/**
 * User errors of the load balancer core: a bad configuration, not a bug. Each carries a stable
 * `code` and a message that says what to do. Bugs (broken internal invariants) are
 * `AssertionError`s from sim/assert.ts instead, and expected protocol outcomes are return values.
 */
export type LbConfigErrorCode =
  | 'maglev-table-size-not-prime'
  | 'maglev-table-size-too-small'
  | 'maglev-bad-offset-skip'
  | 'maglev-bad-weight'
  | 'duplicate-backend'
  | 'empty-backend-key'
  | 'bad-health-config'
  | 'bad-breaker-config'
  | 'bad-algorithm-config'
  | 'unknown-config-version';

export class LbConfigError extends Error {
  override name = 'LbConfigError';
  readonly code: LbConfigErrorCode;
  constructor(code: LbConfigErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.code = code;
  }
}
