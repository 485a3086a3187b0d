import { ConfigError } from '../errors.js';

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', '[::1]', '::1', 'localhost']);

/**
 * Validates a Mixpanel API base URL override and returns its canonical form: scheme, host, optional
 * port and optional path prefix, with no trailing `/`. `https:` is required except for loopback
 * hosts (the fake server, a local proxy), because the credentials travel in a Basic header.
 *
 * @param raw the URL as configured
 * @param key what set it (`MP_API_BASE_URL`, `accounts.prod.api_base_url`), for the error message
 * @throws ConfigError with `details.key` when the URL is unusable
 */
export function normalizeBaseUrl(raw: string, key: string): string {
  const fail = (problem: string): never => {
    throw new ConfigError(`Invalid ${key}: ${problem}`, { details: { key, expected: 'http(s) base URL' } });
  };
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return fail('expected an absolute URL such as https://proxy.example.com/mixpanel');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return fail(`expected an http:// or https:// URL, got scheme '${url.protocol.replace(/:$/, '')}'`);
  }
  if (url.username !== '' || url.password !== '') {
    // Never echo the URL here: it carries the credentials we are refusing.
    return fail('the URL must not contain credentials; they are sent in the Authorization header');
  }
  if (url.search !== '' || url.hash !== '') {
    return fail('expected no query string or fragment (only scheme, host, port and path prefix)');
  }
  if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname)) {
    return fail(
      `http:// is only allowed for loopback hosts (127.0.0.1, ::1, localhost); use https:// for ${url.hostname}`,
    );
  }
  const prefix = url.pathname.replace(/\/+$/, '');
  return `${url.origin}${prefix}`;
}
