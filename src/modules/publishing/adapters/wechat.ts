import { z } from 'zod';
import type { Clock } from '../../../platform/time.ts';
import { PlatformError, type Outcome, type PlatformAdapter, type Progress, type PublishContent, type PublishRun } from '../adapter.ts';
import { checkImage, createWechatClient, type WechatClient, type WechatCredentials } from './wechat-client.ts';

// 微信公众号 by its API: cover → permanent material, body images → uploadimg URLs, one draft, one free-publish
// submission, then polling. Every platform id is saved the moment it arrives, and a marker is saved before each call
// that creates something (draft, submission), so a run that never heard back looks before it acts again: a draft is
// found by its cover's media_id, a publication by the published list — a second submission is never made.

const ACCEPTS = ['writing', 'image'] as const;
const TITLE_MAX = 64;
const CONTENT_MAX = 20_000;

const Credentials = z
  .object({
    // An AppID is `wx` and 16 hex digits; an AppSecret is 32 hex digits (设置与开发 → 基本配置).
    app_id: z.string().trim().regex(/^wx[0-9a-f]{16}$/i, 'An AppID is wx followed by 16 letters and digits'),
    app_secret: z.string().trim().regex(/^[0-9a-f]{32}$/i, 'An AppSecret is 32 letters and digits'),
  })
  .strict();

/** What each failed publish_status means, as WeChat's free-publishing documentation names it. */
const PUBLISH_FAILURES: Record<number, string> = {
  2: 'WeChat refused it as original content (原创声明失败): remove the original-content claim or check its source, then publish again.',
  3: 'WeChat could not publish it (常规失败): open the draft in the official account backend and publish it there.',
  4: 'WeChat\'s review rejected it (平台审核不通过): change the content, then publish again.',
  5: 'It was published, then deleted by the account (成功后用户删除所有文章).',
  6: 'It was published, then blocked by WeChat (成功后系统封禁所有文章).',
};

interface Step {
  client: WechatClient;
  cred: WechatCredentials;
  r: PublishRun;
  content: PublishContent;
  progress: Progress;
  save(patch: Parameters<PublishRun['save']>[0]): Promise<void>;
}

const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
/** A refusal that came with an errcode other than "system busy": WeChat did not do it. */
const notDone = (err: unknown) => err instanceof PlatformError && /^\d+$/.test(err.code);

function credentialsOf(raw: Record<string, string>): WechatCredentials {
  const parsed = Credentials.safeParse(raw);
  if (!parsed.success) throw new PlatformError('credentials', 'The saved AppID / AppSecret are not in WeChat\'s format: bind the account again.', false);
  return { appId: parsed.data.app_id, appSecret: parsed.data.app_secret };
}

function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The article's HTML with every body image pointing at its WeChat URL (WeChat drops images hosted elsewhere). */
function articleHtml(content: PublishContent, urls: Record<string, string>): string {
  let html = content.html;
  for (const image of content.images) {
    const url = urls[image.ref] as string;
    html = html.split(escapeAttr(image.ref)).join(escapeAttr(url)).split(image.ref).join(escapeAttr(url));
  }
  if (html.length > CONTENT_MAX) {
    throw new PlatformError('content_too_long', `The article is ${html.length} characters with WeChat's image links; WeChat takes fewer than ${CONTENT_MAX}. Shorten it and publish again.`, false);
  }
  return html;
}

async function uploadAssets(s: Step): Promise<void> {
  const pending = s.content.images.filter((i) => !text((s.progress.image_urls as Record<string, unknown> | undefined)?.[i.ref]));
  if (!text(s.progress.thumb_media_id) || pending.length > 0) await s.save({ state: 'uploading_assets' });
  if (!text(s.progress.thumb_media_id)) {
    if (!s.content.cover) throw new PlatformError('no_cover', 'WeChat articles need a cover image: add an image to the creation or choose a cover.', false);
    const { mediaId } = await s.client.addMaterialImage(s.cred, s.content.cover, s.r.signal);
    await s.save({ progress: { thumb_media_id: mediaId } });
  }
  const urls = { ...((s.progress.image_urls as Record<string, string> | undefined) ?? {}) };
  for (const image of pending) {
    urls[image.ref] = (await s.client.uploadBodyImage(s.cred, image, s.r.signal)).url;
    await s.save({ progress: { image_urls: { ...urls } } });
  }
}

async function createDraft(s: Step): Promise<string> {
  const thumb = s.progress.thumb_media_id as string;
  let mediaId = s.progress.draft_requested === true ? await s.client.findDraftByThumb(s.cred, thumb, s.r.signal) : undefined;
  if (!mediaId) {
    const content = articleHtml(s.content, (s.progress.image_urls as Record<string, string> | undefined) ?? {});
    await s.save({ progress: { draft_requested: true } });
    try {
      ({ mediaId } = await s.client.addDraft(s.cred, { title: s.content.title, digest: s.content.summary, content, thumbMediaId: thumb }, s.r.signal));
    } catch (err) {
      if (notDone(err)) await s.save({ progress: { draft_requested: false } });
      throw err;
    }
  }
  await s.save({ state: 'draft_created', progress: { draft_media_id: mediaId } });
  return mediaId;
}

