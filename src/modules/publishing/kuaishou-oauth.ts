import { createHmac, randomBytes } from 'node:crypto';
import { timingSafeEqualHex } from '../../platform/crypto.ts';
import { AppError } from '../../platform/errors.ts';
import type { Clock } from '../../platform/time.ts';
import { PlatformError } from './adapter.ts';
import { type KuaishouApp, type KuaishouEndpoint, kuaishouTokens } from './adapters/kuaishou-token.ts';
import type { PublishingService } from './publishing.service.ts';

// Binding Kuaishou by its OAuth 2.0 authorisation code (快手开放平台 → 网站应用接入, 快手登录 → code2AccessToken): the
// console asks for the authorise URL, the user approves Tollgate's app on open.kuaishou.com, and Kuaishou sends the
// browser back to the callback with `code` and `state`. The code (single-use, valid 2 minutes) is exchanged for the
// user's tokens, which are then bound exactly as a manual bind is: checked with Kuaishou, sealed, never answered.
//
// The state names the user and its expiry, and carries a MAC over them, a nonce and a secret held by the browser that
// asked (an HttpOnly cookie, not in the state). So a state cannot be forged, expires, and works only in the browser
// that started it: someone who sends a victim their own authorise link cannot get the victim's Kuaishou account bound
// to their Tollgate account, nor the reverse. Each nonce is accepted once by this process (kept until the state
// expires); a code is accepted once by Kuaishou, which covers a replay that reaches another node.

export const KUAISHOU_CALLBACK_PATH = '/api/v1/publish/platforms/kuaishou/callback';
/** The accounts page of the console, where the browser lands after Kuaishou. */
const CONSOLE_PAGE = '/studio/publishing';
export const STATE_TTL_SECONDS = 600;
/** The profile (to name the account) and video publishing (what the binding is for). */
export const KUAISHOU_SCOPES = ['user_info', 'user_video_publish'] as const;
const PUBLISH_SCOPE = 'user_video_publish';

/** What the console is told, as `?kuaishou=bound` or `?kuaishou=error&reason=…` (words are the console's own). */
export type OAuthFailure = 'denied' | 'invalid_state' | 'refused' | 'no_publish_scope' | 'unavailable';

const STATE = /^(\d{1,15})\.(\d{1,12})\.([A-Za-z0-9_-]{22})\.([0-9a-f]{64})$/;

export interface KuaishouOAuthDeps {
  /** The operator's app (KUAISHOU_APP_ID / KUAISHOU_APP_SECRET); unset: authorising is not offered. */
  app: KuaishouApp | undefined;
  endpoint: KuaishouEndpoint;
  publicBaseUrl: string;
  /** 32-byte hex key for the state's MAC, bound to this purpose (deriveSecret). */
  stateKey: string;
  clock: Clock;
  publishing: Pick<PublishingService, 'bind'>;
  log: { info(o: object, msg: string): void; warn(o: object, msg: string): void; error(o: object, msg: string): void };
}

export interface CallbackInput {
  code?: string;
  state?: string;
  /** The browser's secret from the cookie set by `authorize`. */
  browser?: string;
}

