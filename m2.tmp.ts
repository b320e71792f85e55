import { timeToLeaderAfterHeal } from './systems/kv/slow-heal.ts';
const bad: string[] = []; let over8 = 0;
for (let s = 1; s <= 1000; s++) { const t = timeToLeaderAfterHeal({ seed: s, cutNs: 10e9 })!; if (t > 9e9) { over8++; bad.push(`${s}:${(t/1e9).toFixed(1)}`); } }
console.log(over8, bad.join(' '));
