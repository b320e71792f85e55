/**
 * The `kv` model: a map of string keys to string values with get / put / append, as in Porcupine's
 * kv tests (and MIT 6.5840's kvraft). A missing key reads as "", so "" and absent are the same state.
 * Keys are independent, so histories are partitioned by key.
 */
import { partitionByKey } from '../partition.ts';
import { InvalidHistoryError } from '../errors.ts';
import { fnvUpdate, hashString } from '../hash.ts';
import type { History, Model, StepResult } from '../types.ts';
import { KeyMapState, type Cell } from './key-map.ts';

export type KvInput =
  | { readonly op: 'get'; readonly key: string }
  | { readonly op: 'put'; readonly key: string; readonly value: string }
  | { readonly op: 'append'; readonly key: string; readonly value: string };

/** `value` is what a get returned; put and append replies carry nothing the model checks. */
export interface KvOutput {
  readonly value?: string;
}

export type KvState = KeyMapState<string>;

function cellOf(value: string): Cell<string> | undefined {
  return value === '' ? undefined : { value, hash: hashString(value) };
}

function step(state: KvState, input: KvInput, output: KvOutput | undefined): StepResult<KvState> {
  const cell = state.get(input.key);
  switch (input.op) {
    case 'get': {
      if (output === undefined) return { ok: true, state };
      if (typeof output.value !== 'string') {
        throw new InvalidHistoryError(`kv: get("${input.key}") has a known outcome but no string output.value`);
      }
      return (cell?.value ?? '') === output.value ? { ok: true, state } : { ok: false };
    }
    case 'put':
      return { ok: true, state: state.with(input.key, cellOf(input.value)) };
    case 'append': {
      if (input.value === '') return { ok: true, state };
      // FNV-1a is streaming, so the appended value's hash continues from the old one: O(suffix).
      const value = (cell?.value ?? '') + input.value;
      const hash = fnvUpdate(cell?.hash ?? hashString(''), input.value);
      return { ok: true, state: state.with(input.key, { value, hash }) };
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
  describeState: (s) => `{${s.sortedKeys().map((k) => `${JSON.stringify(k)}: ${JSON.stringify(s.get(k)!.value)}`).join(', ')}}`,
};
