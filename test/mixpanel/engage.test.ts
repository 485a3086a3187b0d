import { stringify } from 'lossless-json';
import { afterEach, describe, expect, it } from 'vitest';
import { AbortedError, ApiError, InvalidArgumentError } from '../../src/errors.js';
import type { Profile } from '../../src/mixpanel/query-types.js';
import {
  collect,
  failure,
  type LocalServer,
  type SeenRequest,
  startServer,
  testClient,
} from './support/local-server.js';

interface EngageOptions {
  profiles: number;
  pageSize: number;
  /** Delay of page p in ms (to make later pages answer first). */
  delay?: (page: number) => number;
  /** Fail this request index with a session error. */
  expireAt?: number;
  /** Omit `total` from page 0. */
  noTotal?: boolean;
}

function makeProfiles(n: number): { $distinct_id: string | number; $properties: Record<string, unknown> }[] {
  return Array.from({ length: n }, (_, i) => ({
    $distinct_id: i === 3 ? 987654321 : `u_${i}`,
    $properties: {
      $email: `u${i}@example.com`,
      account_id: 3928097563762691601n + BigInt(i),
      plan: i % 2 ? 'team' : 'free',
    },
  }));
}

let server: LocalServer | undefined;
let sessions = 0;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function engageServer(options: EngageOptions): Promise<LocalServer> {
  const all = makeProfiles(options.profiles);
  server = await startServer(async (req: SeenRequest, res, n) => {
    const page = Number(req.form.page ?? '0');
    if (options.expireAt === n) {
      res.writeHead(400, { 'Content-Type': 'application/json' });
      res.end('{"request":"/api/query/engage","error":"session_id is invalid or has expired"}');
      return;
    }
    if (page > 0 && !req.form.session_id) {
      res.writeHead(400);
      res.end('{"error":"session_id required for page > 0"}');
      return;
    }
    await new Promise((r) => setTimeout(r, options.delay?.(page) ?? 0));
    const session = req.form.session_id ?? `sess-${++sessions}`;
    const results = all.slice(page * options.pageSize, (page + 1) * options.pageSize);
    const payload: Record<string, unknown> = {
      page,
      page_size: options.pageSize,
      session_id: session,
      status: 'ok',
      results,
    };
    if (page === 0 && !options.noTotal) payload.total = all.length;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(stringify(payload));
  });
  return server;
}

const ids = (profiles: Profile[]) => profiles.map((p) => p.distinct_id);
const expectedIds = (n: number) => Array.from({ length: n }, (_, i) => (i === 3 ? '987654321' : `u_${i}`));

