// Who is calling. Set by the identity module's auth hooks; read by rate limits, logs and services.

export type Role = 'user' | 'supplier' | 'admin';

export interface Principal {
  userId: number;
  role: Role;
  /** How the caller authenticated: a console session (JWT) or an API key. */
  via: 'session' | 'api_key';
  sessionId?: string;
  apiKeyId?: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}
