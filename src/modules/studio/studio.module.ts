import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config.ts';
import { deriveSecret } from '../../platform/crypto.ts';
import type { Database } from '../../platform/db.ts';
import { createFileStore, type FileStore } from '../../platform/files.ts';
import { registerFileRoutes, signedFileUrl } from '../../platform/files.routes.ts';
import type { JobDefinition, JobQueue } from '../../platform/jobs.ts';
import { createUrlSigner } from '../../platform/signed-urls.ts';
import type { Clock } from '../../platform/time.ts';
import type { MembershipService } from '../commerce/membership.service.ts';
import type { Gateway } from '../gateway/gateway.service.ts';
import type { AuthHooks } from '../identity/auth.hooks.ts';
import type { UserService } from '../identity/users.service.ts';
import type { Ledger } from '../ledger/ledger.service.ts';
import type { Payer } from '../metering/payers.ts';
import { createDashScopeTasks } from '../providers/qwen/tasks.ts';
import type { Candidate } from '../routing/candidates.ts';
import { creationRoutes } from './creations.routes.ts';
import { createCreationService, type CreationService } from './creations.service.ts';
import { createGenerations } from './generations.service.ts';
import { createImageService } from './image.service.ts';
import { mediaRoutes } from './media.routes.ts';
import { createStudioModels } from './model-calls.ts';
import type { ModelRegistry } from './models.service.ts';
import { createPptService } from './ppt.service.ts';
import { videoJobs } from './video.jobs.ts';
import { videoRoutes } from './video.routes.ts';
import { createVideoService } from './video.service.ts';
import { writingRoutes } from './writing.routes.ts';
import { createWritingService } from './writing.service.ts';

// Wires the creator studio: the file store and its signed links, creations, credit-holding generations, and the
// tools — writing, image, PPT, video — whose model calls go through the gateway as platform `studio`.

export interface StudioModuleDeps {
  config: Config & { masterKey: string };
  database: Database;
  clock: Clock;
  ledger: Ledger;
  membership: MembershipService;
  registry: ModelRegistry;
  gateway: Gateway;
  users: UserService;
  auth: AuthHooks;
  jobs: JobQueue;
}

/** DashScope's task API lives at the host's root; the chat adapter's base is its compatible mode under it. */
const dashScopeRoot = (baseUrl: string) => baseUrl.replace(/\/compatible-mode(\/v1)?\/?$/, '');

export interface StudioModule {
  jobs: JobDefinition<object>[];
  /** For publishing: the creations, their files, and signed links to them. */
  creations: CreationService;
  files: FileStore;
  fileUrl: (key: string) => string;
  /** A signed link that works until `until` (a share a platform fetches later). */
  fileUrlUntil: (key: string, until: Date) => string;
}

export async function studioModule(app: FastifyInstance, d: StudioModuleDeps): Promise<StudioModule> {
  const { config, database, clock } = d;
  const files = createFileStore(config.files);
  // Its own key: a link signed for one route can never open another's files.
  const signer = createUrlSigner(deriveSecret(config.masterKey, 'file-urls'));
  registerFileRoutes(app, { store: files, signer, now: () => clock.now() });
  const fileUrl = (key: string) => signedFileUrl(signer, config.publicBaseUrl, key, config.files.urlTtlSeconds, clock.now());

  let payer: Payer | undefined;
  const systemPayer = async (): Promise<Payer> => {
    const user = await d.users.systemUser();
    return (payer ??= { userId: user.id, billingMode: 'postpaid', creditLimitMicros: null });
  };
  const tasksFor = (c: Candidate) => createDashScopeTasks({ baseUrl: dashScopeRoot(c.baseUrl), apiKey: () => c.credential() });
  const creations = createCreationService({ database, clock, fileUrl });
  const generations = createGenerations({ database, clock, ledger: d.ledger, membership: d.membership, log: app.log });
  const models = createStudioModels({ gateway: d.gateway, payer: systemPayer });
  const ttlMs = config.studio.holdTtlSeconds * 1000;
  const allowPrivate = config.allowPrivateUpstreams;

  const writing = createWritingService({ generations, models, registry: d.registry, creations, ttlMs });
  const image = createImageService({
    generations, models, gateway: d.gateway, payer: systemPayer, tasksFor, registry: d.registry, creations, files, fileUrl, now: () => clock.now().getTime(),
    config: { ttlMs, allowPrivate, taskPollMs: 2_000, taskTimeoutMs: Math.max(Math.min(ttlMs - 60_000, 180_000), 10_000) },
  });
  const ppt = createPptService({ generations, models, registry: d.registry, creations, files, fileUrl, ttlMs });
  const video = createVideoService({
    generations, creations, files, gateway: d.gateway, payer: systemPayer, registry: d.registry, clock, tasksFor, fileUrl,
    enqueue: (job, data, o) => d.jobs.send(job, data, o),
    config: { pollSeconds: config.studio.videoPollSeconds, timeoutSeconds: config.studio.videoTimeoutSeconds, allowPrivate, defaultModel: 'wanx2.1-t2v-turbo', creditsPerSecond: 2 },
  });

  await app.register(creationRoutes, { creations, auth: d.auth });
  await app.register(writingRoutes, { writing, auth: d.auth, heartbeatMs: config.studio.heartbeatMs });
  await app.register(mediaRoutes, { image, ppt, auth: d.auth });
  await app.register(videoRoutes, { video, auth: d.auth });

  // Holds nobody finished (a crash, a lost request) go back once past their TTL: at boot, and every minute.
  app.addHook('onReady', async () => {
    const released = await generations.sweep();
    if (released > 0) app.log.warn({ released }, 'released the credits of studio generations left unfinished');
  });
  return {
    creations,
    files,
    fileUrl,
    fileUrlUntil: (key, until) => signedFileUrl(signer, config.publicBaseUrl, key, Math.max(Math.ceil((until.getTime() - clock.now().getTime()) / 1000), 60), clock.now()),
    jobs: [{ name: 'studio.sweep', cron: '* * * * *', handler: async () => ({ released: await generations.sweep() }) }, ...videoJobs(video)],
  };
}
