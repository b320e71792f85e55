/**
 * Where detsim's files are, whether this code runs from the TypeScript sources (through tsx, as
 * vitest and a fresh checkout do) or from the JavaScript compiled ahead of time into dist/ (what
 * `npm ci` builds: `npm run build`, tsconfig.build.json). The compiled tree mirrors the sources
 * one folder down (dist/cli/layout.js for cli/layout.ts), so this module tells the two apart by its
 * own file name.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = fileURLToPath(import.meta.url);

/** True when this process runs detsim's compiled JavaScript (dist/), false under tsx or vitest. */
export const COMPILED: boolean = HERE.endsWith('.js');

/** The package's folder (package.json, bin/, schemas/, the .ts sources). */
export const PACKAGE_ROOT: string = path.resolve(path.dirname(HERE), COMPILED ? '../..' : '..');

/** The folder of the modules this process imports: dist/ when compiled, else PACKAGE_ROOT. */
export const CODE_ROOT: string = COMPILED ? path.join(PACKAGE_ROOT, 'dist') : PACKAGE_ROOT;

/** The extension of detsim's own modules in CODE_ROOT: '.js' compiled, '.ts' from source. */
export const CODE_EXT: '.js' | '.ts' = COMPILED ? '.js' : '.ts';
