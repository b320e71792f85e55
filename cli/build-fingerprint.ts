/**
 * What build a sweep ran: a hash of detsim's sources and of the sweep's own scenario files, kept in
 * its results header so that `merge` can tell shards of one build from shards of two. A nightly
 * whose shards ran on machines that pulled different commits (a Kubernetes job on an image tag
 * that moved, a rerun after a push) would otherwise merge into one report whose verdict belongs to
 * neither build: where no seed ran in both, nothing else shows it.
 *
 * The content is hashed, not modification times: two checkouts of one commit on two machines are
 * one build. A user's scenario file counts by its own content only (the modules it imports are
 * not followed). Reading the sources takes tens of milliseconds, once a sweep.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { PACKAGE_ROOT } from './layout.ts';

type SourceSnapshot = (root?: string) => Record<string, [number, number]>;

/** Hex digits kept: enough to tell builds apart, short enough to read in a report. */
const DIGITS = 12;

/**
 * The fingerprint of detsim's sources under `root` (what its build compiles: bin/code.js
 * sourceSnapshot) and of `scenarioFiles` (the sweep's scenarios that are not built in), e.g.
 * "3f2a9c1e7b40". A file that cannot be read counts as absent.
 */
export async function buildFingerprint(scenarioFiles: readonly string[], root: string = PACKAGE_ROOT): Promise<string> {
  // bin/code.js is plain JavaScript beside the sources (it runs before any loader): imported by
  // path, so the compiled tree (dist/cli/) finds it too.
  const { sourceSnapshot } = (await import(pathToFileURL(path.join(PACKAGE_ROOT, 'bin', 'code.js')).href)) as { sourceSnapshot: SourceSnapshot };
  const h = createHash('sha256');
  const add = (label: string, file: string): void => {
    h.update(label);
    h.update('\0');
    try {
      h.update(readFileSync(file));
    } catch {
      h.update('(unreadable)');
    }
    h.update('\0');
  };
  // sourceSnapshot lists the files sorted by name: the same order on every machine. kits/ (the
  // systems' doors, loaded from source, not compiled) is not among them: added here.
  for (const rel of [...Object.keys(sourceSnapshot(root)), ...kitSources(root)]) add(rel, path.join(root, rel));
  for (const file of [...new Set(scenarioFiles.map((f) => path.resolve(f)))].sort()) add(`scenario:${path.basename(file)}`, file);
  return h.digest('hex').slice(0, DIGITS);
}

/** kits/'s TypeScript sources under `root` (tests left out), relative with '/', sorted. */
function kitSources(root: string): string[] {
  let names: string[];
  try {
    names = readdirSync(path.join(root, 'kits'), { recursive: true, encoding: 'utf8' });
  } catch {
    return [];
  }
  return names
    .filter((n) => n.endsWith('.ts') && !/\.(test|spec)\.ts$/.test(n))
    .map((n) => `kits/${n.split(path.sep).join('/')}`)
    .sort();
}
