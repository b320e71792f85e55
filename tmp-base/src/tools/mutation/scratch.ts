/**
 * Scratch copies of the repository: a mutant is applied in a copy under the system's temp
 * folder, never in anyone's working tree. node_modules is linked, not copied. A copy is removed
 * when the run ends, also when it is interrupted (SIGINT/SIGTERM) or fails.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** What a scratch copy holds: the code a sweep or a unit test can import, and its configuration. */
export const COPIED = ['sim', 'systems', 'scenarios', 'invariants', 'reports', 'cli', 'bin', 'bench', 'tools', 'package.json', 'tsconfig.json', 'vitest.config.ts'];

export const SCRATCH_PREFIX = 'detsim-mutation-';

const live = new Set<string>();
/** Process groups of running children (sweeps, vitest): killed first on an interrupt, or they would write into a removed copy. */
export const liveGroups = new Set<number>();
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  const cleanAll = () => {
    for (const pid of liveGroups) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    liveGroups.clear();
    for (const d of live) rmSync(d, { recursive: true, force: true });
    live.clear();
  };
  process.on('exit', cleanAll);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      cleanAll();
      process.exit(130);
    });
  }
}

export class ScratchCopy {
  readonly dir: string;
  private readonly originals = new Map<string, string>();

  constructor(readonly root: string, tmpRoot: string = os.tmpdir()) {
    hookExit();
    this.dir = mkdtempSync(path.join(tmpRoot, SCRATCH_PREFIX));
    live.add(this.dir);
    for (const entry of COPIED) {
      const src = path.join(root, entry);
      if (existsSync(src)) cpSync(src, path.join(this.dir, entry), { recursive: true, filter: (s) => !s.includes(`${path.sep}node_modules`) });
    }
    symlinkSync(path.join(root, 'node_modules'), path.join(this.dir, 'node_modules'), 'dir');
  }

  /** Replaces a file's text in the copy (repo-relative path); `restore` puts every original back. */
  write(file: string, text: string): void {
    const p = path.join(this.dir, file);
    if (!this.originals.has(file)) this.originals.set(file, readFileSync(p, 'utf8'));
    writeFileSync(p, text);
  }

  restore(): void {
    for (const [file, text] of this.originals) writeFileSync(path.join(this.dir, file), text);
    this.originals.clear();
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
    live.delete(this.dir);
  }
}
