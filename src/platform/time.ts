// Studio and legacy responses show times in UTC+8 (the studio spec's "时区为UTC+8").

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** The clock's time in milliseconds: for the system clock without making a Date (the gateway asks ~10 times a request). */
export const millisOf = (clock: Clock): number => (clock === systemClock ? Date.now() : clock.now().getTime());

const BEIJING_OFFSET_MS = 8 * 3600 * 1000;

function beijingIso(date: Date): string {
  return new Date(date.getTime() + BEIJING_OFFSET_MS).toISOString();
}

/** `2026-01-22T10:00:00` — the studio spec's format (UTC+8, no offset suffix). */
export function formatStudioTime(date: Date): string {
  return beijingIso(date).slice(0, 19);
}

/** `2023-05-28T18:47:19.711+08:00` — the legacy admin API's format. */
export function formatLegacyTime(date: Date): string {
  return `${beijingIso(date).slice(0, 23)}+08:00`;
}

/** Start of a `YYYY-MM-DD` day in UTC+8, or undefined when the text is not a real date. */
export function beijingDayStart(day: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const utc = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(utc.getTime()) || utc.toISOString().slice(0, 10) !== day) return undefined;
  return new Date(utc.getTime() - BEIJING_OFFSET_MS);
}

/** The `YYYY-MM-DD` day (UTC+8) a moment falls on. */
export function beijingDay(date: Date): string {
  return beijingIso(date).slice(0, 10);
}

export const addMs = (date: Date, ms: number) => new Date(date.getTime() + ms);

/**
 * A time as the studio spec writes it, `2026-01-23T10:00:00` (UTC+8), or with an explicit offset (`Z`, `+08:00`);
 * undefined when it is not a real moment.
 */
export function parseStudioTime(text: string): Date | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(:\d{2})?(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})?$/.exec(text);
  if (!m) return undefined;
  const [, day, hm, sec = ':00', frac = '', zone = '+08:00'] = m;
  const date = new Date(`${day}T${hm}${sec}${frac}${zone}`);
  if (Number.isNaN(date.getTime())) return undefined;
  // Date rolls 2026-02-30 over to March: a moment that does not read back the same was not a real one.
  const local = new Date(date.getTime() + (zone === 'Z' ? 0 : offsetMs(zone))).toISOString();
  return local.startsWith(`${day}T${hm}${sec}`) ? date : undefined;
}

function offsetMs(zone: string): number {
  const sign = zone.startsWith('-') ? -1 : 1;
  const [h, m] = zone.slice(1).split(':').map(Number);
  return sign * ((h as number) * 60 + (m as number)) * 60_000;
}
