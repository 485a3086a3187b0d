import { describe, expect, it } from 'vitest';
import { recordBatches } from '../../src/engine/record-batches.js';
import { AbortedError } from '../../src/errors.js';

async function collect(count: number, options: Parameters<typeof recordBatches>[3]) {
  const progress: number[] = [];
  const sizes: number[] = [];
  const seen: number[] = [];
  const counter = { read: 0 };
  async function* source() {
    for (let i = 0; i < count; i++) yield i;
  }
  for await (const batch of recordBatches(source(), (n: number) => [n], counter, {
    ...options,
    onProgress: (rows) => progress.push(rows),
  })) {
    sizes.push(batch.length);
    for (const row of batch) seen.push(row[0] as number);
  }
  return { progress, sizes, seen, read: counter.read };
}

describe('recordBatches', () => {
  it('hands writers small batches but reports progress every batchSize records', async () => {
    const { progress, sizes, seen, read } = await collect(2600, { batchSize: 750 });
    expect(progress).toEqual([750, 1500, 2250, 2600]);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(500);
    expect(seen).toEqual(Array.from({ length: 2600 }, (_, i) => i));
    expect(read).toBe(2600);
  });

  it('never hands over more than batchSize rows when batchSize is small', async () => {
    const { progress, sizes } = await collect(10, { batchSize: 3 });
    expect(sizes).toEqual([3, 3, 3, 1]);
    expect(progress).toEqual([3, 6, 9, 10]);
  });

  it('uses 10,000-record progress steps by default', async () => {
    const { progress } = await collect(25_000, {});
    expect(progress).toEqual([10_000, 20_000, 25_000]);
  });

  it('refuses a bad batchSize and stops when aborted', async () => {
    await expect(collect(10, { batchSize: 0 })).rejects.toThrow(/batchSize must be a positive whole number/);
    const controller = new AbortController();
    controller.abort();
    await expect(collect(1000, { signal: controller.signal })).rejects.toBeInstanceOf(AbortedError);
  });
});
