import type { EventRecord } from '../../src/index.js';

/** Deterministic Mixpanel-shaped events: `n` of them, one second apart from 2024-06-01. */
export function* events(n: number, start = 0): Generator<EventRecord> {
  for (let i = start; i < start + n; i++) {
    yield {
      event_name: ['Page View', 'Purchase', 'Sign Up'][i % 3]!,
      event_time: Date.UTC(2024, 5, 1) + i * 1000,
      distinct_id: `user_${i % 50}`,
      insert_id: `ins-${i}`,
      properties: { page: `/page${i % 10}`, amount: i % 7, mp_processing_time_ms: Date.UTC(2024, 5, 2) + i },
    };
  }
}

/** An async source that yields `good` events then throws, like a network failure mid-fetch. */
export async function* failingAfter(good: number): AsyncGenerator<EventRecord> {
  yield* events(good);
  throw new Error('source failed mid-stream');
}
