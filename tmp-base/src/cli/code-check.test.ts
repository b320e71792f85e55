/**
 * bin/code.js's freshness check of dist/ (chooseCode) on a small package in a temporary folder:
 * the quick check (a stat a file and a folder, used when no folder changed since the build) and
 * the full walk must both see every edit, addition and removal of a build input, so an edit
 * always takes effect and a stale build is never run.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
// @ts-expect-error: plain JavaScript without types (it runs before any TypeScript loader)
import { BUILD_FORMAT, BUILD_INFO, chooseCode, sourceSnapshot } from '../bin/code.js';

type Choice = { compiled: boolean; reason?: string; detail?: string };
const choose = chooseCode as (root: string, env: NodeJS.ProcessEnv) => Choice;
const snapshot = sourceSnapshot as (root: string, folders?: Record<string, number | null>) => Record<string, [number, number]>;

let root: string;
const put = (rel: string, text = 'export const x = 1;\n'): void => {
  mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  writeFileSync(path.join(root, rel), text);
};
/** Writes dist/.build-info.json as bin/build.js does; `folders: false` writes an older build's (no folders). */
const build = (withFolders = true): void => {
  const folders: Record<string, number | null> = {};
  const files = snapshot(root, folders);
  mkdirSync(path.join(root, 'dist'), { recursive: true });
  writeFileSync(path.join(root, 'dist', BUILD_INFO), JSON.stringify(withFolders ? { format: BUILD_FORMAT, files, folders } : { format: BUILD_FORMAT, files }));
};
// Folder modification times have a coarse grain on some file systems: set them apart explicitly.
const age = (rel: string, s: number): void => utimesSync(path.join(root, rel), s, s);

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'detsim-code-'));
  put('index.ts');
  put('tsconfig.json', '{}');
  put('tsconfig.build.json', '{}');
  put('sim/kernel.ts');
  put('sim/network/network.ts');
  put('cli/main.ts');
  put('schemas/a.json', '{}');
  for (const d of ['sim/network', 'sim', 'cli', 'schemas']) age(d, 1_000_000);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe.each([
  ['quick check (the build recorded its folders)', true],
  ['full walk (an older build without folders)', false],
])('chooseCode, %s', (_name, withFolders) => {
  it('an untouched tree runs compiled', () => {
    build(withFolders);
    expect(choose(root, {})).toEqual({ compiled: true, distRoot: path.join(root, 'dist') });
  });

  it('a file edited in place (its folder unchanged) is stale', () => {
    build(withFolders);
    put('sim/network/network.ts', 'export const x = 2;\n');
    age('sim/network', 1_000_000);
    expect(choose(root, {})).toMatchObject({ compiled: false, reason: 'stale', detail: 'sim/network/network.ts changed since the build' });
  });

  it('a file added, in an existing or a new folder, is stale', () => {
    build(withFolders);
    put('sim/network/extra.ts');
    expect(choose(root, {})).toMatchObject({ compiled: false, reason: 'stale', detail: 'sim/network/extra.ts is newer than the build' });
    rmSync(path.join(root, 'sim/network/extra.ts'));
    build(withFolders);
    put('cli/sub/deep/new.ts');
    expect(choose(root, {})).toMatchObject({ compiled: false, reason: 'stale', detail: 'cli/sub/deep/new.ts is newer than the build' });
  });

  it('a file removed is stale; a top folder or top-level input added is seen', () => {
    build(withFolders);
    rmSync(path.join(root, 'cli/main.ts'));
    expect(choose(root, {})).toMatchObject({ compiled: false, reason: 'stale', detail: 'cli/main.ts was removed since the build' });
    put('cli/main.ts');
    rmSync(path.join(root, 'index.ts'));
    build(withFolders);
    put('index.ts');
    expect(choose(root, {})).toMatchObject({ compiled: false, reason: 'stale', detail: 'index.ts is newer than the build' });
    build(withFolders);
    put('systems/raft/host.ts');
    expect(choose(root, {})).toMatchObject({ compiled: false, reason: 'stale', detail: 'systems/raft/host.ts is newer than the build' });
  });

  it('a file that is not an input (a test, a note) added changes nothing', () => {
    build(withFolders);
    put('sim/kernel.test.ts');
    put('sim/NOTES.md', 'x');
    expect(choose(root, {})).toMatchObject({ compiled: true });
  });

  it(withFolders ? 'the quick check is what runs: it trusts unchanged folders (no listing)' : 'the full walk lists the folders', () => {
    build(withFolders);
    // A file slipped in with its folder's time put back: only a listing can see it.
    put('sim/sneaky.ts');
    age('sim', 1_000_000);
    expect(choose(root, {}).compiled).toBe(withFolders);
  });
});
