import { z } from 'zod';
import { PlatformError, type BindingCheck, type PlatformAdapter, type PublishContent } from '../adapter.ts';
import { ensureBundle } from './bundle.ts';
import { trackProgress } from './open-platform.ts';

// 今日头条 has no public publishing API (its open platform offers login and content reading to partners, not posting
// to a user's 头条号), so Tollgate never claims to post there: it builds a ready-to-post bundle — a whole HTML page
// with its images, the title, the cover — and the user posts it at mp.toutiao.com. Nothing is sent anywhere, so there
// are no credentials to bind.

const ACCEPTS = ['writing', 'image'] as const;

const NOTE = 'Toutiao has no public publishing API: Tollgate prepares a ready-to-post bundle for you to post at mp.toutiao.com.';

function refuse(content: PublishContent): string | null {
  if (!(ACCEPTS as readonly string[]).includes(content.type)) return 'Toutiao takes articles and images; this creation cannot be posted there.';
  if (content.type === 'image' && content.images.length === 0) return 'This image creation has no image to post.';
  return null;
}

export function createToutiaoAdapter(): PlatformAdapter {
  return {
    platform: 'toutiao',
    label: '今日头条',
    capability: 'export',
    accepts: ACCEPTS,
    credentialFields: [],
    credentials: z.strictObject({}) as unknown as z.ZodType<Record<string, string>>,

    async verify(): Promise<BindingCheck> {
      return { accountName: null, accountType: 'manual', capability: 'export', note: NOTE };
    },

    refuse,

    async run(r) {
      const tracked = trackProgress(r);
      const fileKey = await ensureBundle(r, tracked, async () => {
        const content = await r.content();
        const refusal = refuse(content);
        if (refusal) throw new PlatformError('unsupported_content', refusal, false);
        return content;
      }, { platform: 'toutiao', format: 'html' });
      return {
        kind: 'needs_user_action',
        action: {
          kind: 'export',
          fileKey,
          message:
            'Toutiao has no publishing API, so this has not been posted. Download the bundle and post it yourself at mp.toutiao.com (创作 → 文章); README.txt inside says how.',
        },
      };
    },
  };
}
