import http from 'node:http';
import type { AddressInfo } from 'node:net';

// The shared harness of the fake AI upstreams (openai-upstream.ts, anthropic-upstream.ts, gemini-upstream.ts): an HTTP
// server on 127.0.0.1 that records every request and lets a test steer the next answers.
//
// Directives: a prompt containing `[[status:503]]` gets that HTTP status (with the provider's error body);
// `[[slow:1500]]` waits that many ms before answering; `[[stall]]` sends headers and one chunk, then goes silent;
// `[[echo-key]]` answers 401 with the credential it received inside the error message (upstreams do this).
// `[[leak-key:400]]` answers that status (200 included: some upstreams report errors with a 200) with the provider's
// error body quoting the credential in every field it has — message, code, type, param — and in one of its own;
// `[[leak-key-stream]]` streams one chunk, then such an error inside the stream.
// `[[no-usage]]` omits usage from the answer. `[[tool]]` makes the model call the first tool it was given.

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

export interface Directives {
  status?: number;
  slowMs?: number;
  stall: boolean;
  echoKey: boolean;
  leakStatus?: number;
  leakStream: boolean;
  noUsage: boolean;
  tool: boolean;
}

export function directivesIn(text: string): Directives {
  const status = /\[\[status:(\d{3})\]\]/.exec(text)?.[1];
  const slow = /\[\[slow:(\d+)\]\]/.exec(text)?.[1];
  const leak = /\[\[leak-key:(\d{3})\]\]/.exec(text)?.[1];
  return {
    status: status ? Number(status) : undefined,
    slowMs: slow ? Number(slow) : undefined,
    stall: text.includes('[[stall]]'),
    echoKey: text.includes('[[echo-key]]'),
    leakStatus: leak ? Number(leak) : undefined,
    leakStream: text.includes('[[leak-key-stream]]'),
    noUsage: text.includes('[[no-usage]]'),
    tool: text.includes('[[tool]]'),
  };
}

/** Deterministic reply text: the same prompt always gets the same words, so tests can predict token counts. */
export function replyWords(prompt: string, count = 12): string[] {
  const words = ['Tollgate', 'relays', 'every', 'token', 'exactly', 'once', 'and', 'bills', 'it', 'to', 'the', 'cent'];
  const seed = [...prompt].reduce((s, c) => (s * 31 + c.charCodeAt(0)) >>> 0, 7);
  return Array.from({ length: count }, (_, i) => words[(seed + i) % words.length] as string);
}

export type Handler = (req: RecordedRequest, res: http.ServerResponse) => void | Promise<void>;

export interface FakeUpstream {
  /** `http://127.0.0.1:<port>` — give it to PROVIDER_BASE_URL_<NAME> or to a channel's endpoint. */
  url: string;
  requests: RecordedRequest[];
  /** Sockets closed by the peer mid-response (a client abort reaches the upstream as this). */
  aborted: number;
  close(): Promise<void>;
}

export async function startFakeServer(handler: Handler): Promise<FakeUpstream> {
  const requests: RecordedRequest[] = [];
  const fake: FakeUpstream = { url: '', requests, aborted: 0, close: async () => undefined };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown = raw;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        // Not JSON: kept as text, the handler decides.
      }
      const recorded = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body };
      requests.push(recorded);
      res.on('close', () => {
        if (!res.writableFinished) fake.aborted += 1;
      });
      Promise.resolve(handler(recorded, res)).catch((err: Error) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `fake upstream crashed: ${err.message}` } }));
      });
    });
  });
  server.keepAliveTimeout = 5_000;
  Object.assign(fake, await listenLocal(server));
  return fake;
}

/** Listens on 127.0.0.1 at a free port: the fake's base URL, and a close that drops kept-alive connections too. */
export async function listenLocal(server: http.Server): Promise<{ url: string; close(): Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An address nothing listens on: connections to it are refused. */
export async function deadUpstreamUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Writes one SSE event; `event` is omitted for OpenAI-style streams. */
export function writeSse(res: http.ServerResponse, data: unknown, event?: string): void {
  const payload = typeof data === 'string' ? data : JSON.stringify(data);
  res.write(`${event ? `event: ${event}\n` : ''}data: ${payload}\n\n`);
}

/** One event in two writes a moment apart, cut inside its first multi-byte character: two TCP segments that split it. */
export async function writeSseSplit(res: http.ServerResponse, data: unknown): Promise<void> {
  const bytes = Buffer.from(`data: ${JSON.stringify(data)}\n\n`);
  const cut = bytes.findIndex((b) => b >= 0xc0) + 1;
  res.write(bytes.subarray(0, cut));
  await sleep(20);
  if (!res.destroyed) res.write(bytes.subarray(cut));
}

export function startSse(res: http.ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** The credential a request carried, whichever header the provider uses. */
export function credentialOf(req: RecordedRequest): string {
  const auth = req.headers.authorization;
  if (typeof auth === 'string') return auth.replace(/^Bearer\s+/i, '');
  for (const h of ['x-api-key', 'api-key', 'x-goog-api-key']) {
    const v = req.headers[h];
    if (typeof v === 'string') return v;
  }
  return req.query.get('key') ?? '';
}

/**
 * Credential markers. Supply tests build credentials from symbols behind a marker prefix, which steers every fake
 * provider the same way: `<<<<` the provider refuses the credential on every endpoint; `>>>>` its model list is empty;
 * `((((` its model list answers 429; `))))` OpenAI's credit grants report 1.25 available (otherwise 120.5).
 */
export const CREDENTIAL_MARKERS = { refused: '<<<<', noModels: '>>>>', throttled: '((((', lowBalance: '))))' } as const;
export type CredentialMarker = keyof typeof CREDENTIAL_MARKERS;

/** The marker the request's credential starts with, if any. */
export function markerOf(req: RecordedRequest): CredentialMarker | undefined {
  const credential = credentialOf(req);
  return (Object.keys(CREDENTIAL_MARKERS) as CredentialMarker[]).find((m) => credential.startsWith(CREDENTIAL_MARKERS[m]));
}

/**
 * What a leaky upstream says about a key: the whole key (which a redactor can cut out) and its last four characters
 * (which it cannot: only a check for pieces of the credential catches them).
 */
export const leakyMessage = (key: string) => `Incorrect API key provided: ${key}. Your key ends in ${key.slice(-4)}.`;

/** Applies the shared directives; returns true when the answer has been sent (an error status or an echo). */
export async function applyDirectives(
  d: Directives,
  req: RecordedRequest,
  res: http.ServerResponse,
  errorBody: (status: number, message: string) => unknown,
  leakyBody?: (status: number, key: string) => unknown,
): Promise<boolean> {
  if (d.slowMs) await sleep(d.slowMs);
  if (d.leakStatus && leakyBody) {
    sendJson(res, d.leakStatus, leakyBody(d.leakStatus, credentialOf(req)));
    return true;
  }
  if (d.echoKey) {
    sendJson(res, 401, errorBody(401, `Incorrect API key provided: ${credentialOf(req)}. You can find your API key in your account.`));
    return true;
  }
  if (d.status) {
    sendJson(res, d.status, errorBody(d.status, `fake upstream answered ${d.status}`));
    return true;
  }
  return false;
}
