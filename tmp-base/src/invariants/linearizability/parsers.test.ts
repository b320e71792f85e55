/**
 * Parsers: the Jepsen etcd log and EDN kv formats are read correctly (tabs or spaces, outcomes,
 * reassigned process ids), and malformed input is rejected with one HistoryParseError that names
 * the file and line, never a stack trace from deep inside.
 */
import { describe, expect, it } from 'vitest';
import { readEdnMap, Keyword, EdnSyntaxError } from './edn.ts';
import { HistoryParseError } from './errors.ts';
import { parseJepsenEtcdLog } from './parse-jepsen.ts';
import { parseKvEdn } from './parse-kv-edn.ts';

const J = (proc: number, type: string, f: string, value: string, sep = '\t'): string =>
  `INFO  jepsen.util - ${[proc, type, f, value].join(sep)}`;

function parseError(fn: () => unknown): HistoryParseError {
  try {
    fn();
  } catch (e) {
    if (e instanceof HistoryParseError) return e;
    throw e;
  }
  throw new Error('expected a HistoryParseError');
}

describe('parseJepsenEtcdLog', () => {
  it('reads invocations and completions, tab- or space-separated, skipping other lines', () => {
    for (const sep of ['\t', ' ', '   ']) {
      const text = [
        'INFO  jepsen.core - Worker 0 starting',
        J(0, ':invoke', ':write', '3', sep),
        J(1, ':invoke', ':read', 'nil', sep),
        J(0, ':ok', ':write', '3', sep),
        J(1, ':ok', ':read', '3', sep),
        J(2, ':invoke', ':cas', '[3 4]', sep),
        J(2, ':fail', ':cas', '[3 4]', sep),
      ].join('\n');
      const h = parseJepsenEtcdLog(text, 'x.log');
      expect(h).toEqual([
        { clientId: 0, input: { op: 'write', value: 3 }, output: {}, callNs: 2, returnNs: 4 },
        { clientId: 1, input: { op: 'read' }, output: { value: 3 }, callNs: 3, returnNs: 5 },
        { clientId: 2, input: { op: 'cas', from: 3, to: 4 }, output: { ok: false }, callNs: 6, returnNs: 7 },
      ]);
    }
  });

  it('treats :info, timed-out reads and open invocations as unknown outcomes, and reassigned ids as new clients', () => {
    const text = [
      J(1, ':invoke', ':write', '2'),
      J(1, ':info', ':write', ':timed-out'),
      J(6, ':invoke', ':read', 'nil'), // process 1 reborn as 6
      J(6, ':fail', ':read', ':timed-out'),
      J(6, ':invoke', ':cas', '[1 2]'),
    ].join('\n');
    const h = parseJepsenEtcdLog(text, 'x.log');
    expect(h.map((o) => [o.clientId, o.input.op, o.returnNs, o.output])).toEqual([
      [1, 'write', Infinity, undefined],
      [6, 'read', Infinity, undefined],
      [6, 'cas', Infinity, undefined],
    ]);
  });

  it('drops a definite failure of a write', () => {
    expect(parseJepsenEtcdLog([J(0, ':invoke', ':write', '1'), J(0, ':fail', ':write', '1')].join('\n'), 'x')).toEqual([]);
  });

  it('accepts an empty file but not a file with no Jepsen lines', () => {
    expect(parseJepsenEtcdLog('', 'empty.log')).toEqual([]);
    expect(parseError(() => parseJepsenEtcdLog('{:process 0}\n', 'kv.txt')).message).toMatch(/^kv\.txt: no Jepsen history lines/);
  });

  const bad: [string, string[], number, RegExp][] = [
    ['a garbled line', ['INFO jepsen.util - 0 :invoke'], 1, /not a Jepsen history line/],
    ['an unknown type', [J(0, ':begin', ':read', 'nil')], 1, /unknown type :begin/],
    ['an unknown function', [J(0, ':invoke', ':delete', '1')], 1, /unknown function :delete/],
    ['a bad process id', [J(-1, ':invoke', ':read', 'nil')], 1, /process id/],
    ['a bad value', [J(0, ':invoke', ':write', 'x')], 1, /nil or an integer/],
    ['a bad cas pair', [J(0, ':invoke', ':cas', '[1]')], 1, /\[from to\]/],
    ['a double invocation', [J(0, ':invoke', ':read', 'nil'), J(0, ':invoke', ':read', 'nil')], 2, /still open/],
    ['a completion without invocation', ['x', J(3, ':ok', ':read', '1')], 2, /no open invocation/],
    ['a mismatched completion', [J(0, ':invoke', ':read', 'nil'), J(0, ':ok', ':write', '1')], 2, /invoked :read/],
    ['a write completing with another value', [J(0, ':invoke', ':write', '1'), J(0, ':ok', ':write', '2')], 2, /but wrote 1/],
  ];
  for (const [what, lines, line, reason] of bad) {
    it(`rejects ${what} with file and line`, () => {
      const e = parseError(() => parseJepsenEtcdLog(lines.join('\n'), 'h.log'));
      expect(e.file).toBe('h.log');
      expect(e.line).toBe(line);
      expect(e.code).toBe('E_HISTORY_PARSE');
      expect(e.message).toMatch(new RegExp(`^h\\.log:${line}: `));
      expect(e.message).toMatch(reason);
      expect(e.message).not.toContain('\n');
    });
  }
});

