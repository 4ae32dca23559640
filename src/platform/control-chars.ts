import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from './errors.ts';

// C0 control characters (U+0000–U+001F) other than tab, line feed and carriage return are input errors everywhere: a
// NUL reaching PostgreSQL fails the statement (a 500), and one stored in a key or name would poison every request that
// uses it. One guard at the edge refuses them in every JSON body, query string and path parameter, in the path's
// envelope, before any route sees them.

/**
 * The JSON escapes that spell such a character (`\u0000`–`\u001f` but `\u0009`, `\u000a`, `\u000d`, and the short
 * `\b`, `\f`). An escaped backslash is matched as a pair, so the text `\\u0000` (a backslash, then "u0000") is not
 * mistaken for one. Raw control characters need no search: JSON.parse refuses them inside strings and outside.
 */
const CONTROL_ESCAPE = /\\(?:\\|[bf]|u00(?:0[0-8bcefBCEF]|1[0-9a-fA-F]))/g;

const RAW_CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f]/;

/** The first escape in JSON text that decodes to a refused control character, if any: one pass over the text. */
export function controlEscapeIn(jsonText: string): string | undefined {
  if (!jsonText.includes('\\')) return undefined;
  for (const match of jsonText.matchAll(CONTROL_ESCAPE)) {
    if (match[0] !== '\\\\') return match[0];
  }
  return undefined;
}

/** Whether a decoded string holds a refused control character. */
export const hasControlCharacter = (text: string) => RAW_CONTROL.test(text);

const describe = (where: string) =>
  `Control characters (U+0000–U+001F other than tab, line feed and carriage return) are not accepted in ${where}`;

function refused(where: string, field: string): AppError {
  return new AppError('VALIDATION_FAILED', describe(where), { field });
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route ignores (and names) unusable query values itself: its contract declares no 400. */
    lenientQuery?: boolean;
  }
}

/** The first query or path value holding a control character, as `query.name` / `params.name`. */
function controlInValues(values: unknown, prefix: string): string | undefined {
  if (!values || typeof values !== 'object') return undefined;
  for (const [name, value] of Object.entries(values)) {
    const list = Array.isArray(value) ? value : [value];
    if (hasControlCharacter(name) || list.some((v) => typeof v === 'string' && hasControlCharacter(v))) return `${prefix}.${name}`;
  }
  return undefined;
}

/**
 * Replaces the JSON body parser with one that refuses control escapes before parsing (keeping Fastify's own parser,
 * prototype-poisoning checks included), and checks query and path values before validation.
 */
export function registerControlCharacterGuard(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const escape = controlEscapeIn(body as string);
    if (escape) return done(refused(`JSON strings (found ${escape})`, 'body'), undefined);
    return parseJson(req, body as string, done);
  });

  app.addHook('preValidation', (req: FastifyRequest, _reply, done) => {
    // A route whose contract declares no 400 reads its query leniently (unusable values are ignored and announced).
    const lenient = req.routeOptions.config?.lenientQuery === true;
    const field = controlInValues(req.params, 'params') ?? (lenient ? undefined : controlInValues(req.query, 'query'));
    done(field ? refused(field.startsWith('params') ? 'the path' : 'the query string', field) : undefined);
  });
}
