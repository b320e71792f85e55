/**
 * The `kv` model: a map of string keys to string values with get / put / append, as in Porcupine's
 * kv tests (and MIT 6.5840's kvraft). A missing key reads as "", so "" and absent are the same state.
 * Keys are independent, so histories are partitioned by key.
 */
import { partitionByKey } from '../partition.ts';
import { InvalidHistoryError } from '../errors.ts';
import { fnvUpdate, hashString } from '../hash.ts';
import type { History, Model, StepResult } from '../types.ts';
import { KeyMapState } from './key-map.ts';

export type KvInput =
  | { readonly op: 'get'; readonly key: string }
  | { readonly op: 'put'; readonly key: string; readonly value: string }
  | { readonly op: 'append'; readonly key: string; readonly value: string };

/** `value` is what a get returned; put and append replies carry nothing the model checks. */
export interface KvOutput {
  readonly value?: string;
}

export type KvState = KeyMapState<string>;

/** Absent and "" read alike, so "" is stored as absent: equal states then hash equal. */
function withValue(state: KvState, key: string, value: string, hash: number): KvState {
  return value === '' ? state.without(key) : state.with(key, value, hash);
}

function step(state: KvState, input: KvInput, output: KvOutput | undefined): StepResult<KvState> {
  switch (input.op) {
    case 'get': {
      if (output === undefined) return { ok: true, state };
      if (typeof output.value !== 'string') {
        throw new InvalidHistoryError(`kv: get("${input.key}") has a known outcome but no string output.value`);
      }
      return (state.valueOf(input.key) ?? '') === output.value ? { ok: true, state } : { ok: false };
    }
    case 'put':
      return { ok: true, state: withValue(state, input.key, input.value, hashString(input.value)) };
    case 'append': {
      if (input.value === '') return { ok: true, state };
      // FNV-1a is streaming, so the appended value's hash continues from the old one: O(suffix).
      const value = (state.valueOf(input.key) ?? '') + input.value;
      const hash = fnvUpdate(state.hashOf(input.key) ?? hashString(''), input.value);
      return { ok: true, state: state.with(input.key, value, hash) };
    }
  }
}

export const kvModel: Model<KvState, KvInput, KvOutput> = {
  name: 'kv',
  init: () => KeyMapState.empty<string>(),
  step,
  equal: (a, b) => a.equals(b, (x, y) => x === y),
  hash: (s) => s.hash,
  partition: (history: History<KvInput, KvOutput>) => partitionByKey(history, (input) => input.key),
  describeOperation(input, output) {
    const k = JSON.stringify(input.key);
    if (input.op === 'get') return `get(${k}) -> ${output?.value === undefined ? '?' : JSON.stringify(output.value)}`;
    return `${input.op}(${k}, ${JSON.stringify(input.value)})${output === undefined ? ' (outcome unknown)' : ''}`;
  },
  describeState: (s) => `{${s.sortedKeys().map((k) => `${JSON.stringify(k)}: ${JSON.stringify(s.valueOf(k))}`).join(', ')}}`,
};
