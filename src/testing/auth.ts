import type { FakePrincipal } from './request-log.js';

/** The credentials the fake accepts. */
export interface FakeCredentials {
  readonly username: string;
  readonly secret: string;
  readonly projectSecret: string;
  readonly projectId: string;
}

/** Result of checking a request's credentials. */
export type AuthOutcome =
  | { readonly ok: true; readonly principal: FakePrincipal }
  | {
      readonly ok: false;
      readonly principal: FakePrincipal;
      readonly status: number;
      readonly message: string;
    };

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Splits a Basic credential given either base64-encoded or as plain `user:secret` (both accepted by Mixpanel). */
export function decodeBasic(header: string | undefined): { user: string; password: string } | null {
  if (header === undefined) return null;
  const match = /^Basic\s+(.+)$/i.exec(header.trim());
  if (!match) return null;
  const token = (match[1] as string).trim();
  let text = token;
  if (BASE64.test(token)) {
    const decoded = Buffer.from(token, 'base64').toString('utf8');
    // Only trust the decoding if it round-trips: a plain "user:secret" is never valid base64
    // (':' is outside the alphabet), but a plain token without ':' could be.
    if (
      decoded.includes(':') &&
      Buffer.from(decoded, 'utf8').toString('base64').replace(/=+$/, '') === token.replace(/=+$/, '')
    ) {
      text = decoded;
    }
  }
  const colon = text.indexOf(':');
  if (colon < 0) return { user: text, password: '' };
  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

/**
 * Section 2: a service account must name its project in `project_id`; the legacy project secret
 * (user = secret, empty password) needs no `project_id`. Messages name the account and the
 * project, never a secret.
 */
export function authenticate(
  header: string | undefined,
  query: Readonly<Record<string, string>>,
  credentials: FakeCredentials,
): AuthOutcome {
  const basic = decodeBasic(header);
  if (basic === null) {
    return {
      ok: false,
      principal: { kind: 'none' },
      status: 401,
      message: 'Missing or malformed Authorization header: use HTTP Basic authentication',
    };
  }
  const projectId = query.project_id;
  if (basic.user === credentials.username && basic.password === credentials.secret) {
    const principal: FakePrincipal = { kind: 'serviceAccount', user: basic.user };
    if (projectId === undefined || projectId === '') {
      return {
        ok: false,
        principal,
        status: 400,
        message: 'Missing required parameter project_id: service accounts must name the project_id',
      };
    }
    if (projectId !== credentials.projectId) {
      return {
        ok: false,
        principal,
        status: 403,
        message: `Service account ${basic.user} does not have access to project_id ${projectId}`,
      };
    }
    return { ok: true, principal };
  }
  if (basic.user === credentials.projectSecret && basic.password === '') {
    const principal: FakePrincipal = { kind: 'projectSecret' };
    if (projectId !== undefined && projectId !== '' && projectId !== credentials.projectId) {
      return {
        ok: false,
        principal,
        status: 403,
        message: `This project secret does not have access to project_id ${projectId}`,
      };
    }
    return { ok: true, principal };
  }
  // Name the user only when it is the known account: an unknown user name might be a mistyped secret.
  const principal: FakePrincipal =
    basic.user === credentials.username ? { kind: 'invalid', user: basic.user } : { kind: 'invalid' };
  return { ok: false, principal, status: 401, message: 'Invalid username or secret' };
}
