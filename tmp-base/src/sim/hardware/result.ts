/**
 * What a hardware operation returns. Device errors ('crashed', 'unavailable') come from the
 * kernel's Device; the models add their own: a worn-out SSD refuses writes, a poisoned CXL line
 * refuses reads. An error is an expected outcome the caller must handle, never an exception.
 */
import type { DeviceResult } from '../device.ts';

/** `no-key`: a crypto engine lacks the session key (a rebooted NIC); `bad-mac`: a sealed message failed authentication. */
export type HwError = 'crashed' | 'unavailable' | 'worn-out' | 'poisoned' | 'no-key' | 'bad-mac';

export type HwResult<T> = { ok: true; value: T } | { ok: false; error: HwError };

export type HwDone<T> = (r: HwResult<T>) => void;

/** Adapts a Device callback whose operation may itself fail with a model error. */
export function unwrap<T>(done: HwDone<T>): (r: DeviceResult<HwResult<T>>) => void {
  return (r) => done(r.ok ? r.value : r);
}

/** A 32-bit FNV-1a hash of a string: the checksum the models and systems put on values. */
export function checksum(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
