import JSZip from 'jszip';
import type { Platform, PublishAsset, PublishContent, PublishRun } from '../adapter.ts';
import { textOf, type TrackedProgress } from './open-platform.ts';

// A ready-to-post bundle: what a user takes to a platform that has no publishing API (Toutiao), or posts in the
// platform's app themselves (Xiaohongshu, Douyin). A zip with fixed names — README.txt (how to post it, in Chinese
// and English), title.txt, article.html (a whole page, its images pointing at the bundle's own files) or note.txt
// (title and plain text), cover.<ext>, images/01.<ext> …, video.<ext> — so the same creation always makes the same
// files, and nothing in it points back at Tollgate.

export type BundleFormat = 'html' | 'note';

const EXTENSIONS: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/jpg': 'jpg',
  'image/png': 'png',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'image/bmp': 'bmp',
  'video/mp4': 'mp4',
  'video/quicktime': 'mov',
  'video/webm': 'webm',
};

// Zip entries carry a modification time; a fixed one keeps a bundle's bytes the same however often it is built.
const ENTRY_DATE = new Date('2025-01-01T00:00:00Z');

/** `png`, `mp4` …: from the content type, else from the file name, else `bin`. */
export function extensionOf(asset: Pick<PublishAsset, 'contentType' | 'name'>): string {
  const byType = EXTENSIONS[asset.contentType.toLowerCase().split(';')[0]?.trim() ?? ''];
  if (byType) return byType;
  return /\.([a-z0-9]{1,5})$/i.exec(asset.name)?.[1]?.toLowerCase() ?? 'bin';
}

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", nbsp: ' ' };

/** The creation's HTML as plain text, paragraphs kept: what a note's text box takes. */
export function noteText(html: string): string {
  return html
    .replace(/<img\b[^>]*>/gi, '')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<li\b[^>]*>/gi, '• ')
    .replace(/<\/(li|tr)>/gi, '\n')
    .replace(/<\/(p|h[1-6]|blockquote|pre|ul|ol|table)>/gi, '\n\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&(amp|lt|gt|quot|#39|nbsp);/g, (_, e: string) => ENTITIES[e] as string)
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function articlePage(content: PublishContent, paths: Map<string, string>): string {
  let body = content.html;
  // The HTML holds each ref attribute-escaped (markdown-it escapes `&`); replace that form and the raw one.
  for (const [ref, path] of paths) body = body.split(escapeHtml(ref)).join(path).split(ref).join(path);
  const title = escapeHtml(content.title);
  return `<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>body{max-width:720px;margin:2em auto;padding:0 1em;font:17px/1.8 -apple-system,"PingFang SC","Microsoft YaHei",sans-serif;color:#222}img{max-width:100%}</style>
</head>
<body>
<article>
<h1>${title}</h1>
${body}
</article>
</body>
</html>
`;
}

const HOW_TO: Record<Platform, { zh: string; en: string }> = {
  toutiao: {
    zh: '登录头条号后台 https://mp.toutiao.com → 创作 → 文章。用浏览器打开 article.html，全选复制正文粘贴到编辑器（或逐张上传 images/ 中的图片），标题见 title.txt，封面选 cover 文件，然后发布。',
    en: 'Sign in at https://mp.toutiao.com → 创作 (Create) → 文章 (Article). Open article.html in a browser, copy the text into the editor (or upload the pictures in images/ one by one), take the title from title.txt, choose the cover file as the cover, then publish.',
  },
  xiaohongshu: {
    zh: '把 images/ 中的图片（或 video 文件）保存到手机，打开小红书 App → 点「+」→ 选择这些图片或视频，标题见 title.txt，正文见 note.txt，确认后发布。',
    en: 'Save the pictures in images/ (or the video file) to your phone, open the Xiaohongshu app → tap "+" → pick them, take the title from title.txt and the text from note.txt, then post.',
  },
  douyin: {
    zh: '把 video 文件（或图片）保存到手机，打开抖音 App → 点「+」→ 相册 → 选择它，标题见 title.txt，确认后发布。',
    en: 'Save the video file (or the picture) to your phone, open the Douyin app → tap "+" → Album → pick it, take the title from title.txt, then post.',
  },
  kuaishou: {
    zh: '把 video 文件保存到手机，打开快手 App → 点「+」→ 相册 → 选择它，作品描述见 title.txt 和 note.txt，封面选 cover 文件，确认后发布。',
    en: 'Save the video file to your phone, open the Kuaishou app → tap "+" → Album → pick it, take the caption from title.txt and note.txt, choose the cover file as the cover, then post.',
  },
  wechat: {
    zh: '登录公众号后台 https://mp.weixin.qq.com → 内容管理 → 草稿箱 → 新建图文。用浏览器打开 article.html 复制正文，逐张上传 images/ 中的图片，标题见 title.txt，封面选 cover 文件，然后发表。',
    en: 'Sign in at https://mp.weixin.qq.com → 内容管理 → 草稿箱 (Drafts) → new article. Copy the text from article.html opened in a browser, upload the pictures in images/, take the title from title.txt, choose the cover file as the cover, then publish.',
  },
};

function readme(platform: Platform, files: string[]): string {
  const how = HOW_TO[platform];
  return [
    '如何发布 / How to post it',
    '',
    how.zh,
    '',
    how.en,
    '',
    '本压缩包中的文件 / Files in this bundle:',
    ...files.map((f) => `  ${f}`),
    '',
    '平台只发布您本人确认的内容：在您发布之前，这篇内容尚未发布。',
    'The platform publishes only what you confirm yourself: until you post it, it has not been published.',
    '',
  ].join('\n');
}

/** The bundle's zip bytes. Image and video bytes are read here, once each. */
export async function buildBundle(content: PublishContent, o: { platform: Platform; format: BundleFormat }): Promise<Buffer> {
  const entries: [string, string | Buffer][] = [['title.txt', `${content.title}\n`]];
  const paths = new Map<string, string>();
  const media: [string, PublishAsset][] = [];
  if (content.cover) media.push([`cover.${extensionOf(content.cover)}`, content.cover]);
  content.images.forEach((image, i) => {
    const path = `images/${String(i + 1).padStart(2, '0')}.${extensionOf(image)}`;
    paths.set(image.ref, path);
    media.push([path, image]);
  });
  if (content.video) media.push([`video.${extensionOf(content.video)}`, content.video]);

  if (o.format === 'html') entries.push(['article.html', articlePage(content, paths)]);
  else entries.push(['note.txt', `${content.title}\n\n${noteText(content.html)}\n`]);
  for (const [path, asset] of media) entries.push([path, await asset.bytes()]);

  const zip = new JSZip();
  zip.file('README.txt', readme(o.platform, entries.map(([name]) => name)), { date: ENTRY_DATE });
  for (const [name, data] of entries) zip.file(name, data, { date: ENTRY_DATE });
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE', platform: 'UNIX' });
}

/**
 * The job's bundle: built and stored once, its key saved at once as `bundle_key`, so a run that comes back hands out
 * the same file instead of storing another.
 */
export async function ensureBundle(
  r: PublishRun,
  tracked: TrackedProgress,
  content: () => Promise<PublishContent>,
  o: { platform: Platform; format: BundleFormat },
): Promise<string> {
  const saved = textOf(tracked.progress.bundle_key);
  if (saved) return saved;
  const key = await r.storeFile(`${o.platform}-bundle.zip`, 'application/zip', await buildBundle(await content(), o));
  await tracked.save({ progress: { bundle_key: key } });
  return key;
}
