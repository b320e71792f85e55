import { describe, expect, it } from 'vitest';
import { benchCrdt, cartFigures } from './crdt.bench.ts';

describe('benchCrdt', () => {
  it('returns plain JSON figures; metadata is deterministic and GC reduces it', () => {
    let t = 0;
    const fake = (): number => (t += 1); // a fake clock: each reading is 1 ms later
    const r = benchCrdt(fake, { scale: 0.01 });
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
    expect(r.merge.length).toBeGreaterThanOrEqual(7);
    for (const m of r.merge) expect(m.elapsedMs).toBe(1);
    expect(cartFigures(100)).toEqual(r.metadata.slice(0, 2)); // deterministic: same seed, same bytes
    const [before, after] = r.metadata;
    expect(before?.workload).toMatch(/before GC/);
    expect(after?.workload).toMatch(/after GC/);
    expect(after?.valueBytes).toBe(before?.valueBytes);
    expect(after?.metadataBytes).toBeLessThan(before?.metadataBytes ?? 0);
    // Anti-entropy: fewer divergent keys cost fewer bytes, and one key costs far less than all.
    const mk = r.merkle;
    for (let i = 1; i < mk.length; i++) expect(mk[i]?.bytesExchanged).toBeGreaterThan(mk[i - 1]?.bytesExchanged ?? 0);
    expect((mk[0]?.bytesExchanged ?? Infinity) * 50).toBeLessThan(mk[0]?.bytesFullExchange ?? 0);
  });
});
