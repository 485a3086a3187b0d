// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about literal ${VAR} references.
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Credentials, resolveCredentials } from '../../../src/config/accounts.js';
import { normalizeBaseUrl } from '../../../src/config/base-url.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { AccountNotFoundError, ConfigError } from '../../../src/errors.js';
import { tempHome, thrown } from './helpers.js';

const SA_ENV = {
  MP_USERNAME: 'svc.reader.abc123.mp-service-account',
  MP_SECRET: 'EnvSecretValue-123',
  MP_PROJECT_ID: '3141592',
  MP_REGION: 'eu',
};

const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;

const TWO_ACCOUNTS = `
default_account = "prod"

[accounts.prod]
username = "svc.prod"
secret = "ProdSecret-AAA"
project_id = "1001"
region = "us"

[accounts.staging]
username = "svc.staging"
secret = "StagingSecret-BBB"
project_id = 2002
region = "EU"
workspace_id = 7
api_base_url = "https://proxy.internal/mixpanel/"
`;

describe('resolveCredentials: environment', () => {
  it('uses MP_USERNAME/MP_SECRET/MP_PROJECT_ID/MP_REGION when all four are set', () => {
    const t = tempHome();
    t.write(TWO_ACCOUNTS);
    const creds = resolveCredentials({ homeDir: t.home, env: { ...SA_ENV, MP_ACCOUNT: 'staging' } });
    expect(creds).toBeInstanceOf(Credentials);
    expect(creds).toMatchObject({
      kind: 'serviceAccount',
      username: SA_ENV.MP_USERNAME,
      projectId: '3141592',
      region: 'eu',
      baseUrl: undefined,
      accountName: undefined,
      source: 'env',
      deprecationWarning: undefined,
    });
    expect(creds.secret).toBe('EnvSecretValue-123');
    expect(creds.authorizationHeader()).toBe(basic(`${SA_ENV.MP_USERNAME}:EnvSecretValue-123`));
  });

  it('does not read the config file for env credentials', () => {
    const t = tempHome();
    t.write('this is = not [valid toml');
    expect(resolveCredentials({ homeDir: t.home, env: SA_ENV }).source).toBe('env');
  });

  it('a partial set is an error listing the missing variables', () => {
    const t = tempHome();
    t.write(TWO_ACCOUNTS);
    const err = thrown(() =>
      resolveCredentials({ homeDir: t.home, env: { MP_USERNAME: 'u', MP_SECRET: 'PartialSecret-9' } }),
    ) as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain('MP_PROJECT_ID, MP_REGION are missing');
    expect(err.details).toMatchObject({
      missing: ['MP_PROJECT_ID', 'MP_REGION'],
      present: ['MP_USERNAME', 'MP_SECRET'],
    });
    expect(err.message).not.toContain('PartialSecret-9');
  });

  it('treats empty variables as unset when checking the set', () => {
    const t = tempHome();
    const err = thrown(() =>
      resolveCredentials({ homeDir: t.home, env: { ...SA_ENV, MP_REGION: '' } }),
    ) as ConfigError;
    expect(err.details.missing).toEqual(['MP_REGION']);
  });

  it('validates MP_REGION and MP_PROJECT_ID', () => {
    const t = tempHome();
    expect(() => resolveCredentials({ homeDir: t.home, env: { ...SA_ENV, MP_REGION: 'asia' } })).toThrow(
      /MP_REGION: expected one of us, eu, in/,
    );
    expect(() => resolveCredentials({ homeDir: t.home, env: { ...SA_ENV, MP_PROJECT_ID: 'abc' } })).toThrow(
      /MP_PROJECT_ID/,
    );
  });

  it('accepts the legacy MP_API_SECRET with a deprecation warning and a secret: header', () => {
    const t = tempHome();
    const creds = resolveCredentials({ homeDir: t.home, env: { MP_API_SECRET: 'LegacySecret-42' } });
    expect(creds.kind).toBe('projectSecret');
    expect(creds.projectId).toBeUndefined();
    expect(creds.region).toBe('us');
    expect(creds.username).toBeUndefined();
    expect(creds.authorizationHeader()).toBe(basic('LegacySecret-42:'));
    expect(creds.deprecationWarning).toMatch(/deprecated/);
    expect(creds.deprecationWarning).toContain('3 March 2027');
    expect(creds.deprecationWarning).not.toContain('LegacySecret-42');

    const withProject = resolveCredentials({
      homeDir: t.home,
      env: { MP_API_SECRET: 'LegacySecret-42', MP_PROJECT_ID: '99', MP_REGION: 'in' },
    });
    expect(withProject).toMatchObject({ kind: 'projectSecret', projectId: '99', region: 'in' });
  });

  it('prefers a complete service account over MP_API_SECRET', () => {
    const t = tempHome();
    const creds = resolveCredentials({ homeDir: t.home, env: { ...SA_ENV, MP_API_SECRET: 'legacy' } });
    expect(creds.kind).toBe('serviceAccount');
  });

  it('an explicit account option beats env credentials', () => {
    const t = tempHome();
    t.write(TWO_ACCOUNTS);
    const creds = resolveCredentials({ homeDir: t.home, env: SA_ENV, account: 'staging' });
    expect(creds).toMatchObject({ accountName: 'staging', source: 'config' });
  });
});

