import { randomBytes } from 'node:crypto';
import { invalidField } from '../errors.js';

const ID_PATTERN = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z-[0-9a-f]{6}$/;
let lastMs = 0;

/**
 * Event ids look like `20261125T210552123Z-3fa9c1`: the UTC trigger time to the
 * millisecond, so they sort by time, plus random bits, so two processes or a
 * restart with a clock step back never collide. Within a process the time part
 * never repeats or goes back.
 */
export function newEventId(nowMs: number): string {
  const ms = Math.max(Math.floor(nowMs), lastMs + 1);
  lastMs = ms;
  const iso = new Date(ms).toISOString(); // 2026-11-25T21:05:52.123Z
  const compact = iso.replace(/[-:]/g, '').replace('.', '');
  return `${compact}-${randomBytes(3).toString('hex')}`;
}

export function isEventId(id: string): boolean {
  return ID_PATTERN.test(id);
}

/**
 * Makes new ids sort after `newest`, an id already on disk: a Pi without a
 * real-time clock may start with a wall clock behind the one it had before
 * the restart, and ids must stay ordered anyway.
 */
export function seedEventIds(newest: string): void {
  const ms = eventTimeMs(newest);
  if (Number.isFinite(ms)) lastMs = Math.max(lastMs, ms);
}

/** Throws INVALID_ARGUMENT unless `id` has the shape of an event id. */
export function checkEventId(id: string, field = 'event_id'): void {
  if (!isEventId(id)) invalidFieldThrow(field, id);
}

function invalidFieldThrow(field: string, id: string): never {
  throw invalidField(field, 'an event id like 20261125T210552123Z-3fa9c1', id);
}

/** The UTC date folder an event lives in: `2026-11-25`. */
export function eventDateFolder(id: string): string {
  return `${id.slice(0, 4)}-${id.slice(4, 6)}-${id.slice(6, 8)}`;
}

/** The trigger instant encoded in an event id, in ms since the epoch. */
export function eventTimeMs(id: string): number {
  const m = ID_PATTERN.exec(id);
  if (!m) return Number.NaN;
  const [, y, mo, d, h, mi, sec, ms] = m;
  return Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec), Number(ms));
}
