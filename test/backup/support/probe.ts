import type { StorageEngine } from '../../../src/index.js';
import {
  awkwardEvents,
  awkwardProfiles,
  createMiscTable,
  EVENTS_META,
  PROFILES_META,
} from '../../io/support/awkward-data.js';

/** Events (306 rows), profiles (54) and the hand-made `misc` table (4), all full of awkward values. */
export async function seed(s: StorageEngine): Promise<void> {
  await s.createEventsTable('events', awkwardEvents(300), EVENTS_META);
  await s.createProfilesTable('profiles', awkwardProfiles(), PROFILES_META);
  await createMiscTable(s);
}

/** Queries whose answers must be identical after a restore (every column type, JSON, metadata). */
function probeQueries(s: StorageEngine): string[] {
  const q = (n: string) => s.dialect.quoteIdentifier(n);
  return [
    'SELECT * FROM events ORDER BY insert_id',
    'SELECT * FROM profiles ORDER BY distinct_id',
    `SELECT * FROM misc ORDER BY ${q('id')}, ${q('amount')}`,
    "SELECT event_name, count(*) AS n, min(event_time) AS first, max(properties->>'page') AS page FROM events GROUP BY 1 ORDER BY 1",
    "SELECT properties->>'big' AS big FROM events WHERE insert_id = 'a1'",
    'SELECT * FROM _metadata ORDER BY table_name',
  ];
}

/** The answers (columns and rows) of every probe query. */
export async function answers(s: StorageEngine): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const sql of probeQueries(s)) out.push(await s.executeRows(sql));
  return out;
}
