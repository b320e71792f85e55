/**
 * The linearizability checker's public door: check a history of concurrent operations against a
 * sequential model (Wing & Gong / Lowe search with memoisation, partitioned by key when the model
 * allows, as in Porcupine).
 */
export type {
  CheckOptions,
  CheckResult,
  History,
  HistoryEvent,
  Model,
  Operation,
  StepResult,
  Verdict,
  Violation,
} from './types.ts';
export { checkHistory, describeOp } from './checker.ts';
export { partitionByKey } from './partition.ts';
export { eventsToHistory } from './events.ts';
export { DEFAULT_MAX_STEPS } from './budget.ts';
export { CheckerOptionError, HistoryParseError, InvalidHistoryError } from './errors.ts';
export { kvModel, type KvInput, type KvOutput, type KvState } from './models/kv.ts';
export { etcdModel, type EtcdInput, type EtcdOutput, type RegisterValue } from './models/etcd.ts';
export {
  revisionedKvModel,
  type RkvCell,
  type RkvInput,
  type RkvOutput,
  type RkvState,
} from './models/revisioned-kv.ts';
export { parseJepsenEtcdLog } from './parse-jepsen.ts';
export { parseKvEdn } from './parse-kv-edn.ts';
