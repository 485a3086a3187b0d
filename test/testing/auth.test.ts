import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeMixpanel, startFakeMixpanel } from '../../src/testing/index.js';
import { apiUrl, rawRequest } from './helpers.js';

describe('authentication', () => {
  let fake: FakeMixpanel;
  beforeAll(async () => {
    fake = await startFakeMixpanel({ days: 2, clock: 'frozen', rateLimits: 'off' });
  });
  afterAll(() => fake.close());

  const b64 = (text: string) => `Basic ${Buffer.from(text).toString('base64')}`;
  const names = (authorization: string | undefined, projectId: string | null = fake.projectId) => {
    const url = new URL('/api/query/events/names?type=general', fake.url);
    if (projectId !== null) url.searchParams.set('project_id', projectId);
    return rawRequest(url.toString(), { headers: authorization === undefined ? {} : { authorization } });
  };

  it('accepts the service account in base64 or as plain text', async () => {
    const { username, secret } = fake.serviceAccount;
    for (const authorization of [b64(`${username}:${secret}`), `Basic ${username}:${secret}`]) {
      const res = await names(authorization);
      expect(res.status).toBe(200);
      expect(Array.isArray(JSON.parse(res.text))).toBe(true);
      expect(fake.requests.at(-1)?.principal).toEqual({ kind: 'serviceAccount', user: username });
    }
  });

  it('accepts the project secret with an empty password and no project_id', async () => {
    for (const authorization of [b64(`${fake.projectSecret}:`), `Basic ${fake.projectSecret}:`]) {
      const res = await names(authorization, null);
      expect(res.status).toBe(200);
      expect(fake.requests.at(-1)?.principal).toEqual({ kind: 'projectSecret' });
    }
    const exported = await rawRequest(
      new URL('/api/2.0/export?from_date=2024-06-01&to_date=2024-06-01&limit=3', fake.url).toString(),
      { headers: { authorization: b64(`${fake.projectSecret}:`) } },
    );
    expect(exported.status).toBe(200);
    expect(exported.text.split('\n').filter(Boolean)).toHaveLength(3);
  });

  it('refuses a service account without project_id, naming the parameter', async () => {
    const { username, secret } = fake.serviceAccount;
    const res = await names(b64(`${username}:${secret}`), null);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text).error).toContain('project_id');
  });

  it("refuses a service account asking for another project's id with 403", async () => {
    const { username, secret } = fake.serviceAccount;
    const res = await names(b64(`${username}:${secret}`), '999');
    expect(res.status).toBe(403);
    expect(JSON.parse(res.text).error).toContain('999');
  });

  it('answers bad or missing credentials with 401 and a JSON error, never logging the secret', async () => {
    const { username, secret } = fake.serviceAccount;
    const wrong = await names(b64(`${username}:not-the-secret`));
    expect(wrong.status).toBe(401);
    expect(wrong.headers['content-type']).toBe('application/json');
    expect(typeof JSON.parse(wrong.text).error).toBe('string');
    expect(fake.requests.at(-1)?.principal).toEqual({ kind: 'invalid', user: username });

    const stranger = await names(b64('someone-else:whatever'));
    expect(stranger.status).toBe(401);
    expect(fake.requests.at(-1)?.principal).toEqual({ kind: 'invalid' });

    const missing = await names(undefined);
    expect(missing.status).toBe(401);
    expect(fake.requests.at(-1)?.principal).toEqual({ kind: 'none' });

    await rawRequest(apiUrl(fake, '/api/query/events/names', { type: 'general', api_secret: secret }), {
      headers: { authorization: b64(`${username}:${secret}`) },
    });
    const log = JSON.stringify(fake.requests);
    expect(log).not.toContain(secret);
    expect(log).not.toContain(fake.projectSecret);
    expect(fake.requests.at(-1)?.query.api_secret).toBe('[redacted]');
  });

  it('wants Engage project_id in the URL, not the body', async () => {
    const { username, secret } = fake.serviceAccount;
    const res = await rawRequest(new URL('/api/query/engage', fake.url).toString(), {
      method: 'POST',
      headers: {
        authorization: b64(`${username}:${secret}`),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: `project_id=${fake.projectId}`,
    });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text).error).toContain('project_id');
  });
});
