import { timeToLeaderAfterHeal } from './systems/kv/slow-heal.ts';
import { formatRecord } from './sim/trace.ts';
const seed = Number(process.argv[2]);
const t = timeToLeaderAfterHeal({ seed, cutNs: 10e9, traceSink: (r) => { const l = formatRecord(r); if (r.atNs > 14e9 && /role-change|term-change|vote-granted|heal|partition/.test(l)) console.log(l); }, onWorld: (w, sv) => { const tick = () => { if (w.now > 14.9e9 && w.now < 15.1e9) console.log(sv().map(s => `${s.id} rtt=${s.raft?.rttTicks} floor=${s.raft?.electionTimeoutFloor}`).join(' ')); w.sim.schedule(100e6, tick); }; w.sim.schedule(100e6, tick); } });
console.log('t', t);
