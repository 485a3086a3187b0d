import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { HeldSetting } from '../../src/backends/duckdb/duckdb-held-setting.js';

// An instance-wide setting held by overlapping work: SET by the first holder, RESET by the last.
describe('HeldSetting (DuckDB)', () => {
  async function open() {
    const instance = await DuckDBInstance.create(':memory:');
    const a = await instance.connect();
    const b = await instance.connect();
    const threads = async () =>
      Number((await a.runAndReadAll("SELECT current_setting('threads')")).getRowsJS()[0]?.[0]);
    return { instance, a, b, threads };
  }

  it('keeps the value until the last overlapping holder ends, then resets it', async () => {
    const { instance, a, b, threads } = await open();
    const original = await threads();
    const held = new HeldSetting('threads');
    let endFirst!: () => void;
    const first = held.hold(a, String(original + 3), () => new Promise<void>((r) => (endFirst = r)));
    await new Promise((r) => setTimeout(r, 20));
    expect(await threads()).toBe(original + 3);
    let endSecond!: () => void;
    // A second holder on another connection does not SET again (its value is the first one's).
    const second = held.hold(b, String(original + 5), () => new Promise<void>((r) => (endSecond = r)));
    await new Promise((r) => setTimeout(r, 20));
    endFirst();
    await first;
    expect(await threads()).toBe(original + 3); // still held by the second
    endSecond();
    await second;
    expect(await threads()).toBe(original);
    instance.closeSync();
  });

  it('leaves no hold behind when the SET fails', async () => {
    const { instance, a, threads } = await open();
    const original = await threads();
    const held = new HeldSetting('threads');
    await expect(held.hold(a, 'not_a_number', async () => 'ran')).rejects.toThrow();
    // The next hold SETs again (a leaked hold would skip it) and resets at its end.
    expect(await held.hold(a, String(original + 1), threads)).toBe(original + 1);
    expect(await threads()).toBe(original);
    instance.closeSync();
  });
});
