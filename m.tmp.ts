import { timeToLeaderAfterHeal } from './systems/kv/slow-heal.ts';
const N = Number(process.argv[2] ?? 50);
for (const adaptive of [true]) {
  const xs: number[] = []; let none = 0;
  const t0 = Date.now();
  for (let s = 1; s <= N; s++) { const t = timeToLeaderAfterHeal({ seed: s, cutNs: Number(process.argv[3] ?? 3) * 1e9, config: { adaptiveTimeouts: adaptive } }); if (t === null) none++; else xs.push(t / 1e6); }
  xs.sort((a, b) => a - b);
  console.log(adaptive, 'n', xs.length, 'none', none, 'p50', xs[Math.floor(xs.length/2)], 'p90', xs[Math.floor(xs.length*0.9)], 'max', xs[xs.length-1], 'wall', Date.now()-t0);
}
