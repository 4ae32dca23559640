import { z } from 'zod';
import { PlatformError } from '../adapter.ts';
import { callJson, type Fetch, scrub } from './open-platform.ts';

// How Tollgate talks to the Kuaishou open platform (open.kuaishou.com), shared by the publishing adapter and the OAuth
// authorisation flow: every answer is JSON with `result` (1 = success, otherwise the error code) and `error_msg`
// (the OAuth endpoints may add `error`). The two token endpoints take the app's secret in the query string
// (快手登录 → code2AccessToken, refreshToken):
//   GET /oauth2/access_token?app_id&app_secret&code&grant_type=authorization_code
//   GET /oauth2/refresh_token?app_id&app_secret&refresh_token&grant_type=refresh_token
// and answer {result: 1, access_token, expires_in, refresh_token, refresh_token_expires_in, open_id, scopes}.

export const OK = 1;
/** 服务内部错误: the only code worth trying again as it is. */
export const BUSY = new Set([100200500]);

/** An open-platform app: the user's tokens belong to it, and renewing them needs its secret. */
export interface KuaishouApp {
  appId: string;
  appSecret: string;
}

export interface KuaishouEndpoint {
  /** `https://open.kuaishou.com`, without a trailing slash. */
  root: string;
  fetchFn: Fetch;
  timeoutMs: number;
}

const Result = z.looseObject({ result: z.coerce.number(), error_msg: z.string().optional(), error: z.string().optional() });

export interface KuaishouAnswer {
  result: number;
  /** Kuaishou's own words, every secret of the call cut out. */
  said: string;
  body: Record<string, unknown>;
}

/** One call; `secrets` are what the call carries, kept out of anything it reports. */
export async function kuaishouCall(
  o: KuaishouEndpoint,
  url: string,
  init: RequestInit,
  call: { secrets: readonly (string | undefined)[]; signal?: AbortSignal; timeoutMs?: number },
): Promise<KuaishouAnswer> {
  const { status, body } = await callJson(o.fetchFn, url, init, { platform: 'Kuaishou', secrets: call.secrets, timeoutMs: call.timeoutMs ?? o.timeoutMs, signal: call.signal });
  const parsed = Result.safeParse(body);
  if (!parsed.success) {
    const retryable = status >= 500;
    throw new PlatformError(`http_${status}`, `Kuaishou answered HTTP ${status} without a result${retryable ? '; it will be tried again' : ''}.`, retryable);
  }
  const said = parsed.data.error_msg ?? parsed.data.error ?? 'no message';
  return { result: parsed.data.result, said: scrub(said, call.secrets), body };
}

const Tokens = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1).optional(),
  expires_in: z.coerce.number().optional(),
  open_id: z.string().min(1).optional(),
  scopes: z.array(z.string()).optional(),
});
export type KuaishouTokens = z.infer<typeof Tokens>;

export type KuaishouGrant = { grant_type: 'authorization_code'; code: string } | { grant_type: 'refresh_token'; refresh_token: string };

export type TokenAnswer = { ok: true; tokens: KuaishouTokens } | { ok: false; result: number; said: string };

/** A token pair for a code or a refresh token; a refusal is answered (not thrown) for the caller to explain. */
export async function kuaishouTokens(o: KuaishouEndpoint, app: KuaishouApp, grant: KuaishouGrant, signal?: AbortSignal): Promise<TokenAnswer> {
  const path = grant.grant_type === 'authorization_code' ? '/oauth2/access_token' : '/oauth2/refresh_token';
  const query = new URLSearchParams({ app_id: app.appId, app_secret: app.appSecret, ...grant });
  const secrets = [app.appSecret, grant.grant_type === 'authorization_code' ? grant.code : grant.refresh_token];
  const a = await kuaishouCall(o, `${o.root}${path}?${query}`, { method: 'GET' }, { secrets, signal });
  if (a.result !== OK) return { ok: false, result: a.result, said: a.said };
  const tokens = Tokens.safeParse(a.body);
  if (!tokens.success) throw new PlatformError('invalid_response', 'Kuaishou answered the authorisation without an access token.', false);
  return { ok: true, tokens: tokens.data };
}
