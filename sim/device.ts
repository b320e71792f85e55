/**
 * Hardware devices (SmartNICs, SmartSSDs, CXL memory pools, ...): each has its own latency model,
 * its own capacity (how many operations it serves at once) and its own failure domain, which
 * need not be a node's: a CXL pool shared by four hosts fails for all four at once, and a
 * SmartNIC can crash while its host runs on.
 *
 * What a device may do: be slow (a latency multiplier), crash (operations in flight fail with
 * 'crashed'; it answers nothing until restarted), or wedge (it accepts work and never finishes it:
 * the host must notice with a timeout). Models in sim/hardware/ subclass or compose this.
 */
import { assert } from './assert.ts';
import type { ScheduledEvent } from './event-queue.ts';
import type { Simulation } from './kernel.ts';
import { drawLatency, scaleLatency, type LatencyModel } from './network/latency.ts';
import type { Rng } from './prng.ts';
import type { Nanos } from './time.ts';

/** A device's state: up, crashed (loses its work in flight), or wedged (accepts work, never completes it). */
export type DeviceState = 'up' | 'crashed' | 'wedged';

/** The result of a device operation: its value, or why it failed. */
export type DeviceResult<T> =
  | {
      /** The operation completed. */
      ok: true;
      /** What it produced. */
      value: T;
    }
  | {
      /** The operation failed. */
      ok: false;
      /** Why: the device crashed while it ran, or was not up. */
      error: 'crashed' | 'unavailable';
    };

/** A device's configuration. */
export interface DeviceOptions {
  /** The device's name (unique in a world). */
  name: string;
  /** Devices in one failure domain fail together (see FailureDomains). */
  domain: string;
  /** How many operations are served at once; more wait in a FIFO queue. */
  parallelism: number;
}

/** One in-flight or queued operation. */
interface Op {
  serviceNs: Nanos;
  run: () => unknown;
  done: (r: DeviceResult<unknown>) => void;
  event: ScheduledEvent | null;
}

/** What a device has done so far. */
export interface DeviceStats {
  /** Operations completed. */
  completed: number;
  /** Operations failed (crashed or unavailable). */
  failed: number;
  /** Times it crashed. */
  crashes: number;
}

/** Simulated hardware (a SmartNIC engine, an SSD's compute, CXL memory): a latency model, bounded parallelism, a failure domain; it can crash, wedge and restart. */
export class Device {
  private _state: DeviceState = 'up';
  private busy = 0;
  private queue: Op[] = [];
  private inFlight = new Set<Op>();
  /** Multiplies every service time (a slow device). */
  slowFactor = 1;
  /** The device's own random stream. */
  readonly rng: Rng;
  /** Operations completed and failed, and crashes, so far. */
  readonly stats: DeviceStats = { completed: 0, failed: 0, crashes: 0 };

  constructor(
    /** The simulation the device runs in. */
    readonly sim: Simulation,
    /** Its configuration. */
    readonly options: DeviceOptions,
  ) {
    assert(options.parallelism >= 1, `device ${options.name}: parallelism must be >= 1`);
    this.rng = sim.rng(`device/${options.name}`);
  }

  /** Chances each fault kind had so far: the ordinal names a device fault in a script. */
  private readonly faultChances = new Map<string, number>();

  /**
   * A device fault as a recorded decision (sim/decisions.ts): `drawn` is what the device's stream
   * (or BUGGIFY) said; during the fault phase the run records it, or a scripted run takes it from
   * the script ("cxl0's 12th torn-write chance fires"). Returns the decision (its `arg`: a drawn
   * detail, e.g. how many words landed) or null. Call it at every chance, drawn or not.
   */
  decideFault(fault: string, drawn: boolean, arg?: number): {
    /** The fault's drawn detail, as recorded (e.g. how many words of a torn write landed). */
    arg?: number;
  } | null {
    const n = (this.faultChances.get(fault) ?? 0) + 1;
    this.faultChances.set(fault, n);
    const d = this.sim.decisions;
    if (!d.keyed(drawn)) return drawn ? { ...(arg !== undefined ? { arg } : {}) } : null;
    return d.decide({ kind: 'device', device: this.label, fault, n, ...(arg !== undefined ? { arg } : {}) }, drawn);
  }

