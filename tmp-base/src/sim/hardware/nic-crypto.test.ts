/**
 * The encryption offload model: the stand-in transform round-trips and refuses a wrong key or any
 * altered byte (MAC failure, never silent acceptance); its cost grows with bytes and moves with
 * the engine's parameters; the NIC's engine loses its keys on a reboot and can corrupt ciphertext,
 * which the receiver's MAC check catches.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Simulation } from '../kernel.ts';
import { HOST_CRYPTO_BYTES_PER_SEC, HOST_CRYPTO_SETUP_NS, NIC_CRYPTO_BYTES_PER_SEC, NIC_CRYPTO_SETUP_NS, NIC_KEY_PROVISION_NS } from './figures.ts';
import { HostCpu } from './host.ts';
import { cryptoNs, fromUtf8, makeKey, open, seal, utf8, type CipherKey, type Sealed } from './nic-crypto.ts';
import type { HwResult } from './result.ts';
import { SmartNic } from './smart-nic.ts';

const word = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const keyArb = fc.tuple(word, word, word, word).map((w) => makeKey(1, w));
const bytesArb = fc.uint8Array({ minLength: 1, maxLength: 300 });
const nonceArb = fc.string({ minLength: 1, maxLength: 20 });

const noBuggify = (seed = 1): Simulation => new Simulation({ seed, buggify: { enabled: false } });

function timed<T>(sim: Simulation, start: (done: (r: HwResult<T>) => void) => void): { ns: number; r: HwResult<T> | undefined } {
  const t0 = sim.now;
  let r: HwResult<T> | undefined;
  let at = -1;
  start((x) => {
    r = x;
    at = sim.now;
  });
  sim.run();
  return { ns: at - t0, r };
}

describe('the sealed transform (a stand-in for AES-GCM)', () => {
  it('round-trips any bytes with the sealing key, and is deterministic', () => {
    fc.assert(
      fc.property(keyArb, nonceArb, fc.uint8Array({ maxLength: 300 }), (key, nonce, plain) => {
        const s = seal(key, nonce, plain);
        expect(s.ct.length).toBe(plain.length);
        const o = open(key, s);
        expect(o.ok).toBe(true);
        if (o.ok) expect([...o.value]).toEqual([...plain]);
        expect(seal(key, nonce, plain)).toEqual(s);
      }),
    );
  });

  it('hides the plaintext (the keystream changes most bytes) and depends on the nonce', () => {
    const key = makeKey(1, [1, 2, 3, 4]);
    const plain = new Uint8Array(256); // all zeros: the ciphertext is the keystream
    const a = seal(key, 'n1', plain);
    const b = seal(key, 'n2', plain);
    expect(a.ct.filter((x) => x === 0).length).toBeLessThan(10);
    let same = 0;
    for (let i = 0; i < 256; i++) if (a.ct[i] === b.ct[i]) same++;
    expect(same).toBeLessThan(10);
  });

  it('detects a wrong key (any word differs): MAC failure, no plaintext', () => {
    fc.assert(
      fc.property(keyArb, fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 2 ** 32 - 1 }), nonceArb, bytesArb, (key, i, delta, nonce, plain) => {
        const words = [...key.words] as [number, number, number, number];
        words[i] = (words[i]! ^ delta) >>> 0;
        const wrong: CipherKey = makeKey(key.id, words); // same id: only the MAC can tell
        expect(open(wrong, seal(key, nonce, plain))).toEqual({ ok: false, error: 'bad-mac' });
      }),
    );
  });

  it('detects any tampering: a ciphertext byte, the tag, the nonce, a truncation', () => {
    fc.assert(
      fc.property(keyArb, nonceArb, bytesArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (key, nonce, plain, at, flip) => {
        const s = seal(key, nonce, plain);
        const i = at % s.ct.length;
        const ct = s.ct.slice();
        ct[i] = ct[i]! ^ flip;
        const tampered: Sealed[] = [
          { ...s, ct },
          { ...s, tag: [(s.tag[0] ^ flip) >>> 0, s.tag[1]] },
          { ...s, tag: [s.tag[0], (s.tag[1] ^ (flip << 8)) >>> 0] },
          { ...s, nonce: `${nonce}x` },
          { ...s, ct: s.ct.slice(0, s.ct.length - 1) },
        ];
        for (const t of tampered) expect(open(key, t)).toEqual({ ok: false, error: 'bad-mac' });
        // Without the MAC check (the bug zoo's way) a flipped byte comes out flipped, silently.
        const unchecked = open(key, { ...s, ct }, false);
        expect(unchecked.ok && unchecked.value[i] !== plain[i]).toBe(true);
      }),
    );
  });

  it('encodes text (well-formed Unicode, as JSON messages are) as UTF-8 both ways', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        expect(fromUtf8(utf8(s))).toBe(s);
      }),
    );
  });
});

describe('the cost model', () => {
  it('grows linearly with bytes and moves with throughput and setup', () => {
    const nic = { setupNs: NIC_CRYPTO_SETUP_NS, bytesPerSec: NIC_CRYPTO_BYTES_PER_SEC };
    const host = { setupNs: HOST_CRYPTO_SETUP_NS, bytesPerSec: HOST_CRYPTO_BYTES_PER_SEC };
    for (const c of [nic, host]) {
      const perMiB = cryptoNs(c, 2 * 2 ** 20) - cryptoNs(c, 2 ** 20);
      expect(perMiB).toBe(Math.round((2 ** 20 * 1e9) / c.bytesPerSec));
      expect(cryptoNs(c, 0)).toBe(Math.max(1, c.setupNs));
      expect(cryptoNs({ ...c, bytesPerSec: c.bytesPerSec / 4 }, 2 ** 20) - c.setupNs).toBeCloseTo(4 * (cryptoNs(c, 2 ** 20) - c.setupNs), -1);
      expect(cryptoNs({ ...c, setupNs: c.setupNs + 700 }, 4096)).toBe(cryptoNs(c, 4096) + 700);
    }
    // Line rate on the NIC beats a host core per byte, by the ratio of their throughputs.
    const big = 64 * 2 ** 10;
    expect(cryptoNs(host, big) / cryptoNs(nic, big)).toBeGreaterThan(4);
  });

  it('a SmartNic seal and open take the engine time for their bytes, and slowness scales them', () => {
    const sim = noBuggify();
    const nic = new SmartNic(sim, { name: 'n1', crypto: { bytesPerSec: 1e9, setupNs: 200 } });
    const key = makeKey(7, [9, 8, 7, 6]);
    expect(timed<void>(sim, (d) => nic.provisionKey(key, d)).ns).toBe(NIC_KEY_PROVISION_NS);
    const plain = new Uint8Array(10_000).fill(42);
    const s = timed<Sealed>(sim, (d) => nic.encrypt(7, 'a', plain, d));
    expect(s.ns).toBe(200 + 10_000);
    expect(s.r?.ok).toBe(true);
    const o = timed<Uint8Array>(sim, (d) => nic.decrypt((s.r as { value: Sealed }).value, d));
    expect(o.ns).toBe(200 + 10_000);
    expect(o.r?.ok && [...o.r.value].every((b) => b === 42)).toBe(true);
    nic.slowFactor = 3;
    expect(timed<Sealed>(sim, (d) => nic.encrypt(7, 'b', plain, d)).ns).toBe(3 * 10_200);
    expect(nic.cryptoStats.busyNs).toBe(10_200 * 2 + 30_600);
  });

  it('the host pays its own (slower) rate for the same transform, and interoperates with the NIC', () => {
    const sim = noBuggify();
    const nic = new SmartNic(sim, { name: 'n1' });
    const cpu = new HostCpu(sim, { name: 'n1' });
    const key = makeKey(1, [5, 6, 7, 8]);
    cpu.keys.set(1, key);
    timed<void>(sim, (d) => nic.provisionKey(key, d));
    const plain = utf8('x'.repeat(65_536));
    const onNic = timed<Sealed>(sim, (d) => nic.encrypt(1, 'n', plain, d));
    const onHost = timed<Sealed>(sim, (d) => cpu.encrypt(1, 'n', plain, d));
    expect(onNic.ns).toBe(cryptoNs({ setupNs: NIC_CRYPTO_SETUP_NS, bytesPerSec: NIC_CRYPTO_BYTES_PER_SEC }, 65_536));
    expect(onHost.ns).toBe(cryptoNs({ setupNs: HOST_CRYPTO_SETUP_NS, bytesPerSec: HOST_CRYPTO_BYTES_PER_SEC }, 65_536));
    expect(onHost.ns).toBeGreaterThan(5 * onNic.ns);
    expect(onHost.r).toEqual(onNic.r); // one transform
    const opened = timed<Uint8Array>(sim, (d) => cpu.decrypt((onNic.r as { value: Sealed }).value, d));
    expect(opened.r?.ok && fromUtf8(opened.r.value)).toBe('x'.repeat(65_536));
  });
});

describe('NIC crypto faults', () => {
  it('a reboot loses the session keys: no-key until the host provisions them again', () => {
    const sim = noBuggify();
    const nic = new SmartNic(sim, { name: 'n1' });
    const key = makeKey(3, [1, 1, 2, 3]);
    timed<void>(sim, (d) => nic.provisionKey(key, d));
    const sealed = timed<Sealed>(sim, (d) => nic.encrypt(3, 'a', utf8('hello'), d)).r as { ok: true; value: Sealed };
    nic.reboot();
    expect(nic.hasKey(3)).toBe(false);
    expect(timed<Sealed>(sim, (d) => nic.encrypt(3, 'b', utf8('hello'), d)).r).toEqual({ ok: false, error: 'no-key' });
    expect(timed<Uint8Array>(sim, (d) => nic.decrypt(sealed.value, d)).r).toEqual({ ok: false, error: 'no-key' });
    timed<void>(sim, (d) => nic.provisionKey(key, d));
    const again = timed<Uint8Array>(sim, (d) => nic.decrypt(sealed.value, d)).r;
    expect(again?.ok && fromUtf8(again.value)).toBe('hello');
  });

  it('a provisioning in flight when the NIC crashes never lands', () => {
    const sim = noBuggify();
    const nic = new SmartNic(sim, { name: 'n1' });
    let r: HwResult<void> | undefined;
    nic.provisionKey(makeKey(1, [1, 2, 3, 4]), (x) => (r = x));
    nic.crash();
    nic.restart();
    sim.run();
    expect(r).toEqual({ ok: false, error: 'crashed' });
    expect(nic.hasKey(1)).toBe(false);
  });

  it('a corrupting engine is caught by the receiver: every corrupted seal fails its MAC', () => {
    const sim = noBuggify();
    const nic = new SmartNic(sim, { name: 'n1' });
    const key = makeKey(1, [11, 12, 13, 14]);
    timed<void>(sim, (d) => nic.provisionKey(key, d));
    nic.cryptoFaults = { corruptRate: 0.5 };
    let bad = 0;
    for (let i = 0; i < 200; i++) {
      const plain = utf8(`value-${i}`);
      const s = (timed<Sealed>(sim, (d) => nic.encrypt(1, `n${i}`, plain, d)).r as { ok: true; value: Sealed }).value;
      const o = open(key, s);
      if (!o.ok) {
        bad++;
        expect(o.error).toBe('bad-mac');
      } else expect(fromUtf8(o.value)).toBe(`value-${i}`); // never a silently wrong plaintext
    }
    expect(bad).toBe(nic.cryptoStats.corrupted);
    expect(bad).toBeGreaterThan(60);
    expect(bad).toBeLessThan(140);
  });

  it('buggify site hw.nic.crypto_corrupt corrupts ciphertext when enabled', () => {
    const sim = new Simulation({ seed: 1, buggify: { enabled: true, enableProbability: 1, fireProbability: 1 } });
    const nic = new SmartNic(sim, { name: 'n1' });
    const key = makeKey(1, [1, 2, 3, 4]);
    timed<void>(sim, (d) => nic.provisionKey(key, d));
    const s = (timed<Sealed>(sim, (d) => nic.encrypt(1, 'n', utf8('abc'), d)).r as { ok: true; value: Sealed }).value;
    expect(open(key, s)).toEqual({ ok: false, error: 'bad-mac' });
    expect(nic.cryptoStats.corrupted).toBe(1);
  });
});
