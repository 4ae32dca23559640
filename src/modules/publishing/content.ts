import MarkdownIt from 'markdown-it';
import { fileNameOf, isFileKey, type FileStore } from '../../platform/files.ts';
import { filePath } from '../../platform/files.routes.ts';
import type { CreationFile, CreationRow } from '../studio/studio.tables.ts';
import type { BodyImage, PublishAsset, PublishContent } from './adapter.ts';

// Turns a creation into what platforms take: safe HTML from its Markdown (raw HTML in the text is shown as text, never
// run), its images as files an adapter can upload, a digest, a cover. Only the creator's own stored files are read: a
// link in the text to anyone else's file stays a plain link.

const SUMMARY_CHARS = 120;

const markdown = new MarkdownIt({ html: false, linkify: false, typographer: false });

/** `/files/images/42/x.png?expires=…&signature=…` (absolute or not) → `images/42/x.png` when it is `userId`'s file. */
export function ownFileKey(src: string, userId: number): string | undefined {
  let path: string;
  try {
    path = new URL(src, 'http://local').pathname;
  } catch {
    return undefined;
  }
  if (!path.startsWith('/files/')) return undefined;
  const key = decodeURIComponent(path.slice('/files/'.length));
  const [kind, owner] = key.split('/');
  return isFileKey(key) && (kind === 'images' || kind === 'videos') && owner === String(userId) ? key : undefined;
}

function plainText(html: string): string {
  const text = html
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e] as string)
    .replace(/\s+/g, ' ')
    .trim();
  return Array.from(text).slice(0, SUMMARY_CHARS).join('');
}

function assetOf(files: FileStore, file: Pick<CreationFile, 'key' | 'contentType' | 'size'>): PublishAsset {
  return {
    name: fileNameOf(file.key),
    contentType: file.contentType,
    size: file.size,
    async bytes() {
      const opened = await files.open(file.key);
      if (!opened) throw new Error(`stored file ${file.key} is missing`);
      const chunks: Buffer[] = [];
      for await (const chunk of opened.body) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    },
  };
}

const isImage = (f: CreationFile) => f.contentType.startsWith('image/');
const isVideo = (f: CreationFile) => f.contentType.startsWith('video/');

/**
 * Renders Markdown with every image of the creator's own files pointing at `/files/<key>` (the `ref` adapters swap
 * for the platform's URL); answers the HTML and the keys in order of first use.
 */
function render(text: string, userId: number): { html: string; keys: string[] } {
  const env = { keys: [] as string[] };
  const tokens = markdown.parse(text, env);
  for (const token of tokens) {
    for (const child of token.children ?? []) {
      if (child.type !== 'image') continue;
      const key = ownFileKey(String(child.attrGet('src') ?? ''), userId);
      if (!key) continue;
      child.attrSet('src', filePath(key));
      if (!env.keys.includes(key)) env.keys.push(key);
    }
  }
  return { html: markdown.renderer.render(tokens, markdown.options, env), keys: env.keys };
}

export function createContentBuilder(deps: { files: FileStore }) {
  const { files } = deps;

  return {
    /** What goes to a platform for `creation`, with `cover` (an image creation) as its cover when given. */
    async build(creation: CreationRow, cover?: CreationRow): Promise<PublishContent> {
      const ownImages = creation.files.filter(isImage);
      const video = creation.files.find(isVideo);
      const { html: body, keys } = render(creation.content, creation.userId);

      // An image creation is its picture, with its text (the prompt or a caption) below it.
      const leading = creation.type === 'image' ? ownImages.map((f) => `<p><img src="${filePath(f.key)}" alt=""></p>\n`).join('') : '';
      const known = new Map(creation.files.map((f) => [f.key, f]));
      const images: BodyImage[] = [];
      for (const key of [...ownImages.map((f) => f.key).filter(() => creation.type === 'image'), ...keys]) {
        if (images.some((i) => i.ref === filePath(key))) continue;
        const stat = known.get(key) ?? (await files.stat(key).then((s) => s && { key, contentType: s.contentType, size: s.size }));
        if (stat) images.push({ ...assetOf(files, stat), ref: filePath(key) });
      }

      const coverFile = cover?.files.find(isImage) ?? ownImages[0];
      const html = leading + body;
      return {
        creationId: creation.id,
        type: creation.type,
        title: creation.title,
        text: creation.content,
        html,
        summary: plainText(body) || Array.from(creation.title).slice(0, SUMMARY_CHARS).join(''),
        ...(coverFile ? { cover: assetOf(files, coverFile) } : {}),
        images,
        ...(video ? { video: assetOf(files, video) } : {}),
      };
    },
  };
}

export type ContentBuilder = ReturnType<typeof createContentBuilder>;