describe('resolveCredentials: accounts in the config file', () => {
  it('uses default_account', () => {
    const t = tempHome();
    t.write(TWO_ACCOUNTS);
    const creds = resolveCredentials({ homeDir: t.home, env: {} });
    expect(creds).toMatchObject({
      kind: 'serviceAccount',
      accountName: 'prod',
      username: 'svc.prod',
      projectId: '1001',
      region: 'us',
      source: 'config',
      baseUrl: undefined,
    });
    expect(creds.authorizationHeader()).toBe(basic('svc.prod:ProdSecret-AAA'));
  });

  it('MP_ACCOUNT beats default_account, and the account option beats MP_ACCOUNT', () => {
    const t = tempHome();
    t.write(TWO_ACCOUNTS);
    const viaEnv = resolveCredentials({ homeDir: t.home, env: { MP_ACCOUNT: 'staging' } });
    expect(viaEnv).toMatchObject({
      accountName: 'staging',
      projectId: '2002',
      region: 'eu',
      workspaceId: '7',
      baseUrl: 'https://proxy.internal/mixpanel',
    });
    const viaOption = resolveCredentials({
      homeDir: t.home,
      env: { MP_ACCOUNT: 'staging' },
      account: 'prod',
    });
    expect(viaOption.accountName).toBe('prod');
  });

  it('uses the only account when there is exactly one and no default', () => {
    const t = tempHome();
    t.write('[accounts.solo]\nusername = "u"\nsecret = "SoloSecret"\nproject_id = "5"\n');
    const creds = resolveCredentials({ homeDir: t.home, env: {} });
    expect(creds).toMatchObject({ accountName: 'solo', projectId: '5', region: 'us' });
  });

  it('throws AccountNotFoundError for a missing named account', () => {
    const t = tempHome();
    t.write(TWO_ACCOUNTS);
    const err = thrown(() =>
      resolveCredentials({ homeDir: t.home, env: {}, account: 'nope' }),
    ) as AccountNotFoundError;
    expect(err).toBeInstanceOf(AccountNotFoundError);
    expect(err.code).toBe('ACCOUNT_NOT_FOUND');
    expect(err.details.account).toBe('nope');
    t.write('default_account = "gone"\n[accounts.a]\nproject_secret = "x"\n');
    expect(() => resolveCredentials({ homeDir: t.home, env: {} })).toThrow(AccountNotFoundError);
  });

  it('explains when nothing is configured, or several accounts and no default', () => {
    const t = tempHome();
    expect(() => resolveCredentials({ homeDir: t.home, env: {} })).toThrow(
      /No Mixpanel credentials configured/,
    );
    t.write(TWO_ACCOUNTS.replace('default_account = "prod"', ''));
    const err = thrown(() => resolveCredentials({ homeDir: t.home, env: {} })) as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain('Several accounts are configured (prod, staging)');
  });

  it('a legacy project_secret account gets the secret: header and a warning', () => {
    const t = tempHome();
    t.write('[accounts.old]\nproject_secret = "OldProjectSecret"\nregion = "in"\n');
    const creds = resolveCredentials({ homeDir: t.home, env: {} });
    expect(creds).toMatchObject({
      kind: 'projectSecret',
      accountName: 'old',
      region: 'in',
      projectId: undefined,
    });
    expect(creds.authorizationHeader()).toBe(basic('OldProjectSecret:'));
    expect(creds.deprecationWarning).toContain("Account 'old'");
  });

  it('MP_API_BASE_URL overrides the account base URL; the baseUrl option beats both', () => {
    const t = tempHome();
    t.write(TWO_ACCOUNTS);
    const env = { MP_ACCOUNT: 'staging', MP_API_BASE_URL: 'http://127.0.0.1:4010/' };
    expect(resolveCredentials({ homeDir: t.home, env }).baseUrl).toBe('http://127.0.0.1:4010');
    expect(resolveCredentials({ homeDir: t.home, env, baseUrl: 'https://other.example/x/' }).baseUrl).toBe(
      'https://other.example/x',
    );
    expect(
      resolveCredentials({ homeDir: t.home, env: { ...SA_ENV, MP_API_BASE_URL: 'http://localhost:9' } })
        .baseUrl,
    ).toBe('http://localhost:9');
  });

  it('accepts a preloaded config', () => {
    const t = tempHome();
    t.write(TWO_ACCOUNTS);
    const config = loadConfig({ homeDir: t.home, env: {} });
    t.write('');
    expect(resolveCredentials({ env: {}, config }).accountName).toBe('prod');
  });
});

