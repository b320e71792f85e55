/**
 * The determinism lint. Simulated code (sim/, systems/, scenarios/, invariants/) must take time,
 * randomness and scheduling from the kernel only; one stray Date.now or Math.random and a seed no
 * longer reproduces its run. This config makes those mistakes fail `npm run lint`.
 *
 * Two kinds of ban:
 * - Never allowed in simulated code (core rules): Math.random, crypto, Promises and async/await
 *   (real async scheduling runs outside the kernel's event order), WeakRef/FinalizationRegistry
 *   (garbage-collector timing), dynamic import(), imports of real I/O modules, and what reads the
 *   machine's locale or time zone (Intl, localeCompare, toLocale*, a Date's local-time fields).
 * - Wall clock and real timers (rule `detsim/no-wallclock`, below): Date.now(), new Date(),
 *   Date(), performance.*, process.hrtime/uptime/nextTick, setTimeout, setInterval, setImmediate,
 *   queueMicrotask. A deliberate use (timing something from outside the simulation) is allowed
 *   when its line ends with a `// wallclock-ok` comment (optionally followed by a reason), so
 *   every exception is visible at the call site and greppable.
 *
 * Test and benchmark files (*.test.ts, *.bench.ts) may time things and are not checked. Code in
 * cli/, bench/, bin/ and reports/ runs outside the simulation and is parsed but not checked.
 */
import tseslint from 'typescript-eslint';

const SIMULATED = ['sim/**/*.ts', 'systems/**/*.ts', 'scenarios/**/*.ts', 'invariants/**/*.ts'];
const NOT_SIMULATED = ['**/*.test.ts', '**/*.bench.ts'];

/** Node modules that do real I/O, read real time or real randomness, or schedule outside the kernel. */
const IO_MODULES = [
  'fs', 'fs/promises', 'net', 'http', 'https', 'http2', 'dgram', 'dns', 'dns/promises', 'tls',
  'child_process', 'cluster', 'worker_threads', 'os', 'crypto', 'perf_hooks', 'timers',
  'timers/promises', 'readline', 'module', 'vm', 'inspector',
];

/** Global names that are wall-clock or real scheduling wherever they are referenced. */
const TIMER_GLOBALS = new Set(['setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask', 'performance']);
/** `process.<x>` members that read the real clock or schedule outside the kernel. */
const PROCESS_WALLCLOCK = new Set(['hrtime', 'uptime', 'nextTick', 'cpuUsage']);
/** Globals whose members we look at; `globalThis.X` is followed to X. */
const WATCHED = new Set([...TIMER_GLOBALS, 'Date', 'process', 'globalThis', 'crypto']);

const ESCAPE = /^\s*wallclock-ok\b/;

/** @type {import('eslint').Rule.RuleModule} */
const noWallclock = {
  meta: {
    type: 'problem',
    docs: { description: 'Disallow wall-clock reads and real timers in simulated code unless the line ends with // wallclock-ok' },
    schema: [],
    messages: {
      crypto: 'the global crypto gives unseeded randomness; use an Rng from the kernel (sim.rng(name), ctx.rng).',
      wallclock: '{{what}} reads the real clock or schedules outside the kernel; use the kernel (sim.now, ctx.now(), ctx.setTimer, sim.schedule). If this is deliberate timing outside the simulation, end the line with `// wallclock-ok`.',
    },
  },
  create(context) {
    const sourceCode = context.sourceCode;
    return {
      'Program:exit'(program) {
        const okLines = new Set();
        for (const c of sourceCode.getAllComments()) {
          if (c.type === 'Line' && ESCAPE.test(c.value)) okLines.add(c.loc.start.line);
        }
        const report = (node, what) => {
          if (okLines.has(node.loc.start.line) || okLines.has(node.loc.end.line)) return;
          context.report({ node, messageId: 'wallclock', data: { what } });
        };
        /** `id` (an identifier, or `globalThis.name`) refers to the global `name`; report what it is used for. */
        const check = (name, id) => {
          const parent = id.parent;
          const member = parent.type === 'MemberExpression' && parent.object === id && !parent.computed && parent.property.type === 'Identifier' ? parent.property.name : null;
          if (TIMER_GLOBALS.has(name)) return report(id, member ? `${name}.${member}` : name);
          // Only the global: a local variable that happens to be called `crypto` is fine. No escape.
          if (name === 'crypto') return context.report({ node: id, messageId: 'crypto' });
          if (name === 'Date') {
            if (parent.type === 'NewExpression' && parent.callee === id && parent.arguments.length === 0) return report(parent, 'new Date()');
            if (parent.type === 'CallExpression' && parent.callee === id) return report(parent, 'Date()');
            if (member === 'now') return report(parent, 'Date.now()');
            return;
          }
          if (name === 'process') {
            if (member !== null && PROCESS_WALLCLOCK.has(member)) report(parent, `process.${member}`);
            return;
          }
          if (name === 'globalThis' && member !== null && WATCHED.has(member) && member !== 'globalThis') check(member, parent); // `globalThis.Date` stands for `Date`
        };
        // Unshadowed globals: either implicit variables with no declaration (typescript-eslint
        // declares the lib's globals) or references that resolve to nothing.
        const globalScope = sourceCode.getScope(program);
        const refs = [];
        for (const v of globalScope.variables) if (v.defs.length === 0 && WATCHED.has(v.name)) refs.push(...v.references);
        for (const r of globalScope.through) if (WATCHED.has(r.identifier.name)) refs.push(r);
        for (const r of refs) {
          if (r.isTypeReference === true || (r.isValueReference === false)) continue; // `x: Date` is a type, not a clock read
          check(r.identifier.name, r.identifier);
        }
      },
    };
  },
};

