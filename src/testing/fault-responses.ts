import type { FakeFault } from './faults.js';
import type { Exchange } from './http-exchange.js';
import { errorBodyText } from './json-text.js';
import type { CannedResponse } from './rate-limits.js';
import type { ServerContext } from './server-context.js';

/** Sends a prepared response (a 429 from the limiter or a fault). */
export async function sendCanned(ex: Exchange, response: CannedResponse): Promise<void> {
  const { 'Content-Type': contentType, ...headers } = response.headers;
  await ex.send(response.status, contentType ?? 'application/json', response.body, headers);
}

/**
 * Sends the response of a response-replacing fault (rateLimit, status, auth) and returns `true`;
 * stream faults return `false`: normal handling runs and the body writer or the endpoint applies them.
 */
export async function sendFaultResponse(
  ex: Exchange,
  fault: FakeFault,
  ctx: ServerContext,
): Promise<boolean> {
  const url = ex.requestUrl;
  switch (fault.kind) {
    case 'rateLimit':
      await sendCanned(ex, ctx.limiter.simulated(fault.variant, ctx.clock.now(), url, fault));
      return true;
    case 'status': {
      const isText = typeof fault.body === 'string';
      const text =
        fault.body === undefined
          ? errorBodyText(url, `Injected ${fault.status} from the fake server`)
          : typeof fault.body === 'string'
            ? fault.body
            : JSON.stringify(fault.body);
      const contentType = fault.contentType ?? (isText ? 'text/plain; charset=utf-8' : 'application/json');
      await ex.send(fault.status, contentType, text, fault.headers ?? {});
      return true;
    }
    case 'auth': {
      const status = fault.status ?? 401;
      const message = {
        400: 'Unable to authenticate request',
        401: 'Invalid username or secret',
        402:
          ex.record.family === 'export'
            ? 'Your plan does not support raw data export. Please upgrade your plan.'
            : 'Your plan does not include this feature. Please upgrade your plan.',
        403: `Permission denied: this account cannot read project_id ${ctx.options.projectId}`,
      }[status];
      await ex.sendError(status, message);
      return true;
    }
    default:
      return false;
  }
}
