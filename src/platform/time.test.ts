import { describe, expect, it } from 'vitest';
import { addMs, beijingDayStart, formatLegacyTime, formatStudioTime, millisOf, systemClock } from './time.ts';

describe('formatStudioTime', () => {
  it('shows the instant in UTC+8 without an offset suffix, as the studio spec does', () => {
    expect(formatStudioTime(new Date('2026-01-22T02:00:00Z'))).toBe('2026-01-22T10:00:00');
  });

  it('moves to the next Beijing day from 16:00 UTC', () => {
    expect(formatStudioTime(new Date('2026-01-22T15:59:59Z'))).toBe('2026-01-22T23:59:59');
    expect(formatStudioTime(new Date('2026-01-22T16:00:00Z'))).toBe('2026-01-23T00:00:00');
    expect(formatStudioTime(new Date('2025-12-31T16:00:00Z'))).toBe('2026-01-01T00:00:00');
  });

  it('drops milliseconds rather than rounding them', () => {
    expect(formatStudioTime(new Date('2026-01-22T02:00:00.999Z'))).toBe('2026-01-22T10:00:00');
  });
});

describe('formatLegacyTime', () => {
  it('shows milliseconds and the +08:00 offset, as the legacy admin API does', () => {
    expect(formatLegacyTime(new Date('2023-05-28T10:47:19.711Z'))).toBe('2023-05-28T18:47:19.711+08:00');
  });

  it('denotes the same instant it was given', () => {
    const instant = new Date('2024-02-29T23:30:00.005Z');
    const text = formatLegacyTime(instant);
    expect(text).toBe('2024-03-01T07:30:00.005+08:00');
    expect(new Date(text).getTime()).toBe(instant.getTime());
  });
});

describe('beijingDayStart', () => {
  it('is midnight in UTC+8, i.e. 16:00 UTC the day before', () => {
    expect(beijingDayStart('2026-03-01')?.toISOString()).toBe('2026-02-28T16:00:00.000Z');
    expect(beijingDayStart('2024-02-29')?.toISOString()).toBe('2024-02-28T16:00:00.000Z');
  });

  it.each(['2026-02-30', '2025-02-29', '2026-13-01', '2026-00-10', '2026-04-31', '2026-1-1', '20260101', '2026-01-01T00:00:00', '', 'today'])(
    'refuses %j',
    (day) => {
      expect(beijingDayStart(day)).toBeUndefined();
    },
  );
});

describe('addMs', () => {
  it('returns a new date and leaves the original alone', () => {
    const start = new Date('2026-01-01T00:00:00Z');
    expect(addMs(start, 2 * 3600_000).toISOString()).toBe('2026-01-01T02:00:00.000Z');
    expect(start.toISOString()).toBe('2026-01-01T00:00:00.000Z');
  });
});

describe('millisOf', () => {
  it('reads a clock in milliseconds: the system clock directly, any other through now()', () => {
    const before = Date.now();
    const read = millisOf(systemClock);
    expect(read).toBeGreaterThanOrEqual(before);
    expect(read).toBeLessThanOrEqual(Date.now());
    const fixed = { now: () => new Date('2026-03-01T04:00:00Z') };
    expect(millisOf(fixed)).toBe(Date.parse('2026-03-01T04:00:00Z'));
  });
});
