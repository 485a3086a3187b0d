import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ApiError, AuthenticationError, InvalidArgumentError } from '../../src/errors.js';
import { authorizationHeader } from '../../src/mixpanel/auth.js';
import { ManualClock } from '../../src/mixpanel/clock.js';
import { clampToToday, todayIn } from '../../src/mixpanel/dates.js';
import { buildUrl, normaliseBaseUrl, resolveBaseUrls } from '../../src/mixpanel/endpoints.js';
import { MixpanelClient } from '../../src/mixpanel/mixpanel-client.js';
import { errorForResponse, serverMessage } from '../../src/mixpanel/mixpanel-errors.js';
import { backoffDelay, parseRetryAfter, resolveRetryPolicy } from '../../src/mixpanel/retry-policy.js';
import { TEST_AUTH } from './support/local-server.js';

describe('endpoints', () => {
  it('picks the hosts of each region', () => {
    expect(resolveBaseUrls('us')).toMatchObject({
      export: 'https://data.mixpanel.com',
      query: 'https://mixpanel.com',
    });
    expect(resolveBaseUrls('eu')).toMatchObject({
      export: 'https://data-eu.mixpanel.com',
      engage: 'https://eu.mixpanel.com',
    });
    expect(resolveBaseUrls('in')).toMatchObject({
      export: 'https://data-in.mixpanel.com',
      query: 'https://in.mixpanel.com',
    });
  });

  it('lets one base URL override serve every family, keeping a path prefix', () => {
    const urls = resolveBaseUrls('eu', 'https://proxy.internal/mixpanel/');
    expect(urls).toEqual({
      export: 'https://proxy.internal/mixpanel',
      query: 'https://proxy.internal/mixpanel',
      engage: 'https://proxy.internal/mixpanel',
      overridden: true,
    });
    expect(buildUrl(urls.export, '/api/2.0/export', { from_date: '2024-06-01', x: undefined }).href).toBe(
      'https://proxy.internal/mixpanel/api/2.0/export?from_date=2024-06-01',
    );
    expect(normaliseBaseUrl('http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080');
    expect(normaliseBaseUrl('http://[::1]:9/')).toBe('http://[::1]:9');
    expect(normaliseBaseUrl('http://localhost:9/p//')).toBe('http://localhost:9/p');
  });

  it('refuses http on non-loopback hosts, credentials and query strings', () => {
    expect(() => normaliseBaseUrl('http://proxy.internal')).toThrow(InvalidArgumentError);
    expect(() => normaliseBaseUrl('https://u:p@proxy.internal')).toThrow(/credentials/);
    expect(() => normaliseBaseUrl('https://proxy.internal/?a=1')).toThrow(/query/);
    expect(() => normaliseBaseUrl('ftp://proxy.internal')).toThrow(/https/);
    expect(() => normaliseBaseUrl('not a url')).toThrow(InvalidArgumentError);
  });
});

describe('auth', () => {
  it('sends Basic base64 of user:secret, or secret: for a project secret', () => {
    expect(authorizationHeader({ kind: 'serviceAccount', username: 'u', secret: 's', projectId: 1 })).toBe(
      `Basic ${Buffer.from('u:s').toString('base64')}`,
    );
    expect(authorizationHeader({ kind: 'projectSecret', secret: 'abc' })).toBe(
      `Basic ${Buffer.from('abc:').toString('base64')}`,
    );
  });

  it('never shows the secret in toJSON, util.inspect or validation errors', () => {
    const client = new MixpanelClient({ auth: { ...TEST_AUTH }, region: 'eu', workspaceId: 42 });
    const shown = [JSON.stringify(client), inspect(client, { depth: 10, showHidden: true }), String(client)];
    for (const text of shown) expect(text).not.toContain(TEST_AUTH.secret);
    expect(client.toJSON()).toEqual({
      region: 'eu',
      baseUrls: resolveBaseUrls('eu'),
      auth: { kind: 'serviceAccount', username: 'sa.test', projectId: '1234567' },
      workspaceId: '42',
    });
    const bad = (() => {
      try {
        new MixpanelClient({
          auth: { kind: 'serviceAccount', username: 'u', secret: 'zzz-secret', projectId: 'abc' },
        });
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(bad).toBeInstanceOf(InvalidArgumentError);
    expect(JSON.stringify(bad)).not.toContain('zzz-secret');
    expect(bad?.message).not.toContain('zzz-secret');
  });

  it('warns once per process about project secrets', () => {
    const warnings: string[] = [];
    for (let i = 0; i < 2; i++) {
      new MixpanelClient({
        auth: { kind: 'projectSecret', secret: 'abc' },
        onWarning: (w) => warnings.push(w.code),
      });
    }
    expect(warnings.filter((w) => w === 'PROJECT_SECRET_DEPRECATED').length).toBeLessThanOrEqual(1);
  });
});

describe('retry policy', () => {
  it('uses full jitter within the exponential ceiling', () => {
    const policy = resolveRetryPolicy({ random: () => 0.999999 });
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((a) => backoffDelay(policy, a))).toEqual([
      999, 1999, 3999, 7999, 15999, 31999, 59999, 59999,
    ]);
    expect(backoffDelay(resolveRetryPolicy({ random: () => 0 }), 3)).toBe(0);
    expect(() => resolveRetryPolicy({ maxAttempts: 0 })).toThrow(InvalidArgumentError);
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    const now = Date.UTC(2024, 6, 1, 12);
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter(' 1.5 ', now)).toBe(1500);
    expect(parseRetryAfter(new Date(now + 90_000).toUTCString(), now)).toBe(90_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe('error mapping', () => {
  const base = { endpoint: '/api/2.0/export', operation: 'export 2024-06-01..2024-06-01' };

  it('maps 401 and 400 "Unable to authenticate request" to AuthenticationError', () => {
    expect(
      errorForResponse({ ...base, status: 401, body: '{"error":"Invalid credentials"}' }),
    ).toBeInstanceOf(AuthenticationError);
    const e = errorForResponse({
      ...base,
      status: 400,
      body: '{"request":"/x","error":"Unable to authenticate request"}',
    });
    expect(e).toBeInstanceOf(AuthenticationError);
    expect(e.details).toMatchObject({ status: 400, endpoint: '/api/2.0/export' });
  });

  it('maps 402/403/400 to non-retryable ApiError and 5xx to retryable, quoting the server', () => {
    for (const status of [400, 402, 403, 404]) {
      const e = errorForResponse({
        ...base,
        status,
        body: '{"request":"/api/2.0/export?project_id=1","error":"nope"}',
      });
      expect(e).toBeInstanceOf(ApiError);
      expect((e as ApiError).retryable).toBe(false);
      expect(e.message).toContain(': nope.');
      expect(e.message).not.toContain('project_id=1');
    }
    const e500 = errorForResponse({
      ...base,
      status: 502,
      body: '<html><body><h1>502 Bad Gateway</h1></body></html>',
      requestId: 'r-1',
    });
    expect(e500).toBeInstanceOf(ApiError);
    expect((e500 as ApiError).retryable).toBe(true);
    expect((e500 as ApiError).requestId).toBe('r-1');
    expect(e500.message).toContain('502 Bad Gateway');
  });

  it('keeps the first 500 characters of a plain-text body', () => {
    const msg = serverMessage('x'.repeat(800));
    expect(msg).toBe(`${'x'.repeat(500)}…`);
    expect(serverMessage('{"error":"to_date cannot be later than today"}')).toBe(
      'to_date cannot be later than today',
    );
    expect(serverMessage('plain text failure')).toBe('plain text failure');
  });
});

describe('dates', () => {
  it('finds today in UTC or a project zone and clamps to_date', () => {
    const late = Date.UTC(2024, 5, 30, 23, 30);
    expect(todayIn(late)).toBe('2024-06-30');
    expect(todayIn(late, 'Europe/Paris')).toBe('2024-07-01');
    expect(todayIn(late, 'America/Los_Angeles')).toBe('2024-06-30');
    expect(clampToToday('2024-06-01', '2024-07-05', '2024-06-30')).toEqual({
      fromDate: '2024-06-01',
      toDate: '2024-06-30',
      clampedFrom: '2024-07-05',
    });
    expect(() => clampToToday('2024-07-01', '2024-07-05', '2024-06-30')).toThrow(/after today/);
    expect(() => clampToToday('2024-06-31', '2024-07-05', '2024-06-30')).toThrow(/yyyy-mm-dd/);
    expect(() => clampToToday('2024-06-05', '2024-06-01', '2024-06-30')).toThrow(/after toDate/);
    expect(() => clampToToday('1999-12-31', '2024-06-01', '2024-06-30')).toThrow(InvalidArgumentError);
  });

  it('uses the injected clock for today', () => {
    const clock = new ManualClock({ now: Date.UTC(2024, 0, 2) });
    expect(todayIn(clock.now())).toBe('2024-01-02');
  });
});
