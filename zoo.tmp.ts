import scn from './scenarios/platform-global-sale.ts';
import { findCatchingSeed } from './sim/bug-zoo.ts';
const bug = process.argv[2]!;
const from = Number(process.argv[3] ?? 1);
const c = findCatchingSeed(scn, { pins: { bug }, cap: Number(process.argv[4] ?? 40), from });
console.log(bug, 'seed', c.seed, 'after', c.seedsRun, c.invariant, c.outcome, (c.result?.violations[0]?.message ?? JSON.stringify(c.result?.pending ?? '')).slice(0, 300));