const detsim = { meta: { name: 'detsim' }, rules: { 'no-wallclock': noWallclock } };

export default [
  { ignores: ['node_modules/**', 'coverage/**', 'dist/**'] },
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser, ecmaVersion: 2023, sourceType: 'module' },
    // Registered everywhere so `eslint-disable` comments naming typescript-eslint rules resolve.
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'off' },
  },
  {
    files: SIMULATED,
    ignores: NOT_SIMULATED,
    plugins: { detsim },
    rules: {
      'detsim/no-wallclock': 'error',
      'no-restricted-globals': [
        'error',
        { name: 'Promise', message: 'No Promises in simulated code: real async scheduling is not ordered by the kernel. Use kernel futures/processes (sim/process.ts).' },
        { name: 'WeakRef', message: 'WeakRef depends on garbage-collector timing, which is not deterministic.' },
        { name: 'FinalizationRegistry', message: 'FinalizationRegistry depends on garbage-collector timing, which is not deterministic.' },
        { name: 'fetch', message: 'No real I/O in simulated code.' },
        { name: 'Intl', message: "Intl formats and collates by the machine's locale and time zone (LANG, LC_ALL, TZ): a run must not depend on where it runs. Compare strings with < and >, format numbers with toFixed/String." },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Use an Rng from the kernel (sim.rng(name), ctx.rng): Math.random is not seeded.' },
        { object: 'globalThis', property: 'Promise', message: 'No Promises in simulated code; use kernel futures/processes.' },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: 'AwaitExpression', message: 'No await in simulated code: real async scheduling is not ordered by the kernel. Use a kernel process (generator) and yield a Future.' },
        { selector: 'ForOfStatement[await=true]', message: 'No for-await in simulated code; use a kernel process.' },
        { selector: ':function[async=true]', message: 'No async functions in simulated code: use a kernel process (function*) and yield Futures.' },
        { selector: 'ImportExpression', message: 'No dynamic import() in simulated code: it is real I/O resolved by a Promise.' },
        {
          // By name, whatever the object: a string's, a number's and a Date's all read the locale.
          selector: 'MemberExpression[property.name=/^(localeCompare|toLocale(String|LowerCase|UpperCase|DateString|TimeString))$/]',
          message: "Locale-sensitive (LANG, LC_ALL, TZ): a seed would run differently on another machine (a Turkish locale lowercases 'I' to 'ı' and sorts it elsewhere). Compare with < and >, use toLowerCase/toUpperCase, format with toFixed/String.",
        },
        {
          // What the process was started with, or where and how it runs: a seed would run
          // differently under another environment, command line, machine or load.
          selector: "MemberExpression[object.name='process'][property.name=/^(env|argv|argv0|execArgv|execPath|platform|arch|pid|ppid|cwd|title|version|versions|config|memoryUsage|cpuUsage|resourceUsage|uptime|getuid|getgid|umask|availableMemory|constrainedMemory)$/]",
          message: 'Simulated code reads nothing of the real process (environment, command line, platform, memory, CPU): a seed would run differently elsewhere. Pass what a run needs as a scenario parameter.',
        },
        {
          selector: 'MemberExpression[property.name=/^(get(FullYear|Month|Date|Day|Hours|Minutes|Seconds|Milliseconds|TimezoneOffset)|to(Date|Time)String)$/]',
          message: "A Date's local fields depend on the machine's time zone (TZ): use the getUTC* methods or toISOString, or better, the kernel's simulated clock.",
        },
      ],
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: IO_MODULES.flatMap((m) => [m, `node:${m}`]).map((name) => ({
            name,
            message: 'Simulated code does no real I/O and reads no real clock or randomness: the kernel owns network, disk, time and randomness.',
            allowTypeImports: true,
          })),
        },
      ],
    },
  },
];
