import { type FakeMixpanel, startFakeMixpanel } from './fake-mixpanel-server.js';
import type { FakeMixpanelOptions } from './fake-options.js';

/** What `mp fake-server` prints: one JSON line a script can read to find and use the fake. */
export interface FakeServerAnnouncement {
  readonly url: string;
  readonly username: string;
  readonly secret: string;
  readonly projectId: string;
}

/**
 * Starts a fake for out-of-process use (`mp fake-server`). Returns the running fake and the single
 * JSON line (no trailing newline) to print on stdout; the caller owns signals and printing, since
 * library code never writes to stdout or exits.
 */
export async function runFakeServer(
  options: FakeMixpanelOptions = {},
): Promise<{ fake: FakeMixpanel; announcement: FakeServerAnnouncement; line: string }> {
  const fake = await startFakeMixpanel(options);
  const announcement: FakeServerAnnouncement = {
    url: fake.url,
    username: fake.serviceAccount.username,
    secret: fake.serviceAccount.secret,
    projectId: fake.serviceAccount.projectId,
  };
  return { fake, announcement, line: JSON.stringify(announcement) };
}