  /**
   * How a script names the device: its failure domain ("nic/a1", "ssd/a1", "cxl/pool"), or
   * "domain:name" when the domain's name does not end with the device's (names alone repeat: a
   * host's NIC and SSD are both "a1").
   */
  get label(): string {
    const dom = this.options.domain;
    return dom === this.name || dom.endsWith(`/${this.name}`) ? dom : `${dom}:${this.name}`;
  }

  /** The device's name. */
  get name(): string {
    return this.options.name;
  }
  /** Up, crashed or wedged. */
  get state(): DeviceState {
    return this._state;
  }

  /** Draws a service time from `model`, scaled by the device's slowness. */
  serviceTime(model: LatencyModel): Nanos {
    return drawLatency(this.slowFactor === 1 ? model : scaleLatency(model, this.slowFactor), this.rng);
  }

  /**
   * Submits an operation taking `serviceNs` of device time. `run` executes at completion (its
   * effect happens then, atomically) and `done` gets its value; or `done` gets an error if the
   * device is down or crashes first. A wedged device never calls `done`.
   */
  submit<T>(serviceNs: Nanos, run: () => T, done: (r: DeviceResult<T>) => void): void {
    if (this._state === 'crashed') {
      this.stats.failed++;
      this.sim.schedule(0, () => done({ ok: false, error: 'unavailable' }));
      return;
    }
    const op: Op = { serviceNs, run, done: done as (r: DeviceResult<unknown>) => void, event: null };
    this.queue.push(op);
    this.pump();
  }

  /** Crashes the device: work in flight or queued fails; volatile device state is the subclass's to drop. */
  crash(): void {
    if (this._state === 'crashed') return;
    this._state = 'crashed';
    this.stats.crashes++;
    const lost = [...this.inFlight, ...this.queue];
    this.inFlight.clear();
    this.queue = [];
    this.busy = 0;
    for (const op of lost) {
      op.event?.cancel();
      this.stats.failed++;
      this.sim.schedule(0, () => op.done({ ok: false, error: 'crashed' }));
    }
    this.sim.log(this.name, 'device-crash', `${lost.length} op(s) failed`);
    this.onCrash();
  }

  /** Brings a crashed or wedged device back. */
  restart(): void {
    if (this._state === 'up') return;
    if (this._state === 'wedged') this.crash();
    this._state = 'up';
    this.sim.log(this.name, 'device-restart');
    this.onRestart();
  }

  /** The device stops completing work but still accepts it (a hung controller). */
  wedge(): void {
    if (this._state !== 'up') return;
    this._state = 'wedged';
    for (const op of this.inFlight) op.event?.cancel();
    this.sim.log(this.name, 'device-wedge');
  }

  /** Hook for subclasses: drop volatile state. */
  protected onCrash(): void {}
  /** Hook for subclasses: recover. */
  protected onRestart(): void {}

  private pump(): void {
    while (this._state === 'up' && this.busy < this.options.parallelism && this.queue.length > 0) {
      const op = this.queue.shift()!;
      this.busy++;
      this.inFlight.add(op);
      op.event = this.sim.schedule(op.serviceNs, () => {
        this.inFlight.delete(op);
        this.busy--;
        this.stats.completed++;
        op.done({ ok: true, value: op.run() });
        this.pump();
      });
    }
  }
}

/** Named failure domains: failing one crashes every device registered in it. */
export class FailureDomains {
  private members = new Map<string, Device[]>();

  /** Adds a device to its failure domain (`options.domain`). */
  register(d: Device): void {
    const list = this.members.get(d.options.domain) ?? [];
    list.push(d);
    this.members.set(d.options.domain, list);
  }

  /** Crashes every device in `domain`; returns how many. */
  fail(domain: string): number {
    const list = this.members.get(domain) ?? [];
    for (const d of list) d.crash();
    return list.length;
  }

  /** Restarts every device in `domain`. */
  recover(domain: string): void {
    for (const d of this.members.get(domain) ?? []) d.restart();
  }

  /** The failure domains, sorted. */
  domains(): string[] {
    return [...this.members.keys()].sort();
  }
}
