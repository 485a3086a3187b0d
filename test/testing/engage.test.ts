import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeMixpanel, startFakeMixpanel } from '../../src/testing/index.js';
import { type EngagePage, engage } from './helpers.js';

/** Pages through an Engage query the way the client must: same filters, the session of page 0. */
async function allPages(fake: FakeMixpanel, fields: Record<string, string>): Promise<EngagePage[]> {
  const pages: EngagePage[] = [];
  const first = await engage(fake, fields);
  expect(first.status).toBe(200);
  pages.push(first.body);
  let page = first.body;
  while (page.results.length === page.page_size) {
    const next = await engage(fake, {
      ...fields,
      session_id: first.body.session_id,
      page: String(page.page + 1),
    });
    expect(next.status).toBe(200);
    page = next.body;
    pages.push(page);
  }
  return pages;
}

describe('engage paging', () => {
  let fake: FakeMixpanel;
  beforeAll(async () => {
    fake = await startFakeMixpanel({ days: 3, engagePageSize: 40, clock: 'frozen', rateLimits: 'off' });
  });
  afterAll(() => fake.close());

  it('lists exactly the matching profiles across pages, total only on page 0', async () => {
    const pages = await allPages(fake, {});
    const ids = pages.flatMap((p) => p.results.map((r) => r.$distinct_id));
    expect(pages[0]?.total).toBe(fake.expected.profileCount());
    expect(pages[0]?.total).toBe(ids.length);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(fake.expected.profiles().map((p) => p.$distinct_id));
    expect(pages.slice(1).every((p) => p.total === undefined)).toBe(true);
    expect(pages.every((p) => p.status === 'ok' && p.page_size === 40)).toBe(true);
    expect(ids.length).toBeLessThan(fake.expected.users().length);
  });

  it('keeps 64-bit ids as bare digits in profiles', async () => {
    const page = (await engage(fake, { page_size: '3' })).body;
    const id = page.results[0]?.$properties.account_id;
    expect(typeof id).toBe('bigint');
    expect(id).toBe(fake.expected.profile(page.results[0]?.$distinct_id as string)?.$properties.account_id);
  });

  it('gives a deterministic session id tied to the filters', async () => {
    const a = (await engage(fake, { where: 'properties["plan"] == "team"' })).body;
    const b = (await engage(fake, { where: 'properties["plan"] == "team"' })).body;
    const c = (await engage(fake, { where: 'properties["plan"] == "free"' })).body;
    expect(a.session_id).toBe(b.session_id);
    expect(a.session_id).not.toBe(c.session_id);
    expect(a.session_id).toMatch(/^\d+-[0-9a-f]{6}$/);
    const mismatch = await engage(fake, {
      where: 'properties["plan"] == "free"',
      session_id: a.session_id,
      page: '1',
    });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.error).toContain('session');
  });

  it('requires a session_id beyond page 0 and rejects unknown ones', async () => {
    const missing = await engage(fake, { page: '1' });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toContain('session_id');
    const unknown = await engage(fake, { page: '1', session_id: '1-abcdef' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toContain('session');
  });

  it('expires sessions after sessionTtlMs of fake time', async () => {
    await using short = await startFakeMixpanel({
      days: 1,
      engagePageSize: 10,
      sessionTtlMs: 60_000,
      clock: 'frozen',
    });
    const first = (await engage(short, {})).body;
    expect((await engage(short, { session_id: first.session_id, page: '1' })).status).toBe(200);
    short.advance(60_001);
    const expired = await engage(short, { session_id: first.session_id, page: '2' });
    expect(expired.status).toBe(400);
    expect(expired.body.error).toMatch(/expired/);
  });

  it('accepts form, JSON and query-string encodings and logs which one came', async () => {
    const fields = { where: 'properties["beta"] == true', page_size: '5' };
    const results = [];
    for (const encoding of ['form', 'json', 'query'] as const) {
      const res = await engage(fake, fields, { encoding });
      expect(res.status).toBe(200);
      results.push(res.body.results.map((r) => r.$distinct_id));
      expect(fake.requests.at(-1)?.bodyEncoding).toBe(encoding === 'query' ? 'none' : encoding);
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
    const legacy = await engage(fake, fields, { path: '/api/2.0/engage' });
    expect(legacy.body.results.map((r) => r.$distinct_id)).toEqual(results[0]);
  });
});

describe('engage filters', () => {
  let fake: FakeMixpanel;
  beforeAll(async () => {
    fake = await startFakeMixpanel({ days: 3, engagePageSize: 25, clock: 'frozen', rateLimits: 'off' });
  });
  afterAll(() => fake.close());

  it('filters with where over profile properties, ISO dates comparing as text', async () => {
    const where = 'properties["$last_seen"] >= "2024-06-02T00:00:00" and properties["plan"] != "free"';
    const pages = await allPages(fake, { where });
    const profiles = pages.flatMap((p) => p.results);
    expect(pages[0]?.total).toBe(fake.expected.profileCount({ where }));
    expect(profiles.length).toBeGreaterThan(0);
    for (const p of profiles) {
      expect((p.$properties.$last_seen as string) >= '2024-06-02T00:00:00').toBe(true);
      expect(p.$properties.plan).not.toBe('free');
    }
  });

  it('returns only output_properties', async () => {
    const page = (await engage(fake, { output_properties: '["$email","plan"]' })).body;
    expect(page.results.every((r) => Object.keys(r.$properties).sort().join() === '$email,plan')).toBe(true);
  });

  it('looks up one or several distinct ids', async () => {
    const users = fake.expected.profiles().map((p) => p.$distinct_id);
    const one = (await engage(fake, { distinct_id: users[3] as string })).body;
    expect(one.results.map((r) => r.$distinct_id)).toEqual([users[3]]);
    const several = (await engage(fake, { distinct_ids: JSON.stringify([users[5], users[1], 'nobody']) }))
      .body;
    expect(several.total).toBe(2);
    expect(new Set(several.results.map((r) => r.$distinct_id))).toEqual(new Set([users[1], users[5]]));
    expect((await engage(fake, { distinct_ids: 'u1,u2' })).status).toBe(400);
  });

  it('filters by cohort, with and without members lacking a profile', async () => {
    for (const cohort of fake.expected.cohorts()) {
      const filter = JSON.stringify({ id: cohort.id });
      const all = (await allPages(fake, { filter_by_cohort: filter })).flatMap((p) => p.results);
      expect(all.map((r) => r.$distinct_id)).toEqual(cohort.members);
      const orphans = all.filter((r) => Object.keys(r.$properties).length === 0);
      expect(orphans.length).toBeGreaterThan(0);
      expect(orphans.every((r) => fake.expected.profile(r.$distinct_id) === undefined)).toBe(true);
      const withProfile = (
        await allPages(fake, { filter_by_cohort: filter, include_all_users: 'false' })
      ).flatMap((p) => p.results);
      expect(withProfile.length).toBe(cohort.members.length - orphans.length);
      expect(withProfile.length).toBe(
        fake.expected.profileCount({ cohortId: cohort.id, includeAllUsers: false }),
      );
    }
    const unknown = await engage(fake, { filter_by_cohort: '{"id": 1}' });
    expect(unknown.status).toBe(400);
    const both = await engage(fake, { filter_by_cohort: '{"id": 1}', behaviors: '[]' });
    expect(both.status).toBe(400);
    expect(both.body.error).toContain('behaviors');
  });

  it('serves group profiles for the data_group_id, ids kept as text', async () => {
    const pages = await allPages(fake, { data_group_id: fake.expected.dataGroupId });
    const groups = pages.flatMap((p) => p.results);
    expect(groups.length).toBe(fake.expected.profileCount({ dataGroupId: fake.expected.dataGroupId }));
    expect(groups.length).toBeGreaterThan(2);
    for (const group of groups) {
      expect(group.$distinct_id).toMatch(/^\d{19}$/);
      expect(group.$properties.account_id).toBe(BigInt(group.$distinct_id));
    }
    const other = (await engage(fake, { data_group_id: '42' })).body;
    expect(other.total).toBe(0);
  });
});
