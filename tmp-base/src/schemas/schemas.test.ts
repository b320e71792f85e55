/**
 * detsim's machine formats against their JSON Schemas (validated with ajv): what the CLI really
 * prints and writes must match the published schema, and the schemas must reject what is wrong.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { executeRun } from '../cli/execute.ts';
import { RESULT_FORMAT, RESULTS_HEADER_FORMAT, RUN_FORMAT, SWEEP_FORMAT } from '../reports/formats.ts';
import { REPRO_FORMAT } from '../reports/repro.ts';
import broadcast from '../scenarios/broadcast.ts';
import { knownFields, SCHEMAS, schemaErrors, type SchemaName } from './index.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin', 'detsim.js');
const tmp = mkdtempSync(path.join(tmpdir(), 'detsim-schemas-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function detsim(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: tmp, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

function expectValid(name: SchemaName, value: unknown): void {
  expect(schemaErrors(name, value), `${name}: ${JSON.stringify(value).slice(0, 300)}`).toEqual([]);
}

describe('schemas', { timeout: 300_000 }, () => {
  it('each format names its version in a format field', () => {
    const formats = Object.fromEntries(Object.entries(SCHEMAS).map(([k, s]) => [k, JSON.stringify((s as { properties: { format: unknown } }).properties.format)]));
    expect(formats['repro.schema.json']).toContain(REPRO_FORMAT);
    expect(formats['run.schema.json']).toContain(RUN_FORMAT);
    expect(formats['sweep.schema.json']).toContain(SWEEP_FORMAT);
    expect(formats['result.schema.json']).toContain(RESULT_FORMAT);
    expect(formats['result.schema.json']).toContain(RESULTS_HEADER_FORMAT);
  });

  it('run --json validates, passing and failing, and replay --json of its repro too', () => {
    const pass = detsim('run', 'broadcast', '--seed', '2', '--json');
    expect(pass.code).toBe(0);
    const pj = JSON.parse(pass.out);
    expect(pj.format).toBe(RUN_FORMAT);
    expectValid('run.schema.json', pj);

    const repro = path.join(tmp, 'run-fail.json');
    const fail = detsim('run', 'broadcast', '--seed', '2', '--param', 'bug=phantom', '--json', '--repro', repro, '--check-determinism');
    expect(fail.code).toBe(1);
    const fj = JSON.parse(fail.out);
    expectValid('run.schema.json', fj);
    expect(fj.secondTraceHash).toBe(fj.traceHash);
    expectValid('repro.schema.json', JSON.parse(readFileSync(repro, 'utf8')));

    const replay = detsim('replay', repro, '--json');
    expect(replay.code).toBe(1);
    const rj = JSON.parse(replay.out);
    expect(rj.hashMatches).toBe(true);
    expectValid('run.schema.json', rj);
    // Same build: no warning of another commit (a working tree with uncommitted changes gets a milder one).
    expect(replay.err).not.toMatch(/made at commit/);
  });

  it('a failing run without replay breaks run.schema.json (the schema can fail)', () => {
    const r = executeRun(broadcast, { seed: 2, pins: { bug: 'phantom' } });
    expect(schemaErrors('run.schema.json', { format: RUN_FORMAT, ...r })).toContain("(top) must have required property 'replay'");
    expect(schemaErrors('run.schema.json', { format: 'detsim-run/2', ...r, replay: 'x' }).join('\n')).toMatch(/\/format must be equal to constant/);
    expect(schemaErrors('run.schema.json', { format: RUN_FORMAT, ...r, replay: 'x', seed: -1 }).join('\n')).toMatch(/\/seed must be >= 0/);
  });

  it('sweep --json --per-seed, its results stream and its repro files validate', () => {
    const out = path.join(tmp, 'sweep-out');
    const r = detsim('sweep', 'broadcast', '--seeds', '3', '--jobs', '1', '--param', 'bug=phantom', '--json', '--per-seed', '--out', out);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out);
    expect(j.format).toBe(SWEEP_FORMAT);
    expectValid('sweep.schema.json', j);
    expect(j.perSeed.map((p: { seed: number }) => p.seed).sort()).toEqual([1, 2, 3]);
    expect(j.perSeed.every((p: { ok: boolean; metrics: object }) => p.ok === false && typeof p.metrics === 'object')).toBe(true);
    const repros = readdirSync(out).filter((f) => f.endsWith('.json'));
    expect(repros.length).toBe(3);
    for (const f of repros) expectValid('repro.schema.json', JSON.parse(readFileSync(path.join(out, f), 'utf8')));
    const streams = readdirSync(out).filter((f) => f.endsWith('.results.jsonl'));
    expect(streams.length).toBe(1);
    const lines = readFileSync(path.join(out, streams[0]!), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind?: string; format: string });
    expect(lines[0]!.kind).toBe('header');
    expect(lines.length).toBe(4);
    for (const l of lines) expectValid('result.schema.json', l);
    expect(lines.slice(1).every((l) => l.format === RESULT_FORMAT)).toBe(true);
    // Without --per-seed there is no perSeed.
    const plain = JSON.parse(detsim('sweep', 'broadcast', '--seeds', '1', '--jobs', '1', '--json', '--out', path.join(tmp, 'sweep-plain')).out);
    expectValid('sweep.schema.json', plain);
    expect(plain.perSeed).toBeUndefined();
  });

  it('result.schema.json takes a header and a run line, and wants a failure\'s repro and replay', () => {
    const header = { format: RESULTS_HEADER_FORMAT, kind: 'header', runId: 'r1', command: 'detsim sweep broadcast --seeds 2', scenarios: ['broadcast'], seeds: 2, from: 1, shard: null, startedAt: '2026-01-01T00:00:00Z' };
    expectValid('result.schema.json', header);
    const { log: _log, ...fail } = executeRun(broadcast, { seed: 1, pins: { bug: 'phantom' } });
    const line = { ...fail, format: RESULT_FORMAT, runId: 'r1', shard: '1/2', repro: 'out/broadcast-seed1.json', replay: 'npx detsim replay out/broadcast-seed1.json' };
    expectValid('result.schema.json', line);
    expect(schemaErrors('result.schema.json', { ...line, repro: undefined }).join('\n')).toContain("must have required property 'repro'");
    expect(schemaErrors('result.schema.json', { ...line, shard: 'two' }).join('\n')).toContain('/shard must match pattern');
    expect(schemaErrors('result.schema.json', { ...header, runId: undefined }).join('\n')).toContain("must have required property 'runId'");
  });

  it('metrics.messages: the network\'s counts validate, add up, and a malformed count breaks the schema', () => {
    const r = executeRun(broadcast, { seed: 3 });
    const m = r.metrics.messages as { total: number; bytes: number; byType: Record<string, { count: number; bytes: number }>; byNode: Record<string, { sent: number; received: number }> };
    expectValid('run.schema.json', { format: RUN_FORMAT, ...r });
    expect(m.total).toBeGreaterThan(0);
    expect(Object.values(m.byType).reduce((a, t) => a + t.count, 0)).toBe(m.total);
    expect(Object.values(m.byType).reduce((a, t) => a + t.bytes, 0)).toBe(m.bytes);
    expect(Object.values(m.byNode).reduce((a, n) => a + n.sent, 0)).toBe(m.total);
    const bad = { format: RUN_FORMAT, ...r, metrics: { ...r.metrics, messages: { ...m, byType: { x: { count: -1, bytes: 0 } } } } };
    expect(schemaErrors('run.schema.json', bad).join('\n')).toMatch(/\/metrics\/messages\/byType\/x\/count must be >= 0/);
    const missing = { format: RUN_FORMAT, ...r, metrics: { messages: { total: 1 } } };
    expect(schemaErrors('run.schema.json', missing).join('\n')).toContain("must have required property 'byType'");
  });

  it('a repro with unknown fields replays with a warning naming them', () => {
    const repro = path.join(tmp, 'typo.json');
    expect(detsim('run', 'broadcast', '--seed', '1', '--param', 'bug=phantom', '--repro', repro).code).toBe(1);
    const j = JSON.parse(readFileSync(repro, 'utf8'));
    writeFileSync(repro, JSON.stringify({ ...j, sed: 5, comment: 'from CI' }));
    const r = detsim('replay', repro);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/warning: .*typo\.json: ignoring field\(s\) a detsim-repro\/2 file does not have: "sed", "comment"/);
    expect(r.out).toContain('matches the recorded one');
    expect(knownFields('repro.schema.json')).toContain('scenarioFile');
  });
});
