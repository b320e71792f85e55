/**
 * The determinism lint (eslint.config.js), checked through ESLint's Node API: every forbidden
 * construct is reported when its file sits under sim/, and the same text is accepted with a
 * trailing `// wallclock-ok` (wall-clock constructs only), under cli/, or in a *.test.ts file.
 */
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({ cwd: ROOT });
});

/** The rule ids reported for `code` as if it were the file at `relPath`; parse errors fail. */
async function ruleIds(code: string, relPath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${ROOT}${relPath}` });
  expect(result, `no lint result for ${relPath}`).toBeDefined();
  const fatal = result!.messages.filter((m) => m.fatal === true || m.ruleId === null);
  expect(fatal.map((m) => m.message), 'the snippet must parse').toEqual([]);
  return result!.messages.map((m) => m.ruleId!);
}

/** Wall-clock reads and real timers: forbidden, but a trailing `// wallclock-ok` allows them. */
const WALLCLOCK: Record<string, string> = {
  'Date.now()': 'export const t = Date.now();',
  'new Date()': 'export const d = new Date();',
  'Date()': 'export const d = Date();',
  'performance.now()': 'export const t = performance.now();',
  'process.hrtime()': 'export const t = process.hrtime();',
  'process.hrtime.bigint()': 'export const t = process.hrtime.bigint();',
  'process.nextTick': 'process.nextTick(() => {});',
  setTimeout: 'setTimeout(() => {}, 10);',
  setInterval: 'export const h = setInterval(() => {}, 10);',
  setImmediate: 'setImmediate(() => {});',
  queueMicrotask: 'queueMicrotask(() => {});',
  'globalThis.setTimeout': 'globalThis.setTimeout(() => {}, 10);',
  'globalThis.Date.now()': 'export const t = globalThis.Date.now();',
};

/** Never allowed in simulated code, `// wallclock-ok` or not. */
const FORBIDDEN: Record<string, { code: string; rule: string }> = {
  'Math.random()': { code: 'export const r = Math.random();', rule: 'no-restricted-properties' },
  'crypto.randomUUID()': { code: 'export const id = crypto.randomUUID();', rule: 'detsim/no-wallclock' },
  'crypto.getRandomValues()': { code: 'export const b = crypto.getRandomValues(new Uint8Array(4));', rule: 'detsim/no-wallclock' },
  'new Promise': { code: 'export const p = new Promise<void>((resolve) => resolve());', rule: 'no-restricted-globals' },
  'Promise.resolve': { code: 'export const p = Promise.resolve(1);', rule: 'no-restricted-globals' },
  'async function': { code: 'export async function f(): Promise<number> { return 1; }', rule: 'no-restricted-syntax' },
  'async arrow': { code: 'export const f = async () => 1;', rule: 'no-restricted-syntax' },
  'async method': { code: 'export class A { async m() { return 1; } }', rule: 'no-restricted-syntax' },
  'await (top level)': { code: 'declare const x: PromiseLike<number>; export const y = await x;', rule: 'no-restricted-syntax' },
  'dynamic import()': { code: "export const m = import('./x.ts');", rule: 'no-restricted-syntax' },
  'WeakRef': { code: 'export const w = new WeakRef({});', rule: 'no-restricted-globals' },
  // Locale and time zone (LANG, LC_ALL, TZ) would make a seed run differently on another machine.
  'localeCompare': { code: "export const c = ['b', 'a'].sort((x, y) => x.localeCompare(y));", rule: 'no-restricted-syntax' },
  'toLocaleString': { code: 'export const s = (1234.5).toLocaleString();', rule: 'no-restricted-syntax' },
  'toLocaleLowerCase': { code: "export const s = 'I'.toLocaleLowerCase();", rule: 'no-restricted-syntax' },
  'Intl': { code: "export const f = new Intl.NumberFormat('en').format(1);", rule: 'no-restricted-globals' },
  'a Date\'s local hours': { code: 'export const h = new Date(0).getHours();', rule: 'no-restricted-syntax' },
  'Date toString (local time zone)': { code: 'export const s = new Date(0).toDateString();', rule: 'no-restricted-syntax' },
  // The real process: its environment, command line, platform and resource use.
  'process.env': { code: "export const v = process.env['DETSIM_X'] ?? '';", rule: 'no-restricted-syntax' },
  'process.argv': { code: 'export const n = process.argv.length;', rule: 'no-restricted-syntax' },
  'process.platform': { code: "export const w = process.platform === 'win32';", rule: 'no-restricted-syntax' },
  'process.memoryUsage()': { code: 'export const m = process.memoryUsage().heapUsed;', rule: 'no-restricted-syntax' },
  'process.cwd()': { code: 'export const d = process.cwd();', rule: 'no-restricted-syntax' },
};

const IMPORTS = ['node:fs', 'fs', 'fs/promises', 'node:net', 'net', 'node:http', 'http', 'node:child_process', 'child_process', 'node:worker_threads', 'worker_threads', 'node:os', 'os', 'node:crypto', 'crypto'];
const IMPORT_RULE = '@typescript-eslint/no-restricted-imports';

describe('determinism lint: wall clock', () => {
  for (const [what, code] of Object.entries(WALLCLOCK)) {
    it(`reports ${what} under sim/, allows it with // wallclock-ok and outside simulated code`, async () => {
      expect(await ruleIds(code, 'sim/virtual.ts')).toEqual(['detsim/no-wallclock']);
      expect(await ruleIds(code, 'systems/virtual/x.ts')).toEqual(['detsim/no-wallclock']);
      expect(await ruleIds(`${code} // wallclock-ok`, 'sim/virtual.ts')).toEqual([]);
      expect(await ruleIds(`${code} // wallclock-ok: timing outside the simulation`, 'sim/virtual.ts')).toEqual([]);
      expect(await ruleIds(code, 'cli/virtual.ts')).toEqual([]);
      expect(await ruleIds(code, 'sim/virtual.test.ts')).toEqual([]);
      expect(await ruleIds(code, 'sim/virtual.bench.ts')).toEqual([]);
    });
  }

  it('accepts `// wallclock-ok` on either line of a call split over two lines', async () => {
    expect(await ruleIds('export const t = Date\n  .now(); // wallclock-ok', 'sim/virtual.ts')).toEqual([]);
    expect(await ruleIds('export const t = Date\n  .now();', 'sim/virtual.ts')).toEqual(['detsim/no-wallclock']);
  });

  it('is not fooled by "// wallclock-ok" inside a string, nor by the comment on another line', async () => {
    expect(await ruleIds('export const s = "// wallclock-ok"; export const t = Date.now();', 'sim/virtual.ts')).toEqual(['detsim/no-wallclock']);
    expect(await ruleIds('// wallclock-ok\nexport const t = Date.now();', 'sim/virtual.ts')).toEqual(['detsim/no-wallclock']);
  });
});

describe('determinism lint: never in simulated code', () => {
  for (const [what, { code, rule }] of Object.entries(FORBIDDEN)) {
    it(`reports ${what} under sim/ even with // wallclock-ok, not under cli/`, async () => {
      expect(await ruleIds(code, 'sim/virtual.ts')).toContain(rule);
      expect(await ruleIds(`${code} // wallclock-ok`, 'sim/virtual.ts')).toContain(rule);
      expect(await ruleIds(code, 'invariants/virtual/x.ts')).toContain(rule);
      expect(await ruleIds(code, 'cli/virtual.ts')).toEqual([]);
    });
  }

  it('reports imports of real I/O modules, in every form', async () => {
    for (const mod of IMPORTS) {
      expect(await ruleIds(`import * as m from '${mod}'; export const x = m;`, 'scenarios/virtual.ts'), mod).toEqual([IMPORT_RULE]);
      expect(await ruleIds(`export { default } from '${mod}';`, 'sim/virtual.ts'), mod).toEqual([IMPORT_RULE]);
      expect(await ruleIds(`import * as m from '${mod}'; export const x = m;`, 'cli/virtual.ts'), mod).toEqual([]);
    }
  });
});

describe('determinism lint: what stays allowed', () => {
  const ALLOWED: Record<string, string> = {
    'for...in': 'const o: Record<string, number> = { a: 1 }; export const ks: string[] = []; for (const k in o) ks.push(k);',
    'new Date(fixed instant)': 'export const d = new Date(0).toISOString();',
    'Promise and Date as types': 'export type F = () => Promise<void>; export let d: Date | null = null;',
    'a local named performance': 'const performance = { now: (): number => 1 }; export const t = performance.now();',
    'a local named setTimeout': 'function setTimeout(f: () => void): void { f(); } setTimeout(() => {});',
    'type-only import of a node module': "import type { Stats } from 'node:fs'; export type S = Stats;",
    'generators (kernel processes)': 'export function* p(): Generator<number, void, unknown> { yield 1; }',
    'lower and upper case, UTC fields of a Date': "export const s = 'I'.toLowerCase() + new Date(0).getUTCHours() + new Date(0).toISOString();",
    'a local named crypto (a simulated crypto engine)': 'const crypto = { seal: (x: number): number => x + 1 }; export const c = crypto.seal(1);',
  };
  for (const [what, code] of Object.entries(ALLOWED)) {
    it(`allows ${what} under sim/`, async () => {
      expect(await ruleIds(code, 'sim/virtual.ts')).toEqual([]);
    });
  }
});
