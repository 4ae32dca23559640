import { Writable } from 'node:stream';
import { DrizzleQueryError } from 'drizzle-orm';
import { describe, expect, it, vi } from 'vitest';
import { createLogger, lazyChildLogger, prettyStream, redactUrl, resolveLogFormat, serializeError } from './logging.ts';

function sink() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { stream, lines };
}

function capture() {
  const { stream, lines } = sink();
  return { log: createLogger({ level: 'info', stream }), lines };
}

describe('redactUrl', () => {
  it.each([
    ['/1/usages?key=sk-abcdef', '/1/usages?key=[Redacted]'],
    ['/x?a=1&api_key=sk-1&b=2', '/x?a=1&api_key=[Redacted]&b=2'],
    ['/x?token=t1&access_token=t2&refresh_token=t3', '/x?token=[Redacted]&access_token=[Redacted]&refresh_token=[Redacted]'],
    ['/x?PASSWORD=hunter2#frag', '/x?PASSWORD=[Redacted]#frag'],
    ['/x?apikey=1&secret=2', '/x?apikey=[Redacted]&secret=[Redacted]'],
    ['/cb?code=ab12&state=s1', '/cb?code=[Redacted]&state=s1'],
    ['/x?app_secret=1&client_secret=2&zipcode=3', '/x?app_secret=[Redacted]&client_secret=[Redacted]&zipcode=3'],
    ['/x?monkey=banana', '/x?monkey=banana'],
    ['/x/key=not-a-query', '/x/key=not-a-query'],
  ])('%s → %s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });
});

describe('createLogger', () => {
  it('redacts credential fields at any of the first three levels', () => {
    const { log, lines } = capture();
    log.info(
      {
        password: 'hunter2-top',
        body: { new_password: 'hunter2-nested', api_key: 'sk-nested-key' },
        deep: { user: { passwordHash: '$argon2id$deep', token: 'tok-deep' } },
        authorization: 'Bearer eyJ.top',
      },
      'something happened',
    );
    const text = lines.join('');
    for (const secret of ['hunter2', 'sk-nested-key', '$argon2id$deep', 'tok-deep', 'eyJ.top']) expect(text).not.toContain(secret);
    expect(text).toContain('[Redacted]');
    expect(text).toContain('something happened');
  });

  it('logs a request as method, redacted url, ip and user agent only: never its headers', () => {
    const { log, lines } = capture();
    log.info(
      {
        req: {
          method: 'GET',
          url: '/1/me?key=sk-in-the-query',
          ip: '10.0.0.1',
          headers: { authorization: 'Bearer sk-in-the-header', cookie: 'sid=cookie-secret', 'user-agent': 'vitest' },
        },
      },
      'incoming request',
    );
    const line = JSON.parse(lines[0] ?? '{}');
    expect(line.req).toEqual({ method: 'GET', url: '/1/me?key=[Redacted]', ip: '10.0.0.1', userAgent: 'vitest' });
    expect(lines.join('')).not.toMatch(/sk-in-the|cookie-secret/);
  });
});

describe('serializeError', () => {
  function queryError(params: unknown[], cause: Error) {
    return new DrizzleQueryError('insert into "users" ("email", "password_hash") values ($1, $2)', params, cause);
  }
  const pgError = (message: string, fields: Record<string, unknown>) => Object.assign(new Error(message), fields);

  it('logs a database error as SQL text, SQLSTATE and constraint, without parameters or quoted values', () => {
    const hash = '$argon2id$v=19$m=19456,t=2,p=1$c2VjcmV0LWhhc2g';
    const err = queryError(
      ['a@example.com', hash],
      pgError('duplicate key value violates unique constraint "users_email_key"', {
        code: '23505',
        constraint: 'users_email_key',
        detail: `Key (password_hash)=(${hash}) already exists.`,
      }),
    );
    const serialized = serializeError(err);
    expect(serialized).toMatchObject({
      type: 'DrizzleQueryError',
      message: 'database error 23505',
      query: 'insert into "users" ("email", "password_hash") values ($1, $2)',
      code: '23505',
      constraint: 'users_email_key',
    });
    const text = JSON.stringify(serialized);
    expect(text).not.toContain('c2VjcmV0LWhhc2g');
    expect(text).not.toContain('a@example.com');
    expect(String(serialized.stack)).toMatch(/^\s+at /);
  });

  it('drops the value PostgreSQL quotes in its own message', () => {
    const err = pgError('invalid input syntax for type integer: "sk-leaked-key"', { code: '22P02' });
    expect(JSON.stringify(serializeError(err))).not.toContain('sk-leaked-key');
  });

  it('keeps ordinary errors as they are', () => {
    const serialized = serializeError(new Error('upstream timed out'));
    expect(serialized).toMatchObject({ type: 'Error', message: 'upstream timed out' });
    expect(String(serialized.stack)).toContain('upstream timed out');
  });

  it('is the serializer the logger uses for err', () => {
    const { log, lines } = capture();
    log.error({ err: queryError(['sk-param-secret'], pgError('boom "sk-param-secret"', { code: 'XX000' })) }, 'unhandled error');
    expect(lines.join('')).not.toContain('sk-param-secret');
    expect(lines.join('')).toContain('database error XX000');
  });
});

describe('resolveLogFormat', () => {
  it.each([
    ['auto', 'development', true, 'pretty'],
    ['auto', 'test', true, 'pretty'],
    ['auto', 'development', false, 'json'],
    ['auto', 'production', true, 'json'],
    ['json', 'development', true, 'json'],
    ['pretty', 'production', false, 'pretty'],
  ] as const)('%s with NODE_ENV=%s, terminal=%s → %s', (setting, nodeEnv, isTTY, expected) => {
    expect(resolveLogFormat(setting, nodeEnv, isTTY)).toBe(expected);
  });
});

describe('prettyStream', () => {
  async function prettyLines(write: (log: ReturnType<typeof createLogger>) => void, count: number) {
    const { stream, lines } = sink();
    const log = createLogger({ level: 'info', stream: prettyStream({ destination: stream, colorize: false }) });
    write(log);
    // pino-pretty formats on its own turn of the event loop.
    await vi.waitFor(() => expect(lines.join('').split('\n').filter(Boolean)).toHaveLength(count));
    return lines.join('').split('\n').filter(Boolean);
  }

  it('writes a request as one readable line, redacted, without pid or hostname', async () => {
    const [line] = await prettyLines((log) => {
      log.child({ request_id: 'req_abc' }).info(
        {
          req: { method: 'GET', url: '/1/me?key=sk-in-the-query', ip: '10.0.0.1', headers: { authorization: 'Bearer sk-in-the-header' } },
          res: { statusCode: 404 },
          responseTime: 3.2,
          user_id: 7,
          error: { code: 'NOT_FOUND', message: 'Key not found' },
        },
        'request completed',
      );
    }, 1);
    expect(line).toMatch(/^\[\d{2}:\d{2}:\d{2}\.\d{3}\] INFO: GET \/1\/me\?key=\[Redacted\] 404 3\.2ms /);
    expect(line).toContain('"request_id":"req_abc"');
    expect(line).toContain('"user_id":7');
    expect(line).toContain('"code":"NOT_FOUND"');
    expect(line).not.toMatch(/sk-in-the|"pid"|"hostname"|request completed/);
  });

  it('keeps every other line on one line with its message and fields, secrets redacted', async () => {
    const lines = await prettyLines((log) => {
      log.warn({ candidate: 'ch_1', detail: { api_key: 'sk-nested-secret' } }, 'shared caps unavailable');
      log.info('Tollgate listening');
    }, 2);
    expect(lines[0]).toMatch(/WARN: shared caps unavailable \{"candidate":"ch_1","detail":\{"api_key":"\[Redacted\]"\}\}$/);
    expect(lines[1]).toMatch(/INFO: Tollgate listening$/);
    expect(lines.join('\n')).not.toContain('sk-nested-secret');
  });
});

describe('lazyChildLogger', () => {
  it('makes the pino child only when something logs, and then writes with its bindings', () => {
    const lines: string[] = [];
    const root = createLogger({ level: 'info', format: 'json', stream: { write: (l: string) => void lines.push(l) } });
    const child = vi.spyOn(root, 'child');
    const lazy = lazyChildLogger(root, { request_id: 'req-1' }, {});
    expect(lazy.level).toBe('info');
    expect(child).not.toHaveBeenCalled();
    lazy.debug('below the level');
    lazy.info({ n: 1 }, 'hello');
    lazy.warn('again');
    expect(child).toHaveBeenCalledTimes(1);
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ request_id: 'req-1', n: 1, msg: 'hello' }),
      expect.objectContaining({ request_id: 'req-1', msg: 'again' }),
    ]);
  });
});
