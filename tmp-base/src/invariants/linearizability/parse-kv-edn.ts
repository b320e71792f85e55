/**
 * Parser for the kv histories (`kv/cNN-{ok,bad}.txt`, from Porcupine's test data): one EDN map per
 * line, `{:process P, :type :invoke|:ok|:fail|:info, :f :get|:put|:append, :key "k", :value v}`.
 * Time is the line number. `:info` leaves the outcome unknown (returnNs = Infinity); `:fail` means
 * the operation did not happen and it is dropped; invocations open at the end are unknown.
 */
import { EdnSyntaxError, Keyword, readEdnMap, type EdnScalar } from './edn.ts';
import { HistoryParseError, ParseStoppedError } from './errors.ts';
import type { KvInput, KvOutput } from './models/kv.ts';
import { clip, forEachLine } from './parse-jepsen.ts';
import type { Operation } from './types.ts';

type KvOperation = Operation<KvInput, KvOutput>;

interface Open {
  readonly proc: number;
  readonly input: KvInput;
  readonly callNs: number;
  readonly slot: number;
}

/**
 * `shouldStop` (optional) is asked every few hundred lines; when it says true the parse stops
 * with a ParseStoppedError (the CLI's time budget covers parsing too).
 */
export function parseKvEdn(text: string, file: string, shouldStop?: () => boolean): KvOperation[] {
  const slots: (KvOperation | null)[] = [];
  const open = new Map<number, Open>();
  forEachLine(text, (line, i) => {
    if (shouldStop !== undefined && i % 256 === 0 && shouldStop()) throw new ParseStoppedError(file, i);
    if (line.trim() === '') return;
    const lineNo = i + 1;
    const fail = (reason: string): never => {
      throw new HistoryParseError(file, lineNo, reason);
    };
    let map: Map<string, EdnScalar>;
    try {
      map = readEdnMap(line);
    } catch (e) {
      if (e instanceof EdnSyntaxError) return fail(`not an EDN map (${e.message}): ${clip(line)}`);
      throw e;
    }
    const keyword = (field: string, allowed: readonly string[]): string => {
      const v = map.get(field);
      if (!(v instanceof Keyword) || !allowed.includes(v.name)) {
        return fail(`:${field} must be one of ${allowed.map((a) => ':' + a).join(' ')}, got ${show(v)}`);
      }
      return v.name;
    };
    const proc = map.get('process');
    if (typeof proc !== 'number' || !Number.isSafeInteger(proc)) return fail(`:process must be an integer, got ${show(proc)}`);
    const type = keyword('type', ['invoke', 'ok', 'fail', 'info']);
    const f = keyword('f', ['get', 'put', 'append']) as KvInput['op'];
    const key = map.get('key');
    if (typeof key !== 'string') return fail(`:key must be a string, got ${show(key)}`);
    const value = map.get('value');
    if (type === 'invoke') {
      if (open.has(proc)) fail(`process ${proc} invokes :${f} while its previous operation is still open`);
      if (f !== 'get' && typeof value !== 'string') fail(`:${f} needs a string :value, got ${show(value)}`);
      const input: KvInput = f === 'get' ? { op: 'get', key } : { op: f, key, value: value as string };
      open.set(proc, { proc, input, callNs: lineNo, slot: slots.length });
      slots.push(null);
      return;
    }
    const inv = open.get(proc) ?? fail(`process ${proc} completes :${f} (:${type}) but has no open invocation`);
    if (inv.input.op !== f || inv.input.key !== key) {
      fail(`process ${proc} completes :${f} "${key}" but invoked :${inv.input.op} "${inv.input.key}"`);
    }
    open.delete(proc);
    if (type === 'fail') return; // did not happen
    const base = { clientId: proc, input: inv.input, callNs: inv.callNs };
    if (type === 'info') {
      slots[inv.slot] = { ...base, output: undefined, returnNs: Infinity };
      return;
    }
    if (f === 'get' && typeof value !== 'string') fail(`a completed :get needs a string :value, got ${show(value)}`);
    slots[inv.slot] = { ...base, output: f === 'get' ? { value: value as string } : {}, returnNs: lineNo };
  });
  for (const inv of open.values()) {
    slots[inv.slot] = { clientId: inv.proc, input: inv.input, output: undefined, callNs: inv.callNs, returnNs: Infinity };
  }
  return slots.filter((s): s is KvOperation => s !== null);
}

function show(v: EdnScalar | undefined): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'nil';
  if (v instanceof Keyword) return v.toString();
  return JSON.stringify(v);
}
