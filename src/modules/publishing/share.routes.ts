import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config } from '../../config.ts';
import type { SecretBox } from '../../platform/crypto.ts';
import type { Database } from '../../platform/db.ts';
import { studioEnvelope, studioOk } from '../../platform/envelopes.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import type { Clock } from '../../platform/time.ts';
import { PlatformError } from './adapter.ts';
import { createXhsShareSigner, shareTokenJob, shareTokenMatches, XhsShareNote, type XhsShareSigner } from './adapters/xiaohongshu.ts';
import * as repo from './publishing.repo.ts';

// The phone's side of a Xiaohongshu share (adapters/xiaohongshu.ts). The console's public page
// /share/xiaohongshu/<token> asks this route for the note and a verify config, then calls the JS SDK's xhs.share.
// There is no session on the phone: the token, random and stored with the job, is the capability. It answers only
// while its job waits for the user with a share and its account is still bound; anything else — malformed, unknown,
// forged, confirmed, unbound — is the same 404, which says nothing of why. The answer holds the app's key (public by
// design: the SDK sends it), a signature and the media's signed links; never the secret or the access token.

// Any text: a token of the wrong shape is just another unknown token (404), not a bad request.
const ShareParams = z.object({ token: z.string() });

/** The stored note's fields, its media (file-store keys there) as public links working as long as the verify config does. */
const ShareInfo = XhsShareNote;

const VerifyConfig = z.object({ appKey: z.string(), nonce: z.string(), timestamp: z.string(), signature: z.string() });

const ShareResponse = studioEnvelope(z.object({ share_info: ShareInfo, verify_config: VerifyConfig }));

export interface XiaohongshuShareDeps {
  database: Database;
  clock: Clock;
  box: SecretBox;
  signer: XhsShareSigner;
  /** A public link to a stored file, working until `until`. */
  fileUrl: (key: string, until: Date) => string;
}

export function createXiaohongshuShares(deps: XiaohongshuShareDeps) {
  const { database, clock, box, signer, fileUrl } = deps;
  const db = database.db;
  const gone = () => notFound('Share');

  return {
    async get(token: string): Promise<{ share_info: z.infer<typeof ShareInfo>; verify_config: z.infer<typeof VerifyConfig> }> {
      const jobId = shareTokenJob(token);
      const job = jobId === undefined ? undefined : await repo.jobById(db, jobId);
      if (!job || !shareTokenMatches(job.progress.share_token, token)) throw gone();
      const note = XhsShareNote.safeParse(job.progress.share_note);
      if (job.platform !== 'xiaohongshu' || job.state !== 'needs_user_action' || job.action?.kind !== 'share' || !note.success) throw gone();
      const binding = await repo.bindingById(db, job.bindingId);
      if (!binding || binding.deletedAt) throw gone();

      let signed;
      try {
        signed = await signer.current(JSON.parse(box.decrypt(binding.credentials)) as Record<string, string>, job.progress.share);
      } catch (err) {
        if (!(err instanceof PlatformError)) throw err;
        throw new AppError('SERVICE_UNAVAILABLE', 'Xiaohongshu did not sign this share just now: try again in a moment, or post the note bundle from Tollgate.');
      }
      const { config } = signed;
      // Kept for the next visit; only while the job still waits (a confirmation in between wins).
      if (signed.renewed) await repo.updateIdle(db, job.id, ['needs_user_action'], clock.now(), { progress: { ...job.progress, share: config } });

      const until = new Date(config.expires_at);
      const link = (key: string) => fileUrl(key, until);
      const n = note.data;
      return {
        share_info: {
          type: n.type,
          title: n.title,
          content: n.content,
          images: n.images.map(link),
          ...(n.video ? { video: link(n.video) } : {}),
          ...(n.cover ? { cover: link(n.cover) } : {}),
        },
        verify_config: { appKey: config.appKey, nonce: config.nonce, timestamp: config.timestamp, signature: config.signature },
      };
    },
  };
}

export type XiaohongshuShares = ReturnType<typeof createXiaohongshuShares>;

export async function xiaohongshuShareRoutes(root: FastifyInstance, deps: { shares: XiaohongshuShares }) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  app.get(
    '/api/v1/publish/share/xiaohongshu/:token',
    {
      schema: {
        tags: ['publishing'],
        summary: 'A Xiaohongshu share, for the phone page that opens it in the app',
        description:
          'No session: the token in the job\'s `share_url` is the credential. Answers the note as the JS SDK\'s `shareInfo` (media as public links) and a ' +
          '`verifyConfig` signed with a current access token, for `xhs.share({ shareInfo, verifyConfig })`. 404 for any token that does not open a share waiting for its user.',
        params: ShareParams,
        response: { 200: ShareResponse },
      },
    },
    async (req, reply) => {
      const share = await deps.shares.get(req.params.token);
      reply.header('cache-control', 'no-store');
      return studioOk(share);
    },
  );
}

/** Builds the signer from the configuration and registers the route (publishing.module.ts). */
export async function xiaohongshuSharePlugin(
  app: FastifyInstance,
  d: Omit<XiaohongshuShareDeps, 'signer'> & { config: Pick<Config, 'publishing'> },
) {
  const signer = createXhsShareSigner({ baseUrl: d.config.publishing.baseUrls.xiaohongshu });
  await app.register(xiaohongshuShareRoutes, { shares: createXiaohongshuShares({ ...d, signer }) });
}
