/**
 * The `revisioned-kv` model: a map of string keys to string values with a per-key version, for the
 * Raft-backed store. Versions follow etcd's per-key `version`: 0 when absent, 1 after creation,
 * +1 per put, back to 0 on delete. A store-wide revision (etcd's mod_revision) is deliberately not
 * modelled: it couples all keys, which would forbid partitioning by key and make checks
 * exponentially slower; check per-key versions here and revision monotonicity separately.
 *
 * Every reply field is optional: a field the store does not report is not checked.
 */
import { InvalidHistoryError } from '../errors.ts';
import { combine, hashString } from '../hash.ts';
import { partitionByKey } from '../partition.ts';
import type { History, Model, StepResult } from '../types.ts';
import { KeyMapState } from './key-map.ts';

export type RkvInput =
  | { readonly op: 'get'; readonly key: string }
  | { readonly op: 'put'; readonly key: string; readonly value: string }
  | { readonly op: 'delete'; readonly key: string }
  /**
   * Set `value` if the key currently matches: `expectedValue` (null = absent) and/or
   * `expectedVersion` (0 = absent); with neither, it always matches.
   */
  | {
      readonly op: 'cas';
      readonly key: string;
      readonly value: string;
      readonly expectedValue?: string | null;
      readonly expectedVersion?: number;
    };

export interface RkvOutput {
  /** get: the value read, null if absent. */
  readonly value?: string | null;
  /** get: the key's version read; put / successful cas: the key's new version. */
  readonly version?: number;
  /** cas: whether it took effect. */
  readonly ok?: boolean;
  /** delete: whether the key existed. */
  readonly existed?: boolean;
}

export interface RkvCell {
  readonly value: string;
  readonly version: number;
}

export type RkvState = KeyMapState<RkvCell>;

function withCell(state: RkvState, key: string, value: string, version: number): RkvState {
  return state.with(key, { value, version }, combine(hashString(value), version));
}

const OK_SAME = <S>(state: S): StepResult<S> => ({ ok: true, state });
const REJECT = { ok: false } as const;

function step(state: RkvState, input: RkvInput, output: RkvOutput | undefined): StepResult<RkvState> {
  const cur = state.valueOf(input.key);
  const curValue = cur?.value ?? null;
  const curVersion = cur?.version ?? 0;
  switch (input.op) {
    case 'get':
      if (output === undefined) return OK_SAME(state);
      if (output.value === undefined) throw new InvalidHistoryError(`revisioned-kv: get("${input.key}") needs output.value`);
      if (output.value !== curValue) return REJECT;
      return output.version === undefined || output.version === curVersion ? OK_SAME(state) : REJECT;
    case 'put': {
      if (output?.version !== undefined && output.version !== curVersion + 1) return REJECT;
      return { ok: true, state: withCell(state, input.key, input.value, curVersion + 1) };
    }
    case 'delete':
      if (output?.existed !== undefined && output.existed !== (cur !== undefined)) return REJECT;
      return { ok: true, state: state.without(input.key) };
    case 'cas': {
      const matches =
        (input.expectedValue === undefined || input.expectedValue === curValue) &&
        (input.expectedVersion === undefined || input.expectedVersion === curVersion);
      const next = matches ? withCell(state, input.key, input.value, curVersion + 1) : state;
      if (output === undefined) return { ok: true, state: next };
      if (typeof output.ok !== 'boolean') throw new InvalidHistoryError(`revisioned-kv: cas("${input.key}") needs output.ok`);
      if (output.ok !== matches) return REJECT;
      if (matches && output.version !== undefined && output.version !== curVersion + 1) return REJECT;
      return { ok: true, state: next };
    }
  }
}

export const revisionedKvModel: Model<RkvState, RkvInput, RkvOutput> = {
  name: 'revisioned-kv',
  init: () => KeyMapState.empty<RkvCell>(),
  step,
  equal: (a, b) => a.equals(b, (x, y) => x.value === y.value && x.version === y.version),
  hash: (s) => s.hash,
  partition: (history: History<RkvInput, RkvOutput>) => partitionByKey(history, (input) => input.key),
  describeOperation(input, output) {
    const k = JSON.stringify(input.key);
    const out = output === undefined ? ' -> ? (outcome unknown)' : ` -> ${JSON.stringify(output)}`;
    switch (input.op) {
      case 'get':
        return `get(${k})${out}`;
      case 'put':
        return `put(${k}, ${JSON.stringify(input.value)})${out}`;
      case 'delete':
        return `delete(${k})${out}`;
      case 'cas': {
        const cond = [
          input.expectedValue !== undefined ? `value=${JSON.stringify(input.expectedValue)}` : '',
          input.expectedVersion !== undefined ? `version=${input.expectedVersion}` : '',
        ].filter((c) => c !== '');
        return `cas(${k}, if ${cond.join(' && ') || 'true'}, ${JSON.stringify(input.value)})${out}`;
      }
    }
  },
  describeState: (s) =>
    `{${s
      .sortedKeys()
      .map((k) => `${JSON.stringify(k)}: ${JSON.stringify(s.valueOf(k)!.value)}@v${s.valueOf(k)!.version}`)
      .join(', ')}}`,
};
