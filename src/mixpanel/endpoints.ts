import { InvalidArgumentError } from '../errors.js';

/** A project's data-residency region. */
export type MixpanelRegion = 'us' | 'eu' | 'in';

/** The three API families, which live on different hosts unless a base URL override is set. */
export type EndpointFamily = 'export' | 'query' | 'engage';

const REGION_HOSTS: Readonly<Record<MixpanelRegion, { data: string; query: string }>> = {
  us: { data: 'https://data.mixpanel.com', query: 'https://mixpanel.com' },
  eu: { data: 'https://data-eu.mixpanel.com', query: 'https://eu.mixpanel.com' },
  in: { data: 'https://data-in.mixpanel.com', query: 'https://in.mixpanel.com' },
};

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', '::1', 'localhost']);

/** Path of the raw export endpoint. */
export const EXPORT_PATH = '/api/2.0/export';
/** Path of the Engage endpoint. */
export const ENGAGE_PATH = '/api/query/engage';

/** Path of a Query API endpoint, e.g. `queryPath('events/names')` → `/api/query/events/names`. */
export function queryPath(endpoint: string): string {
  return `/api/query/${endpoint.replace(/^\/+/, '')}`;
}

/** Resolved base URLs, one per family (all equal when an override is set). */
export interface BaseUrls {
  readonly export: string;
  readonly query: string;
  readonly engage: string;
  /** True when a base URL override is in force. */
  readonly overridden: boolean;
}

/** Checks a region name; throws {@link InvalidArgumentError} on anything but `us`, `eu`, `in`. */
export function checkRegion(region: string | undefined): MixpanelRegion {
  const value = region ?? 'us';
  if (value === 'us' || value === 'eu' || value === 'in') return value;
  throw new InvalidArgumentError(`Unknown Mixpanel region '${value}'. Use 'us', 'eu' or 'in'.`, {
    details: { region: value },
  });
}

/**
 * Normalises a base URL override: keeps scheme, host, port and path prefix, drops a trailing `/`.
 * `http:` is accepted only for loopback hosts; credentials, query strings and fragments are refused.
 */
export function normaliseBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch (cause) {
    throw new InvalidArgumentError('The Mixpanel base URL is not a valid URL.', { cause });
  }
  const shown = `${url.protocol}//${url.host}`;
  if (url.username !== '' || url.password !== '') {
    throw new InvalidArgumentError('The Mixpanel base URL must not contain credentials.', {
      details: { baseUrl: shown },
    });
  }
  if (url.search !== '' || url.hash !== '') {
    throw new InvalidArgumentError('The Mixpanel base URL must not have a query string or fragment.', {
      details: { baseUrl: shown },
    });
  }
  if (url.protocol === 'http:') {
    if (!LOOPBACK_HOSTS.has(url.hostname)) {
      throw new InvalidArgumentError(
        `The Mixpanel base URL ${shown} uses http: on a non-loopback host. Use https: (credentials travel in a Basic header).`,
        { details: { baseUrl: shown } },
      );
    }
  } else if (url.protocol !== 'https:') {
    throw new InvalidArgumentError(`The Mixpanel base URL must use https: (got ${url.protocol}).`, {
      details: { baseUrl: shown },
    });
  }
  const path = url.pathname.replace(/\/+$/, '');
  return `${url.protocol}//${url.host}${path}`;
}

/** Base URLs for a region, or the single override for every family. */
export function resolveBaseUrls(region: MixpanelRegion, baseUrl?: string): BaseUrls {
  if (baseUrl !== undefined && baseUrl !== '') {
    const base = normaliseBaseUrl(baseUrl);
    return { export: base, query: base, engage: base, overridden: true };
  }
  const hosts = REGION_HOSTS[region];
  return { export: hosts.data, query: hosts.query, engage: hosts.query, overridden: false };
}

/** Builds `{base}{path}?{params}`, skipping `undefined` values. */
export function buildUrl(base: string, path: string, params: Record<string, string | undefined>): URL {
  const url = new URL(`${base}${path}`);
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined) url.searchParams.set(key, value);
  }
  return url;
}
