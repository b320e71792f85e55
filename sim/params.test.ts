import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { param, parseParamValue, parsePins, resolveParams, ParamError, type ParamDefs } from './params.ts';
import { SeededRng } from './prng.ts';

const defs = {
  nodes: param.int({ doc: 'n', default: 5, min: 1, max: 64, swarm: [3, 7] }),
  fixed: param.int({ doc: 'no swarm', default: 9, min: 0, max: 100 }),
  loss: param.float({ doc: 'l', default: 0.01, min: 0, max: 1, swarm: [0.2, 0.4], swarmOffProbability: 0.3 }),
  torn: param.bool({ doc: 't', default: false, swarm: 0.5 }),
  mode: param.enum(['a', 'b', 'c'] as const, { doc: 'm', default: 'a', swarm: ['b', 'c'] }),
  plain: param.enum(['x', 'y'] as const, { doc: 'p', default: 'y' }),
} satisfies ParamDefs;

const names = Object.keys(defs) as (keyof typeof defs)[];

describe('resolveParams', () => {
  it('swarm off gives the defaults (pins aside)', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const v = resolveParams(defs, {}, new SeededRng(seed, 'swarm'), false);
        expect(v).toEqual({ nodes: 5, fixed: 9, loss: 0.01, torn: false, mode: 'a', plain: 'y' });
        expect(resolveParams(defs, { nodes: 12 }, new SeededRng(seed, 'swarm'), false).nodes).toBe(12);
      }),
      { numRuns: 50 },
    );
  });

  it('swarm draws stay in their ranges; parameters without a swarm keep their default', () => {
    const seenNodes = new Set<number>();
    let lossOff = 0;
    let tornTrue = 0;
    const modes = new Set<string>();
    const N = 2000;
    for (let seed = 0; seed < N; seed++) {
      const v = resolveParams(defs, {}, new SeededRng(seed, 'swarm'), true);
      expect(Number.isInteger(v.nodes) && v.nodes >= 3 && v.nodes <= 7).toBe(true);
      seenNodes.add(v.nodes);
      expect(v.fixed).toBe(9);
      expect(v.plain).toBe('y');
      if (v.loss === 0) lossOff++;
      else expect(v.loss >= 0.2 && v.loss <= 0.4).toBe(true);
      expect(Math.round(v.loss * 1e6) / 1e6).toBe(v.loss); // printed values replay exactly
      if (v.torn) tornTrue++;
      modes.add(v.mode);
    }
    expect([...seenNodes].sort()).toEqual([3, 4, 5, 6, 7]);
    expect(lossOff / N).toBeGreaterThan(0.25);
    expect(lossOff / N).toBeLessThan(0.35);
    expect(tornTrue / N).toBeGreaterThan(0.45);
    expect(tornTrue / N).toBeLessThan(0.55);
    expect([...modes].sort()).toEqual(['b', 'c']);
  });

  it('pinning one parameter never changes the other drawn parameters', () => {
    const pinArb = fc.constantFrom<[keyof typeof defs, unknown]>(['nodes', 40], ['fixed', 1], ['loss', 0.9], ['torn', true], ['mode', 'a'], ['plain', 'x']);
    fc.assert(
      fc.property(fc.integer(), fc.uniqueArray(pinArb, { selector: (p) => p[0], maxLength: 3 }), (seed, pins) => {
        const free = resolveParams(defs, {}, new SeededRng(seed, 'swarm'), true);
        const pinned = resolveParams(defs, Object.fromEntries(pins), new SeededRng(seed, 'swarm'), true);
        for (const n of names) {
          const pin = pins.find((p) => p[0] === n);
          expect(pinned[n]).toEqual(pin ? pin[1] : free[n]);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('same seed, same draws; different seeds differ somewhere', () => {
    const a = Array.from({ length: 20 }, (_, s) => resolveParams(defs, {}, new SeededRng(s, 'swarm'), true));
    const b = Array.from({ length: 20 }, (_, s) => resolveParams(defs, {}, new SeededRng(s, 'swarm'), true));
    expect(a).toEqual(b);
    expect(new Set(a.map((x) => JSON.stringify(x))).size).toBeGreaterThan(10);
  });
});

describe('parsing pins', () => {
  it('parses each type', () => {
    expect(parsePins(defs, 's', ['nodes=7', 'loss=0.5', 'torn=true', 'mode=c'])).toEqual({ nodes: 7, loss: 0.5, torn: true, mode: 'c' });
    expect(parseParamValue('torn', defs.torn, '0')).toBe(false);
    expect(parseParamValue('torn', defs.torn, '1')).toBe(true);
  });

  it('rejects bad values and unknown names with ParamError that says what is accepted', () => {
    const bad: [string, RegExp][] = [
      ['nodes=2.5', /integer/],
      ['nodes=65', /\[1, 64\]/],
      ['nodes=0', /\[1, 64\]/],
      ['loss=abc', /number/],
      ['loss=', /number/],
      ['loss=2', /\[0, 1\]/],
      ['torn=yes', /true or false/],
      ['mode=d', /one of a, b, c/],
      ['nope=1', /parameters are: nodes, fixed/],
      ['nodes', /name=value/],
      ['=3', /name=value/],
    ];
    for (const [pin, msg] of bad) {
      expect(() => parsePins(defs, 'scn', [pin])).toThrow(ParamError);
      expect(() => parsePins(defs, 'scn', [pin])).toThrow(msg);
    }
  });

  // Was a bug, now fixed (sim/params.ts parseParamValue, case 'int'): Number('') and Number(' ') are 0, so
  // `--param fixed=` is accepted as 0 whenever 0 is in range (the float case guards this with
  // raw.trim() === ''). Fix: reject raw.trim() === '' in the int case too.
  it('fixed bug: an empty int value is rejected', () => {
    expect(() => parsePins(defs, 'scn', ['fixed='])).toThrow(ParamError);
  });
});

describe('how numbers are written (decimal only)', () => {
  const int = param.int({ doc: '', default: 3, min: -10, max: 10 });
  const flt = param.float({ doc: '', default: 0.5, min: -1, max: 100 });
  it('accepts plain decimal ints and floats', () => {
    expect(parseParamValue('n', int, '3')).toBe(3);
    expect(parseParamValue('n', int, '-3')).toBe(-3);
    expect(parseParamValue('n', int, '007')).toBe(7);
    for (const [raw, v] of [['0.5', 0.5], ['.5', 0.5], ['5.', 5], ['1e-3', 0.001], ['-0.25', -0.25], ['2E1', 20]] as const) expect(parseParamValue('f', flt, raw)).toBe(v);
  });
  it('refuses hex, octal, binary, exponents for ints, signs, spaces, fractions for ints, Infinity, NaN', () => {
    for (const raw of ['0x3', '0o3', '0b11', '1e1', '+3', ' 3', '3 ', '3.0', '3.', '', '-', 'Infinity', 'NaN', '３']) {
      expect(() => parseParamValue('n', int, raw), raw).toThrow(/must be an integer written in decimal digits/);
    }
    for (const raw of ['0x1', '+1', ' 1', 'Infinity', '-Infinity', 'NaN', '', '.', 'e3', '1e', '1_0']) {
      expect(() => parseParamValue('f', flt, raw), raw).toThrow(/must be a decimal number/);
    }
  });
  it('a refused pin names the scenario (a sweep validates one set of pins against several)', () => {
    expect(() => parsePins({ n: int }, 'scn-a', ['n=0x3'])).toThrow(/^scenario scn-a: parameter n must be an integer/);
    expect(() => parsePins({ n: int }, 'scn-a', ['toString=1'])).toThrow(/^scenario scn-a has no parameter "toString"\. Its parameters are: n$/);
    expect(() => parsePins({ nodes: int }, 'scn-a', ['node=1'])).toThrow(/^scenario scn-a has no parameter "node"; did you mean "nodes"\? Its parameters are: nodes$/);
  });
});