export function createKuaishouOAuth(deps: KuaishouOAuthDeps) {
  const { clock, log } = deps;
  const key = Buffer.from(deps.stateKey, 'hex');
  /** Nonces already used, with when their state expires (then they are forgotten: the state is refused anyway). */
  const spent = new Map<string, number>();

  const mac = (userId: string, expires: string, nonce: string, browser: string) =>
    createHmac('sha256', key).update(`kuaishou-oauth\n${userId}\n${expires}\n${nonce}\n${browser}`).digest('hex');

  function appOf(): KuaishouApp {
    if (deps.app) return deps.app;
    throw new AppError(
      'PLATFORM_NOT_BOUND',
      'Authorising with Kuaishou is not set up on this server: the operator sets KUAISHOU_APP_ID and KUAISHOU_APP_SECRET (the Kuaishou open-platform app). Until then, bind Kuaishou with your own app\'s credentials.',
      { platform: 'kuaishou', settings: ['KUAISHOU_APP_ID', 'KUAISHOU_APP_SECRET'] },
    );
  }

  /** The user of a state this browser was given, not expired and not used before; undefined for any other. */
  function redeem(state: string | undefined, browser: string | undefined): number | undefined {
    const m = STATE.exec(state ?? '');
    if (!m || !browser) return undefined;
    const [, userId, expires, nonce, given] = m as unknown as [string, string, string, string, string];
    if (!timingSafeEqualHex(given, mac(userId, expires, nonce, browser))) return undefined;
    const now = clock.now().getTime();
    const expiresMs = Number(expires) * 1000;
    if (now > expiresMs) return undefined;
    for (const [n, until] of spent) if (until < now) spent.delete(n);
    if (spent.has(nonce)) return undefined;
    spent.set(nonce, expiresMs);
    return Number(userId);
  }

  const consoleUrl = (query: Record<string, string>) => `${deps.publicBaseUrl}${CONSOLE_PAGE}?${new URLSearchParams(query)}`;
  const failed = (reason: OAuthFailure, platformCode?: number) =>
    consoleUrl({ kuaishou: 'error', reason, ...(platformCode === undefined ? {} : { code: String(platformCode) }) });

  /** Exchanges the code and binds the tokens; answers where the browser goes next. */
  async function bindCode(userId: number, app: KuaishouApp, code: string): Promise<string> {
    let answer;
    try {
      answer = await kuaishouTokens(deps.endpoint, app, { grant_type: 'authorization_code', code });
    } catch (err) {
      log.warn({ user_id: userId, platform_code: err instanceof PlatformError ? err.code : undefined }, 'kuaishou code exchange failed');
      return failed('unavailable');
    }
    if (!answer.ok) {
      log.info({ user_id: userId, platform_code: answer.result, platform_message: answer.said }, 'kuaishou refused the authorisation code');
      return failed('refused', answer.result);
    }
    const t = answer.tokens;
    // The user may untick a permission on Kuaishou's page: a binding that cannot publish is not made.
    if (t.scopes && !t.scopes.includes(PUBLISH_SCOPE)) return failed('no_publish_scope');
    try {
      await deps.publishing.bind(userId, 'kuaishou', {
        access_token: t.access_token,
        ...(t.refresh_token ? { refresh_token: t.refresh_token } : {}),
        ...(t.open_id ? { open_id: t.open_id } : {}),
      });
    } catch (err) {
      if (err instanceof AppError && err.code === 'PUBLISH_FAILED') {
        log.info({ user_id: userId, platform_code: err.details?.platform_code }, 'kuaishou refused the authorised tokens');
        return failed('refused');
      }
      log.error({ user_id: userId, err }, 'kuaishou binding could not be stored');
      return failed('unavailable');
    }
    log.info({ user_id: userId }, 'kuaishou bound by authorisation');
    return consoleUrl({ kuaishou: 'bound' });
  }

  return {
    /** The URL that asks the user to authorise; `browser` goes into the cookie that must come back with the state. */
    authorize(userId: number): { url: string; browser: string; expiresIn: number } {
      const app = appOf();
      const browser = randomBytes(24).toString('base64url');
      const nonce = randomBytes(16).toString('base64url');
      const expires = String(Math.floor(clock.now().getTime() / 1000) + STATE_TTL_SECONDS);
      const state = [userId, expires, nonce, mac(String(userId), expires, nonce, browser)].join('.');
      const query = new URLSearchParams({
        app_id: app.appId,
        scope: KUAISHOU_SCOPES.join(','),
        response_type: 'code',
        // The web-app flow of Kuaishou's documentation (a desktop login page; it also offers a QR code to scan).
        ua: 'pc',
        redirect_uri: `${deps.publicBaseUrl}${KUAISHOU_CALLBACK_PATH}`,
        state,
      });
      return { url: `${deps.endpoint.root}/oauth2/authorize?${query}`, browser, expiresIn: STATE_TTL_SECONDS };
    },

    /** Where Kuaishou sent the browser: checks the state, then binds. Never throws; every outcome is a redirect. */
    async callback(input: CallbackInput): Promise<string> {
      const userId = redeem(input.state, input.browser);
      if (userId === undefined) return failed('invalid_state');
      if (!deps.app) return failed('unavailable');
      // No code: the user declined on Kuaishou's page.
      if (!input.code) return failed('denied');
      return bindCode(userId, deps.app, input.code);
    },
  };
}

export type KuaishouOAuth = ReturnType<typeof createKuaishouOAuth>;
