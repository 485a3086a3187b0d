/** Which part of the API a request addressed. */
export type FakeRequestFamily = 'export' | 'query' | 'engage' | 'control' | 'unknown';

/** Who a request authenticated as. Never carries a secret. */
export interface FakePrincipal {
  kind: 'serviceAccount' | 'projectSecret' | 'none' | 'invalid';
  /** The service account user name, when known; a project secret is never recorded here. */
  user?: string;
}

/** One logged request (section 8.6). Logged in arrival order, failures included. */
export interface FakeRequestRecord {
  /** 1-based arrival number. */
  seq: number;
  /** Fake-clock time of arrival, epoch ms. */
  receivedAt: number;
  method: string;
  /** URL path without the query string. */
  path: string;
  family: FakeRequestFamily;
  query: Record<string, string>;
  body: Record<string, string> | null;
  bodyEncoding: 'form' | 'json' | 'none';
  principal: FakePrincipal;
  acceptEncoding: string | null;
  /** Response status; 0 while the response has not started. */
  status: number;
  gzip: boolean;
  /** Body bytes written to the socket (compressed bytes when gzip is on). */
  bytesSent: number;
  /** Complete record lines written (export only). */
  linesSent: number;
  /** Which rate-limit bucket the request was charged to, if any. */
  countedAs: 'export' | 'query' | null;
  /** The injected fault kind that shaped the response, if any. */
  fault: string | null;
  /** Real elapsed time until the response finished or the connection closed. */
  durationMs: number;
}

const SECRET_FIELD = /secret|password|token|auth/i;

/** Copies request fields, masking any whose name suggests a secret. */
export function redactFields(fields: Record<string, string>): Record<string, string> {
  const copy: Record<string, string> = {};
  for (const [key, value] of Object.entries(fields))
    copy[key] = SECRET_FIELD.test(key) ? '[redacted]' : value;
  return copy;
}

/** The request log: records are appended on arrival and completed when the response ends. */
export class RequestLog {
  private records: FakeRequestRecord[] = [];
  private nextSeq = 1;

  /** Appends a record for a request that just arrived. */
  open(fields: Omit<FakeRequestRecord, 'seq'>): FakeRequestRecord {
    const record: FakeRequestRecord = { seq: this.nextSeq++, ...fields };
    this.records.push(record);
    return record;
  }

  /** A frozen snapshot of every record so far. */
  snapshot(): readonly FakeRequestRecord[] {
    return Object.freeze(
      this.records.map((r) =>
        Object.freeze({
          ...r,
          query: { ...r.query },
          body: r.body === null ? null : { ...r.body },
          principal: { ...r.principal },
        }),
      ),
    );
  }

  /** Forgets every record; sequence numbers keep counting. */
  clear(): void {
    this.records = [];
  }
}
