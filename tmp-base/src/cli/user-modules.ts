/**
 * Loading users' own scenario files when detsim runs compiled (dist/, see cli/layout.ts): the
 * TypeScript loader (tsx) and detsim's module hooks (cli/module-hooks.mjs) are registered in this
 * thread only when the first such file is about to be imported, so `detsim list` or a run of a
 * built-in scenario never pays for them. From the TypeScript sources, bin/register.js (or vitest)
 * registered everything already and this does nothing.
 */
import { register } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CODE_ROOT, COMPILED, PACKAGE_ROOT } from './layout.ts';

let registered: Promise<void> | null = null;

/**
 * Makes `file` importable in this thread: for any file but detsim's own compiled modules, registers
 * tsx and the hooks (once per thread) so `.ts` files and `import 'detsim'` load.
 */
export function prepareToImport(file: string): Promise<void> {
  if (!COMPILED) return Promise.resolve();
  const rel = path.relative(CODE_ROOT, file);
  if (file.endsWith('.js') && !rel.startsWith('..') && !path.isAbsolute(rel)) return Promise.resolve();
  registered ??= (async () => {
    const tsx = (await import('tsx/esm/api')) as { register: () => unknown };
    tsx.register();
    // Registered after tsx, so it runs first: 'detsim' and detsim's own .ts modules resolve to dist/.
    register(pathToFileURL(path.join(PACKAGE_ROOT, 'cli', 'module-hooks.mjs')).href, { data: { compiledRoot: CODE_ROOT } });
  })();
  return registered;
}
