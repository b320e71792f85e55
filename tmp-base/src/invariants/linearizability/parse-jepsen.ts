/**
 * Parser for Jepsen etcd logs (the `jepsen/etcd_NNN.log` histories Porcupine tests against).
 *
 * Only lines containing `jepsen.util` are history; everything else (Jepsen's own chatter) is
 * skipped. A history line is `INFO jepsen.util - <process> <type> <f> <value>`, tab- or
 * space-separated. Time is the line number: only the order of events matters.
 *
 * Outcomes: `:ok` completes an operation; `:fail :cas` is a definite failure (a reply, ok=false);
 * `:fail :read :timed-out` and `:info` leave the outcome unknown (returnNs = Infinity: it may take
 * effect at any time after the call, or never); another `:fail` means the operation did not happen
 * and it is dropped. Invocations still open at the end are unknown too.
 */
import { HistoryParseError, ParseStoppedError, escapeUnprintable } from './errors.ts';
import type { EtcdInput, EtcdOutput, RegisterValue } from './models/etcd.ts';
import type { Operation } from './types.ts';

const LINE = /^\S+\s+jepsen\.util\s+-\s+(\S+)\s+(\S+)\s+(\S+)\s*(.*?)\s*$/;
const INT = /^-?\d+$/;
const PAIR = /^\[\s*(-?\d+|nil)\s+(-?\d+|nil)\s*\]$/;

type EtcdOperation = Operation<EtcdInput, EtcdOutput>;

interface Open {
  readonly proc: number;
  readonly input: EtcdInput;
  readonly callNs: number;
  readonly f: string;
  /** Index of its slot in the result (kept in invocation order). */
  readonly slot: number;
}

/** `shouldStop` (optional) is asked every few hundred lines; true stops the parse with a ParseStoppedError. */
export function parseJepsenEtcdLog(text: string, file: string, shouldStop?: () => boolean): EtcdOperation[] {
  const slots: (EtcdOperation | null)[] = [];
  const open = new Map<number, Open>();
  let historyLines = 0;
  forEachLine(text, (line, i) => {
    if (shouldStop !== undefined && i % 256 === 0 && shouldStop()) throw new ParseStoppedError(file, i);
    if (!line.includes('jepsen.util')) return;
    historyLines++;
    const lineNo = i + 1;
    const fail = (reason: string): never => {
      throw new HistoryParseError(file, lineNo, reason);
    };
    const m = LINE.exec(line) ?? fail(`not a Jepsen history line ("INFO jepsen.util - <process> <type> <f> <value>"): ${clip(line)}`);
    const [, procText, type, f, valueText] = m as unknown as [string, string, string, string, string];
    if (!/^\d+$/.test(procText)) fail(`process id must be a non-negative integer, got "${procText}"`);
    const proc = Number(procText);
    if (f !== ':read' && f !== ':write' && f !== ':cas') fail(`unknown function ${f} (expected :read, :write or :cas)`);
    if (type === ':invoke') {
      if (open.has(proc)) fail(`process ${proc} invokes ${f} while its ${open.get(proc)!.f} is still open`);
      open.set(proc, { proc, input: parseInput(f, valueText, fail), callNs: lineNo, f, slot: slots.length });
      slots.push(null);
      return;
    }
    if (type !== ':ok' && type !== ':fail' && type !== ':info') fail(`unknown type ${type} (expected :invoke, :ok, :fail or :info)`);
    const inv = open.get(proc) ?? fail(`process ${proc} completes ${f} (${type}) but has no open invocation`);
    if (inv.f !== f) fail(`process ${proc} completes ${f} but invoked ${inv.f}`);
    open.delete(proc);
    const base = { clientId: proc, input: inv.input, callNs: inv.callNs };
    if (type === ':info' || (type === ':fail' && valueText === ':timed-out' && f === ':read')) {
      slots[inv.slot] = { ...base, output: undefined, returnNs: Infinity };
    } else if (type === ':fail' && f !== ':cas') {
      // A definite failure of a read or write: it did not happen; leave its slot empty.
    } else {
      slots[inv.slot] = { ...base, output: parseOutput(f, type, valueText, inv.input, fail), returnNs: lineNo };
    }
  });
  if (historyLines === 0 && text.trim() !== '') {
    throw new HistoryParseError(file, 0, 'no Jepsen history lines (lines containing "jepsen.util") found; is this a Jepsen log?');
  }
  for (const inv of open.values()) {
    slots[inv.slot] = { clientId: inv.proc, input: inv.input, output: undefined, callNs: inv.callNs, returnNs: Infinity };
  }
  return slots.filter((s): s is EtcdOperation => s !== null);
}

function parseValue(text: string, fail: (reason: string) => never): RegisterValue {
  if (text === 'nil') return null;
  if (INT.test(text)) return Number(text);
  return fail(`expected nil or an integer, got "${clip(text)}"`);
}

function parseInput(f: string, valueText: string, fail: (reason: string) => never): EtcdInput {
  if (f === ':read') {
    if (valueText !== 'nil') fail(`an invoked :read carries nil, got "${clip(valueText)}"`);
    return { op: 'read' };
  }
  if (f === ':write') return { op: 'write', value: parseValue(valueText, fail) };
  const pair = PAIR.exec(valueText) ?? fail(`a :cas value is [from to], got "${clip(valueText)}"`);
  return { op: 'cas', from: parseValue(pair[1]!, fail), to: parseValue(pair[2]!, fail) };
}

function parseOutput(f: string, type: string, valueText: string, input: EtcdInput, fail: (reason: string) => never): EtcdOutput {
  switch (input.op) {
    case 'read':
      return { value: parseValue(valueText, fail) };
    case 'write': {
      const v = parseValue(valueText, fail);
      if (v !== input.value) fail(`${f} completes with ${valueText} but wrote ${String(input.value)}`);
      return {};
    }
    case 'cas': {
      const c = parseInput(f, valueText, fail);
      if (c.op !== 'cas' || c.from !== input.from || c.to !== input.to) fail(`${f} completes with ${valueText}, not the invoked pair`);
      return { ok: type === ':ok' };
    }
  }
}

/** Keeps error messages one line and short. */
/**
 * Calls `f` with each line (without its \n or \r\n) and its 0-based index. Unlike split, it
 * starts at once on a large text, so a caller's time budget is asked from the first line.
 */
export function forEachLine(text: string, f: (line: string, index: number) => void): void {
  let start = 0;
  for (let i = 0; start <= text.length; i++) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const line = text.slice(start, end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end);
    f(line, i);
    start = end + 1;
  }
}

export function clip(s: string): string {
  const one = s.slice(0, 200).replace(/\s+/g, ' ');
  const cut = one.length > 80 || s.length > 200 ? `${one.slice(0, 77)}...` : one;
  return escapeUnprintable(cut);
}
