// The seed quickstart (003) on the embedded default: stream 100,000 Mixpanel-shaped events into an
// ephemeral DuckDB database, then query them. Run with `npm run demo`.
import { StorageEngine } from '../dist/index.js';

async function* pageViews(n) {
  for (let i = 0; i < n; i++) {
    yield {
      event_name: i % 10 === 0 ? 'Purchase' : 'Page View',
      event_time: Date.UTC(2024, 0, 1) + i * 25_000,
      distinct_id: `user_${i % 2_000}`,
      insert_id: `evt_${i}`,
      properties: { page: `/page${i % 10}`, amount: (i % 50) + 0.99, account_id: 3928097563762691601n },
    };
  }
}

// TypeScript users write `await using storage = ...`; plain Node 20 JavaScript uses try/finally.
const storage = await StorageEngine.ephemeral();
try {
  const started = performance.now();
  const rows = await storage.createEventsTable('events', pageViews(100_000), {
    type: 'events',
    fromDate: '2024-01-01',
    toDate: '2024-01-29',
  });
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `Stored ${rows.toLocaleString()} events in ${seconds.toFixed(2)} s (${storage.backend}, ${storage.path})`,
  );

  console.table(
    await storage.executeObjects(`
    SELECT properties->>'page' AS page, count(*) AS views, count(DISTINCT distinct_id) AS users
    FROM events WHERE event_name = 'Page View' GROUP BY 1 ORDER BY views DESC LIMIT 5`),
  );
  console.table(
    await storage.executeObjects(`
    SELECT date_trunc('day', event_time)::DATE::VARCHAR AS day, count(*) AS purchases,
           round(sum(CAST(properties->>'amount' AS DOUBLE)), 2) AS revenue
    FROM events WHERE event_name = 'Purchase' GROUP BY 1 ORDER BY 1 LIMIT 5`),
  );
  for (const table of await storage.listTables()) {
    console.log(
      `${table.name}: ${table.type}, ${table.rowCount.toLocaleString()} rows, ${table.fromDate} → ${table.toDate}`,
    );
  }
  console.log('The ephemeral database is removed on exit.');
} finally {
  await storage.close();
}
