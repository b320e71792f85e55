/**
 * detsim's public door: everything a scenario, a system or a tool built on detsim needs.
 */
export { assert, AssertionError, unreachable } from './assert.ts';
export { failingSeeds, findCatchingSeed, type Catch, type CatchOptions, type FailingSeed, type SeedRunOptions } from './bug-zoo.ts';
export { Buggify, DEFAULT_BUGGIFY, type BuggifyOptions, type BuggifyReport } from './buggify.ts';
export { LocalClock, PERFECT_CLOCK, type ClockOptions } from './clock.ts';
export { deepCopy, estimateSize } from './clone.ts';
export { Device, FailureDomains, type DeviceOptions, type DeviceResult, type DeviceState, type DeviceStats } from './device.ts';
export { Disk, DiskReadFailed, NO_DISK_FAULTS, type DiskBacking, type DiskError, type DiskFaults, type DiskRead, type DiskStats, type DurableFileView } from './disk/disk.ts';
export { DISK_PROFILES, type DiskProfile, type DiskProfileName } from './disk/profiles.ts';
export { EventQueue, ScheduledEvent } from './event-queue.ts';
export { Simulation, type MilestoneListener, type RunStop, type SimulationOptions } from './kernel.ts';
export { FAULT_KINDS, type FaultKind, type FaultKindInfo, type FaultModel } from './faults.ts';
export { faultParams, MILESTONE_KINDS, netLatencyMsMaxFor, ROUND_TRIP_P99_MEDIANS, standardNemesis, type FaultParamName, type FaultParamOptions, type FaultParams, type NemesisOptions } from './nemesis.ts';
export { describeLatency, drawLatency, scaleLatency, withFloor, type LatencyModel } from './network/latency.ts';
export { LAN, Network, type LinkConfig, type MessageFault, type MessageMetrics, type NetworkStats, type NodeMessageCounts, type TypeMessageCounts, type SendOptions } from './network/network.ts';
export { NodeContext, SimNode, type CallResult, type Envelope, type NodeFactory, type NodeId, type NodeProgram, type NodeState, type Timer } from './node.ts';
export { defineProbes, Probes, reached, type Coverage, type ProbeTable } from './probes.ts';
export { param, ParamError, parsePins, resolveParams, type BoolParam, type EnumParam, type FloatParam, type IntParam, type ParamDef, type ParamDefs, type ParamBase, type ParamValue, type ParamValues } from './params.ts';
export { RngRoot, SeededRng, type Rng } from './prng.ts';
export { allOf, firstOf, Future, Process, ScriptFailure, sleep, wait, type Callback, type FirstOf, type ProcessBody } from './process.ts';
export { drawParams, runScenario, DEFAULT_MAX_EVENTS, type Outcome, type PendingProperty, type RunOptions, type RunResult } from './runner.ts';
export { defineScenario, World, type LivenessCheck, type NodeOptions, type Phase, type SafetyCheck, type Scenario, type ScriptFinish, type UntilOptions, type Violation } from './scenario.ts';
export { formatInstant, formatNs, minutes, ms, NS_PER_MS, NS_PER_SEC, NS_PER_US, sec, us, type Nanos } from './time.ts';
export { formatRecord, sinkWithoutMessages, Trace, TraceSlice, type Formatter, type MessageInfo, type TraceRecord, type TraceSink } from './trace.ts';
export { type Explanation, type LivenessTransition, type PropertyHistory } from './explain.ts';
export { defaultSummary, type MessageSummaries, type MessageSummary } from './network/message-summary.ts';
export type { HistoryView, HistoryViewOp } from './history-view.ts';
