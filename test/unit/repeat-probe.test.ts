import { describe, expect, it } from 'vitest';
import { RepeatProbe } from '../../src/engine/repeat-probe.js';

describe('RepeatProbe', () => {
  it('reports no repeat for distinct strings, across several growths of its table', () => {
    const probe = new RepeatProbe();
    // 300k ids is past four doublings of the initial 65,536 slots.
    for (let i = 0; i < 300_000; i++) probe.add(`5f0c9d7e-0a41-4c6e-${String(i).padStart(12, '0')}`);
    expect(probe.mayHaveRepeats).toBe(false);
  });

  it('finds a repeat added long after the first copy (after the table grew)', () => {
    const probe = new RepeatProbe();
    for (let i = 0; i < 200_000; i++) probe.add(`id-${i}`);
    expect(probe.mayHaveRepeats).toBe(false);
    probe.add('id-7');
    expect(probe.mayHaveRepeats).toBe(true);
    probe.add('something new');
    expect(probe.mayHaveRepeats).toBe(true);
  });

  it('tells apart strings that differ only in their last character, in case, or in length', () => {
    const probe = new RepeatProbe();
    for (const text of ['', 'a', 'A', 'aa', 'ab', 'ba', '\u0000', '\u0000\u0000', 'é', 'e\u0301', '😀']) {
      probe.add(text);
    }
    expect(probe.mayHaveRepeats).toBe(false);
    probe.add('');
    expect(probe.mayHaveRepeats).toBe(true);
  });
});
