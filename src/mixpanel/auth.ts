import { InvalidArgumentError } from '../errors.js';

/** Service-account credentials (the default and recommended method). */
export interface ServiceAccountAuth {
  kind: 'serviceAccount';
  username: string;
  secret: string;
  /** Sent as `project_id` on every request. */
  projectId: string | number;
}

/** Legacy project-secret credentials (deprecated by Mixpanel, retired on 2027-03-03). */
export interface ProjectSecretAuth {
  kind: 'projectSecret';
  secret: string;
  /** Optional; sent as `project_id` when given and used to key the rate limiter. */
  projectId?: string | number;
}

/** Credentials for the Mixpanel client. */
export type MixpanelAuth = ServiceAccountAuth | ProjectSecretAuth;

/** A secret-free description of credentials, safe for logs and `toJSON()`. */
export interface AuthDescription {
  kind: MixpanelAuth['kind'];
  username?: string;
  projectId?: string;
}

/** Validates credentials; messages name the field, never its value. */
export function checkAuth(auth: MixpanelAuth): void {
  if (auth === null || typeof auth !== 'object') {
    throw new InvalidArgumentError('Mixpanel credentials are missing.');
  }
  if (typeof auth.secret !== 'string' || auth.secret === '') {
    throw new InvalidArgumentError('Mixpanel credentials: the secret is empty.', {
      details: { kind: auth.kind },
    });
  }
  if (auth.kind === 'serviceAccount') {
    if (typeof auth.username !== 'string' || auth.username === '') {
      throw new InvalidArgumentError('Mixpanel service account: the username is empty.');
    }
    if (projectIdText(auth.projectId) === undefined) {
      throw new InvalidArgumentError('Mixpanel service account: a numeric projectId is required.', {
        details: { username: auth.username },
      });
    }
  } else if (auth.kind === 'projectSecret') {
    if (auth.projectId !== undefined && projectIdText(auth.projectId) === undefined) {
      throw new InvalidArgumentError('Mixpanel project secret: projectId must be numeric.');
    }
  } else {
    throw new InvalidArgumentError(
      `Unknown Mixpanel credential kind '${String((auth as { kind: unknown }).kind)}'.`,
    );
  }
}

/** The project id as digits, or `undefined` when absent or not numeric. */
export function projectIdText(projectId: string | number | undefined): string | undefined {
  if (projectId === undefined) return undefined;
  const text = String(projectId).trim();
  return /^\d+$/.test(text) ? text : undefined;
}

/** The `Authorization` header value. Never log or store the result. */
export function authorizationHeader(auth: MixpanelAuth): string {
  const pair = auth.kind === 'serviceAccount' ? `${auth.username}:${auth.secret}` : `${auth.secret}:`;
  return `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;
}

/** Secret-free description of credentials. */
export function describeAuth(auth: MixpanelAuth): AuthDescription {
  const projectId = projectIdText(auth.projectId);
  return {
    kind: auth.kind,
    ...(auth.kind === 'serviceAccount' ? { username: auth.username } : {}),
    ...(projectId === undefined ? {} : { projectId }),
  };
}
