import { z } from 'zod';

// Where the publishing adapters reach their platforms: a fragment of config.ts's environment schema and its mapping
// (config.ts stays the only reader of process.env). The defaults are the platforms' own API hosts; tests point them
// at the fakes under test/.

export interface PublishingConfig {
  baseUrls: { wechat: string; douyin: string; xiaohongshu: string; kuaishou: string };
  /** How often a submitted post is asked about until the platform gives its verdict. */
  pollSeconds: number;
}

export interface PublishingEnv {
  PUBLISH_WECHAT_BASE_URL: string;
  PUBLISH_DOUYIN_BASE_URL: string;
  PUBLISH_XIAOHONGSHU_BASE_URL: string;
  PUBLISH_KUAISHOU_BASE_URL: string;
  PUBLISH_POLL_SECONDS: number;
}

const baseUrl = (fallback: string) => z.url({ protocol: /^https?$/ }).default(fallback);

/** Spread into config.ts's `z.object`; `count` is its positive-integer parser. */
export function publishingEnvShape(parsers: { count: z.ZodType<number, string> }) {
  return {
    PUBLISH_WECHAT_BASE_URL: baseUrl('https://api.weixin.qq.com'),
    PUBLISH_DOUYIN_BASE_URL: baseUrl('https://open.douyin.com'),
    PUBLISH_XIAOHONGSHU_BASE_URL: baseUrl('https://edith.xiaohongshu.com'),
    PUBLISH_KUAISHOU_BASE_URL: baseUrl('https://open.kuaishou.com'),
    PUBLISH_POLL_SECONDS: parsers.count.pipe(z.number().max(3600, 'must be at most 3600')).default(30),
  };
}

export function publishingConfig(e: PublishingEnv): PublishingConfig {
  const trim = (url: string) => url.replace(/\/+$/, '');
  return {
    baseUrls: {
      wechat: trim(e.PUBLISH_WECHAT_BASE_URL),
      douyin: trim(e.PUBLISH_DOUYIN_BASE_URL),
      xiaohongshu: trim(e.PUBLISH_XIAOHONGSHU_BASE_URL),
      kuaishou: trim(e.PUBLISH_KUAISHOU_BASE_URL),
    },
    pollSeconds: e.PUBLISH_POLL_SECONDS,
  };
}
