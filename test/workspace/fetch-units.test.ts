/**
 * The pure parts of fetching: record transforms, option checks, chunk ranges and the bounded
 * read-ahead used while a chunk waits for the writer.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.js';
import { toEventRecord, toProfileRecord } from '../../src/workspace/fetch-event-transform.js';
import { fetchMode, resolveFetchEvents, temporaryTableName } from '../../src/workspace/fetch-options.js';
import { Prefetch } from '../../src/workspace/fetch-prefetch.js';
import { utcRange } from '../../src/workspace/fetch-table-writer.js';

describe('toEventRecord', () => {
  it('derives the columns and keeps every property as it arrived', () => {
    const properties = {
      time: 1717243512,
      distinct_id: 'u_8c1f',
      $insert_id: '5f0c9d7e-0a41',
      mp_processing_time_ms: 1717243514127,
      account_id: 3928097563762691601n,
      nested: { a: [1, { b: null }] },
    };
    expect(toEventRecord({ event: 'Purchase', properties })).toEqual({
      event_name: 'Purchase',
      event_time: new Date(1717243512_000),
      distinct_id: 'u_8c1f',
      insert_id: '5f0c9d7e-0a41',
      properties,
    });
    expect(toEventRecord({ event: 'Purchase', properties }).properties).toBe(properties);
  });

  it('reads time in ms when asked, and fractional seconds exactly', () => {
    expect(toEventRecord({ event: 'e', properties: { time: 1717243512345 } }, true).event_time).toEqual(
      new Date(1717243512345),
    );
    expect(toEventRecord({ event: 'e', properties: { time: 1717243512.5 } }).event_time).toEqual(
      new Date(1717243512500),
    );
  });

  it('stores an absent or null distinct_id as empty, a numeric one as text, and no insert id as null', () => {
    expect(toEventRecord({ event: 'e', properties: { time: 1 } })).toMatchObject({
      distinct_id: '',
      insert_id: null,
    });
    expect(
      toEventRecord({ event: 'e', properties: { time: 1, distinct_id: null, $insert_id: '' } }),
    ).toMatchObject({
      distinct_id: '',
      insert_id: null,
    });
    expect(
      toEventRecord({ event: 'e', properties: { time: 1, distinct_id: 9007199254740993n } }).distinct_id,
    ).toBe('9007199254740993');
  });

  it('turns a missing time into an invalid date the engine refuses', () => {
    const time = toEventRecord({ event: 'e', properties: {} }).event_time as Date;
    expect(Number.isNaN(time.getTime())).toBe(true);
  });
});

describe('toProfileRecord', () => {
  it('reads $last_seen without an offset as UTC and keeps the properties', () => {
    const properties = { $last_seen: '2024-06-01T17:45:02', plan: 'team', id: 3928097563762691601n };
    expect(toProfileRecord({ distinct_id: 'u1', properties })).toEqual({
      distinct_id: 'u1',
      properties,
      last_seen: new Date(Date.UTC(2024, 5, 1, 17, 45, 2)),
    });
  });

  it('keeps an explicit offset and ignores an unreadable last_seen', () => {
    expect(
      toProfileRecord({ distinct_id: 'u', properties: { $last_seen: '2024-06-01T12:00:00+02:00' } })
        .last_seen,
    ).toEqual(new Date(Date.UTC(2024, 5, 1, 10)));
    expect(
      toProfileRecord({ distinct_id: 'u', properties: { $last_seen: 'yesterday' } }).last_seen,
    ).toBeNull();
    expect(toProfileRecord({ distinct_id: 'u', properties: {} }).last_seen).toBeNull();
  });
});

describe('fetch options', () => {
  it('applies the defaults', () => {
    expect(resolveFetchEvents({ fromDate: '2024-06-01', toDate: '2024-06-02' })).toMatchObject({
      name: 'events',
      mode: 'create',
      workers: 1,
      chunkDays: 1,
      timeInMs: false,
    });
    expect(resolveFetchEvents({ fromDate: '2024-06-01', toDate: '2024-06-02', parallel: true }).workers).toBe(
      3,
    );
  });

  it('picks the mode and refuses append with replace', () => {
    expect(fetchMode({})).toBe('create');
    expect(fetchMode({ append: true })).toBe('append');
    expect(fetchMode({ replace: true })).toBe('replace');
    expect(() => fetchMode({ append: true, replace: true })).toThrow(InvalidArgumentError);
  });

  it('names temporary tables validly, within 63 characters, uniquely', () => {
    const long = `t${'x'.repeat(62)}`;
    for (const name of ['events', long]) {
      const tmp = temporaryTableName(name);
      expect(tmp).toMatch(/^[A-Za-z][A-Za-z0-9_]*$/);
      expect(tmp.length).toBeLessThanOrEqual(63);
      expect(tmp).toContain('__mp_tmp_');
    }
    expect(temporaryTableName('events')).not.toBe(temporaryTableName('events'));
  });

  it('turns a chunk into a half-open UTC interval', () => {
    expect(utcRange({ fromDate: '2024-06-30', toDate: '2024-07-02' })).toEqual({
      from: new Date('2024-06-30T00:00:00Z'),
      to: new Date('2024-07-03T00:00:00Z'),
    });
  });
});

describe('Prefetch', () => {
  async function* numbers(n: number, log: number[], failAt?: number): AsyncGenerator<number> {
    try {
      for (let i = 0; i < n; i++) {
        if (i === failAt) throw new Error(`boom at ${i}`);
        log.push(i);
        yield i;
      }
    } finally {
      log.push(-1);
    }
  }

  it('reads ahead up to its bound, then hands everything over in order', async () => {
    const log: number[] = [];
    const prefetch = new Prefetch(numbers(100, log), 10);
    prefetch.start();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(log.length).toBeLessThanOrEqual(11); // bounded: the pump waits for the consumer
    const out: number[] = [];
    for await (const n of prefetch) out.push(n);
    expect(out).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(log.at(-1)).toBe(-1);
  });

  it('reports a failure at once through `failure`, and to the reader after the items before it', async () => {
    const prefetch = new Prefetch(numbers(50, [], 7), 100);
    prefetch.start();
    await expect(prefetch.failure).rejects.toThrow('boom at 7');
    const out: number[] = [];
    await expect(
      (async () => {
        for await (const n of prefetch) out.push(n);
      })(),
    ).rejects.toThrow('boom at 7');
    expect(out).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('closes the source when closed early', async () => {
    const log: number[] = [];
    const prefetch = new Prefetch(numbers(1000, log), 5);
    prefetch.start();
    for await (const n of prefetch) if (n === 2) break;
    await prefetch.close();
    expect(log.at(-1)).toBe(-1);
    expect(log.length).toBeLessThan(20);
  });
});
