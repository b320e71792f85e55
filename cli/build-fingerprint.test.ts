/**
 * The build a sweep records in its results header (cli/build-fingerprint.ts): the content of
 * detsim's sources and of the sweep's own scenario files, not their times or their paths.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildFingerprint } from './build-fingerprint.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'detsim-build-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function checkout(name: string): string {
  const root = path.join(tmp, name);
  mkdirSync(path.join(root, 'sim'), { recursive: true });
  mkdirSync(path.join(root, 'scenarios'), { recursive: true });
  writeFileSync(path.join(root, 'sim', 'kernel.ts'), 'export const k = 1;\n');
  writeFileSync(path.join(root, 'scenarios', 'ping.ts'), 'export default {};\n');
  return root;
}

describe('buildFingerprint', () => {
  it('two checkouts of the same sources are one build, whatever their paths and file times', async () => {
    const a = checkout('a');
    const b = checkout('b');
    utimesSync(path.join(b, 'sim', 'kernel.ts'), new Date(2001, 0, 1), new Date(2001, 0, 1));
    const fa = await buildFingerprint([], a);
    expect(fa).toMatch(/^[0-9a-f]{12}$/);
    expect(await buildFingerprint([], b)).toBe(fa);
    // Tests are not part of the build.
    writeFileSync(path.join(b, 'sim', 'kernel.test.ts'), 'it("x", () => {});\n');
    expect(await buildFingerprint([], b)).toBe(fa);
  });

  it('a changed source, or a source added, is another build', async () => {
    const a = checkout('c');
    const before = await buildFingerprint([], a);
    writeFileSync(path.join(a, 'sim', 'kernel.ts'), 'export const k = 2;\n');
    const edited = await buildFingerprint([], a);
    expect(edited).not.toBe(before);
    writeFileSync(path.join(a, 'scenarios', 'pong.ts'), 'export default {};\n');
    const added = await buildFingerprint([], a);
    expect(added).not.toBe(edited);
    // kits/ is loaded from source (not compiled), and still part of what a scenario runs.
    mkdirSync(path.join(a, 'kits'));
    writeFileSync(path.join(a, 'kits', 'index.ts'), 'export const kit = 1;\n');
    const kit = await buildFingerprint([], a);
    expect(kit).not.toBe(added);
    writeFileSync(path.join(a, 'kits', 'index.test.ts'), 'it("x", () => {});\n');
    expect(await buildFingerprint([], a)).toBe(kit);
  });

  it("a user's scenario file counts by its content, not where it lies", async () => {
    const root = checkout('d');
    mkdirSync(path.join(tmp, 'u1'));
    mkdirSync(path.join(tmp, 'u2'));
    const f1 = path.join(tmp, 'u1', 'mine.ts');
    const f2 = path.join(tmp, 'u2', 'mine.ts');
    writeFileSync(f1, 'export default { name: "mine" };\n');
    writeFileSync(f2, 'export default { name: "mine" };\n');
    const none = await buildFingerprint([], root);
    const one = await buildFingerprint([f1], root);
    expect(one).not.toBe(none);
    expect(await buildFingerprint([f2], root)).toBe(one);
    writeFileSync(f2, 'export default { name: "mine", changed: true };\n');
    expect(await buildFingerprint([f2], root)).not.toBe(one);
  });
});
