import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, useSessionStore } from '../api/client.ts';

// The signed-in user: tokens in localStorage, refreshed silently (a timer a minute before the access token expires,
// and once on any 401), the profile from /api/v1/auth/me.

export type Role = 'user' | 'supplier' | 'admin';

export interface Me {
  id: number;
  username: string;
  email: string | null;
  role: Role;
  credit_balance: number;
  is_member: boolean;
  membership_type: string | null;
  membership_end_date: string | null;
  referral_code: string;
}

interface Tokens {
  access: string;
  refresh: string;
}

const KEY = 'tollgate.session';

function load(): Tokens | undefined {
  try {
    const raw = localStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Tokens) : undefined;
  } catch {
    return undefined;
  }
}

let tokens: Tokens | undefined = load();
let refreshing: Promise<boolean> | undefined;
const listeners = new Set<() => void>();

function save(next: Tokens | undefined) {
  tokens = next;
  if (next) localStorage.setItem(KEY, JSON.stringify(next));
  else localStorage.removeItem(KEY);
  for (const l of listeners) l();
}

/** Forgets the stored session (component tests: each file starts signed out, web/src/test-setup.ts). */
export function forgetSession(): void {
  save(undefined);
}

async function refreshTokens(): Promise<boolean> {
  if (!tokens) return false;
  refreshing ??= (async () => {
    try {
      const res = await fetch('/api/v1/auth/refresh', { method: 'POST', headers: { authorization: `Bearer ${tokens?.refresh}` } });
      if (!res.ok) {
        save(undefined);
        return false;
      }
      const data = (await res.json()).data as { access_token: string; refresh_token?: string };
      save({ access: data.access_token, refresh: data.refresh_token ?? (tokens as Tokens).refresh });
      return true;
    } catch {
      return false;
    } finally {
      refreshing = undefined;
    }
  })();
  return refreshing;
}

useSessionStore({ accessToken: () => tokens?.access, refresh: refreshTokens });

/** Seconds until a JWT expires (undefined when it cannot be read). */
function secondsLeft(jwt: string): number | undefined {
  try {
    const payload = JSON.parse(atob(jwt.split('.')[1]?.replace(/-/g, '+').replace(/_/g, '/') ?? '')) as { exp?: number };
    return payload.exp === undefined ? undefined : payload.exp - Date.now() / 1000;
  } catch {
    return undefined;
  }
}

/** What `/api/v1/auth/login` (and the operator setup) answer with. */
export interface SessionTokens {
  access_token: string;
  refresh_token: string;
}

interface SessionValue {
  signedIn: boolean;
  me?: Me;
  loading: boolean;
  login(username: string, password: string): Promise<void>;
  /** Keeps the session a sign-in endpoint answered with (login, or an operator setup link). */
  start(tokens: SessionTokens): Promise<void>;
  register(username: string, email: string, password: string): Promise<void>;
  logout(): Promise<void>;
  reload(): Promise<void>;
}

const SessionContext = createContext<SessionValue | undefined>(undefined);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [signedIn, setSignedIn] = useState(Boolean(tokens));
  const [me, setMe] = useState<Me>();
  const [loading, setLoading] = useState(Boolean(tokens));

  useEffect(() => {
    const l = () => setSignedIn(Boolean(tokens));
    listeners.add(l);
    return () => void listeners.delete(l);
  }, []);

  const reload = useCallback(async () => {
    if (!tokens) {
      setMe(undefined);
      setLoading(false);
      return;
    }
    try {
      setMe(await api.get<Me>('/api/v1/auth/me'));
    } catch {
      setMe(undefined);
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    void reload();
  }, [signedIn, reload]);

  // Silent refresh a minute before the access token expires.
  useEffect(() => {
    if (!signedIn || !tokens) return;
    const left = secondsLeft(tokens.access);
    if (left === undefined) return;
    const timer = setTimeout(() => void refreshTokens(), Math.max(5, left - 60) * 1000);
    return () => clearTimeout(timer);
  }, [signedIn, me]);

  const value = useMemo<SessionValue>(
    () => ({
      signedIn,
      me,
      loading,
      async login(username, password) {
        await value.start(await api.post<SessionTokens>('/api/v1/auth/login', { username, password }, { noRefresh: true }));
      },
      async start(data) {
        setLoading(true);
        save({ access: data.access_token, refresh: data.refresh_token });
        await reload();
      },
      async register(username, email, password) {
        await api.post('/api/v1/auth/register', { username, email, password }, { noRefresh: true });
        await value.login(username, password);
      },
      async logout() {
        await api.post('/api/v1/auth/logout', undefined, { noRefresh: true }).catch(() => undefined);
        save(undefined);
        setMe(undefined);
      },
      reload,
    }),
    [signedIn, me, loading, reload],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}