describe('queryProfiles', () => {
  it('reads every page in order, fetching later pages in parallel', async () => {
    // Later pages answer faster, so they arrive out of order.
    const s = await engageServer({ profiles: 23, pageSize: 5, delay: (p) => (p === 0 ? 0 : 60 - p * 10) });
    const { client } = testClient(s.url);
    const profiles = await collect(client.queryProfiles({ where: 'properties["plan"] == "team"' }));
    expect(ids(profiles)).toEqual(expectedIds(23));
    expect(profiles[0]!.properties.account_id).toBe(3928097563762691601n);
    const pages = s.requests.map((r) => r.form.page);
    expect(pages[0]).toBe('0');
    expect([...pages].sort()).toEqual(['0', '1', '2', '3', '4']);
    // Same filters on every page; session id on every page after the first; project_id in the URL.
    for (const r of s.requests) {
      expect(r.method).toBe('POST');
      expect(r.path).toBe('/api/query/engage');
      expect(r.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(r.query.project_id).toBe('1234567');
      expect(r.form.where).toBe('properties["plan"] == "team"');
      expect(r.form.session_id === undefined).toBe(r.form.page === '0');
    }
  });

  it('spends one query request for the whole session', async () => {
    const s = await engageServer({ profiles: 12, pageSize: 5 });
    const { client } = testClient(s.url);
    await collect(client.queryProfiles());
    expect(s.requests).toHaveLength(3);
    expect(client.rateLimiter('query')!.snapshot()).toMatchObject({ startedInWindow: 1, inFlight: 0 });
  });

  it('keeps at most maxParallelPages pages in flight', async () => {
    let active = 0;
    let peak = 0;
    let waiting: (() => void)[] = [];
    const all = makeProfiles(40);
    server = await startServer(async (req, res) => {
      const page = Number(req.form.page);
      active++;
      peak = Math.max(peak, active);
      // Hold each later page until three are in flight (or 300 ms pass), so overlap is certain.
      if (page > 0 && active < 3) {
        await new Promise<void>((r) => {
          waiting.push(r);
          setTimeout(r, 300);
        });
      } else {
        for (const r of waiting) r();
        waiting = [];
      }
      await new Promise((r) => setTimeout(r, 5));
      active--;
      res.writeHead(200);
      res.end(
        stringify({
          page,
          page_size: 4,
          session_id: 's',
          total: page === 0 ? 40 : undefined,
          results: all.slice(page * 4, page * 4 + 4),
        }),
      );
    });
    const { client } = testClient(server.url);
    const profiles = await collect(client.queryProfiles({ maxParallelPages: 3 }));
    expect(profiles).toHaveLength(40);
    expect(peak).toBe(3);
  });

  it('reads pages one by one when parallel is off, and when total is missing', async () => {
    for (const options of [{ parallel: false }, {}]) {
      const s = await engageServer({
        profiles: 10,
        pageSize: 5,
        noTotal: !('parallel' in options),
      });
      const { client } = testClient(s.url);
      expect(ids(await collect(client.queryProfiles(options)))).toEqual(expectedIds(10));
      // 10 = two full pages, so the empty page 2 tells us to stop.
      expect(s.requests.map((r) => r.form.page)).toEqual(['0', '1', '2']);
      await s.close();
      server = undefined;
    }
  });

  it('stops after a short page even if total promised more', async () => {
    const all = makeProfiles(7);
    server = await startServer((req, res) => {
      const page = Number(req.form.page);
      res.writeHead(200);
      res.end(
        stringify({
          page,
          page_size: 5,
          session_id: 's1',
          ...(page === 0 ? { total: 50 } : {}),
          results: all.slice(page * 5, page * 5 + 5),
        }),
      );
    });
    const { client } = testClient(server.url);
    expect(await collect(client.queryProfiles({ maxParallelPages: 1 }))).toHaveLength(7);
    expect(server.requests.map((r) => r.form.page)).toEqual(['0', '1']);
  });

  it('restarts from page 0 once when the session expires, without repeating profiles', async () => {
    const s = await engageServer({ profiles: 14, pageSize: 5, expireAt: 2 });
    const { client } = testClient(s.url);
    const profiles = await collect(client.queryProfiles({ parallel: false }));
    expect(ids(profiles)).toEqual(expectedIds(14));
    expect(s.requests.map((r) => r.form.page)).toEqual(['0', '1', '2', '0', '1', '2']);
  });

  it('gives up when the session expires twice', async () => {
    server = await startServer((req, res) => {
      const page = Number(req.form.page);
      if (page > 0) {
        res.writeHead(400);
        res.end('{"error":"unknown session_id"}');
        return;
      }
      res.writeHead(200);
      res.end(stringify({ page: 0, page_size: 2, session_id: 's', total: 4, results: makeProfiles(2) }));
    });
    const { client } = testClient(server.url);
    const error = (await failure(collect(client.queryProfiles()))) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(400);
    expect(error.message).toContain('unknown session_id');
    expect(server.requests.map((r) => r.form.page)).toEqual(['0', '1', '0', '1']);
  });

  it('sends every filter as form fields and never an empty distinct_ids', async () => {
    const s = await engageServer({ profiles: 2, pageSize: 5 });
    const { client } = testClient(s.url);
    await collect(
      client.queryProfiles({
        outputProperties: ['$email', 'plan'],
        distinctIds: ['u1', 'u2', 'u1'],
        cohortId: 12345,
        includeAllUsers: false,
        groupId: '3928097563762691601',
        asOfTimestamp: 1717200000,
      }),
    );
    expect(s.requests[0]!.form).toEqual({
      output_properties: '["$email","plan"]',
      distinct_ids: '["u1","u2"]',
      filter_by_cohort: '{"id":12345}',
      include_all_users: 'false',
      data_group_id: '3928097563762691601',
      as_of_timestamp: '1717200000',
      page: '0',
    });
    expect(await collect(client.queryProfiles({ distinctIds: [] }))).toEqual([]);
    expect(s.requests).toHaveLength(1);
  });

  it('refuses contradictory filters', async () => {
    const { client } = testClient('http://127.0.0.1:9');
    await expect(collect(client.queryProfiles({ cohortId: 1, behaviors: 'x' }))).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(collect(client.queryProfiles({ includeAllUsers: true }))).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(
      collect(client.queryProfiles({ distinctId: 'a', distinctIds: ['b'] })),
    ).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('counts profiles from total', async () => {
    const s = await engageServer({ profiles: 23, pageSize: 5 });
    const { client } = testClient(s.url);
    expect(await client.countProfiles()).toBe(23);
    expect(s.requests).toHaveLength(1);
  });

  it('cancels in-flight pages when the consumer stops or aborts', async () => {
    const s = await engageServer({ profiles: 50, pageSize: 5, delay: (p) => (p === 0 ? 0 : 30) });
    const { client } = testClient(s.url);
    const first: Profile[] = [];
    for await (const p of client.queryProfiles()) {
      first.push(p);
      if (first.length === 7) break;
    }
    expect(ids(first)).toEqual(expectedIds(7));
    const controller = new AbortController();
    const error = await failure(
      (async () => {
        for await (const _ of client.queryProfiles({ signal: controller.signal })) controller.abort();
      })(),
    );
    expect(error).toBeInstanceOf(AbortedError);
  });
});
