import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { xxHash64, xxHash64Mod } from './xxhash64.ts';

/** The byte pattern the reference vectors below were computed over: byte i is (31 i + 7) mod 256. */
function pattern(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + 7) & 255;
  return out;
}

/**
 * [length, seed, XXH64(pattern(length), seed)] as computed by the reference C library
 * (libxxhash 0.8.1, XXH64). Lengths cover every tail path (0..40) and the 32-byte stripe loop.
 */
const REFERENCE: ReadonlyArray<readonly [number, bigint, bigint]> = [
  [0, 0x0n, 0xef46db3751d8e999n],
  [0, 0x1n, 0xd5afba1336a3be4bn],
  [0, 0x9e3779b185ebca87n, 0x6ec6d05f61c7e7a7n],
  [1, 0x0n, 0xa96c7f0ce858bbb7n],
  [1, 0x1n, 0x0766883a0a47a96an],
  [1, 0x9e3779b185ebca87n, 0x0c810166b30122a5n],
  [2, 0x0n, 0xac378c5993cd5f9an],
  [2, 0x1n, 0x49cbd4fc6c254bd5n],
  [2, 0x9e3779b185ebca87n, 0x183524bbfe689560n],
  [3, 0x0n, 0x56e6957632a487f9n],
  [3, 0x1n, 0x598afe4fbb09d9f6n],
  [3, 0x9e3779b185ebca87n, 0x45163cdc31e15be1n],
  [4, 0x0n, 0xc60d15b1e3ff8f04n],
  [4, 0x1n, 0x5e9f99aa13de2d02n],
  [4, 0x9e3779b185ebca87n, 0xb000bcf3f8bcaefen],
  [5, 0x0n, 0x808815858624dd4en],
  [5, 0x1n, 0xb15c817d13965acfn],
  [5, 0x9e3779b185ebca87n, 0xca04f3b2b8c1646dn],
  [6, 0x0n, 0xcf22b4e87e9bbd00n],
  [6, 0x1n, 0x793e5710b24b7773n],
  [6, 0x9e3779b185ebca87n, 0x98d5605f06a751a2n],
  [7, 0x0n, 0xafbefc3d6c6f9a8en],
  [7, 0x1n, 0xbd99f1fa0de7b9a4n],
  [7, 0x9e3779b185ebca87n, 0xe10f33af8c4758a3n],
  [8, 0x0n, 0x3da5c7aa269683e0n],
  [8, 0x1n, 0x1b4e043a4021aa18n],
  [8, 0x9e3779b185ebca87n, 0xcb4a80ecc7a094c6n],
  [9, 0x0n, 0x4b17a9ba9e215c09n],
  [9, 0x1n, 0x2a77c6e783fb18b1n],
  [9, 0x9e3779b185ebca87n, 0xd98eea92daace6dbn],
  [10, 0x0n, 0x6b889090b8a922b8n],
  [10, 0x1n, 0x432e4e97d1bdb485n],
  [10, 0x9e3779b185ebca87n, 0xbc522607615dcf78n],
  [11, 0x0n, 0x1fc070e44716bd8en],
  [11, 0x1n, 0x7436a247f2927a92n],
  [11, 0x9e3779b185ebca87n, 0x9d89b8a163e8f95en],
  [12, 0x0n, 0x8fe8ab1c1fd0666en],
  [12, 0x1n, 0xaaf19ec96e7722cdn],
  [12, 0x9e3779b185ebca87n, 0x04717862c4fbfca8n],
  [13, 0x0n, 0x0382284cc19c4abbn],
  [13, 0x1n, 0xd6039376c2d09106n],
  [13, 0x9e3779b185ebca87n, 0xda778e7a8a1859e1n],
  [14, 0x0n, 0x1523f762201ba56en],
  [14, 0x1n, 0x0670b047ce3c85c4n],
  [14, 0x9e3779b185ebca87n, 0x92f042015c6a59f1n],
  [15, 0x0n, 0xae2a37eb9357caa7n],
  [15, 0x1n, 0xc88bd84841af8ac9n],
  [15, 0x9e3779b185ebca87n, 0x3eb4d31a7b8359can],
  [16, 0x0n, 0xa19ad429b02bc413n],
  [16, 0x1n, 0x78b588afc3e5e956n],
  [16, 0x9e3779b185ebca87n, 0x0e3f56e88f759a50n],
  [17, 0x0n, 0xfe9f0feb7eeedc09n],
  [17, 0x1n, 0x9c4d638a8d88a249n],
  [17, 0x9e3779b185ebca87n, 0x5006e8f2eec7efean],
  [18, 0x0n, 0xa44dbc53c815d4fen],
  [18, 0x1n, 0x0cde785347804224n],
  [18, 0x9e3779b185ebca87n, 0x419d2128073d0f78n],
  [19, 0x0n, 0x3693e04c0dfc7dd2n],
  [19, 0x1n, 0x4fcab7490fb86d91n],
  [19, 0x9e3779b185ebca87n, 0xd28fd5527313f218n],
  [20, 0x0n, 0x0bfbadb368e7f37cn],
  [20, 0x1n, 0x69492a69814b2f76n],
  [20, 0x9e3779b185ebca87n, 0x1b90a1e7eedbca86n],
  [21, 0x0n, 0xfe78683697d5c575n],
  [21, 0x1n, 0xd7c58a45df4c7a95n],
  [21, 0x9e3779b185ebca87n, 0xf34afb9627fc6499n],
  [22, 0x0n, 0xb07142420c77fe7fn],
  [22, 0x1n, 0x41bab6dd4099d2c8n],
  [22, 0x9e3779b185ebca87n, 0xd4a3cc8ac069a7cbn],
  [23, 0x0n, 0xe77b1fcea84118c3n],
  [23, 0x1n, 0xc29f92b27cc6e3cbn],
  [23, 0x9e3779b185ebca87n, 0x314f87f240ff6738n],
  [24, 0x0n, 0x929438e5c2159ef9n],
  [24, 0x1n, 0xc0601f839d43277bn],
  [24, 0x9e3779b185ebca87n, 0x4cf2aec6c836678en],
  [25, 0x0n, 0x7e6c95919380459fn],
  [25, 0x1n, 0x7aa326af91d11800n],
  [25, 0x9e3779b185ebca87n, 0x4cb6f8f801b167b3n],
  [26, 0x0n, 0xaf2efe1aa0cf37dcn],
  [26, 0x1n, 0x06db4d9023278214n],
  [26, 0x9e3779b185ebca87n, 0xc8c6846230ad5cadn],
  [27, 0x0n, 0x8edaa24c28d12ec6n],
  [27, 0x1n, 0x593471ee76f983bbn],
  [27, 0x9e3779b185ebca87n, 0xa8eb8b3285734329n],
  [28, 0x0n, 0xa36b5c4091187d2an],
  [28, 0x1n, 0x36ffc980daa80f0cn],
  [28, 0x9e3779b185ebca87n, 0xff59551f47d98f97n],
  [29, 0x0n, 0xeb1fee1bf0954759n],
  [29, 0x1n, 0x31667449387d7a1fn],
  [29, 0x9e3779b185ebca87n, 0x196ddadda279b6d7n],
  [30, 0x0n, 0x6a54ebe6fe40b928n],
  [30, 0x1n, 0xf27116d7b0ac9af5n],
  [30, 0x9e3779b185ebca87n, 0xc6d614b9459af3e1n],
  [31, 0x0n, 0x4a74f3a1a39ad4a1n],
  [31, 0x1n, 0xd7ac4f4bea4e460an],
  [31, 0x9e3779b185ebca87n, 0x659ec2b1252d56f5n],
  [32, 0x0n, 0x8d57d6a4671cc43dn],
  [32, 0x1n, 0x8f666909cfd00cc8n],
  [32, 0x9e3779b185ebca87n, 0xf113d2457128cf6dn],
  [33, 0x0n, 0x62c9fd21ed857664n],
  [33, 0x1n, 0xb1575979b72c805an],
  [33, 0x9e3779b185ebca87n, 0x84575b860242fe41n],
  [34, 0x0n, 0x42cce8a8f5fc5f1fn],
  [34, 0x1n, 0x404e2a303d716a77n],
  [34, 0x9e3779b185ebca87n, 0x83697db95dacd76dn],
  [35, 0x0n, 0x85cbcf9e0d9cbecan],
  [35, 0x1n, 0x3398991956c04c98n],
  [35, 0x9e3779b185ebca87n, 0x504e8b9e5cb09e5an],
  [36, 0x0n, 0xa4475c606b0abc3cn],
  [36, 0x1n, 0xadbc85402ad70eean],
  [36, 0x9e3779b185ebca87n, 0x9928c5d314f8e1adn],
  [37, 0x0n, 0x5d71d9fc4b676d9fn],
  [37, 0x1n, 0xee086a7ed5e10eb9n],
  [37, 0x9e3779b185ebca87n, 0x33ddb9a885fc58a4n],
  [38, 0x0n, 0x88a74ab8eaeb0218n],
  [38, 0x1n, 0x5ba467eb4baa030fn],
  [38, 0x9e3779b185ebca87n, 0x4c2c1fdd782a8130n],
  [39, 0x0n, 0x1789542489e59cc4n],
  [39, 0x1n, 0x7ce6e8e101e3642cn],
  [39, 0x9e3779b185ebca87n, 0xe9732ec1485fd04dn],
  [40, 0x0n, 0x49b45332e280f187n],
  [40, 0x1n, 0x4ea2e43cf7f9bda8n],
  [40, 0x9e3779b185ebca87n, 0xafb4f23e8eb64418n],
  [63, 0x0n, 0x5c320a0d2707057fn],
  [63, 0x1n, 0x61b9cb220da77a86n],
  [63, 0x9e3779b185ebca87n, 0x355cc1872a486c6en],
  [64, 0x0n, 0x7bbabbc45729d17en],
  [64, 0x1n, 0xee10eee981202ce9n],
  [64, 0x9e3779b185ebca87n, 0xea2d5e8a98bec153n],
  [65, 0x0n, 0xf3980c34bae65dc1n],
  [65, 0x1n, 0xb99a8864d5005b72n],
  [65, 0x9e3779b185ebca87n, 0xe6f9eb9a843fa660n],
  [100, 0x0n, 0xefa0ad2d3e70c151n],
  [100, 0x1n, 0xcd8103aecd2ed5cfn],
  [100, 0x9e3779b185ebca87n, 0xe10cfef3a9a0a5c5n],
  [127, 0x0n, 0x4822f4e67f60ea91n],
  [127, 0x1n, 0x446d832c42970620n],
  [127, 0x9e3779b185ebca87n, 0x009ef173a99f39ebn],
  [128, 0x0n, 0x725a5b9b3bedfe94n],
  [128, 0x1n, 0xc859cd9fd9415c81n],
  [128, 0x9e3779b185ebca87n, 0x40d43049ef11db9an],
  [129, 0x0n, 0x28fc8362643627d7n],
  [129, 0x1n, 0x2d60907dae5aa663n],
  [129, 0x9e3779b185ebca87n, 0x63583bd491b95d3bn],
  [200, 0x0n, 0x95d9a0c977b4b6fbn],
  [200, 0x1n, 0x6b8ebe05982b5ea0n],
  [200, 0x9e3779b185ebca87n, 0xa7afed456851b0dan],];

