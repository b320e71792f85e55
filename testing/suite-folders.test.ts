/**
 * Every folder of the checkout that holds tests is in the suite: vitest runs only the folders its
 * `include` names (vitest.config.ts), so a test file in a folder left out never runs, in CI or by
 * `npm test`, and nothing says so (kits/ was missed that way).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const SKIP = new Set(['node_modules', 'dist', 'detsim-out', '.git', 'docs']);

function holdsTests(dir: string): boolean {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isFile() && e.name.endsWith('.test.ts')) return true;
    if (e.isDirectory() && !SKIP.has(e.name) && !e.name.startsWith('.') && holdsTests(path.join(dir, e.name))) return true;
  }
  return false;
}

describe('the suite covers every folder with tests', () => {
  it("each top-level folder holding a *.test.ts is in vitest.config.ts's include", () => {
    const config = readFileSync(path.join(ROOT, 'vitest.config.ts'), 'utf8');
    const glob = /include: \['\{([^}]*)\}\/\*\*\/\*\.test\.ts'/.exec(config);
    expect(glob, 'the include glob of vitest.config.ts').not.toBeNull();
    const included = new Set(glob![1]!.split(','));
    const withTests = readdirSync(ROOT, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !SKIP.has(e.name) && !e.name.startsWith('.') && holdsTests(path.join(ROOT, e.name)))
      .map((e) => e.name)
      .sort();
    expect(withTests.length).toBeGreaterThan(5);
    expect(withTests.filter((d) => !included.has(d))).toEqual([]);
  });
});
