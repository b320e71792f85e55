/**
 * detsim: a deterministic simulator for distributed systems. One seed reproduces a whole run,
 * bit for bit.
 *
 * This is the package's public entry point (`import { ... } from 'detsim'`): the scenario API
 * ({@link defineScenario}, {@link param}, {@link faultParams}, {@link standardNemesis}, the time
 * helpers {@link ms}, {@link sec}, ...), the {@link World} a scenario builds, the
 * {@link NodeContext} a node program runs in, and the kernel, network, disk and device models
 * underneath. Test helpers for vitest are in `detsim/testing`.
 *
 * @example
 * ```ts
 * import { defineScenario, faultParams, param, sec, standardNemesis } from 'detsim';
 *
 * export default defineScenario({
 *   name: 'my-counter',
 *   description: 'one line for detsim list',
 *   params: { nodes: param.int({ doc: 'cluster size', default: 3, min: 1, max: 9 }), ...faultParams() },
 *   durationNs: sec(20),
 *   livenessBoundNs: sec(30),
 *   setup(w, p) {
 *     // add nodes and clients, declare safety and liveness checks, then:
 *     standardNemesis(w, p);
 *   },
 * });
 * ```
 *
 * @packageDocumentation
 */
export * from './sim/index.ts';
export { checkWireAcks, type WireAckJudge } from './invariants/wire-acks.ts';
