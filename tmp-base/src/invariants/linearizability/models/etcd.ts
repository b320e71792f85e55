/**
 * The `etcd` model: one register, as Jepsen's etcd test used it (and Porcupine's etcd model). It
 * starts as nil; `write v` sets it; `read` returns it; `cas [from to]` sets it to `to` if it holds
 * `from`. A cas can fail definitively (`ok: false`: the register did not hold `from` at its
 * linearization point), which the model checks too. Unknown outcomes are handled by the checker
 * (output undefined): a cas of unknown outcome takes effect only if the register holds `from`.
 */
import { InvalidHistoryError } from '../errors.ts';
import { hashPrimitive } from '../hash.ts';
import type { Model, StepResult } from '../types.ts';

export type RegisterValue = number | string | null;

export type EtcdInput =
  | { readonly op: 'read' }
  | { readonly op: 'write'; readonly value: RegisterValue }
  | { readonly op: 'cas'; readonly from: RegisterValue; readonly to: RegisterValue };

/** A read's reply carries `value`; a cas's carries `ok`; a write's carries nothing. */
export interface EtcdOutput {
  readonly value?: RegisterValue;
  readonly ok?: boolean;
}

function step(state: RegisterValue, input: EtcdInput, output: EtcdOutput | undefined): StepResult<RegisterValue> {
  switch (input.op) {
    case 'read':
      if (output === undefined) return { ok: true, state };
      if (output.value === undefined) throw new InvalidHistoryError('etcd: a read with a known outcome needs output.value');
      return output.value === state ? { ok: true, state } : { ok: false };
    case 'write':
      return { ok: true, state: input.value };
    case 'cas': {
      const holds = state === input.from;
      if (output === undefined) return { ok: true, state: holds ? input.to : state };
      if (typeof output.ok !== 'boolean') throw new InvalidHistoryError('etcd: a cas with a known outcome needs output.ok');
      if (output.ok !== holds) return { ok: false };
      return { ok: true, state: holds ? input.to : state };
    }
  }
}

const show = (v: RegisterValue | undefined): string => (v === null ? 'nil' : v === undefined ? '?' : JSON.stringify(v));

export const etcdModel: Model<RegisterValue, EtcdInput, EtcdOutput> = {
  name: 'etcd',
  init: () => null,
  step,
  equal: (a, b) => a === b,
  hash: hashPrimitive,
  describeOperation(input, output) {
    switch (input.op) {
      case 'read':
        return `read() -> ${output === undefined ? '? (outcome unknown)' : show(output.value)}`;
      case 'write':
        return `write(${show(input.value)})${output === undefined ? ' (outcome unknown)' : ''}`;
      case 'cas':
        return `cas(${show(input.from)}, ${show(input.to)}) -> ${output === undefined ? '? (outcome unknown)' : output.ok === true ? 'ok' : 'fail'}`;
    }
  },
  describeState: show,
};
