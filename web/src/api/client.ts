// The one HTTP client of the console. It speaks both envelopes the server uses — the studio's `{code, message, data}`
// and the supply console's `{request_id, data | error}` — turns every failure into an ApiError carrying the server's
// own message, adds the session's access token, and refreshes it silently once when the server says it has expired.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string | number,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export interface Pagination {
  page: number;
  page_size: number;
  total: number;
}

/** A supply list: `{request_id, data: [...], pagination}`. */
export interface SupplyPage<T> {
  data: T[];
  pagination: Pagination;
}

/** A studio page: `{total, page, page_size, items}`. */
export interface StudioPage<T> {
  total: number;
  page: number;
  page_size: number;
  items: T[];
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  headers?: Record<string, string>;
  /** Return the whole envelope (supply lists carry `pagination` beside `data`). */
  envelope?: boolean;
  /** Do not try to refresh the session on a 401 (the auth endpoints themselves). */
  noRefresh?: boolean;
  /** Aborts the request (a stream the user stops). */
  signal?: AbortSignal;
}

export interface SessionStore {
  accessToken(): string | undefined;
  /** Gets a new access token; false when the session is over (then the user must sign in again). */
  refresh(): Promise<boolean>;
}

let session: SessionStore | undefined;

export function useSessionStore(store: SessionStore) {
  session = store;
}

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

async function send(method: string, path: string, o: RequestOptions): Promise<Response> {
  const token = session?.accessToken();
  return fetch(withQuery(path, o.query), {
    method,
    headers: {
      ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...o.headers,
    },
    body: o.body === undefined ? undefined : JSON.stringify(o.body),
    signal: o.signal,
  });
}

function failure(status: number, body: unknown): ApiError {
  const b = body as { message?: string; code?: number | string; error?: { code?: string; message?: string; details?: Record<string, unknown> } | string } | undefined;
  if (b && typeof b.error === 'object' && b.error) return new ApiError(status, b.error.message ?? `HTTP ${status}`, b.error.code, b.error.details);
  if (b && typeof b.error === 'string') return new ApiError(status, b.error);
  if (b && typeof b.message === 'string') return new ApiError(status, b.message, b.code);
  return new ApiError(status, `HTTP ${status}`);
}

/** Sends, refreshing the session once on a 401; throws the server's error for any other failure. */
async function fetchOk(method: string, path: string, o: RequestOptions): Promise<Response> {
  let res = await send(method, path, o);
  if (res.status === 401 && !o.noRefresh && session && (await session.refresh())) res = await send(method, path, o);
  if (!res.ok) {
    const text = await res.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    throw failure(res.status, body);
  }
  return res;
}

/** A response whose body the caller reads as it arrives (a generation's event stream), with the session's refresh. */
export const openStream = (method: string, path: string, o: RequestOptions = {}): Promise<Response> => fetchOk(method, path, o);

/** A file from the API (CSV exports): its bytes, the name the server gave it, and its headers. */
export async function download(path: string, query?: Query): Promise<{ blob: Blob; filename?: string; headers: Headers }> {
  const res = await fetchOk('GET', path, { query });
  const filename = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1];
  return { blob: await res.blob(), filename, headers: res.headers };
}

export async function request<T>(method: string, path: string, o: RequestOptions = {}): Promise<T> {
  const res = await fetchOk(method, path, o);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  const b = body as { code?: number; data?: unknown; request_id?: string } | undefined;
  if (o.envelope) return body as T;
  if (b && typeof b === 'object' && 'data' in b && ('request_id' in b || 'code' in b)) return b.data as T;
  return body as T;
}

export const api = {
  get: <T>(path: string, query?: Query, o: RequestOptions = {}) => request<T>('GET', path, { ...o, query }),
  post: <T>(path: string, body?: unknown, o: RequestOptions = {}) => request<T>('POST', path, { ...o, body }),
  put: <T>(path: string, body?: unknown, o: RequestOptions = {}) => request<T>('PUT', path, { ...o, body }),
  patch: <T>(path: string, body?: unknown, o: RequestOptions = {}) => request<T>('PATCH', path, { ...o, body }),
  del: <T>(path: string, o: RequestOptions = {}) => request<T>('DELETE', path, o),
  /** A supply list with its pagination. */
  supplyPage: <T>(path: string, query?: Query) => request<SupplyPage<T>>('GET', path, { query, envelope: true }),
};

/** A fresh Idempotency-Key for one user action (a retry of that action reuses it). */
export const idempotencyKey = () => `web-${crypto.randomUUID()}`;