describe('EDN reader', () => {
  it('reads flat maps of scalars', () => {
    const m = readEdnMap('{:process 12, :type :ok, :key "a \\"q\\" b", :value nil, :flag true}');
    expect(m.get('process')).toBe(12);
    expect(m.get('type')).toEqual(new Keyword('ok'));
    expect(m.get('key')).toBe('a "q" b');
    expect(m.get('value')).toBe(null);
    expect(m.get('flag')).toBe(true);
  });
  it('rejects what it cannot read', () => {
    for (const text of ['', '{:a 1', '{:a [1]}', '{"a" 1}', '{:a 1 :a 2}', '{:a "x}', '{:a 1} junk', '{:a}']) {
      expect(() => readEdnMap(text), text).toThrow(EdnSyntaxError);
    }
  });
});

describe('parseKvEdn', () => {
  const L = (p: number, type: string, f: string, key: string, value: string): string =>
    `{:process ${p}, :type :${type}, :f :${f}, :key "${key}", :value ${value}}`;

  it('pairs invocations with completions per process', () => {
    const text = [
      L(0, 'invoke', 'put', 'k', '"a"'),
      L(1, 'invoke', 'get', 'k', 'nil'),
      L(0, 'ok', 'put', 'k', '"a"'),
      L(1, 'ok', 'get', 'k', '"a"'),
      '',
      L(2, 'invoke', 'append', 'j', '"b"'),
      L(2, 'info', 'append', 'j', '"b"'),
      L(3, 'invoke', 'get', 'j', 'nil'),
      L(3, 'fail', 'get', 'j', 'nil'),
    ].join('\n');
    expect(parseKvEdn(text, 'k.txt')).toEqual([
      { clientId: 0, input: { op: 'put', key: 'k', value: 'a' }, output: {}, callNs: 1, returnNs: 3 },
      { clientId: 1, input: { op: 'get', key: 'k' }, output: { value: 'a' }, callNs: 2, returnNs: 4 },
      { clientId: 2, input: { op: 'append', key: 'j', value: 'b' }, output: undefined, callNs: 6, returnNs: Infinity },
    ]);
  });

  const bad: [string, string[], number, RegExp][] = [
    ['a non-EDN line', ['INFO jepsen.util - 0\t:invoke\t:read\tnil'], 1, /not an EDN map/],
    ['a missing process', ['{:type :invoke, :f :get, :key "k", :value nil}'], 1, /:process must be an integer/],
    ['an unknown :f', [L(0, 'invoke', 'cas', 'k', 'nil')], 1, /:f must be one of/],
    ['a numeric key', ['{:process 0, :type :invoke, :f :get, :key 5, :value nil}'], 1, /:key must be a string/],
    ['a put without value', [L(0, 'invoke', 'put', 'k', 'nil')], 1, /needs a string :value/],
    ['a get completing without value', [L(0, 'invoke', 'get', 'k', 'nil'), L(0, 'ok', 'get', 'k', 'nil')], 2, /completed :get/],
    ['a completion for another key', [L(0, 'invoke', 'get', 'k', 'nil'), L(0, 'ok', 'get', 'j', '""')], 2, /invoked :get "k"/],
    ['an orphan completion', [L(0, 'ok', 'get', 'k', '""')], 1, /no open invocation/],
  ];
  for (const [what, lines, line, reason] of bad) {
    it(`rejects ${what} with file and line`, () => {
      const e = parseError(() => parseKvEdn(lines.join('\n'), 'c.txt'));
      expect([e.file, e.line]).toEqual(['c.txt', line]);
      expect(e.message).toMatch(reason);
      expect(e.message.startsWith(`c.txt:${line}: `)).toBe(true);
      expect(e.message).not.toContain('\n');
    });
  }
});
