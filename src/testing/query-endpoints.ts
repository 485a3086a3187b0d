import {
  handleEventNames,
  handleEventsTop,
  handlePropertiesTop,
  handlePropertyValues,
} from './discovery-endpoints.js';
import { handleEngage } from './engage-endpoint.js';
import { handleExport } from './export-endpoint.js';
import type { Exchange } from './http-exchange.js';
import { handleCohortsList, handleFunnels, handleFunnelsList, handleRetention } from './report-endpoints.js';
import type { FakeRequestFamily } from './request-log.js';
import { handleSegmentation } from './segmentation-endpoint.js';
import type { ServerContext } from './server-context.js';

/** An endpoint handler. */
export type EndpointHandler = (ex: Exchange, ctx: ServerContext) => Promise<void>;

/** A resolved Mixpanel route. */
export interface ApiRoute {
  readonly family: Exclude<FakeRequestFamily, 'control' | 'unknown'>;
  readonly endpoint: string;
  readonly methods: readonly string[];
  readonly handler: EndpointHandler;
}

const QUERY_ENDPOINTS = new Map<string, EndpointHandler>(
  Object.entries({
    'events/names': handleEventNames,
    'events/top': handleEventsTop,
    'events/properties/top': handlePropertiesTop,
    'events/properties/values': handlePropertyValues,
    segmentation: handleSegmentation,
    'funnels/list': handleFunnelsList,
    funnels: handleFunnels,
    retention: handleRetention,
    'cohorts/list': handleCohortsList,
  }),
);

/**
 * Maps a path to its endpoint. Export lives only at `/api/2.0/export`; the Query API and Engage
 * answer under both `/api/query/` and the legacy `/api/2.0/` prefix.
 */
export function resolveRoute(path: string): ApiRoute | null {
  const clean = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  if (clean === '/api/2.0/export')
    return { family: 'export', endpoint: 'export', methods: ['GET'], handler: handleExport };
  const match = /^\/api\/(?:query|2\.0)\/(.+)$/.exec(clean);
  if (!match) return null;
  const endpoint = match[1] as string;
  if (endpoint === 'engage')
    return { family: 'engage', endpoint, methods: ['GET', 'POST'], handler: handleEngage };
  const handler = QUERY_ENDPOINTS.get(endpoint);
  return handler ? { family: 'query', endpoint, methods: ['GET', 'POST'], handler } : null;
}
