/**
 * The recorded client history of a config-store run, for the linearizability checker: every
 * operation's invocation and completion in true simulated time, with its outcome (ok, failed =
 * certainly no effect, unknown = may or may not have taken effect). Checked against the
 * `revisioned-kv` model (per-key values and versions), partitioned by key.
 */
import type { HistoryView } from '../../sim/history-view.ts';
import { historyView } from '../linearizability/history-view.ts';
import { checkHistory, describeOp, revisionedKvModel, type CheckResult, type Operation, type RkvInput, type RkvOutput } from '../linearizability/index.ts';
import type { KvOp, KvResult } from '../../systems/kv/types.ts';
import type { Nanos } from '../../sim/time.ts';

interface Rec {
  clientId: number;
  input: RkvInput;
  output: RkvOutput | undefined;
  callNs: Nanos;
  returnNs: Nanos;
  state: 'pending' | 'ok' | 'fail' | 'unknown';
}

/** The checker's input for a store operation (null: not a single-key register operation). */
export function toModelInput(op: KvOp): RkvInput | null {
  switch (op.op) {
    case 'get':
      return { op: 'get', key: op.key };
    case 'put':
      return { op: 'put', key: op.key, value: op.value };
    case 'delete':
      return { op: 'delete', key: op.key };
    case 'cas': {
      const c: { op: 'cas'; key: string; value: string; expectedValue?: string | null; expectedVersion?: number } = { op: 'cas', key: op.key, value: op.value };
      if (op.expectedValue !== undefined) c.expectedValue = op.expectedValue;
      if (op.expectedVersion !== undefined) c.expectedVersion = op.expectedVersion;
      return c;
    }
    default:
      return null;
  }
}

/** The checker's view of a store reply. */
export function toModelOutput(r: KvResult): RkvOutput | undefined {
  switch (r.op) {
    case 'get':
      return { value: r.value, version: r.version };
    case 'put':
      return { version: r.version };
    case 'delete':
      return { existed: r.existed };
    case 'cas':
      return r.ok ? { ok: true, version: r.version } : { ok: false };
    default:
      return undefined;
  }
}

export class KvHistory {
  private readonly recs: Rec[] = [];
  private pendingCount = 0;
  checked: CheckResult | null = null;

  get size(): number {
    return this.recs.length;
  }
  get pending(): number {
    return this.pendingCount;
  }
  counts(): Record<string, number> {
    const out: Record<string, number> = { ok: 0, fail: 0, unknown: 0, pending: 0 };
    for (const r of this.recs) out[r.state]!++;
    return out;
  }

  invoke(clientId: number, input: RkvInput, nowNs: Nanos): number {
    this.recs.push({ clientId, input, output: undefined, callNs: nowNs, returnNs: Infinity, state: 'pending' });
    this.pendingCount++;
    return this.recs.length - 1;
  }

  ok(id: number, output: RkvOutput | undefined, nowNs: Nanos): void {
    this.close(id, 'ok', nowNs, output);
  }
  /** The operation certainly had no effect (it is left out of the check). */
  fail(id: number, nowNs: Nanos): void {
    this.close(id, 'fail', nowNs, undefined);
  }
  /** The outcome is unknown: it may take effect at any time after its invocation, or never. */
  unknown(id: number): void {
    this.close(id, 'unknown', Infinity, undefined);
  }

  private close(id: number, state: Rec['state'], nowNs: Nanos, output: RkvOutput | undefined): void {
    const r = this.recs[id]!;
    if (r.state !== 'pending') return;
    r.state = state;
    r.returnNs = nowNs;
    r.output = output;
    this.pendingCount--;
  }

  operations(): Operation<RkvInput, RkvOutput>[] {
    return this.recs
      .filter((r) => r.state === 'ok' || r.state === 'unknown' || r.state === 'pending')
      .map((r) => ({ clientId: r.clientId, input: r.input, output: r.state === 'ok' ? r.output : undefined, callNs: r.callNs, returnNs: r.state === 'ok' ? r.returnNs : Infinity }));
  }

  /** Runs the checker (once; the result is kept). */
  check(maxSteps = 5_000_000): CheckResult {
    if (this.checked === null) this.checked = checkHistory(revisionedKvModel, this.operations(), { maxSteps });
    return this.checked;
  }

  /** A one-paragraph explanation of a 'not' verdict: the smallest unorderable operation set. */
  /** The failing key's operations as a picture (for the timeline), or null if linearizable. */
  view(res: CheckResult): HistoryView | null {
    return historyView(revisionedKvModel, this.operations(), res);
  }

  explain(res: CheckResult): string {
    if (res.result !== 'not' || res.violation === undefined) return res.result;
    const ops = this.operations();
    const v = res.violation;
    const list = v.operations.map((i) => `c${ops[i]!.clientId} ${describeOp(revisionedKvModel, ops[i]!)}`).join('; ');
    return `${v.operations.length} operation(s) on one key cannot be ordered: ${list}. ${v.description.slice(0, 6).join(' | ')}`;
  }
}