/** Submits the draft once; answers the publish_id, or the outcome when there is nothing to poll. */
async function submitOnce(s: Step, draftId: string): Promise<string | Outcome> {
  if (s.progress.submit_requested === true) {
    const found = await s.client.findPublishedByThumb(s.cred, s.progress.thumb_media_id as string, s.r.signal);
    if (found) {
      await s.save({ progress: { article_id: found.articleId } });
      return { kind: 'published', ...(found.url ? { url: found.url } : {}) };
    }
    // Not in WeChat's list (yet): only the user, having looked in the backend, may send it again.
    if (s.progress.user_checked_backend !== true) {
      const message = 'A publish may have been submitted without WeChat confirming it; check 发表记录 in the official account backend, then retry here only if it is not there.';
      return { kind: 'needs_user_action', action: { kind: 'check_backend', message } };
    }
  }
  await s.save({ progress: { submit_requested: true, user_checked_backend: false } });
  let publishId: string;
  try {
    ({ publishId } = await s.client.submit(s.cred, draftId, s.r.signal));
  } catch (err) {
    if (err instanceof PlatformError && err.code === '48001') {
      await s.save({ progress: { submit_requested: false } });
      const message = 'Draft created: publish it in the official account backend (this account cannot publish by API).';
      return { kind: 'needs_user_action', action: { kind: 'publish_in_backend', message } };
    }
    // "System busy" may have half-happened: only another errcode proves nothing was submitted.
    if (notDone(err) && (err as PlatformError).code !== '-1') await s.save({ progress: { submit_requested: false } });
    throw err;
  }
  await s.save({ state: 'submitted', progress: { publish_id: publishId } });
  return publishId;
}

async function poll(s: Step, publishId: string, pollSeconds: number): Promise<Outcome> {
  const status = await s.client.publishStatus(s.cred, publishId, s.r.signal);
  if (status.publishStatus === 0) {
    if (status.articleId) await s.save({ progress: { article_id: status.articleId } });
    return { kind: 'published', ...(status.articleUrl ? { url: status.articleUrl } : {}) };
  }
  if (status.publishStatus === 1) return { kind: 'pending', retryAfterSeconds: pollSeconds };
  const message = PUBLISH_FAILURES[status.publishStatus] ?? `WeChat reported publish status ${status.publishStatus}, which this server does not know.`;
  throw new PlatformError(`publish_status_${status.publishStatus}`, message, false);
}

export function createWechatAdapter(deps: { baseUrl: string; fetch?: typeof fetch; pollSeconds?: number; clock?: Clock }): PlatformAdapter {
  const client = createWechatClient(deps);
  const pollSeconds = deps.pollSeconds ?? 30;

  return {
    platform: 'wechat',
    label: '微信公众号',
    capability: 'api_publish',
    accepts: ACCEPTS,
    credentialFields: [
      { name: 'app_id', label: 'AppID', secret: false },
      { name: 'app_secret', label: 'AppSecret', secret: true },
    ],
    credentials: Credentials,

    async verify(credentials, signal) {
      await client.verify(credentialsOf(credentials), signal);
      return {
        accountName: null,
        accountType: 'official_account',
        capability: 'api_publish',
        note: 'Verified (认证) accounts publish by API; unverified accounts can only create drafts, which you publish in the official account backend.',
      };
    },

    refuse(content) {
      if (!(ACCEPTS as readonly string[]).includes(content.type)) return `WeChat official accounts take articles and images, not ${content.type}.`;
      if (!content.cover) return 'WeChat articles need a cover image: add an image to the creation or choose a cover.';
      const title = Array.from(content.title.trim()).length;
      if (title === 0) return 'WeChat articles need a title.';
      if (title > TITLE_MAX) return `The title is ${title} characters; WeChat takes at most ${TITLE_MAX}.`;
      if (content.html.length >= CONTENT_MAX) return `The article is ${content.html.length} characters of HTML; WeChat takes fewer than ${CONTENT_MAX}.`;
      try {
        checkImage(content.cover, 'cover');
        for (const image of content.images) checkImage(image, 'body');
      } catch (err) {
        return (err as PlatformError).message;
      }
      return null;
    },

    async run(r) {
      const progress: Progress = { ...r.progress };
      const s: Step = {
        client, r, progress,
        cred: credentialsOf(r.credentials),
        content: await r.content(),
        async save(patch) {
          await r.save(patch);
          Object.assign(progress, patch.progress);
        },
      };
      await uploadAssets(s);
      const draftId = text(progress.draft_media_id) ?? (await createDraft(s));
      const submitted = text(progress.publish_id) ?? (await submitOnce(s, draftId));
      return typeof submitted === 'string' ? poll(s, submitted, pollSeconds) : submitted;
    },
  };
}