describe('account validation on load', () => {
  const cases: [string, string, RegExp][] = [
    [
      '[accounts.a]\nusername = "u"\nsecret = "s"\n',
      'accounts.a.project_id',
      /required for service accounts/,
    ],
    ['[accounts.a]\nusername = "u"\nproject_id = "1"\n', 'accounts.a.secret', /required with username/],
    [
      '[accounts.a]\nproject_secret = "p"\nusername = "u"\nsecret = "s"\n',
      'accounts.a.project_secret',
      /not both/,
    ],
    ['[accounts.a]\nproject_secret = "p"\nregion = "asia"\n', 'accounts.a.region', /one of us, eu, in/],
    ['[accounts.a]\nproject_secret = "p"\nproject_id = "12ab"\n', 'accounts.a.project_id', /digits only/],
    [
      '[accounts.a]\nproject_secret = "p"\nusrname = "x"\n',
      'accounts.a.usrname',
      /Did you mean 'accounts.a.username'/,
    ],
    ['[accounts."bad name"]\nproject_secret = "p"\n', 'accounts."bad name"', /Invalid account name/],
    [
      '[accounts.a]\nproject_secret = "p"\napi_base_url = "http://mixpanel.com"\n',
      'accounts.a.api_base_url',
      /loopback/,
    ],
    ['[accounts.a]\nproject_secret = "p"\nregion = 3\n', 'accounts.a.region', /expected a string, got 3/],
  ];
  it.each(cases)('%j -> %s', (toml, key, message) => {
    const t = tempHome();
    t.write(toml);
    const err = thrown(() => loadConfig({ homeDir: t.home, env: {} })) as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.details.key).toBe(key);
    expect(err.message).toMatch(message);
  });

  it('never echoes a mistyped secret', () => {
    const t = tempHome();
    t.write('[accounts.a]\nusername = "u"\nsecret = 123456789\nproject_id = "1"\n');
    const err = thrown(() => loadConfig({ homeDir: t.home, env: {} })) as ConfigError;
    expect(err.details.key).toBe('accounts.a.secret');
    expect(err.message).not.toContain('123456789');
  });

  it('expands ${VAR} in account values', () => {
    const t = tempHome();
    t.write(
      '[accounts.ci]\nusername = "svc"\nsecret = "${CI_MP_SECRET}"\nproject_id = "${CI_PROJECT:-77}"\n',
    );
    const creds = resolveCredentials({ homeDir: t.home, env: { CI_MP_SECRET: 'FromEnv-777' } });
    expect(creds.secret).toBe('FromEnv-777');
    expect(creds.projectId).toBe('77');
  });
});

