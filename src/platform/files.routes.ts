import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { notFound } from './errors.ts';
import { fileNameOf, isFileKey, type ByteRange, type FileStore } from './files.ts';
import type { UrlSigner } from './signed-urls.ts';

// Stored files behind signed, expiring links (DESIGN.md §1 "Files"): the link is the credential, so a browser's <img>,
// <video> or download needs no session. Whatever is wrong with a link — altered, expired, or the file gone — the answer
// is the same 404, so a link says nothing about files it does not name.

export interface FileRouteDeps {
  store: FileStore;
  signer: UrlSigner;
  now: () => Date;
}

export const filePath = (key: string) => `/files/${key}`;

/** An absolute link to `key` that works for `ttlSeconds` from `now` (whole seconds, as the signature carries them). */
export function signedFileUrl(signer: UrlSigner, publicBaseUrl: string, key: string, ttlSeconds: number, now: Date): string {
  if (!isFileKey(key)) throw new Error('signedFileUrl: invalid file key');
  return `${publicBaseUrl.replace(/\/+$/, '')}${signer.sign(filePath(key), new Date(now.getTime() + ttlSeconds * 1000))}`;
}

/**
 * The one range asked for, clipped to the file; `undefined` when the header is absent, malformed or asks for several
 * ranges (the whole file is then sent, as RFC 9110 §14.2 allows); `unsatisfiable` when it starts past the end.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  const m = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  const [first, last] = [m[1] as string, m[2] as string];
  if (first === '') {
    const suffix = Number(last);
    return suffix === 0 || size === 0 ? 'unsatisfiable' : { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) return undefined;
  return start >= size ? 'unsatisfiable' : { start, end };
}

/**
 * Images and videos open in the browser; anything else downloads. SVG downloads too: opened at our origin it could
 * run script.
 */
function dispositionFor(contentType: string, key: string): string {
  const inline = /^(image|video)\//.test(contentType) && !contentType.startsWith('image/svg');
  return `${inline ? 'inline' : 'attachment'}; filename="${fileNameOf(key)}"`;
}

const FileQuery = z.object({ expires: z.string().max(20).optional(), signature: z.string().max(128).optional() });

export function registerFileRoutes(root: FastifyInstance, deps: FileRouteDeps): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { store, signer } = deps;

  app.route({
    method: ['GET', 'HEAD'],
    url: '/files/*',
    // Reached only through links the API hands out; not an operation of its own in the OpenAPI document.
    schema: { hide: true, params: z.object({ '*': z.string().max(1200) }), querystring: FileQuery },
    handler: async (req, reply) => {
      const key = req.params['*'];
      const now = deps.now();
      if (!isFileKey(key) || !signer.verify(filePath(key), req.query.expires, req.query.signature, now)) throw notFound('File');

      // A GET of the whole file needs one call to the store; HEAD and ranges need the size first.
      const rangeHeader = req.method === 'GET' ? req.headers.range : undefined;
      let range: ByteRange | undefined;
      let info = req.method === 'HEAD' || rangeHeader !== undefined ? await store.stat(key) : undefined;
      if (info) {
        const asked = parseRange(rangeHeader, info.size);
        if (asked === 'unsatisfiable') {
          return reply.code(416).header('content-range', `bytes */${info.size}`).send({ code: 416, message: 'Range not satisfiable', data: null });
        }
        range = asked;
      }
      const opened = req.method === 'HEAD' ? undefined : await store.open(key, range);
      info ??= opened;
      if (!info || (req.method === 'GET' && !opened)) throw notFound('File');

      // The signature checked above says the link is good until `expires`; a cache may keep the file no longer.
      const maxAge = Math.max(0, Number(req.query.expires) - Math.floor(now.getTime() / 1000));
      reply
        .header('content-type', info.contentType)
        .header('cache-control', `private, max-age=${maxAge}`)
        .header('x-content-type-options', 'nosniff')
        // Should a file ever be opened as a page at our origin, it runs no script and reaches no session.
        .header('content-security-policy', 'sandbox')
        .header('content-disposition', dispositionFor(info.contentType, key))
        .header('accept-ranges', 'bytes');
      if (range) {
        reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${info.size}`).header('content-length', range.end - range.start + 1);
      } else {
        reply.header('content-length', info.size);
      }
      return reply.send(opened?.body);
    },
  });
}