describe('xxHash64', () => {
  it('matches the published test vectors', () => {
    expect(xxHash64('', 0)).toBe(0xef46db3751d8e999n);
    expect(xxHash64('a', 0)).toBe(0xd24ec4f1a98c6e5bn);
    expect(xxHash64('abc', 0)).toBe(0x44bc2cf5ad770999n);
    expect(xxHash64('message digest', 0)).toBe(0x066ed728fceeb3ben);
    expect(xxHash64('abcdefghijklmnopqrstuvwxyz', 0)).toBe(0xcfe1f278fa89835cn);
    expect(xxHash64('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 0)).toBe(0xaaa46907d3047814n);
    expect(xxHash64('12345678901234567890123456789012345678901234567890123456789012345678901234567890', 0)).toBe(
      0xe04a477f19ee145dn,
    );
  });

  it('matches the reference library with seed 1 (the seed Envoy uses for Maglev skips)', () => {
    expect(xxHash64('', 1)).toBe(0xd5afba1336a3be4bn);
    expect(xxHash64('a', 1)).toBe(0xdec2bc81c3cd46c6n);
    expect(xxHash64('abc', 1)).toBe(0xbea9ca8199328908n);
    expect(xxHash64('10.0.0.1:80', 0)).toBe(0x011facba8043b217n);
    expect(xxHash64('10.0.0.1:80', 1)).toBe(0xa456919bcbffaa92n);
  });

  it.each(REFERENCE.map(([n, seed, h]) => [n, seed, h]))('length %i seed %s matches libxxhash', (n, seed, h) => {
    expect(xxHash64(pattern(n as number), seed as bigint)).toBe(h);
  });

  it('hashes a string as its UTF-8 bytes, and respects subarray views', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (s, seed) => {
        const bytes = new TextEncoder().encode(s);
        const padded = new Uint8Array(bytes.length + 5);
        padded.set(bytes, 3);
        const h = xxHash64(s, seed);
        expect(h).toBe(xxHash64(bytes, seed));
        expect(h).toBe(xxHash64(padded.subarray(3, 3 + bytes.length), seed));
        expect(h >= 0n && h < 1n << 64n).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('reduces modulo m exactly', () => {
    expect(xxHash64Mod('abc', 65537)).toBe(Number(0x44bc2cf5ad770999n % 65537n));
    expect(xxHash64Mod('abc', 65536, 1)).toBe(Number(0xbea9ca8199328908n % 65536n));
  });
});
