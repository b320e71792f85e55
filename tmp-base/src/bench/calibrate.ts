/**
 * A frozen yardstick for the machine's speed at the moment of measuring.
 *
 * The loaded-Raft figure compares today's tree with the tree the issue was filed against
 * (4755ff4), whose code is not in this build. Dividing by the kernel's ping-pong measured in the
 * same run was the first try, but the kernel changed too: ping-pong itself became about 2x slower
 * per CPU second after 4755ff4 (every message is now counted by type, and a body without a
 * `type` field pays Object.keys per send), which made the Raft store look 2x faster than it was.
 *
 * This workload imports nothing from detsim, so no change to the simulator moves it: a small
 * event loop over a binary heap of objects, closures, a Map keyed by strings, small JSON texts
 * and string hashing: the kinds of work a simulated system does, in fixed proportions. Only the
 * machine (and what else it runs) moves it. DO NOT CHANGE IT: the issue-time figure in
 * bench/systems.ts (`BEFORE`) was measured against exactly this code; `calibrate.test.ts` pins its
 * checksum so an edit is noticed.
 */

interface Item {
  t: number;
  seq: number;
  key: string;
  body: { n: number; tags: number[] };
}

function less(a: Item, b: Item): boolean {
  return a.t < b.t || (a.t === b.t && a.seq < b.seq);
}

function push(h: Item[], x: Item): void {
  h.push(x);
  let i = h.length - 1;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (!less(h[i]!, h[p]!)) break;
    const tmp = h[i]!;
    h[i] = h[p]!;
    h[p] = tmp;
    i = p;
  }
}

function pop(h: Item[]): Item {
  const top = h[0]!;
  const last = h.pop()!;
  if (h.length > 0) {
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && less(h[l]!, h[m]!)) m = l;
      if (r < h.length && less(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      const tmp = h[i]!;
      h[i] = h[m]!;
      h[m] = tmp;
      i = m;
    }
  }
  return top;
}

function fnv(s: string, h: number): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h;
}

/** Runs `ops` steps of the reference workload; `checksum` proves the work was done (and is fixed). */
export function referenceWork(ops: number): { ops: number; checksum: number } {
  let rng = 12345;
  const next = (): number => {
    rng = (Math.imul(rng, 1103515245) + 12345) >>> 0;
    return rng;
  };
  const heap: Item[] = [];
  const store = new Map<string, { n: number; tags: number[] }>();
  let seq = 0;
  let h = 2166136261;
  for (let i = 0; i < 1000; i++) push(heap, { t: next() % 1000, seq: seq++, key: `k${i % 257}`, body: { n: i, tags: [i, i + 1] } });
  const handlers: ((x: Item) => void)[] = [
    (x) => store.set(x.key, { n: x.body.n, tags: x.body.tags.slice() }),
    (x) => {
      const v = store.get(x.key);
      if (v !== undefined) h = (h + v.n) >>> 0;
    },
    (x) => {
      const text = JSON.stringify(x.body);
      h = fnv(text, h);
      const back = JSON.parse(text) as { n: number };
      h = (h ^ back.n) >>> 0;
    },
    (x) => {
      if (store.size > 200) store.delete(x.key);
    },
  ];
  for (let i = 0; i < ops; i++) {
    const x = pop(heap);
    handlers[x.seq & 3]!(x);
    h = fnv(x.key, h);
    const r = next();
    push(heap, { t: x.t + 1 + (r % 50), seq: seq++, key: `k${r % 257}`, body: { n: r & 0xffff, tags: [x.body.n, r & 7] } });
  }
  return { ops, checksum: h };
}
