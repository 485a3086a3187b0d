import { describe, expect, it } from 'vitest';
import { UtcTimestampText } from '../../src/values/utc-timestamp-text.js';

describe('UtcTimestampText', () => {
  it('writes exactly what toISOString writes, across days, years and the epoch', () => {
    const text = new UtcTimestampText('T', 'Z');
    const times = [
      0,
      -1,
      86_399_999,
      86_400_000,
      Date.UTC(2024, 1, 29, 23, 59, 59, 999),
      Date.UTC(2024, 2, 1),
      Date.UTC(1969, 11, 31, 23, 59, 59, 1),
      -62_135_596_800_000, // 0001-01-01
      253_402_300_799_999, // 9999-12-31T23:59:59.999
    ];
    // A deterministic spread over years 1..9999, visited out of order so the day cache is exercised.
    let seed = 12345;
    for (let i = 0; i < 5000; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      times.push(-62_135_596_800_000 + (seed / 2 ** 32) * 315_537_897_599_999);
    }
    for (const time of times) {
      expect(text.format(time), String(time)).toBe(new Date(time).toISOString());
    }
  });

  it('uses the separator and suffix it was given', () => {
    expect(new UtcTimestampText(' ', '').format(Date.UTC(2024, 5, 1, 7, 8, 9, 10))).toBe(
      '2024-06-01 07:08:09.010',
    );
  });

  it('declines what it does not format: out of range, not finite', () => {
    const text = new UtcTimestampText('T', 'Z');
    for (const time of [-62_135_596_800_001, 253_402_300_800_000, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(text.format(time)).toBeUndefined();
    }
  });
});