describe('Credentials secrecy', () => {
  const SECRET = 'SuperSecretValue-XYZ';
  const creds = new Credentials({
    kind: 'serviceAccount',
    username: 'svc.user',
    secret: SECRET,
    projectId: '42',
    region: 'eu',
    accountName: 'main',
  });

  it('is not an enumerable property', () => {
    expect(Object.keys(creds)).not.toContain('secret');
    expect({ ...creds }).not.toHaveProperty('secret');
    expect(creds.secret).toBe(SECRET);
  });

  it('is masked in JSON.stringify, util.inspect, toString and template strings', () => {
    const outputs = [
      JSON.stringify(creds),
      JSON.stringify({ nested: { creds } }),
      inspect(creds),
      inspect(creds, { showHidden: true, depth: 5 }),
      inspect({ creds }, { depth: 5 }),
      creds.toString(),
      `${creds}`,
      String(creds),
    ];
    for (const out of outputs) {
      expect(out).not.toContain(SECRET);
      expect(out).toContain('****');
    }
    expect(JSON.parse(JSON.stringify(creds))).toEqual({
      kind: 'serviceAccount',
      accountName: 'main',
      username: 'svc.user',
      secret: '****',
      projectId: '42',
      region: 'eu',
      source: 'explicit',
    });
    expect(inspect(creds)).toMatch(/^Credentials \{/);
  });

  it('is absent from resolution error messages', () => {
    const t = tempHome();
    const err = thrown(() =>
      resolveCredentials({ homeDir: t.home, env: { MP_SECRET: SECRET, MP_REGION: 'us' } }),
    ) as ConfigError;
    expect(err.message).not.toContain(SECRET);
    expect(JSON.stringify(err)).not.toContain(SECRET);
    expect(inspect(err)).not.toContain(SECRET);
  });

  it('the constructor validates its fields', () => {
    expect(() => new Credentials({ kind: 'serviceAccount', secret: 's', projectId: '1' })).toThrow(
      /username/,
    );
    expect(() => new Credentials({ kind: 'serviceAccount', username: 'u', secret: 's' })).toThrow(
      /projectId/,
    );
    expect(() => new Credentials({ kind: 'projectSecret', secret: '' })).toThrow(/secret/);
    expect(
      () => new Credentials({ kind: 'projectSecret', secret: 's', baseUrl: 'http://evil.example' }),
    ).toThrow(ConfigError);
  });
});

describe('normalizeBaseUrl', () => {
  it('allows http only for loopback hosts', () => {
    expect(normalizeBaseUrl('http://127.0.0.1:8080', 'k')).toBe('http://127.0.0.1:8080');
    expect(normalizeBaseUrl('http://localhost:3000/', 'k')).toBe('http://localhost:3000');
    expect(normalizeBaseUrl('http://[::1]:9/', 'k')).toBe('http://[::1]:9');
    const err = thrown(() => normalizeBaseUrl('http://proxy.example.com', 'MP_API_BASE_URL')) as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.details.key).toBe('MP_API_BASE_URL');
    expect(err.message).toContain('only allowed for loopback hosts');
    expect(() => normalizeBaseUrl('http://127.0.0.2', 'k')).toThrow(ConfigError);
  });

  it('strips trailing slashes and keeps a path prefix', () => {
    expect(normalizeBaseUrl('https://proxy.internal/mixpanel/', 'k')).toBe('https://proxy.internal/mixpanel');
    expect(normalizeBaseUrl('https://proxy.internal/a/b//', 'k')).toBe('https://proxy.internal/a/b');
    expect(normalizeBaseUrl('https://eu.mixpanel.com/', 'k')).toBe('https://eu.mixpanel.com');
    expect(normalizeBaseUrl('https://eu.mixpanel.com:443', 'k')).toBe('https://eu.mixpanel.com');
  });

  it('rejects other schemes, credentials in the URL, queries and garbage', () => {
    expect(() => normalizeBaseUrl('ftp://x', 'k')).toThrow(/http:\/\/ or https:\/\//);
    const creds = thrown(() => normalizeBaseUrl('https://user:Pw12345@proxy', 'k')) as ConfigError;
    expect(creds.message).toContain('must not contain credentials');
    expect(creds.message).not.toContain('Pw12345');
    expect(() => normalizeBaseUrl('https://proxy/x?a=1', 'k')).toThrow(/query string/);
    expect(() => normalizeBaseUrl('not a url', 'k')).toThrow(/absolute URL/);
  });
});
